-- Claims and settlements: a local visit pre-settled and settled, the same
-- idempotency key replayed, the claim not settled twice, a reversal that
-- restores the year and the account exactly and lets the claim settle
-- again, a cross-province visit (the catalogue of the place of treatment,
-- the policy of the insured region, an unfiled trip's reduction), the
-- ledger summing to zero, and every class of bad input.
SET search_path = healthhub, public;
SET timezone = 'Asia/Shanghai';
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
-- (the trail outlives every test: this test counts its own entries)
SELECT coalesce(max(entry_id), 0) AS first_entry FROM audit_entries \gset
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

-- a tertiary hospital in Shenzhen, one in Beijing
INSERT INTO institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('结算测试医院', 'hospital', '3', '440303', 'settle-test', 'SA', '[2000-01-01,)'),
    ('结算测试北京医院', 'hospital', '3', '110105', 'settle-test', 'SB', '[2000-01-01,)'),
    ('结算测试社康', 'primary_care', '1', '440303', 'settle-test', 'SC', '[2000-01-01,)');
SELECT institution_key AS sa FROM institutions WHERE source_ref = 'SA' \gset
SELECT institution_key AS sb FROM institutions WHERE source_ref = 'SB' \gset
SELECT institution_key AS sc FROM institutions WHERE source_ref = 'SC' \gset
CREATE ROLE st_app_a; CREATE ROLE st_app_b; CREATE ROLE st_app_c;
SELECT grant_profile('st_app_a', 'institution_app', :sa), grant_profile('st_app_b', 'institution_app', :sb),
       grant_profile('st_app_c', 'institution_app', :sc) \g /dev/null

-- Shenzhen's employee policy for 2026: a deductible of 800 a year; the pooled fund 85% to 50,000 of the
-- year then 90% in tertiary hospitals, 90% then 95% in primary care; large expenses 50%; assistance 70%
-- for the poorest tier; the account pays; an unfiled trip loses ten points
INSERT INTO settle_policies (insuplc_admdvs, insutype, valid, account_pays, basis)
VALUES ('440300', '310', '[2026-01-01,2027-01-01)', true, 'test policy');
SELECT policy_key AS pol FROM settle_policies WHERE insuplc_admdvs::text = '440300' AND insutype = '310' \gset
INSERT INTO settle_fund_rules (policy_key, stage, seq, fund_pay_type, hosp_lv, psn_type, assistance_tier, dedc_std, bands, annual_cap)
VALUES (:pol, 'basic', 1, '310100', '*', '*', '*', 800, '[{"upto": 50000, "ratio": 0.85}, {"ratio": 0.90}]', 500000),
       (:pol, 'basic', 1, '310100', '1', '*', '*', 800, '[{"upto": 50000, "ratio": 0.90}, {"ratio": 0.95}]', 500000),
       (:pol, 'tier2', 1, '330100', '*', '*', '*', 0, '[{"ratio": 0.5}]', NULL),
       (:pol, 'assistance', 1, '610100', '*', '*', 'low_income', 0, '[{"ratio": 0.7}]', 10000);
INSERT INTO settle_trip_rules VALUES (:pol, 'unfiled_normal', 0.1), (:pol, 'resident_elsewhere', 0);
-- the catalogues of Guangdong and of Beijing (the place of treatment's applies)
INSERT INTO settle_catalogues (mdtrtarea_admvs, valid, basis) VALUES
    ('440000', '[2026-01-01,2027-01-01)', 'Guangdong 2026'), ('110000', '[2026-01-01,2027-01-01)', 'Beijing 2026');
SELECT catalogue_key AS gd FROM settle_catalogues WHERE mdtrtarea_admvs::text = '440000' \gset
SELECT catalogue_key AS bj FROM settle_catalogues WHERE mdtrtarea_admvs::text = '110000' \gset
INSERT INTO settle_items (catalogue_key, med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt, lmt_used_flag) VALUES
    (:gd, '001101000010000', '住院诊查费', '01', 0, NULL, false),
    (:gd, 'XA10BAE001A001010100001', '二甲双胍', '02', 0.1, 2.00, false),
    (:gd, 'XL01XC003B001010100001', '曲妥珠单抗', '02', 0.2, NULL, true),
    (:gd, '270800004', '特需病房', '03', 0, NULL, false),
    (:bj, '001101000010000', '住院诊查费', '01', 0, NULL, false),
    (:bj, 'XA10BAE001A001010100001', '二甲双胍', '02', 0.05, NULL, false);

-- the patient, insured in Shenzhen, in service, with 1,000.00 in the account
SELECT decision FROM link_record('SA', 'sa-1', '陆游', '1', '1965-01-01', '440303196501010014', '13900000031', '440303');
SELECT decision FROM link_record('SB', 'sb-1', '陆游', '1', '1965-01-01', '440303196501010014', '13900000031', '440303');
SELECT decision FROM link_record('SA', 'sa-2', '杨万里', '1', '1970-02-02', NULL, '13900000032', '440303');
SELECT person_key AS pat FROM source_records WHERE source = 'SA' AND local_id = 'sa-1' \gset
INSERT INTO insured_persons (person_key, insutype, insuplc_admdvs, psn_type, acct_balance)
VALUES (:pat, '310', '440300', 'in_service', 1000.00);

-- 1. a local admission: billed, pre-settled (nothing written), settled
SET ROLE st_app_a;
SELECT submit_claim('SA', 'sa-1', 'ZY-2026-1', '2026-03-01 09:00', '[
    {"med_list_codg": "001101000010000", "det_item_fee_sumamt": "3000.00"},
    {"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "300.00", "cnt": 100},
    {"med_list_codg": "XL01XC003B001010100001", "det_item_fee_sumamt": "2000.00", "hosp_appr_flag": "1"},
    {"med_list_codg": "270800004", "det_item_fee_sumamt": "500.00"}]', true) AS claim1 \gset
SELECT r->>'medfee_sumamt' AS total, r->>'hifp_pay' AS basic, r->>'psn_cash_pay' AS cash, r->>'insuplc_admdvs' AS insured_in,
       r->>'mdtrtarea_admvs' AS treated_in
  FROM (SELECT pre_settle(:claim1) AS r) x;
RESET ROLE;
SELECT count(*) AS settlements_after_pre_settle FROM settlements;
SET ROLE st_app_a;
SELECT settle(:claim1, 'SA-REQ-1') AS s1 \gset
RESET ROLE;
SELECT key, value FROM jsonb_each_text(:'s1') WHERE key NOT IN ('setldetail', 'setl_proc_info', 'setl_id') ORDER BY key;
\pset format unaligned
SELECT :'s1'::jsonb ->> 'setl_proc_info' AS setl_proc_info;
\pset format aligned
SELECT (:'s1'::jsonb ->> 'setl_id')::bigint AS setl1 \gset
SELECT fund_pay_type, year, deductible_met, base_done, paid FROM insured_years WHERE person_key = :pat ORDER BY 1;
SELECT acct_balance FROM insured_persons WHERE person_key = :pat;
SELECT line_no, regexp_replace(account, '[0-9]{15,}', 'N') AS account, amount FROM ledger_lines WHERE setl_key = :setl1 ORDER BY line_no;

-- 2. the same key again: the first result, nothing paid twice; the claim not settled twice
SET ROLE st_app_a;
SELECT (settle(:claim1, 'SA-REQ-1') - 'replayed') = (:'s1'::jsonb - 'replayed') AS same_result;
SELECT settle(:claim1, 'SA-REQ-1') ->> 'replayed' AS replayed;
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :claim1, 'SA-REQ-2')) AS settle_again;
RESET ROLE;
SELECT count(*) AS settlements, (SELECT acct_balance FROM insured_persons WHERE person_key = :pat) AS balance FROM settlements;

-- 3. a second visit uses what the year already met
SET ROLE st_app_a;
SELECT submit_claim('SA', 'sa-1', 'MZ-2026-2', '2026-04-01 09:00',
                    '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "1000"}]') AS claim2 \gset
SELECT settle(:claim2, 'SA-REQ-3') AS s2 \gset
RESET ROLE;
SELECT :'s2'::jsonb ->> 'act_pay_dedc' AS deductible_now, :'s2'::jsonb ->> 'hifp_pay' AS basic,
       :'s2'::jsonb ->> 'acct_pay' AS account;

-- 4. reversing the first: its contributions subtracted, the account given back; the claim settles again
SET ROLE st_app_a;
SELECT reverse_settlement(:setl1, '收费项目录入错误') ->> 'reversed' AS reversed;
SELECT pg_temp.try(format('SELECT reverse_settlement(%s, %L)', :setl1, 'again')) AS reverse_twice;
SELECT pg_temp.try(format('SELECT reverse_settlement(%s, %L)', :setl1, '')) AS without_reason;
RESET ROLE;
-- the year is now the second settlement's alone, as if the first had never been
SELECT y.fund_pay_type, y.deductible_met = f.deductible_added AS deductible, y.base_done = f.base_added AS base,
       y.paid = f.fund_payamt AS paid
  FROM insured_years y JOIN settlement_funds f USING (person_key, fund_pay_type)
 WHERE y.person_key = :pat AND f.setl_key = (:'s2'::jsonb ->> 'setl_id')::bigint ORDER BY 1;
SELECT acct_balance FROM insured_persons WHERE person_key = :pat;
SET ROLE st_app_a;
SELECT settle(:claim1, 'SA-REQ-4') ->> 'act_pay_dedc' AS deductible_when_settled_after;
RESET ROLE;
-- the ledger: every settlement and reversal sums to zero; the year equals the live settlements' sums
SELECT setl_key = :setl1 AS first, reversal, sum(amount) FROM ledger_lines WHERE person_key = :pat
 GROUP BY 1, 2 HAVING sum(amount) <> 0;
SELECT count(*) AS year_rows_off FROM insured_years y
 CROSS JOIN LATERAL (SELECT coalesce(sum(f.deductible_added), 0) AS d, coalesce(sum(f.base_added), 0) AS b,
                            coalesce(sum(f.fund_payamt), 0) AS p
                       FROM settlement_funds f JOIN settlements s USING (person_key, setl_key)
                      WHERE f.person_key = y.person_key AND f.fund_pay_type = y.fund_pay_type AND s.reversed_at IS NULL) live
 WHERE y.person_key = :pat AND (y.deductible_met, y.base_done, y.paid) IS DISTINCT FROM (live.d, live.b, live.p);

-- 5. cross-province: treated in Beijing, insured in Shenzhen, an unfiled trip: Beijing's catalogue
-- (5% self-pay first, no price cap), Shenzhen's policy, ten points off
SET ROLE st_app_b;
SELECT submit_claim('SB', 'sb-1', 'BJ-1', '2026-05-01 10:00',
                    '[{"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "300"}]') AS claim_bj \gset
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :claim_bj, 'BJ-REQ-1')) AS local_status_from_elsewhere;
RESET ROLE;
SET ROLE st_app_b;
SELECT submit_claim('SB', 'sb-1', 'BJ-2', '2026-05-02 10:00',
                    '[{"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "300"}]', false, 'unfiled_normal') AS claim_bj2 \gset
SELECT r->>'preselfpay_amt' AS self_pay_first, r->>'pool_prop_selfpay' AS ratio, r->>'hifp_pay' AS basic,
       r->>'insuplc_admdvs' AS insured_in, r->>'mdtrtarea_admvs' AS treated_in
  FROM (SELECT settle(:claim_bj2, 'BJ-REQ-2') AS r) x;
RESET ROLE;
SELECT insuplc_admdvs, mdtrtarea_admvs, catalogue_key = :bj AS beijing_catalogue, policy_key = :pol AS shenzhen_policy
  FROM settlements WHERE claim_key = :claim_bj2;

-- 6. who may: another institution's claims and settlements are none of its business
SET ROLE st_app_c;
SELECT pg_temp.try(format('SELECT pre_settle(%s)', :claim1)) AS pre_settle_other,
       pg_temp.try(format('SELECT settle(%s, %L)', :claim1, 'C-1')) AS settle_other,
       pg_temp.try(format('SELECT reverse_settlement(%s, %L)', :'s2'::jsonb ->> 'setl_id', 'x')) AS reverse_other,
       pg_temp.try('SELECT count(*) FROM healthhub.settlements') AS read_table;
RESET ROLE;

-- 7. every class of bad input
SET ROLE st_app_a;
SELECT pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L)', 'SA', 'sa-1', 'X-1', '2026-03-01',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "-5.00"}]')) AS negative_amount,
       pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L)', 'SA', 'sa-1', 'X-2', '2026-03-01',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "500000"}, {"med_list_codg": "001101000010000", "det_item_fee_sumamt": "12.345"}]')) AS fen_not_yuan,
       pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L)', 'SA', 'sa-1', 'X-3', '2026-03-01',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5", "currency": "USD"}]')) AS currency;
SELECT pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L)', 'SA', 'sa-1', 'X-4', '2026-03-01', '[]')) AS no_lines,
       pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L)', 'SA', 'sa-404', 'X-5', '2026-03-01',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]')) AS no_such_patient,
       pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L)', 'SA', 'sa-1', 'ZY-2026-1', '2026-03-01',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]')) AS visit_again;
SELECT submit_claim('SA', 'sa-1', 'X-6', '2026-03-01', '[{"med_list_codg": "NOT-IN-CATALOGUE", "det_item_fee_sumamt": "5"}]') AS c_unknown \gset
SELECT submit_claim('SA', 'sa-1', 'X-7', '2025-06-01', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]') AS c_2025 \gset
SELECT submit_claim('SA', 'sa-2', 'X-8', '2026-03-01', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]') AS c_uninsured \gset
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :c_unknown, 'K-1')) AS unknown_item,
       pg_temp.try(format('SELECT settle(%s, %L)', :c_2025, 'K-2')) AS no_policy_for_the_date,
       pg_temp.try(format('SELECT settle(%s, %L)', :c_uninsured, 'K-3')) AS not_insured;
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :claim2, 'bad key!')) AS bad_key,
       pg_temp.try(format('SELECT settle(%s, %L)', :c_unknown, 'SA-REQ-3')) AS key_of_another_claim,
       pg_temp.try('SELECT settle(NULL, ''K'')') AS null_claim,
       pg_temp.try('SELECT settle(1, ''K'')') AS no_such_claim;
RESET ROLE;
-- nothing half-written: the refused claims have no settlement and the failed submissions no rows
SELECT count(*) AS settlements_of_refused FROM settlements WHERE claim_key IN (:c_unknown, :c_2025, :c_uninsured);
SELECT count(*) AS claims_x FROM claims WHERE mdtrt_id IN ('X-1', 'X-2', 'X-3', 'X-4', 'X-5');

-- 8. an online follow-up's dispense, billed by the designated pharmacy that dispensed it, settles under the
-- same policy as an offline visit (线上线下一致); a bill of drugs the prescription has not is refused
INSERT INTO institutions (name, kind, region, source, source_ref, valid)
VALUES ('结算测试药房', 'retail_pharmacy', '440305', 'settle-test', 'SP', '[2000-01-01,)');
SELECT institution_key AS sp FROM institutions WHERE source_ref = 'SP' \gset
INSERT INTO practitioners (name, source, source_ref) VALUES ('结算测试药师', 'settle-test', 'phar') RETURNING practitioner_key AS phar \gset
CREATE ROLE st_phar;
SELECT grant_profile('st_phar', 'pharmacist', :sp) \g /dev/null
-- (the prescription as the lifecycle leaves it once dispensed: docs/prescriptions.md)
INSERT INTO prescriptions (person_key, record_id, institution_key, rxno, prescriber_key, content, state, issued_at,
                           valid_until, signature, dispenses_done)
SELECT s.person_key, s.record_id, :sa, 'ONLINE-1', :phar,
       '{"hosp_rxno": "ONLINE-1", "rx_type_code": "3", "prsc_time": "2026-06-01 09:00:00", "valid_days": 3,
         "biz_type_code": "02", "fstdiag_flag": "0", "diseinfo": [{"diag_code": "E11.900"}],
         "rxdrugdetail": [{"med_list_codg": "XA10BAE001A001010100001", "sin_doscnt": 0.5, "sin_dosunt": "g",
                           "used_frqu_codg": "tid", "medc_days": 14, "drug_totlnt": 21}]}',
       'dispensed', '2026-06-01 09:00+08', '2026-06-04 09:00+08', 'SM2:x', 1
  FROM source_records s WHERE s.source = 'SA' AND s.local_id = 'sa-1'
RETURNING prescription_key AS online_rx \gset
INSERT INTO dispenses (person_key, prescription_key, dispense_no, pharmacy_key, pharmacist_key, dispensed_at)
SELECT person_key, prescription_key, 1, :sp, :phar, '2026-06-01 15:00+08' FROM prescriptions WHERE prescription_key = :online_rx
RETURNING dispense_key AS disp \gset
SET ROLE st_phar;
SELECT pg_temp.try(format('SELECT submit_dispense_claim(%s, %L, %L)', :disp, 'YD-0',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "30"}]')) AS not_the_prescribed_drug;
SELECT submit_dispense_claim(:disp, 'YD-1', '[{"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "30.00", "cnt": 15}]') AS dclaim \gset
SELECT r->>'preselfpay_amt' AS self_pay_first, r->>'pool_prop_selfpay' AS ratio, r->>'hifp_pay' AS basic,
       r->>'insuplc_admdvs' AS insured_in, r->>'mdtrtarea_admvs' AS treated_in
  FROM (SELECT settle(:dclaim, 'YD-REQ-1') AS r) x;
RESET ROLE;
SELECT c.dispense_key = :disp AS from_the_dispense, s.policy_key = :pol AS same_policy, s.catalogue_key = :gd AS same_catalogue
  FROM claims c JOIN settlements s USING (person_key, claim_key) WHERE c.claim_key = :dclaim;
-- the dispense is settled with its claim, and so its prescription (all of whose dispenses are); a reversal
-- undoes both, and the claim settles again
SELECT d.settlement_ref = s.setl_key::text AS dispense_names_its_settlement, p.state
  FROM dispenses d JOIN prescriptions p USING (person_key, prescription_key), settlements s
 WHERE d.dispense_key = :disp AND s.claim_key = :dclaim;
SELECT setl_key AS dsetl FROM settlements WHERE claim_key = :dclaim \gset
SET ROLE st_phar;
SELECT reverse_settlement(:dsetl, '药品退回')->>'reversed' AS reversed;
RESET ROLE;
SELECT d.settled_at IS NULL AS dispense_unsettled, p.state
  FROM dispenses d JOIN prescriptions p USING (person_key, prescription_key) WHERE d.dispense_key = :disp;
SET ROLE st_phar;
SELECT settle(:dclaim, 'YD-REQ-2')->>'replayed' AS replayed;
RESET ROLE;
SELECT e.action, e.reason LIKE 'dispense 1: ' || s.setl_key || '%' AS names_the_settlement,
       e.reason LIKE '% reversed: 药品退回' AS with_the_reason
  FROM prescription_events e LEFT JOIN settlements s ON s.claim_key = :dclaim AND e.reason LIKE '%' || s.setl_key || '%'
 WHERE e.prescription_key = :online_rx ORDER BY e.event_no;
SELECT p.state FROM prescriptions p WHERE p.prescription_key = :online_rx;

-- 9. the smart audit: rules as rows; a 'deny' makes the line the hospital's, a 'warn' is recorded and paid
INSERT INTO settle_items (catalogue_key, med_list_codg, name, chrgitm_lv, lmt_sex, lmt_age) VALUES
    (:gd, '250310003', '孕酮测定', '01', 2, NULL), (:gd, '311201001', '儿童保健', '01', NULL, '[0,15)');
UPDATE settle_items SET for_diagnoses = '{E11}' WHERE catalogue_key = :gd AND med_list_codg = 'XA10BAE001A001010100001';
UPDATE settle_items SET max_cnt_a_day = 1 WHERE catalogue_key = :gd AND med_list_codg = '001101000010000';
INSERT INTO settle_audit_rules (rule_id, kind, severity, params, enabled, basis) VALUES
    ('R-QTY', 'quantity_over_days', 'deny', '{}', true, 'test'), ('R-SEX', 'sex_restricted', 'deny', '{}', true, 'test'),
    ('R-AGE', 'age_restricted', 'deny', '{}', true, 'test'), ('R-LMT', 'restricted_without_approval', 'deny', '{}', true, 'test'),
    ('R-DX', 'diagnosis_mismatch', 'warn', '{}', true, 'test'),
    ('R-DUP', 'duplicate_billing', 'deny', '{"window_days": "3"}', true, 'test'),
    ('R-RX', 'prescription_not_reviewed', 'deny', '{}', true, 'test'),
    ('R-OFF', 'sex_restricted', 'deny', '{}', false, 'test: a rule switched off');
SELECT pg_temp.try('INSERT INTO healthhub.settle_audit_rules (rule_id, kind, severity, basis) VALUES (''R-X'', ''duplicate_billing'', ''deny'', ''no window'')') AS duplicate_without_window;
SET ROLE st_app_a;
-- two days; diagnosed hypertension; metformin was dispensed (and settled) yesterday at the pharmacy
SELECT submit_claim('SA', 'sa-1', 'AUD-1', '2026-06-02 10:00', '[
    {"med_list_codg": "001101000010000", "det_item_fee_sumamt": "100", "cnt": 3},
    {"med_list_codg": "250310003", "det_item_fee_sumamt": "80"},
    {"med_list_codg": "311201001", "det_item_fee_sumamt": "60"},
    {"med_list_codg": "XL01XC003B001010100001", "det_item_fee_sumamt": "500", "hosp_appr_flag": "0"},
    {"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "30", "cnt": 15}]', false, 'local', '{I10}', 2) AS aud \gset
SELECT f->>'line_no' AS line, f->>'rule_id' AS rule, f->>'severity' AS severity, f->>'reason' AS reason
  FROM jsonb_array_elements(pre_settle(:aud) -> 'audit') f;
SELECT r->>'medfee_sumamt' AS total, r->>'hosp_part_amt' AS hospital_bears, r->>'fund_pay_sumamt' AS funds,
       r->>'psn_part_amt' AS person, jsonb_array_length(r->'audit') AS findings
  FROM (SELECT settle(:aud, 'AUD-REQ-1') AS r) x;
SELECT pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L, false, %L, %L)', 'SA', 'sa-1', 'AUD-2', '2026-06-02',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]', 'local', '{flu}')) AS bad_diagnosis,
       pg_temp.try(format('SELECT submit_claim(%L, %L, %L, %L, %L, false, %L, %L, 0)', 'SA', 'sa-1', 'AUD-3', '2026-06-02',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]', 'local', '{}')) AS no_days;
RESET ROLE;
SELECT scene, rule_id, count(*) FROM claim_audit_results WHERE claim_key = :aud GROUP BY 1, 2 ORDER BY 1, 2;
-- a dispense of a prescription no pharmacist reviewed
UPDATE prescriptions SET reviewed_at = NULL WHERE prescription_key = :online_rx;
INSERT INTO dispenses (person_key, prescription_key, dispense_no, pharmacy_key, pharmacist_key, dispensed_at)
SELECT person_key, prescription_key, 2, :sp, :phar, '2026-06-20 15:00+08' FROM prescriptions WHERE prescription_key = :online_rx
RETURNING dispense_key AS disp2 \gset
SET ROLE st_phar;
SELECT f->>'rule_id' AS rule, f->>'reason' AS reason
  FROM jsonb_array_elements(pre_settle(submit_dispense_claim(:disp2, 'YD-2',
           '[{"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "30.00", "cnt": 15}]')) -> 'audit') f;
RESET ROLE;
DELETE FROM settle_audit_rules;

-- 10. an encounter the hospital recorded becomes a claim: its patient, start, admission, days and diagnoses;
-- an admission is settled at discharge; an encounter is settled once whatever the claims
INSERT INTO encounters (person_key, record_id, institution_key, local_id, kind, started_at, ended_at, diagnoses)
SELECT person_key, record_id, :sa, v.id, 'inpatient', '2026-07-01 10:00+08', v.ended::timestamptz, '{J18.9}'
  FROM source_records, (VALUES ('ENC-1', '2026-07-05 09:00+08'), ('ENC-2', NULL)) v(id, ended)
 WHERE source = 'SA' AND local_id = 'sa-1';
SET ROLE st_app_a;
SELECT submit_encounter_claim('ENC-1', 'ZY-ENC-1', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "2000"}]') AS eclaim \gset
SELECT pg_temp.try(format('SELECT submit_encounter_claim(%L, %L, %L)', 'ENC-2', 'ZY-ENC-2',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]')) AS not_discharged,
       pg_temp.try(format('SELECT submit_encounter_claim(%L, %L, %L)', 'ENC-404', 'ZY-ENC-3',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]')) AS no_such_encounter,
       pg_temp.try(format('SELECT submit_encounter_claim(%L, %L, %L)', 'ENC-1', NULL, '[]')) AS no_visit_number;
SELECT settle(:eclaim, 'ENC-REQ-1')->>'medfee_sumamt' AS settled;
SELECT submit_encounter_claim('ENC-1', 'ZY-ENC-1b', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "1"}]') AS eclaim2 \gset
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :eclaim2, 'ENC-REQ-2')) AS encounter_settled_twice,
       pg_temp.try(format('SELECT submit_encounter_claim(%L, %L, %L)', 'ENC-1', repeat('x', 41),
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]')) AS bad_visit_number;
RESET ROLE;
-- a later load corrects the encounter's patient: a claim for the new one is still of a settled encounter
UPDATE encounters SET person_key = (SELECT person_key FROM source_records WHERE source = 'SA' AND local_id = 'sa-2')
 WHERE local_id = 'ENC-1';
SET ROLE st_app_a;
SELECT pg_temp.try(format('SELECT settle(%s, %L)',
                          submit_encounter_claim('ENC-1', 'ZY-ENC-1c', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "1"}]'),
                          'ENC-REQ-3')) AS settled_again_for_another_patient;
RESET ROLE;
UPDATE encounters SET person_key = :pat WHERE local_id = 'ENC-1';
SELECT c.admission, c.days, c.diagnoses, c.begntime, c.encounter_key = e.encounter_key AS the_encounter
  FROM claims c, encounters e WHERE c.claim_key = :eclaim AND e.local_id = 'ENC-1';
SET ROLE st_app_c;
SELECT pg_temp.try(format('SELECT submit_encounter_claim(%L, %L, %L)', 'ENC-1', 'C-ENC-1',
                          '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "5"}]')) AS another_hospitals_encounter;
RESET ROLE;

-- 11. who sees what: the balance only at the counter of an institution where the patient is; the insurer the
-- settlements of the persons insured in the hub's region, in keys and amounts; every read recorded
CREATE ROLE st_ins;
SELECT grant_profile('st_ins', 'insurer') \g /dev/null
SET ROLE st_app_a;
SELECT account_balance('SA', 'sa-1') AS balance_at_the_counter;
SELECT pg_temp.try(format('SELECT account_balance(%L, %L)', 'SA', 'sa-2')) AS not_insured,
       pg_temp.try(format('SELECT region_settlements(%L, %L)', '2026-01-01', '2030-12-31')) AS hospital_reads_region;
RESET ROLE;
SET ROLE st_app_c;
SELECT pg_temp.try(format('SELECT account_balance(%L, %L)', 'SA', 'sa-1')) AS balance_elsewhere;
RESET ROLE;
SET ROLE st_ins;
SELECT count(*) AS settlements, count(*) FILTER (WHERE reversed) AS reversed,
       string_agg(DISTINCT mdtrtarea_admvs::text, ', ') AS places, sum(medfee_sumamt) FILTER (WHERE NOT reversed) AS live_total
  FROM region_settlements(current_date - 1, current_date);
SELECT count(*) AS none_in_the_past FROM region_settlements('2020-01-01', '2020-12-31');
SELECT pg_temp.try(format('SELECT account_balance(%L, %L)', 'SA', 'sa-1')) AS insurer_reads_balance,
       pg_temp.try('SELECT region_settlements(NULL, current_date)') AS no_start;
RESET ROLE;
SELECT action, outcome, count(*) FROM audit_entries WHERE action IN ('read.account', 'read.settlements')
   AND entry_id > :first_entry GROUP BY 1, 2 ORDER BY 1, 2;
SELECT revoke_profile('st_ins', 'insurer') \g /dev/null
DROP ROLE st_ins;

-- 12. family mutual aid: the patient's employee account pays what his wife's own account cannot; a
-- reversal gives each account back its part; bindings are the person's app's (resident_service)
SELECT decision FROM link_record('SA', 'sa-3', '唐琬', '2', '1966-03-03', NULL, '13900000033', '440303');
SELECT person_key AS wife FROM source_records WHERE source = 'SA' AND local_id = 'sa-3' \gset
INSERT INTO insured_persons (person_key, insutype, insuplc_admdvs, psn_type, acct_balance)
VALUES (:wife, '310', '440300', 'retired', 10.00);
UPDATE settle_policies SET mutual_aid = true WHERE policy_key = :pol;
SELECT person_key AS uninsured FROM source_records WHERE source = 'SA' AND local_id = 'sa-2' \gset
CREATE ROLE st_res;
SELECT grant_profile('st_res', 'resident_service') \g /dev/null
SET ROLE st_res;
SELECT bind_family_account(:pat, :wife, 'spouse', 'app request 2026-08-01 #1');
SELECT pg_temp.try(format('SELECT bind_family_account(%s, %s, %L, %L)', :pat, :wife, 'spouse', 'again')) AS bound_twice,
       pg_temp.try(format('SELECT bind_family_account(%s, %s, %L, %L)', :pat, :pat, 'spouse', 'x')) AS to_oneself,
       pg_temp.try(format('SELECT bind_family_account(%s, %s, %L, %L)', :pat, :uninsured, 'child', 'x')) AS uninsured,
       pg_temp.try(format('SELECT bind_family_account(%s, %s, %L, %L)', :pat, :wife, 'neighbour', 'x')) AS bad_relation,
       pg_temp.try(format('SELECT bind_family_account(%s, %s, %L, %L)', :pat, :wife, 'spouse', ' ')) AS no_evidence;
SELECT holder_key = :pat AS holder, member_key = :wife AS member, relation, ended_at IS NULL AS live
  FROM family_accounts_of(:wife);
RESET ROLE;
SET ROLE st_app_a;
SELECT pg_temp.try(format('SELECT bind_family_account(%s, %s, %L, %L)', :pat, :wife, 'spouse', 'x')) AS hospital_binds;
RESET ROLE;
-- (his account, spent by his own bills above, refilled by this year's contribution)
UPDATE insured_persons SET acct_balance = acct_balance + 200 WHERE person_key = :pat;
-- a pre-settlement of her bill tells what his account holds: it is a read of his account too
SELECT max(entry_id) AS before_pre FROM audit_entries \gset
SELECT acct_balance AS husband_before FROM insured_persons WHERE person_key = :pat \gset
SET ROLE st_app_a;
SELECT submit_claim('SA', 'sa-3', 'MZ-FAM-1', '2026-08-02 10:00', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "300"}]') AS fclaim \gset
SELECT pre_settle(:fclaim)->>'acct_mulaid_pay' AS family_would_pay;
SELECT settle(:fclaim, 'FAM-REQ-1') AS fr \gset
RESET ROLE;
SELECT action, person_key = :pat AS his, person_key = :wife AS hers FROM audit_entries
 WHERE entry_id > :before_pre AND action LIKE 'read.%' ORDER BY entry_id;
SELECT :'fr'::jsonb->>'psn_part_amt' AS person_part, :'fr'::jsonb->>'acct_pay' AS account_pays,
       :'fr'::jsonb->>'acct_mulaid_pay' AS of_which_family, :'fr'::jsonb->>'psn_cash_pay' AS cash;
SELECT (SELECT acct_balance FROM insured_persons WHERE person_key = :wife) AS wife_after,
       :husband_before - (SELECT acct_balance FROM insured_persons WHERE person_key = :pat) AS husband_paid;
SELECT regexp_replace(account, '[0-9]{6,}', 'N') AS account, amount FROM ledger_lines
 WHERE setl_key = (:'fr'::jsonb->>'setl_id')::bigint ORDER BY line_no;
SET ROLE st_app_a;
SELECT reverse_settlement((:'fr'::jsonb->>'setl_id')::bigint, '退费')->>'reversed' AS reversed;
RESET ROLE;
SELECT (SELECT acct_balance FROM insured_persons WHERE person_key = :wife) AS wife_restored,
       (SELECT acct_balance FROM insured_persons WHERE person_key = :pat) = :husband_before AS husband_restored,
       (SELECT sum(amount) FROM ledger_lines WHERE setl_key = (:'fr'::jsonb->>'setl_id')::bigint) AS ledger_sum;
-- a holder who is no longer an employee of her region pays nothing, bound or not
UPDATE insured_persons SET insutype = '390' WHERE person_key = :pat;
SET ROLE st_app_a;
SELECT pre_settle(:fclaim)->>'acct_mulaid_pay' AS family_of_a_resident_holder;
RESET ROLE;
UPDATE insured_persons SET insutype = '310' WHERE person_key = :pat;
-- unbound, the family pays nothing
SET ROLE st_res;
SELECT pg_temp.try(format('SELECT unbind_family_account(%s, %s, NULL)', :pat, :wife)) AS no_reason;
SELECT unbind_family_account(:pat, :wife, '持卡人申请解绑');
SELECT pg_temp.try(format('SELECT unbind_family_account(%s, %s, %L)', :pat, :wife, 'again')) AS unbound_twice;
RESET ROLE;
SET ROLE st_app_a;
SELECT settle(:fclaim, 'FAM-REQ-2')->>'acct_mulaid_pay' AS family_after_unbinding;
RESET ROLE;
-- the person's own settlements, everywhere, for the person's app; the hospital may not read them so
SET ROLE st_res;
SELECT institution, mdtrtarea_admvs, medfee_sumamt, acct_pay, acct_mulaid_pay, reversed FROM settlements_of(:wife);
SELECT count(*) AS husbands, count(DISTINCT institution) AS places FROM settlements_of(:pat, 1000);
SELECT pg_temp.try('SELECT count(*) FROM healthhub.settlements_of(NULL)') AS no_person,
       pg_temp.try('SELECT count(*) FROM healthhub.settlements_of(1)') AS no_such_person;
RESET ROLE;
SET ROLE st_app_a;
SELECT pg_temp.try(format('SELECT count(*) FROM healthhub.settlements_of(%s)', :pat)) AS hospital_reads_persons;
RESET ROLE;
SELECT action, count(*) FROM audit_entries WHERE action IN ('read.settlements', 'read.family_accounts')
   AND person_key IS NOT NULL AND entry_id > :first_entry GROUP BY 1 ORDER BY 1;
SELECT revoke_profile('st_res', 'resident_service') \g /dev/null
DROP ROLE st_res;

-- every settlement and reversal is in the trail
SELECT action, count(*) FROM audit_entries WHERE object_kind IN ('settlement', 'claim') AND action <> 'read.settlement'
   AND entry_id > :first_entry GROUP BY action ORDER BY action;

-- leave the hub as it was for later tests
SELECT revoke_profile(r::regrole, 'institution_app') FROM unnest(ARRAY['st_app_a', 'st_app_b', 'st_app_c']) r \g /dev/null
SELECT revoke_profile('st_phar', 'pharmacist') \g /dev/null
DROP ROLE st_app_a, st_app_b, st_app_c, st_phar;
DELETE FROM ledger_lines;
DELETE FROM settlement_funds;
DELETE FROM settlement_family_pays;
DELETE FROM family_accounts;
DELETE FROM settlements;
DELETE FROM claims;
DELETE FROM encounters WHERE institution_key = :sa;
DELETE FROM dispenses;
DELETE FROM prescription_events;
DELETE FROM prescriptions;
DELETE FROM practitioners WHERE source = 'settle-test';
DELETE FROM insured_years;
DELETE FROM insured_persons;
DELETE FROM settle_catalogues;
DELETE FROM settle_policies;
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('SA', 'SB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('SA', 'SB'));
DELETE FROM link_decisions WHERE source IN ('SA', 'SB');
DELETE FROM source_records WHERE source IN ('SA', 'SB');
DELETE FROM institutions WHERE source = 'settle-test';
