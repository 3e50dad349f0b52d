-- One-stop settlement (docs/settlement.md).  The engine as a function: the
-- split of a bill under a policy, for a person's year so far, in the
-- national field names of transaction 2207; nothing is read or written.
-- pre_settle and settle give it the policy in force and the year from the
-- tables; a statistician or a DBA may ask "what if" with it directly.
CREATE FUNCTION healthhub.settlement_split(lines jsonb, policy jsonb, year jsonb DEFAULT '{}')
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'hh_settlement_split' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.settlement_split(jsonb, jsonb, jsonb) IS
    'The split of a bill (lines) under a policy for a person''s year so far: the 2207 result fields, the per-fund detail, the trace and the year after';
GRANT EXECUTE ON FUNCTION healthhub.settlement_split(jsonb, jsonb, jsonb) TO PUBLIC;
