-- healthhub.region_code: GB/T 2260 administrative division codes.
-- Held as int4, so the operators are int4's own functions (C aliases).

CREATE TYPE healthhub.region_code;

CREATE FUNCTION healthhub.region_code_in(cstring) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_out(healthhub.region_code) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_recv(internal) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_send(healthhub.region_code) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.region_code (
    INPUT = healthhub.region_code_in,
    OUTPUT = healthhub.region_code_out,
    RECEIVE = healthhub.region_code_recv,
    SEND = healthhub.region_code_send,
    INTERNALLENGTH = 4,
    PASSEDBYVALUE,
    ALIGNMENT = int4,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.region_code IS 'GB/T 2260 administrative division code (6 digits)';

CREATE FUNCTION healthhub.region_code_eq(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_ne(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_lt(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_le(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_gt(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_ge(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_cmp(healthhub.region_code, healthhub.region_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_hash(healthhub.region_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_hash_extended(healthhub.region_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: region_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE FUNCTION healthhub.region_code(integer) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'region_code_from_int' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (integer AS healthhub.region_code) WITH FUNCTION healthhub.region_code(integer);
CREATE CAST (healthhub.region_code AS integer) WITHOUT FUNCTION;
CREATE CAST (text AS healthhub.region_code) WITH INOUT;
CREATE CAST (healthhub.region_code AS text) WITH INOUT;

-- What the digits say: immutable.
CREATE FUNCTION healthhub.region_code_province(healthhub.region_code) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'region_code_province' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_nominal_level(healthhub.region_code) RETURNS text
    AS 'MODULE_PATHNAME', 'region_code_nominal_level' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

