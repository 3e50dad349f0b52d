-- healthhub.regions: the shipped division table and what it knows that
-- the digits do not (true level, parent, name, successors).

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
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local')),
    CONSTRAINT regions_only_provinces_lack_parents CHECK ((level = 'province') = (parent IS NULL))
);
COMMENT ON TABLE healthhub.regions IS 'Administrative divisions (GB/T 2260 codes, NBS statistical list mid-2023) with true level and parent';
CREATE INDEX regions_parent_idx ON healthhub.regions (parent);
-- Shipped rows come back with CREATE EXTENSION; only local rows are dumped.
SELECT pg_catalog.pg_extension_config_dump('healthhub.regions', 'WHERE origin <> ''shipped''');
-- (a shipped row a DBA changes becomes local: src/platform/shipped_rows.sql)
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.regions
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('code');

CREATE FUNCTION healthhub.region_code_name(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.name FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);
CREATE FUNCTION healthhub.region_code_level(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.level FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);
CREATE FUNCTION healthhub.region_code_parent(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.parent FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);

-- Follow successors from an abolished code to the division in force now.
CREATE FUNCTION healthhub.region_code_current(healthhub.region_code) RETURNS healthhub.region_code
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
-- (PL/pgSQL: its one lookup is planned once per session, where a SQL body
-- with a recursive query was planned on every call.)
CREATE FUNCTION healthhub.region_code_contains(outer_region healthhub.region_code, inner_region healthhub.region_code)
    RETURNS boolean LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    up healthhub.region_code;
BEGIN
    SELECT r.parent INTO up FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) inner_region;
    IF NOT FOUND THEN
        RETURN outer_region OPERATOR(healthhub.=) inner_region
            OR outer_region OPERATOR(healthhub.=) healthhub.region_code_province(inner_region)
            OR (healthhub.region_code_nominal_level(outer_region) = 'prefecture'
                AND outer_region::integer = inner_region::integer / 100 * 100);
    END IF;
    IF outer_region OPERATOR(healthhub.=) inner_region THEN
        RETURN true;
    END IF;
    FOR depth IN 1..4 LOOP              -- (county, city, province: never deeper)
        EXIT WHEN up IS NULL;
        IF up OPERATOR(healthhub.=) outer_region THEN
            RETURN true;
        END IF;
        up := (SELECT r.parent FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) up);
    END LOOP;
    RETURN false;
END
$$;

CREATE FUNCTION healthhub.region_code_contained_by(inner_region healthhub.region_code, outer_region healthhub.region_code)
    RETURNS boolean LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_contains(outer_region, inner_region);

CREATE OPERATOR healthhub.@> (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_contains, COMMUTATOR = OPERATOR(healthhub.<@));
CREATE OPERATOR healthhub.<@ (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_contained_by, COMMUTATOR = OPERATOR(healthhub.@>));
