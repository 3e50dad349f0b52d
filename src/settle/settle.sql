-- Settlements of claims (docs/settlement.md, "Settling"; the claims come
-- from submit.sql):
--   pre_settle       the split (2206): nothing written;
--   settle           the split written once per idempotency key (2207):
--                    the settlement, its funds, its ledger lines, the
--                    person's year and account, under the person's row lock;
--   reverse_settlement  its contributions subtracted, the account restored.
-- The catalogue is the place of treatment's, the policy the insured
-- region's (就医地目录、参保地政策); both regions are on the record.

-- The institution acting and its claim, locked when asked; 22023 for a
-- claim that is not this institution's (as for none).
CREATE FUNCTION healthhub.settle_claim_here(claim bigint, caller text, what text) RETURNS healthhub.claims
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['institution_app', 'clinician', 'pharmacist'], what);
    c healthhub.claims;
BEGIN
    PERFORM healthhub.require_arguments(caller, ARRAY['claim'], ARRAY[claim IS NULL]);
    SELECT * INTO c FROM healthhub.claims x WHERE x.claim_key = claim;
    IF NOT FOUND OR (institution IS NOT NULL AND c.institution_key <> institution) THEN
        RAISE EXCEPTION 'no such claim: %', claim
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'No claim of this key was submitted here.';
    END IF;
    RETURN c;
END
$$;

-- What the engine needs for a claim: the insured, the policy in force (the
-- insured region's, for the visit's date), the catalogue (the place of
-- treatment's), the lines priced by it, the person's year.
CREATE FUNCTION healthhub.settle_inputs(c healthhub.claims, scene text,
                                        OUT insured healthhub.insured_persons, OUT policy_key bigint,
                                        OUT catalogue_key bigint, OUT place healthhub.region_code, OUT year integer,
                                        OUT lines jsonb, OUT policy jsonb, OUT year_so_far jsonb, OUT findings jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day date := (c.begntime AT TIME ZONE 'Asia/Shanghai')::date;
    inst healthhub.institutions;
    p healthhub.settle_policies;
    unknown text;
    denied integer[] := '{}';
    local_trip boolean;
BEGIN
    year := extract(year FROM day);
    SELECT * INTO insured FROM healthhub.insured_persons i WHERE i.person_key = c.person_key;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('the patient is not insured', 'No row of healthhub.insured_persons for the claim''s person.');
    END IF;
    SELECT * INTO inst FROM healthhub.institutions i WHERE i.institution_key = c.institution_key;
    place := inst.region;
    SELECT * INTO p FROM healthhub.settle_policies x
     WHERE x.insuplc_admdvs OPERATOR(healthhub.=) insured.insuplc_admdvs AND x.insutype = insured.insutype
       AND x.valid @> day;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('no settlement policy for the date',
            format('No policy of scheme %s of region %s is in force on %s.', insured.insutype, insured.insuplc_admdvs,
                   to_char(day, 'YYYY-MM-DD')));
    END IF;
    policy_key := p.policy_key;
    SELECT k.catalogue_key INTO catalogue_key FROM healthhub.settle_catalogues k
     WHERE k.valid @> day AND healthhub.region_code_contains(k.mdtrtarea_admvs, place)
     ORDER BY k.mdtrtarea_admvs::integer % 100 = 0, k.mdtrtarea_admvs::integer % 10000 = 0 LIMIT 1;
    IF catalogue_key IS NULL THEN
        PERFORM healthhub.rx_refuse('no catalogue for the place of treatment on the date',
                                    format('No catalogue of a region containing %s is in force on %s.', place,
                                           to_char(day, 'YYYY-MM-DD')));
    END IF;
    local_trip := healthhub.region_code_contains(insured.insuplc_admdvs, place);
    IF local_trip <> (c.trip_status = 'local') THEN
        PERFORM healthhub.rx_refuse('the trip status does not match the regions',
            format('Insured in %s, treated in %s: %s.', insured.insuplc_admdvs, place,
                   CASE WHEN local_trip THEN 'a local visit' ELSE 'a visit from elsewhere names its trip status' END));
    END IF;
    -- the smart audit: a line a 'deny' rule fires on is the hospital's
    SELECT coalesce(jsonb_agg(jsonb_build_object('line_no', a.line_no, 'rule_id', a.rule_id, 'severity', a.severity,
                                                 'reason', a.reason) ORDER BY a.line_no, a.rule_id), '[]')
      INTO findings FROM healthhub.settle_audit(c, catalogue_key, scene) a;
    IF findings <> '[]' THEN
        denied := ARRAY(SELECT (f->>'line_no')::integer FROM jsonb_array_elements(findings) f WHERE f->>'severity' = 'deny');
    END IF;
    -- the lines priced by the catalogue, and the first one it has not
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'med_list_codg', l.med_list_codg, 'det_item_fee_sumamt', l.det_item_fee_sumamt, 'cnt', l.cnt,
               'pric_uplmt_amt', i.pric_uplmt_amt, 'chrgitm_lv', i.chrgitm_lv, 'selfpay_prop', i.selfpay_prop,
               'lmt_used_flag', CASE WHEN i.lmt_used_flag THEN '1' ELSE '0' END, 'hosp_appr_flag', l.hosp_appr_flag,
               'hosp_bear_flag', CASE WHEN l.line_no = ANY (denied) THEN '1' END))
                     ORDER BY l.line_no),
           (array_agg(format('claim line %s: unknown item %s', l.line_no, l.med_list_codg) ORDER BY l.line_no)
                FILTER (WHERE i.med_list_codg IS NULL))[1]
      INTO lines, unknown
      FROM healthhub.claim_lines l
      LEFT JOIN healthhub.settle_items i ON i.catalogue_key = settle_inputs.catalogue_key AND i.med_list_codg = l.med_list_codg
     WHERE l.person_key = c.person_key AND l.claim_key = c.claim_key;
    IF unknown IS NOT NULL THEN
        PERFORM healthhub.rx_refuse(unknown, 'Every item is in the catalogue of the place of treatment (class 03 for self-paid ones).');
    END IF;
    -- the most specific rule of each stage for this institution level, person type and assistance tier
    WITH rules AS (
        SELECT DISTINCT ON (r.stage, r.seq) r.*
          FROM healthhub.settle_fund_rules r
         WHERE r.policy_key = p.policy_key
           AND (r.hosp_lv = inst.level OR r.hosp_lv = '*')
           AND (r.psn_type = insured.psn_type OR r.psn_type = '*')
           AND (r.stage <> 'assistance' OR r.assistance_tier = insured.assistance_tier)
         ORDER BY r.stage, r.seq, r.hosp_lv = '*', r.psn_type = '*'),
    funds AS (
        SELECT r.stage, r.seq, r.fund_pay_type,
               jsonb_strip_nulls(jsonb_build_object('fund_pay_type', r.fund_pay_type, 'dedc_std', r.dedc_std,
                                                    'dedc_per_admission', r.dedc_per_admission AND c.admission,
                                                    'bands', r.bands, 'annual_cap', r.annual_cap)) AS rule
          FROM rules r)
    SELECT jsonb_strip_nulls(jsonb_build_object(
               'basic', (SELECT f.rule FROM funds f WHERE f.stage = 'basic'),
               'tier2', (SELECT f.rule FROM funds f WHERE f.stage = 'tier2'),
               'supplements', (SELECT jsonb_agg(f.rule ORDER BY f.seq) FROM funds f WHERE f.stage = 'supplement'),
               'assistance', (SELECT f.rule FROM funds f WHERE f.stage = 'assistance'),
               'ratio_reduction', (SELECT t.ratio_reduction FROM healthhub.settle_trip_rules t
                                    WHERE t.policy_key = p.policy_key AND t.trip_status = c.trip_status),
               'account_pays', p.account_pays, 'mutual_aid', p.mutual_aid)),
           jsonb_build_object(
               'funds', coalesce((SELECT jsonb_object_agg(y.fund_pay_type, jsonb_build_object(
                                             'deductible_met', y.deductible_met, 'base_done', y.base_done, 'paid', y.paid))
                                    FROM healthhub.insured_years y
                                   WHERE y.person_key = c.person_key AND y.year = settle_inputs.year
                                     AND y.fund_pay_type IN (SELECT f.fund_pay_type FROM funds f)), '{}'),
               'account_balance', insured.acct_balance,
               'mutual_aid_balance', CASE WHEN p.mutual_aid THEN
                   (SELECT coalesce(sum(fp.acct_balance), 0) FROM healthhub.settle_family_payers(c.person_key) fp) END)
      INTO policy, year_so_far;
    IF policy->'basic' IS NULL THEN
        PERFORM healthhub.rx_refuse('the policy has no basic fund for this visit',
            format('No basic rule of policy %s for institution level %s and %s persons.', p.policy_key,
                   coalesce(inst.level, 'none'), insured.psn_type));
    END IF;
END
$$;

-- Keep what the smart audit found on a claim at a scene (the last
-- pre-settlement's, or the settlement's), in place of what it found before.
-- (PL/pgSQL: its plans are kept for the session; it runs at every settlement)
CREATE FUNCTION healthhub.settle_record_findings(c healthhub.claims, scene text, findings jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM healthhub.claim_audit_results r
     WHERE r.person_key = c.person_key AND r.claim_key = c.claim_key AND r.scene = settle_record_findings.scene;
    IF jsonb_array_length(findings) > 0 THEN
        INSERT INTO healthhub.claim_audit_results (person_key, claim_key, line_no, rule_id, scene, severity, reason)
        SELECT c.person_key, c.claim_key, f.line_no, f.rule_id, settle_record_findings.scene, f.severity, f.reason
          FROM jsonb_to_recordset(findings) AS f(line_no integer, rule_id text, severity text, reason text);
    END IF;
END
$$;

-- The split of a claim (2206): nothing is written but what the audit found; the insured person's
-- account is read, so the read is recorded.
CREATE FUNCTION healthhub.pre_settle(claim bigint) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c healthhub.claims := healthhub.settle_claim_here(claim, 'healthhub.pre_settle', 'pre_settle claims');
    i record := healthhub.settle_inputs(c, 'pre_settle');
BEGIN
    PERFORM healthhub.audit_append('read.settlement', 'claim', c.claim_key::text, c.person_key, 'settlement', 'ok');
    -- (the family's part tells what the bound accounts hold: a read of each)
    IF (i.policy->>'mutual_aid')::boolean THEN
        PERFORM healthhub.audit_append('read.account', 'person', fp.holder_key::text, fp.holder_key, 'settlement', 'ok')
           FROM healthhub.settle_family_payers(c.person_key) fp;
    END IF;
    PERFORM healthhub.settle_record_findings(c, 'pre_settle', i.findings);
    RETURN healthhub.settlement_split(i.lines, i.policy, i.year_so_far) - 'year_after'
           || jsonb_build_object('insuplc_admdvs', (i.insured).insuplc_admdvs::text, 'mdtrtarea_admvs', i.place::text,
                                 'insutype', (i.insured).insutype, 'audit', i.findings);
END
$$;

-- Lock the insured person's row and those of the family accounts that pay
-- for the person (those bound now; for a settlement, those that paid it),
-- in key order: spouses paying for each other wait, they do not deadlock.
-- A binding that committed while this waited for the person's row (binding
-- locks it too) is seen by the second statement, whose holder is locked
-- then: out of key order, so in that race alone a deadlock is possible
-- (PostgreSQL ends it with 40P01; the retry, same idempotency key, is safe).
CREATE FUNCTION healthhub.settle_lock_persons(person bigint, setl bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM FROM healthhub.insured_persons x
     WHERE x.person_key = ANY (person || CASE WHEN setl IS NULL
                THEN ARRAY(SELECT f.holder_key FROM healthhub.family_accounts f
                            WHERE f.person_key = person AND f.ended_at IS NULL)
                ELSE ARRAY(SELECT p.holder_key FROM healthhub.settlement_family_pays p
                            WHERE p.person_key = person AND p.setl_key = setl) END)
     ORDER BY x.person_key FOR UPDATE;
    IF setl IS NULL THEN
        PERFORM FROM healthhub.insured_persons x
         WHERE x.person_key = ANY (ARRAY(SELECT f.holder_key FROM healthhub.family_accounts f
                                          WHERE f.person_key = person AND f.ended_at IS NULL))
         ORDER BY x.person_key FOR UPDATE;
    END IF;
END
$$;

-- Settle a claim once per idempotency key: the same key again returns the
-- first result and pays nothing; a claim settled (and not reversed) is not
-- settled again.  Under the insured person's row lock: settlements of one
-- person run one after the other.
CREATE FUNCTION healthhub.settle(claim bigint, idempotency_key text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c healthhub.claims := healthhub.settle_claim_here(claim, 'healthhub.settle', 'settle claims');
    i record;
    r jsonb;
    s healthhub.settlements;
    setl bigint;
BEGIN
    IF idempotency_key IS NULL OR idempotency_key !~ '^[0-9A-Za-z_.:-]{1,64}$' THEN
        PERFORM healthhub.rx_refuse('an idempotency key is 1 to 64 letters, digits, "_", ".", ":" or "-"',
                                    'The hospital system''s own key of this settlement request: the same key, the same settlement.');
    END IF;
    PERFORM healthhub.settle_lock_persons(c.person_key, NULL);
    SELECT * INTO s FROM healthhub.settlements x
     WHERE x.institution_key = c.institution_key AND x.idempotency_key = settle.idempotency_key;
    IF FOUND THEN
        IF s.claim_key <> c.claim_key THEN
            PERFORM healthhub.rx_refuse('the idempotency key was used for another claim',
                                        'A key names one settlement request.');
        END IF;
        RETURN s.result || jsonb_build_object('setl_id', s.setl_key::text, 'replayed', true);
    END IF;
    IF EXISTS (SELECT FROM healthhub.settlements x
                WHERE x.person_key = c.person_key AND x.claim_key = c.claim_key AND x.reversed_at IS NULL) THEN
        RAISE EXCEPTION 'claim % is settled', c.claim_key
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = 'Reverse the settlement to settle the claim again.';
    END IF;
    IF c.encounter_key IS NOT NULL THEN
        -- (the encounter's row lock: two claims of it settle one after the other,
        -- whatever their persons; a corrected encounter may have changed its patient)
        PERFORM FROM healthhub.encounters e WHERE e.encounter_key = c.encounter_key FOR UPDATE;
        IF EXISTS (SELECT FROM healthhub.claims k JOIN healthhub.settlements x
                                ON x.person_key = k.person_key AND x.claim_key = k.claim_key
                    WHERE k.encounter_key = c.encounter_key AND x.reversed_at IS NULL) THEN
            RAISE EXCEPTION 'the encounter of claim % is settled', c.claim_key
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'Another claim of the same encounter is settled: reverse it first.';
        END IF;
    END IF;
    i := healthhub.settle_inputs(c, 'settle');
    PERFORM healthhub.settle_record_findings(c, 'settle', i.findings);
    r := healthhub.settlement_split(i.lines, i.policy, i.year_so_far)
         || jsonb_build_object('insuplc_admdvs', (i.insured).insuplc_admdvs::text, 'mdtrtarea_admvs', i.place::text,
                               'insutype', (i.insured).insutype, 'audit', i.findings);
    INSERT INTO healthhub.settlements AS x (person_key, claim_key, institution_key, idempotency_key, policy_key, catalogue_key,
                                            insutype, insuplc_admdvs, mdtrtarea_admvs, year, medfee_sumamt, fund_pay_sumamt,
                                            psn_part_amt, acct_pay, psn_cash_pay, hosp_part_amt, result)
    VALUES (c.person_key, c.claim_key, c.institution_key, idempotency_key, i.policy_key, i.catalogue_key,
            (i.insured).insutype, (i.insured).insuplc_admdvs, i.place, i.year, (r->>'medfee_sumamt')::numeric,
            (r->>'fund_pay_sumamt')::numeric, (r->>'psn_part_amt')::numeric, (r->>'acct_pay')::numeric,
            (r->>'psn_cash_pay')::numeric, (r->>'hosp_part_amt')::numeric, r - 'year_after')
    RETURNING x.setl_key INTO setl;
    -- each fund's payment, and what it added to the year (the difference of the years)
    INSERT INTO healthhub.settlement_funds (person_key, setl_key, fund_pay_type, inscp_scp_amt, crt_payb_lmt_amt, fund_payamt,
                                            deductible_added, base_added)
    SELECT c.person_key, setl, d.fund_pay_type, d.inscp_scp_amt, d.crt_payb_lmt_amt, d.fund_payamt,
           (r #>> ARRAY['year_after', 'funds', d.fund_pay_type, 'deductible_met'])::numeric
           - coalesce((i.year_so_far #>> ARRAY['funds', d.fund_pay_type, 'deductible_met'])::numeric, 0),
           (r #>> ARRAY['year_after', 'funds', d.fund_pay_type, 'base_done'])::numeric
           - coalesce((i.year_so_far #>> ARRAY['funds', d.fund_pay_type, 'base_done'])::numeric, 0)
      FROM jsonb_to_recordset(r->'setldetail')
           AS d(fund_pay_type text, inscp_scp_amt numeric, crt_payb_lmt_amt numeric, fund_payamt numeric);
    IF (r->>'acct_mulaid_pay')::numeric > 0 THEN
        PERFORM healthhub.settle_family_pay(c.person_key, setl, (r->>'acct_mulaid_pay')::numeric, 1);
    END IF;
    PERFORM healthhub.settle_post(c.person_key, setl, i.year, 1);
    IF c.dispense_key IS NOT NULL THEN
        PERFORM healthhub.rx_dispense_settlement(c.dispense_key, setl::text, NULL);
    END IF;
    UPDATE healthhub.insured_persons x SET acct_balance = (r #>> '{year_after,account_balance}')::numeric
     WHERE x.person_key = c.person_key AND x.acct_balance <> (r #>> '{year_after,account_balance}')::numeric;
    RETURN (r - 'year_after') || jsonb_build_object('setl_id', setl::text, 'replayed', false);
END
$$;

-- Post a settlement (sign 1) or its reversal (sign -1): the ledger lines,
-- and its funds' contributions to the person's year.
CREATE FUNCTION healthhub.settle_post(person bigint, setl bigint, year integer, sign integer) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s healthhub.settlements;
    first_line integer;
BEGIN
    SELECT * INTO s FROM healthhub.settlements x WHERE x.person_key = person AND x.setl_key = setl;
    IF sign < 0 THEN        -- (a reversal's lines follow the settlement's)
        SELECT max(l.line_no) INTO first_line FROM healthhub.ledger_lines l WHERE l.person_key = person AND l.setl_key = setl;
    ELSE
        first_line := 0;
    END IF;
    INSERT INTO healthhub.ledger_lines (person_key, setl_key, line_no, account, amount, reversal)
    SELECT person, setl, first_line + row_number() OVER (ORDER BY e.ord, e.account), e.account, sign * e.amount, sign < 0
      FROM (SELECT 1 AS ord, 'institution:' || s.institution_key AS account, -s.medfee_sumamt AS amount
            UNION ALL
            SELECT 2, 'fund:' || f.fund_pay_type, f.fund_payamt FROM healthhub.settlement_funds f
             WHERE f.person_key = person AND f.setl_key = setl AND f.fund_payamt <> 0
            UNION ALL
            SELECT 3, 'personal_account', s.acct_pay - f.amount
              FROM (SELECT coalesce(sum(p.amount), 0) AS amount FROM healthhub.settlement_family_pays p
                     WHERE p.person_key = person AND p.setl_key = setl) f
             WHERE s.acct_pay - f.amount <> 0
            UNION ALL
            SELECT 3, 'family_account:' || p.holder_key, p.amount FROM healthhub.settlement_family_pays p
             WHERE p.person_key = person AND p.setl_key = setl
            UNION ALL
            SELECT 4, 'cash', s.psn_cash_pay WHERE s.psn_cash_pay <> 0
            UNION ALL
            SELECT 5, 'hospital_bears', s.hosp_part_amt WHERE s.hosp_part_amt <> 0) e;
    IF sign > 0 THEN
        INSERT INTO healthhub.insured_years AS y (person_key, year, fund_pay_type, deductible_met, base_done, paid)
        SELECT person, year, f.fund_pay_type, f.deductible_added, f.base_added, f.fund_payamt
          FROM healthhub.settlement_funds f WHERE f.person_key = person AND f.setl_key = setl
        ON CONFLICT ON CONSTRAINT insured_years_pkey DO UPDATE
           SET deductible_met = y.deductible_met + EXCLUDED.deductible_met, base_done = y.base_done + EXCLUDED.base_done,
               paid = y.paid + EXCLUDED.paid;
    ELSE
        -- (the rows exist: the settlement wrote them)
        UPDATE healthhub.insured_years y
           SET deductible_met = y.deductible_met - f.deductible_added, base_done = y.base_done - f.base_added,
               paid = y.paid - f.fund_payamt
          FROM healthhub.settlement_funds f
         WHERE f.person_key = person AND f.setl_key = setl
           AND y.person_key = person AND y.year = settle_post.year AND y.fund_pay_type = f.fund_pay_type;
    END IF;
END
$$;

-- Reverse a live settlement, with a reason: its ledger lines posted
-- negated, its contributions to the year subtracted, the account given
-- back.  The claim may then be settled again.
CREATE FUNCTION healthhub.reverse_settlement(setl bigint, reason text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['institution_app', 'pharmacist'], 'reverse settlements');
    s healthhub.settlements;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.reverse_settlement', ARRAY['setl'], ARRAY[setl IS NULL]);
    PERFORM healthhub.rx_require_reason(reason, 'a reversal');
    SELECT * INTO s FROM healthhub.settlements x WHERE x.setl_key = setl;
    IF NOT FOUND OR (institution IS NOT NULL AND s.institution_key <> institution) THEN
        RAISE EXCEPTION 'no such settlement: %', setl
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'No settlement of this key was made here.';
    END IF;
    PERFORM healthhub.settle_lock_persons(s.person_key, setl);
    SELECT * INTO s FROM healthhub.settlements x WHERE x.person_key = s.person_key AND x.setl_key = setl;
    IF s.reversed_at IS NOT NULL THEN
        RAISE EXCEPTION 'settlement % was reversed at %', setl, s.reversed_at
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = format('Reason: %s', s.reversal_reason);
    END IF;
    PERFORM healthhub.settle_post(s.person_key, setl, s.year, -1);
    UPDATE healthhub.insured_persons x
       SET acct_balance = x.acct_balance + s.acct_pay - (s.result->>'acct_mulaid_pay')::numeric
     WHERE x.person_key = s.person_key AND s.acct_pay <> 0;
    IF (s.result->>'acct_mulaid_pay')::numeric > 0 THEN
        PERFORM healthhub.settle_family_pay(s.person_key, setl, NULL, -1);
    END IF;
    UPDATE healthhub.settlements x SET reversed_at = clock_timestamp(), reversal_reason = btrim(reason)
     WHERE x.person_key = s.person_key AND x.setl_key = setl;
    PERFORM healthhub.rx_dispense_settlement(k.dispense_key, NULL, btrim(reason))
       FROM healthhub.claims k WHERE k.person_key = s.person_key AND k.claim_key = s.claim_key AND k.dispense_key IS NOT NULL;
    RETURN jsonb_build_object('setl_id', setl::text, 'reversed', true, 'medfee_sumamt', s.medfee_sumamt,
                              'fund_pay_sumamt', s.fund_pay_sumamt, 'acct_pay', s.acct_pay);
END
$$;

REVOKE ALL ON FUNCTION healthhub.settle_claim_here(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_inputs(healthhub.claims, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_record_findings(healthhub.claims, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.pre_settle(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_lock_persons(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_post(bigint, bigint, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.reverse_settlement(bigint, text) FROM PUBLIC;

-- What each profile may do (src/platform/profiles.sql).
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM (VALUES
    ('institution_app', 'healthhub.pre_settle(bigint)'),
    ('institution_app', 'healthhub.settle(bigint, text)'),
    ('institution_app', 'healthhub.reverse_settlement(bigint, text)'),
    ('clinician', 'healthhub.pre_settle(bigint)'),
    ('pharmacist', 'healthhub.pre_settle(bigint)'),
    ('pharmacist', 'healthhub.settle(bigint, text)'),
    ('pharmacist', 'healthhub.reverse_settlement(bigint, text)')) v(pr, f);
