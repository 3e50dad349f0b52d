-- Loading registries: COPY into staging, validate, report every bad row,
-- load the good ones; (source, digest) makes a reload a no-op; snapshot vs delta.
SET search_path = healthhub, public;
SET timezone = 'Asia/Shanghai';
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
DELETE FROM hub;
SELECT init_hub('440300', 1) AS hub;
-- an institution of another source holds an insurance code the file repeats
INSERT INTO institutions (name, kind, region, source, source_ref, insurance_code, valid)
VALUES ('别处医院', 'hospital', '440303', 'other', 'X1', 'H44030399999', '[2000-01-01,)');

COPY stage_institutions (source_ref, name, kind, level, grade, region, uscc, practice_licence_no, insurance_code, valid_from, valid_to) FROM stdin WITH (FORMAT csv);
H001,罗湖医院,hospital,3,甲,440303,121200004013590816,PDY10001,H44030300101,2000-01-01,
H002,福田社康,primary_care,,,440304,,,,2010-01-01,
H003,,clinic,4,甲,449999,12120000401359081X,,,2010-13-01,
H001,重复,hospital,,,440303,,,,2000-01-01,
H004,南山药房,retail_pharmacy,,,440305,,,,2015-01-01,2012-01-01
H005,盐田医院,hospital,2,甲,440308,,PDY10001,H44030399999,2000-01-01,
H006,大鹏门诊,primary_care,,,440307,,P 1,bad code!,2000-01-01,
\.
COPY stage_practitioners (source_ref, resident_id, name) FROM stdin WITH (FORMAT csv);
D001,440304198001010017,王医生
D002,110105194912310021,赵医生
D003,,
\.
COPY stage_licences (licence_no, practitioner_ref, kind, scope, valid_from, valid_to, status) FROM stdin WITH (FORMAT csv);
L-0001,D001,physician,内科,2020-01-01,2030-01-01,active
L-0002,D002,physician,外科,2020-01-01,,
L-0003,D001,surgeon,,2020-01-01,,
L 4,D001,nurse,,,,frozen
\.
COPY stage_registrations (source_ref, licence_no, institution_ref, role, valid_from, valid_to) FROM stdin WITH (FORMAT csv);
R1,L-0001,H001,primary,2020-01-01,
R2,L-0001,H002,additional,2021-01-01,
R3,L-0001,H009,additional,2021-01-01,
R4,L-0001,H002,chief,2021-01-01,
R5,L-0001,H002,additional,2022-01-01,2023-01-01
R6,L-0001,H002,primary,2019-01-01,
\.
COPY stage_blacklist (source_ref, subject_kind, subject_ref, reason, valid_from, valid_to) FROM stdin WITH (FORMAT csv);
B1,institution,H002,医保欺诈,2024-01-01,2024-07-01
B2,hospital,H001,x,2024-01-01,
\.
SELECT max(entry_id) AS mark FROM audit_entries \gset
SELECT entity, staged, loaded, ended, rejected, already_loaded FROM load_registry('nhc', repeat('ab', 32), 'snapshot');
-- the load is recorded once, by its own entry (object id = the load id):
-- not one entry per row it wrote or rejected (load.insert/update: its loads row)
SELECT a.action, a.object_id = l.load_id::text AS is_the_load, a.outcome, count(*)
  FROM audit_entries a LEFT JOIN loads l ON l.source = 'nhc'
 WHERE a.entry_id > :mark GROUP BY 1, 2, 3 ORDER BY 1;
SELECT kind, mode, file_digest FROM loads WHERE source = 'nhc';
-- every bad row, every bad column (identity numbers appear masked)
SELECT e.entity, e.line_no, e.column_name, e.value, e.reason FROM load_errors e JOIN loads l USING (load_id)
 WHERE l.source = 'nhc' ORDER BY e.entity, e.line_no, e.column_name;
SELECT name, kind, level, grade, region, valid FROM institutions WHERE source = 'nhc' ORDER BY name;
SELECT w.name, i.name AS institution, may_practise(p.practitioner_key, 'physician', i.institution_key, '2024-03-01') AS may_2024_03,
       may_practise(p.practitioner_key, 'physician', i.institution_key, '2024-09-01') AS may_2024_09
  FROM practitioners p JOIN practitioner_directory w USING (practitioner_key), institutions i
 WHERE i.source = 'nhc' AND p.source = 'nhc' ORDER BY 1, i.name;
SELECT count(*) AS staged_left FROM stage_institutions;

-- the same file again: nothing changes
SELECT count(*) AS audit_before FROM audit_entries \gset
SELECT entity, staged, loaded, ended, rejected, already_loaded FROM load_registry('nhc', repeat('AB', 32), 'snapshot');
SELECT count(*) - :audit_before AS new_audit_entries FROM audit_entries;
SELECT count(*) AS loads FROM loads WHERE source = 'nhc';

-- a delta: new and changed rows only, nothing ended; once the load has
-- ended, rows changed in its transaction are recorded one by one again
SELECT max(entry_id) AS mark FROM audit_entries \gset
BEGIN;
COPY stage_licences (licence_no, practitioner_ref, kind, scope, valid_from, valid_to, status) FROM stdin WITH (FORMAT csv);
L-0001,D001,physician,内科,2020-01-01,2030-01-01,suspended
\.
SELECT entity, staged, loaded, ended, rejected FROM load_registry('nhc', 'sha256:' || repeat('cd', 32), 'delta');
SELECT load_in_progress() AS marker_after_load;
UPDATE institutions SET name = name || '(改)' WHERE source = 'nhc';
COMMIT;
UPDATE institutions SET name = replace(name, '(改)', '') WHERE source = 'nhc';
SELECT action, count(*) FROM audit_entries WHERE entry_id > :mark GROUP BY 1 ORDER BY 1;
SELECT licence_no, status FROM licences WHERE source = 'nhc';
SELECT count(*) AS institutions_still_open FROM institutions WHERE source = 'nhc' AND upper_inf(valid);

-- a snapshot without 福田社康: it is ended, and with it the right to practise there
COPY stage_institutions (source_ref, name, kind, level, grade, region, valid_from) FROM stdin WITH (FORMAT csv);
H001,罗湖医院,hospital,3,甲,440303,2000-01-01
\.
SELECT entity, staged, loaded, ended, rejected FROM load_registry('nhc', repeat('ef', 32), 'snapshot');
SELECT name, upper_inf(valid) AS open FROM institutions WHERE source = 'nhc' ORDER BY name;

-- bad parameters
SELECT * FROM load_registry('nhc', 'not a digest', 'snapshot');
SELECT * FROM load_registry('', repeat('ab', 32), 'snapshot');
SELECT * FROM load_registry('nhc', repeat('ab', 32), 'full');

-- The marker "this transaction writes a load" cannot be used by hub_admin (42501)
CREATE ROLE rl_admin;
SELECT grant_profile('rl_admin', 'hub_admin');
SET SESSION AUTHORIZATION rl_admin;
SELECT begin_load_writes(1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM begin_load('registry', 'nhc', repeat('12', 32), 'delta');
\echo :LAST_ERROR_SQLSTATE
SELECT load_in_progress() AS marker;
RESET SESSION AUTHORIZATION;
-- a load that fails inside a savepoint leaves no marker behind
BEGIN;
SAVEPOINT s;
SELECT begin_load_writes(42);
SELECT load_in_progress() AS marker_in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT load_in_progress() AS marker_after_rollback;
COMMIT;
-- the same load begun again inside a savepoint: rolling the savepoint back
-- leaves the outer level's marker
BEGIN;
SELECT begin_load_writes(42);
SAVEPOINT s;
SELECT begin_load_writes(42);
ROLLBACK TO SAVEPOINT s;
SELECT load_in_progress() AS outer_marker_kept;
COMMIT;
SELECT load_in_progress() AS marker_after_commit;
SELECT revoke_profile('rl_admin', 'hub_admin');
DROP ROLE rl_admin;
