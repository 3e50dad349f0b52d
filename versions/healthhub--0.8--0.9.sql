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
-- healthhub.drug_code (docs/prescriptions.md): the 23-character national
-- medical insurance drug code, validated and stored in 16 bytes whose order
-- is the order of the text; its parts by drug_code_parts().

CREATE TYPE healthhub.drug_code;

CREATE FUNCTION healthhub.drug_code_in(cstring) RETURNS healthhub.drug_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_out(healthhub.drug_code) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_recv(internal) RETURNS healthhub.drug_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_send(healthhub.drug_code) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.drug_code (
    INPUT = healthhub.drug_code_in,
    OUTPUT = healthhub.drug_code_out,
    RECEIVE = healthhub.drug_code_recv,
    SEND = healthhub.drug_code_send,
    INTERNALLENGTH = 16,
    ALIGNMENT = char,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.drug_code IS
    'National medical insurance drug code: category, classification, generic name, dosage form, specification, packaging, manufacturer';

CREATE FUNCTION healthhub.drug_code_eq(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_ne(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_lt(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_le(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_gt(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_ge(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_cmp(healthhub.drug_code, healthhub.drug_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_hash(healthhub.drug_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_hash_extended(healthhub.drug_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: drug_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.drug_code) WITH INOUT;
CREATE CAST (healthhub.drug_code AS text) WITH INOUT;

CREATE FUNCTION healthhub.drug_code_parts(code healthhub.drug_code, OUT category text, OUT classification text,
                                          OUT generic_name text, OUT dosage_form text, OUT specification text,
                                          OUT packaging text, OUT manufacturer text)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_parts(healthhub.drug_code) IS
    'The seven parts of a drug code, as written in it';
CREATE FUNCTION healthhub.drug_code_generic(healthhub.drug_code) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_generic(healthhub.drug_code) IS
    'The first 10 characters (category, classification, generic name): one generic drug in any form or package';
CREATE FUNCTION healthhub.drug_code_class(healthhub.drug_code) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_class(healthhub.drug_code) IS
    'The first 6 characters (category and classification): the drug''s therapeutic class';
CREATE FUNCTION healthhub.drug_code_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_problem(text) IS
    'Why a text is not a drug code (NULL when it is one); never raises';
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.drug_code.  Template: the Makefile writes <area>/drug_code_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (drug_code_eq ... drug_code_hash_extended, drug_code_sortsupport) are declared in
-- the type's own file, <area>/drug_code.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.drug_code_ops
    DEFAULT FOR TYPE healthhub.drug_code USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.drug_code_cmp(healthhub.drug_code, healthhub.drug_code),
        FUNCTION 2 healthhub.drug_code_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.drug_code_hash_ops
    DEFAULT FOR TYPE healthhub.drug_code USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.drug_code_hash(healthhub.drug_code),
        FUNCTION 2 healthhub.drug_code_hash_extended(healthhub.drug_code, bigint);
-- healthhub.prescription (docs/prescriptions.md): the content of an
-- electronic prescription, stored in a compact canonical binary form; its
-- text form is JSON with the national circulation field names.  The
-- structural rules are checked on input (in C); the rules that need data
-- are policy rows (src/rx/policy.sql).

CREATE TYPE healthhub.prescription;

CREATE FUNCTION healthhub.prescription_in(cstring) RETURNS healthhub.prescription
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_out(healthhub.prescription) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_recv(internal) RETURNS healthhub.prescription
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_send(healthhub.prescription) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.prescription (
    INPUT = healthhub.prescription_in,
    OUTPUT = healthhub.prescription_out,
    RECEIVE = healthhub.prescription_recv,
    SEND = healthhub.prescription_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
COMMENT ON TYPE healthhub.prescription IS
    'An electronic prescription''s content: header, diagnoses and 1 to 5 drug lines (JSON text, national field names)';

CREATE FUNCTION healthhub.prescription_eq(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_ne(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_lt(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_le(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_gt(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_ge(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_cmp(healthhub.prescription, healthhub.prescription) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_hash(healthhub.prescription) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_hash_extended(healthhub.prescription, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: prescription_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.prescription) WITH INOUT;
CREATE CAST (healthhub.prescription AS text) WITH INOUT;
CREATE CAST (jsonb AS healthhub.prescription) WITH INOUT;
CREATE CAST (healthhub.prescription AS jsonb) WITH INOUT;

CREATE FUNCTION healthhub.prescription_rxno(healthhub.prescription) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_rxno(healthhub.prescription) IS
    'The hospital''s prescription number (hosp_rxno)';
CREATE FUNCTION healthhub.prescription_header(p healthhub.prescription, OUT rxno text, OUT original_rxno text,
                                              OUT kind text, OUT online boolean, OUT first_visit boolean,
                                              OUT issued_at timestamptz, OUT valid_days integer,
                                              OUT dispenses integer, OUT interval_days integer,
                                              OUT days_supply integer, OUT diagnoses text[])
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_header(healthhub.prescription) IS
    'The header: number, original (renewals), kind, online, first visit, time of issue, validity, dispenses allowed, their interval, the longest days'' supply, diagnoses';
CREATE FUNCTION healthhub.prescription_lines(p healthhub.prescription)
    RETURNS TABLE (line_no integer, drug healthhub.drug_code, dose numeric, dose_unit text, frequency text,
                   times integer, every_days integer, days integer, total numeric, hospital_approved boolean,
                   diagnosis text)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;
COMMENT ON FUNCTION healthhub.prescription_lines(healthhub.prescription) IS
    'The drug lines in order: drug code, single dose and unit, frequency (times per every_days days), days, total, hospital approval, diagnosis';
CREATE FUNCTION healthhub.prescription_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_problem(text) IS
    'Why a text is not a prescription (NULL when it is one); never raises';
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.prescription.  Template: the Makefile writes <area>/prescription_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (prescription_eq ... prescription_hash_extended, prescription_sortsupport) are declared in
-- the type's own file, <area>/prescription.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.prescription_ops
    DEFAULT FOR TYPE healthhub.prescription USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.prescription_cmp(healthhub.prescription, healthhub.prescription),
        FUNCTION 2 healthhub.prescription_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.prescription_hash_ops
    DEFAULT FOR TYPE healthhub.prescription USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.prescription_hash(healthhub.prescription),
        FUNCTION 2 healthhub.prescription_hash_extended(healthhub.prescription, bigint);
-- The drug catalogue (docs/prescriptions.md, "The catalogue"): one row per
-- national drug code, with what the rules need (the controlled class, the
-- antimicrobial grade, special storage) and the price cap.  The insurance
-- authority's file is loaded through the loading framework like the
-- registry's; a catalogue is shared by every hub of a region (reference
-- table on Citus).

CREATE TABLE healthhub.drugs (
    drug_code        healthhub.drug_code PRIMARY KEY,
    generic_name     text NOT NULL CHECK (btrim(generic_name) <> '' AND length(generic_name) <= 200),
    national_class   text CHECK (length(national_class) <= 40),       -- ATC or the national class
    controlled_class text CHECK (controlled_class IN ('narcotic', 'psychotropic_1', 'psychotropic_2', 'toxic',
                                                      'radioactive', 'precursor')),
    antimicrobial    text CHECK (antimicrobial IN ('unrestricted', 'restricted', 'special')),
    dosage_form      text NOT NULL CHECK (btrim(dosage_form) <> '' AND length(dosage_form) <= 100),
    strength         text CHECK (length(strength) <= 100),
    controlled_release boolean NOT NULL DEFAULT false,
    special_storage  boolean NOT NULL DEFAULT false,                   -- cold chain and the like
    price_cap        numeric(12, 2) CHECK (price_cap >= 0),
    source           text NOT NULL,
    load_id          bigint REFERENCES healthhub.loads
);
COMMENT ON TABLE healthhub.drugs IS
    'The drug catalogue: generic name, class, controlled class, antimicrobial grade, form, strength, price cap';
SELECT pg_catalog.pg_extension_config_dump('healthhub.drugs', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.drugs
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('drug', 'drug_code', 'drug catalogue');
GRANT SELECT ON healthhub.drugs TO PUBLIC;

-- Designated retail pharmacies (医保定点), over periods: where a prescription
-- circulated to "any designated pharmacy" may be dispensed.
CREATE TABLE healthhub.designated_pharmacies (
    designation_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    evidence        text NOT NULL CHECK (btrim(evidence) <> ''),
    CONSTRAINT designated_pharmacies_no_overlap EXCLUDE USING gist
        (int8range(institution_key, institution_key, '[]') WITH =, period WITH &&)
);
COMMENT ON TABLE healthhub.designated_pharmacies IS
    'Retail pharmacies designated by the insurance fund, with the period of the designation';
SELECT pg_catalog.pg_extension_config_dump('healthhub.designated_pharmacies', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.designated_pharmacies
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('designated_pharmacy', 'designation_key', 'drug catalogue');
GRANT SELECT ON healthhub.designated_pharmacies TO PUBLIC;

CREATE TABLE healthhub.stage_drugs (
    line_no            bigint GENERATED BY DEFAULT AS IDENTITY,
    drug_code          text,
    generic_name       text,
    national_class     text,
    controlled_class   text,
    antimicrobial      text,
    dosage_form        text,
    strength           text,
    controlled_release text,
    special_storage    text,
    price_cap          text
);
COMMENT ON TABLE healthhub.stage_drugs IS 'Staging for healthhub.load_drugs(): COPY the drug catalogue file here';
ALTER TABLE healthhub.stage_drugs REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_drugs', 'staging', 'drugs.load.delta of the load that reads it');

-- Load a catalogue file (a delta: its rows are added or replace the rows of
-- the same codes).  hub_admin only.
CREATE FUNCTION healthhub.load_drugs(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sd constant regclass := 'healthhub.stage_drugs';
    lid bigint;
    done boolean;
    result jsonb;
BEGIN
    PERFORM healthhub.require_profile(ARRAY[]::text[], 'load the drug catalogue');
    PERFORM healthhub.require_arguments('healthhub.load_drugs', ARRAY['source', 'file_digest'],
                                        ARRAY[source IS NULL, file_digest IS NULL]);
    LOCK TABLE healthhub.stage_drugs IN SHARE ROW EXCLUSIVE MODE;
    SELECT b.load_id, b.already_loaded INTO lid, done FROM healthhub.begin_load('drugs', source, file_digest, 'delta') b;
    IF done THEN
        TRUNCATE healthhub.stage_drugs RESTART IDENTITY;
        RETURN QUERY SELECT lid, (l.outcome->'drugs'->>'staged')::int, (l.outcome->'drugs'->>'loaded')::int,
                            (l.outcome->'drugs'->>'rejected')::int, true
                       FROM healthhub.loads l WHERE l.load_id = lid;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);

    PERFORM healthhub.load_require(lid, 'drugs', sd, ARRAY['drug_code', 'generic_name', 'dosage_form']);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'drugs', s.line_no, 'drug_code', s.drug_code, rtrim(lower(left(p.problem, 1)) || substr(p.problem, 2), '.')
      FROM healthhub.stage_drugs s
     CROSS JOIN LATERAL (SELECT healthhub.drug_code_problem(s.drug_code) AS problem) p
     WHERE nullif(btrim(s.drug_code), '') IS NOT NULL AND p.problem IS NOT NULL;
    PERFORM healthhub.load_check_duplicates(lid, 'drugs', sd, 'drug_code');
    PERFORM healthhub.load_check_in(lid, 'drugs', sd, 'controlled_class',
                                    ARRAY['narcotic', 'psychotropic_1', 'psychotropic_2', 'toxic', 'radioactive', 'precursor'],
                                    false, 'is not narcotic, psychotropic_1, psychotropic_2, toxic, radioactive or precursor');
    PERFORM healthhub.load_check_in(lid, 'drugs', sd, 'antimicrobial', ARRAY['unrestricted', 'restricted', 'special'],
                                    false, 'is not unrestricted, restricted or special');
    PERFORM healthhub.load_check_in(lid, 'drugs', sd, c, ARRAY['true', 'false'], false, 'is not true or false')
       FROM unnest(ARRAY['controlled_release', 'special_storage']) c;
    PERFORM healthhub.load_check_pattern(lid, 'drugs', sd, 'price_cap', '^[0-9]{1,10}([.][0-9]{1,2})?$',
                                         'is not an amount of yuan (up to 10 digits, up to 2 decimals)', false);
    PERFORM healthhub.load_check_pattern(lid, 'drugs', sd, c, '^.{1,' || n || '}$', 'is longer than ' || n || ' characters', false)
       FROM (VALUES ('generic_name', 200), ('national_class', 40), ('dosage_form', 100), ('strength', 100)) x(c, n);

    INSERT INTO healthhub.drugs AS d (drug_code, generic_name, national_class, controlled_class, antimicrobial,
                                      dosage_form, strength, controlled_release, special_storage, price_cap, source,
                                      load_id)
    SELECT btrim(s.drug_code)::healthhub.drug_code, btrim(s.generic_name), nullif(btrim(s.national_class), ''),
           nullif(btrim(s.controlled_class), ''), nullif(btrim(s.antimicrobial), ''), btrim(s.dosage_form),
           nullif(btrim(s.strength), ''), coalesce(nullif(btrim(s.controlled_release), '')::boolean, false),
           coalesce(nullif(btrim(s.special_storage), '')::boolean, false), nullif(btrim(s.price_cap), '')::numeric(12, 2),
           btrim(source), lid
      FROM healthhub.stage_drugs s
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors x WHERE x.load_id = lid AND x.entity = 'drugs' AND x.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT drugs_pkey DO UPDATE
       SET generic_name = EXCLUDED.generic_name, national_class = EXCLUDED.national_class,
           controlled_class = EXCLUDED.controlled_class, antimicrobial = EXCLUDED.antimicrobial,
           dosage_form = EXCLUDED.dosage_form, strength = EXCLUDED.strength,
           controlled_release = EXCLUDED.controlled_release, special_storage = EXCLUDED.special_storage,
           price_cap = EXCLUDED.price_cap, source = EXCLUDED.source, load_id = EXCLUDED.load_id
     WHERE (d.generic_name, d.national_class, d.controlled_class, d.antimicrobial, d.dosage_form, d.strength,
            d.controlled_release, d.special_storage, d.price_cap, d.source)
           IS DISTINCT FROM (EXCLUDED.generic_name, EXCLUDED.national_class, EXCLUDED.controlled_class,
                             EXCLUDED.antimicrobial, EXCLUDED.dosage_form, EXCLUDED.strength,
                             EXCLUDED.controlled_release, EXCLUDED.special_storage, EXCLUDED.price_cap, EXCLUDED.source);

    result := healthhub.load_outcome(lid, 'drugs', 1, sd, 0);
    PERFORM healthhub.end_load(lid, result, 'drug catalogue');
    TRUNCATE healthhub.stage_drugs RESTART IDENTITY;
    RETURN QUERY SELECT lid, (result->'drugs'->>'staged')::int, (result->'drugs'->>'loaded')::int,
                        (result->'drugs'->>'rejected')::int, false;
END
$$;
COMMENT ON FUNCTION healthhub.load_drugs(text, text) IS
    'Load the drug catalogue file staged in stage_drugs: every bad row reported, the good rows added or replaced';
REVOKE ALL ON FUNCTION healthhub.load_drugs(text, text) FROM PUBLIC;
-- The prescription rules that need data, as policy rows the region can
-- change (../shared/reference/prescriptions.md).  Shipped rows come with the
-- extension; a changed one becomes 'changed' and survives dump and restore
-- (src/platform/shipped_rows.sql).  Rows marked (unverified) come from
-- domain knowledge, not from a retrieved official text.

-- Per kind of prescription: the longest supply and validity.
CREATE TABLE healthhub.rx_kind_rules (
    kind            text PRIMARY KEY CHECK (kind IN ('ordinary', 'emergency', 'chronic', 'long_term')),
    max_days_supply integer NOT NULL CHECK (max_days_supply BETWEEN 1 AND 366),
    max_valid_days  integer NOT NULL CHECK (max_valid_days BETWEEN 1 AND 366),
    basis           text NOT NULL,
    origin          text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.rx_kind_rules IS 'Per kind of prescription: the longest days'' supply and validity';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_kind_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_kind_rules VALUES
    ('ordinary', 7, 3, '《处方管理办法》: at most 7 days; valid on the day of issue, extended by the prescriber to at most 3 days', 'shipped'),
    ('emergency', 3, 3, '《处方管理办法》: emergency prescriptions at most 3 days', 'shipped'),
    ('chronic', 30, 3, 'chronic diseases may be extended with the reason noted; 30 days (unverified)', 'shipped'),
    ('long_term', 84, 84, '长期处方管理规范(试行): generally at most 4 weeks, up to 12 weeks', 'shipped');

-- Controlled classes: their own limits, and the prescribing privilege of
-- the registry (practice_privileges) they need, if any.
CREATE TABLE healthhub.rx_controlled_rules (
    controlled_class text PRIMARY KEY CHECK (controlled_class IN ('narcotic', 'psychotropic_1', 'psychotropic_2',
                                                                  'toxic', 'radioactive', 'precursor')),
    max_days_supply  integer NOT NULL CHECK (max_days_supply BETWEEN 1 AND 366),
    max_days_controlled_release integer CHECK (max_days_controlled_release BETWEEN 1 AND 366),
    privilege        text CHECK (privilege IN ('narcotic', 'psychotropic_1')),
    basis            text NOT NULL,
    origin           text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.rx_controlled_rules IS
    'Per controlled class: the longest supply (and for controlled-release forms), and the privilege it needs';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_controlled_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_controlled_rules VALUES
    ('narcotic', 3, 7, 'narcotic', '《处方管理办法》: outpatients, 3 days; controlled-release 7 days (an injection one dose: not modelled)', 'shipped'),
    ('psychotropic_1', 3, 7, 'psychotropic_1', '《处方管理办法》: as narcotics', 'shipped'),
    ('psychotropic_2', 7, NULL, NULL, '《处方管理办法》: at most 7 days', 'shipped'),
    ('toxic', 2, NULL, NULL, 'medical toxic drugs: two days'' maximum dose (unverified)', 'shipped'),
    ('radioactive', 1, NULL, NULL, 'radioactive drugs: one day (unverified)', 'shipped'),
    ('precursor', 7, NULL, NULL, 'precursor chemicals: 7 days (unverified)', 'shipped');

-- The other rules: online prescribing and long-term prescriptions.
CREATE TABLE healthhub.rx_rules (
    rule        text PRIMARY KEY CHECK (rule IN ('online_first_visit_allowed', 'online_controlled_allowed',
                                                 'online_guardian_under_years', 'online_diagnosis_within_days',
                                                 'long_term_assessment_above_days', 'long_term_in_person_first',
                                                 'long_term_antimicrobial_exceptions')),
    value       text NOT NULL,
    basis       text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local')),
    CONSTRAINT rx_rules_value CHECK (CASE WHEN rule IN ('online_first_visit_allowed', 'online_controlled_allowed',
                                                        'long_term_in_person_first')
                                          THEN value IN ('true', 'false')
                                          WHEN rule = 'long_term_antimicrobial_exceptions'
                                          THEN value ~ '^([A-Z][0-9]{2}( [A-Z][0-9]{2})*)?$'
                                          ELSE value ~ '^[0-9]{1,4}$' END)
);
COMMENT ON TABLE healthhub.rx_rules IS 'Rules of online and long-term prescribing, as values the region can change';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_rules VALUES
    ('online_first_visit_allowed', 'false', '互联网诊疗管理办法(试行): no internet diagnosis or prescription for a first visit', 'shipped'),
    ('online_controlled_allowed', 'false', '互联网诊疗监管细则(试行): narcotic, psychotropic and other specially controlled drugs are never prescribed online', 'shipped'),
    ('online_guardian_under_years', '6', '互联网诊疗监管细则(试行): a child 0-6 is seen online with a guardian', 'shipped'),
    ('online_diagnosis_within_days', '365', 'how long ago the in-person diagnosis of the condition may be (unverified)', 'shipped'),
    ('long_term_assessment_above_days', '28', '长期处方管理规范(试行): above 4 weeks the physician assesses and records it', 'shipped'),
    ('long_term_in_person_first', 'true', 'the first long-term prescription follows an in-person visit (unverified)', 'shipped'),
    ('long_term_antimicrobial_exceptions', 'A15 A16 A17 A18 A19',
     '长期处方管理规范(试行): no antimicrobials, tuberculosis excepted (chronic infections: add their categories)', 'shipped');

GRANT SELECT ON healthhub.rx_kind_rules, healthhub.rx_controlled_rules, healthhub.rx_rules TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_kind_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_controlled_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('controlled_class');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('rule');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_kind_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_kind_rule', 'kind', 'prescription policy');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_controlled_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_controlled_rule', 'controlled_class', 'prescription policy');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_rule', 'rule', 'prescription policy');

-- A rule's value.
CREATE FUNCTION healthhub.rx_rule(name text) RETURNS text
    LANGUAGE sql STABLE STRICT
    RETURN (SELECT r.value FROM healthhub.rx_rules r WHERE r.rule = name);
REVOKE ALL ON FUNCTION healthhub.rx_rule(text) FROM PUBLIC;
-- Prescriptions, their lifecycle events and their dispenses
-- (docs/prescriptions.md).  A prescription belongs to a person of the
-- person index, through the issuing institution's record of the patient
-- (record_id, as shared records); person_key is the person when it was
-- issued (the distribution key on Citus).  No profile reads these tables:
-- the functions of src/rx/reads.sql read them and leave a trail entry.

CREATE TABLE healthhub.prescriptions (
    person_key       bigint NOT NULL,
    prescription_key bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id        bigint NOT NULL,       -- the issuing institution's record of the patient
    institution_key  bigint NOT NULL REFERENCES healthhub.institutions,
    rxno             text NOT NULL,         -- hosp_rxno of the content
    prescriber_key   bigint NOT NULL REFERENCES healthhub.practitioners,
    encounter_key    bigint,                -- the visit it was written in, if known
    guardian_key     bigint,                -- who acted for a child online
    assessment       text CHECK (length(assessment) <= 1000),  -- long-term above 4 weeks
    content          healthhub.prescription NOT NULL,
    state            text NOT NULL DEFAULT 'issued'
                     CHECK (state IN ('issued', 'signed', 'approved', 'rejected', 'circulated', 'dispensed',
                                      'settled', 'revoked', 'expired')),
    issued_at        timestamptz NOT NULL,
    valid_until      timestamptz NOT NULL,
    signature        text CHECK (length(signature) <= 4000),   -- dr_sign_info
    pharmacist_key   bigint REFERENCES healthhub.practitioners,  -- the reviewing pharmacist
    reviewed_at      timestamptz,
    circulated_at    timestamptz,
    pharmacy_key     bigint REFERENCES healthhub.institutions,   -- circulated to; NULL: any designated pharmacy
    dispenses_done   integer NOT NULL DEFAULT 0 CHECK (dispenses_done >= 0),
    warnings         text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (person_key, prescription_key),
    UNIQUE (institution_key, rxno),
    CONSTRAINT prescriptions_circulated CHECK (circulated_at IS NOT NULL OR pharmacy_key IS NULL)
);
CREATE UNIQUE INDEX prescriptions_by_key ON healthhub.prescriptions (prescription_key);
CREATE INDEX prescriptions_by_record ON healthhub.prescriptions (record_id, issued_at);
CREATE INDEX prescriptions_circulated ON healthhub.prescriptions (pharmacy_key) WHERE state = 'circulated';
COMMENT ON TABLE healthhub.prescriptions IS
    'Electronic prescriptions: content, state (issued ... settled, revoked, expired), prescriber, reviewer, where circulated';
SELECT pg_catalog.pg_extension_config_dump('healthhub.prescriptions', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.prescriptions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('prescription', 'prescription_key', 'prescriptions');
ALTER TABLE healthhub.prescriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY prescriptions_own ON healthhub.prescriptions FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Every step of every prescription, in order: who did what, where, why.
CREATE TABLE healthhub.prescription_events (
    person_key       bigint NOT NULL,
    prescription_key bigint NOT NULL,
    event_no         integer NOT NULL,
    action           text NOT NULL CHECK (action IN ('issue', 'sign', 'approve', 'reject', 'circulate', 'dispense',
                                                     'settle', 'revoke', 'expire')),
    "at"             timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    institution_key  bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    acting_role      name NOT NULL,
    reason           text CHECK (length(reason) <= 500),
    PRIMARY KEY (person_key, prescription_key, event_no),
    FOREIGN KEY (person_key, prescription_key) REFERENCES healthhub.prescriptions
);
COMMENT ON TABLE healthhub.prescription_events IS 'The steps of each prescription: action, time, institution, practitioner, role, reason';
SELECT pg_catalog.pg_extension_config_dump('healthhub.prescription_events', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.prescription_events
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('prescription_event', 'prescription_key', 'prescriptions');
ALTER TABLE healthhub.prescription_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY prescription_events_own ON healthhub.prescription_events FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Dispenses: (prescription, dispense number) is unique, so no prescription
-- is ever dispensed more often than it allows, whatever races.
CREATE TABLE healthhub.dispenses (
    person_key       bigint NOT NULL,
    dispense_key     bigint NOT NULL DEFAULT healthhub.mint_key(),
    prescription_key bigint NOT NULL,
    dispense_no      integer NOT NULL CHECK (dispense_no >= 1),
    pharmacy_key     bigint NOT NULL REFERENCES healthhub.institutions,
    pharmacist_key   bigint NOT NULL REFERENCES healthhub.practitioners,
    dispensed_at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    settled_at       timestamptz,
    settlement_ref   text CHECK (length(settlement_ref) <= 100),
    PRIMARY KEY (person_key, dispense_key),
    UNIQUE (prescription_key, dispense_no),
    FOREIGN KEY (person_key, prescription_key) REFERENCES healthhub.prescriptions,
    CONSTRAINT dispenses_settlement CHECK ((settled_at IS NULL) = (settlement_ref IS NULL))
);
CREATE UNIQUE INDEX dispenses_by_key ON healthhub.dispenses (dispense_key);
COMMENT ON TABLE healthhub.dispenses IS 'Each dispense of a prescription: number, pharmacy, pharmacist, time, settlement';
SELECT pg_catalog.pg_extension_config_dump('healthhub.dispenses', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.dispenses
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('dispense', 'dispense_key', 'prescriptions');
ALTER TABLE healthhub.dispenses ENABLE ROW LEVEL SECURITY;
CREATE POLICY dispenses_own ON healthhub.dispenses FOR SELECT
    USING (healthhub.row_allowed('own', pharmacy_key));
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

-- Settle a dispense (the settlement's reference, from the insurance
-- fund); a prescription whose dispenses are all done and settled is
-- settled.  The insurer or the hub.
CREATE FUNCTION healthhub.settle_dispense(dispense bigint, settlement_ref text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['insurer'], 'settle dispenses');
    d healthhub.dispenses;
    p healthhub.prescriptions;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.settle_dispense', ARRAY['dispense', 'settlement_ref'],
                                        ARRAY[dispense IS NULL, settlement_ref IS NULL]);
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.dispense_key = dispense;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('no such dispense: ' || dispense, 'No dispense has this key.');
    END IF;
    p := healthhub.rx_locked(d.prescription_key, NULL, 'any');
    IF d.settled_at IS NOT NULL THEN
        RAISE EXCEPTION 'dispense % was settled at %', dispense, d.settled_at
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = format('Settlement %s.', d.settlement_ref);
    END IF;
    IF btrim(settlement_ref) = '' OR length(settlement_ref) > 100 THEN
        PERFORM healthhub.rx_refuse('a settlement reference is 1 to 100 characters', 'The fund''s settlement id (setl_id).');
    END IF;
    UPDATE healthhub.dispenses x SET settled_at = clock_timestamp(), settlement_ref = settle_dispense.settlement_ref
     WHERE x.person_key = d.person_key AND x.dispense_key = d.dispense_key;
    UPDATE healthhub.prescriptions x SET state = 'settled'
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key AND x.state = 'dispensed'
       AND NOT EXISTS (SELECT FROM healthhub.dispenses y
                        WHERE y.person_key = p.person_key AND y.prescription_key = p.prescription_key
                          AND y.settled_at IS NULL);
    PERFORM healthhub.rx_event(p, 'settle', NULL, NULL, 'dispense ' || d.dispense_no || ': ' || settlement_ref);
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
REVOKE ALL ON FUNCTION healthhub.settle_dispense(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_prescription(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.expire_prescriptions() FROM PUBLIC;
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
