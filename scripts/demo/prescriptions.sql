-- Electronic prescriptions on the demo hub (scripts/demo.sh): the city
-- people's hospital prescribes online, as a follow-up of the diabetes it
-- diagnosed in person last month; its pharmacist reviews; the prescription
-- circulates to the designated retail pharmacy, which dispenses it once and
-- is refused the second time; an online narcotic is refused at issue.
-- Runs after records.sql (the patient ph-1001 and the roles demo_*).
\pset footer off
SET client_min_messages = warning;

\echo 'The drug catalogue, loaded through the validated staging (one bad code reported):'
INSERT INTO healthhub.stage_drugs (drug_code, generic_name, national_class, controlled_class, dosage_form, strength,
                                   price_cap) VALUES
    ('XA10BAE001A001010100001', '二甲双胍', 'A10BA', NULL, '片剂', '0.5g', '12.50'),
    ('XN02AAM001A001010100005', '吗啡', 'N02AA', 'narcotic', '片剂', '10mg', '20.00'),
    ('XC08CAA002A001010100009', '氨氯地平', 'C08CA', NULL, '片剂', '5mg', '15.00'),
    ('XC08CAA002A00101010000', '氨氯地平', 'C08CA', NULL, '片剂', '5mg', '15.00');
SELECT staged, loaded, rejected FROM healthhub.load_drugs('demo-nhsa', 'sha256:' || repeat('7', 64));
SELECT line_no, column_name, reason FROM healthhub.load_errors
 WHERE load_id = (SELECT max(load_id) FROM healthhub.loads WHERE kind = 'drugs');
SELECT drug_code, healthhub.drug_code_class(drug_code) AS class, generic_name, controlled_class
  FROM healthhub.drugs ORDER BY drug_code;

-- the retail pharmacy is designated by the fund; the hospital gets a pharmacist (a registry delta)
INSERT INTO healthhub.designated_pharmacies (institution_key, period, evidence)
SELECT institution_key, '[2020-01-01,)', '深医保定点 2020-17' FROM healthhub.institutions WHERE source_ref = 'YL-PH';
INSERT INTO healthhub.stage_practitioners (source_ref, resident_id, name) VALUES ('D5', '440304198003150021', '孙思邈');
INSERT INTO healthhub.stage_licences (licence_no, practitioner_ref, kind, valid_from)
VALUES ('210440300005', 'D5', 'pharmacist', '2012-01-01');
INSERT INTO healthhub.stage_registrations (source_ref, licence_no, institution_ref, valid_from)
VALUES ('R5', '210440300005', 'SZ-PH', '2020-01-01');
SELECT entity, loaded FROM healthhub.load_registry('demo-nhc', 'sha256:' || repeat('8', 64), 'delta') WHERE loaded > 0;
SELECT p.practitioner_key AS doctor FROM healthhub.practitioners p WHERE p.name = '张三丰' \gset
SELECT p.practitioner_key AS hospital_pharmacist FROM healthhub.practitioners p WHERE p.name = '孙思邈' \gset
SELECT p.practitioner_key AS retail_pharmacist FROM healthhub.practitioners p WHERE p.name = '王清任' \gset
SELECT institution_key AS retail_pharmacy FROM healthhub.institutions WHERE source_ref = 'YL-PH' \gset
CREATE ROLE demo_doctor; CREATE ROLE demo_ph_pharmacist; CREATE ROLE demo_yl_pharmacist;
SELECT healthhub.grant_profile(r::regrole, p, i.institution_key)
  FROM (VALUES ('demo_doctor', 'clinician', 'SZ-PH'), ('demo_ph_pharmacist', 'pharmacist', 'SZ-PH'),
               ('demo_yl_pharmacist', 'pharmacist', 'YL-PH')) v(r, p, code)
  JOIN healthhub.institutions i ON i.source_ref = v.code \g /dev/null

\echo 'Last month, in person: the outpatient visit that diagnosed the diabetes (loaded like any encounter file):'
INSERT INTO healthhub.stage_encounters (encounter_id, patient_id, kind, department, started_at, diagnoses)
VALUES ('MZ-' || to_char(now() - interval '30 days', 'YYYYMMDD') || '-12', 'ph-1001', 'outpatient', '内分泌科',
        (now() - interval '30 days')::text, 'E11.900');
SELECT loaded FROM healthhub.load_encounters('SZ-PH', 'sha256:' || repeat('6', 64));

\echo 'Today, online (biz_type_code 02, a follow-up: fstdiag_flag 0), Dr Zhang writes metformin for 14 days:'
SET ROLE demo_doctor;
SELECT prescription_key AS rx, warnings FROM healthhub.issue_prescription('SZ-PH', 'ph-1001', format($json$
    {"hosp_rxno": "RX-%s-0001", "rx_type_code": "3", "prsc_time": "%s", "valid_days": 3,
     "biz_type_code": "02", "fstdiag_flag": "0", "diseinfo": [{"diag_code": "E11.900"}],
     "rxdrugdetail": [{"med_list_codg": "XA10BAE001A001010100001", "sin_doscnt": 0.5, "sin_dosunt": "g",
                       "used_frqu_codg": "tid", "medc_days": 14, "drug_totlnt": 21}]}$json$,
    to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD'),
    to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'))::healthhub.prescription, :doctor) \gset
SELECT healthhub.sign_prescription(:rx, 'SM2:MEUCIQDemoSignature') \g /dev/null
SELECT rxno, state, warnings AS duplicate_therapy_warnings FROM healthhub.prescription_of(:rx);
RESET ROLE;
\echo 'The hospital pharmacist reviews it and circulates it to the designated retail pharmacy:'
SET ROLE demo_ph_pharmacist;
SELECT healthhub.review_prescription(:rx, :hospital_pharmacist, true) AS duplicate_therapy_warnings;
SELECT healthhub.circulate_prescription(:rx, :retail_pharmacy) \g /dev/null
SELECT state FROM healthhub.prescription_of(:rx);
RESET ROLE;

\echo 'At the pharmacy: what it may dispense, the prescription as FHIR (what dispensing needs), the dispense:'
SET ROLE demo_yl_pharmacist;
SELECT rxno, named, dispenses_done FROM healthhub.prescriptions_to_dispense();
SELECT r->>'resourceType' AS resource, r->>'intent' AS intent, r->'dispenseRequest'->'quantity'->>'value' AS quantity,
       r->'dispenseRequest'->'expectedSupplyDuration'->>'value' AS days,
       r->'dispenseRequest'->>'numberOfRepeatsAllowed' AS repeats, warnings AS warnings_not_shown_here
  FROM healthhub.prescription_of(:rx), jsonb_path_query(fhir, '$.entry[*].resource') r;
SELECT healthhub.dispense_prescription(:rx, :retail_pharmacist) AS dispense \gset
SELECT d->'entry'->0->'resource'->>'resourceType' AS resource, d->'entry'->0->'resource'->>'status' AS status
  FROM healthhub.dispense_to_fhir(:dispense) d;
\echo 'The same prescription again (refused: it was dispensed once, as written):'
\set ON_ERROR_STOP 0
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT healthhub.dispense_prescription(:rx, :retail_pharmacist);
RESET ROLE;

\echo 'Online, a narcotic (refused at issue: controlled drugs are never prescribed online):'
SET ROLE demo_doctor;
SELECT healthhub.issue_prescription('SZ-PH', 'ph-1001', format($json$
    {"hosp_rxno": "RX-%s-0002", "rx_type_code": "1", "prsc_time": "%s", "valid_days": 1,
     "biz_type_code": "02", "fstdiag_flag": "0", "diseinfo": [{"diag_code": "E11.900"}],
     "rxdrugdetail": [{"med_list_codg": "XN02AAM001A001010100005", "sin_doscnt": 10, "sin_dosunt": "mg",
                       "used_frqu_codg": "q12h", "medc_days": 3, "drug_totlnt": 60}]}$json$,
    to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD'),
    to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'))::healthhub.prescription, :doctor);
RESET ROLE;
\set ON_ERROR_STOP 1
\set VERBOSITY terse

\echo 'Every step of the prescription, and the trail it left:'
SELECT event_no, action, acting_role, reason FROM healthhub.prescription_events WHERE prescription_key = :rx
 ORDER BY event_no;
SELECT action, count(*) FROM healthhub.audit_entries
 WHERE object_kind IN ('prescription', 'prescription_event', 'dispense') GROUP BY action ORDER BY action;
