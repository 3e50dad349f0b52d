-- Health codes (docs/health-codes.md): the EU Digital COVID Certificate's
-- wire format, prefix + Base45(zlib(COSE_Sign1(CWT claims))), for this
-- hub's own codes ("HH1:") and for EU DCCs ("HC1:").  The codec is pure C
-- (src/healthcode/base45.c ... health_code.c, fuzzed); this file is its SQL
-- face: the type, the kinds of code, and the decoder for support staff.

-- The issuing service's profile (issue.sql says what it may do).
INSERT INTO healthhub.profiles VALUES
    ('code_issuer', false, 'the health code service: issues codes signed with the hub''s keys');

-- healthhub.health_code: an issued code.  Binary form (storage, SEND/RECV):
-- the COSE_Sign1 bytes; text form: the QR string.  Input checks the layers
-- and the structure, not the signature (verify_health_code does).
CREATE TYPE healthhub.health_code;

CREATE FUNCTION healthhub.health_code_in(cstring) RETURNS healthhub.health_code
    AS 'MODULE_PATHNAME', 'hh_health_code_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_out(healthhub.health_code) RETURNS cstring
    AS 'MODULE_PATHNAME', 'hh_health_code_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_recv(internal) RETURNS healthhub.health_code
    AS 'MODULE_PATHNAME', 'hh_health_code_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_send(healthhub.health_code) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_health_code_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.health_code (
    INPUT = healthhub.health_code_in,
    OUTPUT = healthhub.health_code_out,
    RECEIVE = healthhub.health_code_recv,
    SEND = healthhub.health_code_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
COMMENT ON TYPE healthhub.health_code IS
    'A signed health code: COSE_Sign1 bytes, written as its QR text (HH1: healthhub, HC1: EU DCC)';

-- Comparison: the COSE bytes, as bytea compares them (the representation is
-- bytea's: a varlena of bytes); thin C aliases of bytea's functions.
CREATE FUNCTION healthhub.health_code_eq(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_ne(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_lt(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_le(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_gt(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_ge(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_cmp(healthhub.health_code, healthhub.health_code) RETURNS integer
    AS 'MODULE_PATHNAME', 'hh_health_code_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_health_code_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_hash(healthhub.health_code) RETURNS integer
    AS 'MODULE_PATHNAME', 'hh_health_code_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_hash_extended(healthhub.health_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_health_code_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: health_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.health_code) WITH INOUT;
CREATE CAST (healthhub.health_code AS text) WITH INOUT;
-- (the binary form: the COSE bytes)
CREATE CAST (healthhub.health_code AS bytea) WITHOUT FUNCTION;

-- The kinds of code this hub issues, as rows a DBA may add to.
CREATE TABLE healthhub.health_code_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    statuses    text[] CHECK (cardinality(statuses) > 0),  -- NULL: the kind has no status
    lifetime    interval NOT NULL CHECK (lifetime > interval '0'),
    dynamic     boolean NOT NULL,   -- refreshed by the app: an older code than the last accepted is a replay
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.health_code_kinds IS
    'Kinds of health code: their statuses (NULL: none), lifetime, and whether they are dynamic (replay refused)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.health_code_kinds', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.health_code_kinds VALUES
    ('health_card', NULL, '5 years', false, 'the resident electronic health card (居民电子健康卡): one card in every hospital',
     'shipped'),
    ('epidemic_status', '{green,yellow,red}', '10 minutes', true,
     'the epidemic status code (健康码): green, yellow or red, refreshed by the app', 'shipped');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.health_code_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.health_code_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('health_code_kind', 'kind', 'health code policy');

-- The person key a code's subject is, when the code is this hub's and its
-- subject a person of this hub's index (a subject of another issuer is
-- not a key here).
CREATE FUNCTION healthhub.subject_person(subject text, issuer text DEFAULT NULL) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN CASE WHEN subject ~ '^[0-9]{1,18}$' AND coalesce(issuer, healthhub.hub_id()::text) = healthhub.hub_id()::text
                     AND healthhub.key_hub(subject::bigint) = healthhub.hub_id()
                THEN subject::bigint END;
REVOKE ALL ON FUNCTION healthhub.subject_person(text, text) FROM PUBLIC;

-- What a code's layers hold, without verifying anything: for support staff.
-- Never raises on a bad code: the first layer that fails is named.
CREATE FUNCTION healthhub.decode_health_code(code text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'hh_decode_health_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.decode_health_code(text) IS
    'The layers of a health code (prefix, Base45, zlib, COSE headers, claims), without verifying; names the layer that fails';
-- (its claims name the subject: for support staff, not for every scanner)
REVOKE ALL ON FUNCTION healthhub.decode_health_code(text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.decode_health_code(text)', 'EXECUTE' FROM unnest(ARRAY['hub_admin', 'code_issuer']) pr;
