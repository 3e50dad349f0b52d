-- The EMR document index (docs/records.md, "The document index"): IHE
-- XDS's registry in SQL.  The documents stay at the institutions; the
-- index holds, per person of the person index, a reference to each
-- (healthhub.emr_ref) with where it is stored, its size, media type and
-- confidentiality, and its versions (register, supersede, withdraw).
-- Nobody reads the index directly: documents_for() (consent.sql) is the one
-- read path, and it writes the trail.

-- Why an institution reads a person's documents; consents name one.
CREATE TABLE healthhub.record_purposes (
    purpose     text PRIMARY KEY CHECK (purpose ~ '^[a-z][a-z0-9_]{0,39}$'),
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.record_purposes IS 'Purposes for which institutions read shared records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_purposes', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.record_purposes VALUES
    ('treatment', 'diagnosis and treatment of the person (诊疗)', 'shipped'),
    ('referral', 'a referral or consultation between institutions (转诊会诊)', 'shipped'),
    ('emergency', 'emergency care (急救)', 'shipped');
GRANT SELECT ON healthhub.record_purposes TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.record_purposes
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('purpose');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.record_purposes
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('record_purpose', 'purpose', 'records policy');

CREATE TABLE healthhub.emr_documents (
    person_key      bigint NOT NULL,    -- the person when registered (the distribution key)
    document_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    -- the holder's record of the person it was registered against: reads
    -- find the document through it, so it follows the record's person
    -- through merges, unmerges and relinks
    record_id       bigint NOT NULL,
    ref             healthhub.emr_ref NOT NULL,
    kind            text NOT NULL GENERATED ALWAYS AS (healthhub.emr_ref_kind(ref)) STORED
                        REFERENCES healthhub.document_kinds,
    service_time    timestamptz NOT NULL GENERATED ALWAYS AS (healthhub.emr_ref_service_time(ref)) STORED,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    confidentiality text NOT NULL CHECK (confidentiality IN ('normal', 'restricted', 'very_restricted')),
    location        text NOT NULL CHECK (btrim(location) <> '' AND length(location) <= 2000),
    size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
    media_type      text NOT NULL CHECK (media_type ~ '^[a-z]+/[a-z0-9][a-z0-9.+-]{0,99}$'),
    state           text NOT NULL DEFAULT 'current' CHECK (state IN ('current', 'superseded', 'withdrawn')),
    replaces        bigint,     -- the document this version corrects
    state_reason    text CHECK (length(state_reason) <= 500),
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by   text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, document_key),
    CONSTRAINT emr_documents_withdrawn_reason CHECK ((state = 'withdrawn') = (state_reason IS NOT NULL))
);
COMMENT ON TABLE healthhub.emr_documents IS
    'The EMR document index: a reference to each shared document, by person, with its versions';
-- (a document is one person's, found by its reference; a person's are
-- found by time)
CREATE UNIQUE INDEX emr_documents_by_ref ON healthhub.emr_documents (ref);
CREATE INDEX emr_documents_by_person ON healthhub.emr_documents (person_key, service_time);
-- (reads find a person's documents through the records now linked to them,
-- so documents follow their record through merges, unmerges and relinks)
CREATE INDEX emr_documents_by_record ON healthhub.emr_documents (record_id, service_time);
SELECT pg_catalog.pg_extension_config_dump('healthhub.emr_documents', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.emr_documents
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('emr_document', 'document_key', 'shared records');
-- (no profile reads it: documents_for() does, and writes the trail; the
-- policy keeps a role that is granted SELECT by mistake to its own rows)
ALTER TABLE healthhub.emr_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY emr_documents_own ON healthhub.emr_documents FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- The registry's institution whose unified social credit code a reference
-- names, valid now; 22023 when none is.
CREATE FUNCTION healthhub.document_institution(ref healthhub.emr_ref) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found bigint;
BEGIN
    SELECT i.institution_key INTO found FROM healthhub.institutions i
     WHERE i.uscc::text = healthhub.emr_ref_institution(ref) AND i.valid @> now()
     ORDER BY i.institution_key LIMIT 1;
    IF found IS NULL THEN
        RAISE EXCEPTION 'no institution of the registry has the unified social credit code %',
                        healthhub.emr_ref_institution(ref)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A document is registered by the institution that holds it.';
    END IF;
    RETURN found;
END
$$;

-- The acting role registers, supersedes and withdraws its own institution's
-- documents only (hub_admin any).
CREATE FUNCTION healthhub.require_document_holder(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'register documents');
    IF NOT healthhub.acting_role_is_admin() AND institution IS DISTINCT FROM healthhub.acting_role_institution() THEN
        RAISE EXCEPTION 'role % may not register or change documents another institution holds', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution registers, supersedes and withdraws its own documents.';
    END IF;
END
$$;

-- What the index says of a document besides its reference, or 22023.
CREATE FUNCTION healthhub.require_document_fields(location text, size_bytes bigint, media_type text,
                                                  confidentiality text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := CASE
        WHEN btrim(location) = '' OR length(location) > 2000 THEN 'The location is 1 to 2000 characters.'
        WHEN size_bytes < 0 THEN 'The size is a number of bytes, 0 or more.'
        WHEN media_type !~ '^[a-z]+/[a-z0-9][a-z0-9.+-]{0,99}$' THEN 'The media type is a lower-case type/subtype.'
        WHEN confidentiality NOT IN ('normal', 'restricted', 'very_restricted')
            THEN 'The confidentiality is normal, restricted or very_restricted.' END;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid document entry' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem;
    END IF;
END
$$;

-- Register a document of a person: the person is the one the institution's
-- own record (source, local_id) is linked to in the person index.
CREATE FUNCTION healthhub.register_document(source text, local_id text, ref healthhub.emr_ref, location text,
                                            size_bytes bigint, media_type text, confidentiality text DEFAULT 'normal')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint;
    person bigint;
    record bigint;
    document bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.register_document',
        ARRAY['source', 'local_id', 'ref', 'location', 'size_bytes', 'media_type', 'confidentiality'],
        ARRAY[source IS NULL, local_id IS NULL, ref IS NULL, location IS NULL, size_bytes IS NULL,
              media_type IS NULL, confidentiality IS NULL]);
    PERFORM healthhub.require_document_fields(location, size_bytes, media_type, confidentiality);
    institution := healthhub.document_institution(ref);
    PERFORM healthhub.require_document_holder(institution);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO person, record FROM healthhub.source_records s
     WHERE s.source = register_document.source AND s.local_id = register_document.local_id
       AND s.institution_key = institution;
    IF person IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A document is registered against the institution''s own record of the person, linked by link_record.';
    END IF;
    INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location,
                                         size_bytes, media_type)
    VALUES (person, record, ref, institution, confidentiality, location, size_bytes, media_type)
    RETURNING document_key INTO document;
    RETURN document;
END
$$;
COMMENT ON FUNCTION healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text) IS
    'Register a document in the index, for the person the institution''s own record is linked to';

-- The current document a reference names, locked, for a change by its holder.
CREATE FUNCTION healthhub.current_document(ref healthhub.emr_ref) RETURNS healthhub.emr_documents
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.emr_documents;
BEGIN
    PERFORM healthhub.require_document_holder(healthhub.document_institution(ref));
    SELECT * INTO d FROM healthhub.emr_documents e WHERE e.ref OPERATOR(healthhub.=) current_document.ref FOR UPDATE;
    IF NOT FOUND OR d.state <> 'current' THEN
        RAISE EXCEPTION 'no current document %', ref::text
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN FOUND THEN format('It was %s.', d.state) ELSE 'It is not in the index.' END;
    END IF;
    RETURN d;
END
$$;

-- A corrected version: the old one is superseded (documents_for no longer
-- shows it), the new one has the same person, kind and confidentiality.
CREATE FUNCTION healthhub.supersede_document(old_ref healthhub.emr_ref, new_ref healthhub.emr_ref, location text,
                                             size_bytes bigint, media_type text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old healthhub.emr_documents;
    document bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.supersede_document',
        ARRAY['old_ref', 'new_ref', 'location', 'size_bytes', 'media_type'],
        ARRAY[old_ref IS NULL, new_ref IS NULL, location IS NULL, size_bytes IS NULL, media_type IS NULL]);
    old := healthhub.current_document(old_ref);
    PERFORM healthhub.require_document_fields(location, size_bytes, media_type, old.confidentiality);
    IF healthhub.emr_ref_kind(new_ref) <> old.kind
       OR healthhub.emr_ref_institution(new_ref) <> healthhub.emr_ref_institution(old_ref) THEN
        RAISE EXCEPTION 'a new version is a document of the same kind and institution'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The old version is a %s of %s.', old.kind, healthhub.emr_ref_institution(old_ref));
    END IF;
    UPDATE healthhub.emr_documents e SET state = 'superseded'
     WHERE e.person_key = old.person_key AND e.document_key = old.document_key;
    INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location,
                                         size_bytes, media_type, replaces)
    VALUES (old.person_key, old.record_id, new_ref, old.institution_key, old.confidentiality, location, size_bytes,
            media_type, old.document_key)
    RETURNING document_key INTO document;
    RETURN document;
END
$$;
COMMENT ON FUNCTION healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text) IS
    'Replace a document by its corrected version (same person, kind and institution)';

CREATE FUNCTION healthhub.withdraw_document(ref healthhub.emr_ref, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.emr_documents;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.withdraw_document', ARRAY['ref', 'reason'],
                                        ARRAY[ref IS NULL, reason IS NULL]);
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'withdrawing a document needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    d := healthhub.current_document(ref);
    UPDATE healthhub.emr_documents e SET state = 'withdrawn', state_reason = reason
     WHERE e.person_key = d.person_key AND e.document_key = d.document_key;
END
$$;
COMMENT ON FUNCTION healthhub.withdraw_document(healthhub.emr_ref, text) IS
    'Withdraw a document from sharing (registered in error, or retracted), with the reason';

REVOKE ALL ON FUNCTION healthhub.document_institution(healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_document_fields(text, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_document_holder(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.current_document(healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.withdraw_document(healthhub.emr_ref, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician']) pr,
       unnest(ARRAY['healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text)',
                    'healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text)',
                    'healthhub.withdraw_document(healthhub.emr_ref, text)']) f;

-- A FHIR R4 DocumentReference of an index entry (what documents_for
-- returns): the reference as masterIdentifier, the institution's id of the
-- document, the LOINC type where the kind has one and the WS/T 500 part,
-- the holder as custodian, the confidentiality as security label, the
-- attachment (where, what, how large) and the service time as the
-- context's period.  No person data: the caller adds the subject it knows.
CREATE FUNCTION healthhub.to_fhir_document_reference(ref healthhub.emr_ref, location text, size_bytes bigint,
                                                     media_type text, confidentiality text DEFAULT 'normal',
                                                     state text DEFAULT 'current')
    RETURNS jsonb
    LANGUAGE sql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'resourceType', 'DocumentReference',
        'masterIdentifier', jsonb_build_object('system', 'urn:healthhub:emr-ref', 'value', ref::text),
        'identifier', jsonb_build_array(jsonb_build_object(
            'system', 'urn:healthhub:uscc:' || healthhub.emr_ref_institution(ref),
            'value', healthhub.emr_ref_local_id(ref))),
        -- (FHIR's document reference status: entered-in-error for a withdrawn entry)
        'status', CASE state WHEN 'withdrawn' THEN 'entered-in-error' ELSE state END,
        'type', jsonb_build_object('coding',
            (SELECT jsonb_agg(c) FROM (
                SELECT jsonb_build_object('system', 'http://loinc.org', 'code', k.loinc) AS c WHERE k.loinc IS NOT NULL
                UNION ALL
                SELECT jsonb_build_object('system', 'urn:healthhub:document-kind', 'code', k.kind,
                                          'display', k.name_zh)) cs),
            'text', k.name_en),
        'custodian', jsonb_build_object('identifier', jsonb_build_object(
            'system', 'urn:healthhub:uscc', 'value', healthhub.emr_ref_institution(ref))),
        'securityLabel', jsonb_build_array(jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
            'system', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
            'code', CASE confidentiality WHEN 'normal' THEN 'N' WHEN 'restricted' THEN 'R' ELSE 'V' END)))),
        'content', jsonb_build_array(jsonb_build_object('attachment', jsonb_build_object(
            'contentType', media_type, 'url', location,
            -- (an unsignedInt in R4: larger documents go without a size)
            'size', CASE WHEN size_bytes <= 4294967295 THEN size_bytes END))),
        'context', jsonb_build_object('period', jsonb_build_object(
            'start', to_char(healthhub.emr_ref_service_time(ref) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'end', to_char(healthhub.emr_ref_service_time(ref) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))))
      FROM (SELECT healthhub.emr_ref_kind(ref) AS kind) r
      LEFT JOIN healthhub.document_kinds k ON k.kind = r.kind;
END;
COMMENT ON FUNCTION healthhub.to_fhir_document_reference(healthhub.emr_ref, text, bigint, text, text, text) IS
    'A FHIR R4 DocumentReference (jsonb) of a document index entry, without the subject';
GRANT EXECUTE ON FUNCTION healthhub.to_fhir_document_reference(healthhub.emr_ref, text, bigint, text, text, text) TO PUBLIC;
