-- The rules of a prescription that need data: the catalogue, the policy
-- rows (src/rx/policy.sql), the prescriber's licence and privileges, the
-- person index (age, earlier in-person diagnoses, other prescriptions).
-- Each refusal is 22023 with a DETAIL naming the line and the rule
-- (42501 when a licence or privilege is missing).

-- A refusal (22023).
CREATE FUNCTION healthhub.rx_refuse(message text, detail text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'invalid_parameter_value', DETAIL = detail;
END
$$;

-- The records of a person in the person index (merged persons included):
-- what "the person's, at any institution" reads.
-- (called in FROM, neither STRICT nor with a SET clause: the planner
-- inlines it; a NULL person has no records all the same)
CREATE FUNCTION healthhub.person_record_ids(person bigint) RETURNS SETOF bigint
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = person;
END;

CREATE FUNCTION healthhub.rx_check_rules(content healthhub.prescription, subject bigint, institution bigint,
                                         prescriber bigint, guardian bigint, assessment text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h record := healthhub.prescription_header(content);
    -- (conditions are compared by ICD-10 category: E11.900 and E11.9 are one)
    categories text[] := ARRAY(SELECT DISTINCT left(x, 3) FROM unnest(h.diagnoses) x);
    k healthhub.rx_kind_rules;
    c healthhub.rx_controlled_rules;
    d healthhub.drugs;
    l record;
    born date;
    longest integer;
BEGIN
    SELECT * INTO k FROM healthhub.rx_kind_rules r WHERE r.kind = h.kind;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse(format('no rule for %s prescriptions', h.kind),
                                    'healthhub.rx_kind_rules has no row for this kind.');
    END IF;
    IF h.valid_days > k.max_valid_days THEN
        PERFORM healthhub.rx_refuse('the prescription is valid too long',
            format('valid_days is %s; %s prescriptions are valid at most %s days.', h.valid_days, h.kind, k.max_valid_days));
    END IF;
    FOR l IN SELECT * FROM healthhub.prescription_lines(content) LOOP
        SELECT * INTO d FROM healthhub.drugs x WHERE x.drug_code OPERATOR(healthhub.=) l.drug;
        IF NOT FOUND THEN
            PERFORM healthhub.rx_refuse('a drug is not in the catalogue',
                                        format('Drug %s (%s) is not in healthhub.drugs.', l.line_no, l.drug));
        END IF;
        IF l.days > k.max_days_supply THEN
            PERFORM healthhub.rx_refuse('a drug is supplied for too many days',
                format('Drug %s (%s): %s days; %s prescriptions supply at most %s days.', l.line_no, d.generic_name,
                       l.days, h.kind, k.max_days_supply));
        END IF;
        IF d.controlled_class IS NOT NULL THEN
            IF h.online AND healthhub.rx_rule('online_controlled_allowed') = 'false' THEN
                PERFORM healthhub.rx_refuse('a controlled drug is never prescribed online',
                    format('Drug %s (%s) is %s.', l.line_no, d.generic_name, d.controlled_class));
            END IF;
            IF h.kind = 'long_term' THEN
                PERFORM healthhub.rx_refuse('a long-term prescription has no controlled drugs',
                    format('Drug %s (%s) is %s.', l.line_no, d.generic_name, d.controlled_class));
            END IF;
            SELECT * INTO c FROM healthhub.rx_controlled_rules r WHERE r.controlled_class = d.controlled_class;
            longest := CASE WHEN d.controlled_release THEN coalesce(c.max_days_controlled_release, c.max_days_supply)
                            ELSE c.max_days_supply END;
            IF l.days > longest THEN
                PERFORM healthhub.rx_refuse('a controlled drug is supplied for too many days',
                    format('Drug %s (%s, %s%s): %s days; at most %s.', l.line_no, d.generic_name, d.controlled_class,
                           CASE WHEN d.controlled_release THEN ', controlled release' ELSE '' END, l.days, longest));
            END IF;
            IF c.privilege IS NOT NULL THEN
                PERFORM healthhub.assert_may_practise(prescriber, 'physician', institution, c.privilege);
            END IF;
        END IF;
        IF d.antimicrobial IN ('restricted', 'special') THEN
            PERFORM healthhub.assert_may_practise(prescriber, 'physician', institution, 'antimicrobial_' || d.antimicrobial);
        END IF;
        IF h.kind = 'long_term' AND d.special_storage THEN
            PERFORM healthhub.rx_refuse('a long-term prescription has no drugs that need special storage',
                                        format('Drug %s (%s).', l.line_no, d.generic_name));
        END IF;
        IF h.kind = 'long_term' AND d.antimicrobial IS NOT NULL
           AND NOT categories && string_to_array(healthhub.rx_rule('long_term_antimicrobial_exceptions'), ' ') THEN
            PERFORM healthhub.rx_refuse('a long-term prescription has no antimicrobials',
                format('Drug %s (%s); only for the diagnoses %s.', l.line_no, d.generic_name,
                       healthhub.rx_rule('long_term_antimicrobial_exceptions')));
        END IF;
    END LOOP;
    IF h.kind = 'long_term' AND h.days_supply > healthhub.rx_rule('long_term_assessment_above_days')::integer
       AND nullif(btrim(assessment), '') IS NULL THEN
        PERFORM healthhub.rx_refuse('a long-term prescription of more than '
                                    || healthhub.rx_rule('long_term_assessment_above_days') || ' days needs an assessment',
            'The physician''s assessment (and the patient''s signature) is recorded with it: the assessment argument.');
    END IF;
    IF guardian IS NOT NULL AND healthhub.record_person(guardian) = subject THEN
        PERFORM healthhub.rx_refuse('a guardian acts for another person', 'The guardian is the patient.');
    END IF;
    IF h.online THEN
        IF h.first_visit AND healthhub.rx_rule('online_first_visit_allowed') = 'false' THEN
            PERFORM healthhub.rx_refuse('a first visit is never prescribed for online',
                                        'Online prescriptions are for follow-up visits (fstdiag_flag 0).');
        END IF;
        -- the condition was diagnosed in person before (any institution)
        IF NOT EXISTS (
            SELECT FROM healthhub.encounters e JOIN healthhub.institutions i ON i.institution_key = e.institution_key
             WHERE e.record_id IN (SELECT r FROM healthhub.person_record_ids(subject) r)
               AND i.kind <> 'internet_hospital'
               AND e.started_at <= h.issued_at
               AND e.started_at > h.issued_at - make_interval(days => healthhub.rx_rule('online_diagnosis_within_days')::integer)
               AND EXISTS (SELECT FROM unnest(e.diagnoses) x WHERE left(x, 3) = ANY (categories))) THEN
            PERFORM healthhub.rx_refuse('an online follow-up needs an earlier in-person diagnosis of the condition',
                format('No in-person visit of the patient in the %s days before, at any institution, diagnosed %s.',
                       healthhub.rx_rule('online_diagnosis_within_days'), array_to_string(categories, ', ')));
        END IF;
        SELECT p.birth_date INTO born FROM healthhub.persons p WHERE p.person_key = subject;
        IF guardian IS NULL AND born IS NOT NULL
           AND h.issued_at < (born + make_interval(years => healthhub.rx_rule('online_guardian_under_years')::integer))::timestamptz THEN
            PERFORM healthhub.rx_refuse('a young child is prescribed for online only with a guardian',
                format('The patient is under %s; name the guardian (a person of the person index).',
                       healthhub.rx_rule('online_guardian_under_years')));
        END IF;
        IF h.kind = 'long_term' AND healthhub.rx_rule('long_term_in_person_first') = 'true' AND NOT EXISTS (
            SELECT FROM healthhub.prescriptions p
             WHERE p.record_id IN (SELECT r FROM healthhub.person_record_ids(subject) r)
               AND p.state NOT IN ('issued', 'signed', 'rejected', 'revoked')
               AND (healthhub.prescription_header(p.content)).kind = 'long_term'
               AND NOT (healthhub.prescription_header(p.content)).online
               AND EXISTS (SELECT FROM unnest((healthhub.prescription_header(p.content)).diagnoses) x
                            WHERE left(x, 3) = ANY (categories))) THEN
            PERFORM healthhub.rx_refuse('the first long-term prescription of a condition is written in person',
                                        'No earlier in-person long-term prescription of the patient for the condition.');
        END IF;
    END IF;
END
$$;

-- Duplicate therapy: the lines of a prescription whose generic drug (or
-- therapeutic class) the person already takes, by a prescription of any
-- institution whose supply overlaps.  Warnings, in words; the other
-- institution is not named.  (PL/pgSQL: its plan is kept for the session.)
CREATE FUNCTION healthhub.rx_duplicate_therapy(subject bigint, content healthhub.prescription, own bigint,
                                               institution bigint)
    RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(DISTINCT format('drug %s (%s): %s %s, %s to %s, %s', mine.line_no, mine.drug,
                                                      CASE WHEN healthhub.drug_code_generic(o.drug) = healthhub.drug_code_generic(mine.drug)
                                                           THEN 'same generic drug as' ELSE 'same class as' END,
                                                      o.drug,
                                                      to_char(p.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
                                                      to_char((p.issued_at + make_interval(days => o.days)) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
                                                      CASE WHEN p.institution_key = institution THEN 'here' ELSE 'at another institution' END)), '{}')
              FROM healthhub.prescription_lines(content) mine
              CROSS JOIN healthhub.prescription_header(content) h
              JOIN healthhub.prescriptions p
                ON p.record_id IN (SELECT r FROM healthhub.person_record_ids(subject) r)
               AND p.prescription_key IS DISTINCT FROM own
               AND p.state NOT IN ('rejected', 'revoked', 'expired')
              CROSS JOIN LATERAL healthhub.prescription_lines(p.content) o
             WHERE healthhub.drug_code_class(o.drug) = healthhub.drug_code_class(mine.drug)
               AND tstzrange(p.issued_at, p.issued_at + make_interval(days => o.days))
                   && tstzrange(h.issued_at, h.issued_at + make_interval(days => mine.days)));
END
$$;

REVOKE ALL ON FUNCTION healthhub.rx_refuse(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.person_record_ids(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_check_rules(healthhub.prescription, bigint, bigint, bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_duplicate_therapy(bigint, healthhub.prescription, bigint, bigint) FROM PUBLIC;
