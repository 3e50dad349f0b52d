-- The lifecycle of a prescription (docs/prescriptions.md, "Lifecycle"):
--
--   issue -> sign -> review (approve | reject) -> circulate -> dispense
--   (once, or up to its dispenses with the minimum interval) -> settle;
--   revoke before it is used up; expire when its validity ends.
--
-- Each step locks the prescription's row, so steps on one prescription run
-- one after the other: the second of two dispenses at once waits, then
-- finds the first's result (specs/rx_races.spec).  A step out of order is
-- 55000; a step by the wrong profile 42501; by an institution that may not
-- see the prescription, 22023 "no such prescription" (the same as for a
-- key that does not exist: nothing about other institutions'
-- prescriptions is revealed).  Every step is an event
-- (prescription_events) and, through the tables' triggers, in the trail.

-- The institution the acting role works for, or 42501.
CREATE FUNCTION healthhub.rx_acting_institution(profiles text[], what text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.acting_role_institution();
BEGIN
    PERFORM healthhub.require_profile(profiles, what);
    IF institution IS NULL AND NOT healthhub.acting_role_is_admin() AND NOT 'insurer' = ANY (profiles) THEN
        RAISE EXCEPTION 'role % acts for no institution', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Prescriptions are handled by an institution''s roles.';
    END IF;
    RETURN institution;
END
$$;

-- Is the institution a designated pharmacy now?
CREATE FUNCTION healthhub.is_designated_pharmacy(institution bigint) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT FROM healthhub.designated_pharmacies d
                    WHERE d.institution_key = institution AND d.period @> pg_catalog.clock_timestamp());
END;

-- May the institution act on the prescription from this side?  'issuer':
-- the issuing institution; 'pharmacy': the pharmacy it was circulated to,
-- or (circulated to any) a designated pharmacy; 'any': an insurer or the
-- hub (institution NULL).
CREATE FUNCTION healthhub.rx_side_allows(p healthhub.prescriptions, institution bigint, side text) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE side
               WHEN 'issuer' THEN p.institution_key = institution
               WHEN 'pharmacy' THEN p.circulated_at IS NOT NULL
                                    AND (p.pharmacy_key = institution
                                         OR (p.pharmacy_key IS NULL AND healthhub.is_designated_pharmacy(institution)))
               WHEN 'any' THEN institution IS NULL
           END IS TRUE;
END;

-- The prescription, locked (FOR UPDATE), if the institution may act on it
-- from this side; else 22023.
CREATE FUNCTION healthhub.rx_locked(prescription bigint, institution bigint, side text)
    RETURNS healthhub.prescriptions
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.prescriptions;
BEGIN
    SELECT * INTO p FROM healthhub.prescriptions x WHERE x.prescription_key = prescription FOR UPDATE;
    IF NOT FOUND OR NOT healthhub.rx_side_allows(p, institution, side) THEN
        RAISE EXCEPTION 'no such prescription: %', prescription
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE side WHEN 'issuer' THEN 'No prescription of this key was issued here.'
                                     WHEN 'pharmacy' THEN 'No prescription of this key was circulated to this pharmacy.'
                                     ELSE 'No prescription has this key.' END;
    END IF;
    RETURN p;
END
$$;

-- 55000 unless the prescription is in one of the states.
CREATE FUNCTION healthhub.rx_require_state(p healthhub.prescriptions, states text[], step text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT p.state = ANY (states) THEN
        RAISE EXCEPTION 'prescription % is %: it cannot be %', p.prescription_key, p.state, step
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Only a prescription that is %s can be %s.', array_to_string(states, ' or '), step);
    END IF;
END
$$;

-- Record a step (the row is locked: event numbers do not race).
CREATE FUNCTION healthhub.rx_event(p healthhub.prescriptions, action text, institution bigint, practitioner bigint,
                                   reason text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO healthhub.prescription_events (person_key, prescription_key, event_no, action, institution_key,
                                               practitioner_key, acting_role, reason)
    SELECT p.person_key, p.prescription_key, coalesce(max(e.event_no), 0) + 1, rx_event.action, rx_event.institution,
           rx_event.practitioner, healthhub.acting_role(), rx_event.reason
      FROM healthhub.prescription_events e
     WHERE e.person_key = p.person_key AND e.prescription_key = p.prescription_key;
END
$$;

-- A reason: 1 to 500 characters, or 22023.
CREATE FUNCTION healthhub.rx_require_reason(reason text, step text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF reason IS NULL OR btrim(reason) = '' OR length(reason) > 500 THEN
        RAISE EXCEPTION '% needs a reason', step
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The reason is 1 to 500 characters.';
    END IF;
END
$$;

-- Issue: the institution's record of the patient (source, local_id, as
-- link_record named it), the content, the prescriber (licensed here now,
-- with the privileges its drugs need), the visit, a guardian (a child
-- online), the assessment (long-term above 4 weeks).  Returns the key and
-- the duplicate-therapy warnings.
CREATE FUNCTION healthhub.issue_prescription(source text, local_id text, content healthhub.prescription,
                                             prescriber bigint, encounter bigint DEFAULT NULL,
                                             guardian bigint DEFAULT NULL, assessment text DEFAULT NULL)
    RETURNS TABLE (prescription_key bigint, warnings text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'institution_app'], 'issue prescriptions');
    h record;
    subject bigint;
    record bigint;
    p healthhub.prescriptions;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.issue_prescription',
                                        ARRAY['source', 'local_id', 'content', 'prescriber'],
                                        ARRAY[source IS NULL, local_id IS NULL, content IS NULL, prescriber IS NULL]);
    h := healthhub.prescription_header(content);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO subject, record FROM healthhub.source_records s
     WHERE s.source = issue_prescription.source AND s.local_id = issue_prescription.local_id
       AND s.institution_key = institution;
    IF subject IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A prescription is issued for the institution''s own record of the patient, linked by link_record.';
    END IF;
    IF encounter IS NOT NULL AND NOT EXISTS (
        SELECT FROM healthhub.encounters e
         WHERE e.encounter_key = encounter AND e.institution_key = institution AND e.record_id = record) THEN
        PERFORM healthhub.rx_refuse('no such visit of the patient here', format('Encounter %s.', encounter));
    END IF;
    IF h.issued_at > clock_timestamp() + interval '5 minutes'
       OR h.issued_at + make_interval(days => h.valid_days) < clock_timestamp() THEN
        PERFORM healthhub.rx_refuse('the prescription is not valid now',
            format('prsc_time %s with valid_days %s: a prescription is issued when it is written, and is valid now.',
                   to_char(h.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), h.valid_days));
    END IF;
    PERFORM healthhub.assert_may_practise(prescriber, 'physician', institution);
    PERFORM healthhub.rx_check_rules(content, subject, institution, prescriber, guardian, assessment);
    INSERT INTO healthhub.prescriptions AS x (person_key, record_id, institution_key, rxno, prescriber_key,
                                              encounter_key, guardian_key, assessment, content, issued_at,
                                              valid_until, warnings)
    VALUES (subject, record, institution, h.rxno, prescriber, encounter, healthhub.current_person(guardian),
            nullif(btrim(assessment), ''), content, h.issued_at, h.issued_at + make_interval(days => h.valid_days),
            healthhub.rx_duplicate_therapy(subject, content, NULL, institution))
    RETURNING x.* INTO p;
    PERFORM healthhub.rx_event(p, 'issue', institution, prescriber);
    RETURN QUERY SELECT p.prescription_key, p.warnings;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'prescription number % was issued here before', h.rxno
        USING ERRCODE = 'unique_violation', DETAIL = 'hosp_rxno is unique per institution.';
END
$$;

-- Sign: the prescriber's electronic signature (dr_sign_info), by the
-- prescriber, still licensed here.
CREATE FUNCTION healthhub.sign_prescription(prescription bigint, signature text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'institution_app'], 'sign prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.rx_require_state(p, ARRAY['issued'], 'signed');
    IF signature IS NULL OR btrim(signature) = '' OR length(signature) > 4000 THEN
        PERFORM healthhub.rx_refuse('a signature is 1 to 4000 characters', 'dr_sign_info, as the signing service returned it.');
    END IF;
    PERFORM healthhub.assert_may_practise(p.prescriber_key, 'physician', institution);
    UPDATE healthhub.prescriptions x SET state = 'signed', signature = sign_prescription.signature
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'sign', institution, p.prescriber_key);
END
$$;

-- Review by a pharmacist of the issuing institution: approve, or reject
-- with a reason.  Returns the duplicate-therapy warnings as of now.
CREATE FUNCTION healthhub.review_prescription(prescription bigint, pharmacist bigint, approve boolean,
                                              reason text DEFAULT NULL)
    RETURNS text[]
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app'], 'review prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.require_arguments('healthhub.review_prescription', ARRAY['pharmacist', 'approve'],
                                        ARRAY[pharmacist IS NULL, approve IS NULL]);
    PERFORM healthhub.rx_require_state(p, ARRAY['signed'], CASE WHEN approve THEN 'approved' ELSE 'rejected' END);
    IF NOT approve THEN
        PERFORM healthhub.rx_require_reason(reason, 'a rejection');
    END IF;
    PERFORM healthhub.assert_may_practise(pharmacist, 'pharmacist', institution);
    UPDATE healthhub.prescriptions x
       SET state = CASE WHEN approve THEN 'approved' ELSE 'rejected' END, pharmacist_key = pharmacist,
           reviewed_at = clock_timestamp(),
           warnings = healthhub.rx_duplicate_therapy(p.person_key, p.content, p.prescription_key, institution)
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key
    RETURNING x.* INTO p;
    PERFORM healthhub.rx_event(p, CASE WHEN approve THEN 'approve' ELSE 'reject' END, institution, pharmacist, reason);
    RETURN p.warnings;
END
$$;

-- Circulate an approved prescription: to a named pharmacy (a designated
-- pharmacy, or the issuing institution's own), or to any designated one.
CREATE FUNCTION healthhub.circulate_prescription(prescription bigint, pharmacy bigint DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'pharmacist', 'institution_app'],
                                                          'circulate prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.rx_require_state(p, ARRAY['approved'], 'circulated');
    IF pharmacy IS NOT NULL AND pharmacy <> institution AND NOT healthhub.is_designated_pharmacy(pharmacy) THEN
        PERFORM healthhub.rx_refuse('not a designated pharmacy',
            format('Institution %s is not designated now; circulate to a designated pharmacy, to this institution, or to any (NULL).',
                   pharmacy));
    END IF;
    UPDATE healthhub.prescriptions x SET state = 'circulated', circulated_at = clock_timestamp(),
                                         pharmacy_key = circulate_prescription.pharmacy
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'circulate', institution, NULL,
                               CASE WHEN pharmacy IS NULL THEN 'any designated pharmacy' ELSE 'pharmacy ' || pharmacy END);
END
$$;

-- Dispense at a pharmacy: within the validity, at most as often as the
-- prescription allows, each repeat after the minimum interval; the
-- pharmacist licensed at the pharmacy.  Returns the dispense's key.
CREATE FUNCTION healthhub.dispense_prescription(prescription bigint, pharmacist bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app'], 'dispense prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'pharmacy');
    h record := healthhub.prescription_header(p.content);
    last_at timestamptz;
    dispense bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.dispense_prescription', ARRAY['pharmacist'], ARRAY[pharmacist IS NULL]);
    PERFORM healthhub.rx_require_state(p, ARRAY['circulated'], 'dispensed');
    IF clock_timestamp() >= p.valid_until THEN
        RAISE EXCEPTION 'prescription % expired at %', p.prescription_key, p.valid_until
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = 'A prescription is dispensed within its validity.';
    END IF;
    SELECT max(d.dispensed_at) INTO last_at FROM healthhub.dispenses d
     WHERE d.person_key = p.person_key AND d.prescription_key = p.prescription_key;
    IF last_at IS NOT NULL AND clock_timestamp() < last_at + make_interval(days => h.interval_days) THEN
        RAISE EXCEPTION 'prescription % was dispensed at %: the next dispense is due at %', p.prescription_key, last_at,
                        last_at + make_interval(days => h.interval_days)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its dispenses are at least %s days apart (min_inrv_days).', h.interval_days);
    END IF;
    PERFORM healthhub.assert_may_practise(pharmacist, 'pharmacist', institution);
    INSERT INTO healthhub.dispenses (person_key, prescription_key, dispense_no, pharmacy_key, pharmacist_key)
    VALUES (p.person_key, p.prescription_key, p.dispenses_done + 1, institution, pharmacist)
    RETURNING dispense_key INTO dispense;
    UPDATE healthhub.prescriptions x
       SET dispenses_done = x.dispenses_done + 1,
           state = CASE WHEN x.dispenses_done + 1 >= h.dispenses THEN 'dispensed' ELSE 'circulated' END
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'dispense', institution, pharmacist,
                               format('dispense %s of %s', p.dispenses_done + 1, h.dispenses));
    RETURN dispense;
END
$$;

-- Mark a dispense settled under a settlement's reference, or (reference
-- NULL) no longer settled: its settlement was reversed, for the reason
-- given.  The prescription follows (settled when all its dispenses are,
-- dispensed again when one is not) and is locked first, so two marks of
-- one dispense run one after the other.
CREATE FUNCTION healthhub.rx_dispense_settlement(dispense bigint, settlement_ref text, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.dispenses;
    p healthhub.prescriptions;
BEGIN
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.dispense_key = dispense;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('no such dispense: ' || dispense, 'No dispense has this key.');
    END IF;
    p := healthhub.rx_locked(d.prescription_key, NULL, 'any');
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.person_key = d.person_key AND x.dispense_key = dispense;
    IF settlement_ref IS NOT NULL AND d.settled_at IS NOT NULL THEN
        RAISE EXCEPTION 'dispense % was settled at %', dispense, d.settled_at
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = format('Settlement %s.', d.settlement_ref);
    END IF;
    UPDATE healthhub.dispenses x
       SET settled_at = CASE WHEN rx_dispense_settlement.settlement_ref IS NOT NULL THEN clock_timestamp() END,
           settlement_ref = rx_dispense_settlement.settlement_ref
     WHERE x.person_key = d.person_key AND x.dispense_key = d.dispense_key;
    UPDATE healthhub.prescriptions x
       SET state = CASE WHEN settlement_ref IS NULL THEN 'dispensed' ELSE 'settled' END
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key
       AND x.state = CASE WHEN settlement_ref IS NULL THEN 'settled' ELSE 'dispensed' END
       AND (settlement_ref IS NULL OR NOT EXISTS (SELECT FROM healthhub.dispenses y
                                                   WHERE y.person_key = p.person_key
                                                     AND y.prescription_key = p.prescription_key
                                                     AND y.settled_at IS NULL));
    PERFORM healthhub.rx_event(p, CASE WHEN settlement_ref IS NULL THEN 'unsettle' ELSE 'settle' END, NULL, NULL,
                               format('dispense %s: %s', d.dispense_no,
                                      coalesce(settlement_ref, d.settlement_ref || ' reversed: ' || reason)));
END
$$;

-- Settle a dispense (the settlement's reference, from the insurance
-- fund); a prescription whose dispenses are all done and settled is
-- settled.  The insurer or the hub.  (A dispense settled through the hub's
-- own settlement, settle(), is marked by it.)
CREATE FUNCTION healthhub.settle_dispense(dispense bigint, settlement_ref text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.rx_acting_institution(ARRAY['insurer'], 'settle dispenses');
    PERFORM healthhub.require_arguments('healthhub.settle_dispense', ARRAY['dispense', 'settlement_ref'],
                                        ARRAY[dispense IS NULL, settlement_ref IS NULL]);
    IF btrim(settlement_ref) = '' OR length(settlement_ref) > 100 THEN
        PERFORM healthhub.rx_refuse('a settlement reference is 1 to 100 characters', 'The fund''s settlement id (setl_id).');
    END IF;
    PERFORM healthhub.rx_dispense_settlement(dispense, settlement_ref, NULL);
END
$$;

-- Revoke, by the issuing institution, with a reason: no further dispense.
CREATE FUNCTION healthhub.revoke_prescription(prescription bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'institution_app'], 'revoke prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.rx_require_state(p, ARRAY['issued', 'signed', 'approved', 'circulated'], 'revoked');
    PERFORM healthhub.rx_require_reason(reason, 'a revocation');
    UPDATE healthhub.prescriptions x SET state = 'revoked'
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'revoke', institution, NULL, reason);
END
$$;

-- Expire every approved or circulated prescription past its validity;
-- returns how many.  The hub (a scheduled job).
CREATE FUNCTION healthhub.expire_prescriptions() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.prescriptions;
    n integer := 0;
BEGIN
    PERFORM healthhub.require_profile(ARRAY[]::text[], 'expire prescriptions');
    FOR p IN SELECT * FROM healthhub.prescriptions x
              WHERE x.state IN ('issued', 'signed', 'approved', 'circulated') AND x.valid_until <= clock_timestamp()
              FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE healthhub.prescriptions x SET state = 'expired'
         WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
        PERFORM healthhub.rx_event(p, 'expire', NULL, NULL);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

REVOKE ALL ON FUNCTION healthhub.rx_acting_institution(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.is_designated_pharmacy(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_side_allows(healthhub.prescriptions, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_locked(bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_require_state(healthhub.prescriptions, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_event(healthhub.prescriptions, text, bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_require_reason(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.issue_prescription(text, text, healthhub.prescription, bigint, bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.sign_prescription(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.review_prescription(bigint, bigint, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.circulate_prescription(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.dispense_prescription(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_dispense_settlement(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_dispense(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_prescription(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.expire_prescriptions() FROM PUBLIC;
