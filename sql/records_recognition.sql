-- Exam and lab result mutual recognition: catalogues by region and version,
-- lab certifications, results, recognizable_results() (scope, level,
-- window, certification, consent), decisions and the report.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

-- Wuhan: a level-3 and a level-2 hospital; Yichang: a level-3 hospital and
-- a level-1 one; Shenzhen: a level-3 hospital (another province)
INSERT INTO institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('互认测试武汉三级医院', 'hospital', '3', '420102', 'recognition-test', 'W3', '[2000-01-01,)'),
    ('互认测试武汉二级医院', 'hospital', '2', '420103', 'recognition-test', 'W2', '[2000-01-01,)'),
    ('互认测试宜昌三级医院', 'hospital', '3', '420502', 'recognition-test', 'Y3', '[2000-01-01,)'),
    ('互认测试宜昌一级医院', 'hospital', '1', '420503', 'recognition-test', 'Y1', '[2000-01-01,)'),
    ('互认测试深圳三级医院', 'hospital', '3', '440303', 'recognition-test', 'G3', '[2000-01-01,)');
CREATE TEMP TABLE inst AS SELECT source_ref AS name, institution_key FROM institutions WHERE source = 'recognition-test';
GRANT SELECT ON inst TO PUBLIC;
CREATE ROLE rcg_w3; CREATE ROLE rcg_w2; CREATE ROLE rcg_y3; CREATE ROLE rcg_y1; CREATE ROLE rcg_g3;
CREATE ROLE rcg_resident; CREATE ROLE rcg_stat;
SELECT grant_profile(('rcg_' || lower(name))::regrole, 'institution_app', institution_key) FROM inst ORDER BY name;
SELECT grant_profile('rcg_resident', 'resident_service');
SELECT grant_profile('rcg_stat', 'statistician');

-- Hubei's catalogue (province-wide, 鄂HR) and Wuhan's (city only, 武汉HR)
INSERT INTO recognition_items (region, item_code, item_kind, name, validity, mark, cost, catalogue_version, valid) VALUES
    ('420000', 'LIPID', 'lab', '血脂四项', '30 days', '鄂HR', 48.00, '2025', '[2020-01-01,)'),
    ('420000', 'K', 'lab', '血钾', '7 days', '鄂HR', 6.00, '2025', '[2020-01-01,)'),
    ('420100', 'CT-HEAD', 'exam', '头颅CT', '90 days', '武汉HR', 260.00, '2025', '[2020-01-01,)');
\set VERBOSITY terse
INSERT INTO recognition_items (region, item_code, item_kind, name, validity, mark, catalogue_version, valid) VALUES
    ('420000', 'BAD', 'lab', 'x', '1 day', '鄂', '2025', '[2020-01-01,)');
\set VERBOSITY default
-- quality assessment: passed, except the Wuhan level-2 hospital's lipids
INSERT INTO lab_certifications (institution_key, item_code, period, passed, evidence)
SELECT institution_key, item, '[2020-01-01,)', NOT (name = 'W2' AND item = 'LIPID'), 'EQA 2025'
  FROM inst, unnest(ARRAY['LIPID', 'K', 'CT-HEAD']) item;

-- one patient, known at each hospital; results at several of them
CREATE TEMP TABLE results (name text, result_key bigint);
GRANT ALL ON results TO PUBLIC;
SET ROLE rcg_w3;
SELECT person_key AS li FROM link_record('W3', 'w3-1', '李时珍', '1', '1958-07-03', '420102195807030014', NULL, '420102') \gset
INSERT INTO results SELECT 'w3 lipid 11 days ago', register_result('W3', 'w3-1', 'R-1', 'LIPID', now() - interval '11 days', '5.2', 'mmol/L', '<5.7');
INSERT INTO results SELECT 'w3 lipid 60 days ago', register_result('W3', 'w3-1', 'R-2', 'LIPID', now() - interval '60 days', '5.9', 'mmol/L', '<5.7');
INSERT INTO results SELECT 'w3 potassium 9 days ago', register_result('W3', 'w3-1', 'R-3', 'K', now() - interval '9 days', '4.1', 'mmol/L', '3.5-5.3');
INSERT INTO results SELECT 'w3 head CT 20 days ago', register_result('W3', 'w3-1', 'R-4', 'CT-HEAD', now() - interval '20 days', 'no abnormality');
\set VERBOSITY terse
SELECT register_result('W3', 'w3-1', 'R-1', 'LIPID', now(), '5.0');
\set VERBOSITY default
SELECT register_result('W3', 'w3-404', 'R-9', 'LIPID', now(), '5.0');
RESET ROLE;
SET ROLE rcg_y1;
SELECT person_key = :li AS same FROM link_record('Y1', 'y1-1', '李时珍', '1', '1958-07-03', '420102195807030014', NULL, '420503');
INSERT INTO results SELECT 'y1 lipid 6 days ago', register_result('Y1', 'y1-1', 'L-1', 'LIPID', now() - interval '6 days', '5.3', 'mmol/L');
RESET ROLE;
SET ROLE rcg_w2;
SELECT person_key = :li AS same FROM link_record('W2', 'w2-1', '李时珍', '1', '1958-07-03', '420102195807030014', NULL, '420103');
INSERT INTO results SELECT 'w2 lipid 3 days ago', register_result('W2', 'w2-1', 'M-1', 'LIPID', now() - interval '3 days', '5.1', 'mmol/L');
RESET ROLE;
SET ROLE rcg_g3;
SELECT person_key = :li AS same FROM link_record('G3', 'g3-1', '李时珍', '1', '1958-07-03', '420102195807030014', NULL, '440303');
INSERT INTO results SELECT 'g3 lipid 2 days ago', register_result('G3', 'g3-1', 'S-1', 'LIPID', now() - interval '2 days', '5.0', 'mmol/L');
RESET ROLE;
-- results also come as files, through the validated staging path
INSERT INTO stage_results (result_id, patient_id, item_code, produced_at, value, unit, reference_range, report_ref) VALUES
    ('L-2', 'y1-1', 'K', (now() - interval '2 days')::text, '4.0', 'mmol/L', '3.5-5.3', NULL),
    ('L-2', 'y1-1', 'K', (now() - interval '1 days')::text, '4.2', 'mmol/L', NULL, NULL),
    ('L-3', 'y1-404', 'K', (now() - interval '1 days')::text, '4.2', NULL, NULL, NULL),
    ('L-4', 'y1-1', 'K', 'last week', '4.2', NULL, NULL, NULL),
    ('L-5', 'y1-1', 'K', (now() - interval '1 days')::text, repeat('9', 201), NULL, NULL, NULL),
    ('L-6', 'y1-1', 'K', (now() - interval '1 days')::text, '4.2', NULL, NULL, 'lab_report:nonsense'),
    ('L-7', 'y1-1', 'K k', (now() - interval '1 days')::text, '4.2', NULL, NULL, NULL),
    ('L-8', 'y1-1', NULL, (now() - interval '1 days')::text, NULL, NULL, NULL, NULL);
SELECT staged, loaded, rejected, already_loaded FROM load_results('Y1', 'sha256:' || repeat('1', 64));
SELECT line_no, column_name, left(value, 20) AS value, reason FROM load_errors
 WHERE load_id = (SELECT max(load_id) FROM loads WHERE kind = 'results') ORDER BY line_no, column_name;
INSERT INTO stage_results (result_id, patient_id, item_code, produced_at, value) VALUES ('L-9', 'y1-1', 'K', now()::text, '4.4');
SELECT staged, loaded, rejected, already_loaded FROM load_results('Y1', 'sha256:' || repeat('1', 64));
-- a corrected result replaces the earlier one
INSERT INTO stage_results (result_id, patient_id, item_code, produced_at, value, unit) VALUES
    ('L-2', 'y1-1', 'K', (now() - interval '2 days')::text, '4.1', 'mmol/L');
SELECT staged, loaded, rejected FROM load_results('Y1', 'sha256:' || repeat('2', 64));
SELECT local_id, value, unit FROM exam_results WHERE local_id LIKE 'L-%' ORDER BY local_id;
SELECT count(*) AS stage_emptied FROM stage_results;

SET ROLE rcg_y3;
SELECT person_key = :li AS same FROM link_record('Y3', 'y3-1', '李时珍', '1', '1958-07-03', '420102195807030014', NULL, '420502');
-- without the patient's consent: nothing of the others
SELECT count(*) AS without_consent FROM recognizable_results(:li, 'LIPID');
RESET ROLE;
SET ROLE rcg_resident;
SELECT give_consent(:li, 'treatment', 'app consent') IS NOT NULL AS consented_to_all;
RESET ROLE;

CREATE TEMP TABLE patient AS SELECT :li::bigint AS person_key;
GRANT SELECT ON patient TO PUBLIC;
CREATE FUNCTION pg_temp.recognised(item text) RETURNS TABLE (result text, mark text, within_window boolean)
    LANGUAGE sql AS $$
    SELECT rs.name, x.mark, x.valid_until > now()
      FROM patient p, healthhub.recognizable_results(p.person_key, item) x
      JOIN results rs USING (result_key) ORDER BY x.produced_at DESC
$$;
GRANT EXECUTE ON FUNCTION pg_temp.recognised(text) TO PUBLIC;
-- Yichang level 3: the Wuhan level-3 result (same level) and Yichang's
-- level-1 result (upper accepts lower within its city); not Wuhan's level 2
-- (its lab failed quality assessment), not Shenzhen's (another province),
-- not the one of 60 days ago (30-day window)
SET ROLE rcg_y3;
SELECT * FROM pg_temp.recognised('LIPID');
-- potassium: a 7-day window, the result is 9 days old
SELECT * FROM pg_temp.recognised('K');
-- a head CT is in Wuhan's catalogue only: not recognised in Yichang
SELECT * FROM pg_temp.recognised('CT-HEAD');
-- an earlier time: the 60-day-old lipid result was within its window then
SELECT count(*) AS fifty_days_ago FROM recognizable_results(:li, 'LIPID', now() - interval '50 days');
RESET ROLE;
-- Wuhan level 2: Wuhan's level-3 results (lower accepts upper), the head CT
-- under the city's mark; not Yichang's level 1 (upper accepts lower only
-- within a city)
SET ROLE rcg_w2;
SELECT * FROM pg_temp.recognised('LIPID');
SELECT * FROM pg_temp.recognised('CT-HEAD');
RESET ROLE;
-- Shenzhen: none of Hubei's
SET ROLE rcg_g3;
SELECT * FROM pg_temp.recognised('LIPID');
RESET ROLE;

-- decisions: a recognised result accepted; re-tests with a reason
SET ROLE rcg_y3;
SELECT record_recognition(:li, 'LIPID', 'accepted', (SELECT result_key FROM results WHERE name = 'w3 lipid 11 days ago')) IS NOT NULL AS accepted;
SELECT record_recognition(:li, 'K', 'retest', reason => 'fast_changing') IS NOT NULL AS retest;
SELECT record_recognition(:li, 'LIPID', 'retest', reason => 'patient_request', note => 'wants a fresh test') IS NOT NULL AS retest;
SELECT record_recognition(:li, 'LIPID', 'accepted', (SELECT result_key FROM results WHERE name = 'g3 lipid 2 days ago'));
SELECT record_recognition(:li, 'LIPID', 'retest');
SELECT record_recognition(:li, 'LIPID', 'retest', reason => 'boredom');
SELECT record_recognition(:li, 'LIPID', 'maybe');
-- against the encounter it was decided in: the deciding institution's own, of this person
RESET ROLE;
INSERT INTO stage_encounters (encounter_id, patient_id, kind, started_at) VALUES ('Y3-MZ-1', 'y3-1', 'outpatient', now() - interval '1 hour');
SELECT loaded FROM load_encounters('Y3', 'sha256:' || repeat('9', 64));
SET ROLE rcg_y3;
SELECT record_recognition(:li, 'LIPID', 'retest', reason => 'condition_changed', encounter => 'Y3-MZ-1') IS NOT NULL AS against_the_visit;
SELECT record_recognition(:li, 'LIPID', 'retest', reason => 'condition_changed', encounter => 'W3-MZ-1');
RESET ROLE;
-- the report, for statisticians: no person data
SET ROLE rcg_stat;
SELECT institution, decisions, accepted, retests, recognition_rate, avoided_cost FROM recognition_report
 WHERE institution LIKE '互认测试%';
SELECT count(*) FROM recognizable_results(:li, 'LIPID');
SELECT count(*) FROM exam_results;
RESET ROLE;
-- each recognition read is in the trail, with the person's key
SELECT count(*) > 0 AS reads_recorded FROM audit_entries WHERE action = 'read.exam_results' AND person_key = :li;

-- leave the hub as it was for later tests
SELECT revoke_profile(('rcg_' || lower(name))::regrole, 'institution_app') FROM inst;
SELECT revoke_profile('rcg_resident', 'resident_service');
SELECT revoke_profile('rcg_stat', 'statistician');
DROP ROLE rcg_w3, rcg_w2, rcg_y3, rcg_y1, rcg_g3, rcg_resident, rcg_stat;
DELETE FROM recognition_decisions;
DELETE FROM encounters;
DELETE FROM load_errors WHERE load_id IN (SELECT load_id FROM loads WHERE kind IN ('encounters', 'results'));
DELETE FROM loads WHERE kind IN ('encounters', 'results');
DELETE FROM exam_results;
DELETE FROM lab_certifications;
DELETE FROM recognition_items;
DELETE FROM record_consents;
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('W3', 'W2', 'Y3', 'Y1', 'G3'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('W3', 'W2', 'Y3', 'Y1', 'G3'));
DELETE FROM link_decisions WHERE source IN ('W3', 'W2', 'Y3', 'Y1', 'G3');
DELETE FROM source_records WHERE source IN ('W3', 'W2', 'Y3', 'Y1', 'G3');
DELETE FROM institutions WHERE source = 'recognition-test';
