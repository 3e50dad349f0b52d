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

