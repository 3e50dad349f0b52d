-- Attacks on prescriptions, each refused (issue 14): another hospital, a
-- pharmacy the prescription was not circulated to and a pharmacy that is
-- not designated learn nothing of it through any path (tables, EXPLAIN,
-- functions, error messages, a setting); nobody writes the tables but the
-- steps; a step cannot borrow another institution's practitioner; texts
-- are stored as given, never run; refused reads are in the trail.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
SET timezone = 'Asia/Shanghai';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
-- An attempt: 'ok', or the SQLSTATE and the message (keys shown as N, times as T).
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    det text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || regexp_replace(regexp_replace(msg || coalesce(' / ' || nullif(det, ''), ''),
                                                             '\m[0-9]{15,}\M', 'N', 'g'),
                                              '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+\+08', 'T', 'g');
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

INSERT INTO institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('处方攻击甲医院', 'hospital', '3', '440303', 'attack-rx', 'YA', '[2000-01-01,)'),
    ('处方攻击乙医院', 'hospital', '3', '440304', 'attack-rx', 'YB', '[2000-01-01,)'),
    ('处方攻击定点药房', 'retail_pharmacy', NULL, '440305', 'attack-rx', 'YP', '[2000-01-01,)'),
    ('处方攻击另一定点药房', 'retail_pharmacy', NULL, '440305', 'attack-rx', 'YR', '[2000-01-01,)'),
    ('处方攻击非定点药房', 'retail_pharmacy', NULL, '440305', 'attack-rx', 'YQ', '[2000-01-01,)');
SELECT institution_key AS ya FROM institutions WHERE source_ref = 'YA' \gset
SELECT institution_key AS yb FROM institutions WHERE source_ref = 'YB' \gset
SELECT institution_key AS yp FROM institutions WHERE source_ref = 'YP' \gset
SELECT institution_key AS yr FROM institutions WHERE source_ref = 'YR' \gset
SELECT institution_key AS yq FROM institutions WHERE source_ref = 'YQ' \gset
INSERT INTO designated_pharmacies (institution_key, period, evidence)
VALUES (:yp, '[2020-01-01,)', 'attack'), (:yr, '[2020-01-01,)', 'attack');
CREATE TEMP TABLE staff (who text, kind text, inst bigint, practitioner bigint);
INSERT INTO staff VALUES ('doc_a', 'physician', :ya, NULL), ('phar_a', 'pharmacist', :ya, NULL),
    ('doc_b', 'physician', :yb, NULL), ('phar_p', 'pharmacist', :yp, NULL), ('phar_r', 'pharmacist', :yr, NULL),
    ('phar_q', 'pharmacist', :yq, NULL);
WITH p AS (INSERT INTO practitioners (name, source, source_ref) SELECT '攻击' || who, 'attack-rx', who FROM staff
           RETURNING practitioner_key, source_ref)
UPDATE staff s SET practitioner = p.practitioner_key FROM p WHERE p.source_ref = s.who;
WITH l AS (INSERT INTO licences (licence_no, practitioner_key, kind, validity)
           SELECT 'ATK-' || replace(who, '_', '-'), practitioner, kind, '[2020-01-01,2040-01-01)' FROM staff
           RETURNING licence_key, licence_no)
INSERT INTO registrations (licence_key, institution_key, role, period)
SELECT l.licence_key, s.inst, 'primary', '[2020-01-01,)' FROM l JOIN staff s ON l.licence_no = 'ATK-' || replace(s.who, '_', '-');
SELECT practitioner AS doc_a FROM staff WHERE who = 'doc_a' \gset
SELECT practitioner AS phar_a FROM staff WHERE who = 'phar_a' \gset
SELECT practitioner AS doc_b FROM staff WHERE who = 'doc_b' \gset
SELECT practitioner AS phar_p FROM staff WHERE who = 'phar_p' \gset
SELECT practitioner AS phar_r FROM staff WHERE who = 'phar_r' \gset
SELECT practitioner AS phar_q FROM staff WHERE who = 'phar_q' \gset
INSERT INTO drugs (drug_code, generic_name, dosage_form, source)
VALUES ('XA10BAE001A001010100001', '二甲双胍', '片剂', 'attack-rx');
CREATE ROLE atk_doc_a; CREATE ROLE atk_phar_a; CREATE ROLE atk_doc_b; CREATE ROLE atk_phar_p; CREATE ROLE atk_phar_r;
CREATE ROLE atk_phar_q; CREATE ROLE atk_stat;
SELECT grant_profile('atk_doc_a', 'clinician', :ya), grant_profile('atk_phar_a', 'pharmacist', :ya),
       grant_profile('atk_doc_b', 'clinician', :yb), grant_profile('atk_phar_p', 'pharmacist', :yp),
       grant_profile('atk_phar_r', 'pharmacist', :yr), grant_profile('atk_phar_q', 'pharmacist', :yq),
       grant_profile('atk_stat', 'statistician') \g /dev/null
SELECT decision FROM link_record('YA', 'ya-1', '杜甫', '1', '1962-02-12', '440303196202120018', '13900000021', '440303');
SELECT decision FROM link_record('YB', 'yb-1', '李白', '1', '1961-01-01', NULL, '13900000022', '440304');

-- A's patient: one prescription circulated to pharmacy P by name, one to any designated pharmacy
SET SESSION AUTHORIZATION atk_doc_a;
SELECT prescription_key AS rx_named FROM issue_prescription('YA', 'ya-1', ('{"hosp_rxno": "YA-1", "rx_type_code": "1",
    "prsc_time": "' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') || '", "valid_days": 3,
    "biz_type_code": "01", "fstdiag_flag": "1", "diseinfo": [{"diag_code": "E11.900"}], "rxdrugdetail": [{"med_list_codg":
    "XA10BAE001A001010100001", "sin_doscnt": 0.5, "sin_dosunt": "g", "used_frqu_codg": "tid", "medc_days": 7,
    "drug_totlnt": 10.5}]}')::prescription, :doc_a) \gset
SELECT prescription_key AS rx_any FROM issue_prescription('YA', 'ya-1', ('{"hosp_rxno": "YA-2", "rx_type_code": "1",
    "prsc_time": "' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') || '", "valid_days": 3,
    "biz_type_code": "01", "fstdiag_flag": "1", "diseinfo": [{"diag_code": "E11.900"}], "rxdrugdetail": [{"med_list_codg":
    "XA10BAE001A001010100001", "sin_doscnt": 0.5, "sin_dosunt": "g", "used_frqu_codg": "tid", "medc_days": 7,
    "drug_totlnt": 10.5}]}')::prescription, :doc_a) \gset
-- attack on our own side: a signature that is SQL is stored as given
SELECT sign_prescription(:rx_named, 'SM2:''); DROP TABLE healthhub.prescriptions; --'), sign_prescription(:rx_any, 'SM2:x');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION atk_phar_a;
SELECT cardinality(review_prescription(:rx_named, :phar_a, true)) AS warnings,
       cardinality(review_prescription(:rx_any, :phar_a, true)) AS warnings;
SELECT circulate_prescription(:rx_named, :yp), circulate_prescription(:rx_any);
RESET SESSION AUTHORIZATION;
SELECT signature FROM prescriptions WHERE prescription_key = :rx_named;

-- the other hospital
SET SESSION AUTHORIZATION atk_doc_b;
-- attack: read the tables directly, or EXPLAIN them (no plan, no row counts)
SELECT pg_temp.try('SELECT count(*) FROM healthhub.prescriptions') AS prescriptions_table;
SELECT pg_temp.try('SELECT count(*) FROM healthhub.prescription_events') AS events_table;
SELECT pg_temp.try('SELECT count(*) FROM healthhub.dispenses') AS dispenses_table;
SELECT pg_temp.try('EXPLAIN SELECT * FROM healthhub.prescriptions') AS explain_table;
-- attack: read A's prescription; the answer is the one for a key that does not exist
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx_named)) AS read_other_hospitals,
       pg_temp.try('SELECT * FROM prescription_of(1)') AS read_no_such;
-- attack: the steps on A's prescription: again no different from a key that does not exist
SELECT pg_temp.try(format('SELECT revoke_prescription(%s, %L)', :rx_named, 'x')) AS revoke_other_hospitals,
       pg_temp.try(format('SELECT revoke_prescription(%s, %L)', 1, 'x')) AS revoke_no_such;
SELECT pg_temp.try(format('SELECT circulate_prescription(%s)', :rx_named)) AS circulate_other_hospitals;
-- attack: prescribe for A's patient through A's record; the answer is the one for a record that does not exist
SELECT pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L::healthhub.prescription, %s)', 'YA', 'ya-1',
    '{"hosp_rxno": "YB-1", "rx_type_code": "1", "prsc_time": "2026-01-01 00:00:00", "valid_days": 3, "biz_type_code": "01",
      "fstdiag_flag": "1", "diseinfo": [{"diag_code": "E11.900"}], "rxdrugdetail": [{"med_list_codg": "XA10BAE001A001010100001",
      "sin_doscnt": 1, "sin_dosunt": "g", "used_frqu_codg": "qd", "medc_days": 1, "drug_totlnt": 1}]}', :doc_b)) AS issue_for_other_hospitals_record,
       pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L::healthhub.prescription, %s)', 'YA', 'ya-404',
    '{"hosp_rxno": "YB-1", "rx_type_code": "1", "prsc_time": "2026-01-01 00:00:00", "valid_days": 3, "biz_type_code": "01",
      "fstdiag_flag": "1", "diseinfo": [{"diag_code": "E11.900"}], "rxdrugdetail": [{"med_list_codg": "XA10BAE001A001010100001",
      "sin_doscnt": 1, "sin_dosunt": "g", "used_frqu_codg": "qd", "medc_days": 1, "drug_totlnt": 1}]}', :doc_b)) AS issue_for_no_such_record;
-- attack: claim to act for A with a setting
SET healthhub_acting.institution = :'ya';
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx_named)) AS read_after_set;
RESET healthhub_acting.institution;
-- attack: write the tables
SELECT pg_temp.try(format('UPDATE healthhub.prescriptions SET state = %L', 'revoked')) AS update_table,
       pg_temp.try(format('INSERT INTO healthhub.dispenses (person_key, prescription_key, dispense_no, pharmacy_key, pharmacist_key)
                           VALUES (1, %s, 1, %s, %s)', :rx_named, :yb, :doc_b)) AS insert_dispense;
RESET SESSION AUTHORIZATION;

-- the designated pharmacy R: the prescription named for P is not R's
SET SESSION AUTHORIZATION atk_phar_r;
SELECT rxno, named FROM prescriptions_to_dispense() WHERE rxno LIKE 'YA-%' ORDER BY rxno;
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx_named)) AS read_named_for_p,
       pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx_named, :phar_r)) AS dispense_named_for_p;
RESET SESSION AUTHORIZATION;
-- the pharmacy that is not designated: nothing at all
SET SESSION AUTHORIZATION atk_phar_q;
SELECT count(*) AS to_dispense FROM prescriptions_to_dispense();
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx_any)) AS read_any,
       pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx_any, :phar_q)) AS dispense_any;
RESET SESSION AUTHORIZATION;
-- pharmacy P: dispenses in the name of another pharmacy's pharmacist, or of the hospital's
SET SESSION AUTHORIZATION atk_phar_p;
SELECT pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx_named, :phar_r)) AS borrowed_pharmacist,
       pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx_named, :doc_a)) AS borrowed_physician;
-- what P reads: what dispensing needs, not the hospital's warnings or assessment
SELECT rxno, state, warnings IS NULL AS no_warnings, assessment IS NULL AS no_assessment FROM prescription_of(:rx_named);
SELECT dispense_prescription(:rx_named, :phar_p) AS dispense \gset
RESET SESSION AUTHORIZATION;
-- the other hospital reads the dispense no more than the prescription
SET SESSION AUTHORIZATION atk_doc_b;
SELECT pg_temp.try(format('SELECT dispense_to_fhir(%s)', :dispense)) AS read_dispense,
       pg_temp.try('SELECT dispense_to_fhir(1)') AS read_no_such_dispense;
RESET SESSION AUTHORIZATION;
-- the statistician: counts only
SET SESSION AUTHORIZATION atk_stat;
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx_named)) AS statistician_reads,
       pg_temp.try('SELECT count(*) FROM healthhub.prescriptions') AS statistician_table;
SELECT institution, kind, online, state, prescriptions FROM prescription_report WHERE institution_key = :ya ORDER BY state;
RESET SESSION AUTHORIZATION;

-- every refused read is in the trail, with who tried
SELECT e.role_name, e.object_kind, e.outcome, count(*) FROM audit_entries e
 WHERE e.action = 'read.prescriptions' AND e.role_name LIKE 'atk_%'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- and nothing was changed by the attacks
SELECT rxno, state, dispenses_done FROM prescriptions WHERE institution_key = :ya ORDER BY rxno;
SELECT count(*) AS dispenses FROM dispenses WHERE pharmacy_key IN (:yp, :yr, :yq, :yb);

-- leave the hub as it was for later tests
SELECT revoke_profile(r::regrole, p)
  FROM (VALUES ('atk_doc_a', 'clinician'), ('atk_phar_a', 'pharmacist'), ('atk_doc_b', 'clinician'),
               ('atk_phar_p', 'pharmacist'), ('atk_phar_r', 'pharmacist'), ('atk_phar_q', 'pharmacist'),
               ('atk_stat', 'statistician')) x(r, p) \g /dev/null
DROP ROLE atk_doc_a, atk_phar_a, atk_doc_b, atk_phar_p, atk_phar_r, atk_phar_q, atk_stat;
DELETE FROM dispenses;
DELETE FROM prescription_events;
DELETE FROM prescriptions;
DELETE FROM drugs WHERE source = 'attack-rx';
DELETE FROM designated_pharmacies WHERE institution_key IN (:yp, :yr);
DELETE FROM registrations WHERE institution_key IN (:ya, :yb, :yp, :yr, :yq);
DELETE FROM licences WHERE licence_no LIKE 'ATK-%';
DELETE FROM practitioners WHERE source = 'attack-rx';
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('YA', 'YB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('YA', 'YB'));
DELETE FROM link_decisions WHERE source IN ('YA', 'YB');
DELETE FROM source_records WHERE source IN ('YA', 'YB');
DELETE FROM institutions WHERE source = 'attack-rx';
