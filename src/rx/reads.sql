-- Reading prescriptions (docs/prescriptions.md, "Who sees what"): the
-- issuing institution its own; a pharmacy those circulated to it (or to
-- any designated pharmacy, while undispensed) and those it dispensed; the
-- insurer those dispensed.  Every read of a prescription is a read.*
-- entry of the trail, committed before the rows return.  FHIR R4: the
-- content as MedicationRequests, a dispense as MedicationDispenses.

-- FHIR's time: UTC, to the second.
CREATE FUNCTION healthhub.fhir_instant(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- A duration in days, as FHIR writes one (UCUM).
CREATE FUNCTION healthhub.fhir_days(n integer) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN jsonb_build_object('value', n, 'unit', 'days', 'system', 'http://unitsofmeasure.org', 'code', 'd');

-- The content as a FHIR R4 Bundle (collection) of MedicationRequests, one
-- per drug line (FHIR orders one medication per request), grouped by the
-- prescription number.  subject, requester and performer are FHIR
-- references ('Patient/...', 'Practitioner/...', 'Organization/...');
-- status is MedicationRequest's ('active', 'completed', 'cancelled', ...).
CREATE FUNCTION healthhub.to_fhir(p healthhub.prescription, subject text, status text DEFAULT 'active',
                                  requester text DEFAULT NULL, performer text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'resourceType', 'Bundle',
        'type', 'collection',
        'identifier', jsonb_build_object('system', 'urn:healthhub:hosp-rxno', 'value', h.rxno),
        'entry', jsonb_agg(jsonb_build_object('resource', jsonb_strip_nulls(jsonb_build_object(
            'resourceType', 'MedicationRequest',
            'identifier', jsonb_build_array(jsonb_build_object('system', 'urn:healthhub:hosp-rxno',
                                                               'value', h.rxno || '/' || l.line_no)),
            'groupIdentifier', jsonb_build_object('system', 'urn:healthhub:hosp-rxno', 'value', h.rxno),
            'status', status,
            'intent', 'order',
            'category', jsonb_build_array(jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'code', 'outpatient')))),
            'medicationCodeableConcept', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'urn:healthhub:nhsa-drug-code', 'code', l.drug::text))),
            'subject', jsonb_build_object('reference', subject),
            'authoredOn', healthhub.fhir_instant(h.issued_at),
            'requester', CASE WHEN requester IS NOT NULL THEN jsonb_build_object('reference', requester) END,
            'reasonCode', (SELECT jsonb_agg(jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                                'system', 'http://hl7.org/fhir/sid/icd-10', 'code', d))) ORDER BY n)
                             FROM unnest(CASE WHEN l.diagnosis IS NULL THEN h.diagnoses ELSE ARRAY[l.diagnosis] END)
                                  WITH ORDINALITY x(d, n)),
            'courseOfTherapyType', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy',
                'code', CASE WHEN h.kind IN ('chronic', 'long_term') THEN 'continuous' ELSE 'acute' END))),
            'dosageInstruction', jsonb_build_array(jsonb_build_object(
                'text', l.dose || ' ' || l.dose_unit || ' ' || l.frequency,
                'timing', jsonb_build_object('code', jsonb_build_object('text', l.frequency),
                                             'repeat', CASE WHEN l.every_days IS NOT NULL
                                                            THEN jsonb_build_object('frequency', l.times, 'period', l.every_days,
                                                                                    'periodUnit', 'd')
                                                            WHEN l.times IS NOT NULL THEN jsonb_build_object('count', 1) END),
                'asNeededBoolean', CASE WHEN l.times IS NULL THEN true END,
                'doseAndRate', jsonb_build_array(jsonb_build_object('doseQuantity',
                    jsonb_build_object('value', l.dose, 'unit', l.dose_unit))))),
            'dispenseRequest', jsonb_build_object(
                'validityPeriod', jsonb_build_object(
                    'start', healthhub.fhir_instant(h.issued_at),
                    'end', healthhub.fhir_instant(h.issued_at + make_interval(days => h.valid_days))),
                'numberOfRepeatsAllowed', h.dispenses - 1,
                'dispenseInterval', CASE WHEN h.dispenses > 1 THEN healthhub.fhir_days(h.interval_days) END,
                'quantity', jsonb_build_object('value', l.total, 'unit', l.dose_unit),
                'expectedSupplyDuration', healthhub.fhir_days(l.days),
                'performer', CASE WHEN performer IS NOT NULL THEN jsonb_build_object('reference', performer) END)
        ))) ORDER BY l.line_no))
      FROM healthhub.prescription_header(p) h
      CROSS JOIN healthhub.prescription_lines(p) l
     GROUP BY h.rxno, h.issued_at;
END;
COMMENT ON FUNCTION healthhub.to_fhir(healthhub.prescription, text, text, text, text) IS
    'A prescription as a FHIR R4 Bundle of MedicationRequests (one per drug line) with their dispenseRequest';
GRANT EXECUTE ON FUNCTION healthhub.to_fhir(healthhub.prescription, text, text, text, text) TO PUBLIC;

-- MedicationRequest.status of a prescription's state.
CREATE FUNCTION healthhub.rx_fhir_status(state text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE state WHEN 'issued' THEN 'draft' WHEN 'signed' THEN 'draft' WHEN 'approved' THEN 'active'
                      WHEN 'circulated' THEN 'active' WHEN 'dispensed' THEN 'completed' WHEN 'settled' THEN 'completed'
                      WHEN 'rejected' THEN 'cancelled' WHEN 'revoked' THEN 'cancelled' WHEN 'expired' THEN 'stopped' END;

-- May the institution (or, NULL, an insurer) read the prescription?
CREATE FUNCTION healthhub.rx_may_read(p healthhub.prescriptions, institution bigint) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE
        WHEN institution IS NULL THEN p.state IN ('dispensed', 'settled') OR p.dispenses_done > 0
        ELSE p.institution_key = institution
             OR EXISTS (SELECT FROM healthhub.dispenses d
                         WHERE d.person_key = p.person_key AND d.prescription_key = p.prescription_key
                           AND d.pharmacy_key = institution)
             OR (p.state = 'circulated' AND healthhub.rx_side_allows(p, institution, 'pharmacy'))
    END;
END;

-- One prescription, for those who may read it: the issuing institution
-- reads everything; others what dispensing and paying need (no warnings,
-- assessment or guardian).  One read.prescriptions entry, 'refused' for
-- a key that may not be read here.
CREATE FUNCTION healthhub.prescription_of(prescription bigint)
    RETURNS TABLE (prescription_key bigint, rxno text, state text, content healthhub.prescription,
                   institution_key bigint, issued_at timestamptz, valid_until timestamptz, pharmacy_key bigint,
                   dispenses_done integer, warnings text[], assessment text, fhir jsonb)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'pharmacist', 'institution_app', 'insurer'],
                                                          'read prescriptions');
    p healthhub.prescriptions;
    own boolean;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.prescription_of', ARRAY['prescription'], ARRAY[prescription IS NULL]);
    SELECT * INTO p FROM healthhub.prescriptions x WHERE x.prescription_key = prescription;
    IF NOT FOUND OR NOT healthhub.rx_may_read(p, institution) THEN
        -- (a refused read is in the trail too: a read entry outlives the error)
        PERFORM healthhub.audit_append('read.prescriptions', 'prescription', prescription::text, p.person_key,
                                       'prescriptions', 'refused');
        RAISE EXCEPTION 'no such prescription: %', prescription
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'No prescription of this key may be read here.';
    END IF;
    own := p.institution_key = institution;
    PERFORM healthhub.audit_append('read.prescriptions', 'prescription', p.prescription_key::text, p.person_key,
                                   'prescriptions', 'ok');
    RETURN QUERY SELECT p.prescription_key, p.rxno, p.state, p.content, p.institution_key, p.issued_at, p.valid_until,
                        p.pharmacy_key, p.dispenses_done, CASE WHEN own THEN p.warnings END,
                        CASE WHEN own THEN p.assessment END,
                        healthhub.to_fhir(p.content, 'Patient/' || p.person_key, healthhub.rx_fhir_status(p.state),
                                          'Practitioner/' || p.prescriber_key,
                                          CASE WHEN p.pharmacy_key IS NOT NULL THEN 'Organization/' || p.pharmacy_key END);
END
$$;

-- What a pharmacy may dispense now: the prescriptions circulated to it or
-- to any designated pharmacy, undispensed and valid (no patient, no
-- content: those come with prescription_of, when the patient is there).
CREATE FUNCTION healthhub.prescriptions_to_dispense()
    RETURNS TABLE (prescription_key bigint, rxno text, institution_key bigint, circulated_at timestamptz,
                   valid_until timestamptz, dispenses_done integer, named boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app'], 'dispense prescriptions');
    designated boolean := healthhub.is_designated_pharmacy(institution);
BEGIN
    RETURN QUERY
    SELECT p.prescription_key, p.rxno, p.institution_key, p.circulated_at, p.valid_until, p.dispenses_done,
           p.pharmacy_key IS NOT NULL
      FROM healthhub.prescriptions p
     WHERE p.state = 'circulated' AND p.valid_until > clock_timestamp()
       AND (p.pharmacy_key = institution OR (p.pharmacy_key IS NULL AND designated))
     ORDER BY p.circulated_at, p.prescription_key;
END
$$;

-- A dispense of a prescription as a FHIR R4 Bundle (collection) of
-- MedicationDispenses, one per drug line: dispense_id names the dispense;
-- subject, performer (the pharmacist) and location (the pharmacy) are FHIR
-- references.
CREATE FUNCTION healthhub.to_fhir_dispense(p healthhub.prescription, dispense_id text, subject text, performer text,
                                           location text, handed_over timestamptz)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'resourceType', 'Bundle', 'type', 'collection',
        'identifier', jsonb_build_object('system', 'urn:healthhub:dispense', 'value', dispense_id),
        'entry', jsonb_agg(jsonb_build_object('resource', jsonb_build_object(
            'resourceType', 'MedicationDispense',
            'identifier', jsonb_build_array(jsonb_build_object('system', 'urn:healthhub:dispense',
                                                               'value', dispense_id || '/' || l.line_no)),
            'status', 'completed',
            'medicationCodeableConcept', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'urn:healthhub:nhsa-drug-code', 'code', l.drug::text))),
            'subject', jsonb_build_object('reference', subject),
            'performer', jsonb_build_array(jsonb_build_object('actor', jsonb_build_object('reference', performer))),
            'location', jsonb_build_object('reference', location),
            'authorizingPrescription', jsonb_build_array(jsonb_build_object('identifier', jsonb_build_object(
                'system', 'urn:healthhub:hosp-rxno', 'value', h.rxno || '/' || l.line_no))),
            'quantity', jsonb_build_object('value', l.total, 'unit', l.dose_unit),
            'daysSupply', healthhub.fhir_days(l.days),
            'whenHandedOver', healthhub.fhir_instant(handed_over))) ORDER BY l.line_no))
      FROM healthhub.prescription_header(p) h
      CROSS JOIN healthhub.prescription_lines(p) l
     GROUP BY h.rxno;
END;
COMMENT ON FUNCTION healthhub.to_fhir_dispense(healthhub.prescription, text, text, text, text, timestamptz) IS
    'A dispense of a prescription as a FHIR R4 Bundle of MedicationDispenses (one per drug line)';
GRANT EXECUTE ON FUNCTION healthhub.to_fhir_dispense(healthhub.prescription, text, text, text, text, timestamptz) TO PUBLIC;

-- A dispense as FHIR, for the pharmacy that dispensed it, the issuing
-- institution and the insurer.  One read.prescriptions entry (as for
-- prescription_of).
CREATE FUNCTION healthhub.dispense_to_fhir(dispense bigint) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app', 'clinician', 'insurer'],
                                                          'read dispenses');
    d healthhub.dispenses;
    p healthhub.prescriptions;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.dispense_to_fhir', ARRAY['dispense'], ARRAY[dispense IS NULL]);
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.dispense_key = dispense;
    SELECT * INTO p FROM healthhub.prescriptions x WHERE x.person_key = d.person_key AND x.prescription_key = d.prescription_key;
    IF d.dispense_key IS NULL OR NOT (institution IS NULL OR d.pharmacy_key = institution OR p.institution_key = institution) THEN
        PERFORM healthhub.audit_append('read.prescriptions', 'dispense', dispense::text, d.person_key, 'prescriptions',
                                       'refused');
        RAISE EXCEPTION 'no such dispense: %', dispense
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'No dispense of this key may be read here.';
    END IF;
    PERFORM healthhub.audit_append('read.prescriptions', 'dispense', d.dispense_key::text, d.person_key, 'prescriptions', 'ok');
    RETURN healthhub.to_fhir_dispense(p.content, d.dispense_key::text, 'Patient/' || d.person_key,
                                      'Practitioner/' || d.pharmacist_key, 'Location/' || d.pharmacy_key, d.dispensed_at);
END
$$;

-- For statisticians: prescriptions by issuing institution, month (Beijing
-- time), kind, online or not, and state.  No person data.
CREATE VIEW healthhub.prescription_report AS
SELECT p.institution_key, i.name AS institution,
       date_trunc('month', p.issued_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
       h.kind, h.online, p.state, count(*) AS prescriptions, sum(p.dispenses_done) AS dispenses
  FROM healthhub.prescriptions p
  JOIN healthhub.institutions i ON i.institution_key = p.institution_key
 CROSS JOIN LATERAL healthhub.prescription_header(p.content) h
 GROUP BY p.institution_key, i.name, 3, h.kind, h.online, p.state;
COMMENT ON VIEW healthhub.prescription_report IS
    'Prescriptions by institution, month, kind, online or in person, and state: counts and dispenses';

REVOKE ALL ON FUNCTION healthhub.rx_may_read(healthhub.prescriptions, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.prescription_of(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.prescriptions_to_dispense() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.dispense_to_fhir(bigint) FROM PUBLIC;

-- What each profile may do (src/platform/profiles.sql).
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM (VALUES
    ('clinician', 'healthhub.issue_prescription(text, text, healthhub.prescription, bigint, bigint, bigint, text)'),
    ('clinician', 'healthhub.sign_prescription(bigint, text)'),
    ('clinician', 'healthhub.circulate_prescription(bigint, bigint)'),
    ('clinician', 'healthhub.revoke_prescription(bigint, text)'),
    ('clinician', 'healthhub.prescription_of(bigint)'),
    ('clinician', 'healthhub.dispense_to_fhir(bigint)'),
    ('pharmacist', 'healthhub.review_prescription(bigint, bigint, boolean, text)'),
    ('pharmacist', 'healthhub.circulate_prescription(bigint, bigint)'),
    ('pharmacist', 'healthhub.dispense_prescription(bigint, bigint)'),
    ('pharmacist', 'healthhub.prescriptions_to_dispense()'),
    ('pharmacist', 'healthhub.prescription_of(bigint)'),
    ('pharmacist', 'healthhub.dispense_to_fhir(bigint)'),
    ('insurer', 'healthhub.settle_dispense(bigint, text)'),
    ('insurer', 'healthhub.prescription_of(bigint)'),
    ('insurer', 'healthhub.dispense_to_fhir(bigint)'),
    ('hub_admin', 'healthhub.load_drugs(text, text)'),
    ('hub_admin', 'healthhub.expire_prescriptions()'),
    ('hub_admin', 'healthhub.settle_dispense(bigint, text)')) v(pr, f)
UNION ALL
SELECT 'institution_app', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.issue_prescription(text, text, healthhub.prescription, bigint, bigint, bigint, text)',
                    'healthhub.sign_prescription(bigint, text)', 'healthhub.review_prescription(bigint, bigint, boolean, text)',
                    'healthhub.circulate_prescription(bigint, bigint)', 'healthhub.dispense_prescription(bigint, bigint)',
                    'healthhub.revoke_prescription(bigint, text)', 'healthhub.prescription_of(bigint)',
                    'healthhub.prescriptions_to_dispense()', 'healthhub.dispense_to_fhir(bigint)']) f
UNION ALL
SELECT pr, 'table', 'healthhub.prescription_report', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'statistician', 'auditor']) pr
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.drugs', 'healthhub.designated_pharmacies', 'healthhub.rx_kind_rules',
                    'healthhub.rx_controlled_rules', 'healthhub.rx_rules']) t
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.stage_drugs', 'SELECT, INSERT, DELETE';
