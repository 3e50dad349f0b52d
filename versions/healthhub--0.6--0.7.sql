-- healthhub 0.6 -> 0.7 (the release being built: docs/development.md,
-- "Releases").  Every change to the SQL of src/ since 0.6 is written here
-- too, by hand; t/003 compares the result with a fresh install.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.7'" to load this file. \quit

-- One test of "the acting role runs the hub" for every area:
-- acting_role_is_admin() (was linkage_is_admin(), and written out again in
-- why_not_practise).
CREATE FUNCTION healthhub.acting_role_is_admin() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role())
           OR EXISTS (SELECT FROM healthhub.effective_profiles(healthhub.acting_role()) ep WHERE ep.profile = 'hub_admin');
END
$$;
COMMENT ON FUNCTION healthhub.acting_role_is_admin() IS
    'Whether the acting role is a superuser or holds hub_admin';
REVOKE ALL ON FUNCTION healthhub.acting_role_is_admin() FROM PUBLIC;

CREATE OR REPLACE FUNCTION healthhub.linkage_authorise_institution(source text, institution bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin()
       AND (institution IS NULL OR institution IS DISTINCT FROM healthhub.institution_of(healthhub.acting_role())) THEN
        RAISE EXCEPTION 'role % may not act on records of source %', healthhub.acting_role(), source
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution''s application acts on the records of its own institution only.',
                  HINT = 'The source must be the institution''s key or source_ref in healthhub.institutions.';
    END IF;
    RETURN institution;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.authorised_record(source text, local_id text, linked_only boolean, for_update boolean)
    RETURNS healthhub.source_records
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.linkage_authorise(source);
    r healthhub.source_records;
BEGIN
    IF for_update THEN
        SELECT * INTO r FROM healthhub.source_records s
         WHERE s.source = btrim(authorised_record.source) AND s.local_id = btrim(authorised_record.local_id)
           FOR UPDATE;
    ELSE
        SELECT * INTO r FROM healthhub.source_records s
         WHERE s.source = btrim(authorised_record.source) AND s.local_id = btrim(authorised_record.local_id);
    END IF;
    IF r.source IS NULL OR (linked_only AND r.withdrawn_at IS NOT NULL)
       OR NOT (healthhub.acting_role_is_admin() OR r.institution_key IS NOT DISTINCT FROM institution) THEN
        RAISE EXCEPTION 'no % record %/%', CASE WHEN linked_only THEN 'linked' ELSE 'such' END, source, local_id
            USING ERRCODE = 'no_data_found', HINT = 'Link it with healthhub.link_record() first.';
    END IF;
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.linkage_authorise_person(r healthhub.source_records, person bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF person IS NULL OR healthhub.acting_role_is_admin() OR person = r.person_key
       OR EXISTS (SELECT FROM healthhub.link_decisions l
                   WHERE l.source = r.source AND l.local_id = r.local_id AND l.person_key = person
                     AND l.state = 'possible_match')
       OR EXISTS (SELECT FROM healthhub.source_records s
                   WHERE s.person_key = person AND s.institution_key = r.institution_key) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'role % may not tie a record to person %', healthhub.acting_role(), person
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = 'An institution''s application ties its records to its own patients or to the candidate the review queue offers.',
              HINT = 'A hub_admin reviewer decides links to other persons.';
END
$$;

CREATE OR REPLACE FUNCTION healthhub.link_prepared(r healthhub.source_records,
                                        OUT person_key bigint, OUT decision text, OUT explanation jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old healthhub.source_records;
    matched healthhub.source_records;
    f record;
    full_explanation jsonb;
    model integer := healthhub.linkage_model();
BEGIN
    SELECT * INTO old FROM healthhub.source_records s
     WHERE s.source = r.source AND s.local_id = r.local_id FOR UPDATE;
    IF old.source IS NOT NULL AND old.withdrawn_at IS NULL
       AND (old.name, old.sex, old.birth_date, old.identifier_text, old.phone, old.region::integer,
            old.other_identifiers::text[])
           IS NOT DISTINCT FROM (r.name, r.sex, r.birth_date, r.identifier_text, r.phone, r.region::integer,
                                 r.other_identifiers::text[]) THEN
        person_key := old.person_key;
        decision := 'unchanged';
        explanation := jsonb_build_object('decision', decision);
        RETURN;
    END IF;

    IF old.withdrawn_at IS NULL AND old.link_origin = 'manual' THEN
        SELECT * INTO f FROM healthhub.find_match(r, model) WHERE false;   -- no automatic decision
        person_key := old.person_key;
        decision := 'kept_manual';
        explanation := jsonb_build_object('decision', decision, 'decided_by', old.linked_by,
                                          'decided_at', old.linked_at);
        r.link_origin := 'manual';
        r.link_score := old.link_score;
        r.link_model := old.link_model;
        r.linked_at := old.linked_at;
        r.linked_by := old.linked_by;
    ELSE
        f := healthhub.find_match(r, model);
        -- Two records with different numbers may find one person at once by
        -- keys they do not share (link_record's bucket locks order only
        -- records that share one): the person is locked, and once whoever
        -- held it has committed, the decision is made again if the person
        -- now holds another number.
        FOR attempt IN 1..4 LOOP
            EXIT WHEN f.decision <> 'matched' OR r.resident_id IS NULL OR r.id_conflict;
            PERFORM 1 FROM healthhub.persons p WHERE p.person_key = f.person_key FOR UPDATE;
            EXIT WHEN healthhub.other_number_held(r, f.person_key) IS NULL;
            IF attempt = 4 THEN         -- (persons keep changing under it: a person of its own)
                f.decision := 'created';
                f.person_key := NULL;
            ELSE
                f := healthhub.find_match(r, model);
            END IF;
        END LOOP;
        decision := f.decision;
        IF f.decision = 'matched' THEN
            person_key := f.person_key;
        ELSIF old.person_key IS NOT NULL AND NOT EXISTS (
                SELECT FROM healthhub.source_records s WHERE s.person_key = old.person_key
                   AND NOT (s.source = r.source AND s.local_id = r.local_id)) THEN
            person_key := old.person_key;      -- a corrected record alone keeps its person
        ELSE
            INSERT INTO healthhub.persons DEFAULT VALUES RETURNING persons.person_key INTO person_key;
        END IF;
        explanation := jsonb_build_object('decision', f.decision, 'tier', f.tier, 'model_version', model);
        full_explanation := explanation || jsonb_build_object('candidates', f.candidates);
        IF f.matched_source IS NOT NULL THEN
            SELECT * INTO matched FROM healthhub.source_records s
             WHERE s.source = f.matched_source AND s.local_id = f.matched_local_id;
            full_explanation := full_explanation || jsonb_build_object(
                'compared_with', jsonb_build_object('source', f.matched_source, 'local_id', f.matched_local_id,
                                                    'person_key', matched.person_key))
                || healthhub.explain_pair(r, matched, model, f.matched_number);
        END IF;
        -- How the decision was made (the tier, what the record was compared
        -- with, the score) is told to hub_admin only: even its shape would
        -- tell an application whether another institution's record shares
        -- a key with one it crafted (docs/linkage.md, "What a caller learns").
        IF healthhub.acting_role_is_admin() THEN
            explanation := full_explanation;
        ELSE
            explanation := explanation - 'tier';
        END IF;
        r.link_origin := 'auto';
        r.link_score := f.score;
        r.link_model := model;
        r.linked_at := now();
        r.linked_by := healthhub.acting_role();
    END IF;

    r.person_key := person_key;
    r.record_id := coalesce(old.record_id, nextval('healthhub.record_seq'));
    r.received_at := coalesce(old.received_at, now());
    r.updated_at := now();
    r.withdrawn_at := NULL;
    INSERT INTO healthhub.source_records AS s SELECT r.*
    ON CONFLICT ON CONSTRAINT source_records_pkey DO UPDATE
       SET institution_key = EXCLUDED.institution_key, name = EXCLUDED.name, sex = EXCLUDED.sex,
           birth_date = EXCLUDED.birth_date, identifier_text = EXCLUDED.identifier_text, phone = EXCLUDED.phone,
           region = EXCLUDED.region, other_identifiers = EXCLUDED.other_identifiers,
           resident_id = EXCLUDED.resident_id, id_conflict = EXCLUDED.id_conflict,
           name_hanzi = EXCLUDED.name_hanzi, name_pinyin = EXCLUDED.name_pinyin,
           name_initials = EXCLUDED.name_initials, surname = EXCLUDED.surname,
           name_given_pinyin = EXCLUDED.name_given_pinyin,
           person_key = EXCLUDED.person_key, link_origin = EXCLUDED.link_origin, link_score = EXCLUDED.link_score,
           link_model = EXCLUDED.link_model, linked_at = EXCLUDED.linked_at, linked_by = EXCLUDED.linked_by,
           updated_at = EXCLUDED.updated_at, withdrawn_at = NULL;

    IF r.link_origin = 'auto' THEN
        -- the record's previous automatic possible match gives way (link_events keeps it)
        DELETE FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
           AND l.state = 'possible_match' AND l.origin = 'auto';
        IF f.decision = 'possible_match' THEN
            INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version)
            VALUES (r.source, r.local_id, f.person_key, 'possible_match', 'auto', f.score, model)
            ON CONFLICT ON CONSTRAINT link_decisions_pkey DO NOTHING;
        END IF;
    END IF;

    PERFORM healthhub.forget_block_keys(old);
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT h, r.record_id
      FROM unnest(healthhub.block_hashes(r, (SELECT lm.blocking_rules FROM healthhub.linkage_models lm
                                             WHERE lm.model_version = model))) h;

    PERFORM healthhub.sync_person_identifiers(person_key);
    PERFORM healthhub.rebuild_golden(person_key);
    IF old.person_key IS NOT NULL AND old.person_key <> person_key THEN
        PERFORM healthhub.sync_person_identifiers(old.person_key);
        PERFORM healthhub.rebuild_golden(old.person_key);
    END IF;
    PERFORM healthhub.log_link_event(
        CASE WHEN old.source IS NULL THEN 'link' ELSE 'relink' END, r.source, r.local_id, person_key,
        CASE WHEN f.decision = 'possible_match' THEN f.person_key ELSE old.person_key END,
        CASE WHEN old.source IS NULL THEN NULL WHEN old.withdrawn_at IS NOT NULL THEN 'withdrawn' ELSE 'match' END,
        CASE WHEN f.decision = 'possible_match' THEN 'possible_match' ELSE 'match' END,
        r.link_origin,
        f.score, model, full_explanation->'weights', decision);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.linkage_authorise_admin(
        refusal text DEFAULT 'does not hold the hub_admin profile',
        detail text DEFAULT 'Merging, unmerging, recording deaths, training and bulk linking are for hub_admin.')
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % %', healthhub.acting_role(), refusal
            USING ERRCODE = 'insufficient_privilege', DETAIL = detail;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.linkage_may_read_history() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN healthhub.acting_role_is_admin()
           OR EXISTS (SELECT FROM healthhub.effective_profiles(healthhub.acting_role()) ep
                       WHERE ep.profile OPERATOR(pg_catalog.=) 'auditor');

CREATE OR REPLACE FUNCTION healthhub.source_record(source text, local_id text)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.require_record_key('source_record', source, local_id);
    r := healthhub.authorised_record(source, local_id, false, false);
    IF NOT healthhub.acting_role_is_admin() THEN
        r.link_score := NULL;
    END IF;
    PERFORM healthhub.audit_append('read', 'source_record', r.source || '/' || r.local_id, r.person_key,
                                   'patient identity management', 'ok');
    RETURN NEXT r;
END
$$;
COMMENT ON FUNCTION healthhub.source_record(text, text) IS
    'One source record (an institution''s application: its own, without link_score); the read is audited';

CREATE OR REPLACE FUNCTION healthhub.source_records_of(source text, after_local_id text DEFAULT NULL, max_rows integer DEFAULT 1000)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint;
    admin boolean := healthhub.acting_role_is_admin();
    page healthhub.source_records[];
    n integer;
BEGIN
    PERFORM healthhub.require_record_key('source_records_of', source, coalesce(after_local_id, '-')),
            healthhub.require_page_size(max_rows);
    institution := healthhub.linkage_authorise(source);
    -- (an application is not told the score against another institution's record)
    SELECT array_agg(CASE WHEN admin THEN s.r ELSE jsonb_populate_record(s.r, '{"link_score": null}') END
                     ORDER BY (s.r).local_id) INTO page
      FROM (SELECT x AS r FROM healthhub.source_records x
             WHERE x.source = btrim(source_records_of.source)
               AND (after_local_id IS NULL OR x.local_id > btrim(after_local_id))
               AND (admin OR x.institution_key = institution)
             ORDER BY x.local_id LIMIT max_rows) s;
    n := coalesce(cardinality(page), 0);
    PERFORM healthhub.audit_append('read', 'source_records',
                                   btrim(source) || CASE WHEN n = 0 THEN '' ELSE
                                       '/' || (page[1]).local_id || ' .. ' || (page[n]).local_id END,
                                   NULL, 'patient identity management', n || ' records');
    -- (unnest returns the page in its order)
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;
COMMENT ON FUNCTION healthhub.source_records_of(text, text, integer) IS
    'A page of one source''s records in local id order (an institution''s application: its own); the read is audited';

CREATE OR REPLACE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    here record;
    st record;
    b record;
    reasons text[] := '{}';
    some_licence_ok boolean := false;
    -- Licence numbers and the reasons of suspensions are the licensing
    -- authority's, not every institution's: hub_admin reads them, others
    -- read what stands in the way.
    detailed boolean := healthhub.acting_role_is_admin();
BEGIN
    PERFORM healthhub.require_arguments('healthhub.why_not_practise',
                                        ARRAY['practitioner', 'act', 'institution', 'at'],
                                        ARRAY[practitioner IS NULL, act IS NULL, institution IS NULL, "at" IS NULL]);
    PERFORM healthhub.check_own_institution(institution);
    -- the detailed answer holds the reasons of suspensions: a read
    IF detailed THEN
        PERFORM healthhub.audit_append('read', 'practice_reasons', practitioner::text, NULL,
                                       'registry maintenance', 'ok', practitioner);
    END IF;
    IF healthhub.may_practise(practitioner, act, institution, "at", privilege) THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner) THEN
        RETURN 'unknown practitioner';
    END IF;
    SELECT * INTO inst FROM healthhub.institutions i WHERE i.institution_key = institution;
    IF NOT FOUND THEN
        RETURN 'unknown institution';
    END IF;

    -- the terms of the rule (practice_right_terms), licence by licence
    FOR l IN SELECT DISTINCT ON (x.lower_validity, x.licence_key) x.*
               FROM (SELECT t.*, lower(t.validity) AS lower_validity,
                            coalesce(bool_or(t.institution_key = institution AND t.registered @> "at")
                                         OVER (PARTITION BY t.licence_key), false) AS registered_here
                       FROM healthhub.practice_right_terms(practitioner) t
                      WHERE t.act = why_not_practise.act) x
              ORDER BY x.lower_validity DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity)
                ELSE format('%s licence is not valid at %s', act, "at") END;
        ELSIF NOT l.active @> "at" THEN
            -- (in words: the status in force at that time)
            SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
             WHERE h.licence_key = l.licence_key AND h.effective <= "at"
             ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason)
                ELSE format('%s licence is %s since %s', act, st.status, st.effective) END;
        ELSIF NOT l.registered_here THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at")
                ELSE format('%s licence is not registered at %s at %s', act, inst.name, "at") END;
        ELSE
            some_licence_ok := true;
        END IF;
    END LOOP;
    IF NOT FOUND THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    SELECT t.operating, t.barred INTO here FROM healthhub.practice_right_terms(practitioner) t
     WHERE t.act = why_not_practise.act AND t.institution_key = institution LIMIT 1;
    IF NOT here.operating @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
    IF here.barred @> "at" THEN
        -- (in words: the entries in force at that time)
        FOR b IN SELECT x.subject_kind, x.reason, x.source, x.period FROM healthhub.blacklist x
                  WHERE (x.practitioner_key = practitioner OR x.institution_key = institution)
                    AND x.period @> "at"
                  ORDER BY x.subject_kind DESC, lower(x.period), x.entry_key LOOP
            reasons := reasons || format('%s blacklisted %s (%s: %s)',
                                         CASE b.subject_kind WHEN 'practitioner' THEN 'practitioner' ELSE 'institution ' || inst.name END,
                                         CASE WHEN upper_inf(b.period) THEN 'since ' || lower(b.period)
                                              ELSE 'during ' || b.period::text END,
                                         b.source, b.reason);
        END LOOP;
    END IF;
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privilege_terms(practitioner) g
                        WHERE g.institution_key = institution AND g.privilege = why_not_practise.privilege
                          AND g.granted @> "at") THEN
        reasons := reasons || format('privilege %s is not granted at %s at %s', privilege, inst.name, "at");
    END IF;
    IF cardinality(reasons) = 0 THEN
        RETURN 'the derived practice rights are out of date; run healthhub.recompute_practice_rights()';
    END IF;
    RETURN array_to_string(reasons, '; ');
END
$$;
COMMENT ON FUNCTION healthhub.why_not_practise(bigint, text, bigint, timestamptz, text) IS
    'Why may_practise() refuses (NULL when it allows), in words';

DROP FUNCTION healthhub.linkage_is_admin();

-- A DBA's change to a shipped row survives a dump (src/platform/shipped_rows.sql).
CREATE FUNCTION healthhub.shipped_row_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    columns text;
    key_type_schema name;
    replaced boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.origin = 'shipped' THEN
            RAISE EXCEPTION 'cannot delete % %, a row healthhub ships', TG_TABLE_NAME, quote_literal(to_jsonb(OLD)->>TG_ARGV[0])
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'CREATE EXTENSION makes the rows healthhub ships: a deleted one would come back with the next restore.',
                      HINT = 'Change the row instead: a changed row is kept by pg_dump.';
        END IF;
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        NEW.origin := 'local';
        RETURN NEW;
    ELSIF NEW.origin = 'local' THEN
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO columns
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
        -- (the key's equality operator lives with its type: region_code's in healthhub)
        SELECT n.nspname INTO key_type_schema
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         WHERE a.attrelid = TG_RELID AND a.attname = TG_ARGV[0];
        EXECUTE format('UPDATE %I.%I t SET (%s) = (SELECT ($1).*) WHERE t.%I OPERATOR(%I.=) ($1).%I AND t.origin = ''shipped'' RETURNING true',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME, columns, TG_ARGV[0], key_type_schema, TG_ARGV[0])
           INTO replaced USING NEW;
        IF replaced THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.shipped_row_changed() FROM PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.regions
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('code');

-- An update a restore makes (a changed shipped row put back) is not recorded again.
CREATE OR REPLACE FUNCTION healthhub.audit_changes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r jsonb;
    object_id text;
BEGIN
    IF healthhub.load_in_progress() IS NOT NULL THEN
        RETURN NULL;                        -- recorded by the load's entry
    END IF;
    r := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    -- (an update in a restore: a changed shipped row the restore puts back,
    -- src/platform/shipped_rows.sql)
    IF TG_OP <> 'DELETE' AND healthhub.is_restoring()
       AND (r ->> 'recorded_at')::timestamptz IS DISTINCT FROM now() THEN
        RETURN NULL;                        -- a row a restore replays changes nothing
    END IF;
    IF TG_OP = 'UPDATE' AND to_jsonb(OLD) - string_to_array(coalesce(TG_ARGV[3], ''), ',')
                          = r - string_to_array(coalesce(TG_ARGV[3], ''), ',') THEN
        RETURN NULL;                        -- only bookkeeping columns changed
    END IF;
    SELECT string_agg(r ->> c, '/' ORDER BY n) INTO object_id
      FROM unnest(string_to_array(nullif(TG_ARGV[1], ''), ',')) WITH ORDINALITY AS k(c, n);
    PERFORM healthhub.audit_append(TG_ARGV[0] || '.' || lower(TG_OP), TG_ARGV[0], object_id,
                                   (r ->> 'person_key')::bigint, TG_ARGV[2], 'ok',
                                   (r ->> 'practitioner_key')::bigint);
    RETURN NULL;
END
$$;

-- Health codes (docs/health-codes.md): the EU Digital COVID Certificate's
-- wire format, prefix + Base45(zlib(COSE_Sign1(CWT claims))), for this
-- hub's own codes ("HH1:") and for EU DCCs ("HC1:").  The codec is pure C
-- (src/healthcode/base45.c ... health_code.c, fuzzed); this file is its SQL
-- face: the type, the kinds of code, and the decoder for support staff.

-- The issuing service's profile (issue.sql says what it may do).
INSERT INTO healthhub.profiles VALUES
    ('code_issuer', false, 'the health code service: issues codes signed with the hub''s keys');

-- healthhub.health_code: an issued code.  Binary form (storage, SEND/RECV):
-- the COSE_Sign1 bytes; text form: the QR string.  Input checks the layers
-- and the structure, not the signature (verify_health_code does).
CREATE TYPE healthhub.health_code;

CREATE FUNCTION healthhub.health_code_in(cstring) RETURNS healthhub.health_code
    AS 'MODULE_PATHNAME', 'hh_health_code_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_out(healthhub.health_code) RETURNS cstring
    AS 'MODULE_PATHNAME', 'hh_health_code_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_recv(internal) RETURNS healthhub.health_code
    AS 'MODULE_PATHNAME', 'hh_health_code_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_send(healthhub.health_code) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_health_code_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.health_code (
    INPUT = healthhub.health_code_in,
    OUTPUT = healthhub.health_code_out,
    RECEIVE = healthhub.health_code_recv,
    SEND = healthhub.health_code_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
COMMENT ON TYPE healthhub.health_code IS
    'A signed health code: COSE_Sign1 bytes, written as its QR text (HH1: healthhub, HC1: EU DCC)';

-- Comparison: the COSE bytes, as bytea compares them (the representation is
-- bytea's: a varlena of bytes); thin C aliases of bytea's functions.
CREATE FUNCTION healthhub.health_code_eq(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_ne(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_lt(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_le(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_gt(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_ge(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_cmp(healthhub.health_code, healthhub.health_code) RETURNS integer
    AS 'MODULE_PATHNAME', 'hh_health_code_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_health_code_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_hash(healthhub.health_code) RETURNS integer
    AS 'MODULE_PATHNAME', 'hh_health_code_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_hash_extended(healthhub.health_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_health_code_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: health_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.health_code) WITH INOUT;
CREATE CAST (healthhub.health_code AS text) WITH INOUT;
-- (the binary form: the COSE bytes)
CREATE CAST (healthhub.health_code AS bytea) WITHOUT FUNCTION;

-- The kinds of code this hub issues, as rows a DBA may add to.
CREATE TABLE healthhub.health_code_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    statuses    text[] CHECK (cardinality(statuses) > 0),  -- NULL: the kind has no status
    lifetime    interval NOT NULL CHECK (lifetime > interval '0'),
    dynamic     boolean NOT NULL,   -- refreshed by the app: an older code than the last accepted is a replay
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'local'))
);
COMMENT ON TABLE healthhub.health_code_kinds IS
    'Kinds of health code: their statuses (NULL: none), lifetime, and whether they are dynamic (replay refused)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.health_code_kinds', 'WHERE origin = ''local''');
INSERT INTO healthhub.health_code_kinds VALUES
    ('health_card', NULL, '5 years', false, 'the resident electronic health card (居民电子健康卡): one card in every hospital',
     'shipped'),
    ('epidemic_status', '{green,yellow,red}', '10 minutes', true,
     'the epidemic status code (健康码): green, yellow or red, refreshed by the app', 'shipped');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.health_code_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.health_code_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('health_code_kind', 'kind', 'health code policy');

-- The person key a code's subject is, when the code is this hub's and its
-- subject a person of this hub's index (a subject of another issuer is
-- not a key here).
CREATE FUNCTION healthhub.subject_person(subject text, issuer text DEFAULT NULL) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN CASE WHEN subject ~ '^[0-9]{1,18}$' AND coalesce(issuer, healthhub.hub_id()::text) = healthhub.hub_id()::text
                     AND healthhub.key_hub(subject::bigint) = healthhub.hub_id()
                THEN subject::bigint END;
REVOKE ALL ON FUNCTION healthhub.subject_person(text, text) FROM PUBLIC;

-- What a code's layers hold, without verifying anything: for support staff.
-- Never raises on a bad code: the first layer that fails is named.
CREATE FUNCTION healthhub.decode_health_code(code text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'hh_decode_health_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.decode_health_code(text) IS
    'The layers of a health code (prefix, Base45, zlib, COSE headers, claims), without verifying; names the layer that fails';
-- (its claims name the subject: for support staff, not for every scanner)
REVOKE ALL ON FUNCTION healthhub.decode_health_code(text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.decode_health_code(text)', 'EXECUTE' FROM unnest(ARRAY['hub_admin', 'code_issuer']) pr;
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.health_code.  Template: the Makefile writes <area>/health_code_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (health_code_eq ... health_code_hash_extended, health_code_sortsupport) are declared in
-- the type's own file, <area>/health_code.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.health_code_ops
    DEFAULT FOR TYPE healthhub.health_code USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.health_code_cmp(healthhub.health_code, healthhub.health_code),
        FUNCTION 2 healthhub.health_code_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.health_code_hash_ops
    DEFAULT FOR TYPE healthhub.health_code USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.health_code_hash(healthhub.health_code),
        FUNCTION 2 healthhub.health_code_hash_extended(healthhub.health_code, bigint);
-- Keys (docs/health-codes.md, "Keys and the trust list").  This hub signs
-- with its own keys (healthhub.signing_keys: made in the database, the
-- private half readable by hub_admin only); codes are verified against the
-- trusted keys (healthhub.trusted_keys): this hub's own public keys, other
-- hubs' keys from their trust lists, and certificates of other issuers
-- (EU DCC document signers).  A key id (kid) is 8 bytes: the first 8 of
-- SHA-256 over the certificate's DER, or over the public key's
-- SubjectPublicKeyInfo DER for a bare key.  Kids may collide: verification
-- tries every key of a kid.

-- The signature algorithms, with their COSE numbers (SM2 has none: a
-- private-use number, documented).
CREATE TABLE healthhub.code_algorithms (
    alg         text PRIMARY KEY,
    cose_alg    integer NOT NULL UNIQUE,
    description text NOT NULL
);
INSERT INTO healthhub.code_algorithms VALUES
    ('EdDSA', -8, 'Ed25519 (RFC 8032): the default for new hub keys'),
    ('ES256', -7, 'ECDSA on P-256 with SHA-256: every EU DCC verifier supports it'),
    ('PS256', -37, 'RSASSA-PSS with SHA-256, MGF1 SHA-256, 32-byte salt: every EU DCC verifier supports it'),
    ('SM2', -65537, 'SM2 with SM3 (GB/T 32918, GB/T 32905), signer ID 1234567812345678; a private-use COSE number');
COMMENT ON TABLE healthhub.code_algorithms IS 'Signature algorithms of health codes and their COSE numbers';
GRANT SELECT ON healthhub.code_algorithms TO PUBLIC;

-- Key pairs in DER, and what a certificate says (src/healthcode/keys_sql.c).
CREATE FUNCTION healthhub.code_key_generate(alg text, OUT public_key bytea, OUT private_key bytea)
    AS 'MODULE_PATHNAME', 'hh_code_key_generate' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION healthhub.code_kid(der bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_kid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_kid(bytea) IS
    'The key id of a certificate or public key: the first 8 bytes of SHA-256 over its DER';
CREATE FUNCTION healthhub.code_certificate(certificate bytea, OUT public_key bytea, OUT not_before timestamptz,
                                           OUT not_after timestamptz, OUT key_usage text[])
    AS 'MODULE_PATHNAME', 'hh_code_certificate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_certificate(bytea) IS
    'An X.509 certificate''s public key (SubjectPublicKeyInfo DER), validity and extended key usage OIDs (NULL: none)';
CREATE FUNCTION healthhub.code_public_key_alg(public_key bytea) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_code_public_key_alg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_public_key_alg(bytea) IS
    'The algorithm a public key (SubjectPublicKeyInfo DER) signs with: EdDSA, ES256, PS256 or SM2';
REVOKE ALL ON FUNCTION healthhub.code_key_generate(text) FROM PUBLIC;

-- This hub's signing keys.  valid: when it signs (and when its codes
-- verify); retired: no longer trusted from then on.  The private key never
-- leaves the database except in a dump (docs/health-codes.md, "Private keys").
CREATE TABLE healthhub.signing_keys (
    kid         bytea PRIMARY KEY CHECK (octet_length(kid) = 8),
    alg         text NOT NULL REFERENCES healthhub.code_algorithms,
    public_key  bytea NOT NULL,
    private_key bytea NOT NULL,
    kinds       text[],             -- the kinds it may sign; NULL: every kind
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    retired_at  timestamptz,
    retired_reason text,
    -- (the clock, not the transaction's start: the newest key signs)
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    created_by  text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT signing_keys_retired_reason CHECK ((retired_at IS NULL) = (retired_reason IS NULL))
);
COMMENT ON TABLE healthhub.signing_keys IS
    'This hub''s health-code signing keys (private keys: hub_admin only), with validity and retirement';
SELECT pg_catalog.pg_extension_config_dump('healthhub.signing_keys', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.signing_keys
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('signing_key', 'kid', 'health code keys');

-- Imported trust lists of other hubs (trust_list_import): the newest of an
-- issuer replaces its previous one.
CREATE TABLE healthhub.trust_lists (
    list_id     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    issuer      text NOT NULL,
    sequence    bigint NOT NULL,         -- the list's number at its issuer: a newer list has a larger one
    signed_at   timestamptz NOT NULL,
    signer_kid  bytea NOT NULL,
    document    bytea NOT NULL,          -- as received (COSE_Sign1)
    imported_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    imported_by text NOT NULL DEFAULT healthhub.acting_role(),
    UNIQUE (issuer, sequence)
);
COMMENT ON TABLE healthhub.trust_lists IS 'Trust lists imported from other hubs (signed documents as received)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.trust_lists', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.trust_lists
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('trust_list', 'list_id', 'health code keys');

-- The keys codes are verified against.  issuer: the "iss" of the codes it
-- signs (a hub id; for a DCC certificate, the country or the name given).
-- key_usage: for a certificate its extended key usage OIDs, for a hub key
-- the kinds it signs; NULL: anything.
CREATE TABLE healthhub.trusted_keys (
    key_id      bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    issuer      text NOT NULL CHECK (btrim(issuer) <> '' AND length(issuer) <= 200),
    kid         bytea NOT NULL CHECK (octet_length(kid) = 8),
    alg         text NOT NULL REFERENCES healthhub.code_algorithms,
    public_key  bytea NOT NULL,
    certificate bytea,
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid)),
    key_usage   text[],
    origin      text NOT NULL CHECK (origin IN ('own', 'certificate', 'public_key', 'trust_list')),
    trust_list  bigint REFERENCES healthhub.trust_lists,
    retired_at  timestamptz,            -- no longer trusted from then on (retired, revoked, or left off a newer list)
    retired_reason text,
    -- who retired it: 'here' (retire_key at this hub) and 'issuer' (its
    -- trust list said so) stand, a later list can only make them earlier;
    -- 'left off' (missing from a newer list) ends when a list has it again
    retired_by  text CHECK (retired_by IN ('here', 'issuer', 'left off')),
    added_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    added_by    text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT trusted_keys_retired_reason CHECK ((retired_at IS NULL) = (retired_reason IS NULL)
                                                  AND (retired_at IS NULL) = (retired_by IS NULL)),
    CONSTRAINT trusted_keys_list CHECK ((origin = 'trust_list') = (trust_list IS NOT NULL)),
    UNIQUE (issuer, kid, public_key)
);
CREATE INDEX trusted_keys_kid ON healthhub.trusted_keys (kid);
COMMENT ON TABLE healthhub.trusted_keys IS
    'Keys health codes are verified against: own, certificates, bare public keys, other hubs'' trust lists';
SELECT pg_catalog.pg_extension_config_dump('healthhub.trusted_keys', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.trusted_keys
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('trusted_key', 'key_id', 'health code keys');

-- A new signing key of this hub, trusted at once (origin 'own').  The
-- default algorithm is Ed25519.
CREATE FUNCTION healthhub.create_signing_key(alg text DEFAULT 'EdDSA', kinds text[] DEFAULT NULL,
                                             valid tstzrange DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k record;
    new_kid bytea;
    hub bigint := healthhub.hub_id();
    -- (codes carry whole seconds: a key valid from the current second)
    period tstzrange := coalesce(valid, tstzrange(date_trunc('second', now()), NULL));
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.create_signing_key', ARRAY['alg'], ARRAY[alg IS NULL]);
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.code_algorithms a WHERE a.alg = create_signing_key.alg) THEN
        RAISE EXCEPTION 'unknown signature algorithm: %', quote_literal(alg)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The algorithms are EdDSA, ES256, PS256 and SM2.';
    END IF;
    PERFORM healthhub.require_code_kinds(kinds);
    IF isempty(period) OR lower_inf(period) THEN
        RAISE EXCEPTION 'invalid key validity: %', period
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A key is valid from a start time, open-ended or up to an end.';
    END IF;
    k := healthhub.code_key_generate(alg);
    new_kid := healthhub.code_kid(k.public_key);
    INSERT INTO healthhub.signing_keys (kid, alg, public_key, private_key, kinds, valid)
    VALUES (new_kid, alg, k.public_key, k.private_key, kinds, period);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, valid, key_usage, origin)
    VALUES (hub::text, new_kid, alg, k.public_key, period, kinds, 'own');
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.create_signing_key(text, text[], tstzrange) IS
    'Make a signing key of this hub (EdDSA by default), trusted at once; returns its kid';

-- The private half of a signing key (PKCS#8 DER), for hub_admin's backup
-- outside the database; each export is in the trail.
CREATE FUNCTION healthhub.export_signing_key(kid bytea) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    der bytea;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.export_signing_key', ARRAY['kid'], ARRAY[kid IS NULL]);
    SELECT s.private_key INTO der FROM healthhub.signing_keys s WHERE s.kid = export_signing_key.kid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no signing key %', encode(kid, 'hex') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (a read.* action: committed before the key is returned, whatever the
    -- caller's transaction does next)
    PERFORM healthhub.audit_append('read.signing_key', 'signing_key', encode(kid, 'hex'), NULL,
                                   'health code keys', 'ok');
    RETURN der;
END
$$;
COMMENT ON FUNCTION healthhub.export_signing_key(bytea) IS
    'The private half of this hub''s signing key (PKCS#8 DER), for a backup (hub_admin; recorded)';

-- Stop signing with a key from a time on; its codes verify until then
-- ("rotation": make the new key first).
CREATE FUNCTION healthhub.end_signing_key(kid bytea, "at" timestamptz DEFAULT pg_catalog.now()) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.end_signing_key', ARRAY['kid', 'at'], ARRAY[kid IS NULL, "at" IS NULL]);
    UPDATE healthhub.signing_keys s SET valid = tstzrange(lower(s.valid), greatest(lower(s.valid), "at"))
     WHERE s.kid = end_signing_key.kid AND s.valid @> "at";
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no signing key % valid at %', encode(kid, 'hex'), "at"
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (and this hub trusts it no longer for codes signed from then on)
    UPDATE healthhub.trusted_keys t SET valid = tstzrange(lower(t.valid), greatest(lower(t.valid), "at"))
     WHERE t.kid = end_signing_key.kid AND t.origin = 'own' AND t.valid @> "at";
END
$$;

-- Retire a key: from "at" on, no code signed with it verifies (a stolen
-- key: revoke).  For this hub's keys, and for any trusted key by its id.
CREATE FUNCTION healthhub.retire_key(kid bytea, reason text, "at" timestamptz DEFAULT pg_catalog.now(),
                                    issuer text DEFAULT NULL) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.retire_key', ARRAY['kid', 'reason', 'at'],
                                        ARRAY[kid IS NULL, reason IS NULL, "at" IS NULL]);
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'retiring a key needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (a key retired later may be retired earlier, never later)
    UPDATE healthhub.signing_keys s SET retired_at = "at", retired_reason = reason
     WHERE s.kid = retire_key.kid AND (s.retired_at IS NULL OR s.retired_at > "at")
       AND (retire_key.issuer IS NULL OR retire_key.issuer = healthhub.hub_id()::text);
    UPDATE healthhub.trusted_keys t SET retired_at = "at", retired_reason = reason, retired_by = 'here'
     WHERE t.kid = retire_key.kid AND (t.retired_at IS NULL OR t.retired_at > "at")
       AND (retire_key.issuer IS NULL OR t.issuer = retire_key.issuer);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE EXCEPTION 'no trusted key % to retire', encode(kid, 'hex')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'No key of that kid is trusted and not retired by then' ||
                           CASE WHEN issuer IS NOT NULL THEN format(' for issuer %s.', issuer) ELSE '.' END;
    END IF;
    RETURN n;
END
$$;

-- Trust another issuer's key: an X.509 certificate (DER), its kid the first
-- 8 bytes of SHA-256 of the DER, its validity and extended key usage
-- kept; or a bare public key (SubjectPublicKeyInfo DER) with a validity.
CREATE FUNCTION healthhub.trust_certificate(issuer text, certificate bytea) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
    new_kid bytea;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.trust_certificate', ARRAY['issuer', 'certificate'],
                                        ARRAY[issuer IS NULL, certificate IS NULL]);
    c := healthhub.code_certificate(certificate);
    new_kid := healthhub.code_kid(certificate);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, certificate, valid, key_usage, origin)
    VALUES (btrim(issuer), new_kid, healthhub.code_public_key_alg(c.public_key), c.public_key, certificate,
            tstzrange(c.not_before, c.not_after, '[]'), c.key_usage, 'certificate')
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO NOTHING;
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.trust_certificate(text, bytea) IS
    'Trust an issuer''s X.509 signer certificate (DER): key, validity, extended key usage; returns its kid';

CREATE FUNCTION healthhub.trust_public_key(issuer text, public_key bytea, valid tstzrange,
                                           kinds text[] DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_kid bytea := healthhub.code_kid(public_key);
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.trust_public_key', ARRAY['issuer', 'public_key', 'valid'],
                                        ARRAY[issuer IS NULL, public_key IS NULL, valid IS NULL]);
    PERFORM healthhub.require_code_kinds(kinds);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, valid, key_usage, origin)
    VALUES (btrim(issuer), new_kid, healthhub.code_public_key_alg(public_key), public_key, valid, kinds, 'public_key')
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO NOTHING;
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.trust_public_key(text, bytea, tstzrange, text[]) IS
    'Trust another hub''s bare public key (SubjectPublicKeyInfo DER) for a period (and kinds); returns its kid';

-- Keys are hub_admin's.
CREATE FUNCTION healthhub.require_code_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % may not manage health code keys', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Health code keys are hub_admin''s.';
    END IF;
END
$$;

-- The acting role may act for codes: the issuing service or hub_admin.
CREATE FUNCTION healthhub.require_code_service() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (healthhub.acting_role_is_admin()
            OR EXISTS (SELECT 1 FROM healthhub.effective_profiles(healthhub.acting_role()) ep
                        WHERE ep.profile = 'code_issuer')) THEN
        RAISE EXCEPTION 'role % may not act for health codes', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Codes are the code_issuer service''s and hub_admin''s.';
    END IF;
END
$$;

-- A kind of code, or 22023 for one that is not in health_code_kinds.
CREATE FUNCTION healthhub.code_kind(kind text) RETURNS healthhub.health_code_kinds
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    SELECT * INTO k FROM healthhub.health_code_kinds c WHERE c.kind = code_kind.kind;
    IF NOT FOUND THEN
        PERFORM healthhub.require_code_kinds(ARRAY[kind]);
    END IF;
    RETURN k;
END
$$;

CREATE FUNCTION healthhub.require_code_kinds(kinds text[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unknown text := (SELECT string_agg(coalesce(k, 'NULL'), ', ') FROM unnest(kinds) k
                      WHERE k IS NULL OR k NOT IN (SELECT c.kind FROM healthhub.health_code_kinds c));
BEGIN
    IF unknown IS NOT NULL OR cardinality(kinds) = 0 THEN
        RAISE EXCEPTION 'unknown kind of health code: %', coalesce(unknown, 'none given')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The kinds are listed in healthhub.health_code_kinds.';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION healthhub.create_signing_key(text, text[], tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_signing_key(bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.export_signing_key(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.retire_key(bytea, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.trust_certificate(text, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.trust_public_key(text, bytea, tstzrange, text[]) FROM PUBLIC;

-- (the catalogue of algorithms is shipped; the keys are recorded row by row)
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.code_algorithms', 'catalogue', 'shipped signature algorithms');

-- hub_admin manages the keys; the private halves it reads in dumps only
-- (no profile selects signing_keys.private_key)
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.create_signing_key(text, text[], tstzrange)',
                    'healthhub.end_signing_key(bytea, timestamptz)',
                    'healthhub.export_signing_key(bytea)',
                    'healthhub.retire_key(bytea, text, timestamptz, text)',
                    'healthhub.trust_certificate(text, bytea)',
                    'healthhub.trust_public_key(text, bytea, tstzrange, text[])']) f
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.trusted_keys', 'healthhub.trust_lists']) t
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.signing_keys', 'SELECT (kid, alg, public_key, kinds, valid, retired_at, retired_reason, created_at, created_by)';
-- Verifying health codes (docs/health-codes.md, "Verification"): offline,
-- against the trusted keys alone.  The C verifier (src/healthcode/verify.c)
-- decodes and checks signatures; the table work is here.

-- Revoked codes, by the first 16 bytes of SHA-256 over the code's
-- signature (as EU DCC revocation lists name a certificate), and every code
-- of a subject (a person key, a health card id, a DCC's subject) of an
-- issuer from a time on.
CREATE TABLE healthhub.revoked_codes (
    code_hash   bytea PRIMARY KEY CHECK (octet_length(code_hash) = 16),
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    revoked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_by  text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.revoked_codes IS 'Revoked health codes, by a hash of their signature';
SELECT pg_catalog.pg_extension_config_dump('healthhub.revoked_codes', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.revoked_codes
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('revoked_code', 'code_hash', 'health code revocation');

CREATE TABLE healthhub.revoked_subjects (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    revoked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_by  text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (issuer, subject)
);
COMMENT ON TABLE healthhub.revoked_subjects IS 'Subjects every code of whom an issuer revoked, from a time on';
SELECT pg_catalog.pg_extension_config_dump('healthhub.revoked_subjects', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.revoked_subjects
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('revoked_subject', 'issuer,subject', 'health code revocation');

-- The last dynamic code accepted per subject and kind: an older one is a
-- replay.  (Written by every verification of a dynamic code.)
CREATE TABLE healthhub.dynamic_code_state (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    kind        text NOT NULL,
    last_seq    bigint NOT NULL,
    last_issued timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject, kind)
);
COMMENT ON TABLE healthhub.dynamic_code_state IS
    'The last dynamic health code accepted per issuer, subject and kind (replay: an older one is refused)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.dynamic_code_state', '');

-- The first 16 bytes of SHA-256 over a code's signature.
CREATE FUNCTION healthhub.code_hash(code healthhub.health_code) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_hash(healthhub.health_code) IS
    'A code''s revocation hash: the first 16 bytes of SHA-256 over its signature';

-- The trusted keys of a kid, with what the verifier needs of each in one
-- query: retired at "at"; valid when the code was signed (its iat, else
-- "at"); whether the code's kind is dynamic (only then is replay checked);
-- whether the code, or every code of its subject from that key's issuer,
-- is revoked at "at"; and where the key comes from (an EU DCC verifies with
-- a certificate only, a healthhub code with a hub's key only).
CREATE FUNCTION healthhub.code_keys_of(kid bytea, signed_at timestamptz, "at" timestamptz, kind text,
                                       code_hash bytea, subject text)
    RETURNS TABLE (issuer text, alg text, public_key bytea, retired boolean, valid_then boolean, key_usage text[],
                   dynamic boolean, revocation text, origin text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT t.issuer, t.alg, t.public_key, coalesce(t.retired_at <= code_keys_of."at", false),
           t.valid @> code_keys_of.signed_at, t.key_usage,
           coalesce((SELECT k.dynamic FROM healthhub.health_code_kinds k WHERE k.kind = code_keys_of.kind), false),
           CASE WHEN EXISTS (SELECT 1 FROM healthhub.revoked_codes r
                              WHERE r.code_hash = code_keys_of.code_hash AND r.revoked_at <= code_keys_of."at")
                THEN 'revoked code'
                WHEN EXISTS (SELECT 1 FROM healthhub.revoked_subjects r
                              WHERE r.issuer = t.issuer AND r.subject = code_keys_of.subject
                                AND r.revoked_at <= code_keys_of."at")
                THEN 'revoked subject' END,
           t.origin
      FROM healthhub.trusted_keys t
     WHERE t.kid = code_keys_of.kid
     ORDER BY t.retired_at IS NOT NULL, t.key_id;
END;

-- Whether a dynamic code is older than the last accepted for its subject
-- (the sequence number first, then the issue time); accepting it records
-- it.  (The verifier calls it for dynamic kinds only.)
CREATE FUNCTION healthhub.code_replayed(issuer text, subject text, kind text, seq bigint, issued timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    accepted boolean;
BEGIN
    -- (a read-only transaction, or a standby, compares without recording)
    IF current_setting('transaction_read_only')::boolean THEN
        RETURN EXISTS (SELECT 1 FROM healthhub.dynamic_code_state s
                        WHERE s.issuer = code_replayed.issuer AND s.subject = code_replayed.subject
                          AND s.kind = code_replayed.kind
                          AND (code_replayed.seq, code_replayed.issued) < (s.last_seq, s.last_issued));
    END IF;
    INSERT INTO healthhub.dynamic_code_state AS s (issuer, subject, kind, last_seq, last_issued)
    VALUES (code_replayed.issuer, code_replayed.subject, code_replayed.kind, code_replayed.seq, code_replayed.issued)
    ON CONFLICT ON CONSTRAINT dynamic_code_state_pkey DO UPDATE
       SET last_seq = EXCLUDED.last_seq, last_issued = EXCLUDED.last_issued
     WHERE (EXCLUDED.last_seq, EXCLUDED.last_issued) >= (s.last_seq, s.last_issued)
    RETURNING true INTO accepted;
    RETURN accepted IS NULL;
END
$$;

-- Verify a code at a time (docs/health-codes.md): valid, or one reason of
-- bad prefix, bad encoding, bad compression, bad structure, unknown key,
-- retired key, key not valid at that time, key usage does not allow this
-- kind, bad signature, not yet valid, expired, revoked code, revoked
-- subject, replayed.  Never raises on a bad code.  By default at the clock,
-- not at the transaction's start: a verification in a transaction begun
-- before a revocation or a key retirement committed must still see it
-- (specs/healthcode_revocation.spec).
CREATE FUNCTION healthhub.verify_health_code(code text, "at" timestamptz DEFAULT pg_catalog.clock_timestamp(),
    OUT valid boolean, OUT reason text, OUT issuer text, OUT kid bytea, OUT algorithm text, OUT subject text,
    OUT kind text, OUT status text, OUT issued_at timestamptz, OUT expires_at timestamptz, OUT claims jsonb)
    AS 'MODULE_PATHNAME', 'hh_verify_health_code' LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION healthhub.verify_health_code(text, timestamptz) IS
    'Verify a health code (HH1: or an EU DCC, HC1:) at a time: valid, the reason if not, and what it says';

-- Revoke one code (by its hash), or every code of a subject.
CREATE FUNCTION healthhub.revoke_health_code(code healthhub.health_code, reason text) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h bytea := healthhub.code_hash(code);
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.revoke_health_code', ARRAY['code', 'reason'],
                                        ARRAY[code IS NULL, reason IS NULL]);
    INSERT INTO healthhub.revoked_codes (code_hash, reason) VALUES (h, reason) ON CONFLICT DO NOTHING;
    RETURN h;
END
$$;

CREATE FUNCTION healthhub.revoke_subject_codes(issuer text, subject text, reason text,
                                               "at" timestamptz DEFAULT pg_catalog.now()) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.revoke_subject_codes', ARRAY['issuer', 'subject', 'reason', 'at'],
                                        ARRAY[issuer IS NULL, subject IS NULL, reason IS NULL, "at" IS NULL]);
    INSERT INTO healthhub.revoked_subjects (issuer, subject, reason, revoked_at)
    VALUES (issuer, subject, reason, "at")
    ON CONFLICT ON CONSTRAINT revoked_subjects_pkey DO UPDATE
       SET revoked_at = least(revoked_subjects.revoked_at, EXCLUDED.revoked_at);
END
$$;

REVOKE ALL ON FUNCTION healthhub.verify_health_code(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_health_code(healthhub.health_code, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_subject_codes(text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.code_replayed(text, text, text, bigint, timestamptz) FROM PUBLIC;

INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.dynamic_code_state', 'derived', 'the last dynamic code accepted, written by verify_health_code');

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.verify_health_code(text, timestamptz)', 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'code_issuer', 'institution_app', 'clinician', 'pharmacist']) pr
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.revoke_health_code(healthhub.health_code, text)',
                    'healthhub.revoke_subject_codes(text, text, text, timestamptz)']) f
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.revoked_codes', 'healthhub.revoked_subjects']) t;
-- Issuing health codes (docs/health-codes.md, "Issuing"): the issuing
-- service (profile code_issuer) or hub_admin asks for a code of a kind for
-- a subject; the hub signs it with its newest signing key valid now for
-- that kind.  Issuing writes the trail (health_code.issue, the code's
-- revocation hash as object id, the subject's person key): never the code.

-- The hub numbers each subject's dynamic codes: every app that shows them
-- (the person's own phone, a proxy holder's) gets a newer one than the
-- last, so a verifier's replay check holds across devices, and no caller
-- can issue a number so high that the subject's later codes are replays.
CREATE TABLE healthhub.code_sequences (
    subject     text NOT NULL,
    kind        text NOT NULL REFERENCES healthhub.health_code_kinds ON DELETE CASCADE,
    person_key  bigint,     -- the subject's person key, when it is one of this hub's
    last_seq    bigint NOT NULL CHECK (last_seq > 0),
    PRIMARY KEY (subject, kind)
);
COMMENT ON TABLE healthhub.code_sequences IS
    'The sequence number of the last dynamic health code this hub issued per subject and kind';
-- (a restored hub must not number codes from 1 again: they would be replays)
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_sequences', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.code_sequences', 'derived', 'the last sequence number issued, written by issue_health_code');

CREATE FUNCTION healthhub.code_sign(private_key bytea, alg text, kid bytea, iss text, sub text, iat timestamptz,
                                    exp timestamptz, kind text, status text, seq bigint) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_code_sign' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION healthhub.code_sign(bytea, text, bytea, text, text, timestamptz, timestamptz, text, text, bigint)
    FROM PUBLIC;

CREATE FUNCTION healthhub.issue_health_code(subject text, kind text, status text DEFAULT NULL)
    RETURNS healthhub.health_code
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
    key healthhub.signing_keys;
    code healthhub.health_code;
    seq bigint;
    -- (the clock, not the transaction's start; a code's times are whole seconds)
    issued timestamptz := date_trunc('second', clock_timestamp());
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.issue_health_code', ARRAY['subject', 'kind'],
                                        ARRAY[subject IS NULL, kind IS NULL]);
    IF btrim(subject) = '' OR length(subject) > 100 THEN
        RAISE EXCEPTION 'invalid subject: %', quote_literal(subject)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A subject is a person key or a health card id, 1 to 100 characters.';
    END IF;
    k := healthhub.code_kind(kind);
    IF (k.statuses IS NULL) <> (status IS NULL) OR NOT (status IS NULL OR status = ANY (k.statuses)) THEN
        RAISE EXCEPTION 'invalid status % for a code of kind %', coalesce(quote_literal(status), 'NULL'), kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN k.statuses IS NULL THEN 'A code of this kind has no status.'
                                ELSE format('The statuses are %s.', array_to_string(k.statuses, ', ')) END;
    END IF;
    -- the newest key valid now for the kind; a retirement waits for this
    -- transaction (and an issue after it sees the key retired).  Retired by
    -- the clock, not by this transaction's start: a retirement that began
    -- after this transaction did has a retired_at later than now(), and its
    -- key signed codes refused as soon as they were issued
    -- (specs/healthcode_key_retirement.spec).
    SELECT * INTO key FROM healthhub.signing_keys s
     WHERE s.valid @> issued AND (s.retired_at IS NULL OR s.retired_at > clock_timestamp())
       AND (s.kinds IS NULL OR issue_health_code.kind = ANY (s.kinds))
     ORDER BY lower(s.valid) DESC, s.created_at DESC
     LIMIT 1
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this hub has no signing key for codes of kind %', kind
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A hub_admin makes one with healthhub.create_signing_key().';
    END IF;
    IF k.dynamic THEN
        INSERT INTO healthhub.code_sequences AS s (subject, kind, person_key, last_seq)
        VALUES (btrim(subject), k.kind, healthhub.subject_person(btrim(subject)), 1)
        ON CONFLICT ON CONSTRAINT code_sequences_pkey DO UPDATE SET last_seq = s.last_seq + 1
        RETURNING s.last_seq INTO seq;
    END IF;
    code := healthhub.code_sign(key.private_key, key.alg, key.kid, healthhub.hub_id()::text, btrim(subject), issued,
                                issued + k.lifetime, kind, status, seq)::healthhub.health_code;
    -- (a read.* action: committed before the code is returned, so no code
    -- leaves untraced, whatever the caller's transaction does next)
    PERFORM healthhub.audit_append('read.health_code.issue', 'health_code', encode(healthhub.code_hash(code), 'hex'),
                                   healthhub.subject_person(btrim(subject)),
                                   'health code issuance', 'ok');
    RETURN code;
END
$$;
COMMENT ON FUNCTION healthhub.issue_health_code(text, text, text) IS
    'Issue a signed health code of a kind (with its status; dynamic codes numbered by the hub) for a subject';
REVOKE ALL ON FUNCTION healthhub.issue_health_code(text, text, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'code_issuer', 'function', 'healthhub.issue_health_code(text, text, text)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.issue_health_code(text, text, text)', 'EXECUTE';
-- Trust lists between hubs (docs/health-codes.md, "Trust lists"): a hub
-- exports its signing keys (public halves, validity, kinds, retirement) as a
-- JSON document signed with its newest signing key (a COSE_Sign1); another
-- hub imports it, verified against a key of that issuer it trusted
-- beforehand (trust_public_key, or an earlier list).  The newest list of an
-- issuer replaces its previous one: a key missing from it is no longer
-- trusted (the EU DCC rule).

CREATE FUNCTION healthhub.code_document_sign(private_key bytea, alg text, kid bytea, payload bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_document_sign' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION healthhub.code_document_sign(bytea, text, bytea, bytea) FROM PUBLIC;
CREATE FUNCTION healthhub.code_document_open(document bytea, OUT kid bytea, OUT alg text, OUT payload bytea)
    AS 'MODULE_PATHNAME', 'hh_code_document_open' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_document_open(bytea) IS
    'A signed document''s (COSE_Sign1) key id, algorithm and payload, without verifying it';
CREATE FUNCTION healthhub.code_document_verify(document bytea, public_key bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_code_document_verify' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_document_verify(bytea, bytea) IS
    'Whether a public key (SubjectPublicKeyInfo DER) signed a document (COSE_Sign1)';

-- This hub's keys as a signed document.  Its sequence number grows with
-- every export (microseconds since 1970), so a newer list wins.
CREATE FUNCTION healthhub.export_trust_list() RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    hub bigint := healthhub.hub_id();
    signer healthhub.signing_keys;
    seq bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    list jsonb;
BEGIN
    PERFORM healthhub.require_code_admin();
    SELECT * INTO signer FROM healthhub.signing_keys s
     WHERE s.valid @> clock_timestamp() AND (s.retired_at IS NULL OR s.retired_at > clock_timestamp())
     ORDER BY lower(s.valid) DESC, s.created_at DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this hub has no signing key valid now to sign its trust list'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A hub_admin makes one with healthhub.create_signing_key().';
    END IF;
    SELECT jsonb_build_object('issuer', hub::text, 'sequence', seq, 'signed_at', now(),
               'keys', jsonb_agg(jsonb_build_object(
                   'kid', encode(s.kid, 'hex'), 'alg', s.alg, 'public_key', encode(s.public_key, 'base64'),
                   'valid_from', lower(s.valid), 'valid_to', upper(s.valid), 'kinds', s.kinds, 'retired_at', s.retired_at,
                   'retired_reason', s.retired_reason) ORDER BY s.kid))
      INTO list FROM healthhub.signing_keys s;
    PERFORM healthhub.audit_append('trust_list.export', 'trust_list', seq::text, NULL, 'health code keys', 'ok');
    RETURN healthhub.code_document_sign(signer.private_key, signer.alg, signer.kid, convert_to(list::text, 'UTF8'));
END
$$;
COMMENT ON FUNCTION healthhub.export_trust_list() IS
    'This hub''s signing keys (public halves) as a trust list signed with its newest key, for other hubs to import';

CREATE FUNCTION healthhub.require_trust_list(ok boolean, problem text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION 'trust list refused' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem;
    END IF;
END
$$;

-- (Times are the clock's, not the transaction's start, as in issuing and
-- verifying: a key retired while this transaction ran is retired.)
-- Import another hub's trust list; returns how many keys of that issuer
-- are trusted after it.
CREATE FUNCTION healthhub.import_trust_list(document bytea) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    signer healthhub.trusted_keys;
    list jsonb;
    list_issuer text;
    seq bigint;
    lid bigint;
    n integer;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.import_trust_list', ARRAY['document'], ARRAY[document IS NULL]);
    d := healthhub.code_document_open(document);
    SELECT * INTO signer FROM healthhub.trusted_keys t
     WHERE t.kid = d.kid AND t.valid @> clock_timestamp() AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp())
       AND healthhub.code_document_verify(document, t.public_key)
     ORDER BY t.key_id LIMIT 1;
    PERFORM healthhub.require_trust_list(FOUND,
        format('No key trusted now signed it (key id %s): trust the issuer''s key first (trust_public_key).',
               encode(d.kid, 'hex')));
    BEGIN
        list := convert_from(d.payload, 'UTF8')::jsonb;
    EXCEPTION WHEN data_exception THEN
        PERFORM healthhub.require_trust_list(false, 'Its payload is not a JSON document.');
    END;
    list_issuer := list->>'issuer';
    PERFORM healthhub.require_trust_list(list_issuer = signer.issuer,
        format('It lists the keys of %s but is signed by a key of %s.', coalesce(list_issuer, 'nobody'), signer.issuer));
    PERFORM healthhub.require_trust_list(list_issuer <> healthhub.hub_id()::text, 'It is this hub''s own list.');
    PERFORM healthhub.require_trust_list(jsonb_typeof(list->'keys') = 'array' AND jsonb_typeof(list->'sequence') = 'number',
        'A trust list has an issuer, a sequence number and an array of keys.');
    seq := (list->>'sequence')::bigint;
    PERFORM healthhub.require_trust_list(
        seq > coalesce((SELECT max(l.sequence) FROM healthhub.trust_lists l WHERE l.issuer = list_issuer), -1),
        format('A list of %s as new or newer was imported already (sequence %s).', list_issuer, seq));
    PERFORM healthhub.require_trust_list(
        NOT EXISTS (SELECT 1 FROM jsonb_array_elements(list->'keys') k
                     WHERE healthhub.code_kid(decode(k->>'public_key', 'base64')) <> decode(k->>'kid', 'hex')),
        'A key''s id is not the first 8 bytes of SHA-256 of its public key.');
    INSERT INTO healthhub.trust_lists (issuer, sequence, signed_at, signer_kid, document)
    VALUES (list_issuer, seq, (list->>'signed_at')::timestamptz, d.kid, document)
    RETURNING list_id INTO lid;
    INSERT INTO healthhub.trusted_keys AS t (issuer, kid, alg, public_key, valid, key_usage, origin, trust_list,
                                             retired_at, retired_reason, retired_by)
    SELECT list_issuer, decode(k->>'kid', 'hex'), k->>'alg', decode(k->>'public_key', 'base64'),
           tstzrange((k->>'valid_from')::timestamptz, (k->>'valid_to')::timestamptz),
           -- (kinds: JSON null is "every kind")
           CASE WHEN jsonb_typeof(k->'kinds') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(k->'kinds')) END,
           'trust_list', lid, (k->>'retired_at')::timestamptz, k->>'retired_reason',
           CASE WHEN k->>'retired_at' IS NOT NULL THEN 'issuer' END
      FROM jsonb_array_elements(list->'keys') k
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO UPDATE
       SET alg = EXCLUDED.alg, valid = EXCLUDED.valid, key_usage = EXCLUDED.key_usage, origin = 'trust_list',
           trust_list = EXCLUDED.trust_list,
           -- a retirement stands (the earlier of the two wins: no list undoes or
           -- postpones one, whoever holds the issuer's key); a key an earlier
           -- list left off is trusted again when listed again
           (retired_at, retired_reason, retired_by) =
               (SELECT r.* FROM (VALUES (t.retired_at, t.retired_reason, t.retired_by),
                                        (EXCLUDED.retired_at, EXCLUDED.retired_reason, EXCLUDED.retired_by))
                                r (retired_at, retired_reason, retired_by)
                 WHERE r.retired_by IS DISTINCT FROM 'left off'
                 ORDER BY r.retired_at NULLS LAST LIMIT 1);
    -- the DCC rule: a key left off the newest list is no longer trusted
    UPDATE healthhub.trusted_keys t SET retired_at = clock_timestamp(), retired_reason = format('not on trust list %s', seq),
                                       retired_by = 'left off'
     WHERE t.issuer = list_issuer AND t.trust_list IS DISTINCT FROM lid AND t.origin IN ('trust_list', 'public_key')
       AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    PERFORM healthhub.audit_append('trust_list.import', 'trust_list', lid::text, NULL, 'health code keys', 'ok');
    SELECT count(*) INTO n FROM healthhub.trusted_keys t
     WHERE t.issuer = list_issuer AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.import_trust_list(bytea) IS
    'Import another hub''s trust list, verified against a key of that hub trusted beforehand; it replaces the previous one';

REVOKE ALL ON FUNCTION healthhub.export_trust_list() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.import_trust_list(bytea) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.export_trust_list()', 'healthhub.import_trust_list(bytea)']) f;
-- The checking policy as data (docs/health-codes.md, "Where codes are
-- checked"): risk levels of regions over time, categories of places with
-- the levels at which they must check, and the places themselves.  "In
-- low-risk areas codes are generally not checked, except at special
-- places" (the national rules of December 2022 kept checks at elderly
-- care, welfare homes, medical institutions, child care and schools;
-- localities may add government bodies and large enterprises): shipped as
-- rows a region changes, not as constants.

-- A region's risk level over a period; a region without one has its
-- parent's (a county its prefecture's, a prefecture its province's), and
-- low when none is set.
CREATE TABLE healthhub.region_risk_levels (
    risk_key    bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    region      healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    level       text NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    period      tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    reason      text,
    set_by      text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT region_risk_levels_no_overlap EXCLUDE USING gist
        (int4range(region::integer, region::integer, '[]') WITH =, period WITH &&)
);
COMMENT ON TABLE healthhub.region_risk_levels IS 'Risk levels of regions over time (low, medium, high); unset: the parent''s, else low';
SELECT pg_catalog.pg_extension_config_dump('healthhub.region_risk_levels', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.region_risk_levels
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('region_risk_level', 'risk_key', 'health code policy');

CREATE TABLE healthhub.place_categories (
    category      text PRIMARY KEY CHECK (category ~ '^[a-z][a-z0-9_]{0,39}$'),
    must_check_at text[] NOT NULL CHECK (must_check_at <@ ARRAY['low', 'medium', 'high']),
    description   text NOT NULL,
    origin        text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'local'))
);
COMMENT ON TABLE healthhub.place_categories IS 'Kinds of place, and the risk levels at which they must check codes';
SELECT pg_catalog.pg_extension_config_dump('healthhub.place_categories', 'WHERE origin = ''local''');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.place_categories
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('category');
INSERT INTO healthhub.place_categories VALUES
    ('elderly_care', '{low,medium,high}', 'elderly care homes (养老机构)', 'shipped'),
    ('welfare_home', '{low,medium,high}', 'welfare homes (福利院)', 'shipped'),
    ('medical_institution', '{low,medium,high}', 'medical institutions (医疗机构)', 'shipped'),
    ('child_care', '{low,medium,high}', 'child care (托幼机构)', 'shipped'),
    ('school', '{low,medium,high}', 'primary and secondary schools (中小学)', 'shipped'),
    ('government_body', '{medium,high}', 'important government bodies: checking at low risk is a local decision', 'shipped'),
    ('large_enterprise', '{medium,high}', 'large enterprises: checking at low risk is a local decision', 'shipped'),
    ('public_place', '{medium,high}', 'other public places: not checked at low risk', 'shipped');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.place_categories
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('place_category', 'category', 'health code policy');

-- The places that check codes (a hospital's entrance, a school, a station).
CREATE TABLE healthhub.check_places (
    place_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    category        text NOT NULL REFERENCES healthhub.place_categories,
    region          healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    institution_key bigint REFERENCES healthhub.institutions
);
COMMENT ON TABLE healthhub.check_places IS 'Places where codes are checked, with their category and region';
SELECT pg_catalog.pg_extension_config_dump('healthhub.check_places', '');
CREATE UNIQUE INDEX check_places_replica_identity ON healthhub.check_places (place_key, hub_id);
ALTER TABLE healthhub.check_places REPLICA IDENTITY USING INDEX check_places_replica_identity;
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.check_places
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('check_place', 'place_key', 'health code policy');

-- A region's risk level at a time: its own, else its nearest ancestor's,
-- else low.
CREATE FUNCTION healthhub.region_risk_level(region healthhub.region_code, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS text
    LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH RECURSIVE up(code, depth) AS (
        SELECT region_risk_level.region, 0
        UNION ALL
        SELECT healthhub.region_code_parent(u.code), u.depth + 1 FROM up u
         WHERE healthhub.region_code_parent(u.code) IS NOT NULL AND u.depth < 3
    )
    SELECT coalesce((SELECT r.level FROM up u
                       JOIN healthhub.region_risk_levels r ON r.region OPERATOR(healthhub.=) u.code
                                                          AND r.period @> region_risk_level."at"
                      ORDER BY u.depth LIMIT 1), 'low');
END;
COMMENT ON FUNCTION healthhub.region_risk_level(healthhub.region_code, timestamptz) IS
    'A region''s risk level at a time: its own, else its nearest ancestor''s, else low';

-- Whether a place of a category in a region must check codes at a time.
CREATE FUNCTION healthhub.must_check(place_category text, region healthhub.region_code,
                                     "at" timestamptz DEFAULT pg_catalog.now()) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    levels text[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.must_check', ARRAY['place_category', 'region', 'at'],
                                        ARRAY[place_category IS NULL, region IS NULL, "at" IS NULL]);
    SELECT c.must_check_at INTO levels FROM healthhub.place_categories c WHERE c.category = place_category;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown place category: %', quote_literal(place_category)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The categories are listed in healthhub.place_categories.';
    END IF;
    RETURN healthhub.region_risk_level(region, "at") = ANY (levels);
END
$$;
COMMENT ON FUNCTION healthhub.must_check(text, healthhub.region_code, timestamptz) IS
    'Whether places of a category in a region must check health codes at a time (by the region''s risk level)';

-- Set a region's risk level from a time on (ending the one in force).
CREATE FUNCTION healthhub.set_region_risk(region healthhub.region_code, level text, reason text,
                                          "from" timestamptz DEFAULT pg_catalog.now()) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k bigint;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.set_region_risk', ARRAY['region', 'level', 'reason', 'from'],
                                        ARRAY[region IS NULL, level IS NULL, reason IS NULL, "from" IS NULL]);
    IF level NOT IN ('low', 'medium', 'high') THEN
        RAISE EXCEPTION 'invalid risk level: %', quote_literal(level)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The levels are low, medium and high.';
    END IF;
    UPDATE healthhub.region_risk_levels r SET period = tstzrange(lower(r.period), "from")
     WHERE r.region OPERATOR(healthhub.=) set_region_risk.region AND r.period @> "from" AND lower(r.period) < "from";
    DELETE FROM healthhub.region_risk_levels r
     WHERE r.region OPERATOR(healthhub.=) set_region_risk.region AND lower(r.period) >= "from";
    INSERT INTO healthhub.region_risk_levels (region, level, period, reason)
    VALUES (region, level, tstzrange("from", NULL), reason)
    RETURNING risk_key INTO k;
    RETURN k;
END
$$;
COMMENT ON FUNCTION healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz) IS
    'Set a region''s risk level (low, medium, high) from a time on';

REVOKE ALL ON FUNCTION healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz) FROM PUBLIC;
GRANT SELECT ON healthhub.region_risk_levels, healthhub.place_categories TO PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', 'healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.check_places', 'SELECT, INSERT, UPDATE, DELETE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.place_categories', 'SELECT, INSERT, UPDATE, DELETE';
-- Checking codes at a place (docs/health-codes.md, "Checking at a
-- place"): a verifier is a role bound to one place.  It learns whether a
-- code is valid, its kind and status and a masked name, never the person
-- key or other personal data; every check writes the trail with minimal
-- data (verifier, place, result, the subject's person key), never the code.
-- People without a phone: their code is presented by a bound holder
-- (holders.sql), or their ID card is read (check_id_card).

INSERT INTO healthhub.profiles VALUES
    ('verifier', false, 'a checking place''s scanner: verifies codes at its one place (healthhub.bind_verifier)');

CREATE TABLE healthhub.verifier_places (
    role        regrole PRIMARY KEY,
    place_key   bigint NOT NULL REFERENCES healthhub.check_places,
    bound_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    bound_by    text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.verifier_places IS 'The place each verifier role checks codes at';
SELECT pg_catalog.pg_extension_config_dump('healthhub.verifier_places', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.verifier_places
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('verifier_place', 'role', 'health code policy');

-- Make a role the verifier of a place (the profile and the binding).
CREATE FUNCTION healthhub.bind_verifier(role regrole, place bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.bind_verifier', ARRAY['role', 'place'], ARRAY[role IS NULL, place IS NULL]);
    IF NOT EXISTS (SELECT 1 FROM healthhub.check_places p WHERE p.place_key = place) THEN
        RAISE EXCEPTION 'unknown place %', place USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.grant_profile(role, 'verifier');
    INSERT INTO healthhub.verifier_places AS v (role, place_key) VALUES (role, place)
    ON CONFLICT ON CONSTRAINT verifier_places_pkey DO UPDATE SET place_key = EXCLUDED.place_key, bound_at = now();
END
$$;
COMMENT ON FUNCTION healthhub.bind_verifier(regrole, bigint) IS 'Make a role the verifier (scanner) of one place';

-- The place the acting role checks at; 42501 for a role that is no verifier.
CREATE FUNCTION healthhub.verifier_place() RETURNS healthhub.check_places
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places;
BEGIN
    SELECT c.* INTO p FROM healthhub.verifier_places v JOIN healthhub.check_places c ON c.place_key = v.place_key
     WHERE v.role = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role())
       AND EXISTS (SELECT 1 FROM healthhub.effective_profiles(healthhub.acting_role()) ep WHERE ep.profile = 'verifier');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % checks codes at no place', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', HINT = 'A hub_admin binds it to its place: healthhub.bind_verifier(role, place).';
    END IF;
    RETURN p;
END
$$;

-- What a place learns of a subject: a masked name, when the subject is a
-- person of the index.
CREATE FUNCTION healthhub.subject_masked_name(subject text) RETURNS text
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT healthhub.mask_name(p.name) FROM healthhub.persons p
     WHERE p.person_key = healthhub.subject_person(subject_masked_name.subject) AND p.state = 'active';
END;

-- The check's one trail entry: verifier (the acting role), place, result,
-- the subject's person key.
CREATE FUNCTION healthhub.record_code_check(place bigint, subject text, outcome text) RETURNS void
    LANGUAGE sql VOLATILE
BEGIN ATOMIC
    -- (a read.* action: committed before the answer is returned)
    SELECT healthhub.audit_append('read.health_code.check', 'check_place', place::text,
                                  healthhub.subject_person(subject),
                                  'epidemic prevention', outcome);
END;

-- Check a code at the verifier's place: valid, the reason if not, kind,
-- status, a masked name, and whether the place must check now.
CREATE FUNCTION healthhub.check_health_code(code text, OUT valid boolean, OUT reason text, OUT kind text,
                                            OUT status text, OUT masked_name text, OUT must_check boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places := healthhub.verifier_place();
    v record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_health_code', ARRAY['code'], ARRAY[code IS NULL]);
    v := healthhub.verify_health_code(code);
    valid := v.valid;
    reason := v.reason;
    kind := v.kind;
    status := CASE WHEN v.valid THEN v.status END;
    masked_name := CASE WHEN v.valid AND v.issuer = healthhub.hub_id()::text
                        THEN healthhub.subject_masked_name(v.subject) END;
    must_check := healthhub.must_check(p.category, p.region);
    PERFORM healthhub.record_code_check(p.place_key,
                                        CASE WHEN v.valid AND v.issuer = healthhub.hub_id()::text THEN v.subject END,
                                        coalesce(v.reason, 'valid'));
END
$$;
COMMENT ON FUNCTION healthhub.check_health_code(text) IS
    'Check a code at the verifier''s place: validity, kind, status, a masked name; recorded, never the code';

-- The same for a person without a code: their ID card's number, through the
-- person index, gives their current status of a kind (holders.sql).
CREATE FUNCTION healthhub.check_id_card(id healthhub.resident_id, kind text DEFAULT 'epidemic_status',
                                        OUT known boolean, OUT status text, OUT masked_name text,
                                        OUT must_check boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places := healthhub.verifier_place();
    person bigint;
    revoked boolean;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_id_card', ARRAY['id', 'kind'], ARRAY[id IS NULL, kind IS NULL]);
    person := healthhub.resolve(id);
    -- (a subject whose codes this hub revoked has no status to show either)
    revoked := EXISTS (SELECT 1 FROM healthhub.revoked_subjects r
                        WHERE r.issuer = healthhub.hub_id()::text AND r.subject = person::text
                          AND r.revoked_at <= clock_timestamp());
    SELECT s.status INTO status FROM healthhub.code_statuses s
     WHERE s.person_key = person AND s.kind = check_id_card.kind AND NOT revoked;
    known := person IS NOT NULL;
    masked_name := healthhub.subject_masked_name(person::text);
    must_check := healthhub.must_check(p.category, p.region);
    PERFORM healthhub.record_code_check(p.place_key, person::text,
                                        CASE WHEN person IS NULL THEN 'id card: not found'
                                             WHEN revoked THEN 'id card: revoked subject'
                                             ELSE 'id card: ' || coalesce(status, 'no status') END);
END
$$;
COMMENT ON FUNCTION healthhub.check_id_card(healthhub.resident_id, text) IS
    'At the verifier''s place, a person''s current status read from their ID card number through the person index';

REVOKE ALL ON FUNCTION healthhub.bind_verifier(regrole, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.check_health_code(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.check_id_card(healthhub.resident_id, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.record_code_check(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.subject_masked_name(text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'verifier', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.check_health_code(text)', 'healthhub.check_id_card(healthhub.resident_id, text)']) f
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.bind_verifier(regrole, bigint)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.verifier_places', 'SELECT';
-- Statuses and proxy holders (docs/health-codes.md, "People without a
-- phone"): a person's current status of a kind (green, yellow, red) as the
-- epidemic service sets it; and holders: a relative whose phone presents the
-- codes of elderly relatives and children bound to them, for a period, with
-- the consent of the bound person or their guardian.  A bound person's code
-- is their own code: it verifies exactly as if they showed it.

CREATE TABLE healthhub.code_statuses (
    person_key  bigint NOT NULL REFERENCES healthhub.persons,
    kind        text NOT NULL REFERENCES healthhub.health_code_kinds,
    status      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, kind)
);
COMMENT ON TABLE healthhub.code_statuses IS 'Each person''s current status of a kind of code (epidemic status: green, yellow, red)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_statuses', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.code_statuses
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('code_status', 'person_key,kind', 'epidemic prevention');

CREATE TABLE healthhub.code_holders (
    holder_key  bigint NOT NULL REFERENCES healthhub.persons,
    person_key  bigint NOT NULL REFERENCES healthhub.persons,
    relation    text NOT NULL CHECK (relation IN ('parent', 'child', 'grandparent', 'grandchild', 'spouse', 'sibling',
                                                  'guardian', 'other')),
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    consent_by  text NOT NULL CHECK (consent_by IN ('bound_person', 'guardian')),
    consent_ref text NOT NULL CHECK (btrim(consent_ref) <> ''),   -- the signed consent, by reference
    bound_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    bound_by    text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (holder_key, person_key, bound_at),
    CONSTRAINT code_holders_not_self CHECK (holder_key <> person_key),
    CONSTRAINT code_holders_no_overlap EXCLUDE USING gist
        (int8range(holder_key, holder_key, '[]') WITH =, int8range(person_key, person_key, '[]') WITH =,
         valid WITH &&)
);
COMMENT ON TABLE healthhub.code_holders IS
    'Holders whose phones present the codes of the persons bound to them (relation, period, consent)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_holders', '');
CREATE INDEX code_holders_person ON healthhub.code_holders (person_key);
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.code_holders
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('code_holder', 'holder_key,person_key,bound_at',
                                                          'epidemic prevention');

-- (a person of the index, not merged away)
CREATE FUNCTION healthhub.require_code_person(person bigint, what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM healthhub.persons p WHERE p.person_key = person AND p.state = 'active') THEN
        RAISE EXCEPTION 'the % is no active person of the index', what
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Person key %s.', person);
    END IF;
END
$$;

-- Set a person's current status of a kind (the epidemic service).
CREATE FUNCTION healthhub.set_code_status(person bigint, kind text, status text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.set_code_status', ARRAY['person', 'kind', 'status'],
                                        ARRAY[person IS NULL, kind IS NULL, status IS NULL]);
    PERFORM healthhub.require_code_person(person, 'person');
    k := healthhub.code_kind(kind);
    IF k.statuses IS NULL OR NOT (status = ANY (k.statuses)) THEN
        RAISE EXCEPTION 'invalid status % for kind %', quote_literal(status), kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN k.statuses IS NOT NULL
                                THEN format('The statuses are %s.', array_to_string(k.statuses, ', '))
                                ELSE 'Codes of this kind have no status.' END;
    END IF;
    INSERT INTO healthhub.code_statuses AS s (person_key, kind, status) VALUES (person, kind, status)
    ON CONFLICT ON CONSTRAINT code_statuses_pkey DO UPDATE
       SET status = EXCLUDED.status, set_at = now(), set_by = healthhub.acting_role();
END
$$;
COMMENT ON FUNCTION healthhub.set_code_status(bigint, text, text) IS 'Set a person''s current status of a kind of code';

-- Bind a person to a holder, with the consent of the person or a guardian.
CREATE FUNCTION healthhub.bind_code_holder(holder bigint, person bigint, relation text, consent_by text,
                                           consent_ref text, valid tstzrange DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.bind_code_holder',
        ARRAY['holder', 'person', 'relation', 'consent_by', 'consent_ref'],
        ARRAY[holder IS NULL, person IS NULL, relation IS NULL, consent_by IS NULL, consent_ref IS NULL]);
    PERFORM healthhub.require_code_person(holder, 'holder'), healthhub.require_code_person(person, 'bound person');
    IF holder = person THEN
        RAISE EXCEPTION 'a holder holds their own codes already' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF relation NOT IN ('parent', 'child', 'grandparent', 'grandchild', 'spouse', 'sibling', 'guardian', 'other') THEN
        RAISE EXCEPTION 'invalid relation: %', quote_literal(relation)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The relations are parent, child, grandparent, grandchild, spouse, sibling, guardian and other.';
    END IF;
    IF consent_by NOT IN ('bound_person', 'guardian') OR btrim(consent_ref) = '' THEN
        RAISE EXCEPTION 'a binding needs the consent of the bound person or their guardian'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'consent_by is bound_person or guardian; consent_ref names the signed consent.';
    END IF;
    IF EXISTS (SELECT 1 FROM healthhub.code_holders h
                WHERE h.holder_key = holder AND h.person_key = person
                  AND h.valid && coalesce(bind_code_holder.valid, tstzrange(now(), NULL))) THEN
        RAISE EXCEPTION 'the person is bound to this holder already in that period'
            USING ERRCODE = 'unique_violation', HINT = 'End the binding first: healthhub.unbind_code_holder(holder, person).';
    END IF;
    INSERT INTO healthhub.code_holders (holder_key, person_key, relation, valid, consent_by, consent_ref)
    VALUES (holder, person, relation, coalesce(valid, tstzrange(now(), NULL)), consent_by, consent_ref);
END
$$;
COMMENT ON FUNCTION healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange) IS
    'Let a holder present a person''s codes (relation, consent of the person or guardian, period)';

CREATE FUNCTION healthhub.unbind_code_holder(holder bigint, person bigint, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.unbind_code_holder', ARRAY['holder', 'person', 'at'],
                                        ARRAY[holder IS NULL, person IS NULL, "at" IS NULL]);
    UPDATE healthhub.code_holders h SET valid = tstzrange(lower(h.valid), "at")
     WHERE h.holder_key = holder AND h.person_key = person AND h.valid @> "at" AND lower(h.valid) < "at";
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The codes a holder's phone shows: their own and those of every person
-- bound to them now, each a code of the kind with the person's current
-- status (for the issuing service, which authenticates the holder's app).
CREATE FUNCTION healthhub.codes_held_by(holder bigint, kind text DEFAULT 'epidemic_status')
    RETURNS TABLE (person_key bigint, relation text, status text, code healthhub.health_code)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.codes_held_by', ARRAY['holder', 'kind'],
                                        ARRAY[holder IS NULL, kind IS NULL]);
    PERFORM healthhub.require_code_person(holder, 'holder');
    k := healthhub.code_kind(kind);
    PERFORM healthhub.audit_append('read.code_holders', 'person', holder::text, holder, 'epidemic prevention', 'ok');
    RETURN QUERY
    SELECT w.person_key, w.relation, s.status,
           CASE WHEN k.statuses IS NULL OR s.status IS NOT NULL
                THEN healthhub.issue_health_code(w.person_key::text, k.kind, s.status) END
      FROM (SELECT holder AS person_key, 'self'::text AS relation, 0 AS ord
            UNION ALL
            SELECT h.person_key, h.relation, 1 FROM healthhub.code_holders h
              -- (a person merged into another, or gone, shows no code)
              JOIN healthhub.persons p ON p.person_key = h.person_key AND p.state = 'active'
             WHERE h.holder_key = holder AND h.valid @> now()) w
      LEFT JOIN healthhub.code_statuses s ON s.person_key = w.person_key AND s.kind = k.kind
     ORDER BY w.ord, w.person_key;
END
$$;
COMMENT ON FUNCTION healthhub.codes_held_by(bigint, text) IS
    'The codes a holder''s phone shows: their own and those of the persons bound to them now (no code without a status)';

REVOKE ALL ON FUNCTION healthhub.set_code_status(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.unbind_code_holder(bigint, bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.codes_held_by(bigint, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'code_issuer']) pr,
       unnest(ARRAY['healthhub.set_code_status(bigint, text, text)',
                    'healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange)',
                    'healthhub.unbind_code_holder(bigint, bigint, timestamptz)',
                    'healthhub.codes_held_by(bigint, text)']) f;
