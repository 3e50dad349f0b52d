-- A policy (fund rules and trip reductions) loaded through the validated
-- staging: every class of bad line reported and nothing loaded; a good file
-- a new version that ends the one before; the same file again a no-op;
-- only the hub's administrators load.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

-- the bands' text form
SELECT b, settle_bands(b) FROM unnest(ARRAY['50000:0.85 *:0.90', '*:1', '100:0.5 50:0.6', '*:0.5 100:0.6', '100:1.5',
                                             '50000 :0.85', '']) b;

-- every class of bad line: nothing of the file is loaded
INSERT INTO stage_settle_policy (stage, seq, fund_pay_type, hosp_lv, psn_type, assistance_tier, dedc_std,
                                 dedc_per_admission, bands, annual_cap, trip_status, ratio_reduction) VALUES
    ('basic', NULL, '310100', '3', NULL, NULL, '800', '0', '50000:0.85 *:0.90', '500000', NULL, NULL),
    ('basic', NULL, '310100', '3', NULL, NULL, '800', '0', '*:0.9', NULL, NULL, NULL),
    ('bonus', NULL, '310100', NULL, NULL, NULL, NULL, NULL, '*:0.9', NULL, NULL, NULL),
    ('tier2', '7', '3301', '4', 'student', NULL, '-1', 'yes', '*:2', 'lots', NULL, NULL),
    ('assistance', NULL, '610100', NULL, NULL, NULL, NULL, NULL, '*:0.7', NULL, NULL, NULL),
    ('supplement', NULL, '320100', NULL, NULL, 'low_income', NULL, NULL, '*:0.5', NULL, NULL, NULL),
    ('trip', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'abroad', '0.1'),
    ('trip', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'unfiled_normal', NULL),
    (NULL, NULL, '310100', NULL, NULL, NULL, NULL, NULL, '*:0.9', NULL, NULL, NULL);
SELECT policy_key IS NULL AS nothing, staged, loaded, rejected
  FROM load_settle_policy('gd-ybj', 'sha256:' || repeat('1', 64), '440300', '310', '2026-01-01', true, 'Shenzhen 2026');
SELECT line_no, column_name, value, reason FROM load_errors
 WHERE load_id = (SELECT max(load_id) FROM loads WHERE kind = 'settle_policy') ORDER BY line_no, column_name;
SELECT count(*) AS policies FROM settle_policies WHERE insuplc_admdvs::text = '440300' AND insutype = '310';

-- a good file
INSERT INTO stage_settle_policy (stage, seq, fund_pay_type, hosp_lv, psn_type, assistance_tier, dedc_std,
                                 dedc_per_admission, bands, annual_cap, trip_status, ratio_reduction) VALUES
    ('basic', NULL, '310100', '3', NULL, NULL, '800', '0', '50000:0.85 *:0.90', '500000', NULL, NULL),
    ('basic', NULL, '310100', '1', 'retired', NULL, '300', '0', '*:0.95', '500000', NULL, NULL),
    ('tier2', NULL, '330100', NULL, NULL, NULL, NULL, NULL, '*:0.5', NULL, NULL, NULL),
    ('assistance', NULL, '610100', NULL, NULL, 'low_income', NULL, NULL, '*:0.7', '10000', NULL, NULL),
    ('trip', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'unfiled_normal', '0.1');
SELECT policy_key AS p2026, loaded, rejected
  FROM load_settle_policy('gd-ybj', 'sha256:' || repeat('2', 64), '440300', '310', '2026-01-01', true, 'Shenzhen 2026') \gset
SELECT stage, seq, fund_pay_type, hosp_lv, psn_type, assistance_tier, dedc_std, dedc_per_admission, bands, annual_cap
  FROM settle_fund_rules WHERE policy_key = :p2026 ORDER BY stage, hosp_lv;
SELECT trip_status, ratio_reduction FROM settle_trip_rules WHERE policy_key = :p2026;
-- the engine reads what was loaded
SELECT settlement_split('[{"det_item_fee_sumamt": "1800", "chrgitm_lv": "01"}]',
                        jsonb_build_object('basic', (SELECT jsonb_build_object('fund_pay_type', fund_pay_type, 'dedc_std', dedc_std,
                                                                               'bands', bands, 'annual_cap', annual_cap)
                                                       FROM settle_fund_rules WHERE policy_key = :p2026 AND hosp_lv = '3'))) ->> 'hifp_pay' AS basic;
-- the same file again: nothing changes; 2027's version ends 2026's
INSERT INTO stage_settle_policy (stage, bands) VALUES ('basic', '*:1');
SELECT policy_key = :p2026 AS same, already_loaded
  FROM load_settle_policy('gd-ybj', 'SHA256:' || repeat('2', 64), '440300', '310', '2026-01-01', true, 'Shenzhen 2026');
INSERT INTO stage_settle_policy (stage, fund_pay_type, bands) VALUES ('basic', '310100', '*:0.9');
SELECT policy_key IS NOT NULL AS loaded FROM load_settle_policy('gd-ybj', 'sha256:' || repeat('3', 64), '440300', '310', '2027-01-01', false, 'Shenzhen 2027');
SELECT policy_key = :p2026 AS v2026, valid, account_pays FROM settle_policies
 WHERE insuplc_admdvs::text = '440300' AND insutype = '310' ORDER BY valid;
-- a file without a basic fund; bad calls; who may
INSERT INTO stage_settle_policy (stage, fund_pay_type, bands) VALUES ('tier2', '330100', '*:0.5');
SELECT policy_key IS NULL AS nothing, rejected FROM load_settle_policy('gd-ybj', 'sha256:' || repeat('4', 64), '440300', '310', '2028-01-01', true, 'x');
SELECT line_no, column_name, reason FROM load_errors WHERE load_id = (SELECT max(load_id) FROM loads WHERE kind = 'settle_policy');
SELECT * FROM load_settle_policy('gd-ybj', 'sha256:' || repeat('5', 64), '440300', '320', '2028-01-01', true, 'x');
SELECT * FROM load_settle_policy('gd-ybj', 'sha256:' || repeat('5', 64), '440300', '310', NULL, true, 'x');
CREATE ROLE sp_ins;
SELECT grant_profile('sp_ins', 'insurer') \g /dev/null
SET ROLE sp_ins;
SELECT * FROM load_settle_policy('gd-ybj', 'sha256:' || repeat('6', 64), '440300', '310', '2028-01-01', true, 'x');
RESET ROLE;
SELECT revoke_profile('sp_ins', 'insurer') \g /dev/null
DROP ROLE sp_ins;

-- leave the hub as it was for later tests
TRUNCATE stage_settle_policy;
DELETE FROM settle_policies WHERE insuplc_admdvs::text = '440300' AND insutype = '310' AND basis LIKE 'Shenzhen%';
DELETE FROM load_errors WHERE load_id IN (SELECT load_id FROM loads WHERE kind = 'settle_policy');
DELETE FROM loads WHERE kind = 'settle_policy';
