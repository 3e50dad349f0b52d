-- healthhub.region_code: GB/T 2260 administrative division codes.
-- Held as int4, so the operators reuse int4's internal functions.

CREATE TYPE healthhub.region_code;

CREATE FUNCTION healthhub.region_code_in(cstring) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_out(healthhub.region_code) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_recv(internal) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_send(healthhub.region_code) RETURNS bytea
    AS 'int4send' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

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
    AS 'int4eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_ne(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'int4ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_lt(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'int4lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_le(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'int4le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_gt(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'int4gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_ge(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'int4ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_cmp(healthhub.region_code, healthhub.region_code) RETURNS integer
    AS 'btint4cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_sortsupport(internal) RETURNS void
    AS 'btint4sortsupport' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_hash(healthhub.region_code) RETURNS integer
    AS 'hashint4' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_hash_extended(healthhub.region_code, bigint) RETURNS bigint
    AS 'hashint4extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.region_code_ops
    DEFAULT FOR TYPE healthhub.region_code USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.region_code_cmp(healthhub.region_code, healthhub.region_code),
        FUNCTION 2 healthhub.region_code_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.region_code_hash_ops
    DEFAULT FOR TYPE healthhub.region_code USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.region_code_hash(healthhub.region_code),
        FUNCTION 2 healthhub.region_code_hash_extended(healthhub.region_code, bigint);

CREATE FUNCTION healthhub.region_code(integer) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'region_code_from_int' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (integer AS healthhub.region_code) WITH FUNCTION healthhub.region_code(integer);
CREATE CAST (healthhub.region_code AS integer) WITHOUT FUNCTION;
CREATE CAST (text AS healthhub.region_code) WITH INOUT;
CREATE CAST (healthhub.region_code AS text) WITH INOUT;

-- What the digits say: immutable.
CREATE FUNCTION healthhub.province(healthhub.region_code) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'region_code_province' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.nominal_level(healthhub.region_code) RETURNS text
    AS 'MODULE_PATHNAME', 'region_code_nominal_level' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Function bodies name healthhub's operators explicitly: the install script
-- runs with the target schema (not healthhub) on its search_path.

-- What is true: the shipped division table.  The digits lie (429004 is a
-- county-level city directly under Hubei; 441900 has no counties).
CREATE TABLE healthhub.regions (
    code        healthhub.region_code PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent      healthhub.region_code,
    kind        text NOT NULL CHECK (kind IN ('division', 'placeholder', 'statistical_zone', 'permit')),
    valid_from  smallint,
    valid_to    smallint CHECK (valid_to >= valid_from),
    successor   healthhub.region_code,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'local')),
    CONSTRAINT regions_only_provinces_lack_parents CHECK ((level = 'province') = (parent IS NULL))
);
COMMENT ON TABLE healthhub.regions IS 'Administrative divisions (GB/T 2260 codes, NBS statistical list mid-2023) with true level and parent';
CREATE INDEX regions_parent_idx ON healthhub.regions (parent);
-- Shipped rows come back with CREATE EXTENSION; only local rows are dumped.
SELECT pg_catalog.pg_extension_config_dump('healthhub.regions', 'WHERE origin = ''local''');

CREATE FUNCTION healthhub.region_name(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.name FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);
CREATE FUNCTION healthhub.level(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.level FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);
CREATE FUNCTION healthhub.parent(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.parent FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);

-- Follow successors from an abolished code to the division in force now.
CREATE FUNCTION healthhub.current_region(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    WITH RECURSIVE chain(code, successor, depth) AS (
        SELECT r.code, r.successor, 0 FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1
        UNION ALL
        SELECT r.code, r.successor, c.depth + 1
          FROM chain c JOIN healthhub.regions r ON r.code OPERATOR(healthhub.=) c.successor
         WHERE c.depth < 16
    )
    SELECT c.code FROM chain c WHERE c.successor IS NULL ORDER BY c.depth LIMIT 1;
END;

-- Does outer_region contain inner_region (or equal it)?  Walks the table's
-- parents; a code missing from the table falls back to its digits.
CREATE FUNCTION healthhub.contains(outer_region healthhub.region_code, inner_region healthhub.region_code)
    RETURNS boolean LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    WITH RECURSIVE up(code, depth) AS (
        SELECT r.code, 0 FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) inner_region
        UNION ALL
        SELECT r.parent, u.depth + 1
          FROM up u JOIN healthhub.regions r ON r.code OPERATOR(healthhub.=) u.code
         WHERE r.parent IS NOT NULL AND u.depth < 4
    )
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM up) THEN EXISTS (SELECT 1 FROM up WHERE up.code OPERATOR(healthhub.=) outer_region)
        ELSE outer_region OPERATOR(healthhub.=) inner_region
          OR outer_region OPERATOR(healthhub.=) healthhub.province(inner_region)
          OR (healthhub.nominal_level(outer_region) = 'prefecture'
              AND outer_region::integer = inner_region::integer / 100 * 100)
    END;
END;

CREATE FUNCTION healthhub.contained_by(inner_region healthhub.region_code, outer_region healthhub.region_code)
    RETURNS boolean LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.contains(outer_region, inner_region);

CREATE OPERATOR healthhub.@> (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.contains, COMMUTATOR = OPERATOR(healthhub.<@));
CREATE OPERATOR healthhub.<@ (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.contained_by, COMMUTATOR = OPERATOR(healthhub.@>));
