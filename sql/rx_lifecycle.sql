-- Electronic prescriptions: issue -> sign -> review -> circulate ->
-- dispense -> settle, revoke and expire; the rules that need data (kind,
-- controlled classes, online, long-term), duplicate therapy across
-- institutions, who may do what, and every step out of order.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
SET timezone = 'Asia/Shanghai';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
-- (the trail outlives every test: this test counts its own entries)
SELECT coalesce(max(entry_id), 0) AS first_entry FROM audit_entries \gset

-- What changes from run to run, shown as N (keys), T (times) and D (dates).
CREATE FUNCTION pg_temp.clean(t text) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(regexp_replace(regexp_replace(t, '\m[0-9]{15,}\M', 'N', 'g'),
                                         '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+\+08', 'T', 'g'),
                          '[0-9]{4}-[0-9]{2}-[0-9]{2}', 'D', 'g')
$$;
-- A step, as the current role: 'ok', or the error's SQLSTATE, message and
-- detail.
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    det text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || pg_temp.clean(msg || coalesce(' / ' || nullif(det, ''), ''));
END
$$;
-- A prescription's content, written now: one line of dose x tid x days.
CREATE FUNCTION pg_temp.rx(rxno text, drug text, days integer, kind text DEFAULT '3', biz text DEFAULT '01',
                           first_visit text DEFAULT '0', diag text DEFAULT 'E11.900', valid integer DEFAULT 3,
                           dispenses integer DEFAULT 1, interval_days integer DEFAULT 0)
    RETURNS healthhub.prescription LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'hosp_rxno', rxno, 'rx_type_code', kind, 'prsc_time', to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
        'valid_days', valid, 'biz_type_code', biz, 'fstdiag_flag', first_visit, 'max_rept_cnt', dispenses,
        'min_inrv_days', interval_days, 'diseinfo', jsonb_build_array(jsonb_build_object('diag_code', diag)),
        'rxdrugdetail', jsonb_build_array(jsonb_build_object(
            'med_list_codg', drug, 'sin_doscnt', 0.5, 'sin_dosunt', 'g', 'used_frqu_codg', 'tid', 'medc_days', days,
            'drug_totlnt', 1.5 * days)))::text::healthhub.prescription
$$;
GRANT EXECUTE ON FUNCTION pg_temp.clean(text), pg_temp.try(text), pg_temp.rx(text, text, integer, text, text, text, text, integer, integer, integer) TO PUBLIC;

-- Two hospitals, a designated pharmacy and one that is not.
INSERT INTO institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('处方测试医院', 'hospital', '3', '440303', 'rx-test', 'RA', '[2000-01-01,)'),
    ('处方测试二院', 'hospital', '2', '440304', 'rx-test', 'RB', '[2000-01-01,)'),
    ('定点测试药房', 'retail_pharmacy', NULL, '440305', 'rx-test', 'RP', '[2000-01-01,)'),
    ('普通测试药房', 'retail_pharmacy', NULL, '440305', 'rx-test', 'RQ', '[2000-01-01,)');
SELECT institution_key AS ra FROM institutions WHERE source_ref = 'RA' \gset
SELECT institution_key AS rb FROM institutions WHERE source_ref = 'RB' \gset
SELECT institution_key AS rp FROM institutions WHERE source_ref = 'RP' \gset
SELECT institution_key AS rq FROM institutions WHERE source_ref = 'RQ' \gset
INSERT INTO designated_pharmacies (institution_key, period, evidence) VALUES (:rp, '[2020-01-01,)', '深医保定点 2020-17');
-- a physician at each hospital, a pharmacist at hospital A and at each pharmacy
CREATE TEMP TABLE staff (who text, kind text, inst bigint, practitioner bigint);
INSERT INTO staff VALUES ('doc_a', 'physician', :ra, NULL), ('doc_b', 'physician', :rb, NULL),
    ('phar_a', 'pharmacist', :ra, NULL), ('phar_p', 'pharmacist', :rp, NULL), ('phar_q', 'pharmacist', :rq, NULL);
WITH p AS (INSERT INTO practitioners (name, source, source_ref) SELECT '员工' || who, 'rx-test', who FROM staff
           RETURNING practitioner_key, source_ref)
UPDATE staff s SET practitioner = p.practitioner_key FROM p WHERE p.source_ref = s.who;
WITH l AS (INSERT INTO licences (licence_no, practitioner_key, kind, validity)
           SELECT 'RX-' || replace(who, '_', '-'), practitioner, kind, '[2020-01-01,2040-01-01)' FROM staff RETURNING licence_key, licence_no)
INSERT INTO registrations (licence_key, institution_key, role, period)
SELECT l.licence_key, s.inst, 'primary', '[2020-01-01,)' FROM l JOIN staff s ON l.licence_no = 'RX-' || replace(s.who, '_', '-');
SELECT practitioner AS doc_a FROM staff WHERE who = 'doc_a' \gset
SELECT practitioner AS doc_b FROM staff WHERE who = 'doc_b' \gset
SELECT practitioner AS phar_a FROM staff WHERE who = 'phar_a' \gset
SELECT practitioner AS phar_p FROM staff WHERE who = 'phar_p' \gset
SELECT practitioner AS phar_q FROM staff WHERE who = 'phar_q' \gset
-- the catalogue
INSERT INTO drugs (drug_code, generic_name, national_class, controlled_class, antimicrobial, dosage_form,
                   controlled_release, special_storage, price_cap, source) VALUES
    ('XA10BAE001A001010100001', '二甲双胍', 'A10BA', NULL, NULL, '片剂', false, false, 12.50, 'rx-test'),
    ('XA10BAE001A002010200002', '二甲双胍', 'A10BA', NULL, NULL, '缓释片', false, false, 30.00, 'rx-test'),
    ('XA10BAP002A001010100004', '苯乙双胍', 'A10BA', NULL, NULL, '片剂', false, false, 8.00, 'rx-test'),
    ('XN02AAM001A001010100005', '吗啡', 'N02AA', 'narcotic', NULL, '片剂', false, false, 20.00, 'rx-test'),
    ('XN02AAM001A003010100006', '吗啡', 'N02AA', 'narcotic', NULL, '缓释片', true, false, 60.00, 'rx-test'),
    ('XJ01CAA001A001010100007', '阿莫西林', 'J01CA', NULL, 'unrestricted', '胶囊', false, false, 9.00, 'rx-test'),
    ('XA10ABI001B001010100008', '胰岛素', 'A10AB', NULL, NULL, '注射剂', false, true, 80.00, 'rx-test'),
    ('XC08CAA002A001010100009', '氨氯地平', 'C08CA', NULL, NULL, '片剂', false, false, 15.00, 'rx-test');
-- the patient at both hospitals (one person), a child at hospital A
SELECT decision FROM link_record('RA', 'a-1', '施耐庵', '1', '1960-01-02', NULL, '13900000011', '440303');
SELECT decision FROM link_record('RB', 'b-1', '施耐庵', '1', '1960-01-02', NULL, '13900000011', '440303');
SELECT decision FROM link_record('RA', 'a-2', '施小耐', '1', current_date - 1000, NULL, '13900000012', '440303');
SELECT decision FROM link_record('RA', 'a-3', '施大耐', '1', '1985-05-05', NULL, '13900000013', '440303');
SELECT person_key AS pat FROM source_records WHERE source = 'RA' AND local_id = 'a-1' \gset
SELECT person_key AS child FROM source_records WHERE source = 'RA' AND local_id = 'a-2' \gset
SELECT person_key AS parent FROM source_records WHERE source = 'RA' AND local_id = 'a-3' \gset
SELECT count(DISTINCT person_key) AS one_person FROM source_records WHERE (source, local_id) IN (('RA', 'a-1'), ('RB', 'b-1'));
-- an in-person visit at hospital B diagnosed diabetes, 40 days ago; the child's bronchitis last week
INSERT INTO encounters (person_key, record_id, institution_key, local_id, kind, started_at, diagnoses)
SELECT s.person_key, s.record_id, s.institution_key, v.id, 'outpatient', now() - v.ago, v.dx
  FROM (VALUES ('RB', 'b-1', 'MZ-B1', interval '40 days', ARRAY['E11.900']),
               ('RA', 'a-2', 'MZ-A2', interval '7 days', ARRAY['J20.9'])) v(src, lid, id, ago, dx)
  JOIN source_records s ON s.source = v.src AND s.local_id = v.lid;
-- the roles
CREATE ROLE rx_doc_a; CREATE ROLE rx_doc_b; CREATE ROLE rx_phar_a; CREATE ROLE rx_phar_p; CREATE ROLE rx_phar_q;
CREATE ROLE rx_insurer; CREATE ROLE rx_stat;
SELECT grant_profile('rx_doc_a', 'clinician', :ra), grant_profile('rx_doc_b', 'clinician', :rb),
       grant_profile('rx_phar_a', 'pharmacist', :ra), grant_profile('rx_phar_p', 'pharmacist', :rp),
       grant_profile('rx_phar_q', 'pharmacist', :rq), grant_profile('rx_insurer', 'insurer'),
       grant_profile('rx_stat', 'statistician');
GRANT SELECT ON pg_temp.staff TO PUBLIC;

-- 1. an in-person chronic prescription, all the way
SET ROLE rx_doc_a;
SELECT prescription_key AS rx1, warnings FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-1', 'XA10BAE001A001010100001', 30), :doc_a) \gset
SELECT pg_temp.clean(:'warnings') AS warnings;
SELECT pg_temp.try(format('SELECT circulate_prescription(%s)', :rx1)) AS circulate_unsigned;
SELECT sign_prescription(:rx1, 'SM2:MEUCIQ...');
SELECT pg_temp.try(format('SELECT sign_prescription(%s, %L)', :rx1, 'again')) AS sign_twice;
RESET ROLE;
SET ROLE rx_phar_a;
SELECT review_prescription(:rx1, :phar_a, true);
SELECT pg_temp.try(format('SELECT review_prescription(%s, %s, false, %L)', :rx1, :phar_a, 'second thoughts')) AS review_twice;
SELECT circulate_prescription(:rx1);
RESET ROLE;
-- a designated pharmacy sees it; another pharmacy does not
SET ROLE rx_phar_p;
SELECT rxno, institution_key = :ra AS from_a, dispenses_done, named FROM prescriptions_to_dispense();
SELECT rxno, state, dispenses_done, warnings IS NULL AS no_warnings_for_pharmacy FROM prescription_of(:rx1);
RESET ROLE;
SET ROLE rx_phar_q;
SELECT count(*) AS not_designated_sees FROM prescriptions_to_dispense();
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx1)) AS q_reads;
SELECT pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx1, :phar_q)) AS q_dispenses;
RESET ROLE;
SET ROLE rx_phar_p;
SELECT pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx1, :phar_q)) AS with_another_pharmacys_pharmacist;
SELECT dispense_prescription(:rx1, :phar_p) AS d1 \gset
SELECT pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx1, :phar_p)) AS dispense_twice;
SELECT count(*) AS left_to_dispense FROM prescriptions_to_dispense();
RESET ROLE;
SET ROLE rx_insurer;
SELECT rxno, state FROM prescription_of(:rx1);
SELECT settle_dispense(:d1, 'SETL-0001');
SELECT pg_temp.try(format('SELECT settle_dispense(%s, %L)', :d1, 'SETL-0002')) AS settle_twice;
RESET ROLE;
SELECT state, dispenses_done FROM prescriptions WHERE prescription_key = :rx1;
SELECT event_no, action, institution_key = :ra AS at_a, institution_key = :rp AS at_p, practitioner_key IS NOT NULL AS by_someone,
       acting_role, reason
  FROM prescription_events WHERE prescription_key = :rx1 ORDER BY event_no;
SELECT dispense_no, pharmacy_key = :rp AS at_p, pharmacist_key = :phar_p AS by_phar_p, settlement_ref FROM dispenses
 WHERE prescription_key = :rx1;

-- 2. duplicate therapy: the same generic at hospital B, and a drug of the same class
SET ROLE rx_doc_b;
SELECT pg_temp.clean(warnings::text) AS warnings FROM issue_prescription('RB', 'b-1', pg_temp.rx('B-1', 'XA10BAE001A002010200002', 14), :doc_b);
SELECT pg_temp.clean(warnings::text) AS warnings FROM issue_prescription('RB', 'b-1', pg_temp.rx('B-2', 'XA10BAP002A001010100004', 7, '1'), :doc_b);
SELECT pg_temp.clean(warnings::text) AS warnings FROM issue_prescription('RB', 'b-1', pg_temp.rx('B-3', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_b);
RESET ROLE;

-- 3. the rules that need data
SET ROLE rx_doc_a;
SELECT v.what, pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L, %s)', 'RA', v.patient, v.content, :doc_a))
  FROM (VALUES
    ('ordinary, 8 days', 'a-1', pg_temp.rx('A-2', 'XC08CAA002A001010100009', 8, '1', diag => 'I10')),
    ('emergency, 4 days', 'a-1', pg_temp.rx('A-3', 'XC08CAA002A001010100009', 4, '2', diag => 'I10')),
    ('ordinary, valid 4 days', 'a-1', pg_temp.rx('A-4', 'XC08CAA002A001010100009', 7, '1', diag => 'I10', valid => 4)),
    ('a drug not in the catalogue', 'a-1', pg_temp.rx('A-5', 'XC08CAA002A001010199999', 7, '1', diag => 'I10')),
    ('online, first visit', 'a-1', pg_temp.rx('A-6', 'XA10BAE001A001010100001', 7, '3', '02', '1')),
    ('online, no in-person diagnosis of hypertension', 'a-1', pg_temp.rx('A-7', 'XC08CAA002A001010100009', 7, '3', '02', diag => 'I10')),
    ('online narcotic', 'a-1', pg_temp.rx('A-8', 'XN02AAM001A001010100005', 3, '1', '02')),
    ('narcotic without the privilege', 'a-1', pg_temp.rx('A-9', 'XN02AAM001A001010100005', 3, '1', diag => 'C34.9')),
    ('long-term, 60 days, no assessment', 'a-1', pg_temp.rx('A-10', 'XA10BAE001A001010100001', 60, '4', valid => 60)),
    ('long-term insulin (special storage)', 'a-1', pg_temp.rx('A-11', 'XA10ABI001B001010100008', 28, '4', valid => 28)),
    ('long-term antimicrobial', 'a-1', pg_temp.rx('A-12', 'XJ01CAA001A001010100007', 28, '4', diag => 'J20.9', valid => 28)),
    ('long-term online, none in person before', 'a-1', pg_temp.rx('A-13', 'XA10BAE001A001010100001', 28, '4', '02', valid => 28)),
    ('online for a child without a guardian', 'a-2', pg_temp.rx('A-14', 'XJ01CAA001A001010100007', 5, '1', '02', diag => 'J20.9')),
    ('a patient not linked here', 'b-1', pg_temp.rx('A-15', 'XC08CAA002A001010100009', 7, '1', diag => 'I10')),
    ('a prescriber not licensed here', 'a-1', pg_temp.rx('A-16', 'XC08CAA002A001010100009', 7, '1', diag => 'I10')))
    v(what, patient, content)
 WHERE v.what <> 'a prescriber not licensed here'
UNION ALL
SELECT 'a prescriber not licensed here',
       pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L, %s)', 'RA', 'a-1',
                          pg_temp.rx('A-16', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_b));
-- what the rules allow: an online follow-up of the diabetes diagnosed in person at hospital B; the child with a guardian;
-- a narcotic by a physician with the privilege, within its days; a long-term prescription with an assessment
SELECT pg_temp.clean(warnings::text) AS warnings FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-20', 'XA10BAE001A001010100001', 14, '3', '02'), :doc_a);
SELECT pg_temp.clean(warnings::text) AS warnings FROM issue_prescription('RA', 'a-2', pg_temp.rx('A-21', 'XJ01CAA001A001010100007', 5, '1', '02', diag => 'J20.9'),
                                        :doc_a, guardian => :parent);
SELECT pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L, %s, guardian => %s)', 'RA', 'a-2',
                          pg_temp.rx('A-22', 'XJ01CAA001A001010100007', 5, '1', '02', diag => 'J20.9'), :doc_a, :child)) AS own_guardian;
RESET ROLE;
INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period) VALUES (:doc_a, :ra, 'narcotic', '[2020-01-01,)');
SET ROLE rx_doc_a;
SELECT pg_temp.clean(warnings::text) AS warnings FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-23', 'XN02AAM001A001010100005', 3, '1', diag => 'C34.9'), :doc_a);
SELECT pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L, %s)', 'RA', 'a-1',
                          pg_temp.rx('A-24', 'XN02AAM001A001010100005', 5, '3', diag => 'C34.9'), :doc_a)) AS narcotic_5_days;
SELECT pg_temp.clean(warnings::text) AS warnings FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-25', 'XN02AAM001A003010100006', 7, '3', diag => 'C34.9'), :doc_a);
SELECT prescription_key AS rx_long FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-26', 'XC08CAA002A001010100009', 60, '4', diag => 'I10', valid => 60,
                                                      dispenses => 2, interval_days => 28), :doc_a,
                                       assessment => '血压稳定六个月，评估可开具长期处方；患者已签字') \gset
SELECT pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L, %s)', 'RA', 'a-1',
                          pg_temp.rx('A-1', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_a)) AS number_again;

-- 4. repeats: the second dispense waits for the interval
SELECT sign_prescription(:rx_long, 'SM2:...');
RESET ROLE;
SET ROLE rx_phar_a;
SELECT pg_temp.clean(review_prescription(:rx_long, :phar_a, true)::text) AS warnings;
SELECT circulate_prescription(:rx_long, :rp);
RESET ROLE;
SET ROLE rx_phar_p;
SELECT named FROM prescriptions_to_dispense() WHERE rxno = 'A-26';
SELECT dispense_prescription(:rx_long, :phar_p) IS NOT NULL AS first_dispense;
SELECT pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx_long, :phar_p)) ~ '^55000: prescription N was dispensed at .*: the next dispense is due at .* / Its dispenses are at least 28 days apart' AS too_soon;
RESET ROLE;
SELECT state, dispenses_done FROM prescriptions WHERE prescription_key = :rx_long;

-- 5. reject, revoke, expire; who may not
SET ROLE rx_doc_a;
SELECT prescription_key AS rx_r FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-30', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_a) \gset
SELECT sign_prescription(:rx_r, 'SM2:...');
SELECT pg_temp.try(format('SELECT review_prescription(%s, %s, true)', :rx_r, :phar_a)) AS clinician_reviews;
RESET ROLE;
SET ROLE rx_phar_a;
SELECT pg_temp.try(format('SELECT review_prescription(%s, %s, false)', :rx_r, :phar_a)) AS reject_without_reason;
SELECT pg_temp.try(format('SELECT review_prescription(%s, %s, true)', :rx_r, :doc_a)) AS a_physician_as_pharmacist;
SELECT pg_temp.clean(review_prescription(:rx_r, :phar_a, false, '剂量与诊断不符')::text) AS warnings;
SELECT pg_temp.try(format('SELECT circulate_prescription(%s)', :rx_r)) AS circulate_rejected;
SELECT pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L, %s)', 'RA', 'a-1',
                          pg_temp.rx('A-31', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_a)) AS pharmacist_issues;
RESET ROLE;
SET ROLE rx_doc_b;
SELECT pg_temp.try(format('SELECT revoke_prescription(%s, %L)', :rx_r, 'not mine')) AS other_hospital_revokes;
RESET ROLE;
SET ROLE rx_doc_a;
SELECT prescription_key AS rx_v FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-32', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_a) \gset
SELECT pg_temp.try(format('SELECT revoke_prescription(%s, %L)', :rx_v, '')) AS revoke_without_reason;
SELECT revoke_prescription(:rx_v, '患者要求取消');
SELECT pg_temp.try(format('SELECT revoke_prescription(%s, %L)', :rx_v, 'again')) AS revoke_twice;
SELECT pg_temp.try(format('SELECT dispense_prescription(%s, %s)', :rx_v, :phar_a)) AS clinician_dispenses;
SELECT prescription_key AS rx_x FROM issue_prescription('RA', 'a-1', pg_temp.rx('A-33', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_a) \gset
RESET ROLE;
UPDATE prescriptions SET valid_until = now() - interval '1 second' WHERE prescription_key = :rx_x;
SELECT expire_prescriptions() AS expired;
SELECT state FROM prescriptions WHERE prescription_key = :rx_x;
SET ROLE rx_stat;
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx1)) AS statistician_reads;
SELECT pg_temp.try('SELECT * FROM prescriptions') AS statistician_table;
SELECT institution, kind, online, state, prescriptions, dispenses FROM prescription_report
 WHERE institution_key IN (:ra, :rb) ORDER BY institution, kind, online, state;
RESET ROLE;
SET ROLE rx_insurer;
SELECT pg_temp.try(format('SELECT * FROM prescription_of(%s)', :rx_v)) AS insurer_reads_undispensed;
SELECT pg_temp.try(format('SELECT * FROM issue_prescription(%L, %L, %L, %s)', 'RA', 'a-1',
                          pg_temp.rx('A-34', 'XC08CAA002A001010100009', 7, '1', diag => 'I10'), :doc_a)) AS insurer_issues;
RESET ROLE;
SET ROLE rx_doc_a;
SELECT pg_temp.try('SELECT * FROM prescriptions') AS clinician_table;
SELECT pg_temp.try(format('SELECT settle_dispense(%s, %L)', :d1, 'X')) AS clinician_settles;
RESET ROLE;

-- 6. every read and every step is in the trail
SELECT action, outcome, count(*) FROM audit_entries
 WHERE action IN ('read.prescriptions', 'prescription.insert', 'prescription.update', 'dispense.insert', 'dispense.update')
   AND entry_id > :first_entry
 GROUP BY action, outcome ORDER BY action, outcome;

-- 7. FHIR
SELECT jsonb_pretty(fhir) FROM prescription_of(:rx_long) \g /dev/null
SELECT jsonb_pretty((fhir #> '{entry,0,resource,dispenseRequest}') - 'validityPeriod' - 'performer') AS dispense_request,
       (fhir #>> '{entry,0,resource,dispenseRequest,validityPeriod,end}')::timestamptz
       - (fhir #>> '{entry,0,resource,dispenseRequest,validityPeriod,start}')::timestamptz AS valid_for,
       fhir #>> '{entry,0,resource,dispenseRequest,performer,reference}' = 'Organization/' || :rp AS to_p,
       fhir #>> '{entry,0,resource,status}' AS status, jsonb_array_length(fhir -> 'entry') AS requests
  FROM prescription_of(:rx_long);

-- leave the hub as it was for later tests
SELECT revoke_profile(r::regrole, p)
  FROM (VALUES ('rx_doc_a', 'clinician'), ('rx_doc_b', 'clinician'), ('rx_phar_a', 'pharmacist'), ('rx_phar_p', 'pharmacist'),
               ('rx_phar_q', 'pharmacist'), ('rx_insurer', 'insurer'), ('rx_stat', 'statistician')) x(r, p);
DROP ROLE rx_doc_a, rx_doc_b, rx_phar_a, rx_phar_p, rx_phar_q, rx_insurer, rx_stat;
DELETE FROM dispenses;
DELETE FROM prescription_events;
DELETE FROM prescriptions;
DELETE FROM drugs;
DELETE FROM designated_pharmacies;
DELETE FROM encounters WHERE institution_key IN (:ra, :rb);
DELETE FROM practice_privileges WHERE institution_key = :ra;
DELETE FROM registrations WHERE institution_key IN (:ra, :rb, :rp, :rq);
DELETE FROM licences WHERE licence_no LIKE 'RX-%';
DELETE FROM practitioners WHERE source = 'rx-test';
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('RA', 'RB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('RA', 'RB'));
DELETE FROM link_decisions WHERE source IN ('RA', 'RB');
DELETE FROM source_records WHERE source IN ('RA', 'RB');
DELETE FROM institutions WHERE source = 'rx-test';
