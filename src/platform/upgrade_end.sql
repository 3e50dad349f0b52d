
-- The end of every upgrade script (the Makefile appends it after the delta
-- and the new areas).  The roles holding a profile have the rights of the
-- release grant_profile ran in; refresh_profile_privileges() gives them
-- this one's (the script cannot: src/platform/profiles.sql says why).
DO $$
BEGIN
    IF EXISTS (SELECT FROM healthhub.role_profiles) THEN
        RAISE WARNING 'roles hold healthhub profiles: give them this release''s rights with SELECT healthhub.refresh_profile_privileges()'
            USING DETAIL = 'Until then a function new in this release is refused to them (42501).';
    END IF;
END
$$;
