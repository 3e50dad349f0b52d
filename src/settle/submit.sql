-- Claims in (docs/settlement.md, "Settling"): a hospital system's bill
-- line by line (submit_claim), an encounter's (submit_encounter_claim), a
-- pharmacy's for a dispense (submit_dispense_claim); every line checked,
-- nothing written of a refused claim.

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

REVOKE ALL ON FUNCTION healthhub.settle_patient(text, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_write_claim(healthhub.claims, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.submit_claim(text, text, text, timestamptz, jsonb, boolean, text, text[], integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.submit_encounter_claim(text, text, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.submit_dispense_claim(bigint, text, jsonb, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM (VALUES
    ('institution_app', 'healthhub.submit_claim(text, text, text, timestamp with time zone, jsonb, boolean, text, text[], integer)'),
    ('institution_app', 'healthhub.submit_encounter_claim(text, text, jsonb, text)'),
    ('institution_app', 'healthhub.submit_dispense_claim(bigint, text, jsonb, text)'),
    ('clinician', 'healthhub.submit_claim(text, text, text, timestamp with time zone, jsonb, boolean, text, text[], integer)'),
    ('clinician', 'healthhub.submit_encounter_claim(text, text, jsonb, text)'),
    ('pharmacist', 'healthhub.submit_dispense_claim(bigint, text, jsonb, text)')) v(pr, f);
