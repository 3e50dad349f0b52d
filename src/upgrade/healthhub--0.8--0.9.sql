-- healthhub 0.8 -> 0.9 (the release being built: docs/development.md,
-- "Releases").  Every change to the SQL of src/ since 0.8 is written here
-- too, by hand; t/003 compares the result with a fresh install.  The new
-- room (src/rx/) is appended whole by the Makefile (NEW_PARTS).
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.9'" to load this file. \quit

-- Loads of the drug catalogue (src/platform/loading.sql).
ALTER TABLE healthhub.loads DROP CONSTRAINT loads_kind_check,
    ADD CONSTRAINT loads_kind_check CHECK (kind IN ('registry', 'person_records', 'encounters', 'results', 'drugs'));
COMMENT ON TABLE healthhub.loads IS 'Every load of a file (registry, person records, encounters, results, drugs), keyed on (source, file digest); mode snapshot or delta';
CREATE OR REPLACE FUNCTION healthhub.require_load_key(source text, file_digest text, kind text DEFAULT 'person_records',
                                           mode text DEFAULT 'delta') RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    noun text := CASE kind WHEN 'person_records' THEN 'batch name' ELSE 'load source' END;
BEGIN
    IF kind IS NULL OR kind NOT IN ('registry', 'person_records', 'encounters', 'results', 'drugs') THEN
        RAISE EXCEPTION 'invalid load kind: %', coalesce(quote_literal(kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The kinds are registry, person_records, encounters, results and drugs.';
    END IF;
    IF source IS NULL OR btrim(source) !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid %: %', noun, coalesce(quote_literal(source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A %s is 1 to 64 letters, digits, "_", ".", ":" or "-".', noun);
    END IF;
    IF file_digest IS NULL OR lower(btrim(file_digest)) !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest: %', coalesce(quote_literal(file_digest), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A file digest is 32 to 128 hex digits, optionally after an algorithm name and a colon.',
                  HINT = 'For example ''sha256:'' || the output of sha256sum of the file.';
    END IF;
    IF mode IS NULL OR mode NOT IN ('snapshot', 'delta') THEN
        RAISE EXCEPTION 'invalid load mode: %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A load is a "snapshot" (rows of the source absent from the file are ended) or a "delta".';
    END IF;
END
$$;


-- What the acting role holds (its institution, its profiles), remembered per
-- backend (src/platform/profiles.sql, role_cache.c); the checks that asked
-- institution_of(acting_role()) or effective_profiles(acting_role()) ask it.
CREATE FUNCTION healthhub.acting_role_institution() RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_acting_role_institution' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.acting_role_institution() IS
    'The institution the acting role acts for: institution_of(acting_role()), remembered per backend';
CREATE FUNCTION healthhub.acting_role_profiles() RETURNS text[]
    AS 'MODULE_PATHNAME', 'hh_acting_role_profiles' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.acting_role_profiles() IS
    'The profiles the acting role holds (effective_profiles(acting_role())), sorted, remembered per backend';
CREATE OR REPLACE FUNCTION healthhub.acting_role_is_admin() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN 'hub_admin' = ANY (healthhub.acting_role_profiles())
           OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role());
END
$$;
CREATE OR REPLACE FUNCTION healthhub.require_profile(profiles text[], what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (the profiles first: most callers hold one)
    IF NOT healthhub.acting_role_profiles() && profiles AND NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % may not %', healthhub.acting_role(), what
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = CASE WHEN cardinality(profiles) = 0 THEN 'That is for hub_admin.'
                                ELSE format('That is for the profiles %s and hub_admin.', array_to_string(profiles, ', ')) END;
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.linkage_may_read_history() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN healthhub.acting_role_is_admin()
           OR 'auditor' OPERATOR(pg_catalog.=) ANY (healthhub.acting_role_profiles());
CREATE OR REPLACE FUNCTION healthhub.require_code_service() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (healthhub.acting_role_is_admin() OR 'code_issuer' = ANY (healthhub.acting_role_profiles())) THEN
        RAISE EXCEPTION 'role % may not act for health codes', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Codes are the code_issuer service''s and hub_admin''s.';
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.verifier_place() RETURNS healthhub.check_places
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places;
BEGIN
    SELECT c.* INTO p FROM healthhub.verifier_places v JOIN healthhub.check_places c ON c.place_key = v.place_key
     WHERE v.role = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role())
       AND 'verifier' = ANY (healthhub.acting_role_profiles());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % checks codes at no place', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', HINT = 'A hub_admin binds it to its place: healthhub.bind_verifier(role, place).';
    END IF;
    RETURN p;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.check_own_institution(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.acting_role();
    own bigint := healthhub.acting_role_institution();
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_own_institution', ARRAY['institution'],
                                        ARRAY[institution IS NULL]);
    -- (fails closed: a role in two institutions' groups acts for neither,
    -- and may ask about none; roles of no institution, an insurer, any)
    IF own IS DISTINCT FROM institution
       AND EXISTS (SELECT 1 FROM healthhub.effective_profiles(caller) ep WHERE ep.institution_key IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM healthhub.effective_profiles(caller) ep WHERE ep.profile = 'hub_admin') THEN
        RAISE EXCEPTION 'role % acts for another institution', caller
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = CASE WHEN own IS NULL
                                THEN 'It holds profiles of several institutions, so it acts for none.'
                                ELSE 'A role that acts for an institution may ask about that institution only.' END;
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.linkage_authorise_institution(source text, institution bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin()
       AND (institution IS NULL OR institution IS DISTINCT FROM healthhub.acting_role_institution()) THEN
        RAISE EXCEPTION 'role % may not act on records of source %', healthhub.acting_role(), source
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution''s application acts on the records of its own institution only.',
                  HINT = 'The source must be the institution''s key or source_ref in healthhub.institutions.';
    END IF;
    RETURN institution;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.require_document_holder(institution bigint) RETURNS void
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
CREATE OR REPLACE FUNCTION healthhub.require_reader(practitioner bigint) RETURNS bigint
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
CREATE OR REPLACE FUNCTION healthhub.register_result(source text, local_id text, result_id text, item_code text,
                                          produced_at timestamptz, value text, unit text DEFAULT NULL,
                                          reference_range text DEFAULT NULL, report_ref healthhub.emr_ref DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.acting_role_institution();
    person bigint;
    record bigint;
    result bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'register results');
    PERFORM healthhub.require_arguments('healthhub.register_result',
        ARRAY['source', 'local_id', 'result_id', 'item_code', 'produced_at', 'value'],
        ARRAY[source IS NULL, local_id IS NULL, result_id IS NULL, item_code IS NULL, produced_at IS NULL, value IS NULL]);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO person, record FROM healthhub.source_records s
     WHERE s.source = register_result.source AND s.local_id = register_result.local_id
       AND s.institution_key = institution;
    IF person IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A result is registered against the institution''s own record of the person, linked by link_record.';
    END IF;
    INSERT INTO healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, unit,
                                        reference_range, report_ref, local_id)
    VALUES (person, record, institution, item_code, produced_at, value, unit, reference_range, report_ref, result_id)
    RETURNING result_key INTO result;
    RETURN result;
END
$$;

-- current_person in PL/pgSQL: its plan is kept for the session (src/linkage/manage.sql).
CREATE OR REPLACE FUNCTION healthhub.current_person(person bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (WITH RECURSIVE chain(k, next, depth) AS (
                SELECT p.person_key, p.redirected_to, 0 FROM healthhub.persons p WHERE p.person_key = current_person.person
                UNION ALL
                SELECT p.person_key, p.redirected_to, c.depth + 1 FROM chain c
                  JOIN healthhub.persons p ON p.person_key = c.next WHERE c.depth < 100)
            SELECT c.k FROM chain c WHERE c.next IS NULL);
END
$$;

-- The audit_changes trigger in C (src/platform/audit_changes.c): it runs for
-- every row written, and in PL/pgSQL it cost twice the entry it writes.
CREATE OR REPLACE FUNCTION healthhub.audit_changes() RETURNS trigger
    AS 'MODULE_PATHNAME', 'hh_audit_changes' LANGUAGE C;
