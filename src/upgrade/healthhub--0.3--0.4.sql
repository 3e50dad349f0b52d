-- healthhub 0.3 -> 0.4: the person index never merges two people and answers
-- each caller only about what it may see (docs/linkage.md).  Hand-written:
-- t/003 checks that an upgraded database equals a fresh 0.4, object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.4'" to load this file. \quit

-- Reliability review 2026-12 (5, 6): load_problem refuses a type it does not
-- know (22023), revoke_profile NULL arguments (22004).
CREATE OR REPLACE FUNCTION healthhub.load_problem(value text, type text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    msg text;
    detail text;
    known boolean := true;
BEGIN
    BEGIN
        CASE type
            WHEN 'timestamptz' THEN PERFORM value::timestamptz;
            WHEN 'uscc' THEN PERFORM value::healthhub.uscc;
            WHEN 'region_code' THEN PERFORM value::healthhub.region_code;
            WHEN 'resident_id' THEN PERFORM healthhub.resident_id(value);
            ELSE known := false;
        END CASE;
    EXCEPTION WHEN data_exception THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        RETURN msg || CASE WHEN detail <> '' THEN ': ' || detail ELSE '' END;
    END;
    -- (raised outside the block: 22023 is a data_exception too)
    IF NOT known THEN
        RAISE EXCEPTION 'load_problem does not know type %', coalesce('"' || type || '"', 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The types are timestamptz, uscc, region_code and resident_id.';
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.revoke_profile(role regrole, profile text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
    other text;
BEGIN
    IF role IS NULL OR profile IS NULL THEN
        RAISE EXCEPTION 'revoke_profile needs a role and a profile'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = CASE WHEN role IS NULL THEN 'The role is NULL.' ELSE 'The profile is NULL.' END;
    END IF;
    DELETE FROM healthhub.role_profiles rp WHERE rp.role_name = rname AND rp.profile = revoke_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not hold profile "%"', role, profile
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM healthhub.apply_profile_privileges(rname, profile, false);
    -- what another profile of the role also grants must stay
    FOR other IN SELECT rp.profile FROM healthhub.role_profiles rp WHERE rp.role_name = rname LOOP
        PERFORM healthhub.apply_profile_privileges(rname, other, true);
    END LOOP;
END
$$;
