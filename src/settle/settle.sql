-- Claims in, settlements out (docs/settlement.md, "Settling"):
--   submit_claim     a hospital system's bill, line by line;
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

-- Write a claim (the row as its submitter filled it) and its lines, every
-- line checked first (22023 naming the first bad line; nothing written).
-- lines: [{"med_list_codg", "det_item_fee_sumamt", "cnt", "hosp_appr_flag"}].
CREATE FUNCTION healthhub.settle_write_claim(c healthhub.claims, lines jsonb) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    claim bigint;
    bad record;
BEGIN
    IF jsonb_typeof(lines) IS DISTINCT FROM 'array' OR jsonb_array_length(lines) NOT BETWEEN 1 AND 1000 THEN
        PERFORM healthhub.rx_refuse('a claim has 1 to 1000 lines', 'lines is a JSON list of objects.');
    END IF;
    -- every line's problem, the first reported
    SELECT l.n, p.problem INTO bad
      FROM jsonb_array_elements(lines) WITH ORDINALITY AS l(v, n)
     CROSS JOIN LATERAL (SELECT CASE
        WHEN jsonb_typeof(l.v) <> 'object' THEN 'a line is a JSON object'
        WHEN (SELECT count(*) FROM jsonb_object_keys(l.v) k
               WHERE k NOT IN ('med_list_codg', 'det_item_fee_sumamt', 'cnt', 'hosp_appr_flag')) > 0
            THEN 'its keys are med_list_codg, det_item_fee_sumamt, cnt and hosp_appr_flag'
        WHEN NOT coalesce(l.v->>'med_list_codg' ~ '^[0-9A-Za-z.-]{1,50}$', false) THEN 'med_list_codg is an item code of the catalogue'
        WHEN NOT coalesce(l.v->>'det_item_fee_sumamt' ~ '^[0-9]{1,14}(\.[0-9]{1,2}0*)?$', false)
            THEN 'det_item_fee_sumamt is an amount in yuan, not negative, at most 2 decimals'
        WHEN l.v ? 'cnt' AND NOT coalesce(l.v->>'cnt' ~ '^[0-9]{1,12}(\.[0-9]{1,4}0*)?$' AND (l.v->>'cnt')::numeric > 0, false)
            THEN 'cnt is a quantity above 0, at most 4 decimals'
        WHEN l.v ? 'hosp_appr_flag' AND NOT coalesce(l.v->>'hosp_appr_flag' IN ('0', '1', '2'), false)
            THEN 'hosp_appr_flag is "0", "1" (approved) or "2"'
        END AS problem) p
     WHERE p.problem IS NOT NULL ORDER BY l.n LIMIT 1;
    IF FOUND THEN
        PERFORM healthhub.rx_refuse(format('claim line %s: %s', bad.n, bad.problem), 'Nothing of the claim was written.');
    END IF;
    IF c.mdtrt_id !~ '^[0-9A-Za-z_.:-]{1,40}$' THEN
        PERFORM healthhub.rx_refuse('invalid visit number: ' || left(c.mdtrt_id, 60),
                                    'mdtrt_id is 1 to 40 letters, digits, "_", ".", ":" or "-".');
    END IF;
    IF c.days IS NULL OR c.days NOT BETWEEN 1 AND 366 THEN
        PERFORM healthhub.rx_refuse('a claim covers 1 to 366 days', 'days: of the stay, or of the supply dispensed.');
    END IF;
    IF c.diagnoses IS NULL OR EXISTS (SELECT FROM unnest(c.diagnoses) x WHERE x IS NULL OR x !~ '^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,8})?$') THEN
        PERFORM healthhub.rx_refuse('a diagnosis is an ICD-10 code', 'diagnoses: J18.9, E11.900x002 ...');
    END IF;
    IF c.trip_status NOT IN ('local', 'resident_elsewhere', 'transfer', 'unfiled_emergency', 'unfiled_normal') THEN
        PERFORM healthhub.rx_refuse('invalid trip status: ' || c.trip_status,
                                    'local, resident_elsewhere, transfer, unfiled_emergency or unfiled_normal.');
    END IF;
    INSERT INTO healthhub.claims AS x (person_key, institution_key, mdtrt_id, begntime, admission, trip_status, days,
                                       diagnoses, encounter_key, dispense_key)
    VALUES (c.person_key, c.institution_key, c.mdtrt_id, c.begntime, c.admission, c.trip_status, c.days, c.diagnoses,
            c.encounter_key, c.dispense_key)
    RETURNING x.claim_key INTO claim;
    INSERT INTO healthhub.claim_lines (person_key, claim_key, line_no, med_list_codg, det_item_fee_sumamt, cnt, hosp_appr_flag)
    SELECT c.person_key, claim, l.n, l.v->>'med_list_codg', (l.v->>'det_item_fee_sumamt')::numeric,
           coalesce((l.v->>'cnt')::numeric, 1), coalesce(l.v->>'hosp_appr_flag', '0')
      FROM jsonb_array_elements(lines) WITH ORDINALITY AS l(v, n);
    RETURN claim;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'visit % was claimed here before', c.mdtrt_id
        USING ERRCODE = 'unique_violation', DETAIL = 'mdtrt_id is unique per institution.';
END
$$;

-- The person of the institution's own record of the patient (source,
-- local_id, as link_record named it), or 22023 with "detail".
CREATE FUNCTION healthhub.settle_patient(source text, local_id text, institution bigint, detail text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    SELECT healthhub.current_person(s.person_key) INTO subject FROM healthhub.source_records s
     WHERE s.source = settle_patient.source AND s.local_id = settle_patient.local_id AND s.institution_key = institution;
    IF subject IS NULL THEN
        PERFORM healthhub.rx_refuse(format('no record %s of source %s linked to a person at this institution', local_id, source),
                                    detail);
    END IF;
    RETURN subject;
END
$$;

-- A hospital system's bill: the patient by the institution's record
-- (link_record), the visit number, its start, the lines.
CREATE FUNCTION healthhub.submit_claim(source text, local_id text, mdtrt_id text, begntime timestamptz, lines jsonb,
                                       admission boolean DEFAULT false, trip_status text DEFAULT 'local',
                                       diagnoses text[] DEFAULT '{}', days integer DEFAULT 1)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c healthhub.claims;
BEGIN
    c.institution_key := healthhub.rx_acting_institution(ARRAY['institution_app', 'clinician'], 'submit claims');
    PERFORM healthhub.require_arguments('healthhub.submit_claim',
                                        ARRAY['source', 'local_id', 'mdtrt_id', 'begntime', 'lines', 'admission', 'trip_status'],
                                        ARRAY[source IS NULL, local_id IS NULL, mdtrt_id IS NULL, begntime IS NULL, lines IS NULL,
                                              admission IS NULL, trip_status IS NULL]);
    c.person_key := healthhub.settle_patient(source, local_id, c.institution_key,
        'A claim is submitted for the institution''s own record of the patient, linked by link_record.');
    SELECT mdtrt_id, begntime, admission, trip_status, diagnoses, days
      INTO c.mdtrt_id, c.begntime, c.admission, c.trip_status, c.diagnoses, c.days;
    RETURN healthhub.settle_write_claim(c, lines);
END
$$;

-- A hospital's bill for an encounter it recorded (load_encounters), by the
-- encounter's own id: the patient, the start, admission (an inpatient
-- stay, ended: it is settled at discharge), the days of the stay and the
-- diagnoses are the encounter's.
CREATE FUNCTION healthhub.submit_encounter_claim(encounter_id text, mdtrt_id text, lines jsonb,
                                                 trip_status text DEFAULT 'local')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c healthhub.claims;
    e healthhub.encounters;
BEGIN
    c.institution_key := healthhub.rx_acting_institution(ARRAY['institution_app', 'clinician'], 'submit claims');
    PERFORM healthhub.require_arguments('healthhub.submit_encounter_claim',
                                        ARRAY['encounter_id', 'mdtrt_id', 'lines', 'trip_status'],
                                        ARRAY[encounter_id IS NULL, mdtrt_id IS NULL, lines IS NULL, trip_status IS NULL]);
    SELECT * INTO e FROM healthhub.encounters x WHERE x.institution_key = c.institution_key AND x.local_id = encounter_id;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('no such encounter: ' || encounter_id, 'No encounter of this id was recorded here.');
    END IF;
    IF e.kind = 'inpatient' AND e.ended_at IS NULL THEN
        RAISE EXCEPTION 'encounter % has not ended', encounter_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'An admission is settled at discharge: load the encounter with its end first.';
    END IF;
    SELECT healthhub.current_person(e.person_key), mdtrt_id, e.started_at, e.kind = 'inpatient', trip_status, e.diagnoses,
           coalesce(e.length_of_stay, 1), e.encounter_key
      INTO c.person_key, c.mdtrt_id, c.begntime, c.admission, c.trip_status, c.diagnoses, c.days, c.encounter_key;
    RETURN healthhub.settle_write_claim(c, lines);
END
$$;

-- A pharmacy's bill for a dispense it made: one line per drug of the
-- prescription, each priced (med_list_codg, det_item_fee_sumamt, cnt), at
-- the time of the dispense.  An online follow-up's dispense settles under
-- the same policy as any other (线上线下一致).
CREATE FUNCTION healthhub.submit_dispense_claim(dispense bigint, mdtrt_id text, lines jsonb, trip_status text DEFAULT 'local')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c healthhub.claims;
    d healthhub.dispenses;
    billed text[];
    prescribed text[];
BEGIN
    c.institution_key := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app'], 'submit dispense claims');
    PERFORM healthhub.require_arguments('healthhub.submit_dispense_claim', ARRAY['dispense', 'mdtrt_id', 'lines', 'trip_status'],
                                        ARRAY[dispense IS NULL, mdtrt_id IS NULL, lines IS NULL, trip_status IS NULL]);
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.dispense_key = dispense;
    IF NOT FOUND OR d.pharmacy_key IS DISTINCT FROM c.institution_key THEN
        PERFORM healthhub.rx_refuse('no such dispense: ' || dispense, 'No dispense of this key was made here.');
    END IF;
    SELECT array_agg(l.drug::text ORDER BY l.drug::text) INTO prescribed
      FROM healthhub.prescriptions p, healthhub.prescription_lines(p.content) l
     WHERE p.person_key = d.person_key AND p.prescription_key = d.prescription_key;
    SELECT array_agg(upper(btrim(v->>'med_list_codg')) ORDER BY upper(btrim(v->>'med_list_codg'))) INTO billed
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(lines) = 'array' THEN lines ELSE '[]' END) v;
    IF billed IS DISTINCT FROM prescribed THEN
        PERFORM healthhub.rx_refuse('a dispense claim bills the prescription''s drugs, each once',
                                    format('The prescription has %s.', array_to_string(prescribed, ', ')));
    END IF;
    SELECT healthhub.current_person(d.person_key), mdtrt_id, d.dispensed_at, false, trip_status,
           (healthhub.prescription_header(p.content)).diagnoses,
           (SELECT max(l.days) FROM healthhub.prescription_lines(p.content) l), d.dispense_key
      INTO c.person_key, c.mdtrt_id, c.begntime, c.admission, c.trip_status, c.diagnoses, c.days, c.dispense_key
      FROM healthhub.prescriptions p
     WHERE p.person_key = d.person_key AND p.prescription_key = d.prescription_key;
    RETURN healthhub.settle_write_claim(c, lines);
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
                   (SELECT coalesce(sum(h.acct_balance), 0)
                      FROM healthhub.family_accounts f JOIN healthhub.insured_persons h ON h.person_key = f.holder_key
                     WHERE f.person_key = c.person_key AND f.ended_at IS NULL
                       AND h.insutype = '310' AND h.insuplc_admdvs OPERATOR(healthhub.=) insured.insuplc_admdvs) END)
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
        PERFORM healthhub.audit_append('read.account', 'person', f.holder_key::text, f.holder_key, 'settlement', 'ok')
           FROM healthhub.family_accounts f WHERE f.person_key = c.person_key AND f.ended_at IS NULL;
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
REVOKE ALL ON FUNCTION healthhub.settle_patient(text, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_write_claim(healthhub.claims, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.submit_claim(text, text, text, timestamptz, jsonb, boolean, text, text[], integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.submit_encounter_claim(text, text, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.submit_dispense_claim(bigint, text, jsonb, text) FROM PUBLIC;
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
    ('institution_app', 'healthhub.submit_claim(text, text, text, timestamp with time zone, jsonb, boolean, text, text[], integer)'),
    ('institution_app', 'healthhub.submit_encounter_claim(text, text, jsonb, text)'),
    ('institution_app', 'healthhub.submit_dispense_claim(bigint, text, jsonb, text)'),
    ('institution_app', 'healthhub.pre_settle(bigint)'),
    ('institution_app', 'healthhub.settle(bigint, text)'),
    ('institution_app', 'healthhub.reverse_settlement(bigint, text)'),
    ('clinician', 'healthhub.submit_claim(text, text, text, timestamp with time zone, jsonb, boolean, text, text[], integer)'),
    ('clinician', 'healthhub.submit_encounter_claim(text, text, jsonb, text)'),
    ('clinician', 'healthhub.pre_settle(bigint)'),
    ('pharmacist', 'healthhub.submit_dispense_claim(bigint, text, jsonb, text)'),
    ('pharmacist', 'healthhub.pre_settle(bigint)'),
    ('pharmacist', 'healthhub.settle(bigint, text)'),
    ('pharmacist', 'healthhub.reverse_settlement(bigint, text)')) v(pr, f);
