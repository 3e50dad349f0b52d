-- The checking policy as data (docs/health-codes.md, "Where codes are
-- checked"): risk levels of regions over time, categories of places with
-- the levels at which they must check, and the places themselves.  "In
-- low-risk areas codes are generally not checked, except at special
-- places" (the national rules of December 2022 kept checks at elderly
-- care, welfare homes, medical institutions, child care and schools;
-- localities may add government bodies and large enterprises): shipped as
-- rows a region changes, not as constants.

-- A region's risk level over a period; a region without one has its
-- parent's (a county its prefecture's, a prefecture its province's), and
-- low when none is set.
CREATE TABLE healthhub.region_risk_levels (
    risk_key    bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    region      healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    level       text NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    period      tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    reason      text,
    set_by      text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT region_risk_levels_no_overlap EXCLUDE USING gist
        (int4range(region::integer, region::integer, '[]') WITH =, period WITH &&)
);
COMMENT ON TABLE healthhub.region_risk_levels IS 'Risk levels of regions over time (low, medium, high); unset: the parent''s, else low';
SELECT pg_catalog.pg_extension_config_dump('healthhub.region_risk_levels', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.region_risk_levels
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('region_risk_level', 'risk_key', 'health code policy');

CREATE TABLE healthhub.place_categories (
    category      text PRIMARY KEY CHECK (category ~ '^[a-z][a-z0-9_]{0,39}$'),
    must_check_at text[] NOT NULL CHECK (must_check_at <@ ARRAY['low', 'medium', 'high']),
    description   text NOT NULL,
    origin        text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.place_categories IS 'Kinds of place, and the risk levels at which they must check codes';
SELECT pg_catalog.pg_extension_config_dump('healthhub.place_categories', 'WHERE origin <> ''shipped''');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.place_categories
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('category');
INSERT INTO healthhub.place_categories VALUES
    ('elderly_care', '{low,medium,high}', 'elderly care homes (养老机构)', 'shipped'),
    ('welfare_home', '{low,medium,high}', 'welfare homes (福利院)', 'shipped'),
    ('medical_institution', '{low,medium,high}', 'medical institutions (医疗机构)', 'shipped'),
    ('child_care', '{low,medium,high}', 'child care (托幼机构)', 'shipped'),
    ('school', '{low,medium,high}', 'primary and secondary schools (中小学)', 'shipped'),
    ('government_body', '{medium,high}', 'important government bodies: checking at low risk is a local decision', 'shipped'),
    ('large_enterprise', '{medium,high}', 'large enterprises: checking at low risk is a local decision', 'shipped'),
    ('public_place', '{medium,high}', 'other public places: not checked at low risk', 'shipped');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.place_categories
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('place_category', 'category', 'health code policy');

-- The places that check codes (a hospital's entrance, a school, a station).
CREATE TABLE healthhub.check_places (
    place_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    category        text NOT NULL REFERENCES healthhub.place_categories,
    region          healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    institution_key bigint REFERENCES healthhub.institutions
);
COMMENT ON TABLE healthhub.check_places IS 'Places where codes are checked, with their category and region';
SELECT pg_catalog.pg_extension_config_dump('healthhub.check_places', '');
CREATE UNIQUE INDEX check_places_replica_identity ON healthhub.check_places (place_key, hub_id);
ALTER TABLE healthhub.check_places REPLICA IDENTITY USING INDEX check_places_replica_identity;
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.check_places
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('check_place', 'place_key', 'health code policy');

-- A region's risk level at a time: its own, else its nearest ancestor's,
-- else low.
CREATE FUNCTION healthhub.region_risk_level(region healthhub.region_code, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS text
    LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH RECURSIVE up(code, depth) AS (
        SELECT region_risk_level.region, 0
        UNION ALL
        SELECT healthhub.region_code_parent(u.code), u.depth + 1 FROM up u
         WHERE healthhub.region_code_parent(u.code) IS NOT NULL AND u.depth < 3
    )
    SELECT coalesce((SELECT r.level FROM up u
                       JOIN healthhub.region_risk_levels r ON r.region OPERATOR(healthhub.=) u.code
                                                          AND r.period @> region_risk_level."at"
                      ORDER BY u.depth LIMIT 1), 'low');
END;
COMMENT ON FUNCTION healthhub.region_risk_level(healthhub.region_code, timestamptz) IS
    'A region''s risk level at a time: its own, else its nearest ancestor''s, else low';

-- Whether a place of a category in a region must check codes at a time.
CREATE FUNCTION healthhub.must_check(place_category text, region healthhub.region_code,
                                     "at" timestamptz DEFAULT pg_catalog.now()) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    levels text[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.must_check', ARRAY['place_category', 'region', 'at'],
                                        ARRAY[place_category IS NULL, region IS NULL, "at" IS NULL]);
    SELECT c.must_check_at INTO levels FROM healthhub.place_categories c WHERE c.category = place_category;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown place category: %', quote_literal(place_category)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The categories are listed in healthhub.place_categories.';
    END IF;
    RETURN healthhub.region_risk_level(region, "at") = ANY (levels);
END
$$;
COMMENT ON FUNCTION healthhub.must_check(text, healthhub.region_code, timestamptz) IS
    'Whether places of a category in a region must check health codes at a time (by the region''s risk level)';

-- Set a region's risk level from a time on (ending the one in force).
CREATE FUNCTION healthhub.set_region_risk(region healthhub.region_code, level text, reason text,
                                          "from" timestamptz DEFAULT pg_catalog.now()) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k bigint;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.set_region_risk', ARRAY['region', 'level', 'reason', 'from'],
                                        ARRAY[region IS NULL, level IS NULL, reason IS NULL, "from" IS NULL]);
    IF level NOT IN ('low', 'medium', 'high') THEN
        RAISE EXCEPTION 'invalid risk level: %', quote_literal(level)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The levels are low, medium and high.';
    END IF;
    UPDATE healthhub.region_risk_levels r SET period = tstzrange(lower(r.period), "from")
     WHERE r.region OPERATOR(healthhub.=) set_region_risk.region AND r.period @> "from" AND lower(r.period) < "from";
    DELETE FROM healthhub.region_risk_levels r
     WHERE r.region OPERATOR(healthhub.=) set_region_risk.region AND lower(r.period) >= "from";
    INSERT INTO healthhub.region_risk_levels (region, level, period, reason)
    VALUES (region, level, tstzrange("from", NULL), reason)
    RETURNING risk_key INTO k;
    RETURN k;
END
$$;
COMMENT ON FUNCTION healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz) IS
    'Set a region''s risk level (low, medium, high) from a time on';

REVOKE ALL ON FUNCTION healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz) FROM PUBLIC;
GRANT SELECT ON healthhub.region_risk_levels, healthhub.place_categories TO PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', 'healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.check_places', 'SELECT, INSERT, UPDATE, DELETE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.place_categories', 'SELECT, INSERT, UPDATE, DELETE';
