-- Reversal at scale, as a property: 300 insured persons (some paying for a
-- spouse from their accounts, some in assistance), 3,000 generated claims.
--   1. settle 2,000 and keep the state (every person's year and account);
--   2. settle the other 1,000, reverse them in a random order: the state is
--      the kept one exactly;
--   3. reverse 300 of the first at random, settle their claims again: at
--      every step each year is the sum of its live settlements'
--      contributions, each account its opening balance less what its live
--      settlements took from it, every settlement's ledger sums to zero, no
--      fund pays above its cap.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
SELECT setseed(0.1207);

INSERT INTO institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('冲正性质医院', 'hospital', '2', '440304', 'settle-prop', 'PA', '[2000-01-01,)');
SELECT institution_key AS pa FROM institutions WHERE source = 'settle-prop' \gset
CREATE ROLE sp_app;
SELECT grant_profile('sp_app', 'institution_app', :pa) \g /dev/null
INSERT INTO settle_policies (insuplc_admdvs, insutype, valid, account_pays, mutual_aid, basis)
VALUES ('440300', '310', '[2026-01-01,2027-01-01)', true, true, 'property test');
SELECT policy_key AS pol FROM settle_policies WHERE basis = 'property test' \gset
INSERT INTO settle_fund_rules (policy_key, stage, fund_pay_type, psn_type, assistance_tier, dedc_std, bands, annual_cap) VALUES
    (:pol, 'basic', '310100', '*', '*', 600, '[{"upto": 3000, "ratio": 0.8}, {"ratio": 0.9}]', 6000),
    (:pol, 'basic', '310100', 'retired', '*', 400, '[{"ratio": 0.92}]', 8000),
    (:pol, 'tier2', '330100', '*', '*', 1000, '[{"ratio": 0.6}]', 20000),
    (:pol, 'assistance', '610100', '*', 'low_income', 0, '[{"ratio": 0.7}]', 1500);
INSERT INTO settle_catalogues (mdtrtarea_admvs, valid, basis) VALUES ('440000', '[2026-01-01,2027-01-01)', 'property test');
SELECT catalogue_key AS cat FROM settle_catalogues WHERE basis = 'property test' \gset
INSERT INTO settle_items (catalogue_key, med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt)
SELECT :cat, 'P' || g, '项目' || g, '0' || (1 + g % 3), CASE WHEN g % 3 = 1 THEN 0.1 * (g % 4) ELSE 0 END,
       CASE WHEN g % 5 = 0 THEN 40 * g END
  FROM generate_series(1, 30) g;

-- 300 persons: a third retired, a tenth in assistance, accounts of 0 to 3,000; persons 1-40 and 41-80 are
-- couples whose accounts pay for each other
SELECT count(link_record('PA', 'pp-' || g, '冲' || chr(19968 + g * 7) || chr(20000 + g), (1 + g % 2)::text, '1950-01-01'::date + g * 40, NULL,
                         '137' || lpad(g::text, 8, '0'), '440304'))
  FROM generate_series(1, 300) g;
CREATE TEMP TABLE persons AS
SELECT g AS n, s.person_key FROM generate_series(1, 300) g JOIN source_records s ON s.source = 'PA' AND s.local_id = 'pp-' || g;
INSERT INTO insured_persons (person_key, insutype, insuplc_admdvs, psn_type, assistance_tier, acct_balance)
SELECT person_key, '310', '440300', CASE WHEN n % 3 = 0 THEN 'retired' ELSE 'in_service' END,
       CASE WHEN n % 10 = 0 THEN 'low_income' END, floor(random() * 300000) / 100
  FROM persons;
INSERT INTO family_accounts (person_key, holder_key, relation, evidence)
SELECT a.person_key, b.person_key, 'spouse', 'property test'
  FROM persons a JOIN persons b ON b.n = CASE WHEN a.n <= 40 THEN a.n + 40 ELSE a.n - 40 END
 WHERE a.n <= 80;
CREATE TEMP TABLE opening AS SELECT person_key, acct_balance FROM insured_persons;

-- 3,000 claims of 1 to 6 lines, one in eight an admission (written directly: the submission is tested elsewhere)
CREATE TEMP TABLE gen AS
SELECT g.n, p.person_key, g.admission, g.nlines
  FROM (SELECT g AS n, 1 + floor(random() * 300)::integer AS who, random() < 0.125 AS admission,
               1 + floor(random() * 6)::integer AS nlines
          FROM generate_series(1, 3000) g) g JOIN persons p ON p.n = g.who;
INSERT INTO claims (person_key, institution_key, mdtrt_id, begntime, admission)
SELECT person_key, :pa, 'PROP-' || n, timestamptz '2026-02-01 09:00+08' + n * interval '1 hour', admission FROM gen;
CREATE TEMP TABLE work AS
SELECT g.n, c.claim_key, c.person_key FROM gen g JOIN claims c ON c.institution_key = :pa AND c.mdtrt_id = 'PROP-' || g.n;
INSERT INTO claim_lines (person_key, claim_key, line_no, med_list_codg, det_item_fee_sumamt, cnt)
SELECT w.person_key, w.claim_key, k, 'P' || (1 + floor(random() * 30)::integer),
       floor(random() * CASE WHEN g.admission THEN 800000 ELSE 60000 END) / 100, 1 + floor(random() * 3)
  FROM work w JOIN gen g USING (n), generate_series(1, g.nlines) k;
GRANT SELECT ON work TO sp_app;

-- the invariants, as the number of rows breaking each (all zero is right)
CREATE FUNCTION pg_temp.broken() RETURNS TABLE (years_off bigint, accounts_off bigint, ledgers_off bigint,
                                                over_cap bigint, live_claims_twice bigint)
LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM insured_years y FULL JOIN (
                SELECT s.person_key, s.year, f.fund_pay_type, sum(f.deductible_added) AS d, sum(f.base_added) AS b,
                       sum(f.fund_payamt) AS p
                  FROM settlements s JOIN settlement_funds f USING (person_key, setl_key)
                 WHERE s.reversed_at IS NULL GROUP BY 1, 2, 3) l USING (person_key, year, fund_pay_type)
             WHERE (y.deductible_met, y.base_done, y.paid) IS DISTINCT FROM (coalesce(l.d, 0), coalesce(l.b, 0), coalesce(l.p, 0))),
           (SELECT count(*) FROM insured_persons i JOIN opening o USING (person_key)
             WHERE i.acct_balance <> o.acct_balance
                   - coalesce((SELECT sum(s.acct_pay - (s.result->>'acct_mulaid_pay')::numeric) FROM settlements s
                                WHERE s.person_key = i.person_key AND s.reversed_at IS NULL), 0)
                   - coalesce((SELECT sum(p.amount) FROM settlement_family_pays p JOIN settlements s USING (person_key, setl_key)
                                WHERE p.holder_key = i.person_key AND s.reversed_at IS NULL), 0)),
           (SELECT count(*) FROM (SELECT setl_key FROM ledger_lines GROUP BY setl_key
                                   HAVING sum(amount) <> 0 OR sum(amount) FILTER (WHERE NOT reversal) <> 0) x),
           (SELECT count(*) FROM insured_years y JOIN insured_persons i USING (person_key)
             WHERE y.paid > CASE y.fund_pay_type WHEN '310100' THEN CASE i.psn_type WHEN 'retired' THEN 8000 ELSE 6000 END
                                                 WHEN '330100' THEN 20000 WHEN '610100' THEN 1500 END),
           (SELECT count(*) FROM (SELECT claim_key FROM settlements WHERE reversed_at IS NULL GROUP BY claim_key HAVING count(*) > 1) x)
$$;
CREATE TEMP TABLE state_of AS SELECT 0 AS phase, NULL::bigint AS person_key, NULL::text AS what, NULL::numeric AS amount WHERE false;
CREATE FUNCTION pg_temp.keep(phase integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO state_of
    SELECT phase, person_key, year || ':' || fund_pay_type || ':deductible', deductible_met FROM insured_years
    UNION ALL SELECT phase, person_key, year || ':' || fund_pay_type || ':base', base_done FROM insured_years
    UNION ALL SELECT phase, person_key, year || ':' || fund_pay_type || ':paid', paid FROM insured_years
    UNION ALL SELECT phase, person_key, 'account', acct_balance FROM insured_persons
$$;

-- 1. the first 2,000
SET ROLE sp_app;
SELECT count(settle(w.claim_key, 'PROP-' || w.n)) AS settled FROM (SELECT * FROM work WHERE n <= 2000 ORDER BY n) w;
RESET ROLE;
SELECT * FROM pg_temp.broken();
SELECT pg_temp.keep(1);
-- (the generated claims reach what the properties are about: family accounts, assistance, caps)
SELECT (SELECT count(*) FROM settlement_family_pays) > 0 AS families_paid,
       (SELECT count(*) FROM insured_years WHERE fund_pay_type = '610100' AND paid > 0) > 0 AS assistance_paid,
       (SELECT count(*) FROM insured_years y JOIN insured_persons i USING (person_key)
         WHERE y.fund_pay_type = '310100' AND y.paid = CASE i.psn_type WHEN 'retired' THEN 8000 ELSE 6000 END) > 0 AS caps_reached;

-- 2. the other 1,000 settled, then reversed in a random order: the state is the kept one exactly
SET ROLE sp_app;
SELECT count(settle(w.claim_key, 'PROP-' || w.n)) AS settled FROM (SELECT * FROM work WHERE n > 2000 ORDER BY n) w;
RESET ROLE;
SELECT * FROM pg_temp.broken();
CREATE TEMP TABLE undo AS
SELECT s.setl_key FROM settlements s JOIN work w ON w.claim_key = s.claim_key WHERE w.n > 2000 ORDER BY random();
GRANT SELECT ON undo TO sp_app;
SET ROLE sp_app;
SELECT count(reverse_settlement(u.setl_key, 'property test')) AS reversed FROM undo u;
RESET ROLE;
SELECT pg_temp.keep(2);
SELECT count(*) AS differences FROM (
    (SELECT person_key, what, amount FROM state_of WHERE phase = 1 EXCEPT ALL SELECT person_key, what, amount FROM state_of WHERE phase = 2)
    UNION ALL
    (SELECT person_key, what, amount FROM state_of WHERE phase = 2 EXCEPT ALL SELECT person_key, what, amount FROM state_of WHERE phase = 1)) d;
SELECT count(*) AS kept_values FROM state_of WHERE phase = 1;

-- 3. 300 of the first reversed at random, their claims settled again
CREATE TEMP TABLE redo AS
SELECT s.setl_key, w.claim_key, w.n FROM settlements s JOIN work w ON w.claim_key = s.claim_key
 WHERE w.n <= 2000 ORDER BY random() LIMIT 300;
GRANT SELECT ON redo TO sp_app;
SET ROLE sp_app;
SELECT count(reverse_settlement(r.setl_key, 'property test')) AS reversed FROM redo r;
RESET ROLE;
SELECT * FROM pg_temp.broken();
SET ROLE sp_app;
SELECT count(settle(r.claim_key, 'PROP-AGAIN-' || r.n)) AS settled_again FROM (SELECT * FROM redo ORDER BY n) r;
RESET ROLE;
SELECT * FROM pg_temp.broken();
SELECT count(*) AS settlements, count(*) FILTER (WHERE reversed_at IS NULL) AS live,
       (SELECT sum(amount) FROM ledger_lines) AS ledger_sum FROM settlements;

-- leave the hub as it was for later tests
DROP TABLE work, undo, redo;
SELECT revoke_profile('sp_app', 'institution_app') \g /dev/null
DROP ROLE sp_app;
DELETE FROM ledger_lines;
DELETE FROM settlement_funds;
DELETE FROM settlement_family_pays;
DELETE FROM family_accounts;
DELETE FROM settlements;
DELETE FROM claims;
DELETE FROM insured_years;
DELETE FROM insured_persons;
DELETE FROM settle_catalogues WHERE basis = 'property test';
DELETE FROM settle_policies WHERE basis = 'property test';
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source = 'PA');
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source = 'PA');
DELETE FROM link_decisions WHERE source = 'PA';
DELETE FROM source_records WHERE source = 'PA';
DELETE FROM institutions WHERE source = 'settle-prop';
