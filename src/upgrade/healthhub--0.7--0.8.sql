-- healthhub 0.7 -> 0.8 (the release being built: docs/development.md,
-- "Releases").  Every change to the SQL of src/ since 0.7 is written here
-- too, by hand; t/003 compares the result with a fresh install.  The new
-- room (src/records/) is appended whole by the Makefile (NEW_PARTS).
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.8'" to load this file. \quit

-- One profile check for every area's functions (src/platform/profiles.sql).
CREATE FUNCTION healthhub.require_profile(profiles text[], what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (healthhub.acting_role_is_admin()
            OR EXISTS (SELECT FROM healthhub.effective_profiles(healthhub.acting_role()) ep
                        WHERE ep.profile = ANY (profiles))) THEN
        RAISE EXCEPTION 'role % may not %', healthhub.acting_role(), what
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('That is for the profiles %s and hub_admin.', array_to_string(profiles, ', '));
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.require_profile(text[], text) IS
    'Raise 42501 unless the acting role runs the hub or holds one of the profiles';

REVOKE ALL ON FUNCTION healthhub.require_profile(text[], text) FROM PUBLIC;

-- A person's audit entries, for healthhub.accesses_of (src/platform/audit.sql).
CREATE INDEX audit_entries_person ON healthhub.audit_entries (person_key, entry_id) WHERE person_key IS NOT NULL;
