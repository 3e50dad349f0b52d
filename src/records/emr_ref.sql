-- healthhub.emr_ref (docs/records.md): a compact reference to one EMR
-- document held at an institution (IHE XDS's document entry reduced to what
-- names the document): kind, producing institution (USCC), local document
-- id, service time (UTC, whole seconds) and content digest (SHA-256, or SM3).
-- Text form kind:institution:local_id:YYYYMMDDTHHMMSSZ:algorithm:hex; every
-- part is stored normalised, so equality and hashing work on the bytes.

CREATE TYPE healthhub.emr_ref;

CREATE FUNCTION healthhub.emr_ref_in(cstring) RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_out(healthhub.emr_ref) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_recv(internal) RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_send(healthhub.emr_ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.emr_ref (
    INPUT = healthhub.emr_ref_in,
    OUTPUT = healthhub.emr_ref_out,
    RECEIVE = healthhub.emr_ref_recv,
    SEND = healthhub.emr_ref_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.emr_ref IS
    'A reference to an EMR document at an institution: kind:institution:local_id:time:algorithm:digest';

CREATE FUNCTION healthhub.emr_ref_eq(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_ne(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_lt(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_le(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_gt(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_ge(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_cmp(healthhub.emr_ref, healthhub.emr_ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_hash(healthhub.emr_ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_hash_extended(healthhub.emr_ref, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: emr_ref_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.emr_ref) WITH INOUT;
CREATE CAST (healthhub.emr_ref AS text) WITH INOUT;

CREATE FUNCTION healthhub.emr_ref(kind text, institution text, local_id text, service_time timestamptz,
                                  digest bytea, digest_algorithm text DEFAULT 'sha256')
    RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME', 'emr_ref_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref(text, text, text, timestamptz, bytea, text) IS
    'An EMR document reference from its parts (the service time kept to the whole second)';
CREATE FUNCTION healthhub.emr_ref_kind(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_kind(healthhub.emr_ref) IS 'The document kind of a reference';
CREATE FUNCTION healthhub.emr_ref_institution(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_institution(healthhub.emr_ref) IS
    'The unified social credit code of the institution that holds the document';
CREATE FUNCTION healthhub.emr_ref_local_id(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_local_id(healthhub.emr_ref) IS 'The document''s id at its institution';
CREATE FUNCTION healthhub.emr_ref_service_time(healthhub.emr_ref) RETURNS timestamptz
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_service_time(healthhub.emr_ref) IS 'When the service the document records took place';
CREATE FUNCTION healthhub.emr_ref_digest(healthhub.emr_ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_digest(healthhub.emr_ref) IS 'The digest of the document''s content (32 bytes)';
CREATE FUNCTION healthhub.emr_ref_digest_algorithm(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_digest_algorithm(healthhub.emr_ref) IS 'sha256 or sm3';
CREATE FUNCTION healthhub.emr_ref_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_problem(text) IS
    'Why a text is not an EMR document reference (NULL when it is one); never raises';
