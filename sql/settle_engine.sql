-- The settlement engine as a function (settlement_split): the worked example
-- of docs/settlement.md, every stage (deductible, bands, caps, tier 2,
-- supplements, assistance, an unfiled trip, the accounts), every class of
-- bad input, and a property test over 100,000 generated claims.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- the worked example: an employee in service, a tertiary hospital
\set lines '[{"det_item_fee_sumamt": "1000.00", "chrgitm_lv": "01"}, {"det_item_fee_sumamt": "500.00", "cnt": 2, "pric_uplmt_amt": "200.00", "chrgitm_lv": "02", "selfpay_prop": "0.1"}, {"det_item_fee_sumamt": "200.00", "chrgitm_lv": "03"}]'
\set policy '{"basic": {"fund_pay_type": "310100", "dedc_std": "800", "bands": [{"upto": "50000", "ratio": "0.85"}, {"ratio": "0.9"}], "annual_cap": "500000"}, "tier2": {"fund_pay_type": "330100", "bands": [{"ratio": "0.5"}]}, "assistance": {"fund_pay_type": "610100", "bands": [{"ratio": "0.7"}], "annual_cap": "10000"}, "account_pays": true}'
\set year '{"funds": {"310100": {"deductible_met": "300.00"}}, "account_balance": "50.00"}'
SELECT settlement_split(:'lines', :'policy', :'year') AS r \gset
SELECT key, value FROM jsonb_each(:'r') WHERE key NOT IN ('setldetail', 'setl_proc_info', 'year_after') ORDER BY key;
SELECT * FROM jsonb_to_recordset(:'r'::jsonb -> 'setldetail')
    AS (fund_pay_type text, inscp_scp_amt numeric, crt_payb_lmt_amt numeric, fund_payamt numeric);
\pset format unaligned
SELECT :'r'::jsonb ->> 'setl_proc_info' AS setl_proc_info;
\pset format aligned
SELECT jsonb_pretty(:'r'::jsonb -> 'year_after') AS year_after;
-- the four invariants of the result
SELECT (r->>'medfee_sumamt')::numeric = (r->>'fulamt_ownpay_amt')::numeric + (r->>'overlmt_selfpay')::numeric
                                        + (r->>'preselfpay_amt')::numeric + (r->>'inscp_scp_amt')::numeric AS parts,
       (r->>'fund_pay_sumamt')::numeric = (r->>'hifp_pay')::numeric + (r->>'cvlserv_pay')::numeric + (r->>'hifes_pay')::numeric
                                          + (r->>'hifmi_pay')::numeric + (r->>'hifob_pay')::numeric + (r->>'maf_pay')::numeric
                                          + (r->>'oth_pay')::numeric AS funds,
       (r->>'psn_part_amt')::numeric = (r->>'medfee_sumamt')::numeric - (r->>'fund_pay_sumamt')::numeric
                                       - (r->>'hosp_part_amt')::numeric AS person,
       (r->>'psn_part_amt')::numeric = (r->>'acct_pay')::numeric + (r->>'psn_cash_pay')::numeric AS paid_by
  FROM (SELECT :'r'::jsonb AS r) x;

-- the same bill again, on the year after: the deductible is met, the account empty
SELECT r->>'act_pay_dedc' AS deductible, r->>'hifp_pay' AS basic, r->>'acct_pay' AS account, r->>'psn_cash_pay' AS cash
  FROM (SELECT settlement_split(:'lines', :'policy', :'r'::jsonb -> 'year_after') AS r) x;

-- a resident: a deductible per admission, critical illness above its own deductible, an unfiled trip
-- (ten points off every band), the pooled fund near its cap, the family's account
\set policy2 '{"basic": {"fund_pay_type": "390100", "dedc_std": "600", "dedc_per_admission": true, "bands": [{"ratio": "0.7"}], "annual_cap": "200000"}, "tier2": {"fund_pay_type": "390200", "dedc_std": "15000", "bands": [{"upto": "100000", "ratio": "0.6"}, {"ratio": "0.7"}]}, "ratio_reduction": "0.1", "account_pays": true, "mutual_aid": true}'
\set lines2 '[{"det_item_fee_sumamt": "40000", "chrgitm_lv": "01"}, {"det_item_fee_sumamt": "3000", "chrgitm_lv": "01", "lmt_used_flag": "1", "hosp_appr_flag": "0"}, {"det_item_fee_sumamt": "2000", "chrgitm_lv": "01", "lmt_used_flag": "1", "hosp_appr_flag": "1"}, {"det_item_fee_sumamt": "500", "chrgitm_lv": "01", "hosp_bear_flag": "1"}]'
SELECT settlement_split(:'lines2', :'policy2',
       '{"funds": {"390100": {"deductible_met": "600", "paid": "190000"}, "390200": {"deductible_met": "10000"}}, "account_balance": "100", "mutual_aid_balance": "1000"}') AS r2 \gset
\pset format unaligned
SELECT :'r2'::jsonb ->> 'setl_proc_info' AS setl_proc_info;
\pset format aligned
SELECT r->>'fulamt_ownpay_amt' AS self_paid, r->>'hosp_part_amt' AS hospital, r->>'hifp_pay' AS basic,
       r->>'pool_prop_selfpay' AS ratio, r->>'hifmi_pay' AS critical_illness, r->>'acct_pay' AS accounts,
       r->>'acct_mulaid_pay' AS family, r->>'psn_cash_pay' AS cash, r->>'balc' AS balance
  FROM (SELECT :'r2'::jsonb AS r) x;

-- a civil servant's subsidy and enterprise supplement between tier 2 and assistance
SELECT r->>'hifp_pay' AS basic, r->>'cvlserv_pay' AS civil_servant, r->>'hifes_pay' AS enterprise, r->>'oth_pay' AS other,
       jsonb_array_length(r->'setldetail') AS funds
  FROM (SELECT settlement_split('[{"det_item_fee_sumamt": "1000", "chrgitm_lv": "01"}]',
        '{"basic": {"fund_pay_type": "310100", "bands": [{"ratio": "0.8"}]},
          "supplements": [{"fund_pay_type": "320100", "bands": [{"ratio": "0.5"}]}, {"fund_pay_type": "370100", "bands": [{"ratio": "0.5"}]},
                          {"fund_pay_type": "999996", "bands": [{"ratio": "1"}], "annual_cap": "10"}]}') AS r) x;
-- amounts as numbers or strings; zeros beyond the fen change nothing
SELECT settlement_split('[{"det_item_fee_sumamt": 12.5000, "chrgitm_lv": "01"}, {"det_item_fee_sumamt": "7", "chrgitm_lv": "01"}]',
                        '{"basic": {"fund_pay_type": "310100", "bands": [{"ratio": "0.80000"}]}}') ->> 'hifp_pay' AS basic;
-- rounding: half a fen away from zero, once per fund
SELECT r->>'preselfpay_amt' AS b_self_pay_first, r->>'hifp_pay' AS basic
  FROM (SELECT settlement_split('[{"det_item_fee_sumamt": "0.05", "chrgitm_lv": "02", "selfpay_prop": "0.1"}, {"det_item_fee_sumamt": "0.03", "chrgitm_lv": "01"}]',
                                '{"basic": {"fund_pay_type": "310100", "bands": [{"ratio": "0.5"}]}}') AS r) x;

-- every class of bad input: 22023 naming the line or the part, or 22004
SELECT settlement_split('[{"det_item_fee_sumamt": "-1.00", "chrgitm_lv": "01"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "1.005", "chrgitm_lv": "01"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "12 yuan", "chrgitm_lv": "01"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": 1e20, "chrgitm_lv": "01"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "1", "chrgitm_lv": "01"}, {"chrgitm_lv": "01"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "1", "chrgitm_lv": "A"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "1", "chrgitm_lv": "02", "selfpay_prop": "1.5"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "1", "chrgitm_lv": "01", "currency": "USD"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "1", "chrgitm_lv": "01", "hosp_appr_flag": "3"}]', :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "1", "chrgitm_lv": "01", "lmt_used_flag": "yes"}]', :'policy');
SELECT settlement_split('[]', :'policy');
SELECT settlement_split('{"det_item_fee_sumamt": "1"}', :'policy');
SELECT settlement_split('[1]', :'policy');
SELECT settlement_split((SELECT jsonb_agg('{"det_item_fee_sumamt": "1", "chrgitm_lv": "01"}'::jsonb) FROM generate_series(1, 1001)), :'policy');
SELECT settlement_split('[{"det_item_fee_sumamt": "900000000000", "chrgitm_lv": "01"}, {"det_item_fee_sumamt": "900000000000", "chrgitm_lv": "01"}]', :'policy');
SELECT settlement_split(:'lines', '{}');
SELECT settlement_split(:'lines', '{"basic": {"fund_pay_type": "310100", "bands": []}}');
SELECT settlement_split(:'lines', '{"basic": {"fund_pay_type": "310100", "bands": [{"upto": "100", "ratio": "0.8"}, {"upto": "50", "ratio": "0.9"}]}}');
SELECT settlement_split(:'lines', '{"basic": {"fund_pay_type": "310100", "bands": [{"ratio": "0.8"}, {"ratio": "0.9"}]}}');
SELECT settlement_split(:'lines', '{"basic": {"fund_pay_type": "31", "bands": [{"ratio": "0.8"}]}}');
SELECT settlement_split(:'lines', '{"basic": {"fund_pay_type": "310100", "bands": [{"ratio": "0.8"}], "cap": "1"}}');
SELECT settlement_split(:'lines', '{"basic": {"fund_pay_type": "310100", "bands": [{"ratio": "0.8"}]}, "ratio_reduction": "-0.1"}');
SELECT settlement_split(:'lines', :'policy', '{"funds": {"390100": {"paid": "1"}}}');
SELECT settlement_split(:'lines', :'policy', '{"funds": {"310100": {"paid": "-1"}}}');
SELECT settlement_split(:'lines', :'policy', '{"account_balance": "abc"}');
SELECT settlement_split(NULL, :'policy');
SELECT settlement_split(:'lines', :'policy', NULL);

-- property test: 100,000 generated claims (1 to 8 lines of every class, caps, restricted items,
-- refused lines; policies with bands, caps, tier 2, assistance, a reduction; years part used):
-- the four invariants hold, no fund exceeds its cap or its base, the accounts stay within their balances
SELECT setseed(0.2026);
CREATE TEMP TABLE claims AS
SELECT c, (SELECT jsonb_agg(jsonb_build_object(
              'det_item_fee_sumamt', (floor(random() * 500000) / 100)::text,
              'cnt', 1 + floor(random() * 3),
              'pric_uplmt_amt', CASE WHEN random() < 0.3 THEN (floor(random() * 200000) / 100)::text END,
              'chrgitm_lv', '0' || (1 + floor(random() * 3)),
              'selfpay_prop', (floor(random() * 3000) / 10000)::text,
              'lmt_used_flag', CASE WHEN random() < 0.2 THEN '1' ELSE '0' END,
              'hosp_appr_flag', CASE WHEN random() < 0.5 THEN '1' ELSE '0' END,
              'hosp_bear_flag', CASE WHEN random() < 0.05 THEN '1' ELSE '0' END))
             FROM generate_series(1, 1 + (c * 7919) % 8) k) AS lines,
       jsonb_build_object(
           'basic', jsonb_build_object('fund_pay_type', '310100', 'dedc_std', (floor(random() * 200000) / 100)::text,
                                       'dedc_per_admission', random() < 0.3,
                                       'bands', jsonb_build_array(jsonb_build_object('upto', (floor(random() * 5000000) / 100)::text,
                                                                                     'ratio', (floor(random() * 10000) / 10000)::text),
                                                                  jsonb_build_object('ratio', (floor(random() * 10000) / 10000)::text)),
                                       'annual_cap', (floor(random() * 5000000) / 100)::text),
           'tier2', jsonb_build_object('fund_pay_type', '330100', 'dedc_std', (floor(random() * 2000000) / 100)::text,
                                       'bands', jsonb_build_array(jsonb_build_object('ratio', (floor(random() * 10000) / 10000)::text)),
                                       'annual_cap', (floor(random() * 10000000) / 100)::text),
           'assistance', jsonb_build_object('fund_pay_type', '610100',
                                            'bands', jsonb_build_array(jsonb_build_object('ratio', (floor(random() * 10000) / 10000)::text)),
                                            'annual_cap', (floor(random() * 1000000) / 100)::text),
           'ratio_reduction', CASE WHEN random() < 0.2 THEN '0.1' ELSE '0' END,
           'account_pays', random() < 0.7, 'mutual_aid', random() < 0.3) AS policy,
       jsonb_build_object(
           'funds', jsonb_build_object('310100', jsonb_build_object('deductible_met', (floor(random() * 200000) / 100)::text,
                                                                   'base_done', (floor(random() * 2000000) / 100)::text,
                                                                   'paid', (floor(random() * 5000000) / 100)::text),
                                       '330100', jsonb_build_object('paid', (floor(random() * 1000000) / 100)::text),
                                       '610100', jsonb_build_object('paid', (floor(random() * 1000000) / 100)::text)),
           'account_balance', (floor(random() * 300000) / 100)::text,
           'mutual_aid_balance', (floor(random() * 300000) / 100)::text) AS year
  FROM generate_series(1, 100000) c;
CREATE TEMP TABLE results AS SELECT c, policy, year, settlement_split(lines, policy, year) AS r FROM claims;
SELECT count(*) AS claims,
       count(*) FILTER (WHERE medfee_sumamt <> fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt) AS parts_off,
       count(*) FILTER (WHERE fund_pay_sumamt <> hifp_pay + cvlserv_pay + hifes_pay + hifmi_pay + hifob_pay + maf_pay + oth_pay) AS funds_off,
       count(*) FILTER (WHERE psn_part_amt <> medfee_sumamt - fund_pay_sumamt - hosp_part_amt) AS person_off,
       count(*) FILTER (WHERE psn_part_amt <> acct_pay + psn_cash_pay) AS paid_by_off,
       count(*) FILTER (WHERE (r #>> '{year_after,funds,310100,paid}')::numeric > greatest((policy #>> '{basic,annual_cap}')::numeric,
                                                                                            (year #>> '{funds,310100,paid}')::numeric)
                           OR (r #>> '{year_after,funds,330100,paid}')::numeric > greatest((policy #>> '{tier2,annual_cap}')::numeric,
                                                                                            (year #>> '{funds,330100,paid}')::numeric)
                           OR (r #>> '{year_after,funds,610100,paid}')::numeric > greatest((policy #>> '{assistance,annual_cap}')::numeric,
                                                                                            (year #>> '{funds,610100,paid}')::numeric)) AS caps_exceeded,
       count(*) FILTER (WHERE EXISTS (SELECT FROM jsonb_to_recordset(r->'setldetail') AS d(fund_payamt numeric, inscp_scp_amt numeric)
                                       WHERE d.fund_payamt > d.inscp_scp_amt OR d.fund_payamt < 0)) AS fund_above_base,
       count(*) FILTER (WHERE acct_pay - acct_mulaid_pay > (year->>'account_balance')::numeric
                           OR acct_mulaid_pay > (year->>'mutual_aid_balance')::numeric OR psn_cash_pay < 0 OR balc < 0) AS accounts_off,
       count(*) FILTER (WHERE fund_pay_sumamt > 0) AS paid_something,
       count(*) FILTER (WHERE hifp_pay < inscp_scp_amt - act_pay_dedc) AS capped_or_banded
  FROM results, jsonb_to_record(r) AS x(medfee_sumamt numeric, fulamt_ownpay_amt numeric, overlmt_selfpay numeric,
                                       preselfpay_amt numeric, inscp_scp_amt numeric, act_pay_dedc numeric, hifp_pay numeric,
                                       cvlserv_pay numeric, hifes_pay numeric, hifmi_pay numeric, hifob_pay numeric, maf_pay numeric,
                                       oth_pay numeric, fund_pay_sumamt numeric, psn_part_amt numeric, acct_pay numeric,
                                       acct_mulaid_pay numeric, psn_cash_pay numeric, hosp_part_amt numeric, balc numeric);
