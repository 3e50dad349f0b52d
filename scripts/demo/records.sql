-- Shared records on the demo hub (scripts/demo.sh): the city people's
-- hospital loads its encounters and registers a discharge summary; the
-- patient consents to the children's hospital, which reads it; the
-- community health centre, without consent, reads nothing; the patient
-- sees who read their record; a recent lipid panel spares a re-test.
\pset footer off
SET client_min_messages = warning;
CREATE ROLE demo_ph; CREATE ROLE demo_ch; CREATE ROLE demo_chc; CREATE ROLE demo_resident;
SELECT healthhub.grant_profile(r::regrole, 'institution_app', i.institution_key)
  FROM (VALUES ('demo_ph', 'SZ-PH'), ('demo_ch', 'SZ-CH'), ('demo_chc', 'FT-CHC')) v(r, code)
  JOIN healthhub.institutions i ON i.source_ref = v.code \g /dev/null
SELECT healthhub.grant_profile('demo_resident', 'resident_service') \g /dev/null

-- the patient, as each hospital knows them
SET ROLE demo_ph;
SELECT person_key AS patient FROM healthhub.link_record('SZ-PH', 'ph-1001', '欧阳修', '1', '1957-08-01',
                                                         '440304195708010015', '13912345678', '440304') \gset
RESET ROLE;
SET ROLE demo_ch;
SELECT decision AS children_hospital_links_the_same_patient
  FROM healthhub.link_record('SZ-CH', 'ch-77', '欧阳修', '1', '1957-08-01', '440304195708010015', NULL, '440304');
RESET ROLE;

\echo 'The city hospital''s encounter file, loaded through the validated staging (one bad row reported):'
INSERT INTO healthhub.stage_encounters (encounter_id, patient_id, kind, department, started_at, ended_at,
                                        admission_route, discharge_mode, bed, diagnoses) VALUES
    ('MZ-20261101-7', 'ph-1001', 'outpatient', '心内科', '2026-11-01 09:10+08', NULL, NULL, NULL, NULL, 'I20.0'),
    ('ZY-2026-3321', 'ph-1001', 'inpatient', '心内科', '2026-11-02 14:00+08', '2026-11-09 10:00+08', 'outpatient',
     'home', '12-3', 'I21.001;E11.900x002'),
    ('ZY-2026-3322', 'ph-9999', 'inpatient', '骨科', '2026-11-03 08:00+08', NULL, 'emergency', NULL, '3-1', 'S72.0');
SELECT staged, loaded, rejected FROM healthhub.load_encounters('SZ-PH', 'sha256:' || repeat('5', 64));
SELECT line_no, column_name, value, reason FROM healthhub.load_errors
 WHERE load_id = (SELECT max(load_id) FROM healthhub.loads WHERE kind = 'encounters');
SELECT local_id, kind, department, diagnoses, length_of_stay FROM healthhub.encounters ORDER BY started_at;

\echo 'The discharge summary, registered in the index (the document stays at the hospital):'
SET ROLE demo_ph;
SELECT healthhub.register_document('SZ-PH', 'ph-1001',
           healthhub.emr_ref('discharge_summary', '121200004013590816', 'ZY-2026-3321', '2026-11-09 10:00+08',
                             sha256(convert_to('discharge summary ZY-2026-3321', 'UTF8'))),
           'https://emr.city-hospital.example/ZY-2026-3321', 48213, 'application/pdf') IS NOT NULL AS registered;
RESET ROLE;

\echo 'The patient consents, in the app, to the children''s hospital reading for treatment:'
SELECT institution_key AS children_hospital FROM healthhub.institutions WHERE source_ref = 'SZ-CH' \gset
SET ROLE demo_resident;
SELECT healthhub.give_consent(:patient, 'treatment', 'app consent, 2026-11-20 09:00', institution => :children_hospital)
       IS NOT NULL AS consented;
RESET ROLE;
\echo 'The children''s hospital reads it (and gets a FHIR DocumentReference):'
SET ROLE demo_ch;
SELECT kind, service_time, access, location FROM healthhub.documents_for(:patient, 'treatment');
SELECT r->>'resourceType' AS resource, r->'type'->'coding'->0->>'code' AS loinc, r->>'status' AS status
  FROM healthhub.documents_for(:patient, 'treatment') d,
       healthhub.to_fhir_document_reference(d.ref, d.location, d.size_bytes, d.media_type, d.confidentiality) r;
RESET ROLE;
\echo 'The community health centre, without consent, reads nothing:'
SET ROLE demo_chc;
SELECT count(*) AS documents FROM healthhub.documents_for(:patient, 'treatment');
RESET ROLE;
\echo 'The patient sees who read their record, when and why:'
SET ROLE demo_resident;
SELECT institution, what, purpose FROM healthhub.accesses_of(:patient) WHERE what = 'read.emr_documents' ORDER BY "at";
RESET ROLE;

\echo 'Mutual recognition: a lipid panel of 10 days ago at the city hospital spares a re-test at the children''s hospital'
INSERT INTO healthhub.recognition_items (region, item_code, item_kind, name, validity, mark, cost, catalogue_version, valid)
VALUES ('440000', 'LIPID', 'lab', '血脂四项', '30 days', '粤HR', 48.00, '2025', '[2020-01-01,)');
INSERT INTO healthhub.lab_certifications (institution_key, item_code, period, passed, evidence)
SELECT institution_key, 'LIPID', '[2025-01-01,)', true, 'EQA 2025' FROM healthhub.institutions WHERE source_ref = 'SZ-PH';
SET ROLE demo_ph;
SELECT healthhub.register_result('SZ-PH', 'ph-1001', 'LIS-88101', 'LIPID', now() - interval '10 days', 'TC 5.1',
                                 'mmol/L', '<5.7') AS result \gset
RESET ROLE;
SET ROLE demo_ch;
SELECT value, unit, mark, valid_until::date FROM healthhub.recognizable_results(:patient, 'LIPID');
SELECT healthhub.record_recognition(:patient, 'LIPID', 'accepted', :result) IS NOT NULL AS accepted_instead_of_a_retest;
RESET ROLE;
SELECT institution, accepted, retests, recognition_rate, avoided_cost FROM healthhub.recognition_report;
