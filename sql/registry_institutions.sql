-- Institutions, insurance designation periods, consortia, row level security.
SET search_path = healthhub, public;
SET timezone = 'Asia/Shanghai';
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
-- this hub is 440300 instance 1 (earlier tests may have left another identity)
DELETE FROM hub;
SELECT init_hub('440300', 1) AS hub;

INSERT INTO institutions (name, kind, level, grade, region, uscc, practice_licence_no, insurance_code, valid)
VALUES ('深圳市人民医院', 'hospital', '3', '甲', '440303', '121200004013590816', 'PDY00001', 'H44030300001', '[2000-01-01,)'),
       ('深圳市人民医院龙华分院', 'hospital', '3', '甲', '440303', '121200004013590816', 'PDY00002', NULL, '[2005-01-01,)'),
       ('福田区某村卫生室', 'village_clinic', NULL, NULL, '440304', NULL, NULL, NULL, '[2010-01-01,)');
-- campuses share a USCC; keys are minted, embed the hub, and belong to it
SELECT count(*) AS sharing_uscc FROM institutions WHERE uscc = '121200004013590816'::uscc;
SELECT name, key_hub(institution_key) = hub_id AS key_embeds_hub, hub_id = hub_id() AS this_hub FROM institutions ORDER BY name;

-- bad rows: each refused with its constraint (explicit key and period keep DETAIL stable)
INSERT INTO institutions (institution_key, valid, name, kind, region) VALUES (1, '[2020-01-01,)', 'x', 'clinic', '440303');
INSERT INTO institutions (institution_key, valid, name, kind, level, grade, region) VALUES (1, '[2020-01-01,)', 'x', 'hospital', NULL, '甲', '440303');
INSERT INTO institutions (institution_key, valid, name, kind, level, grade, region) VALUES (1, '[2020-01-01,)', 'x', 'hospital', '2', '特', '440303');
INSERT INTO institutions (institution_key, valid, name, kind, level, region) VALUES (1, '[2020-01-01,)', 'x', 'hospital', '4', '440303');
INSERT INTO institutions (institution_key, valid, name, kind, region) VALUES (1, '[2020-01-01,)', 'x', 'hospital', '449999');
INSERT INTO institutions (institution_key, valid, name, kind, region) VALUES (1, '[2020-01-01,)', '', 'hospital', '440303');
INSERT INTO institutions (institution_key, valid, name, kind, region) VALUES (1, '(,2020-01-01)', 'x', 'hospital', '440303');
INSERT INTO institutions (name, kind, region, uscc) VALUES ('x', 'hospital', '440303', '12120000401359081X');
INSERT INTO institutions (name, kind, region, practice_licence_no) VALUES ('x', 'hospital', '440303', 'PDY00001');

-- designated for insurance: periods of one institution never overlap (GiST, no btree_gist)
INSERT INTO insurance_designations (institution_key, period)
SELECT institution_key, '[2019-01-01,2022-01-01)' FROM institutions WHERE name = '深圳市人民医院';
INSERT INTO insurance_designations (institution_key, period)
SELECT institution_key, '[2022-01-01,)' FROM institutions WHERE name = '深圳市人民医院';
\set VERBOSITY terse
-- (terse: the DETAIL of an exclusion violation shows the minted keys)
INSERT INTO insurance_designations (institution_key, period)
SELECT institution_key, '[2021-06-01,2021-07-01)' FROM institutions WHERE name = '深圳市人民医院';
SELECT i.name, d.period FROM insurance_designations d JOIN institutions i USING (institution_key) ORDER BY 2;

-- consortia: one lead at a time, memberships without overlaps
INSERT INTO consortia (name, kind) VALUES ('罗湖医院集团', 'urban_medical_group');
INSERT INTO consortium_members (consortium_key, institution_key, role, period)
SELECT c.consortium_key, i.institution_key, CASE WHEN i.name = '深圳市人民医院' THEN 'lead' ELSE 'member' END, '[2020-01-01,)'
  FROM consortia c, institutions i;
INSERT INTO consortium_members (consortium_key, institution_key, role, period)
SELECT c.consortium_key, i.institution_key, 'lead', '[2021-01-01,2021-02-01)'
  FROM consortia c, institutions i WHERE i.name = '福田区某村卫生室';
INSERT INTO consortium_members (consortium_key, institution_key, role, period)
SELECT c.consortium_key, i.institution_key, 'lead', '[2019-01-01,2019-06-01)'
  FROM consortia c, institutions i WHERE i.name = '福田区某村卫生室';
INSERT INTO consortium_members (consortium_key, institution_key, role, period)
SELECT c.consortium_key, i.institution_key, 'lead', '[2019-03-01,2019-04-01)'
  FROM consortia c, institutions i WHERE i.name = '深圳市人民医院龙华分院';
\set VERBOSITY default
INSERT INTO consortia (consortium_key, name, kind) VALUES (1, 'x', 'club');
SELECT i.name, m.role, m.period FROM consortium_members m JOIN institutions i USING (institution_key) ORDER BY 1, 3;

-- row level security: an institution's application sees its own institution only
CREATE ROLE reg_app_a;
CREATE ROLE reg_stat;
SELECT grant_profile('reg_app_a', 'institution_app', (SELECT institution_key FROM institutions WHERE name = '深圳市人民医院'));
SELECT grant_profile('reg_stat', 'statistician');
SET ROLE reg_app_a;
SELECT name FROM institutions ORDER BY 1;
SET healthhub.acting_institution = '0';          -- a setting does not widen access
SELECT count(*) AS still_one FROM institutions;
INSERT INTO institutions (name, kind, region) VALUES ('y', 'hospital', '440303');
RESET ROLE;
SET ROLE reg_stat;
SELECT count(*) AS all_institutions FROM institutions;
SELECT count(*) FROM practitioners;            -- personal data: refused
SELECT count(*) AS facts FROM licence_facts;
RESET ROLE;
SELECT revoke_profile('reg_app_a', 'institution_app');
SELECT revoke_profile('reg_stat', 'statistician');
DROP ROLE reg_app_a;
DROP ROLE reg_stat;

-- every profile privilege names an object that exists
SELECT pp.profile, pp.object_name FROM profile_privileges pp
 WHERE pp.object_kind = 'table' AND to_regclass(pp.object_name) IS NULL
    OR pp.object_kind = 'function' AND to_regprocedure(pp.object_name) IS NULL;

DELETE FROM consortium_members; DELETE FROM consortia; DELETE FROM insurance_designations; DELETE FROM institutions;
