-- Encounters: loaded from an institution's file through the validated
-- staging path: every bad row with its line and reason, the same file twice
-- changes nothing, a corrected row replaces its earlier version (kept).
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
SET timezone = 'Asia/Shanghai';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

INSERT INTO institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('就诊测试医院', 'hospital', '3', '440303', 'encounter-test', 'EA', '[2000-01-01,)');
INSERT INTO practitioners (name, source, source_ref) VALUES ('就诊测试医生', 'encounter-test', 'd-1') RETURNING practitioner_key AS doc \gset
INSERT INTO licences (licence_no, practitioner_key, kind, validity) VALUES ('ENC-0001', :doc, 'physician', '[2020-01-01,2040-01-01)');
SELECT decision FROM link_record('EA', 'p-1', '罗贯中', '1', '1950-01-01', NULL, '13900000001', '440303');
SELECT decision FROM link_record('EA', 'p-2', '冯梦龙', '1', '1952-02-02', NULL, '13900000002', '440303');

-- the file: good rows, and one bad row of each kind
INSERT INTO stage_encounters (encounter_id, patient_id, kind, department, practitioner_licence, started_at, ended_at,
                              admission_route, discharge_mode, bed, diagnoses) VALUES
    ('MZ-1', 'p-1', 'outpatient', '呼吸内科', 'ENC-0001', '2026-11-01 09:10', NULL, NULL, NULL, NULL, 'J18.9'),
    ('JZ-1', 'p-2', 'emergency', '急诊科', NULL, '2026-11-02 23:40', '2026-11-03 02:00', NULL, NULL, NULL, 'S06.000; S02.1'),
    ('ZY-1', 'p-1', 'inpatient', '心内科', 'ENC-0001', '2026-11-03 10:00', '2026-11-10 09:00', 'emergency', 'home', '12-3',
     'I21.001;E11.900x002'),
    ('ZY-2', 'p-2', 'inpatient', '骨科', NULL, '2026-11-05 08:00', '2026-11-05 20:00', 'outpatient', 'home', '3-1', 'S72.0'),
    ('ZY-3', 'p-2', 'inpatient', '骨科', NULL, '2026-11-20 08:00', NULL, 'referral', NULL, '3-2', 'S72.0'),
    ('MZ-1', 'p-1', 'outpatient', NULL, NULL, '2026-11-01 10:00', NULL, NULL, NULL, NULL, NULL),
    ('MZ-2', 'p-9', 'outpatient', NULL, NULL, '2026-11-01 10:00', NULL, NULL, NULL, NULL, NULL),
    ('MZ-3', 'p-1', 'house_call', NULL, NULL, '2026-11-01 10:00', NULL, NULL, NULL, NULL, NULL),
    ('MZ-4', 'p-1', 'outpatient', NULL, NULL, 'yesterday-ish', NULL, NULL, NULL, NULL, NULL),
    ('MZ-5', 'p-1', 'outpatient', NULL, 'NO-SUCH', '2026-11-01 10:00', NULL, NULL, NULL, NULL, NULL),
    ('MZ-6', 'p-1', 'outpatient', NULL, NULL, '2026-11-01 10:00', NULL, 'emergency', NULL, '1', NULL),
    ('MZ-7', 'p-1', 'outpatient', NULL, NULL, '2026-11-01 10:00', NULL, NULL, NULL, NULL, 'J18.9;flu'),
    ('ZY-4', 'p-1', 'inpatient', NULL, NULL, '2026-11-10 10:00', '2026-11-09 10:00', NULL, 'home', NULL, NULL),
    ('ZY-5', 'p-1', 'inpatient', NULL, NULL, '2026-11-10 10:00', '2026-11-12 10:00', NULL, NULL, NULL, NULL),
    ('ZY-6', 'p-1', 'inpatient', NULL, NULL, '2026-11-10 10:00', '2026-11-12 10:00', NULL, 'teleported', NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ('bad id!', 'p-1', 'outpatient', NULL, NULL, '2026-11-01 10:00', NULL, NULL, NULL, NULL, NULL);
SELECT staged, loaded, rejected, already_loaded FROM load_encounters('EA', 'sha256:' || repeat('a', 64));
SELECT line_no, column_name, value, reason FROM load_errors
 WHERE load_id = (SELECT max(load_id) FROM loads WHERE kind = 'encounters') ORDER BY line_no, column_name, value;
SELECT local_id, kind, department, started_at, ended_at, admission_route, discharge_mode, bed, diagnoses, length_of_stay,
       practitioner_key = :doc AS by_doc, version
  FROM encounters WHERE institution_key = (SELECT institution_key FROM institutions WHERE source_ref = 'EA') ORDER BY local_id;
-- the load is one entry of the trail; its rows are not recorded one by one
SELECT action, outcome FROM audit_entries
 WHERE object_kind = 'load' AND object_id IN (SELECT load_id::text FROM loads WHERE source = 'EA') ORDER BY entry_id;

-- the same file again: nothing changes
INSERT INTO stage_encounters (encounter_id, patient_id, kind, started_at) VALUES ('MZ-9', 'p-1', 'outpatient', '2026-11-30 10:00');
SELECT staged, loaded, rejected, already_loaded FROM load_encounters('EA', 'SHA256:' || repeat('A', 64));
SELECT count(*) AS staged_left, (SELECT count(*) FROM encounters WHERE local_id = 'MZ-9') AS not_loaded FROM stage_encounters;

-- a corrected file: the changed row replaces its earlier version, which is kept; an unchanged one stays as it was
INSERT INTO stage_encounters (encounter_id, patient_id, kind, department, practitioner_licence, started_at, ended_at,
                              admission_route, discharge_mode, bed, diagnoses) VALUES
    ('ZY-3', 'p-2', 'inpatient', '骨科', NULL, '2026-11-20 08:00', '2026-11-27 16:00', 'referral', 'community', '3-2', 'S72.0;M80.0'),
    ('ZY-2', 'p-2', 'inpatient', '骨科', NULL, '2026-11-05 08:00', '2026-11-05 20:00', 'outpatient', 'home', '3-1', 'S72.0');
SELECT staged, loaded, rejected, already_loaded FROM load_encounters('EA', 'sha256:' || repeat('b', 64));
SELECT local_id, ended_at, discharge_mode, diagnoses, length_of_stay, version FROM encounters
 WHERE local_id IN ('ZY-2', 'ZY-3') ORDER BY local_id;
SELECT local_id, ended_at, discharge_mode, diagnoses, version FROM encounter_history ORDER BY local_id, version;

-- bad calls
SELECT * FROM load_encounters('nobody', 'sha256:' || repeat('c', 64));
SELECT * FROM load_encounters('EA', 'not a digest');
SELECT * FROM load_encounters(NULL, 'sha256:' || repeat('c', 64));
CREATE ROLE enc_app;
SELECT grant_profile('enc_app', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'EA';
SET ROLE enc_app;
SELECT * FROM load_encounters('EA', 'sha256:' || repeat('d', 64));
SELECT count(*) FROM encounters;
RESET ROLE;
SELECT revoke_profile('enc_app', 'institution_app');
DROP ROLE enc_app;

-- leave the hub as it was for later tests
DELETE FROM encounter_history;
DELETE FROM encounters;
DELETE FROM load_errors WHERE load_id IN (SELECT load_id FROM loads WHERE kind = 'encounters');
DELETE FROM loads WHERE kind = 'encounters';
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source = 'EA');
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source = 'EA');
DELETE FROM link_decisions WHERE source = 'EA';
DELETE FROM source_records WHERE source = 'EA';
DELETE FROM licences WHERE licence_no = 'ENC-0001';
DELETE FROM practitioners WHERE practitioner_key = :doc;
DELETE FROM institutions WHERE source = 'encounter-test';
