-- healthhub.resident_id: GB 11643 resident identity numbers, including the
-- HK/Macau/Taiwan residence permits and the 2023 foreign permanent resident
-- card.  Held as the 17-digit body in an int8, so the operators, hashing and
-- sort support are int8's own functions (C aliases, see ident.h).

CREATE TYPE healthhub.resident_id;

CREATE FUNCTION healthhub.resident_id_in(cstring) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_out(healthhub.resident_id) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_recv(internal) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_send(healthhub.resident_id) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.resident_id (
    INPUT = healthhub.resident_id_in,
    OUTPUT = healthhub.resident_id_out,
    RECEIVE = healthhub.resident_id_recv,
    SEND = healthhub.resident_id_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.resident_id IS 'GB 11643 resident identity number (18 characters, check character verified)';

CREATE FUNCTION healthhub.resident_id_eq(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_ne(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_lt(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_le(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_gt(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_ge(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_cmp(healthhub.resident_id, healthhub.resident_id) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_hash(healthhub.resident_id) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_hash_extended(healthhub.resident_id, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: resident_id_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

-- bigint holds the 17-digit body: the check character (X included) is implied
-- by the body, so nothing is lost and the order is the same.
CREATE FUNCTION healthhub.resident_id(bigint) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME', 'resident_id_from_bigint' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (bigint AS healthhub.resident_id) WITH FUNCTION healthhub.resident_id(bigint);
CREATE CAST (healthhub.resident_id AS bigint) WITHOUT FUNCTION;
CREATE FUNCTION healthhub.resident_id(text) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME', 'resident_id_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (text AS healthhub.resident_id) WITH FUNCTION healthhub.resident_id(text);
CREATE CAST (healthhub.resident_id AS text) WITH INOUT;

CREATE FUNCTION healthhub.resident_id_birth_date(healthhub.resident_id) RETURNS date
    AS 'MODULE_PATHNAME', 'resident_id_birth_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_sex(healthhub.resident_id) RETURNS smallint
    AS 'MODULE_PATHNAME', 'resident_id_sex' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.resident_id_sex(healthhub.resident_id) IS 'GB/T 2261.1 sex code: 1 male, 2 female';
CREATE FUNCTION healthhub.resident_id_region(healthhub.resident_id) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'resident_id_region' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_issuer_kind(healthhub.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_issuer_kind' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_age(healthhub.resident_id, date) RETURNS integer
    AS 'MODULE_PATHNAME', 'resident_id_age' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_mask(healthhub.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_mask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.is_valid_resident_id(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'is_valid_resident_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- What an immutable input cannot know: today's date.
CREATE FUNCTION healthhub.is_plausible(healthhub.resident_id) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_birth_date($1) <= CURRENT_DATE;
-- Why a text is not a valid number (NULL when it is): for data-quality
-- reports over staged rows, without raising.
CREATE FUNCTION healthhub.resident_id_problem(text) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_problem' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
