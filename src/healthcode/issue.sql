-- Issuing health codes (docs/health-codes.md, "Issuing"): the issuing
-- service (profile code_issuer) or hub_admin asks for a code of a kind for
-- a subject; the hub signs it with its newest signing key valid now for
-- that kind.  Issuing writes the trail (health_code.issue, the code's
-- revocation hash as object id, the subject's person key): never the code.

-- The hub numbers each subject's dynamic codes: every app that shows them
-- (the person's own phone, a proxy holder's) gets a newer one than the
-- last, so a verifier's replay check holds across devices, and no caller
-- can issue a number so high that the subject's later codes are replays.
-- A number is the milliseconds since 1970 of its issue, or one more than
-- the last when that is later: a hub restored from an older dump, or to an
-- earlier point in time, still numbers its next codes above the ones it
-- issued before.
CREATE TABLE healthhub.code_sequences (
    subject     text NOT NULL,
    kind        text NOT NULL REFERENCES healthhub.health_code_kinds,
    person_key  bigint,     -- the subject's person key, when it is one of this hub's
    last_seq    bigint NOT NULL CHECK (last_seq > 0),
    PRIMARY KEY (subject, kind)
);
COMMENT ON TABLE healthhub.code_sequences IS
    'The sequence number of the last dynamic health code this hub issued per subject and kind';
-- (a restored hub must not number codes from 1 again: they would be replays)
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_sequences', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.code_sequences', 'derived', 'the last sequence number issued, written by issue_health_code');

CREATE FUNCTION healthhub.code_sign(private_key bytea, alg text, kid bytea, iss text, sub text, iat timestamptz,
                                    exp timestamptz, kind text, status text, seq bigint) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_code_sign' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION healthhub.code_sign(bytea, text, bytea, text, text, timestamptz, timestamptz, text, text, bigint)
    FROM PUBLIC;

CREATE FUNCTION healthhub.issue_health_code(subject text, kind text, status text DEFAULT NULL)
    RETURNS healthhub.health_code
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
    key healthhub.signing_keys;
    code healthhub.health_code;
    seq bigint;
    -- (the clock, not the transaction's start; a code's times are whole seconds)
    issued timestamptz := date_trunc('second', clock_timestamp());
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.issue_health_code', ARRAY['subject', 'kind'],
                                        ARRAY[subject IS NULL, kind IS NULL]);
    IF btrim(subject) = '' OR length(subject) > 100 THEN
        RAISE EXCEPTION 'invalid subject: %', quote_literal(subject)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A subject is a person key or a health card id, 1 to 100 characters.';
    END IF;
    k := healthhub.code_kind(kind);
    IF (k.statuses IS NULL) <> (status IS NULL) OR NOT (status IS NULL OR status = ANY (k.statuses)) THEN
        RAISE EXCEPTION 'invalid status % for a code of kind %', coalesce(quote_literal(status), 'NULL'), kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN k.statuses IS NULL THEN 'A code of this kind has no status.'
                                ELSE format('The statuses are %s.', array_to_string(k.statuses, ', ')) END;
    END IF;
    -- the newest key valid now for the kind; a retirement waits for this
    -- transaction (and an issue after it sees the key retired).  Retired by
    -- the clock, not by this transaction's start: a retirement that began
    -- after this transaction did has a retired_at later than now(), and its
    -- key signed codes refused as soon as they were issued
    -- (specs/healthcode_key_retirement.spec).
    SELECT * INTO key FROM healthhub.signing_keys s
     WHERE s.valid @> issued AND (s.retired_at IS NULL OR s.retired_at > clock_timestamp())
       AND (s.kinds IS NULL OR issue_health_code.kind = ANY (s.kinds))
     ORDER BY lower(s.valid) DESC, s.created_at DESC
     LIMIT 1
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this hub has no signing key for codes of kind %', kind
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A hub_admin makes one with healthhub.create_signing_key().';
    END IF;
    IF k.dynamic THEN
        INSERT INTO healthhub.code_sequences AS s (subject, kind, person_key, last_seq)
        VALUES (btrim(subject), k.kind, healthhub.subject_person(btrim(subject)),
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT ON CONSTRAINT code_sequences_pkey
           DO UPDATE SET last_seq = greatest(s.last_seq + 1, EXCLUDED.last_seq)
        RETURNING s.last_seq INTO seq;
    END IF;
    code := healthhub.code_sign(key.private_key, key.alg, key.kid, healthhub.hub_id()::text, btrim(subject), issued,
                                issued + k.lifetime, kind, status, seq)::healthhub.health_code;
    -- (a read.* action: committed before the code is returned, so no code
    -- leaves untraced, whatever the caller's transaction does next)
    PERFORM healthhub.audit_append('read.health_code.issue', 'health_code', encode(healthhub.code_hash(code), 'hex'),
                                   healthhub.subject_person(btrim(subject)),
                                   'health code issuance', 'ok');
    RETURN code;
END
$$;
COMMENT ON FUNCTION healthhub.issue_health_code(text, text, text) IS
    'Issue a signed health code of a kind (with its status; dynamic codes numbered by the hub) for a subject';
REVOKE ALL ON FUNCTION healthhub.issue_health_code(text, text, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'code_issuer', 'function', 'healthhub.issue_health_code(text, text, text)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.issue_health_code(text, text, text)', 'EXECUTE';
