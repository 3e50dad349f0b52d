-- Role profiles.  healthhub creates no roles: a DBA creates login roles and
-- gives each one or more profiles with healthhub.grant_profile().  A profile
-- is a set of privileges (healthhub.profile_privileges, filled by each area's
-- SQL) plus, for the profiles that act for an institution, that institution.
--
-- Which institution a connection acts for comes from healthhub.role_profiles,
-- a table the connection cannot write, keyed by current_user: never from a
-- setting, since any role can SET a custom setting.
--
-- A row names its role by OID (a regrole, which pg_dump writes as the name
-- and a restore reads back as the restored role's OID) and by the name it had
-- when the profile was granted; it is in force only while both still match.
-- A dropped login's rows so give nothing to a new role of the same name (new
-- OID), nor to a role that a restore happened to give the old OID (other
-- name); renaming a role ends its profiles until they are granted again.

CREATE TABLE healthhub.profiles (
    profile         text PRIMARY KEY,
    needs_institution boolean NOT NULL,
    description     text NOT NULL
);
INSERT INTO healthhub.profiles VALUES
    ('hub_admin',       false, 'runs the hub: registries, profiles, secrets, checkpoints'),
    ('institution_app', true,  'an institution''s application: rows of its own institution only (RLS)'),
    ('clinician',       true,  'a physician or nurse acting at an institution'),
    ('pharmacist',      true,  'a pharmacist reviewing and dispensing at an institution or pharmacy'),
    ('insurer',         false, 'a medical insurance fund: settlement data'),
    ('statistician',    false, 'aggregates, masked data and pseudonyms only'),
    ('auditor',         false, 'the audit trail, read-only');

-- What each profile may do.  Objects are named by text (a table's qualified
-- name, a function's signature) so the rows survive dump and restore.
CREATE TABLE healthhub.profile_privileges (
    profile     text NOT NULL REFERENCES healthhub.profiles,
    object_kind text NOT NULL CHECK (object_kind IN ('table', 'function', 'sequence')),
    object_name text NOT NULL,
    -- (SELECT may name its columns: "SELECT (a, b)")
    privileges  text NOT NULL
        CHECK (privileges ~ '^(SELECT( \([a-z_]+(, [a-z_]+)*\))?|INSERT|UPDATE|DELETE|EXECUTE|USAGE)(, (SELECT|INSERT|UPDATE|DELETE|USAGE))*$'),
    PRIMARY KEY (profile, object_kind, object_name)
);

CREATE TABLE healthhub.role_profiles (
    role_name       name NOT NULL,
    profile         text NOT NULL REFERENCES healthhub.profiles,
    institution_key bigint,
    granted_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by      name NOT NULL DEFAULT SESSION_USER,
    role            regrole NOT NULL,
    PRIMARY KEY (role, profile)
);
COMMENT ON TABLE healthhub.role_profiles IS 'Which profiles each role holds, and the institution it acts for';
SELECT pg_catalog.pg_extension_config_dump('healthhub.role_profiles', '');

-- Each backend remembers what each role holds (src/platform/role_cache.c);
-- any change here makes them forget.
CREATE FUNCTION healthhub.role_profiles_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'hh_role_profiles_changed' LANGUAGE C;
CREATE TRIGGER role_profiles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON healthhub.role_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.role_profiles_changed();
-- grant_profile and revoke_profile (and any other change) are recorded
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.role_profiles
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('profile', 'role_name,profile', 'access control');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.profiles', 'catalogue', 'shipped profiles'),
    ('healthhub.profile_privileges', 'catalogue', 'written by each area''s install script');

-- The one predicate of every row level security policy (docs/security.md,
-- docs/scale-out.md): each policy is a plain call of it, with no subquery
-- (Citus refuses subqueries in policies).  access is
--   'read'   the caller does not act as an institution's application
--            (institution_app), or the row is of the institution it acts for;
--   'own'    the caller holds hub_admin, or the row is of its institution;
--   'admin'  the caller holds hub_admin;
--   'holder' the row is about role holder (still named holder_name), and
--            the caller is a member of it.
-- What the caller holds is asked once per query (has_profile() and
-- acting_institution(), as the caller), not once per row
-- (src/platform/row_access.c).
CREATE FUNCTION healthhub.row_allowed(access text, institution bigint DEFAULT NULL,
                                      holder regrole DEFAULT NULL, holder_name name DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_row_allowed' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.row_allowed(text, bigint, regrole, name) IS
    'The predicate of every row level security policy: read, own, admin or holder access to a row';

-- A role holds its own profiles and those of the roles it is a member of
-- (a DBA may give a profile to a group and the group to its logins).  Every
-- role may read those rows, and only those.
ALTER TABLE healthhub.role_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_profiles_own ON healthhub.role_profiles FOR SELECT
    USING (healthhub.row_allowed('holder', NULL, role, role_name));
GRANT SELECT ON healthhub.role_profiles TO PUBLIC;
GRANT SELECT ON healthhub.profiles TO PUBLIC;

CREATE FUNCTION healthhub.effective_profiles(role_name name)
    RETURNS TABLE (profile text, institution_key bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT rp.profile, rp.institution_key
      FROM healthhub.role_profiles rp
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) rp.role::pg_catalog.oid
                                 AND r.rolname OPERATOR(pg_catalog.=) rp.role_name
     WHERE pg_catalog.pg_has_role(effective_profiles.role_name, r.oid, 'MEMBER')
       -- a superuser is a "member" of every role; it holds no profile
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles s
                        WHERE s.rolname OPERATOR(pg_catalog.=) effective_profiles.role_name AND s.rolsuper);
END;

-- The institution a role acts for: NULL if none, and NULL (so row level
-- security shows nothing) if its profiles name more than one.
CREATE FUNCTION healthhub.institution_of(role_name name) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN pg_catalog.count(DISTINCT ep.institution_key) OPERATOR(pg_catalog.=) 1
                THEN pg_catalog.min(ep.institution_key) END
      FROM healthhub.effective_profiles(institution_of.role_name) ep
     WHERE ep.institution_key IS NOT NULL;
END;

-- The same for the acting role (healthhub.acting_role(): the caller, also
-- inside SECURITY DEFINER functions), and the profiles it holds, remembered
-- per backend (src/platform/role_cache.c): every step of every area asks,
-- and the queries cost more than most steps.
CREATE FUNCTION healthhub.acting_role_institution() RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_acting_role_institution' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.acting_role_institution() IS
    'The institution the acting role acts for: institution_of(acting_role()), remembered per backend';
CREATE FUNCTION healthhub.acting_role_profiles() RETURNS text[]
    AS 'MODULE_PATHNAME', 'hh_acting_role_profiles' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.acting_role_profiles() IS
    'The profiles the acting role holds (effective_profiles(acting_role())), sorted, remembered per backend';

CREATE FUNCTION healthhub.acting_institution() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN healthhub.institution_of(CURRENT_USER);

CREATE FUNCTION healthhub.has_profile(profile text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM healthhub.effective_profiles(CURRENT_USER) ep
                    WHERE ep.profile OPERATOR(pg_catalog.=) has_profile.profile);
END;

-- Whether the acting role runs the hub: a superuser, or a holder of
-- hub_admin (the one test every area's admin-only paths use).  PL/pgSQL:
-- its plan is kept for the session (a SQL function with these subqueries
-- is planned anew on every call).
CREATE FUNCTION healthhub.acting_role_is_admin() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN 'hub_admin' = ANY (healthhub.acting_role_profiles())
           OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role());
END
$$;
COMMENT ON FUNCTION healthhub.acting_role_is_admin() IS
    'Whether the acting role is a superuser or holds hub_admin';
REVOKE ALL ON FUNCTION healthhub.acting_role_is_admin() FROM PUBLIC;

-- 42501 unless the acting role runs the hub or holds one of the profiles
-- ("what" completes "role ... may not ..."): the check at the top of each
-- SECURITY DEFINER function of an area.
CREATE FUNCTION healthhub.require_profile(profiles text[], what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (the profiles first: most callers hold one)
    IF NOT healthhub.acting_role_profiles() && profiles AND NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % may not %', healthhub.acting_role(), what
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = CASE WHEN cardinality(profiles) = 0 THEN 'That is for hub_admin.'
                                ELSE format('That is for the profiles %s and hub_admin.', array_to_string(profiles, ', ')) END;
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.require_profile(text[], text) IS
    'Raise 42501 unless the acting role runs the hub or holds one of the profiles';
REVOKE ALL ON FUNCTION healthhub.require_profile(text[], text) FROM PUBLIC;

-- Grant (or re-grant) the privileges of every profile a role holds.
CREATE FUNCTION healthhub.apply_profile_privileges(role_name name, profile text, grant_them boolean)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT pp.object_kind, pp.object_name, pp.privileges
               FROM healthhub.profile_privileges pp
              WHERE pp.profile = apply_profile_privileges.profile
              ORDER BY pp.object_kind, pp.object_name
    LOOP
        -- object names come from the extension's own table, the role is quoted
        EXECUTE format(CASE WHEN grant_them THEN 'GRANT %s ON %s %s TO %I' ELSE 'REVOKE %s ON %s %s FROM %I' END,
                       p.privileges, upper(p.object_kind), p.object_name, role_name);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION healthhub.apply_profile_privileges(name, text, boolean) FROM PUBLIC;

-- Give every role holding a profile the rights its profile has now: run
-- once after ALTER EXTENSION healthhub UPDATE (a release's new functions).
-- The upgrade script cannot: a GRANT made in an extension script is
-- recorded as the extension's own initial privilege, which pg_dump leaves
-- out (the restored hub would lack it).  Returns the grants applied.
CREATE FUNCTION healthhub.refresh_profile_privileges() RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rp record;
    applied integer := 0;
BEGIN
    FOR rp IN SELECT r.role_name, r.profile FROM healthhub.role_profiles r ORDER BY r.role_name, r.profile LOOP
        PERFORM healthhub.apply_profile_privileges(rp.role_name, rp.profile, true);
        applied := applied + 1;
    END LOOP;
    RETURN applied;
END
$$;
REVOKE ALL ON FUNCTION healthhub.refresh_profile_privileges() FROM PUBLIC;
COMMENT ON FUNCTION healthhub.refresh_profile_privileges() IS
    'After ALTER EXTENSION healthhub UPDATE: the roles holding profiles get the rights their profiles gained';

CREATE FUNCTION healthhub.grant_profile(role regrole, profile text, institution bigint DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def healthhub.profiles%ROWTYPE;
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
BEGIN
    PERFORM healthhub.require_arguments('healthhub.grant_profile', ARRAY['role', 'profile'],
                                        ARRAY[role IS NULL, profile IS NULL]);
    SELECT * INTO def FROM healthhub.profiles p WHERE p.profile = grant_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown profile "%"', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The profiles are listed in healthhub.profiles.';
    END IF;
    IF def.needs_institution AND institution IS NULL THEN
        RAISE EXCEPTION 'profile "%" acts for an institution', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the institution key: healthhub.grant_profile(role, profile, institution).';
    END IF;
    IF NOT def.needs_institution AND institution IS NOT NULL THEN
        RAISE EXCEPTION 'profile "%" does not act for an institution', profile
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM healthhub.role_profiles rp
                WHERE rp.role = grant_profile.role AND rp.role_name = rname AND rp.institution_key IS DISTINCT FROM institution
                  AND rp.institution_key IS NOT NULL AND institution IS NOT NULL) THEN
        RAISE EXCEPTION 'role % already acts for another institution', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A role acts for one institution; create one role per institution.';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE oid = role) THEN
        RAISE EXCEPTION 'role % is a superuser', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Superusers bypass row level security; profiles are for ordinary roles.';
    END IF;
    -- (a row of the role's earlier name is replaced: it was not in force)
    INSERT INTO healthhub.role_profiles (role, role_name, profile, institution_key)
    VALUES (role, rname, profile, institution)
    ON CONFLICT ON CONSTRAINT role_profiles_pkey
    DO UPDATE SET institution_key = EXCLUDED.institution_key, role_name = EXCLUDED.role_name,
                  granted_at = now(), granted_by = SESSION_USER;
    PERFORM healthhub.apply_profile_privileges(rname, profile, true);
END
$$;

CREATE FUNCTION healthhub.revoke_profile(role regrole, profile text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
    other text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.revoke_profile', ARRAY['role', 'profile'],
                                        ARRAY[role IS NULL, profile IS NULL]);
    DELETE FROM healthhub.role_profiles rp WHERE rp.role = revoke_profile.role AND rp.profile = revoke_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not hold profile "%"', role, profile
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM healthhub.apply_profile_privileges(rname, profile, false);
    -- what another profile of the role also grants must stay
    FOR other IN SELECT rp.profile FROM healthhub.role_profiles rp
                  WHERE rp.role = revoke_profile.role AND rp.role_name = rname LOOP
        PERFORM healthhub.apply_profile_privileges(rname, other, true);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION healthhub.grant_profile(regrole, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_profile(regrole, text) FROM PUBLIC;
