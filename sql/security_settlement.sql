-- Settlement, profile by profile (issue 15): what each may do and see, and
-- the attacks each is refused: the hospital's application settles its own
-- claims only; a clinician bills and pre-settles but does not settle; a
-- pharmacist settles its dispenses; the insurer enrols the insured of its
-- region, credits their accounts and reads the region's settlements (no
-- names) and nothing else; hub_admin loads and changes the rules; the
-- resident's service reads a person's own settlements; a statistician and
-- an auditor none of the rest; nobody reads or writes the tables, or
-- EXPLAINs them, or borrows another institution with a setting.
SET search_path = healthhub, public;
SET timezone = 'Asia/Shanghai';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RETURN SQLSTATE || ': ' || regexp_replace(msg, '\m[0-9]{15,}\M', 'N', 'g');
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

INSERT INTO institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('结算安全甲医院', 'hospital', '3', '440303', 'settle-sec', 'ZA', '[2000-01-01,)'),
    ('结算安全乙医院', 'hospital', '3', '440304', 'settle-sec', 'ZB', '[2000-01-01,)');
SELECT institution_key AS za FROM institutions WHERE source_ref = 'ZA' \gset
SELECT institution_key AS zb FROM institutions WHERE source_ref = 'ZB' \gset
INSERT INTO settle_policies (insuplc_admdvs, insutype, valid, account_pays, basis)
VALUES ('440300', '390', '[2000-01-01,)', true, 'security test');
INSERT INTO settle_fund_rules (policy_key, stage, fund_pay_type, bands)
SELECT policy_key, 'basic', '390100', '[{"ratio": 0.6}]' FROM settle_policies WHERE basis = 'security test';
INSERT INTO settle_catalogues (mdtrtarea_admvs, valid, basis) VALUES ('440000', '[2000-01-01,)', 'security test');
INSERT INTO settle_items (catalogue_key, med_list_codg, name, chrgitm_lv)
SELECT catalogue_key, '001101000010000', '诊查费', '01' FROM settle_catalogues WHERE basis = 'security test';
SELECT decision FROM link_record('ZA', 'za-1', '李清照', '2', '1984-03-13', NULL, '13900000051', '440303');
SELECT decision FROM link_record('ZB', 'zb-1', '李清照', '2', '1984-03-13', NULL, '13900000051', '440303');
SELECT person_key AS pat FROM source_records WHERE source = 'ZA' \gset
CREATE ROLE ss_app_a; CREATE ROLE ss_app_b; CREATE ROLE ss_doc_a; CREATE ROLE ss_ins; CREATE ROLE ss_stat;
CREATE ROLE ss_resident; CREATE ROLE ss_auditor; CREATE ROLE ss_admin;
SELECT grant_profile('ss_app_a', 'institution_app', :za), grant_profile('ss_app_b', 'institution_app', :zb),
       grant_profile('ss_doc_a', 'clinician', :za), grant_profile('ss_ins', 'insurer'),
       grant_profile('ss_stat', 'statistician'), grant_profile('ss_resident', 'resident_service'),
       grant_profile('ss_auditor', 'auditor'), grant_profile('ss_admin', 'hub_admin') \g /dev/null

-- the insurer enrols the person (a resident of Shenzhen) and credits the account; not another region's
SET ROLE ss_ins;
SELECT enrol_insured(:pat, '390', '440300', 'in_service');
SELECT enrol_insured(:pat, '390', '440300', 'in_service');    -- (again: nothing changes, nothing recorded)
SELECT credit_account(:pat, 300, '2026 年度个人账户划入') AS balance;
SELECT pg_temp.try(format('SELECT enrol_insured(%s, %L, %L, %L)', :pat, '390', '110000', 'in_service')) AS other_region,
       pg_temp.try(format('SELECT enrol_insured(%s, %L, %L, %L)', :pat, '999', '440300', 'in_service')) AS bad_scheme,
       pg_temp.try(format('SELECT enrol_insured(%s, %L, %L, %L, %L)', :pat, '390', '440300', 'in_service', 'Tier 1')) AS bad_tier,
       pg_temp.try(format('SELECT enrol_insured(%s, %L, %L, %L)', 1, '390', '440300', 'in_service')) AS no_such_person;
SELECT pg_temp.try(format('SELECT credit_account(%s, %s, %L)', :pat, -5, 'x')) AS negative,
       pg_temp.try(format('SELECT credit_account(%s, %s, %L)', :pat, 1.005, 'x')) AS fen_fraction,
       pg_temp.try(format('SELECT credit_account(%s, %s, NULL)', :pat, 5)) AS no_reason,
       pg_temp.try('SELECT credit_account(NULL, 5, ''x'')') AS null_person;
RESET ROLE;
SELECT insutype, insuplc_admdvs, psn_type, acct_balance FROM insured_persons WHERE person_key = :pat;
SELECT action, count(*) FROM audit_entries WHERE object_kind = 'insured_person' AND role_name = 'ss_ins' GROUP BY 1 ORDER BY 1;

-- hub_admin changes the audit rules; the loads are its own
SET ROLE ss_admin;
INSERT INTO settle_audit_rules (rule_id, kind, severity, params, enabled, basis)
VALUES ('SS-QTY', 'quantity_over_days', 'warn', '{}', false, 'security test');
DELETE FROM settle_audit_rules WHERE rule_id = 'SS-QTY';
SELECT pg_temp.try(format('SELECT * FROM healthhub.load_settle_catalogue(%L, %L, %L, %L, %L)', 'ss', 'sha256:' || repeat('a', 64),
                          '440000', '2001-01-01', 'nothing staged')) AS load_with_nothing_staged;
RESET ROLE;

-- the hospital's application: bills, pre-settles, settles, reverses its own
SET ROLE ss_app_a;
SELECT submit_claim('ZA', 'za-1', 'Z-1', now() - interval '1 hour', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "100"}]') AS claim \gset
SELECT pre_settle(:claim) ->> 'hifp_pay' AS pre_settled, settle(:claim, 'Z-REQ-1') ->> 'hifp_pay' AS settled;
SELECT account_balance('ZA', 'za-1') AS balance;
RESET ROLE;
SELECT setl_key AS setl FROM settlements WHERE idempotency_key = 'Z-REQ-1' \gset

-- the other hospital: the same person is its patient too, but the claim and settlement are not its
SET ROLE ss_app_b;
SELECT pg_temp.try(format('SELECT pre_settle(%s)', :claim)) AS pre_settle,
       pg_temp.try(format('SELECT settle(%s, %L)', :claim, 'ZB-1')) AS settle,
       pg_temp.try(format('SELECT reverse_settlement(%s, %L)', :setl, 'x')) AS reverse,
       pg_temp.try('SELECT pre_settle(1)') AS no_such_claim;
SELECT account_balance('ZB', 'zb-1') AS balance_at_its_own_counter;
SET healthhub_acting.institution = :'za';
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :claim, 'ZB-2')) AS after_set;
RESET healthhub_acting.institution;
RESET ROLE;

-- a clinician bills and pre-settles, but the settlement is the application's
SET ROLE ss_doc_a;
SELECT submit_claim('ZA', 'za-1', 'Z-2', now() - interval '1 hour', '[{"med_list_codg": "001101000010000", "det_item_fee_sumamt": "50"}]') AS claim2 \gset
SELECT pre_settle(:claim2) ->> 'hifp_pay' AS pre_settled;
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :claim2, 'Z-REQ-2')) AS settle,
       pg_temp.try(format('SELECT reverse_settlement(%s, %L)', :setl, 'x')) AS reverse,
       pg_temp.try('SELECT count(*) FROM healthhub.region_settlements(current_date, current_date)') AS region_reads;
RESET ROLE;

-- the insurer: the region's settlements, in keys and amounts; no claims, no balances, no settling
SET ROLE ss_ins;
SELECT count(*) AS settlements, sum(fund_pay_sumamt) AS funds FROM region_settlements(current_date - 1, current_date);
SELECT pg_temp.try(format('SELECT settle(%s, %L)', :claim2, 'I-1')) AS settle,
       pg_temp.try(format('SELECT pre_settle(%s)', :claim2)) AS pre_settle,
       pg_temp.try(format('SELECT account_balance(%L, %L)', 'ZA', 'za-1')) AS balance;
RESET ROLE;

-- a statistician, a resident's service, an auditor: none of it; the resident's service (and the auditor) a
-- person's own settlements
SELECT r AS role, pg_temp.try(format('SET ROLE %I; SELECT pre_settle(%s)', r, :claim)) AS pre_settle,
       pg_temp.try(format('SET ROLE %I; SELECT count(*) FROM healthhub.region_settlements(current_date, current_date)', r)) AS region,
       pg_temp.try(format('SET ROLE %I; SELECT account_balance(%L, %L)', r, 'ZA', 'za-1')) AS balance,
       pg_temp.try(format('SET ROLE %I; SELECT credit_account(%s, 1, %L)', r, :pat, 'x')) AS credit,
       pg_temp.try(format('SET ROLE %I; SELECT count(*) FROM healthhub.settlements_of(%s)', r, :pat)) AS own_settlements
  FROM unnest(ARRAY['ss_stat', 'ss_resident', 'ss_auditor', 'ss_app_a', 'ss_ins']) r;
RESET ROLE;
SET ROLE ss_resident;
SELECT institution, medfee_sumamt, reversed FROM settlements_of(:pat);
RESET ROLE;

-- nobody reads, EXPLAINs or writes the tables
SELECT r AS role,
       pg_temp.try(format('SET ROLE %I; SELECT count(*) FROM healthhub.settlements', r)) AS settlements,
       pg_temp.try(format('SET ROLE %I; EXPLAIN SELECT * FROM healthhub.insured_persons', r)) AS explain_insured,
       pg_temp.try(format('SET ROLE %I; UPDATE healthhub.insured_persons SET acct_balance = 1e6', r)) AS raise_balance,
       pg_temp.try(format('SET ROLE %I; DELETE FROM healthhub.ledger_lines', r)) AS erase_ledger,
       pg_temp.try(format('SET ROLE %I; INSERT INTO healthhub.family_accounts VALUES (1, 2, %L, %L)', r, 'spouse', 'x')) AS bind_by_insert
  FROM unnest(ARRAY['ss_app_a', 'ss_doc_a', 'ss_ins', 'ss_stat', 'ss_resident', 'ss_admin']) r;
RESET ROLE;
-- and nothing changed
SELECT count(*) AS settlements, sum(acct_pay) AS account_paid, (SELECT acct_balance FROM insured_persons) AS balance,
       (SELECT sum(amount) FROM ledger_lines) AS ledger
  FROM settlements;
SELECT action, outcome, count(*) FROM audit_entries
 WHERE action IN ('read.account', 'read.settlements', 'read.settlement') AND role_name LIKE 'ss\_%'
 GROUP BY 1, 2 ORDER BY 1, 2;

-- leave the hub as it was for later tests
SELECT revoke_profile(r::regrole, p)
  FROM (VALUES ('ss_app_a', 'institution_app'), ('ss_app_b', 'institution_app'), ('ss_doc_a', 'clinician'),
               ('ss_ins', 'insurer'), ('ss_stat', 'statistician'), ('ss_resident', 'resident_service'),
               ('ss_auditor', 'auditor'), ('ss_admin', 'hub_admin')) x(r, p) \g /dev/null
DROP ROLE ss_app_a, ss_app_b, ss_doc_a, ss_ins, ss_stat, ss_resident, ss_auditor, ss_admin;
DELETE FROM ledger_lines;
DELETE FROM settlement_funds;
DELETE FROM settlements;
DELETE FROM claims;
DELETE FROM insured_years;
DELETE FROM account_credits;
DELETE FROM insured_persons;
DELETE FROM settle_catalogues WHERE basis = 'security test';
DELETE FROM settle_policies WHERE basis = 'security test';
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('ZA', 'ZB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('ZA', 'ZB'));
DELETE FROM link_decisions WHERE source IN ('ZA', 'ZB');
DELETE FROM source_records WHERE source IN ('ZA', 'ZB');
DELETE FROM institutions WHERE source = 'settle-sec';
