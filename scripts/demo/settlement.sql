-- One-stop settlement on the demo hub (scripts/demo.sh): the patient of the
-- records demo, a retired employee insured in Shenzhen, is settled for an
-- admission at the city hospital (the trace shows how), then for a visit in
-- Beijing on an unfiled trip (Beijing's catalogue, Shenzhen's policy, ten
-- points off), for the outpatient visit the records demo loaded (billed from
-- its encounter) and for the online follow-up's metformin the retail
-- pharmacy dispensed (the same policy; the dispense and its prescription
-- settled with it); the first settlement is reversed and settled again.
-- Runs after records.sql and prescriptions.sql.
\pset footer off
SET client_min_messages = warning;

-- a Beijing hospital (its registry's row; a Beijing hub would hold it), and its application's role
INSERT INTO healthhub.institutions (name, kind, level, grade, region, source, source_ref, valid)
VALUES ('北京演示医院', 'hospital', '3', '甲', '110105', 'demo-bj', 'BJ-H', '[2020-01-01,)');
CREATE ROLE demo_bj;
SELECT healthhub.grant_profile('demo_bj', 'institution_app', institution_key)
  FROM healthhub.institutions WHERE source_ref = 'BJ-H' \g /dev/null

\echo 'The policy (Shenzhen, employees) and the catalogues (Guangdong, Beijing), as data:'
INSERT INTO healthhub.settle_policies (insuplc_admdvs, insutype, valid, account_pays, basis)
VALUES ('440300', '310', '[2020-01-01,)', true, 'demo: Shenzhen employees (figures illustrative)');
SELECT policy_key AS policy FROM healthhub.settle_policies WHERE basis LIKE 'demo:%' \gset
INSERT INTO healthhub.settle_fund_rules (policy_key, stage, fund_pay_type, hosp_lv, psn_type, dedc_std, bands, annual_cap)
VALUES (:policy, 'basic', '310100', '*', 'in_service', 1300, '[{"upto": 100000, "ratio": 0.85}, {"ratio": 0.90}]', 500000),
       (:policy, 'basic', '310100', '*', 'retired', 1300, '[{"upto": 100000, "ratio": 0.90}, {"ratio": 0.95}]', 500000),
       (:policy, 'tier2', '330100', '*', '*', 0, '[{"ratio": 0.60}]', NULL);
INSERT INTO healthhub.settle_trip_rules VALUES (:policy, 'unfiled_normal', 0.10), (:policy, 'resident_elsewhere', 0);
INSERT INTO healthhub.settle_catalogues (mdtrtarea_admvs, valid, basis)
VALUES ('440000', '[2020-01-01,)', 'demo: Guangdong'), ('110000', '[2020-01-01,)', 'demo: Beijing');
INSERT INTO healthhub.settle_items (catalogue_key, med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt)
SELECT c.catalogue_key, v.code, v.name, v.lv, CASE WHEN c.mdtrtarea_admvs::text = '110000' THEN v.prop_bj ELSE v.prop END, v.cap
  FROM healthhub.settle_catalogues c,
       (VALUES ('001101000010000', '住院诊查费', '01', 0, 0, NULL),
               ('250101015', '血常规', '01', 0, 0, NULL),
               ('XA10BAE001A001010100001', '二甲双胍', '02', 0.10, 0.05, 2.00),
               ('270800004', '特需病房', '03', 0, 0, NULL)) v(code, name, lv, prop, prop_bj, cap)
 WHERE c.basis LIKE 'demo:%';
SELECT stage, fund_pay_type, psn_type, dedc_std, bands, annual_cap FROM healthhub.settle_fund_rules
 WHERE policy_key = :policy ORDER BY stage, psn_type;

\echo 'The patient: retired, insured in Shenzhen, 2,000.00 in the personal account'
SELECT person_key AS patient FROM healthhub.source_records WHERE source = 'SZ-PH' AND local_id = 'ph-1001' \gset
SELECT healthhub.enrol_insured(:patient, '310', '440300', 'retired'),
       healthhub.credit_account(:patient, 2000.00, '2026 年度个人账户划入') AS balance;

\echo 'An admission at the city hospital: billed line by line, settled once (the trace says how):'
SET ROLE demo_ph;
SELECT healthhub.submit_claim('SZ-PH', 'ph-1001', 'ZY-DEMO-1', now() - interval '3 days', '[
    {"med_list_codg": "001101000010000", "det_item_fee_sumamt": "4200.00"},
    {"med_list_codg": "250101015", "det_item_fee_sumamt": "300.00"},
    {"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "240.00", "cnt": 100},
    {"med_list_codg": "270800004", "det_item_fee_sumamt": "800.00"}]', true) AS claim \gset
SELECT healthhub.settle(:claim, 'DEMO-REQ-1') AS r \gset
RESET ROLE;
SELECT r->>'medfee_sumamt' AS total, r->>'hifp_pay' AS pooled_fund, r->>'hifob_pay' AS large_expense,
       r->>'acct_pay' AS account, r->>'psn_cash_pay' AS cash, r->>'balc' AS balance
  FROM (SELECT :'r'::jsonb AS r) x;
\pset format unaligned
SELECT :'r'::jsonb ->> 'setl_proc_info' AS setl_proc_info;
\pset format aligned

\echo 'The same request again (a retry of the hospital system): the first result, nothing paid twice'
SET ROLE demo_ph;
SELECT r->>'setl_id' = :'r'::jsonb ->> 'setl_id' AS same_settlement, r->>'replayed' AS replayed
  FROM healthhub.settle(:claim, 'DEMO-REQ-1') r;
RESET ROLE;

\echo 'A visit in Beijing on an unfiled trip: Beijing''s catalogue (5% first for metformin, no cap), Shenzhen''s policy, ten points off'
SELECT decision FROM healthhub.link_record('BJ-H', 'bj-1', '欧阳修', '1', '1957-08-01', '440304195708010015', NULL, '440304');
SET ROLE demo_bj;
SELECT healthhub.submit_claim('BJ-H', 'bj-1', 'BJ-DEMO-1', now() - interval '1 day',
    '[{"med_list_codg": "250101015", "det_item_fee_sumamt": "120.00"},
      {"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "300.00", "cnt": 100}]',
    false, 'unfiled_normal') AS bj_claim \gset
SELECT r->>'insuplc_admdvs' AS insured_in, r->>'mdtrtarea_admvs' AS treated_in, r->>'preselfpay_amt' AS self_pay_first,
       r->>'pool_prop_selfpay' AS ratio, r->>'hifp_pay' AS pooled_fund, r->>'psn_cash_pay' AS cash
  FROM healthhub.settle(:bj_claim, 'BJ-DEMO-REQ-1') r;
RESET ROLE;

\echo 'The diabetes visit of a month ago, billed from the encounter the hospital recorded (its date, its diagnosis):'
SELECT local_id AS visit FROM healthhub.encounters WHERE local_id LIKE 'MZ-%-12' \gset
SET ROLE demo_ph;
SELECT healthhub.submit_encounter_claim(:'visit', 'MZ-DEMO-1',
    '[{"med_list_codg": "250101015", "det_item_fee_sumamt": "25.00"}]') AS visit_claim \gset
SELECT r->>'medfee_sumamt' AS total, r->>'acct_pay' AS account, r->>'psn_cash_pay' AS cash
  FROM healthhub.settle(:visit_claim, 'MZ-DEMO-REQ-1') r;
RESET ROLE;
SELECT begntime::date = (now() - interval '30 days')::date AS encounter_date, diagnoses FROM healthhub.claims
 WHERE claim_key = :visit_claim;

\echo 'The online follow-up''s metformin, dispensed at the retail pharmacy: billed by the pharmacy, settled under the same policy'
SELECT d.dispense_key AS dispense FROM healthhub.dispenses d ORDER BY d.dispensed_at DESC LIMIT 1 \gset
SET ROLE demo_yl_pharmacist;
SELECT healthhub.submit_dispense_claim(:dispense, 'YD-DEMO-1',
    '[{"med_list_codg": "XA10BAE001A001010100001", "det_item_fee_sumamt": "21.00", "cnt": 42}]') AS rx_claim \gset
SELECT r->>'medfee_sumamt' AS total, r->>'preselfpay_amt' AS self_pay_first, r->>'hifp_pay' AS pooled_fund,
       r->>'acct_pay' AS account, r->>'psn_cash_pay' AS cash
  FROM healthhub.settle(:rx_claim, 'YD-DEMO-REQ-1') r;
RESET ROLE;
SELECT p.state AS prescription, d.settled_at IS NOT NULL AS dispense_settled
  FROM healthhub.dispenses d JOIN healthhub.prescriptions p USING (person_key, prescription_key)
 WHERE d.dispense_key = :dispense;

\echo 'The admission was billed wrongly: reversed (the year and the account restored), then settled again'
SELECT setl_key AS setl FROM healthhub.settlements WHERE idempotency_key = 'DEMO-REQ-1' \gset
SET ROLE demo_ph;
SELECT r->>'reversed' AS reversed FROM healthhub.reverse_settlement(:setl, '收费项目录入错误') r;
RESET ROLE;
SELECT fund_pay_type, deductible_met, paid FROM healthhub.insured_years WHERE person_key = :patient ORDER BY 1;
SET ROLE demo_ph;
SELECT r->>'act_pay_dedc' AS deductible, r->>'hifp_pay' AS pooled_fund, r->>'psn_cash_pay' AS cash
  FROM healthhub.settle(:claim, 'DEMO-REQ-2') r;
RESET ROLE;
SELECT idempotency_key, insuplc_admdvs, mdtrtarea_admvs, medfee_sumamt, fund_pay_sumamt, psn_cash_pay,
       reversed_at IS NOT NULL AS reversed
  FROM healthhub.settlements WHERE person_key = :patient ORDER BY setl_time;
SELECT round(sum(amount), 2) AS ledger_sum FROM healthhub.ledger_lines WHERE person_key = :patient;
