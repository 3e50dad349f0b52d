-- healthhub 0.4 -> 0.5: governance that holds (issue 10; docs/security.md).
-- Hand-written: t/003 checks that an upgraded database equals a fresh 0.5,
-- object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.5'" to load this file. \quit

-- The licence status guard checks the status against the history, not the
-- trigger depth (code review S6).
CREATE OR REPLACE FUNCTION healthhub.licences_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_status text;
    last_effective timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' AND NOT healthhub.registry_restoring() THEN
            RAISE EXCEPTION 'a new licence starts active'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Licence %s was inserted with status %s.', NEW.licence_no, NEW.status),
                      HINT = 'Insert it, then call healthhub.change_licence_status().';
        END IF;
        IF NEW.status_effective IS NULL THEN
            NEW.status_effective := lower(NEW.validity);
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status OR NEW.status_effective IS DISTINCT FROM OLD.status_effective THEN
        -- The status is the last of its history, whoever writes it: checked
        -- against the history, not against who calls (a trigger of any
        -- depth can be anyone's).
        SELECT h.status, h.effective INTO last_status, last_effective FROM healthhub.licence_status_history h
         WHERE h.licence_key = NEW.licence_key ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF (NEW.status, NEW.status_effective) IS DISTINCT FROM (last_status, last_effective) THEN
            RAISE EXCEPTION 'the status of licence % is changed through its history', OLD.licence_no
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its history says %s.', coalesce(last_status, 'nothing: it is active')),
                      HINT = 'Call healthhub.change_licence_status(licence_no, status, reason, effective).';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

-- No login can stall sealing (code review C1; issue 10): one sealer at a time
-- by a lock on audit_blocks only the owner can take; audit_seal_if_due says
-- whether it sealed anything, and the sealer backs off when it did not.
CREATE OR REPLACE FUNCTION healthhub.seal_audit(max_blocks integer DEFAULT NULL, wait boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    alg     text;
    bmax    integer;
    ids     bigint[];
    hashes  bytea;
    found_n bigint;
    prev    bytea;
    prev_no bigint;
    root    bytea;
    sealed  timestamptz;
    bh      bytea;
    n       integer := 0;
    taken_upto bigint := -1;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'healthhub.seal_audit() must run at isolation level READ COMMITTED'
            USING ERRCODE = 'active_sql_transaction',
                  DETAIL = format('This transaction is %s: its snapshot may predate the last sealed block.',
                                  upper(current_setting('transaction_isolation')));
    END IF;
    IF max_blocks IS NOT NULL AND max_blocks < 1 THEN
        RAISE EXCEPTION 'max_blocks must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One sealer at a time, by a lock only the trail's owner can take (any
    -- login can take any advisory lock, and so could stop sealing).
    IF wait THEN
        LOCK TABLE healthhub.audit_blocks IN SHARE UPDATE EXCLUSIVE MODE;
    ELSE
        BEGIN
            LOCK TABLE healthhub.audit_blocks IN SHARE UPDATE EXCLUSIVE MODE NOWAIT;
        EXCEPTION WHEN lock_not_available THEN
            RETURN 0;
        END;
    END IF;
    SELECT s.algorithm, s.block_max INTO alg, bmax FROM healthhub.audit_settings s;
    alg := coalesce(alg, 'sha256');
    bmax := coalesce(bmax, 10000);
    PERFORM healthhub.audit_ensure_partitions();
    SELECT b.block_no, b.block_hash INTO prev_no, prev
      FROM healthhub.audit_blocks b ORDER BY b.block_no DESC LIMIT 1;
    prev_no := coalesce(prev_no, 0);
    prev := coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    LOOP
        EXIT WHEN max_blocks IS NOT NULL AND n >= max_blocks;
        -- Take the oldest queued ids by the index, then delete exactly those:
        -- a semi-join here could scan the whole queue once per block when a
        -- backlog of millions has no statistics yet.  No row locks: the
        -- table lock already makes this the only sealer, and writers never
        -- touch a queued row again.
        -- Start after the last id taken: the ids this call deleted are still
        -- in the index (dead only once it commits), and rescanning them for
        -- every block would make a backlog quadratic.
        SELECT array_agg(q.entry_id ORDER BY q.entry_id) INTO ids
          FROM (SELECT q2.entry_id FROM healthhub.audit_queue q2
                 WHERE q2.entry_id > taken_upto
                 ORDER BY q2.entry_id LIMIT bmax) q;
        EXIT WHEN ids IS NULL;
        taken_upto := ids[cardinality(ids)];
        -- joins with unnest(): "= ANY (ids)" on a 10,000-element array
        -- parameter is a linear search per row
        DELETE FROM healthhub.audit_queue q USING unnest(ids) AS t(id) WHERE q.entry_id = t.id;
        SELECT count(*),
               string_agg(healthhub.audit_entry_hash(alg, e.entry_id, e.at, e.role_name, e.session_role,
                              e.institution_key, e.practitioner_key, e.action, e.object_kind, e.object_id,
                              e.person_key, e.purpose, e.outcome), ''::bytea ORDER BY e.entry_id)
          INTO found_n, hashes
          FROM unnest(ids) AS t(id)
          JOIN healthhub.audit_entries e ON e.entry_id = t.id
         WHERE e.entry_id BETWEEN ids[1] AND ids[cardinality(ids)];
        IF found_n <> cardinality(ids) THEN
            RAISE EXCEPTION 'audit entries queued for sealing are missing'
                USING ERRCODE = 'data_corrupted',
                      DETAIL = format('%s entries were queued between %s and %s but %s exist.',
                                      cardinality(ids), ids[1], ids[cardinality(ids)], found_n),
                      HINT = 'Run healthhub.verify_audit() with the last checkpoint.';
        END IF;
        root := healthhub.audit_merkle_root(alg, hashes);
        sealed := clock_timestamp();
        prev_no := prev_no + 1;
        bh := healthhub.audit_block_hash(alg, prev, prev_no, cardinality(ids), root, sealed);
        INSERT INTO healthhub.audit_blocks (block_no, sealed_at, algorithm, entry_count, entry_ids,
                                            entry_hashes, merkle_root, prev_hash, block_hash)
        VALUES (prev_no, sealed, alg, cardinality(ids), ids, hashes, root, prev, bh);
        prev := bh;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
DROP FUNCTION healthhub.audit_seal_if_due();
CREATE FUNCTION healthhub.audit_seal_if_due() RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' OR NOT healthhub.audit_seal_due() THEN
        RETURN false;
    END IF;
    BEGIN
        RETURN healthhub.seal_audit(10) > 0;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'audit sealing failed: %', SQLERRM
            USING HINT = 'Entries stay queued; run healthhub.seal_audit() to see the error.';
        RETURN false;
    END;
END
$$;
REVOKE ALL ON FUNCTION healthhub.audit_seal_if_due() FROM PUBLIC;

-- No login can stop a patient's records being linked (issue 10): link_record
-- locks rows of link_locks, which only the owner may lock, instead of
-- advisory locks; the first model is made under a table lock.
CREATE TABLE healthhub.link_locks (
    bucket          integer PRIMARY KEY CHECK (bucket BETWEEN 0 AND 65535)
);
INSERT INTO healthhub.link_locks SELECT g FROM pg_catalog.generate_series(0, 65535) g;
COMMENT ON TABLE healthhub.link_locks IS
    'Rows link_record locks for the keys of the record it links (a lock only the owner can take)';
CREATE OR REPLACE FUNCTION healthhub.link_record(source text, local_id text, name text DEFAULT NULL, sex text DEFAULT NULL,
                                      birth_date date DEFAULT NULL, identifier text DEFAULT NULL,
                                      phone text DEFAULT NULL, region text DEFAULT NULL,
                                      other_identifiers text[] DEFAULT '{}',
                                      OUT person_key bigint, OUT decision text, OUT explanation jsonb)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.linkage_authorise(source);
    PERFORM healthhub.check_name_keys_version(), healthhub.replan_when_grown();
    r := healthhub.prepare_record(source, local_id, name, sex, birth_date, identifier, phone, region,
                                  other_identifiers);
    -- A bulk link running now holds the records in SHARE ROW EXCLUSIVE mode:
    -- wait for it before reading the index, not only before writing.
    LOCK TABLE healthhub.source_records IN ROW EXCLUSIVE MODE;

    -- Whoever links a record sharing a key or number with this one waits for
    -- this transaction, and then sees its person: two records of one new
    -- person linked at once make one person.  The keys lock rows of
    -- link_locks, which only the extension's owner may lock (an advisory
    -- lock any login could take, and hold to stop a patient's records being
    -- linked).  (In bucket order: no deadlocks.)
    PERFORM 1 FROM healthhub.link_locks l
     WHERE l.bucket = ANY (ARRAY(SELECT DISTINCT hashtext(k) & 65535
                                   FROM unnest(healthhub.block_keys(r)
                                               || ('record:' || r.source || '/' || r.local_id)
                                               || ('resident_id:' || r.resident_id::text)) k
                                  WHERE k IS NOT NULL))
     ORDER BY l.bucket
       FOR UPDATE;
    SELECT * INTO person_key, decision, explanation FROM healthhub.link_prepared(r);
END
$$;
CREATE OR REPLACE FUNCTION healthhub.linkage_model() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v integer;
BEGIN
    SELECT max(model_version) INTO v FROM healthhub.linkage_models;
    IF v IS NOT NULL THEN
        RETURN v;
    END IF;
    -- (a lock only the owner can take: any login could hold an advisory one)
    LOCK TABLE healthhub.linkage_models IN SHARE ROW EXCLUSIVE MODE;
    SELECT max(model_version) INTO v FROM healthhub.linkage_models;
    IF v IS NULL THEN
        v := 1;
        INSERT INTO healthhub.linkage_models (model_version, method, prior, match_probability, possible_probability,
                                              blocking_rules)
        VALUES (v, 'neutral', 0.000001, 0.99, 0.2,
                ARRAY(SELECT b.rule FROM healthhub.linkage_blocking_rules b WHERE b.by_default ORDER BY b.rule));
        INSERT INTO healthhub.linkage_weights (model_version, comparison, level, m, u)
        SELECT v, w.comparison, w.level, w.m, w.u FROM healthhub.linkage_neutral_weights() w;
    END IF;
    RETURN v;
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
        IF healthhub.linkage_is_admin() THEN
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

-- Checks that fail closed (a role in two institutions' groups acts for none
-- and asks about none), and why_not_practise tells an institution what
-- stands in the way without licence numbers or suspension reasons (issue 10).
CREATE OR REPLACE FUNCTION healthhub.check_own_institution(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.calling_role();
    own bigint := healthhub.institution_of(caller);
BEGIN
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
CREATE OR REPLACE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    st record;
    b record;
    reasons text[] := '{}';
    some_licence_ok boolean := false;
    -- Licence numbers and the reasons of suspensions are the licensing
    -- authority's, not every institution's: hub_admin reads them, others
    -- read what stands in the way.
    detailed boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.calling_role())
                        OR EXISTS (SELECT 1 FROM healthhub.effective_profiles(healthhub.calling_role()) ep
                                    WHERE ep.profile = 'hub_admin');
BEGIN
    IF practitioner IS NULL OR act IS NULL OR institution IS NULL OR "at" IS NULL THEN
        RAISE EXCEPTION 'practitioner, act, institution and time must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.check_own_institution(institution);
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

    FOR l IN SELECT * FROM healthhub.licences x
              WHERE x.practitioner_key = practitioner AND x.kind = act
              ORDER BY lower(x.validity) DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity)
                ELSE format('%s licence is not valid at %s', act, "at") END;
            CONTINUE;
        END IF;
        SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
         WHERE h.licence_key = l.licence_key AND h.effective <= "at"
         ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF FOUND AND st.status <> 'active' THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason)
                ELSE format('%s licence is %s since %s', act, st.status, st.effective) END;
            CONTINUE;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM healthhub.registrations r
                        WHERE r.licence_key = l.licence_key AND r.institution_key = institution
                          AND r.period @> "at") THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at")
                ELSE format('%s licence is not registered at %s at %s', act, inst.name, "at") END;
            CONTINUE;
        END IF;
        some_licence_ok := true;
    END LOOP;
    IF NOT FOUND AND cardinality(reasons) = 0 THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    IF NOT inst.valid @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
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
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privileges g
                        WHERE g.practitioner_key = practitioner AND g.institution_key = institution
                          AND (g.privilege = why_not_practise.privilege
                               OR (why_not_practise.privilege = 'antimicrobial_restricted'
                                   AND g.privilege = 'antimicrobial_special'))
                          AND g.period @> "at") THEN
        reasons := reasons || format('privilege %s is not granted at %s at %s', privilege, inst.name, "at");
    END IF;
    IF cardinality(reasons) = 0 THEN
        RETURN 'the derived practice rights are out of date; run healthhub.recompute_practice_rights()';
    END IF;
    RETURN array_to_string(reasons, '; ');
END
$$;

-- One definition of the institutions a source names; link_record looks its
-- source's institution up once (review of 0.4).
CREATE OR REPLACE FUNCTION healthhub.institutions_named_by(source text) RETURNS bigint[]
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT array_agg(DISTINCT i.institution_key) FROM healthhub.institutions i
     WHERE i.source_ref = btrim(institutions_named_by.source)
        OR i.institution_key = CASE WHEN btrim(institutions_named_by.source) ~ '^[0-9]{1,18}$'
                                    THEN btrim(institutions_named_by.source)::bigint END;
END;
CREATE OR REPLACE FUNCTION healthhub.institution_for_source(source text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found bigint[] := healthhub.institutions_named_by(source);
BEGIN
    IF cardinality(found) > 1 THEN
        RAISE EXCEPTION 'source "%" names more than one institution', source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Institutions %s all have it as their key or source_ref.', array_to_string(found, ', ')),
                  HINT = 'Send records under the institution''s key, or give the institutions distinct source_refs.';
    END IF;
    RETURN found[1];
END
$$;
CREATE OR REPLACE FUNCTION healthhub.linkage_authorise_institution(source text, institution bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.linkage_is_admin()
       AND (institution IS NULL OR institution IS DISTINCT FROM healthhub.institution_of(healthhub.acting_role())) THEN
        RAISE EXCEPTION 'role % may not act on records of source %', healthhub.acting_role(), source
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution''s application acts on the records of its own institution only.',
                  HINT = 'The source must be the institution''s key or source_ref in healthhub.institutions.';
    END IF;
    RETURN institution;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.linkage_authorise(source text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN healthhub.linkage_authorise_institution(source, healthhub.institution_for_source(source));
END
$$;
CREATE OR REPLACE FUNCTION healthhub.link_record(source text, local_id text, name text DEFAULT NULL, sex text DEFAULT NULL,
                                      birth_date date DEFAULT NULL, identifier text DEFAULT NULL,
                                      phone text DEFAULT NULL, region text DEFAULT NULL,
                                      other_identifiers text[] DEFAULT '{}',
                                      OUT person_key bigint, OUT decision text, OUT explanation jsonb)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.check_name_keys_version(), healthhub.replan_when_grown();
    -- (validated and keyed first: that looks up no record, and gives the
    -- source's institution the check needs)
    r := healthhub.prepare_record(source, local_id, name, sex, birth_date, identifier, phone, region,
                                  other_identifiers);
    PERFORM healthhub.linkage_authorise_institution(source, r.institution_key);
    -- A bulk link running now holds the records in SHARE ROW EXCLUSIVE mode:
    -- wait for it before reading the index, not only before writing.
    LOCK TABLE healthhub.source_records IN ROW EXCLUSIVE MODE;

    -- Whoever links a record sharing a key or number with this one waits for
    -- this transaction, and then sees its person: two records of one new
    -- person linked at once make one person.  The keys lock rows of
    -- link_locks, which only the extension's owner may lock (an advisory
    -- lock any login could take, and hold to stop a patient's records being
    -- linked).  (In bucket order: no deadlocks.)
    PERFORM 1 FROM healthhub.link_locks l
     WHERE l.bucket = ANY (ARRAY(SELECT DISTINCT hashtext(k) & 65535
                                   FROM unnest(healthhub.block_keys(r)
                                               || ('record:' || r.source || '/' || r.local_id)
                                               || ('resident_id:' || r.resident_id::text)) k
                                  WHERE k IS NOT NULL))
     ORDER BY l.bucket
       FOR UPDATE;
    SELECT * INTO person_key, decision, explanation FROM healthhub.link_prepared(r);
END
$$;
CREATE OR REPLACE FUNCTION healthhub.staged_person_records()
    RETURNS TABLE (stage_row tid, line_no bigint, source text, local_id text, name text, hanzi text, pinyin text, initials text,
                   surname text, given_pinyin text, sex_text text, sex smallint, birth_text text, birth_date date,
                   identifier text, phone_text text, phone text, region_text text, region_ok boolean, others text[],
                   key_problem text, institution_key bigint, institution_ok boolean)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT s.ctid, s.line_no, btrim(s.institution) AS source, btrim(s.local_id) AS local_id,
           nullif(btrim(s.name), '') AS name, k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin,
           s.sex AS sex_text, healthhub.sex_code(s.sex) AS sex,
           nullif(btrim(s.birth_date), '') AS birth_text, healthhub.birth_date_or_null(s.birth_date) AS birth_date,
           nullif(btrim(s.identifier), '') AS identifier, nullif(btrim(s.phone), '') AS phone_text,
           healthhub.phone_digits(s.phone) AS phone, nullif(btrim(s.address_region), '') AS region_text,
           btrim(s.address_region) IN (SELECT rg.code::text FROM healthhub.regions rg) AS region_ok,
           ARRAY(SELECT btrim(x) FROM unnest(string_to_array(s.other_identifiers, ';')) x WHERE btrim(x) <> '') AS others,
           healthhub.record_key_problem(s.institution, s.local_id) AS key_problem,
           src.institutions[1] AS institution_key, coalesce(cardinality(src.institutions) <= 1, true) AS institution_ok
      FROM healthhub.stage_person_records s
      LEFT JOIN LATERAL healthhub.name_keys_or_null(nullif(btrim(s.name), '')) k ON true
      -- the institutions each source names, looked up once per source
      LEFT JOIN (SELECT d.source, healthhub.institutions_named_by(d.source) AS institutions
                   FROM (SELECT DISTINCT btrim(st.institution) AS source FROM healthhub.stage_person_records st) d
                ) src ON src.source = btrim(s.institution);
END;
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'healthhub.linkage_model()', 'healthhub.prepare_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.linkage_authorise(text)', 'healthhub.linkage_authorise_admin()', 'healthhub.linkage_is_admin()',
        'healthhub.authorised_record(text, text, boolean, boolean)',
        'healthhub.linkage_authorise_person(healthhub.source_records, bigint)', 'healthhub.institution_for_source(text)',
        'healthhub.institutions_named_by(text)', 'healthhub.linkage_authorise_institution(text, bigint)',
        'healthhub.other_number_held(anyelement, bigint)', 'healthhub.identifier_links(anyelement, bigint, boolean, boolean)',
        'healthhub.log_link_event(text, text, text, bigint, bigint, text, text, text, double precision, integer, jsonb, text)',
        'healthhub.find_match(healthhub.source_records, integer)', 'healthhub.sync_person_identifiers(bigint)',
        'healthhub.lock_persons(bigint[])', 'healthhub.require_active(bigint)', 'healthhub.set_manual_match(text, text, bigint)',
        'healthhub.link_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.link_prepared(healthhub.source_records)', 'healthhub.link_manually(text, text, bigint, text)', 'healthhub.unlink_manually(text, text, bigint, text)',
        'healthhub.review_possible_match(text, text, bigint, boolean, text)',
        'healthhub.merge_persons(bigint, bigint, text)', 'healthhub.unmerge_person(bigint, text)',
        'healthhub.withdraw_record(text, text, text)', 'healthhub.record_death(bigint, date, text)',
        'healthhub.match_explain(text, text, text, text, integer)', 'healthhub.record_history(text, text)',
        'healthhub.resolve(healthhub.resident_id)', 'healthhub.resolve(healthhub.health_identifier)',
        'healthhub.resolve(text)', 'healthhub.current_person(bigint)', 'healthhub.link_batch(text, text)',
        'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean)',
        'healthhub.rebuild_block_keys()', 'healthhub.rebuild_name_keys()', 'healthhub.check_name_keys_version()',
        'healthhub.staged_person_records()', 'healthhub.require_no_work_tables(text, text[])',
        'healthhub.replan_when_grown()', 'healthhub.link_clusters(double precision)', 'healthhub.block_pairs(integer)',
        'healthhub.batch_match_score(record, record, integer)', 'healthhub.batch_comparison_levels(record, record)', 'healthhub.forget_block_keys(healthhub.source_records)',
        'healthhub.rebuild_golden(bigint)', 'healthhub.rebuild_golden_set(bigint[])',
        'healthhub.golden_records(bigint[])']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

-- ==== audit_changes: every change recorded by one trigger; role_profiles keyed by role OID ====

-- Every change to personal data, rights and settings is recorded by the
-- audit_changes trigger; audit_coverage lists how each table is recorded.

-- Every change to personal data, rights and settings is recorded, by one
-- mechanism each area inherits: the row trigger healthhub.audit_changes() on
-- each table that holds them, not a call each function must remember.  A
-- table without it is listed in healthhub.audit_exemptions with the reason;
-- healthhub.audit_coverage lists every table of the extension one way or the
-- other (docs/security.md is generated from it; a test fails on a table that
-- is in neither).
--
-- The trigger's arguments: the object kind, the key columns (comma-separated,
-- their values joined by '/' make the object id; '' for a single-row table),
-- the purpose and, optionally, bookkeeping columns an update of which alone
-- records nothing (comma-separated: a column recorded otherwise or derived,
-- such as a licence's status or a practitioner's rights_version).  The
-- action is '<object kind>.<insert|update|delete>';
-- a row's person_key and practitioner_key columns, where it has them, fill
-- those of the entry.
CREATE FUNCTION healthhub.audit_changes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    object_id text;
BEGIN
    IF TG_OP = 'INSERT' AND healthhub.registry_restoring()
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
REVOKE ALL ON FUNCTION healthhub.audit_changes() FROM PUBLIC;

-- Tables whose changes are not recorded row by row, and why.  "functions":
-- changed only by functions of the extension that record what they do (no
-- profile may write the table; a test checks it); "staging": an institution's
-- input, recorded when a load reads it; "catalogue": shipped with the
-- extension, no profile may change it; "derived": recomputed from recorded
-- tables; "own trigger": a trigger of its own records each change in the
-- area's words; "trail": the audit trail itself.
CREATE TABLE healthhub.audit_exemptions (
    relation    text PRIMARY KEY CHECK (relation ~ '^healthhub\.[a-z0-9_]+$'),
    how         text NOT NULL CHECK (how IN ('functions', 'own trigger', 'staging', 'catalogue', 'derived', 'trail')),
    recorded_as text NOT NULL
);
GRANT SELECT ON healthhub.audit_exemptions TO PUBLIC;

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.hub
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('hub', '', 'hub identity');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.regions', 'catalogue', 'shipped division codes');

-- Every table of the extension, and how its changes reach the trail.
CREATE VIEW healthhub.audit_coverage AS
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS relation,
       coalesce(CASE WHEN t.kind IS NOT NULL THEN 'each row' END, e.how) AS how,
       coalesce(t.kind || '.insert/update/delete', e.recorded_as) AS recorded_as
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
  JOIN pg_catalog.pg_extension x ON x.oid OPERATOR(pg_catalog.=) d.refobjid
                                AND x.extname OPERATOR(pg_catalog.=) 'healthhub'
  LEFT JOIN LATERAL (
      SELECT pg_catalog.split_part(pg_catalog.encode(tg.tgargs, 'escape'), '\000', 1) AS kind
        FROM pg_catalog.pg_trigger tg
        JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) tg.tgfoid
       WHERE tg.tgrelid OPERATOR(pg_catalog.=) c.oid
         AND p.proname OPERATOR(pg_catalog.=) 'audit_changes'
         AND p.pronamespace OPERATOR(pg_catalog.=) n.oid) t ON true
  LEFT JOIN healthhub.audit_exemptions e
         ON e.relation OPERATOR(pg_catalog.=) pg_catalog.format('%I.%I', n.nspname, c.relname)
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition;
COMMENT ON VIEW healthhub.audit_coverage IS
    'Every table of healthhub and how its changes are recorded: each row (the audit_changes trigger) or the exemption''s reason; how is NULL for a table in neither (a defect)';
GRANT SELECT ON healthhub.audit_coverage TO PUBLIC;

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.role_profiles
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('profile', 'role_name,profile', 'access control');

INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.profiles', 'catalogue', 'shipped profiles'),
    ('healthhub.profile_privileges', 'catalogue', 'written by each area''s install script');


CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.masking_policy
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('masking_policy', 'profile,data_kind,origin', 'masking');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.hub_secrets
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('hub_secret', '', 'pseudonymisation');


CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.audit_settings
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('audit_settings', '', 'audit settings');

INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.audit_entries', 'trail', 'the trail'),
    ('healthhub.audit_queue', 'trail', 'entries waiting to be sealed'),
    ('healthhub.audit_blocks', 'trail', 'sealed blocks'),
    ('healthhub.audit_archives', 'trail', 'archive'),
    ('healthhub.audit_signing_key', 'trail', 'checkpoint key, made at install'),
    ('healthhub.audit_exemptions', 'catalogue', 'written by each area''s install script');


DROP TRIGGER registry_audit ON healthhub.blacklist;
DROP TRIGGER registry_audit ON healthhub.practice_privileges;
DROP FUNCTION healthhub.registry_audit_trigger();

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.institutions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('institution', 'institution_key', 'registry maintenance');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.insurance_designations
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('insurance_designation', 'designation_key', 'registry maintenance');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.consortia
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('consortium', 'consortium_key', 'registry maintenance');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.consortium_members
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('consortium_member', 'consortium_key,institution_key', 'registry maintenance');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.practitioners
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('practitioner', 'practitioner_key', 'registry maintenance', 'rights_version');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.licences
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('licence', 'licence_no', 'registry maintenance', 'status,status_effective');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.registrations
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('registration', 'registration_key', 'registry maintenance');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('privilege', 'grant_key', 'registry maintenance');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.blacklist
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('blacklist', 'entry_key', 'registry maintenance');

INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.licence_status_history', 'own trigger', 'licence.<status> (history_after_insert)'),
    ('healthhub.practice_rights', 'derived', 'recomputed from licences, registrations, privileges and the blacklist');


INSERT INTO healthhub.audit_exemptions
SELECT 'healthhub.' || t, 'staging', 'registry.load.<mode> of the load that reads it'
  FROM unnest(ARRAY['stage_institutions', 'stage_practitioners', 'stage_licences', 'stage_registrations',
                    'stage_blacklist']) t
;

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.loads
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('load', 'load_id', 'registry maintenance');

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.load_errors
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('load_error', 'load_id,entity,line_no', 'registry maintenance');


CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.survivorship_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('survivorship_rule', 'field', 'patient identity management');


INSERT INTO healthhub.audit_exemptions
SELECT 'healthhub.' || t, 'functions', 'link.<action> and link.batch'
  FROM unnest(ARRAY['persons', 'person_identifiers', 'source_records', 'link_decisions', 'person_separations',
                    'link_events', 'record_block_keys', 'link_locks']) t
UNION ALL
SELECT 'healthhub.stage_person_records', 'staging', 'link.batch of the batch that reads it'
UNION ALL
SELECT 'healthhub.' || t, 'functions', 'linkage.train'
  FROM unnest(ARRAY['linkage_models', 'linkage_weights', 'surname_frequencies']) t
UNION ALL
SELECT 'healthhub.name_keys_made_with', 'functions', 'linkage.rebuild_name_keys';



-- role_profiles is keyed by role OID (a regrole) and the name at grant time;
-- rows of roles dropped before the upgrade are removed.
ALTER TABLE healthhub.role_profiles ADD COLUMN role regrole;
UPDATE healthhub.role_profiles rp SET role = r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = rp.role_name;
DO $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM healthhub.role_profiles WHERE role IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        RAISE NOTICE 'healthhub: removed % profile rows of roles that no longer exist', n;
    END IF;
END
$$;
ALTER TABLE healthhub.role_profiles ALTER COLUMN role SET NOT NULL;
ALTER TABLE healthhub.role_profiles DROP CONSTRAINT role_profiles_pkey;
ALTER TABLE healthhub.role_profiles ADD PRIMARY KEY (role, profile);
DROP POLICY role_profiles_own ON healthhub.role_profiles;

CREATE POLICY role_profiles_own ON healthhub.role_profiles FOR SELECT
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.oid OPERATOR(pg_catalog.=) role::pg_catalog.oid
                      AND r.rolname OPERATOR(pg_catalog.=) role_name
                      AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER')));


CREATE OR REPLACE FUNCTION healthhub.effective_profiles(role_name name)
    RETURNS TABLE (profile text, institution_key bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT rp.profile, rp.institution_key
      FROM healthhub.role_profiles rp
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) rp.role::pg_catalog.oid
                                 AND r.rolname OPERATOR(pg_catalog.=) rp.role_name
     WHERE pg_catalog.pg_has_role(effective_profiles.role_name, r.oid, 'MEMBER')
       -- a superuser is a "member" of every role; it holds no profile
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles s
                        WHERE s.rolname OPERATOR(pg_catalog.=) effective_profiles.role_name AND s.rolsuper);
END;

CREATE OR REPLACE FUNCTION healthhub.grant_profile(role regrole, profile text, institution bigint DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def healthhub.profiles%ROWTYPE;
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
BEGIN
    SELECT * INTO def FROM healthhub.profiles p WHERE p.profile = grant_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown profile "%"', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The profiles are listed in healthhub.profiles.';
    END IF;
    IF def.needs_institution AND institution IS NULL THEN
        RAISE EXCEPTION 'profile "%" acts for an institution', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the institution key: healthhub.grant_profile(role, profile, institution).';
    END IF;
    IF NOT def.needs_institution AND institution IS NOT NULL THEN
        RAISE EXCEPTION 'profile "%" does not act for an institution', profile
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM healthhub.role_profiles rp
                WHERE rp.role = grant_profile.role AND rp.role_name = rname AND rp.institution_key IS DISTINCT FROM institution
                  AND rp.institution_key IS NOT NULL AND institution IS NOT NULL) THEN
        RAISE EXCEPTION 'role % already acts for another institution', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A role acts for one institution; create one role per institution.';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE oid = role) THEN
        RAISE EXCEPTION 'role % is a superuser', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Superusers bypass row level security; profiles are for ordinary roles.';
    END IF;
    -- (a row of the role's earlier name is replaced: it was not in force)
    INSERT INTO healthhub.role_profiles (role, role_name, profile, institution_key)
    VALUES (role, rname, profile, institution)
    ON CONFLICT ON CONSTRAINT role_profiles_pkey
    DO UPDATE SET institution_key = EXCLUDED.institution_key, role_name = EXCLUDED.role_name,
                  granted_at = now(), granted_by = SESSION_USER;
    PERFORM healthhub.apply_profile_privileges(rname, profile, true);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.revoke_profile(role regrole, profile text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
    other text;
BEGIN
    IF role IS NULL OR profile IS NULL THEN
        RAISE EXCEPTION 'revoke_profile needs a role and a profile'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = CASE WHEN role IS NULL THEN 'The role is NULL.' ELSE 'The profile is NULL.' END;
    END IF;
    DELETE FROM healthhub.role_profiles rp WHERE rp.role = revoke_profile.role AND rp.profile = revoke_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not hold profile "%"', role, profile
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM healthhub.apply_profile_privileges(rname, profile, false);
    -- what another profile of the role also grants must stay
    FOR other IN SELECT rp.profile FROM healthhub.role_profiles rp
                  WHERE rp.role = revoke_profile.role AND rp.role_name = rname LOOP
        PERFORM healthhub.apply_profile_privileges(rname, other, true);
    END LOOP;
END
$$;

-- ============================================================================
-- Direct reads of personal data leave a trace (issue 10, branch h2): no
-- profile SELECTs the person index's personal data (persons,
-- person_identifiers, source_records, link_decisions, links, link_events,
-- person_separations, review_queue, persons_with_two_numbers,
-- stage_person_records); audited functions read it instead
-- (src/linkage/reads.sql), each writing one 'read' entry before it returns.
-- ============================================================================

-- Whether the acting role may read the link history: hub_admin, auditors
-- and superusers.
CREATE FUNCTION healthhub.linkage_may_read_history() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN healthhub.linkage_is_admin()
           OR EXISTS (SELECT FROM healthhub.effective_profiles(healthhub.acting_role()) ep
                       WHERE ep.profile OPERATOR(pg_catalog.=) 'auditor');

-- The person index's reads for hub_admin (and superusers) only.
CREATE FUNCTION healthhub.linkage_authorise_reader(detail text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.linkage_is_admin() THEN
        RAISE EXCEPTION 'role % may not read the person index', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = detail;
    END IF;
END
$$;

CREATE FUNCTION healthhub.linkage_authorise_history() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.linkage_may_read_history() THEN
        RAISE EXCEPTION 'role % may not read the link history', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The link history is for hub_admin and auditor profiles.';
    END IF;
END
$$;

-- 22004 when a required argument is NULL.
CREATE FUNCTION healthhub.require_argument(present boolean, function_name text, argument text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT present THEN
        RAISE EXCEPTION '% needs %', function_name, argument
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('The argument %s is NULL.', argument);
    END IF;
END
$$;

-- A page of at most max_rows rows: 1 to 10,000.
CREATE FUNCTION healthhub.require_page_size(max_rows integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF max_rows IS NULL THEN
        RAISE EXCEPTION 'max_rows is NULL' USING ERRCODE = 'null_value_not_allowed',
            DETAIL = 'A read returns at most max_rows rows: 1 to 10000.';
    ELSIF max_rows NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'invalid max_rows %', max_rows USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A read returns at most max_rows rows: 1 to 10000.',
            HINT = 'Read further pages with the last key of the page before.';
    END IF;
END
$$;

-- The source and local id a read names: present, and short enough to key a
-- record (so "source/local_id" always fits an audit entry's object id).
CREATE FUNCTION healthhub.require_record_key(function_name text, source text, local_id text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := healthhub.record_key_problem(source, local_id);
BEGIN
    PERFORM healthhub.require_argument(source IS NOT NULL, function_name, 'source'),
            healthhub.require_argument(local_id IS NOT NULL, function_name, 'local_id');
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid record key: %', problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The source has %s bytes, the local id %s.', octet_length(source), octet_length(local_id));
    END IF;
END
$$;

-- One source record, as received and linked.  hub_admin any; an
-- institution's application its own institution's records only (42501 for
-- another institution's source, whether the record exists or not), and
-- without link_score (the score its record had against another
-- institution's record: NULL).
CREATE FUNCTION healthhub.source_record(source text, local_id text)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.require_record_key('source_record', source, local_id);
    r := healthhub.authorised_record(source, local_id, false, false);
    IF NOT healthhub.linkage_is_admin() THEN
        r.link_score := NULL;
    END IF;
    PERFORM healthhub.audit_append('read', 'source_record', r.source || '/' || r.local_id, r.person_key,
                                   'patient identity management', 'ok');
    RETURN NEXT r;
END
$$;
COMMENT ON FUNCTION healthhub.source_record(text, text) IS
    'One source record (an institution''s application: its own, without link_score); the read is audited';

-- The records of one source, a page at a time in local id order: those
-- after after_local_id, at most max_rows.  Who may: as source_record.  The
-- entry names the source and the first and last local id read.
CREATE FUNCTION healthhub.source_records_of(source text, after_local_id text DEFAULT NULL, max_rows integer DEFAULT 1000)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint;
    admin boolean := healthhub.linkage_is_admin();
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

-- A person's golden record (hub_admin).  No row for an unknown key.
CREATE FUNCTION healthhub.person_details(person bigint)
    RETURNS SETOF healthhub.persons
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.persons;
BEGIN
    PERFORM healthhub.require_argument(person IS NOT NULL, 'person_details', 'person');
    PERFORM healthhub.linkage_authorise_reader('Reading persons is for hub_admin.');
    SELECT * INTO p FROM healthhub.persons x WHERE x.person_key = person;
    PERFORM healthhub.audit_append('read', 'person', person::text, p.person_key, 'patient identity management',
                                   CASE WHEN p.person_key IS NULL THEN 'not_found' ELSE 'found' END);
    IF p.person_key IS NOT NULL THEN
        RETURN NEXT p;
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.person_details(bigint) IS 'A person''s golden record (hub_admin); the read is audited';

-- The records linked to a person now, and the person's identifiers
-- (hub_admin).
CREATE FUNCTION healthhub.person_records(person bigint)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    page healthhub.source_records[];
BEGIN
    PERFORM healthhub.require_argument(person IS NOT NULL, 'person_records', 'person');
    PERFORM healthhub.linkage_authorise_reader('Reading a person''s records is for hub_admin.');
    SELECT array_agg(s ORDER BY s.source, s.local_id) INTO page
      FROM healthhub.source_records s WHERE s.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_records', person::text, person, 'patient identity management',
                                   coalesce(cardinality(page), 0) || ' records');
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;
COMMENT ON FUNCTION healthhub.person_records(bigint) IS
    'The source records linked to a person (hub_admin); the read is audited';

CREATE FUNCTION healthhub.person_identifiers_of(person bigint)
    RETURNS TABLE (resident_id healthhub.resident_id, identifier healthhub.health_identifier, linked_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_ids healthhub.person_identifiers[];
BEGIN
    PERFORM healthhub.require_argument(person IS NOT NULL, 'person_identifiers_of', 'person');
    PERFORM healthhub.linkage_authorise_reader('Reading a person''s identifiers is for hub_admin.');
    SELECT array_agg(pi ORDER BY pi.resident_id IS NULL, pi.resident_id, pi.identifier) INTO found_ids
      FROM healthhub.person_identifiers pi WHERE pi.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_identifiers', person::text, person, 'patient identity management',
                                   coalesce(cardinality(found_ids), 0) || ' identifiers');
    RETURN QUERY SELECT x.resident_id, x.identifier, x.linked_at FROM unnest(found_ids) x;
END
$$;
COMMENT ON FUNCTION healthhub.person_identifiers_of(bigint) IS
    'The identifiers that find a person (hub_admin); the read is audited';

-- Every decision about one record now: its match and the other decisions
-- (the rows of healthhub.links; hub_admin).
CREATE FUNCTION healthhub.record_links(source text, local_id text)
    RETURNS SETOF healthhub.links
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_links healthhub.links[];
BEGIN
    PERFORM healthhub.require_record_key('record_links', source, local_id);
    PERFORM healthhub.linkage_authorise_reader('Reading the links of a record is for hub_admin.');
    SELECT array_agg(l ORDER BY l.state = 'match' DESC, l.decided_at, l.person_key) INTO found_links
      FROM healthhub.links l WHERE l.source = btrim(record_links.source) AND l.local_id = btrim(record_links.local_id);
    PERFORM healthhub.audit_append('read', 'person_links', btrim(source) || '/' || btrim(local_id),
                                   (SELECT x.person_key FROM unnest(found_links) x WHERE x.state = 'match'),
                                   'patient identity management', coalesce(cardinality(found_links), 0) || ' links');
    RETURN QUERY SELECT * FROM unnest(found_links);
END
$$;
COMMENT ON FUNCTION healthhub.record_links(text, text) IS
    'The match and the other decisions of one record (hub_admin); the read is audited';

-- The review queue, oldest first, a page at a time (hub_admin).  The entry
-- names the span of queue times read.
CREATE FUNCTION healthhub.pending_reviews(queued_after timestamptz DEFAULT NULL, max_rows integer DEFAULT 100)
    RETURNS SETOF healthhub.review_queue
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    page healthhub.review_queue[];
    n integer;
BEGIN
    PERFORM healthhub.require_page_size(max_rows);
    PERFORM healthhub.linkage_authorise_reader('Reviewing possible matches is for hub_admin.');
    SELECT array_agg(q.r ORDER BY (q.r).queued_at, (q.r).source, (q.r).local_id, (q.r).candidate) INTO page
      FROM (SELECT rq AS r FROM healthhub.review_queue rq
             WHERE queued_after IS NULL OR rq.queued_at > queued_after
             ORDER BY rq.queued_at, rq.source, rq.local_id, rq.candidate LIMIT max_rows) q;
    n := coalesce(cardinality(page), 0);
    PERFORM healthhub.audit_append('read', 'review_queue',
                                   CASE WHEN n > 0 THEN 'queued ' || (page[1]).queued_at || ' .. ' || (page[n]).queued_at END,
                                   NULL, 'patient identity management', n || ' possible matches');
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;
COMMENT ON FUNCTION healthhub.pending_reviews(timestamptz, integer) IS
    'Possible matches awaiting review, oldest first, a page at a time (hub_admin); the read is audited';

-- Persons whose automatically linked records carry several valid numbers
-- (healthhub.persons_with_two_numbers; hub_admin).
CREATE FUNCTION healthhub.find_persons_with_two_numbers()
    RETURNS SETOF healthhub.persons_with_two_numbers
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_persons healthhub.persons_with_two_numbers[];
BEGIN
    PERFORM healthhub.linkage_authorise_reader('Reviewing persons with two numbers is for hub_admin.');
    SELECT array_agg(v ORDER BY v.person_key) INTO found_persons FROM healthhub.persons_with_two_numbers v;
    PERFORM healthhub.audit_append('read', 'persons_with_two_numbers', NULL, NULL, 'patient identity management',
                                   coalesce(cardinality(found_persons), 0) || ' persons');
    RETURN QUERY SELECT * FROM unnest(found_persons);
END
$$;
COMMENT ON FUNCTION healthhub.find_persons_with_two_numbers() IS
    'Persons whose automatically linked records carry several valid resident ID numbers (hub_admin); the read is audited';

-- The link history of one person (link_events naming it, as the person or
-- the other person of a merge), oldest first (hub_admin, auditor).
CREATE FUNCTION healthhub.person_history(person bigint)
    RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    events healthhub.link_events[];
BEGIN
    PERFORM healthhub.require_argument(person IS NOT NULL, 'person_history', 'person');
    PERFORM healthhub.linkage_authorise_history();
    SELECT array_agg(e ORDER BY e.event_id) INTO events
      FROM healthhub.link_events e WHERE e.person_key = person OR e.other_person = person;
    PERFORM healthhub.audit_append('read', 'person_link_history', 'person ' || person, person,
                                   'patient identity management', coalesce(cardinality(events), 0) || ' events');
    RETURN QUERY SELECT * FROM unnest(events);
END
$$;
COMMENT ON FUNCTION healthhub.person_history(bigint) IS
    'The link history of one person, oldest first (hub_admin, auditor); the read is audited';

-- The link history of a period, a page at a time in event order (hub_admin,
-- auditor): events at or after from_at and before to_at, after after_event.
CREATE FUNCTION healthhub.link_history(from_at timestamptz, to_at timestamptz, after_event bigint DEFAULT NULL,
                                       max_rows integer DEFAULT 1000)
    RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    events healthhub.link_events[];
    n integer;
BEGIN
    PERFORM healthhub.require_argument(from_at IS NOT NULL, 'link_history', 'from_at'),
            healthhub.require_argument(to_at IS NOT NULL, 'link_history', 'to_at'),
            healthhub.require_page_size(max_rows);
    PERFORM healthhub.linkage_authorise_history();
    SELECT array_agg(x.r ORDER BY (x.r).event_id) INTO events
      FROM (SELECT e AS r FROM healthhub.link_events e
             WHERE e.at >= from_at AND e.at < to_at AND (after_event IS NULL OR e.event_id > after_event)
             ORDER BY e.event_id LIMIT max_rows) x;
    n := coalesce(cardinality(events), 0);
    PERFORM healthhub.audit_append('read', 'person_link_history',
                                   format('[%s, %s) events %s', from_at, to_at,
                                          CASE WHEN n = 0 THEN 'none' ELSE (events[1]).event_id || ' .. ' || (events[n]).event_id END),
                                   NULL, 'patient identity management', n || ' events');
    RETURN QUERY SELECT * FROM unnest(events);
END
$$;
COMMENT ON FUNCTION healthhub.link_history(timestamptz, timestamptz, bigint, integer) IS
    'The link history of a period, a page at a time (hub_admin, auditor); the read is audited';

-- record_history checks the caller's profile: no profile SELECTs link_events.
CREATE OR REPLACE FUNCTION healthhub.record_history(source text, local_id text) RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (by profile: no profile may SELECT link_events itself)
    PERFORM healthhub.require_record_key('record_history', source, local_id);
    PERFORM healthhub.linkage_authorise_history();
    PERFORM healthhub.audit_append('read', 'person_link_history', btrim(source) || '/' || btrim(local_id), NULL,
                                   'patient identity management', 'ok');
    RETURN QUERY
    SELECT e.* FROM healthhub.link_events e
     WHERE e.record_id = (SELECT s.record_id FROM healthhub.source_records s
                           WHERE s.source = btrim(record_history.source) AND s.local_id = btrim(record_history.local_id))
     ORDER BY e.event_id;
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'healthhub.linkage_may_read_history()', 'healthhub.linkage_authorise_reader(text)',
        'healthhub.linkage_authorise_history()', 'healthhub.require_argument(boolean, text, text)',
        'healthhub.require_page_size(integer)', 'healthhub.require_record_key(text, text, text)',
        'healthhub.source_record(text, text)',
        'healthhub.source_records_of(text, text, integer)', 'healthhub.person_details(bigint)',
        'healthhub.person_records(bigint)', 'healthhub.person_identifiers_of(bigint)',
        'healthhub.record_links(text, text)', 'healthhub.pending_reviews(timestamptz, integer)',
        'healthhub.find_persons_with_two_numbers()', 'healthhub.person_history(bigint)',
        'healthhub.link_history(timestamptz, timestamptz, bigint, integer)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

-- Take the direct reads away from the roles that hold the profiles (what
-- the rows granted them), then change the rows and grant what they now say.
DO $$
DECLARE
    rp record;
BEGIN
    FOR rp IN SELECT r.role_name, r.profile FROM healthhub.role_profiles r
               WHERE EXISTS (SELECT FROM pg_catalog.pg_roles x WHERE x.rolname = r.role_name) LOOP
        IF rp.profile = 'hub_admin' THEN
            EXECUTE format('REVOKE SELECT ON healthhub.persons, healthhub.person_identifiers, healthhub.links, '
                           'healthhub.link_decisions, healthhub.link_events, healthhub.person_separations, '
                           'healthhub.review_queue, healthhub.persons_with_two_numbers, healthhub.source_records, '
                           'healthhub.stage_person_records FROM %I', rp.role_name);
            EXECUTE format('REVOKE UPDATE ON healthhub.stage_person_records FROM %I', rp.role_name);
        ELSIF rp.profile = 'institution_app' THEN
            EXECUTE format('REVOKE SELECT ON healthhub.source_records FROM %I', rp.role_name);
        ELSIF rp.profile = 'auditor' THEN
            EXECUTE format('REVOKE SELECT ON healthhub.link_events FROM %I', rp.role_name);
        END IF;
    END LOOP;
END
$$;
DELETE FROM healthhub.profile_privileges pp
 WHERE pp.object_kind = 'table'
   AND ((pp.profile = 'hub_admin'
         AND pp.object_name IN ('healthhub.persons', 'healthhub.person_identifiers', 'healthhub.links',
                                'healthhub.link_decisions', 'healthhub.link_events', 'healthhub.person_separations',
                                'healthhub.review_queue', 'healthhub.persons_with_two_numbers',
                                'healthhub.source_records'))
        OR (pp.profile = 'institution_app' AND pp.object_name = 'healthhub.source_records')
        OR (pp.profile = 'auditor' AND pp.object_name = 'healthhub.link_events'));
UPDATE healthhub.profile_privileges SET privileges = 'INSERT, DELETE'
 WHERE profile = 'hub_admin' AND object_kind = 'table' AND object_name = 'healthhub.stage_person_records';
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.person_details(bigint)', 'healthhub.person_records(bigint)',
                    'healthhub.person_identifiers_of(bigint)', 'healthhub.record_links(text, text)',
                    'healthhub.pending_reviews(timestamptz, integer)',
                    'healthhub.find_persons_with_two_numbers()']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app']) pr,
       unnest(ARRAY['healthhub.source_record(text, text)', 'healthhub.source_records_of(text, text, integer)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr,
       unnest(ARRAY['healthhub.person_history(bigint)',
                    'healthhub.link_history(timestamptz, timestamptz, bigint, integer)']) f;
SELECT healthhub.apply_profile_privileges(rp.role_name, rp.profile, true) FROM healthhub.role_profiles rp
 WHERE EXISTS (SELECT FROM pg_catalog.pg_roles x WHERE x.rolname = rp.role_name);
-- (end of the section of branch h2)

-- ===========================================================================
-- Section h1 (issue 10): revocation waits for no open action, no profile
-- mints keys itself, restore mode is a superuser-only setting, NULL arguments
-- give 22004, pseudonyms only of numbers the hub holds.
-- ===========================================================================

-- 22004 naming the NULL argument (src/registry/arguments.sql)
CREATE FUNCTION healthhub.require_arguments(function_name text, argument_names text[], is_null boolean[])
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    FOR i IN 1 .. cardinality(argument_names) LOOP
        IF is_null[i] THEN
            RAISE EXCEPTION 'null value not allowed for argument "%" of %()', argument_names[i], function_name
                USING ERRCODE = 'null_value_not_allowed',
                      DETAIL = CASE WHEN cardinality(argument_names) = 1
                                    THEN format('Argument "%s" is null; it is required.', argument_names[i])
                                    ELSE format('Argument "%s" is null; the required arguments are %s.', argument_names[i],
                                                array_to_string(argument_names, ', ')) END;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION healthhub.require_arguments(text, text[], boolean[]) IS
    'Raise 22004 naming the first required argument that is NULL';

-- Restore mode is healthhub.restoring (superuser-only, src/healthhub.c), not
-- "the current user is a superuser" (code review S7).
CREATE FUNCTION healthhub.is_restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_is_restoring' LANGUAGE C STABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION healthhub.licences_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_status text;
    last_effective timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' AND NOT healthhub.is_restoring() THEN
            RAISE EXCEPTION 'a new licence starts active'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Licence %s was inserted with status %s.', NEW.licence_no, NEW.status),
                      HINT = 'Insert it, then call healthhub.change_licence_status().';
        END IF;
        IF NEW.status_effective IS NULL THEN
            NEW.status_effective := lower(NEW.validity);
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status OR NEW.status_effective IS DISTINCT FROM OLD.status_effective THEN
        -- The status is the last of its history, whoever writes it: checked
        -- against the history, not against who calls (a trigger of any
        -- depth can be anyone's).
        SELECT h.status, h.effective INTO last_status, last_effective FROM healthhub.licence_status_history h
         WHERE h.licence_key = NEW.licence_key ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF (NEW.status, NEW.status_effective) IS DISTINCT FROM (last_status, last_effective) THEN
            RAISE EXCEPTION 'the status of licence % is changed through its history', OLD.licence_no
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its history says %s.', coalesce(last_status, 'nothing: it is active')),
                      HINT = 'Call healthhub.change_licence_status(licence_no, status, reason, effective).';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.history_before_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    revoked_at timestamptz;
    lic text;
BEGIN
    IF NOT healthhub.is_restoring() THEN
        NEW.recorded_at := now();
        NEW.recorded_by := CURRENT_USER;
    END IF;
    SELECT min(h.effective) INTO revoked_at FROM healthhub.licence_status_history h
     WHERE h.licence_key = NEW.licence_key AND h.status = 'revoked';
    IF revoked_at <= NEW.effective THEN
        SELECT l.licence_no INTO lic FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key;
        RAISE EXCEPTION 'licence % is revoked', lic
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It was revoked with effect from %s; a revocation is final.', revoked_at),
                  HINT = 'A revoked practitioner needs a new licence.';
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.registry_stamp() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    by_column text := CASE TG_TABLE_NAME WHEN 'blacklist' THEN 'recorded_by' ELSE 'granted_by' END;
    j jsonb := to_jsonb(NEW);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', to_jsonb(OLD)->'recorded_at',
                                                             by_column, to_jsonb(OLD)->by_column));
    ELSIF NOT (healthhub.is_restoring() AND (j->>'recorded_at')::timestamptz IS DISTINCT FROM now()) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', now(), by_column, CURRENT_USER));
    END IF;
    RETURN NEW;
END
$$;
DROP FUNCTION healthhub.registry_restoring();

-- No profile uses key_seq; mint_key() runs as its owner; the rows an
-- application inserts get their keys from a trigger.
CREATE OR REPLACE FUNCTION healthhub.mint_key() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    SELECT h.hub_id INTO id FROM healthhub.hub h;
    IF id IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    RETURN id * 10000000000 + nextval('healthhub.key_seq');
END
$$;
DELETE FROM healthhub.profile_privileges
 WHERE (object_kind, object_name) IN (('sequence', 'healthhub.key_seq'))
    OR (profile, object_kind, object_name) = ('institution_app', 'function', 'healthhub.mint_key()');
DO $$
DECLARE
    r name;
BEGIN
    -- roles that hold the profiles lose what the profiles no longer grant
    FOR r IN SELECT DISTINCT rp.role_name FROM healthhub.role_profiles rp
              JOIN pg_catalog.pg_roles x ON x.rolname = rp.role_name
             WHERE rp.profile IN ('hub_admin', 'institution_app') LOOP
        EXECUTE format('REVOKE ALL ON SEQUENCE healthhub.key_seq FROM %I', r);
    END LOOP;
    FOR r IN SELECT DISTINCT rp.role_name FROM healthhub.role_profiles rp
              JOIN pg_catalog.pg_roles x ON x.rolname = rp.role_name
             WHERE rp.profile = 'institution_app'
               AND NOT EXISTS (SELECT 1 FROM healthhub.role_profiles o
                                WHERE o.role_name = rp.role_name AND o.profile = 'hub_admin') LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION healthhub.mint_key() FROM %I', r);
    END LOOP;
END
$$;
ALTER TABLE healthhub.practice_privileges ALTER COLUMN grant_key DROP DEFAULT;
CREATE FUNCTION healthhub.mint_row_key() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    key_column text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(key_column, to_jsonb(OLD)->key_column));
    ELSIF NOT (healthhub.is_restoring() AND to_jsonb(NEW)->>key_column IS NOT NULL) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(key_column, healthhub.mint_key()));
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.mint_row_key() FROM PUBLIC;
CREATE TRIGGER practice_privileges_key BEFORE INSERT OR UPDATE OF grant_key ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.mint_row_key('grant_key');

-- assert_may_practise takes no lock an idle transaction could hold: it
-- claims, and the commit checks again (src/registry/practice_claims.c).
CREATE FUNCTION healthhub.note_rights_change(practitioner bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_note_rights_change' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
CREATE FUNCTION healthhub.claim_practice(practitioner bigint, act text, institution bigint, privilege text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_claim_practice' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION healthhub.claim_practice(bigint, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.note_rights_change(bigint) FROM PUBLIC;
CREATE OR REPLACE FUNCTION healthhub.recompute_practice_rights(practitioner bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.recompute_practice_rights', ARRAY['practitioner'],
                                        ARRAY[practitioner IS NULL]);
    UPDATE healthhub.practitioners p SET rights_version = p.rights_version + 1
     WHERE p.practitioner_key = practitioner;
    PERFORM healthhub.note_rights_change(practitioner);
    DELETE FROM healthhub.practice_rights r WHERE r.practitioner_key = practitioner;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner) THEN
        RETURN 0;
    END IF;
    INSERT INTO healthhub.practice_rights (practitioner_key, institution_key, act, privilege, valid)
    WITH usable AS (            -- each licence: validity * active periods
        SELECT l.licence_key, l.kind,
               pg_catalog.tstzmultirange(l.validity) OPERATOR(pg_catalog.*) healthhub.licence_active_periods(l.licence_key) AS m
          FROM healthhub.licences l
         WHERE l.practitioner_key = practitioner
    ), sited AS (               -- * registration period * institution operating period
        SELECT u.kind, r.institution_key,
               u.m OPERATOR(pg_catalog.*) pg_catalog.tstzmultirange(r.period OPERATOR(pg_catalog.*) i.valid) AS m
          FROM usable u
          JOIN healthhub.registrations r ON r.licence_key = u.licence_key
          JOIN healthhub.institutions i ON i.institution_key = r.institution_key
    ), base AS (
        SELECT s.kind, s.institution_key, pg_catalog.range_agg(s.m) AS m
          FROM sited s GROUP BY s.kind, s.institution_key
    ), barred AS (              -- minus the blacklist of the practitioner and of the institution
        SELECT b.kind, b.institution_key,
               b.m OPERATOR(pg_catalog.-) COALESCE(
                   (SELECT pg_catalog.range_agg(x.period) FROM healthhub.blacklist x
                     WHERE x.practitioner_key = practitioner
                        OR x.institution_key = b.institution_key),
                   '{}'::pg_catalog.tstzmultirange) AS m
          FROM base b
    ), privs AS (               -- special antimicrobial privilege includes the restricted tier
        SELECT g.institution_key, v.privilege, pg_catalog.range_agg(g.period) AS m
          FROM healthhub.practice_privileges g
         CROSS JOIN LATERAL (VALUES (g.privilege), (CASE WHEN g.privilege = 'antimicrobial_special'
                                                    THEN 'antimicrobial_restricted' END)) v(privilege)
         WHERE g.practitioner_key = practitioner AND v.privilege IS NOT NULL
         GROUP BY g.institution_key, v.privilege
    )
    SELECT practitioner, b.institution_key, b.kind, '', b.m
      FROM barred b WHERE NOT pg_catalog.isempty(b.m)
    UNION ALL
    SELECT practitioner, b.institution_key, b.kind, p.privilege, b.m OPERATOR(pg_catalog.*) p.m
      FROM barred b JOIN privs p ON p.institution_key = b.institution_key
     WHERE NOT pg_catalog.isempty(b.m OPERATOR(pg_catalog.*) p.m);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.recompute_practice_rights() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p bigint;
    n bigint := 0;
BEGIN
    DELETE FROM healthhub.practice_rights r
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.practitioners x WHERE x.practitioner_key = r.practitioner_key);
    FOR p IN SELECT x.practitioner_key FROM healthhub.practitioners x ORDER BY 1 LOOP
        n := n + healthhub.recompute_practice_rights(p);
    END LOOP;
    RETURN n;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.check_own_institution(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.calling_role();
    own bigint := healthhub.institution_of(caller);
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
CREATE OR REPLACE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    st record;
    b record;
    reasons text[] := '{}';
    some_licence_ok boolean := false;
    -- Licence numbers and the reasons of suspensions are the licensing
    -- authority's, not every institution's: hub_admin reads them, others
    -- read what stands in the way.
    detailed boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.calling_role())
                        OR EXISTS (SELECT 1 FROM healthhub.effective_profiles(healthhub.calling_role()) ep
                                    WHERE ep.profile = 'hub_admin');
BEGIN
    PERFORM healthhub.require_arguments('healthhub.why_not_practise',
                                        ARRAY['practitioner', 'act', 'institution', 'at'],
                                        ARRAY[practitioner IS NULL, act IS NULL, institution IS NULL, "at" IS NULL]);
    PERFORM healthhub.check_own_institution(institution);
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

    FOR l IN SELECT * FROM healthhub.licences x
              WHERE x.practitioner_key = practitioner AND x.kind = act
              ORDER BY lower(x.validity) DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity)
                ELSE format('%s licence is not valid at %s', act, "at") END;
            CONTINUE;
        END IF;
        SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
         WHERE h.licence_key = l.licence_key AND h.effective <= "at"
         ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF FOUND AND st.status <> 'active' THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason)
                ELSE format('%s licence is %s since %s', act, st.status, st.effective) END;
            CONTINUE;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM healthhub.registrations r
                        WHERE r.licence_key = l.licence_key AND r.institution_key = institution
                          AND r.period @> "at") THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at")
                ELSE format('%s licence is not registered at %s at %s', act, inst.name, "at") END;
            CONTINUE;
        END IF;
        some_licence_ok := true;
    END LOOP;
    IF NOT FOUND AND cardinality(reasons) = 0 THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    IF NOT inst.valid @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
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
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privileges g
                        WHERE g.practitioner_key = practitioner AND g.institution_key = institution
                          AND (g.privilege = why_not_practise.privilege
                               OR (why_not_practise.privilege = 'antimicrobial_restricted'
                                   AND g.privilege = 'antimicrobial_special'))
                          AND g.period @> "at") THEN
        reasons := reasons || format('privilege %s is not granted at %s at %s', privilege, inst.name, "at");
    END IF;
    IF cardinality(reasons) = 0 THEN
        RETURN 'the derived practice rights are out of date; run healthhub.recompute_practice_rights()';
    END IF;
    RETURN array_to_string(reasons, '; ');
END
$$;
CREATE OR REPLACE FUNCTION healthhub.assert_may_practise(practitioner bigint, act text, institution bigint,
                                              privilege text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    why text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.assert_may_practise',
                                        ARRAY['practitioner', 'act', 'institution'],
                                        ARRAY[practitioner IS NULL, act IS NULL, institution IS NULL]);
    PERFORM healthhub.check_own_institution(institution);
    IF NOT healthhub.claim_practice(practitioner, act, institution, privilege) THEN
        -- (under REPEATABLE READ the snapshot may predate what refused it)
        why := healthhub.why_not_practise(practitioner, act, institution, clock_timestamp(), privilege);
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('practitioner may not act as %s%s here', act,
                             CASE WHEN privilege IS NULL THEN '' ELSE ' with privilege ' || privilege END),
            DETAIL = COALESCE(upper(left(why, 1)) || substr(why, 2) || '.',
                              'Its practice rights changed after this transaction''s snapshot was taken.');
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.change_licence_status(licence_no text, status text, reason text,
                                                effective timestamptz DEFAULT pg_catalog.now())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences%ROWTYPE;
    current_status text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.change_licence_status',
                                        ARRAY['licence_no', 'status', 'reason', 'effective'],
                                        ARRAY[licence_no IS NULL, status IS NULL, reason IS NULL, effective IS NULL]);
    IF status NOT IN ('active', 'suspended', 'revoked') THEN
        RAISE EXCEPTION 'invalid licence status "%"', status
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A licence is active, suspended or revoked.';
    END IF;
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'a licence status change needs a reason'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT isfinite(effective) THEN
        RAISE EXCEPTION 'invalid effective time %', effective
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A status change takes effect at a finite time.';
    END IF;
    SELECT * INTO lic FROM healthhub.licences l WHERE l.licence_no = change_licence_status.licence_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'licence "%" does not exist', licence_no
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT h.status INTO current_status FROM healthhub.licence_status_history h
     WHERE h.licence_key = lic.licence_key AND h.effective <= change_licence_status.effective
     ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
    IF COALESCE(current_status, 'active') = status
       AND NOT EXISTS (SELECT 1 FROM healthhub.licence_status_history h
                        WHERE h.licence_key = lic.licence_key AND h.effective > change_licence_status.effective) THEN
        RAISE NOTICE 'licence % is already %', licence_no, status;
        RETURN;
    END IF;
    INSERT INTO healthhub.licence_status_history (licence_key, status, effective, reason)
    VALUES (lic.licence_key, status, effective, reason);
END
$$;
CREATE OR REPLACE FUNCTION healthhub.blacklist_subject(kind text, subject bigint, reason text, source text, period tstzrange)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.blacklist_' || kind, ARRAY[kind, 'reason', 'source', 'period'],
                                        ARRAY[subject IS NULL, reason IS NULL, source IS NULL, period IS NULL]);
    IF btrim(reason) = '' OR btrim(source) = '' THEN
        RAISE EXCEPTION 'a blacklist entry needs its subject, a reason and a source'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF isempty(period) OR lower_inf(period) THEN
        RAISE EXCEPTION 'invalid blacklist period %', period
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The period must have a start; leave the end open for an indefinite listing.';
    END IF;
    IF kind = 'practitioner' AND NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = subject)
       OR kind = 'institution' AND NOT EXISTS (SELECT 1 FROM healthhub.institutions i WHERE i.institution_key = subject) THEN
        RAISE EXCEPTION 'unknown % %', kind, subject
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO healthhub.blacklist (subject_kind, practitioner_key, institution_key, reason, source, period)
    VALUES (kind, CASE WHEN kind = 'practitioner' THEN subject END,
            CASE WHEN kind = 'institution' THEN subject END, reason, source, period)
    RETURNING entry_key INTO k;
    RETURN k;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.lift_blacklist(entry bigint, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e healthhub.blacklist%ROWTYPE;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.lift_blacklist', ARRAY['entry', 'at'],
                                        ARRAY[entry IS NULL, "at" IS NULL]);
    SELECT * INTO e FROM healthhub.blacklist b WHERE b.entry_key = entry FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'blacklist entry % does not exist', entry USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT e.period @> "at" OR "at" = lower(e.period) THEN
        RAISE EXCEPTION 'blacklist entry % is not in force at %', entry, "at"
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The entry covers %s.', e.period);
    END IF;
    UPDATE healthhub.blacklist b SET period = tstzrange(lower(b.period), "at") WHERE b.entry_key = entry;
END
$$;
COMMENT ON FUNCTION healthhub.assert_may_practise(bigint, text, bigint, text) IS
    'Raise 42501 unless the practitioner may act now; checked again when the transaction commits';
COMMENT ON COLUMN healthhub.practitioners.rights_version IS
    'bumped whenever the practitioner''s practice rights are recomputed (serialises recomputations)';

-- NULL arguments of the loading functions
CREATE OR REPLACE FUNCTION healthhub.load_problem(value text, type text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    msg text;
    detail text;
    known boolean := true;
BEGIN
    -- (a NULL value converts to NULL: no problem)
    PERFORM healthhub.require_arguments('healthhub.load_problem', ARRAY['type'], ARRAY[type IS NULL]);
    BEGIN
        CASE type
            WHEN 'timestamptz' THEN PERFORM value::timestamptz;
            WHEN 'uscc' THEN PERFORM value::healthhub.uscc;
            WHEN 'region_code' THEN PERFORM value::healthhub.region_code;
            WHEN 'resident_id' THEN PERFORM healthhub.resident_id(value);
            ELSE known := false;
        END CASE;
    EXCEPTION WHEN data_exception THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        RETURN msg || CASE WHEN detail <> '' THEN ': ' || detail ELSE '' END;
    END;
    -- (raised outside the block: 22023 is a data_exception too)
    IF NOT known THEN
        RAISE EXCEPTION 'load_problem does not know type "%"', type
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The types are timestamptz, uscc, region_code and resident_id.';
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION healthhub.load_registry(source text, file_digest text, mode text)
    RETURNS TABLE (load_id bigint, entity text, staged integer, loaded integer, ended integer,
                   rejected integer, already_loaded boolean)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lid bigint;
    digest text := lower(btrim(file_digest));
    src text := btrim(source);
    t timestamptz := now();
    r record;
    errs text[][];
    e text[];
    problem text;
    vfrom timestamptz;
    vto timestamptz;
    k bigint;
    k2 bigint;
    n_staged integer; n_loaded integer; n_ended integer; n_rejected integer;
    result jsonb := '{}';
    msg text; col text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.load_registry', ARRAY['source', 'file_digest', 'mode'],
                                        ARRAY[source IS NULL, file_digest IS NULL, mode IS NULL]);
    IF src !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid load source "%"', source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A source is 1 to 64 letters, digits, "_", ".", ":" or "-".';
    END IF;
    IF digest !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest "%"', file_digest
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Give the file''s hexadecimal digest, e.g. the output of sha256sum, optionally prefixed "sha256:".';
    END IF;
    IF mode NOT IN ('snapshot', 'delta') THEN
        RAISE EXCEPTION 'invalid load mode "%"', mode
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A load is a "snapshot" (rows of the source absent from the file are ended) or a "delta".';
    END IF;

    -- one load at a time: the staging tables are shared
    LOCK TABLE healthhub.loads IN SHARE ROW EXCLUSIVE MODE;
    SELECT l.load_id, l.outcome INTO lid, result FROM healthhub.loads l
     WHERE l.source = src AND l.file_digest = digest;
    IF FOUND THEN
        RAISE NOTICE 'file % of source % was already loaded; nothing changed', digest, src;
        PERFORM healthhub.clear_staging();
        RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                            (o.value->>'ended')::int, (o.value->>'rejected')::int, true
                       FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
        RETURN;
    END IF;
    INSERT INTO healthhub.loads (source, file_digest, mode) VALUES (src, digest, mode) RETURNING loads.load_id INTO lid;
    result := '{}';

    ---------------------------------------------------------------- institutions
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_institutions s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_institutions d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF coalesce(btrim(r.name), '') = '' THEN errs := errs || ARRAY[['name', 'is required']]; END IF;
        IF r.kind IS NULL OR btrim(r.kind) NOT IN ('hospital', 'primary_care', 'village_clinic', 'internet_hospital',
                                   'retail_pharmacy', 'lab', 'cdc', 'insurer') THEN
            errs := errs || ARRAY[['kind', 'is not one of hospital, primary_care, village_clinic, internet_hospital, retail_pharmacy, lab, cdc, insurer']];
        END IF;
        IF nullif(btrim(r.level), '') NOT IN ('1', '2', '3') THEN errs := errs || ARRAY[['level', 'is not 1, 2 or 3']]; END IF;
        IF nullif(btrim(r.grade), '') NOT IN ('甲', '乙', '丙', '特') THEN errs := errs || ARRAY[['grade', 'is not 甲, 乙, 丙 or 特']]; END IF;
        problem := healthhub.load_problem(btrim(r.region), 'region_code');
        IF r.region IS NULL OR problem IS NOT NULL THEN
            errs := errs || ARRAY[['region', coalesce(problem, 'is required')]];
        ELSIF NOT EXISTS (SELECT 1 FROM healthhub.regions g WHERE g.code OPERATOR(healthhub.=) btrim(r.region)::healthhub.region_code) THEN
            errs := errs || ARRAY[['region', 'is not in healthhub.regions']];
        END IF;
        IF nullif(btrim(r.uscc), '') IS NOT NULL THEN
            problem := healthhub.load_problem(btrim(r.uscc), 'uscc');
            IF problem IS NOT NULL THEN errs := errs || ARRAY[['uscc', problem]]; END IF;
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.institutions AS i (source, source_ref, name, kind, level, grade, region, uscc,
                                                         practice_licence_no, insurance_code, valid)
                VALUES (src, r.ref, btrim(r.name), btrim(r.kind), nullif(btrim(r.level), ''), nullif(btrim(r.grade), ''),
                        btrim(r.region)::healthhub.region_code, nullif(btrim(r.uscc), '')::healthhub.uscc,
                        nullif(btrim(r.practice_licence_no), ''), nullif(btrim(r.insurance_code), ''), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT institutions_source_ref DO UPDATE
                   SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, grade = EXCLUDED.grade,
                       region = EXCLUDED.region, uscc = EXCLUDED.uscc, practice_licence_no = EXCLUDED.practice_licence_no,
                       insurance_code = EXCLUDED.insurance_code, valid = EXCLUDED.valid
                 WHERE (i.name, i.kind, i.level, i.grade, i.region::text, i.uscc::text, i.practice_licence_no,
                        i.insurance_code, i.valid)
                       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.grade, EXCLUDED.region::text,
                        EXCLUDED.uscc::text, EXCLUDED.practice_licence_no, EXCLUDED.insurance_code, EXCLUDED.valid);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'institutions', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'name' THEN r.name WHEN 'kind' THEN r.kind
                              WHEN 'level' THEN r.level WHEN 'grade' THEN r.grade WHEN 'region' THEN r.region
                              WHEN 'uscc' THEN r.uscc WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END,
                    e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.institutions i SET valid = tstzrange(lower(i.valid), t)
         WHERE i.source = src AND upper_inf(i.valid) AND lower(i.valid) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_institutions s WHERE btrim(s.source_ref) = i.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('institutions', jsonb_build_object('order', 1, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- practitioners
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_practitioners s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_practitioners d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF coalesce(btrim(r.name), '') = '' THEN errs := errs || ARRAY[['name', 'is required']]; END IF;
        IF nullif(btrim(r.resident_id), '') IS NOT NULL THEN
            problem := healthhub.resident_id_problem(btrim(r.resident_id));   -- never repeats the number
            IF problem IS NOT NULL THEN errs := errs || ARRAY[['resident_id', problem]]; END IF;
        END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                INSERT INTO healthhub.practitioners AS p (source, source_ref, resident_id, name)
                VALUES (src, r.ref, healthhub.resident_id(nullif(btrim(r.resident_id), '')), btrim(r.name))
                ON CONFLICT ON CONSTRAINT practitioners_source_ref DO UPDATE
                   SET resident_id = EXCLUDED.resident_id, name = EXCLUDED.name
                 WHERE (p.resident_id::text, p.name) IS DISTINCT FROM (EXCLUDED.resident_id::text, EXCLUDED.name);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                -- identity numbers are personal data: the error keeps only the masked form
                INSERT INTO healthhub.load_errors VALUES (lid, 'practitioners', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'name' THEN NULL
                              WHEN 'resident_id' THEN left(r.resident_id, 6) || '********' END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    result := result || jsonb_build_object('practitioners', jsonb_build_object('order', 2, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', 0, 'rejected', n_rejected));

    ---------------------------------------------------------------- licences
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.licence_no) AS ref FROM healthhub.stage_licences s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        k := NULL;
        IF r.ref IS NULL OR r.ref !~ '^[0-9A-Za-z-]{4,40}$' THEN
            errs := errs || ARRAY[['licence_no', 'is not 4 to 40 letters, digits or "-"']];
        ELSIF EXISTS (SELECT 1 FROM healthhub.stage_licences d WHERE btrim(d.licence_no) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['licence_no', 'repeats an earlier record']];
        ELSIF EXISTS (SELECT 1 FROM healthhub.licences l WHERE l.licence_no = r.ref AND l.source IS DISTINCT FROM src) THEN
            errs := errs || ARRAY[['licence_no', 'belongs to another source']];
        END IF;
        SELECT p.practitioner_key INTO k FROM healthhub.practitioners p
         WHERE p.source = src AND p.source_ref = btrim(r.practitioner_ref);
        IF k IS NULL THEN errs := errs || ARRAY[['practitioner_ref', 'names no practitioner of this source']]; END IF;
        IF r.kind IS NULL OR btrim(r.kind) NOT IN ('physician', 'pharmacist', 'nurse') THEN
            errs := errs || ARRAY[['kind', 'is not physician, pharmacist or nurse']];
        END IF;
        IF nullif(btrim(r.status), '') NOT IN ('active', 'suspended', 'revoked') THEN
            errs := errs || ARRAY[['status', 'is not active, suspended or revoked']];
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.licences AS l (licence_no, practitioner_key, kind, scope, validity, source)
                VALUES (r.ref, k, btrim(r.kind), nullif(btrim(r.scope), ''), tstzrange(vfrom, vto), src)
                ON CONFLICT (licence_no) DO UPDATE
                   SET practitioner_key = EXCLUDED.practitioner_key, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
                       validity = EXCLUDED.validity
                 WHERE (l.practitioner_key, l.kind, l.scope, l.validity)
                       IS DISTINCT FROM (EXCLUDED.practitioner_key, EXCLUDED.kind, EXCLUDED.scope, EXCLUDED.validity);
                IF coalesce(nullif(btrim(r.status), ''), 'active')
                   IS DISTINCT FROM (SELECT l.status FROM healthhub.licences l WHERE l.licence_no = r.ref) THEN
                    PERFORM healthhub.change_licence_status(r.ref, btrim(r.status), 'load ' || src || ' ' || digest, t);
                END IF;
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception OR object_not_in_prerequisite_state THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || ARRAY[[coalesce(nullif(col, ''), 'status'), msg]];
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'licences', r.line_no, e[1],
                    CASE e[1] WHEN 'licence_no' THEN r.licence_no WHEN 'practitioner_ref' THEN r.practitioner_ref
                              WHEN 'kind' THEN r.kind WHEN 'status' THEN r.status
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.licences l SET validity = tstzrange(lower(l.validity), t)
         WHERE l.source = src AND upper_inf(l.validity) AND lower(l.validity) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_licences s WHERE btrim(s.licence_no) = l.licence_no);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('licences', jsonb_build_object('order', 3, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- registrations
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_registrations s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_registrations d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        SELECT l.licence_key INTO k FROM healthhub.licences l WHERE l.licence_no = btrim(r.licence_no);
        IF NOT FOUND THEN k := NULL; errs := errs || ARRAY[['licence_no', 'names no licence']]; END IF;
        SELECT i.institution_key INTO k2 FROM healthhub.institutions i
         WHERE i.source = src AND i.source_ref = btrim(r.institution_ref);
        IF NOT FOUND THEN k2 := NULL; errs := errs || ARRAY[['institution_ref', 'names no institution of this source']]; END IF;
        IF coalesce(nullif(btrim(r.role), ''), 'primary') NOT IN ('primary', 'additional') THEN
            errs := errs || ARRAY[['role', 'is not primary or additional']];
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.registrations AS g (source, source_ref, licence_key, institution_key, role, period)
                VALUES (src, r.ref, k, k2, coalesce(nullif(btrim(r.role), ''), 'primary'), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT registrations_source_ref DO UPDATE
                   SET licence_key = EXCLUDED.licence_key, institution_key = EXCLUDED.institution_key,
                       role = EXCLUDED.role, period = EXCLUDED.period
                 WHERE (g.licence_key, g.institution_key, g.role, g.period)
                       IS DISTINCT FROM (EXCLUDED.licence_key, EXCLUDED.institution_key, EXCLUDED.role, EXCLUDED.period);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'registrations', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'licence_no' THEN r.licence_no
                              WHEN 'institution_ref' THEN r.institution_ref WHEN 'role' THEN r.role
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.registrations g SET period = tstzrange(lower(g.period), t)
         WHERE g.source = src AND upper_inf(g.period) AND lower(g.period) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_registrations s WHERE btrim(s.source_ref) = g.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('registrations', jsonb_build_object('order', 4, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- blacklist
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_blacklist s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        k := NULL;
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_blacklist d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF btrim(r.subject_kind) = 'practitioner' THEN
            SELECT p.practitioner_key INTO k FROM healthhub.practitioners p WHERE p.source = src AND p.source_ref = btrim(r.subject_ref);
            IF k IS NULL THEN errs := errs || ARRAY[['subject_ref', 'names no practitioner of this source']]; END IF;
        ELSIF btrim(r.subject_kind) = 'institution' THEN
            SELECT i.institution_key INTO k FROM healthhub.institutions i WHERE i.source = src AND i.source_ref = btrim(r.subject_ref);
            IF k IS NULL THEN errs := errs || ARRAY[['subject_ref', 'names no institution of this source']]; END IF;
        ELSE
            errs := errs || ARRAY[['subject_kind', 'is not institution or practitioner']];
        END IF;
        IF coalesce(btrim(r.reason), '') = '' THEN errs := errs || ARRAY[['reason', 'is required']]; END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.blacklist AS b (source, source_ref, subject_kind, practitioner_key, institution_key, reason, period)
                VALUES (src, r.ref, btrim(r.subject_kind),
                        CASE WHEN btrim(r.subject_kind) = 'practitioner' THEN k END,
                        CASE WHEN btrim(r.subject_kind) = 'institution' THEN k END,
                        btrim(r.reason), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT blacklist_source_ref DO UPDATE
                   SET subject_kind = EXCLUDED.subject_kind, practitioner_key = EXCLUDED.practitioner_key,
                       institution_key = EXCLUDED.institution_key, reason = EXCLUDED.reason, period = EXCLUDED.period
                 WHERE (b.subject_kind, b.practitioner_key, b.institution_key, b.reason, b.period)
                       IS DISTINCT FROM (EXCLUDED.subject_kind, EXCLUDED.practitioner_key, EXCLUDED.institution_key,
                                         EXCLUDED.reason, EXCLUDED.period);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'blacklist', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'subject_kind' THEN r.subject_kind
                              WHEN 'subject_ref' THEN r.subject_ref WHEN 'reason' THEN r.reason
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.blacklist b SET period = tstzrange(lower(b.period), t)
         WHERE b.source = src AND b.source_ref IS NOT NULL AND upper_inf(b.period) AND lower(b.period) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_blacklist s WHERE btrim(s.source_ref) = b.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('blacklist', jsonb_build_object('order', 5, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    UPDATE healthhub.loads l SET outcome = result WHERE l.load_id = lid;
    PERFORM healthhub.audit_append('registry.load.' || mode, 'load', lid::text, NULL, 'registry maintenance',
        CASE WHEN EXISTS (SELECT 1 FROM healthhub.load_errors x WHERE x.load_id = lid) THEN 'partial' ELSE 'ok' END);
    PERFORM healthhub.clear_staging();
    RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                        (o.value->>'ended')::int, (o.value->>'rejected')::int, false
                   FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
END
$$;

-- No profile gets the pseudonym of a number it passes (issue 10).
CREATE OR REPLACE FUNCTION healthhub.pseudonym(id healthhub.resident_id) RETURNS text
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM healthhub.hub_secrets) THEN
        INSERT INTO healthhub.hub_secrets DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN (SELECT healthhub.pseudonym_of(s.pseudonym_key, id) FROM healthhub.hub_secrets s);
END
$$;
REVOKE ALL ON FUNCTION healthhub.pseudonym(healthhub.resident_id) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.pseudonym_of(bytea, healthhub.resident_id) FROM PUBLIC;
ALTER FUNCTION healthhub.pseudonym(healthhub.resident_id) SECURITY INVOKER;
CREATE FUNCTION healthhub.person_pseudonym(person bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.calling_role();
    p record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_pseudonym', ARRAY['person'], ARRAY[person IS NULL]);
    IF healthhub.presentation_for(caller, 'resident_id') NOT IN ('pseudonym', 'full') THEN
        RAISE EXCEPTION 'permission denied for pseudonyms'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role %s may not see ID numbers or their pseudonyms.', caller);
    END IF;
    SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = person;
    FOR hop IN 1 .. 100 LOOP                 -- a merged person: its survivor
        EXIT WHEN p.redirected_to IS NULL;
        SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = p.redirected_to;
    END LOOP;
    IF p.resident_id IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN healthhub.pseudonym(p.resident_id);
END
$$;
REVOKE ALL ON FUNCTION healthhub.person_pseudonym(bigint) FROM PUBLIC;
COMMENT ON FUNCTION healthhub.person_pseudonym(bigint) IS
    'The keyed pseudonym of a person''s resident ID number (for roles shown pseudonyms or full numbers)';
CREATE OR REPLACE FUNCTION healthhub.present_resident_id(id healthhub.resident_id) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('resident_id')
        WHEN 'full' THEN id::text
        WHEN 'masked' THEN healthhub.mask(id)
    END;
END;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'function', 'healthhub.person_pseudonym(bigint)', 'EXECUTE'),
    ('statistician', 'function', 'healthhub.person_pseudonym(bigint)', 'EXECUTE');
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT rp.role_name FROM healthhub.role_profiles rp
              JOIN pg_catalog.pg_roles x ON x.rolname = rp.role_name
             WHERE rp.profile IN ('hub_admin', 'statistician') LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION healthhub.person_pseudonym(bigint) TO %I', r.role_name);
    END LOOP;
END
$$;
-- ============================== end of section h1 ==============================

-- audit_changes reads the restore setting (after section h1)
CREATE OR REPLACE FUNCTION healthhub.audit_changes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    object_id text;
BEGIN
    IF TG_OP = 'INSERT' AND healthhub.is_restoring()
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


-- A revocation is final against a concurrent reactivation: the history's BEFORE trigger locks the licence (code review S5)
CREATE OR REPLACE FUNCTION healthhub.history_before_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    revoked_at timestamptz;
    lic text;
BEGIN
    IF NOT healthhub.is_restoring() THEN
        NEW.recorded_at := now();
        NEW.recorded_by := CURRENT_USER;
    END IF;
    -- one change of a licence's status at a time, whoever appends: a
    -- concurrent revocation is committed (and seen below) before this goes on
    PERFORM FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key FOR UPDATE;
    SELECT min(h.effective) INTO revoked_at FROM healthhub.licence_status_history h
     WHERE h.licence_key = NEW.licence_key AND h.status = 'revoked';
    IF revoked_at <= NEW.effective THEN
        SELECT l.licence_no INTO lic FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key;
        RAISE EXCEPTION 'licence % is revoked', lic
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It was revoked with effect from %s; a revocation is final.', revoked_at),
                  HINT = 'A revoked practitioner needs a new licence.';
    END IF;
    RETURN NEW;
END
$$;


-- grant_profile, revoke_profile and archive_audit_partition: 22004 for a NULL argument
CREATE OR REPLACE FUNCTION healthhub.grant_profile(role regrole, profile text, institution bigint DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def healthhub.profiles%ROWTYPE;
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
BEGIN
    PERFORM healthhub.require_arguments('healthhub.grant_profile', ARRAY['role', 'profile'],
                                        ARRAY[role IS NULL, profile IS NULL]);
    SELECT * INTO def FROM healthhub.profiles p WHERE p.profile = grant_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown profile "%"', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The profiles are listed in healthhub.profiles.';
    END IF;
    IF def.needs_institution AND institution IS NULL THEN
        RAISE EXCEPTION 'profile "%" acts for an institution', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the institution key: healthhub.grant_profile(role, profile, institution).';
    END IF;
    IF NOT def.needs_institution AND institution IS NOT NULL THEN
        RAISE EXCEPTION 'profile "%" does not act for an institution', profile
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM healthhub.role_profiles rp
                WHERE rp.role = grant_profile.role AND rp.role_name = rname AND rp.institution_key IS DISTINCT FROM institution
                  AND rp.institution_key IS NOT NULL AND institution IS NOT NULL) THEN
        RAISE EXCEPTION 'role % already acts for another institution', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A role acts for one institution; create one role per institution.';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE oid = role) THEN
        RAISE EXCEPTION 'role % is a superuser', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Superusers bypass row level security; profiles are for ordinary roles.';
    END IF;
    -- (a row of the role's earlier name is replaced: it was not in force)
    INSERT INTO healthhub.role_profiles (role, role_name, profile, institution_key)
    VALUES (role, rname, profile, institution)
    ON CONFLICT ON CONSTRAINT role_profiles_pkey
    DO UPDATE SET institution_key = EXCLUDED.institution_key, role_name = EXCLUDED.role_name,
                  granted_at = now(), granted_by = SESSION_USER;
    PERFORM healthhub.apply_profile_privileges(rname, profile, true);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.revoke_profile(role regrole, profile text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
    other text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.revoke_profile', ARRAY['role', 'profile'],
                                        ARRAY[role IS NULL, profile IS NULL]);
    DELETE FROM healthhub.role_profiles rp WHERE rp.role = revoke_profile.role AND rp.profile = revoke_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not hold profile "%"', role, profile
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM healthhub.apply_profile_privileges(rname, profile, false);
    -- what another profile of the role also grants must stay
    FOR other IN SELECT rp.profile FROM healthhub.role_profiles rp
                  WHERE rp.role = revoke_profile.role AND rp.role_name = rname LOOP
        PERFORM healthhub.apply_profile_privileges(rname, other, true);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.archive_audit_partition(partition regclass)
    RETURNS healthhub.audit_archives
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    retention constant interval := '6 months';  -- Cybersecurity Law art. 21
    bounds  text[];
    lo      bigint;
    hi      bigint;
    newest  timestamptz;
    cnt     bigint;
    lastb   healthhub.audit_blocks;
    rec     healthhub.audit_archives;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.archive_audit_partition', ARRAY['partition'],
                                        ARRAY[partition IS NULL]);
    SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \(''?(\d+)''?\) TO \(''?(\d+)''?\)$')
      INTO bounds
      FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE c.oid = partition AND i.inhparent = 'healthhub.audit_entries'::regclass;
    IF bounds IS NULL THEN
        RAISE EXCEPTION '% is not a range partition of healthhub.audit_entries', partition
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The partitions are listed by: SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = ''healthhub.audit_entries''::regclass;';
    END IF;
    lo := bounds[1]::bigint;
    hi := bounds[2]::bigint;
    IF hi > (SELECT s.last_value + 1 FROM healthhub.audit_entry_seq s) THEN
        RAISE EXCEPTION 'partition % is still being filled', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It takes entry ids %s to %s; new entries still get ids in that range.', lo, hi - 1);
    END IF;
    IF EXISTS (SELECT FROM healthhub.audit_queue q WHERE q.entry_id >= lo AND q.entry_id < hi) THEN
        RAISE EXCEPTION 'partition % holds entries not yet sealed', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run healthhub.seal_audit() first.';
    END IF;
    EXECUTE format('SELECT max(at), count(*) FROM %s', partition) INTO newest, cnt;
    IF newest > now() - retention THEN
        RAISE EXCEPTION 'partition % holds entries younger than six months', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its newest entry is from %s.', newest),
                  HINT = 'Logs are kept online at least six months (Cybersecurity Law, article 21).';
    END IF;
    SELECT * INTO lastb FROM healthhub.audit_blocks b
     WHERE b.entry_ids[1] < hi AND b.entry_ids[b.entry_count] >= lo
     ORDER BY b.block_no DESC LIMIT 1;
    -- verify_audit() accepts the absence only of entries sealed six months
    -- before the archiving: the block times are on the chain, entry times
    -- are only as honest as the clock that wrote them
    IF lastb.sealed_at > now() - retention THEN
        RAISE EXCEPTION 'partition % holds entries sealed less than six months ago', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Block %s, which lists some of them, was sealed at %s.', lastb.block_no, lastb.sealed_at),
                  HINT = 'Logs are kept online at least six months (Cybersecurity Law, article 21).';
    END IF;
    EXECUTE format('ALTER TABLE healthhub.audit_entries DETACH PARTITION %s', partition);
    -- the first partitions are made by CREATE EXTENSION: release them, so the
    -- DBA can dump and drop the detached table
    IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = partition
                                         AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') THEN
        EXECUTE format('ALTER EXTENSION healthhub DROP TABLE %s', partition);
    END IF;
    INSERT INTO healthhub.audit_archives (partition_name, first_entry_id, end_entry_id, entries,
                                          newest_entry_at, last_block_no, last_block_hash, archive_entry_id)
    VALUES (partition::text, lo, hi, cnt, newest, lastb.block_no, lastb.block_hash,
            healthhub.audit_append('archive', 'audit_entries', lo || '-' || hi, NULL, 'retention'))
    RETURNING * INTO rec;
    RETURN rec;
END
$$;


-- one 22004 check (require_arguments) for the audited reads too
CREATE OR REPLACE FUNCTION healthhub.require_record_key(function_name text, source text, local_id text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := healthhub.record_key_problem(source, local_id);
BEGIN
    PERFORM healthhub.require_arguments('healthhub.' || function_name, ARRAY['source', 'local_id'],
                                        ARRAY[source IS NULL, local_id IS NULL]);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid record key: %', problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The source has %s bytes, the local id %s.', octet_length(source), octet_length(local_id));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.person_details(person bigint)
    RETURNS SETOF healthhub.persons
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.persons;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_details', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_reader('Reading persons is for hub_admin.');
    SELECT * INTO p FROM healthhub.persons x WHERE x.person_key = person;
    PERFORM healthhub.audit_append('read', 'person', person::text, p.person_key, 'patient identity management',
                                   CASE WHEN p.person_key IS NULL THEN 'not_found' ELSE 'found' END);
    IF p.person_key IS NOT NULL THEN
        RETURN NEXT p;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.person_records(person bigint)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    page healthhub.source_records[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_records', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_reader('Reading a person''s records is for hub_admin.');
    SELECT array_agg(s ORDER BY s.source, s.local_id) INTO page
      FROM healthhub.source_records s WHERE s.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_records', person::text, person, 'patient identity management',
                                   coalesce(cardinality(page), 0) || ' records');
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.person_identifiers_of(person bigint)
    RETURNS TABLE (resident_id healthhub.resident_id, identifier healthhub.health_identifier, linked_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_ids healthhub.person_identifiers[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_identifiers_of', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_reader('Reading a person''s identifiers is for hub_admin.');
    SELECT array_agg(pi ORDER BY pi.resident_id IS NULL, pi.resident_id, pi.identifier) INTO found_ids
      FROM healthhub.person_identifiers pi WHERE pi.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_identifiers', person::text, person, 'patient identity management',
                                   coalesce(cardinality(found_ids), 0) || ' identifiers');
    RETURN QUERY SELECT x.resident_id, x.identifier, x.linked_at FROM unnest(found_ids) x;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.person_history(person bigint)
    RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    events healthhub.link_events[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_history', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_history();
    SELECT array_agg(e ORDER BY e.event_id) INTO events
      FROM healthhub.link_events e WHERE e.person_key = person OR e.other_person = person;
    PERFORM healthhub.audit_append('read', 'person_link_history', 'person ' || person, person,
                                   'patient identity management', coalesce(cardinality(events), 0) || ' events');
    RETURN QUERY SELECT * FROM unnest(events);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.link_history(from_at timestamptz, to_at timestamptz, after_event bigint DEFAULT NULL,
                                       max_rows integer DEFAULT 1000)
    RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    events healthhub.link_events[];
    n integer;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.link_history', ARRAY['from_at', 'to_at'],
                                        ARRAY[from_at IS NULL, to_at IS NULL]),
            healthhub.require_page_size(max_rows);
    PERFORM healthhub.linkage_authorise_history();
    SELECT array_agg(x.r ORDER BY (x.r).event_id) INTO events
      FROM (SELECT e AS r FROM healthhub.link_events e
             WHERE e.at >= from_at AND e.at < to_at AND (after_event IS NULL OR e.event_id > after_event)
             ORDER BY e.event_id LIMIT max_rows) x;
    n := coalesce(cardinality(events), 0);
    PERFORM healthhub.audit_append('read', 'person_link_history',
                                   format('[%s, %s) events %s', from_at, to_at,
                                          CASE WHEN n = 0 THEN 'none' ELSE (events[1]).event_id || ' .. ' || (events[n]).event_id END),
                                   NULL, 'patient identity management', n || ' events');
    RETURN QUERY SELECT * FROM unnest(events);
END
$$;

DROP FUNCTION healthhub.require_argument(boolean, text, text);

-- ==== The practitioner registry's personal data is read through audited functions ====
-- hub_admin keeps the public register (names, licences, statuses) and loses
-- the resident ID numbers, the reasons of status changes and the staged
-- practitioners; load_registry runs as its owner.
CREATE FUNCTION healthhub.practitioner_identity(practitioner bigint)
    RETURNS TABLE (practitioner_key bigint, resident_id healthhub.resident_id, name text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_arguments('healthhub.practitioner_identity', ARRAY['practitioner'],
                                        ARRAY[practitioner IS NULL]);
    PERFORM healthhub.audit_append('read', 'practitioner_identity', practitioner::text, NULL,
                                   'registry maintenance', 'ok', practitioner);
    RETURN QUERY SELECT p.practitioner_key, p.resident_id, p.name FROM healthhub.practitioners p
                  WHERE p.practitioner_key = practitioner;
END
$$;

COMMENT ON FUNCTION healthhub.practitioner_identity(bigint) IS
    'A practitioner''s resident ID number and name, for hub_admin; audited';

CREATE FUNCTION healthhub.find_practitioner(resident_id healthhub.resident_id) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_key bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.find_practitioner', ARRAY['resident_id'],
                                        ARRAY[resident_id IS NULL]);
    SELECT p.practitioner_key INTO found_key FROM healthhub.practitioners p
     WHERE p.resident_id OPERATOR(healthhub.=) find_practitioner.resident_id;
    -- the entry names the practitioner found, never the number asked for
    PERFORM healthhub.audit_append('read', 'practitioner_identity', found_key::text, NULL,
                                   'registry maintenance', CASE WHEN found_key IS NULL THEN 'not_found' ELSE 'found' END,
                                   found_key);
    RETURN found_key;
END
$$;

COMMENT ON FUNCTION healthhub.find_practitioner(healthhub.resident_id) IS
    'The practitioner holding a resident ID number, for hub_admin; audited';

CREATE FUNCTION healthhub.licence_history(licence_no text)
    RETURNS TABLE (status text, effective timestamptz, reason text, recorded_at timestamptz, recorded_by name)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.licence_history', ARRAY['licence_no'],
                                        ARRAY[licence_no IS NULL]);
    SELECT * INTO lic FROM healthhub.licences l WHERE l.licence_no = licence_history.licence_no;
    PERFORM healthhub.audit_append('read', 'licence_history', licence_no, NULL, 'registry maintenance',
                                   CASE WHEN lic.licence_key IS NULL THEN 'not_found' ELSE 'found' END,
                                   lic.practitioner_key);
    RETURN QUERY SELECT h.status, h.effective, h.reason, h.recorded_at, h.recorded_by
                   FROM healthhub.licence_status_history h
                  WHERE h.licence_key = lic.licence_key ORDER BY h.effective, h.entry_key;
END
$$;

COMMENT ON FUNCTION healthhub.licence_history(text) IS
    'A licence''s status history with the reasons, for hub_admin; audited';

REVOKE ALL ON FUNCTION healthhub.practitioner_identity(bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION healthhub.find_practitioner(healthhub.resident_id) FROM PUBLIC;

REVOKE ALL ON FUNCTION healthhub.licence_history(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION healthhub.history_before_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    revoked_at timestamptz;
    lic text;
BEGIN
    IF NOT healthhub.is_restoring() THEN
        NEW.recorded_at := now();
        NEW.recorded_by := healthhub.acting_role();
    END IF;
    -- one change of a licence's status at a time, whoever appends: a
    -- concurrent revocation is committed (and seen below) before this goes on
    PERFORM FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key FOR UPDATE;
    SELECT min(h.effective) INTO revoked_at FROM healthhub.licence_status_history h
     WHERE h.licence_key = NEW.licence_key AND h.status = 'revoked';
    IF revoked_at <= NEW.effective THEN
        SELECT l.licence_no INTO lic FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key;
        RAISE EXCEPTION 'licence % is revoked', lic
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It was revoked with effect from %s; a revocation is final.', revoked_at),
                  HINT = 'A revoked practitioner needs a new licence.';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.registry_stamp() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    by_column text := CASE TG_TABLE_NAME WHEN 'blacklist' THEN 'recorded_by' ELSE 'granted_by' END;
    j jsonb := to_jsonb(NEW);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', to_jsonb(OLD)->'recorded_at',
                                                             by_column, to_jsonb(OLD)->by_column));
    ELSIF NOT (healthhub.is_restoring() AND (j->>'recorded_at')::timestamptz IS DISTINCT FROM now()) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', now(), by_column, healthhub.acting_role()));
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.load_registry(source text, file_digest text, mode text)
    RETURNS TABLE (load_id bigint, entity text, staged integer, loaded integer, ended integer,
                   rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lid bigint;
    digest text := lower(btrim(file_digest));
    src text := btrim(source);
    t timestamptz := now();
    r record;
    errs text[][];
    e text[];
    problem text;
    vfrom timestamptz;
    vto timestamptz;
    k bigint;
    k2 bigint;
    n_staged integer; n_loaded integer; n_ended integer; n_rejected integer;
    result jsonb := '{}';
    msg text; col text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.load_registry', ARRAY['source', 'file_digest', 'mode'],
                                        ARRAY[source IS NULL, file_digest IS NULL, mode IS NULL]);
    IF src !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid load source "%"', source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A source is 1 to 64 letters, digits, "_", ".", ":" or "-".';
    END IF;
    IF digest !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest "%"', file_digest
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Give the file''s hexadecimal digest, e.g. the output of sha256sum, optionally prefixed "sha256:".';
    END IF;
    IF mode NOT IN ('snapshot', 'delta') THEN
        RAISE EXCEPTION 'invalid load mode "%"', mode
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A load is a "snapshot" (rows of the source absent from the file are ended) or a "delta".';
    END IF;

    -- one load at a time: the staging tables are shared
    LOCK TABLE healthhub.loads IN SHARE ROW EXCLUSIVE MODE;
    SELECT l.load_id, l.outcome INTO lid, result FROM healthhub.loads l
     WHERE l.source = src AND l.file_digest = digest;
    IF FOUND THEN
        RAISE NOTICE 'file % of source % was already loaded; nothing changed', digest, src;
        PERFORM healthhub.clear_staging();
        RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                            (o.value->>'ended')::int, (o.value->>'rejected')::int, true
                       FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
        RETURN;
    END IF;
    INSERT INTO healthhub.loads (source, file_digest, mode, loaded_by)
    VALUES (src, digest, mode, healthhub.acting_role()) RETURNING loads.load_id INTO lid;
    result := '{}';

    ---------------------------------------------------------------- institutions
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_institutions s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_institutions d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF coalesce(btrim(r.name), '') = '' THEN errs := errs || ARRAY[['name', 'is required']]; END IF;
        IF r.kind IS NULL OR btrim(r.kind) NOT IN ('hospital', 'primary_care', 'village_clinic', 'internet_hospital',
                                   'retail_pharmacy', 'lab', 'cdc', 'insurer') THEN
            errs := errs || ARRAY[['kind', 'is not one of hospital, primary_care, village_clinic, internet_hospital, retail_pharmacy, lab, cdc, insurer']];
        END IF;
        IF nullif(btrim(r.level), '') NOT IN ('1', '2', '3') THEN errs := errs || ARRAY[['level', 'is not 1, 2 or 3']]; END IF;
        IF nullif(btrim(r.grade), '') NOT IN ('甲', '乙', '丙', '特') THEN errs := errs || ARRAY[['grade', 'is not 甲, 乙, 丙 or 特']]; END IF;
        problem := healthhub.load_problem(btrim(r.region), 'region_code');
        IF r.region IS NULL OR problem IS NOT NULL THEN
            errs := errs || ARRAY[['region', coalesce(problem, 'is required')]];
        ELSIF NOT EXISTS (SELECT 1 FROM healthhub.regions g WHERE g.code OPERATOR(healthhub.=) btrim(r.region)::healthhub.region_code) THEN
            errs := errs || ARRAY[['region', 'is not in healthhub.regions']];
        END IF;
        IF nullif(btrim(r.uscc), '') IS NOT NULL THEN
            problem := healthhub.load_problem(btrim(r.uscc), 'uscc');
            IF problem IS NOT NULL THEN errs := errs || ARRAY[['uscc', problem]]; END IF;
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.institutions AS i (source, source_ref, name, kind, level, grade, region, uscc,
                                                         practice_licence_no, insurance_code, valid)
                VALUES (src, r.ref, btrim(r.name), btrim(r.kind), nullif(btrim(r.level), ''), nullif(btrim(r.grade), ''),
                        btrim(r.region)::healthhub.region_code, nullif(btrim(r.uscc), '')::healthhub.uscc,
                        nullif(btrim(r.practice_licence_no), ''), nullif(btrim(r.insurance_code), ''), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT institutions_source_ref DO UPDATE
                   SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, grade = EXCLUDED.grade,
                       region = EXCLUDED.region, uscc = EXCLUDED.uscc, practice_licence_no = EXCLUDED.practice_licence_no,
                       insurance_code = EXCLUDED.insurance_code, valid = EXCLUDED.valid
                 WHERE (i.name, i.kind, i.level, i.grade, i.region::text, i.uscc::text, i.practice_licence_no,
                        i.insurance_code, i.valid)
                       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.grade, EXCLUDED.region::text,
                        EXCLUDED.uscc::text, EXCLUDED.practice_licence_no, EXCLUDED.insurance_code, EXCLUDED.valid);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'institutions', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'name' THEN r.name WHEN 'kind' THEN r.kind
                              WHEN 'level' THEN r.level WHEN 'grade' THEN r.grade WHEN 'region' THEN r.region
                              WHEN 'uscc' THEN r.uscc WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END,
                    e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.institutions i SET valid = tstzrange(lower(i.valid), t)
         WHERE i.source = src AND upper_inf(i.valid) AND lower(i.valid) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_institutions s WHERE btrim(s.source_ref) = i.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('institutions', jsonb_build_object('order', 1, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- practitioners
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_practitioners s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_practitioners d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF coalesce(btrim(r.name), '') = '' THEN errs := errs || ARRAY[['name', 'is required']]; END IF;
        IF nullif(btrim(r.resident_id), '') IS NOT NULL THEN
            problem := healthhub.resident_id_problem(btrim(r.resident_id));   -- never repeats the number
            IF problem IS NOT NULL THEN errs := errs || ARRAY[['resident_id', problem]]; END IF;
        END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                INSERT INTO healthhub.practitioners AS p (source, source_ref, resident_id, name)
                VALUES (src, r.ref, healthhub.resident_id(nullif(btrim(r.resident_id), '')), btrim(r.name))
                ON CONFLICT ON CONSTRAINT practitioners_source_ref DO UPDATE
                   SET resident_id = EXCLUDED.resident_id, name = EXCLUDED.name
                 WHERE (p.resident_id::text, p.name) IS DISTINCT FROM (EXCLUDED.resident_id::text, EXCLUDED.name);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                -- identity numbers are personal data: the error keeps only the masked form
                INSERT INTO healthhub.load_errors VALUES (lid, 'practitioners', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'name' THEN NULL
                              WHEN 'resident_id' THEN left(r.resident_id, 6) || '********' END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    result := result || jsonb_build_object('practitioners', jsonb_build_object('order', 2, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', 0, 'rejected', n_rejected));

    ---------------------------------------------------------------- licences
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.licence_no) AS ref FROM healthhub.stage_licences s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        k := NULL;
        IF r.ref IS NULL OR r.ref !~ '^[0-9A-Za-z-]{4,40}$' THEN
            errs := errs || ARRAY[['licence_no', 'is not 4 to 40 letters, digits or "-"']];
        ELSIF EXISTS (SELECT 1 FROM healthhub.stage_licences d WHERE btrim(d.licence_no) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['licence_no', 'repeats an earlier record']];
        ELSIF EXISTS (SELECT 1 FROM healthhub.licences l WHERE l.licence_no = r.ref AND l.source IS DISTINCT FROM src) THEN
            errs := errs || ARRAY[['licence_no', 'belongs to another source']];
        END IF;
        SELECT p.practitioner_key INTO k FROM healthhub.practitioners p
         WHERE p.source = src AND p.source_ref = btrim(r.practitioner_ref);
        IF k IS NULL THEN errs := errs || ARRAY[['practitioner_ref', 'names no practitioner of this source']]; END IF;
        IF r.kind IS NULL OR btrim(r.kind) NOT IN ('physician', 'pharmacist', 'nurse') THEN
            errs := errs || ARRAY[['kind', 'is not physician, pharmacist or nurse']];
        END IF;
        IF nullif(btrim(r.status), '') NOT IN ('active', 'suspended', 'revoked') THEN
            errs := errs || ARRAY[['status', 'is not active, suspended or revoked']];
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.licences AS l (licence_no, practitioner_key, kind, scope, validity, source)
                VALUES (r.ref, k, btrim(r.kind), nullif(btrim(r.scope), ''), tstzrange(vfrom, vto), src)
                ON CONFLICT (licence_no) DO UPDATE
                   SET practitioner_key = EXCLUDED.practitioner_key, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
                       validity = EXCLUDED.validity
                 WHERE (l.practitioner_key, l.kind, l.scope, l.validity)
                       IS DISTINCT FROM (EXCLUDED.practitioner_key, EXCLUDED.kind, EXCLUDED.scope, EXCLUDED.validity);
                IF coalesce(nullif(btrim(r.status), ''), 'active')
                   IS DISTINCT FROM (SELECT l.status FROM healthhub.licences l WHERE l.licence_no = r.ref) THEN
                    PERFORM healthhub.change_licence_status(r.ref, btrim(r.status), 'load ' || src || ' ' || digest, t);
                END IF;
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception OR object_not_in_prerequisite_state THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || ARRAY[[coalesce(nullif(col, ''), 'status'), msg]];
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'licences', r.line_no, e[1],
                    CASE e[1] WHEN 'licence_no' THEN r.licence_no WHEN 'practitioner_ref' THEN r.practitioner_ref
                              WHEN 'kind' THEN r.kind WHEN 'status' THEN r.status
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.licences l SET validity = tstzrange(lower(l.validity), t)
         WHERE l.source = src AND upper_inf(l.validity) AND lower(l.validity) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_licences s WHERE btrim(s.licence_no) = l.licence_no);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('licences', jsonb_build_object('order', 3, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- registrations
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_registrations s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_registrations d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        SELECT l.licence_key INTO k FROM healthhub.licences l WHERE l.licence_no = btrim(r.licence_no);
        IF NOT FOUND THEN k := NULL; errs := errs || ARRAY[['licence_no', 'names no licence']]; END IF;
        SELECT i.institution_key INTO k2 FROM healthhub.institutions i
         WHERE i.source = src AND i.source_ref = btrim(r.institution_ref);
        IF NOT FOUND THEN k2 := NULL; errs := errs || ARRAY[['institution_ref', 'names no institution of this source']]; END IF;
        IF coalesce(nullif(btrim(r.role), ''), 'primary') NOT IN ('primary', 'additional') THEN
            errs := errs || ARRAY[['role', 'is not primary or additional']];
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.registrations AS g (source, source_ref, licence_key, institution_key, role, period)
                VALUES (src, r.ref, k, k2, coalesce(nullif(btrim(r.role), ''), 'primary'), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT registrations_source_ref DO UPDATE
                   SET licence_key = EXCLUDED.licence_key, institution_key = EXCLUDED.institution_key,
                       role = EXCLUDED.role, period = EXCLUDED.period
                 WHERE (g.licence_key, g.institution_key, g.role, g.period)
                       IS DISTINCT FROM (EXCLUDED.licence_key, EXCLUDED.institution_key, EXCLUDED.role, EXCLUDED.period);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'registrations', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'licence_no' THEN r.licence_no
                              WHEN 'institution_ref' THEN r.institution_ref WHEN 'role' THEN r.role
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.registrations g SET period = tstzrange(lower(g.period), t)
         WHERE g.source = src AND upper_inf(g.period) AND lower(g.period) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_registrations s WHERE btrim(s.source_ref) = g.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('registrations', jsonb_build_object('order', 4, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- blacklist
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_blacklist s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        k := NULL;
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_blacklist d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF btrim(r.subject_kind) = 'practitioner' THEN
            SELECT p.practitioner_key INTO k FROM healthhub.practitioners p WHERE p.source = src AND p.source_ref = btrim(r.subject_ref);
            IF k IS NULL THEN errs := errs || ARRAY[['subject_ref', 'names no practitioner of this source']]; END IF;
        ELSIF btrim(r.subject_kind) = 'institution' THEN
            SELECT i.institution_key INTO k FROM healthhub.institutions i WHERE i.source = src AND i.source_ref = btrim(r.subject_ref);
            IF k IS NULL THEN errs := errs || ARRAY[['subject_ref', 'names no institution of this source']]; END IF;
        ELSE
            errs := errs || ARRAY[['subject_kind', 'is not institution or practitioner']];
        END IF;
        IF coalesce(btrim(r.reason), '') = '' THEN errs := errs || ARRAY[['reason', 'is required']]; END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.blacklist AS b (source, source_ref, subject_kind, practitioner_key, institution_key, reason, period)
                VALUES (src, r.ref, btrim(r.subject_kind),
                        CASE WHEN btrim(r.subject_kind) = 'practitioner' THEN k END,
                        CASE WHEN btrim(r.subject_kind) = 'institution' THEN k END,
                        btrim(r.reason), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT blacklist_source_ref DO UPDATE
                   SET subject_kind = EXCLUDED.subject_kind, practitioner_key = EXCLUDED.practitioner_key,
                       institution_key = EXCLUDED.institution_key, reason = EXCLUDED.reason, period = EXCLUDED.period
                 WHERE (b.subject_kind, b.practitioner_key, b.institution_key, b.reason, b.period)
                       IS DISTINCT FROM (EXCLUDED.subject_kind, EXCLUDED.practitioner_key, EXCLUDED.institution_key,
                                         EXCLUDED.reason, EXCLUDED.period);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'blacklist', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'subject_kind' THEN r.subject_kind
                              WHEN 'subject_ref' THEN r.subject_ref WHEN 'reason' THEN r.reason
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.blacklist b SET period = tstzrange(lower(b.period), t)
         WHERE b.source = src AND b.source_ref IS NOT NULL AND upper_inf(b.period) AND lower(b.period) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_blacklist s WHERE btrim(s.source_ref) = b.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('blacklist', jsonb_build_object('order', 5, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    UPDATE healthhub.loads l SET outcome = result WHERE l.load_id = lid;
    PERFORM healthhub.audit_append('registry.load.' || mode, 'load', lid::text, NULL, 'registry maintenance',
        CASE WHEN EXISTS (SELECT 1 FROM healthhub.load_errors x WHERE x.load_id = lid) THEN 'partial' ELSE 'ok' END);
    PERFORM healthhub.clear_staging();
    RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                        (o.value->>'ended')::int, (o.value->>'rejected')::int, false
                   FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
END
$$;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT rp.role_name FROM healthhub.role_profiles rp
              JOIN pg_catalog.pg_roles x ON x.oid = rp.role::oid AND x.rolname = rp.role_name
             WHERE rp.profile = 'hub_admin' LOOP
        EXECUTE format('REVOKE SELECT ON healthhub.practitioners, healthhub.licence_status_history, '
                       'healthhub.stage_practitioners FROM %I', r.role_name);
        EXECUTE format('REVOKE UPDATE ON healthhub.stage_practitioners FROM %I', r.role_name);
    END LOOP;
END
$$;
UPDATE healthhub.profile_privileges SET privileges = v.p
  FROM (VALUES
    ('healthhub.practitioners', 'SELECT (practitioner_key, hub_id, name, rights_version, source, source_ref), INSERT, UPDATE'),
    ('healthhub.licence_status_history', 'SELECT (entry_key, licence_key, status, effective, recorded_at, recorded_by), INSERT'),
    ('healthhub.stage_practitioners', 'INSERT, DELETE')) v(t, p)
 WHERE profile = 'hub_admin' AND object_kind = 'table' AND object_name = v.t;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.practitioner_identity(bigint)', 'healthhub.find_practitioner(healthhub.resident_id)',
                    'healthhub.licence_history(text)']) f;
SELECT healthhub.apply_profile_privileges(rp.role_name, rp.profile, true)
  FROM healthhub.role_profiles rp
  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) rp.role::pg_catalog.oid
                             AND r.rolname OPERATOR(pg_catalog.=) rp.role_name;

-- why_not_practise's detailed answer (reasons of suspensions) is a recorded read
CREATE OR REPLACE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    st record;
    b record;
    reasons text[] := '{}';
    some_licence_ok boolean := false;
    -- Licence numbers and the reasons of suspensions are the licensing
    -- authority's, not every institution's: hub_admin reads them, others
    -- read what stands in the way.
    detailed boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.calling_role())
                        OR EXISTS (SELECT 1 FROM healthhub.effective_profiles(healthhub.calling_role()) ep
                                    WHERE ep.profile = 'hub_admin');
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

    FOR l IN SELECT * FROM healthhub.licences x
              WHERE x.practitioner_key = practitioner AND x.kind = act
              ORDER BY lower(x.validity) DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity)
                ELSE format('%s licence is not valid at %s', act, "at") END;
            CONTINUE;
        END IF;
        SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
         WHERE h.licence_key = l.licence_key AND h.effective <= "at"
         ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF FOUND AND st.status <> 'active' THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason)
                ELSE format('%s licence is %s since %s', act, st.status, st.effective) END;
            CONTINUE;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM healthhub.registrations r
                        WHERE r.licence_key = l.licence_key AND r.institution_key = institution
                          AND r.period @> "at") THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at")
                ELSE format('%s licence is not registered at %s at %s', act, inst.name, "at") END;
            CONTINUE;
        END IF;
        some_licence_ok := true;
    END LOOP;
    IF NOT FOUND AND cardinality(reasons) = 0 THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    IF NOT inst.valid @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
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
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privileges g
                        WHERE g.practitioner_key = practitioner AND g.institution_key = institution
                          AND (g.privilege = why_not_practise.privilege
                               OR (why_not_practise.privilege = 'antimicrobial_restricted'
                                   AND g.privilege = 'antimicrobial_special'))
                          AND g.period @> "at") THEN
        reasons := reasons || format('privilege %s is not granted at %s at %s', privilege, inst.name, "at");
    END IF;
    IF cardinality(reasons) = 0 THEN
        RETURN 'the derived practice rights are out of date; run healthhub.recompute_practice_rights()';
    END IF;
    RETURN array_to_string(reasons, '; ');
END
$$;

