-- The privilege matrix: a login of each profile against every table, view,
-- sequence and function of the extension, for every privilege, compared
-- with what healthhub.profile_privileges says the profile gets (and what
-- PUBLIC gets).  Every difference is a row below; there must be none.  A
-- right granted by hand, or a row whose grant did not happen, shows here.
SET search_path = healthhub, public;
\set VERBOSITY default
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
INSERT INTO institutions (name, kind, region, source, source_ref, valid)
VALUES ('矩阵测试医院', 'hospital', '440305', 'matrix-test', 'MX', '[2000-01-01,)');
CREATE TEMP TABLE matrix_roles AS
SELECT p.profile, 'matrix_' || p.profile AS role_name, p.needs_institution FROM profiles p;
SELECT count(*) AS profiles FROM matrix_roles;
DO $$
DECLARE
    m record;
BEGIN
    FOR m IN SELECT * FROM matrix_roles ORDER BY profile LOOP
        EXECUTE format('CREATE ROLE %I', m.role_name);
        PERFORM healthhub.grant_profile(m.role_name::regrole, m.profile,
                    CASE WHEN m.needs_institution
                         THEN (SELECT i.institution_key FROM healthhub.institutions i WHERE i.source_ref = 'MX') END);
    END LOOP;
END
$$;

-- every object of the extension and every privilege it can have
CREATE TEMP TABLE matrix_objects AS
SELECT 'table' AS kind, c.oid AS oid, c.oid::regclass::text AS name, p.privilege
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                        AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'healthhub')
 CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p(privilege)
 WHERE c.relkind IN ('r', 'p', 'v', 'm')
UNION ALL
SELECT 'sequence', c.oid, c.oid::regclass::text, 'USAGE'
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                        AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'healthhub')
 WHERE c.relkind = 'S'
UNION ALL
SELECT 'function', p.oid, p.oid::regprocedure::text, 'EXECUTE'
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
                       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'healthhub');
SELECT kind, count(DISTINCT oid) > 0 AS found FROM matrix_objects GROUP BY 1 ORDER BY 1;

-- whether a role has a privilege on an object (on some columns counts)
CREATE FUNCTION pg_temp.has(role_name text, kind text, o oid, privilege text) RETURNS boolean LANGUAGE sql AS $$
    SELECT CASE kind WHEN 'function' THEN has_function_privilege(role_name, o, privilege)
                     WHEN 'sequence' THEN has_sequence_privilege(role_name, o, privilege)
                     ELSE has_table_privilege(role_name, o, privilege)
                          OR (privilege IN ('SELECT', 'INSERT', 'UPDATE')
                              AND has_any_column_privilege(role_name, o, privilege)) END
$$;
-- what the rows grant
CREATE TEMP TABLE matrix_granted AS
SELECT pp.profile, CASE WHEN pp.object_kind = 'function' THEN to_regprocedure(pp.object_name)::oid
                        ELSE to_regclass(pp.object_name)::oid END AS oid,
       split_part(btrim(g.privilege), ' ', 1) AS privilege
  FROM profile_privileges pp
 CROSS JOIN LATERAL unnest(string_to_array(regexp_replace(pp.privileges, '\(.*\)', ''), ',')) g(privilege);
-- rows that name no object of the extension
SELECT profile, object_name FROM profile_privileges pp
 WHERE CASE WHEN pp.object_kind = 'function' THEN to_regprocedure(pp.object_name)::oid
            ELSE to_regclass(pp.object_name)::oid END IS NULL;

-- every difference between what a profile's login may do and what the rows
-- (or PUBLIC's rights) say
SELECT r.profile, o.kind, o.name, o.privilege, pg_temp.has(r.role_name, o.kind, o.oid, o.privilege) AS has
  FROM matrix_roles r CROSS JOIN matrix_objects o
 WHERE pg_temp.has(r.role_name, o.kind, o.oid, o.privilege)
       IS DISTINCT FROM
       (EXISTS (SELECT FROM matrix_granted g WHERE g.profile = r.profile AND g.oid = o.oid
                                              AND g.privilege = o.privilege)
        OR pg_temp.has('public', o.kind, o.oid, o.privilege))
 ORDER BY 1, 2, 3, 4;

-- and how many rights each profile has beyond PUBLIC's (a change here is a
-- change of the matrix)
SELECT r.profile,
       count(*) FILTER (WHERE o.kind = 'function') AS functions,
       count(*) FILTER (WHERE o.kind = 'table') AS table_rights,
       count(*) FILTER (WHERE o.kind = 'sequence') AS sequences
  FROM matrix_roles r CROSS JOIN matrix_objects o
 WHERE pg_temp.has(r.role_name, o.kind, o.oid, o.privilege) AND NOT pg_temp.has('public', o.kind, o.oid, o.privilege)
 GROUP BY 1 ORDER BY 1;

DO $$
DECLARE
    m record;
BEGIN
    FOR m IN SELECT * FROM matrix_roles ORDER BY profile LOOP
        PERFORM healthhub.revoke_profile(m.role_name::regrole, m.profile);
        EXECUTE format('DROP ROLE %I', m.role_name);
    END LOOP;
END
$$;
DELETE FROM institutions WHERE source = 'matrix-test';
