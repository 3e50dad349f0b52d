-- Consent and access (docs/records.md, "Consent", "Reading documents",
-- "Who read my records"): a resident authorises one institution, every
-- institution or a named practitioner to read their documents for a
-- purpose and a period, and may revoke it; a guardian acts for a child.
-- documents_for() is the one read path of the index: it returns what the
-- caller's institution holds itself and what a consent in force lets it
-- see, or, breaking the glass with a reason, everything (flagged, and
-- queued for review); each call is one entry of the trail, committed even
-- if the caller rolls back.  accesses_of() shows a person those entries.

-- The resident-facing service (the app that acts for a person).
INSERT INTO healthhub.profiles VALUES
    ('resident_service', false,
     'the resident-facing app: records the consents a resident gives and shows them who read their records');

CREATE TABLE healthhub.record_consents (
    person_key       bigint NOT NULL,
    consent_key      bigint NOT NULL DEFAULT healthhub.mint_key(),
    -- whom: one institution, a practitioner (at any institution, or at one),
    -- or every institution (both NULL)
    institution_key  bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    purpose          text NOT NULL REFERENCES healthhub.record_purposes,
    valid            tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    guardian_key     bigint,     -- the guardian who consented for a minor; NULL: the person
    evidence         text NOT NULL CHECK (btrim(evidence) <> '' AND length(evidence) <= 500),
    revoked_at       timestamptz,
    revoked_reason   text CHECK (length(revoked_reason) <= 500),
    recorded_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, consent_key),
    CONSTRAINT record_consents_revocation CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
COMMENT ON TABLE healthhub.record_consents IS
    'Consents of persons (or their guardians) to institutions or practitioners reading their records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_consents', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.record_consents
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('record_consent', 'consent_key', 'shared records consent');
ALTER TABLE healthhub.record_consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY record_consents_admin ON healthhub.record_consents FOR SELECT
    USING (healthhub.row_allowed('admin'));

-- The surviving person a key stands for; 22023 for a key the index does
-- not have.
CREATE FUNCTION healthhub.record_person(person bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current bigint := healthhub.current_person(person);
BEGIN
    IF current IS NULL THEN
        RAISE EXCEPTION 'no person % in the person index', person USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN current;
END
$$;

-- A purpose of healthhub.record_purposes, or 22023.
CREATE FUNCTION healthhub.require_record_purpose(purpose text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM healthhub.record_purposes p WHERE p.purpose = require_record_purpose.purpose) THEN
        RAISE EXCEPTION 'unknown purpose %', purpose
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The purposes are listed in healthhub.record_purposes.';
    END IF;
END
$$;

-- A person and every person merged into them (directly or through a chain
-- of merges): what was given for a merged person counts for the survivor,
-- and returns to them with an unmerge (nothing is re-keyed).
-- (PL/pgSQL, here and below: its plans are kept for the session; a SQL
-- function with these subqueries is planned on every call)
CREATE FUNCTION healthhub.merged_person_keys(person bigint) RETURNS TABLE (person_key bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE merged(k, depth) AS (
        SELECT merged_person_keys.person, 0
        UNION ALL
        SELECT p.person_key, m.depth + 1 FROM merged m JOIN healthhub.persons p ON p.redirected_to = m.k
         WHERE m.depth < 100)
    SELECT m.k FROM merged m;
END
$$;

-- A consent, given by the person or, for a minor, a guardian.
CREATE FUNCTION healthhub.give_consent(person bigint, purpose text, evidence text,
                                       institution bigint DEFAULT NULL, practitioner bigint DEFAULT NULL,
                                       valid tstzrange DEFAULT NULL, guardian bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
    born date;
    consent bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'record consents');
    PERFORM healthhub.require_arguments('healthhub.give_consent', ARRAY['person', 'purpose', 'evidence'],
                                        ARRAY[person IS NULL, purpose IS NULL, evidence IS NULL]);
    PERFORM healthhub.require_record_purpose(purpose);
    IF btrim(evidence) = '' OR length(evidence) > 500 THEN
        RAISE EXCEPTION 'a consent names its evidence'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The evidence (the signed form, the app''s record of the consent) is 1 to 500 characters.';
    END IF;
    subject := healthhub.record_person(person);
    valid := coalesce(valid, tstzrange(now(), now() + interval '1 year'));
    IF isempty(valid) OR lower_inf(valid) THEN
        RAISE EXCEPTION 'invalid consent period %', valid
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A consent has a start and is not empty.';
    END IF;
    IF guardian IS NOT NULL THEN
        IF healthhub.record_person(guardian) = subject THEN
            RAISE EXCEPTION 'a guardian consents for another person' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT p.birth_date INTO born FROM healthhub.persons p WHERE p.person_key = subject;
        IF born IS NULL OR born + interval '18 years' <= lower(valid) THEN
            RAISE EXCEPTION 'a guardian consents for a minor only'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = CASE WHEN born IS NULL THEN 'The person''s birth date is not known.'
                                    ELSE 'The person is 18 or older when the consent begins.' END;
        END IF;
        -- (a guardian's consent ends when the child comes of age)
        valid := valid * tstzrange(NULL, (born + interval '18 years')::timestamptz);
    END IF;
    INSERT INTO healthhub.record_consents (person_key, institution_key, practitioner_key, purpose, valid, guardian_key,
                                           evidence)
    VALUES (subject, institution, practitioner, purpose, valid, healthhub.current_person(guardian), evidence)
    RETURNING consent_key INTO consent;
    RETURN consent;
END
$$;
COMMENT ON FUNCTION healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint) IS
    'Record a consent: who may read the person''s documents (an institution, a practitioner or all), why, and when';

CREATE FUNCTION healthhub.revoke_consent(person bigint, consent bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'record consents');
    PERFORM healthhub.require_arguments('healthhub.revoke_consent', ARRAY['person', 'consent', 'reason'],
                                        ARRAY[person IS NULL, consent IS NULL, reason IS NULL]);
    UPDATE healthhub.record_consents c SET revoked_at = clock_timestamp(), revoked_reason = reason
     WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(healthhub.record_person(person)) m)
       AND c.consent_key = consent AND c.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such consent in force'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Consent %s of person %s.', consent, person);
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.revoke_consent(bigint, bigint, text) IS
    'Revoke a consent from now on, with the reason';

-- The consents of a person, for their app.
CREATE FUNCTION healthhub.consents_of(person bigint)
    RETURNS SETOF healthhub.record_consents
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read consents');
    PERFORM healthhub.require_arguments('healthhub.consents_of', ARRAY['person'], ARRAY[person IS NULL]);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.record_consents', 'person', subject::text, subject, 'shared records consent');
    RETURN QUERY SELECT * FROM healthhub.record_consents c
                  WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(subject) m)
                  ORDER BY c.recorded_at, c.consent_key;
END
$$;
COMMENT ON FUNCTION healthhub.consents_of(bigint) IS 'The consents a person gave, in force or not (recorded)';

-- Break-glass reads awaiting review: the trail's entries themselves (a
-- rollback cannot remove one), with the review once made.
CREATE TABLE healthhub.break_glass_reviews (
    entry_id     bigint PRIMARY KEY,
    person_key   bigint NOT NULL,
    verdict      text NOT NULL CHECK (verdict IN ('justified', 'unjustified')),
    note         text NOT NULL CHECK (btrim(note) <> '' AND length(note) <= 500),
    reviewed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    reviewed_by  text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.break_glass_reviews IS 'Reviews of break-glass reads of shared records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.break_glass_reviews', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.break_glass_reviews
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('break_glass_review', 'entry_id', 'shared records review');

-- Whether a consent in force now lets an institution (and the practitioner
-- acting there, if named) read a person's records for a purpose: one to the
-- institution, one to every institution, or one to the practitioner (at any
-- institution, or at this one).
CREATE FUNCTION healthhub.consent_allows(person bigint, purpose text, reader bigint, practitioner bigint)
    RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN EXISTS (
        SELECT FROM healthhub.record_consents c
         WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(consent_allows.person) m)
           AND c.purpose = consent_allows.purpose
           AND c.valid @> clock_timestamp() AND (c.revoked_at IS NULL OR c.revoked_at > clock_timestamp())
           AND ((c.institution_key = reader AND c.practitioner_key IS NULL)
                OR (c.institution_key IS NULL AND c.practitioner_key IS NULL)
                OR (c.practitioner_key = consent_allows.practitioner
                    AND (c.institution_key IS NULL OR c.institution_key = reader))));
END
$$;

-- The acting role's institution, and the practitioner acting there if
-- named (registered there now); 42501 for a role that acts for none.
CREATE FUNCTION healthhub.require_reader(practitioner bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.acting_role_institution();
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'read shared records');
    IF reader IS NULL THEN
        RAISE EXCEPTION 'role % acts for no institution', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Shared records are read by an institution, for a patient.';
    END IF;
    IF practitioner IS NOT NULL AND NOT EXISTS (
        SELECT FROM healthhub.registrations r JOIN healthhub.licences l ON l.licence_key = r.licence_key
         WHERE l.practitioner_key = practitioner AND r.institution_key = reader AND r.period @> now()) THEN
        RAISE EXCEPTION 'practitioner % is not registered at this institution now', practitioner
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN reader;
END
$$;

-- Every document of a person the acting institution may read now for a
-- purpose: its own; another's under a consent in force for the purpose to
-- it, to every institution or to the practitioner acting (registered
-- there now), except very restricted ones; with a break-glass reason, every
-- current document.  Of the current versions only.
CREATE FUNCTION healthhub.documents_for(person bigint, purpose text, practitioner bigint DEFAULT NULL,
                                        kinds text[] DEFAULT NULL, period tstzrange DEFAULT NULL,
                                        break_glass_reason text DEFAULT NULL)
    RETURNS TABLE (document_key bigint, ref healthhub.emr_ref, kind text, service_time timestamptz,
                   institution_key bigint, confidentiality text, location text, size_bytes bigint, media_type text,
                   access text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    glass boolean := break_glass_reason IS NOT NULL;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.documents_for', ARRAY['person', 'purpose'],
                                        ARRAY[person IS NULL, purpose IS NULL]);
    PERFORM healthhub.require_record_purpose(purpose);
    IF glass AND (btrim(break_glass_reason) = '' OR length(break_glass_reason) > 400) THEN
        RAISE EXCEPTION 'breaking the glass needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A read without consent states why, in 1 to 400 characters; it is reviewed.';
    END IF;
    subject := healthhub.record_person(person);
    -- (before any row is returned; a read.* entry is committed whatever the
    -- caller's transaction does)
    PERFORM healthhub.audit_append('read.emr_documents', 'person', subject::text, subject,
                                   CASE WHEN glass THEN left(purpose || '; break glass: ' || break_glass_reason, 500)
                                        ELSE purpose END,
                                   CASE WHEN glass THEN 'break_glass' ELSE 'ok' END, practitioner);
    RETURN QUERY
    -- (the consent read in the same statement, under the same snapshot, as
    -- the documents; MATERIALIZED: once per call, not once per document)
    WITH k AS MATERIALIZED (SELECT healthhub.consent_allows(subject, purpose, reader, practitioner) AS consented)
    SELECT d.document_key, d.ref, d.kind, d.service_time, d.institution_key, d.confidentiality, d.location,
           d.size_bytes, d.media_type, a.access
      FROM healthhub.emr_documents d
     CROSS JOIN k
     CROSS JOIN LATERAL (
         SELECT CASE WHEN d.institution_key = reader THEN 'own'
                     WHEN k.consented AND d.confidentiality <> 'very_restricted' THEN 'consent'
                     WHEN glass THEN 'break_glass' END AS access) a
     WHERE d.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
       AND d.state = 'current' AND a.access IS NOT NULL
       AND (kinds IS NULL OR d.kind = ANY (kinds))
       AND (period IS NULL OR period @> d.service_time)
     ORDER BY d.service_time DESC, d.document_key;
END
$$;
COMMENT ON FUNCTION healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text) IS
    'The documents of a person the acting institution may read for a purpose (own, consented, or break-glass); recorded';

-- Who read a person's records, when and why: the trail's entries of reads
-- of that person's documents and consents, newest first.
CREATE FUNCTION healthhub.accesses_of(person bigint, max_rows integer DEFAULT 100)
    RETURNS TABLE ("at" timestamptz, institution_key bigint, institution text, practitioner_key bigint,
                   what text, purpose text, outcome text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read who read a person''s records');
    PERFORM healthhub.require_arguments('healthhub.accesses_of', ARRAY['person', 'max_rows'],
                                        ARRAY[person IS NULL, max_rows IS NULL]);
    PERFORM healthhub.require_page_size(max_rows);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.record_accesses', 'person', subject::text, subject, 'right to know');
    RETURN QUERY
    SELECT e."at", e.institution_key, i.name, e.practitioner_key, e.action, e.purpose, e.outcome
      FROM healthhub.audit_entries e
      LEFT JOIN healthhub.institutions i ON i.institution_key = e.institution_key
     WHERE e.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(subject) m)
       AND e.action IN ('read.emr_documents', 'read.record_consents')
     ORDER BY e.entry_id DESC
     LIMIT max_rows;
END
$$;
COMMENT ON FUNCTION healthhub.accesses_of(bigint, integer) IS
    'Who read a person''s shared records, when and why (for the person''s app and auditors); recorded';

-- The break-glass reads not yet reviewed, oldest first.
CREATE VIEW healthhub.break_glass_queue AS
SELECT e.entry_id, e."at", e.person_key, e.institution_key, e.practitioner_key, e.role_name, e.purpose
  FROM healthhub.audit_entries e
 WHERE e.action = 'read.emr_documents' AND e.outcome = 'break_glass'
   AND NOT EXISTS (SELECT FROM healthhub.break_glass_reviews r WHERE r.entry_id = e.entry_id);
COMMENT ON VIEW healthhub.break_glass_queue IS 'Break-glass reads of shared records awaiting review';

CREATE FUNCTION healthhub.review_break_glass(entry bigint, verdict text, note text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['auditor'], 'review break-glass reads');
    PERFORM healthhub.require_arguments('healthhub.review_break_glass', ARRAY['entry', 'verdict', 'note'],
                                        ARRAY[entry IS NULL, verdict IS NULL, note IS NULL]);
    SELECT q.person_key INTO subject FROM healthhub.break_glass_queue q WHERE q.entry_id = entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no break-glass read awaiting review'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Audit entry %s.', entry);
    END IF;
    INSERT INTO healthhub.break_glass_reviews (entry_id, person_key, verdict, note) VALUES (entry, subject, verdict, note);
END
$$;
COMMENT ON FUNCTION healthhub.review_break_glass(bigint, text, text) IS
    'Review a break-glass read: justified or unjustified, with a note';

REVOKE ALL ON FUNCTION healthhub.record_person(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.merged_person_keys(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_record_purpose(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.consent_allows(bigint, text, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_reader(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_consent(bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.consents_of(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.accesses_of(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.review_break_glass(bigint, text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text)', 'EXECUTE'
  FROM unnest(ARRAY['institution_app', 'clinician']) pr
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'resident_service']) pr,
       unnest(ARRAY['healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint)',
                    'healthhub.revoke_consent(bigint, bigint, text)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'resident_service', 'auditor']) pr,
       unnest(ARRAY['healthhub.consents_of(bigint)', 'healthhub.accesses_of(bigint, integer)']) f
UNION ALL
SELECT pr, 'function', 'healthhub.review_break_glass(bigint, text, text)', 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr
UNION ALL
SELECT pr, 'table', 'healthhub.break_glass_queue', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr;
