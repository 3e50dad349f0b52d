-- docs/security.md, "Who may do what": every row of
-- healthhub.profile_privileges, one line per object, in ACL letters
-- (r SELECT, r* SELECT of some columns, a INSERT, w UPDATE, d DELETE,
-- U USAGE, X EXECUTE).  scripts/gen-docs.sh writes it; t/009 checks it.
WITH letters AS (
    SELECT pp.object_kind, pp.object_name, pp.profile,
           concat_ws('', CASE WHEN pp.privileges ~ '^SELECT \(' THEN 'r*'
                              WHEN pp.privileges ~ 'SELECT' THEN 'r' END,
                     CASE WHEN pp.privileges ~ 'INSERT' THEN 'a' END,
                     CASE WHEN pp.privileges ~ 'UPDATE' THEN 'w' END,
                     CASE WHEN pp.privileges ~ 'DELETE' THEN 'd' END,
                     CASE WHEN pp.privileges ~ 'USAGE' THEN 'U' END,
                     CASE WHEN pp.privileges ~ 'EXECUTE' THEN 'X' END) AS acl
      FROM healthhub.profile_privileges pp),
-- (every profile: the first seven in their order of 0.2, later ones by name)
profiles(profile, ord) AS (
    SELECT p.profile, coalesce(array_position(ARRAY['hub_admin', 'institution_app', 'clinician', 'pharmacist',
                                                    'insurer', 'statistician', 'auditor'], p.profile), 100)
      FROM healthhub.profiles p)
SELECT line FROM (
    SELECT 0 AS part, '' AS k, '' AS n,
           '| object | ' || (SELECT string_agg(profile, ' | ' ORDER BY ord, profile) FROM profiles) || ' |' AS line
    UNION ALL
    SELECT 1, '', '', '|---|' || (SELECT string_agg(':-:', '|') FROM profiles) || '|'
    UNION ALL
    SELECT 2, o.object_kind, o.object_name,
           format('| `%s` | %s |', o.object_name,
                  (SELECT string_agg(coalesce(l.acl, ''), ' | ' ORDER BY p.ord, p.profile)
                     FROM profiles p
                     LEFT JOIN letters l ON l.profile = p.profile AND l.object_kind = o.object_kind
                                        AND l.object_name = o.object_name))
      FROM (SELECT DISTINCT object_kind, object_name FROM letters) o
) t
ORDER BY part, k DESC, n;
