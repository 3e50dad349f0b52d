-- Practitioners, licences, registrations, privileges, status history,
-- blacklist, and the question: may P act as KIND (with X) at I at T?
SET search_path = healthhub, public;
SET timezone = 'Asia/Shanghai';
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
DELETE FROM hub;
SELECT init_hub('440300', 1) AS hub;
SELECT coalesce(max(entry_id), 0) AS trail_start FROM audit_entries \gset

INSERT INTO institutions (name, kind, level, grade, region, valid) VALUES
    ('甲医院', 'hospital', '3', '甲', '440303', '[2000-01-01,)'),
    ('乙社康', 'primary_care', NULL, NULL, '440304', '[2000-01-01,)'),
    ('丙药房', 'retail_pharmacy', NULL, NULL, '440305', '[2000-01-01,)');
INSERT INTO practitioners (name, resident_id) VALUES ('张医生', '11010519491231002X'), ('李药师', NULL);
CREATE TEMP VIEW k AS SELECT
    (SELECT practitioner_key FROM practitioners WHERE name = '张医生') AS zhang,
    (SELECT practitioner_key FROM practitioners WHERE name = '李药师') AS li,
    (SELECT institution_key FROM institutions WHERE name = '甲医院') AS a,
    (SELECT institution_key FROM institutions WHERE name = '乙社康') AS b,
    (SELECT institution_key FROM institutions WHERE name = '丙药房') AS c;

INSERT INTO licences (licence_no, practitioner_key, kind, scope, validity)
SELECT 'D-110001', zhang, 'physician', '内科', '[2020-01-01,2030-01-01)'::tstzrange FROM k UNION ALL
SELECT 'F-220001', li, 'pharmacist', NULL, '[2021-01-01,)'::tstzrange FROM k;
-- multi-site practice: primary at A, additional at B
INSERT INTO registrations (licence_key, institution_key, role, period)
SELECT l.licence_key, k.a, 'primary', '[2020-01-01,)'::tstzrange FROM licences l, k WHERE l.licence_no = 'D-110001' UNION ALL
SELECT l.licence_key, k.b, 'additional', '[2022-01-01,2023-01-01)'::tstzrange FROM licences l, k WHERE l.licence_no = 'D-110001' UNION ALL
SELECT l.licence_key, k.c, 'primary', '[2021-01-01,)'::tstzrange FROM licences l, k WHERE l.licence_no = 'F-220001';
INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period)
SELECT zhang, a, 'antimicrobial_special', '[2021-01-01,)'::tstzrange FROM k UNION ALL
SELECT zhang, a, 'narcotic', '[2023-01-01,2024-01-01)'::tstzrange FROM k;

-- one answer per (practitioner, act, institution, time, privilege)
SELECT t.at, t.act, t.inst, t.priv,
       may_practise(CASE t.who WHEN 'zhang' THEN k.zhang ELSE k.li END, t.act,
                    CASE t.inst WHEN 'A' THEN k.a WHEN 'B' THEN k.b ELSE k.c END, t.at::timestamptz, t.priv) AS may,
       why_not_practise(CASE t.who WHEN 'zhang' THEN k.zhang ELSE k.li END, t.act,
                    CASE t.inst WHEN 'A' THEN k.a WHEN 'B' THEN k.b ELSE k.c END, t.at::timestamptz, t.priv) AS why_not
  FROM k, (VALUES ('zhang', 'physician', 'A', '2022-06-01', NULL),
                  ('zhang', 'physician', 'B', '2022-06-01', NULL),
                  ('zhang', 'physician', 'B', '2023-06-01', NULL),
                  ('zhang', 'physician', 'C', '2022-06-01', NULL),
                  ('zhang', 'physician', 'A', '2019-06-01', NULL),
                  ('zhang', 'physician', 'A', '2031-06-01', NULL),
                  ('zhang', 'pharmacist', 'A', '2022-06-01', NULL),
                  ('zhang', 'physician', 'A', '2022-06-01', 'antimicrobial_restricted'),
                  ('zhang', 'physician', 'A', '2023-06-01', 'narcotic'),
                  ('zhang', 'physician', 'A', '2024-06-01', 'narcotic'),
                  ('zhang', 'physician', 'A', '2022-06-01', 'psychotropic_1'),
                  ('li', 'pharmacist', 'C', '2022-06-01', NULL)) t(who, act, inst, at, priv)
 ORDER BY t.who DESC, t.act, t.inst, t.at, t.priv;

-- bad parameters
SELECT may_practise(zhang, 'surgeon', a) FROM k;
SELECT may_practise(zhang, 'physician', a, now(), 'opium') FROM k;
SELECT why_not_practise(zhang, 'physician', NULL) FROM k;
SELECT may_practise(zhang, 'physician', a, NULL) AS at_null_is_never FROM k;

-- status changes: suspension, reinstatement, revocation (final)
SELECT change_licence_status('D-110001', 'suspended', '暂停执业六个月', '2024-06-01');
SELECT change_licence_status('D-110001', 'suspended', 'again', '2024-07-01');
SELECT change_licence_status('D-110001', 'active', '期满恢复', '2024-12-01');
SELECT at, may_practise(zhang, 'physician', a, at::timestamptz) AS may,
       why_not_practise(zhang, 'physician', a, at::timestamptz) AS why_not
  FROM k, (VALUES ('2024-05-31'), ('2024-06-01'), ('2024-12-01')) v(at) ORDER BY 1;
SELECT licence_no, status, status_effective FROM licences ORDER BY 1;
SELECT change_licence_status('D-110001', 'revoked', '吊销执业证书', '2025-03-01');
SELECT change_licence_status('D-110001', 'active', '申诉', '2025-04-01');
SELECT change_licence_status('D-110001', 'expired', 'x');
SELECT change_licence_status('D-110001', 'suspended', ' ');
SELECT change_licence_status('D-999999', 'suspended', 'x');
SELECT change_licence_status('D-110001', 'suspended', 'x', 'infinity');
SELECT why_not_practise(zhang, 'physician', a, '2025-06-01') FROM k;
SELECT status, effective, reason FROM licence_status_history ORDER BY effective;

-- the history is append-only; the status changes through it only
UPDATE licence_status_history SET reason = 'x';
DELETE FROM licence_status_history;
TRUNCATE licence_status_history;
UPDATE licences SET status = 'active' WHERE licence_no = 'D-110001';
-- nor from a trigger, at any depth (0.4 let an update from a trigger of
-- depth 2 through: a temporary table's trigger was enough)
CREATE TEMP TABLE lever (x int);
CREATE FUNCTION pg_temp.pull() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE healthhub.licences SET status = 'active' WHERE licence_no = 'D-110001';
    RETURN NULL;
END
$$;
CREATE TRIGGER pull AFTER INSERT ON lever FOR EACH ROW EXECUTE FUNCTION pg_temp.pull();
\set SHOW_CONTEXT never
INSERT INTO lever VALUES (1);
SELECT licence_no, status FROM licences WHERE licence_no = 'D-110001';
DROP TABLE lever;

-- blacklist: one violation, restricted everywhere
SELECT blacklist_practitioner(li, '违规调剂', '省卫健委', '[2023-01-01,)') IS NOT NULL AS listed FROM k;
SELECT may_practise(li, 'pharmacist', c, '2022-06-01') AS before, may_practise(li, 'pharmacist', c, '2023-06-01') AS after,
       why_not_practise(li, 'pharmacist', c, '2023-06-01') FROM k;
SELECT lift_blacklist(entry_key, '2024-01-01') FROM blacklist;
SELECT may_practise(li, 'pharmacist', c, '2024-06-01') AS lifted FROM k;
SELECT blacklist_institution(c, '无证经营', '市场监管局', '[2024-03-01,2024-04-01)') IS NOT NULL AS listed FROM k;
SELECT why_not_practise(li, 'pharmacist', c, '2024-03-15') FROM k;
SELECT blacklist_practitioner(li, '', 'x') FROM k;
SELECT blacklist_practitioner(li, 'x', 'y', '(,2024-01-01)') FROM k;
SELECT blacklist_practitioner(1, 'x', 'y');
SELECT lift_blacklist(1);
-- what the trail received
SELECT action, object_kind, object_id IS NOT NULL AS has_object, practitioner_key IS NOT NULL AS names_practitioner
  FROM audit_entries WHERE entry_id > :trail_start ORDER BY entry_id;

-- assert_may_practise: 42501 with the reason
\set VERBOSITY default
SELECT assert_may_practise(li, 'pharmacist', c) FROM k;
SELECT assert_may_practise(zhang, 'physician', a) FROM k;

-- institution_app sees its own registrations and grants privileges there only
CREATE ROLE reg_app_c;
SELECT grant_profile('reg_app_c', 'institution_app', c) FROM k;
GRANT SELECT ON k TO reg_app_c;
SET ROLE reg_app_c;
SELECT count(*) AS own_registrations FROM registrations;
SELECT name FROM practitioner_directory;
SELECT resident_id FROM practitioners;
INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period)
SELECT li, c, 'psychotropic_1', '[2024-06-01,)'::tstzrange FROM k;
INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period)
SELECT zhang, a, 'psychotropic_1', '[2024-06-01,)'::tstzrange FROM k;
SELECT may_practise(li, 'pharmacist', c, '2024-07-01', 'psychotropic_1') FROM k;
-- why not, without the licence's number or the reason for its suspension
-- (the licensing authority's; 0.4 told every institution both)
SELECT why_not_practise(zhang, 'physician', c, '2024-06-15') AS app_is_told FROM k;
RESET ROLE;
SELECT why_not_practise(zhang, 'physician', c, '2024-06-15') AS admin_is_told FROM k;
SELECT revoke_profile('reg_app_c', 'institution_app');
REVOKE SELECT ON k FROM reg_app_c;
DROP ROLE reg_app_c;

-- derived rights can be rebuilt from scratch and come out the same
CREATE TEMP TABLE before AS SELECT * FROM practice_rights;
DELETE FROM practice_rights;
SELECT recompute_practice_rights() AS rows;
SELECT count(*) AS differences FROM ((TABLE before EXCEPT TABLE practice_rights) UNION ALL (TABLE practice_rights EXCEPT TABLE before)) d;

-- may_practise reads the derived rights; why_not_practise reads the sources
-- again: the two must agree on every practitioner, act, institution,
-- privilege and time (twice a year, across suspensions, the revocation and
-- the blacklist above)
SELECT count(*) AS questions,
       count(*) FILTER (WHERE healthhub.may_practise(p.practitioner_key, a.act, i.institution_key, t.at, v.priv)
                              IS DISTINCT FROM
                              (healthhub.why_not_practise(p.practitioner_key, a.act, i.institution_key, t.at, v.priv) IS NULL))
         AS answers_that_disagree
  FROM k, practitioners p, institutions i,
       (VALUES ('physician'), ('pharmacist')) a(act),
       (VALUES (NULL::text), ('antimicrobial_restricted'), ('narcotic'), ('psychotropic_1')) v(priv),
       generate_series(timestamptz '2019-07-01', '2031-01-01', '6 months') t(at)
 WHERE p.practitioner_key IN (k.zhang, k.li) AND i.institution_key IN (k.a, k.b, k.c);
