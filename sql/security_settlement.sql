-- Settlement, profile by profile (issue 15): what each may do and see, and
-- the attacks each is refused: the hospital's application settles its own
-- claims only; a clinician bills and pre-settles but does not settle; a
-- pharmacist settles its dispenses; the insurer reads the region's
-- settlements (no names) and nothing else; a statistician, a resident's
-- service and an auditor none of it; nobody reads or writes the tables, or
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
INSERT INTO insured_persons (person_key, insutype, insuplc_admdvs, psn_type, acct_balance)
SELECT DISTINCT person_key, '390', '440300'::region_code, 'in_service', 300 FROM source_records WHERE source = 'ZA';
CREATE ROLE ss_app_a; CREATE ROLE ss_app_b; CREATE ROLE ss_doc_a; CREATE ROLE ss_ins; CREATE ROLE ss_stat;
CREATE ROLE ss_resident; CREATE ROLE ss_auditor;
SELECT grant_profile('ss_app_a', 'institution_app', :za), grant_profile('ss_app_b', 'institution_app', :zb),
       grant_profile('ss_doc_a', 'clinician', :za), grant_profile('ss_ins', 'insurer'),
       grant_profile('ss_stat', 'statistician'), grant_profile('ss_resident', 'resident_service'),
       grant_profile('ss_auditor', 'auditor') \g /dev/null

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

-- a statistician, a resident's service, an auditor: none of it
SELECT r AS role, pg_temp.try(format('SET ROLE %I; SELECT pre_settle(%s)', r, :claim)) AS pre_settle,
       pg_temp.try(format('SET ROLE %I; SELECT count(*) FROM healthhub.region_settlements(current_date, current_date)', r)) AS region,
       pg_temp.try(format('SET ROLE %I; SELECT account_balance(%L, %L)', r, 'ZA', 'za-1')) AS balance
  FROM unnest(ARRAY['ss_stat', 'ss_resident', 'ss_auditor']) r;
RESET ROLE;

-- nobody reads, EXPLAINs or writes the tables
SELECT r AS role,
       pg_temp.try(format('SET ROLE %I; SELECT count(*) FROM healthhub.settlements', r)) AS settlements,
       pg_temp.try(format('SET ROLE %I; EXPLAIN SELECT * FROM healthhub.insured_persons', r)) AS explain_insured,
       pg_temp.try(format('SET ROLE %I; UPDATE healthhub.insured_persons SET acct_balance = 1e6', r)) AS raise_balance,
       pg_temp.try(format('SET ROLE %I; DELETE FROM healthhub.ledger_lines', r)) AS erase_ledger
  FROM unnest(ARRAY['ss_app_a', 'ss_doc_a', 'ss_ins', 'ss_stat']) r;
RESET ROLE;
-- and nothing changed
SELECT count(*) AS settlements, sum(acct_pay) AS account_paid, (SELECT acct_balance FROM insured_persons) AS balance,
       (SELECT sum(amount) FROM ledger_lines) AS ledger
  FROM settlements;
SELECT action, outcome, count(*) FROM audit_entries
 WHERE action IN ('read.account', 'read.settlements', 'read.settlement') AND role_name LIKE 'ss_%'
 GROUP BY 1, 2 ORDER BY 1, 2;

-- leave the hub as it was for later tests
SELECT revoke_profile(r::regrole, p)
  FROM (VALUES ('ss_app_a', 'institution_app'), ('ss_app_b', 'institution_app'), ('ss_doc_a', 'clinician'),
               ('ss_ins', 'insurer'), ('ss_stat', 'statistician'), ('ss_resident', 'resident_service'),
               ('ss_auditor', 'auditor')) x(r, p) \g /dev/null
DROP ROLE ss_app_a, ss_app_b, ss_doc_a, ss_ins, ss_stat, ss_resident, ss_auditor;
DELETE FROM ledger_lines;
DELETE FROM settlement_funds;
DELETE FROM settlements;
DELETE FROM claims;
DELETE FROM insured_years;
DELETE FROM insured_persons;
DELETE FROM settle_catalogues WHERE basis = 'security test';
DELETE FROM settle_policies WHERE basis = 'security test';
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('ZA', 'ZB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('ZA', 'ZB'));
DELETE FROM link_decisions WHERE source IN ('ZA', 'ZB');
DELETE FROM source_records WHERE source IN ('ZA', 'ZB');
DELETE FROM institutions WHERE source = 'settle-sec';
