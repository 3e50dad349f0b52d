-- healthhub.health_identifier: issuer-scoped numbers as (kind, issuer, value),
-- written kind:issuer:value.  Values are stored normalised, so equality and
-- hashing work on the bytes.

CREATE TYPE healthhub.health_identifier;

CREATE FUNCTION healthhub.health_identifier_in(cstring) RETURNS healthhub.health_identifier
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_out(healthhub.health_identifier) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_recv(internal) RETURNS healthhub.health_identifier
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_send(healthhub.health_identifier) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.health_identifier (
    INPUT = healthhub.health_identifier_in,
    OUTPUT = healthhub.health_identifier_out,
    RECEIVE = healthhub.health_identifier_recv,
    SEND = healthhub.health_identifier_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.health_identifier IS 'Issuer-scoped identifier: kind:issuer:value';

CREATE FUNCTION healthhub.health_identifier_eq(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_ne(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_lt(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_le(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_gt(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_ge(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_cmp(healthhub.health_identifier, healthhub.health_identifier) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_hash(healthhub.health_identifier) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_hash_extended(healthhub.health_identifier, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: health_identifier_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.health_identifier) WITH INOUT;
CREATE CAST (healthhub.health_identifier AS text) WITH INOUT;

CREATE FUNCTION healthhub.health_identifier(kind text, issuer text, value text)
    RETURNS healthhub.health_identifier
    AS 'MODULE_PATHNAME', 'health_identifier_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_kind(healthhub.health_identifier) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_kind' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_issuer(healthhub.health_identifier) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_issuer' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.value(healthhub.health_identifier) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION healthhub.identifier_kinds(OUT kind text, OUT issuer text, OUT issuer_rule text, OUT value_rule text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'health_identifier_kinds' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE VIEW healthhub.identifier_kinds AS SELECT * FROM healthhub.identifier_kinds();
