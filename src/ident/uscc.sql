-- healthhub.uscc: GB 32100 unified social credit codes, both check
-- characters verified.  16 bytes: 18 characters of 5 bits each.

CREATE TYPE healthhub.uscc;

CREATE FUNCTION healthhub.uscc_in(cstring) RETURNS healthhub.uscc
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_out(healthhub.uscc) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_recv(internal) RETURNS healthhub.uscc
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_send(healthhub.uscc) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.uscc (
    INPUT = healthhub.uscc_in,
    OUTPUT = healthhub.uscc_out,
    RECEIVE = healthhub.uscc_recv,
    SEND = healthhub.uscc_send,
    INTERNALLENGTH = 16,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.uscc IS 'GB 32100 unified social credit code (18 characters, both checks verified)';

CREATE FUNCTION healthhub.uscc_eq(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_ne(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_lt(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_le(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_gt(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_ge(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_cmp(healthhub.uscc, healthhub.uscc) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_hash(healthhub.uscc) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_hash_extended(healthhub.uscc, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: uscc_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.uscc) WITH INOUT;
CREATE CAST (healthhub.uscc AS text) WITH INOUT;

-- Real issued codes that fail their own check exist: keep them, marked '?'.
CREATE FUNCTION healthhub.ingest_uscc(text) RETURNS healthhub.uscc
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.passes_check(healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_passes_check' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.is_valid_uscc(text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_registration_authority(healthhub.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_registration_authority' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_category(healthhub.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_category' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_organization_code(healthhub.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_organization_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_region(healthhub.uscc) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'uscc_region' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
