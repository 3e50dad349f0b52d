-- Managing links by hand (docs/linkage.md): review the possible matches,
-- link a record to a person, merge two persons and undo it (with "never
-- merge these again"), withdraw a record, record a death.  Every change is
-- a manual decision that automation never overrides, goes to link_events
-- and the audit trail, and rebuilds the golden records it touches.

-- Lock persons in key order, so a merge racing an unmerge cannot deadlock;
-- a person redirected meanwhile is refused.
CREATE FUNCTION healthhub.lock_persons(persons bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.persons;
    k bigint;
BEGIN
    FOREACH k IN ARRAY ARRAY(SELECT DISTINCT x FROM unnest(persons) x ORDER BY x) LOOP
        SELECT * INTO p FROM healthhub.persons WHERE person_key = k FOR UPDATE;
        IF p.person_key IS NULL THEN
            RAISE EXCEPTION 'person % does not exist', k USING ERRCODE = 'no_data_found';
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION healthhub.require_active(person bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target bigint;
BEGIN
    SELECT p.redirected_to INTO target FROM healthhub.persons p WHERE p.person_key = person;
    IF target IS NOT NULL THEN
        RAISE EXCEPTION 'person % was merged into person %', person, target
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Act on the surviving person, or unmerge first.';
    END IF;
END
$$;

-- A record's match made by hand: automation never moves it afterwards.
CREATE FUNCTION healthhub.set_manual_match(source text, local_id text, person bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE healthhub.source_records s
       SET person_key = person, link_origin = 'manual', link_score = NULL, link_model = NULL,
           linked_at = now(), linked_by = healthhub.acting_role(), updated_at = now()
     WHERE s.source = set_manual_match.source AND s.local_id = set_manual_match.local_id;
END
$$;

-- Link a record to a person by hand (or, with person NULL, to a new person
-- of its own).  Automation never moves it afterwards.
CREATE FUNCTION healthhub.link_manually(source text, local_id text, person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    target bigint := person;
BEGIN
    PERFORM healthhub.require_reason(reason);
    r := healthhub.authorised_record(source, local_id, true, true);
    PERFORM healthhub.linkage_authorise_person(r, target);
    IF target IS NULL THEN
        INSERT INTO healthhub.persons DEFAULT VALUES RETURNING persons.person_key INTO target;
    END IF;
    PERFORM healthhub.lock_persons(ARRAY[r.person_key, target]);
    PERFORM healthhub.require_active(target);
    DELETE FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
       AND l.person_key = target;
    PERFORM healthhub.set_manual_match(r.source, r.local_id, target);
    PERFORM healthhub.sync_person_identifiers(target), healthhub.rebuild_golden(target);
    IF r.person_key <> target THEN
        PERFORM healthhub.sync_person_identifiers(r.person_key), healthhub.rebuild_golden(r.person_key);
    END IF;
    PERFORM healthhub.log_link_event('link_manually', r.source, r.local_id, target, r.person_key, 'match', 'match',
                                     'manual', NULL, NULL, NULL, reason);
    RETURN target;
END
$$;

-- Say a record is not a person: never linked to it automatically again.
CREATE FUNCTION healthhub.unlink_manually(source text, local_id text, person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    was text;
    target bigint;
BEGIN
    PERFORM healthhub.require_reason(reason);
    IF person IS NULL THEN
        RAISE EXCEPTION 'unlink_manually needs the person the record is not'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    r := healthhub.authorised_record(source, local_id, false, true);
    PERFORM healthhub.linkage_authorise_person(r, person);
    SELECT l.state INTO was FROM healthhub.links l
     WHERE l.source = r.source AND l.local_id = r.local_id AND l.person_key = person;
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin)
    VALUES (r.source, r.local_id, person, 'no_match', 'manual')
    ON CONFLICT ON CONSTRAINT link_decisions_pkey DO UPDATE
       SET state = 'no_match', origin = 'manual', score = NULL, model_version = NULL,
           decided_at = now(), decided_by = healthhub.acting_role();
    target := r.person_key;
    IF r.person_key = person THEN
        -- it was this person's: it becomes a person of its own
        INSERT INTO healthhub.persons DEFAULT VALUES RETURNING persons.person_key INTO target;
        PERFORM healthhub.set_manual_match(r.source, r.local_id, target);
        PERFORM healthhub.sync_person_identifiers(person), healthhub.rebuild_golden(person);
        PERFORM healthhub.sync_person_identifiers(target), healthhub.rebuild_golden(target);
    END IF;
    PERFORM healthhub.log_link_event('unlink_manually', r.source, r.local_id, person, target, was, 'no_match',
                                     'manual', NULL, NULL, NULL, reason);
    RETURN target;
END
$$;

CREATE FUNCTION healthhub.require_reason(reason text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a manual link decision needs a reason'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = 'The reason is kept in the link history and the audit trail.';
    END IF;
END
$$;

CREATE FUNCTION healthhub.require_person(person bigint) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF person IS NULL THEN
        RAISE EXCEPTION 'a person key is required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
END
$$;

-- The review queue: records linked to a new person that may be an existing
-- one, best candidates first.
CREATE VIEW healthhub.review_queue AS
SELECT l.source, l.local_id, s.person_key, l.person_key AS candidate, l.score,
       healthhub.match_probability(l.score) AS probability, l.model_version, l.decided_at AS queued_at
  FROM healthhub.link_decisions l
  JOIN healthhub.source_records s ON s.source = l.source AND s.local_id = l.local_id
 WHERE l.state = 'possible_match';
COMMENT ON VIEW healthhub.review_queue IS
    'Possible matches awaiting review: the record, the person it was given, the candidate and the score';

-- Persons whose automatically linked records carry two or more different
-- valid resident ID numbers of their own: never made by 0.4, but an index
-- linked by 0.3 holds them (twins made one person).  For a reviewer: the
-- records of the other number are unlinked (unlink_manually: never linked
-- back) and merged into one person of their own (merge_persons).
CREATE VIEW healthhub.persons_with_two_numbers AS
SELECT s.person_key, array_agg(DISTINCT s.resident_id::text ORDER BY s.resident_id::text) AS numbers,
       count(*) AS records
  FROM healthhub.source_records s
 WHERE s.resident_id IS NOT NULL AND NOT s.id_conflict AND s.withdrawn_at IS NULL AND s.link_origin = 'auto'
 GROUP BY s.person_key
HAVING count(DISTINCT s.resident_id::text) > 1;
COMMENT ON VIEW healthhub.persons_with_two_numbers IS
    'Persons whose automatically linked records carry several valid resident ID numbers (made by 0.3): for review';

-- Decide a possible match: same person (the record's person is merged into
-- the candidate) or not (never linked to the candidate again).
CREATE FUNCTION healthhub.review_possible_match(source text, local_id text, candidate bigint, same_person boolean,
                                                reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q healthhub.review_queue;
BEGIN
    PERFORM healthhub.require_reason(reason);
    SELECT * INTO q FROM healthhub.review_queue rq
     WHERE rq.source = review_possible_match.source AND rq.local_id = review_possible_match.local_id
       AND rq.candidate = review_possible_match.candidate;
    IF q.source IS NULL THEN
        RAISE EXCEPTION 'no possible match of %/% with person % awaits review', source, local_id, candidate
            USING ERRCODE = 'no_data_found', HINT = 'SELECT * FROM healthhub.review_queue lists them.';
    END IF;
    IF same_person THEN
        RETURN healthhub.merge_persons(q.person_key, candidate, reason);
    END IF;
    PERFORM healthhub.unlink_manually(source, local_id, candidate, reason);
    RETURN q.person_key;
END
$$;

-- Merge person "from" into person "into": its records, identifiers and
-- possible matches move; "from" redirects to "into".  Refused for persons
-- a reviewer separated.
CREATE FUNCTION healthhub.merge_persons(from_person bigint, into_person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    moved integer;
BEGIN
    PERFORM healthhub.require_reason(reason);
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_person(from_person), healthhub.require_person(into_person);
    IF from_person = into_person THEN
        RAISE EXCEPTION 'a person cannot be merged into itself' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.lock_persons(ARRAY[from_person, into_person]);
    PERFORM healthhub.require_active(from_person);
    PERFORM healthhub.require_active(into_person);
    IF EXISTS (SELECT FROM healthhub.person_separations ps
                WHERE ps.person_a = least(from_person, into_person)
                  AND ps.person_b = greatest(from_person, into_person)) THEN
        RAISE EXCEPTION 'persons % and % are never to be merged', from_person, into_person
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A reviewer separated them (healthhub.person_separations).';
    END IF;
    -- the matches with "from" are kept as redirected: unmerge finds them there
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version)
    SELECT s.source, s.local_id, from_person, 'redirected', s.link_origin, s.link_score, s.link_model
      FROM healthhub.source_records s WHERE s.person_key = from_person
    ON CONFLICT ON CONSTRAINT link_decisions_pkey DO UPDATE
       SET state = 'redirected', origin = EXCLUDED.origin, score = EXCLUDED.score,
           model_version = EXCLUDED.model_version, decided_at = now(), decided_by = healthhub.acting_role();
    DELETE FROM healthhub.link_decisions l
     WHERE l.state = 'possible_match'
       AND ((l.person_key = into_person AND EXISTS (SELECT FROM healthhub.source_records s
                WHERE s.source = l.source AND s.local_id = l.local_id AND s.person_key = from_person))
         OR (l.person_key = from_person AND EXISTS (SELECT FROM healthhub.source_records s
                WHERE s.source = l.source AND s.local_id = l.local_id AND s.person_key = into_person)));
    UPDATE healthhub.source_records s
       SET person_key = into_person, link_origin = 'manual', link_score = NULL, link_model = NULL,
           linked_at = now(), linked_by = healthhub.acting_role(), updated_at = now()
     WHERE s.person_key = from_person;
    GET DIAGNOSTICS moved = ROW_COUNT;
    DELETE FROM healthhub.person_identifiers pi WHERE pi.person_key = from_person;
    UPDATE healthhub.persons p SET state = 'redirected', redirected_to = into_person, updated_at = now()
     WHERE p.person_key = from_person;
    -- anything that redirected to "from" now redirects to "into"
    UPDATE healthhub.persons p SET redirected_to = into_person WHERE p.redirected_to = from_person;
    PERFORM healthhub.sync_person_identifiers(into_person), healthhub.rebuild_golden(into_person);
    PERFORM healthhub.log_link_event('merge', NULL, NULL, into_person, from_person, 'match', 'redirected',
                                     'manual', NULL, NULL, jsonb_build_object('records_moved', moved), reason);
    RETURN into_person;
END
$$;

-- Undo a merge: the records that were "from"'s go back to it, and the two
-- are never merged again.
CREATE FUNCTION healthhub.unmerge_person(from_person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    into_person bigint;
    moved integer;
BEGIN
    PERFORM healthhub.require_reason(reason);
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_person(from_person);
    SELECT p.redirected_to INTO into_person FROM healthhub.persons p WHERE p.person_key = from_person;
    IF into_person IS NULL THEN
        RAISE EXCEPTION 'person % is not merged into another', from_person
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM healthhub.lock_persons(ARRAY[from_person, into_person]);
    -- re-read under the locks: a concurrent unmerge may have won
    SELECT p.redirected_to INTO into_person FROM healthhub.persons p WHERE p.person_key = from_person;
    IF into_person IS NULL THEN
        RAISE EXCEPTION 'person % is not merged into another', from_person
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- the records that were "from"'s and are still with "into" go back
    UPDATE healthhub.source_records s
       SET person_key = from_person, link_origin = 'manual', link_score = NULL, link_model = NULL,
           linked_at = now(), linked_by = healthhub.acting_role(), updated_at = now()
      FROM healthhub.link_decisions l
     WHERE l.source = s.source AND l.local_id = s.local_id AND l.person_key = from_person
       AND l.state = 'redirected' AND s.person_key = into_person;
    GET DIAGNOSTICS moved = ROW_COUNT;
    DELETE FROM healthhub.link_decisions l WHERE l.person_key = from_person AND l.state = 'redirected';
    UPDATE healthhub.persons p SET state = 'active', redirected_to = NULL, updated_at = now()
     WHERE p.person_key = from_person;
    INSERT INTO healthhub.person_separations (person_a, person_b, reason)
    VALUES (least(from_person, into_person), greatest(from_person, into_person), reason)
    ON CONFLICT DO NOTHING;
    PERFORM healthhub.sync_person_identifiers(into_person), healthhub.rebuild_golden(into_person);
    PERFORM healthhub.sync_person_identifiers(from_person), healthhub.rebuild_golden(from_person);
    PERFORM healthhub.log_link_event('unmerge', NULL, NULL, from_person, into_person, 'redirected', 'match',
                                     'manual', NULL, NULL, jsonb_build_object('records_moved', moved), reason);
    RETURN from_person;
END
$$;

-- hub_admin (and superusers) only: the person index's maintenance (the
-- defaults) and its audited reads (which name what they refuse).
CREATE FUNCTION healthhub.linkage_authorise_admin(
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

-- Withdraw a record: it no longer speaks for its person.
CREATE FUNCTION healthhub.withdraw_record(source text, local_id text, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.require_reason(reason);
    r := healthhub.authorised_record(source, local_id, true, true);
    DELETE FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
       AND l.state = 'possible_match';
    PERFORM healthhub.forget_block_keys(r);
    UPDATE healthhub.source_records s SET person_key = NULL, withdrawn_at = now(), updated_at = now()
     WHERE s.source = r.source AND s.local_id = r.local_id;
    PERFORM healthhub.sync_person_identifiers(r.person_key), healthhub.rebuild_golden(r.person_key);
    PERFORM healthhub.log_link_event('withdraw', r.source, r.local_id, r.person_key, NULL, 'match', NULL,
                                     'manual', NULL, NULL, NULL, reason);
END
$$;

CREATE FUNCTION healthhub.record_death(person bigint, died_on date, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_reason(reason);
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_person(person);
    PERFORM healthhub.lock_persons(ARRAY[person]);
    PERFORM healthhub.require_active(person);
    IF died_on > current_date THEN
        RAISE EXCEPTION 'a death date cannot be in the future' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE healthhub.persons p SET deceased = true, deceased_on = died_on, updated_at = now()
     WHERE p.person_key = person;
    PERFORM healthhub.log_link_event('death', NULL, NULL, person, NULL, NULL, NULL, 'manual', NULL, NULL, NULL,
                                     reason);
END
$$;

-- A record's link history, oldest first, for whoever may read link_events.
CREATE FUNCTION healthhub.record_history(source text, local_id text) RETURNS SETOF healthhub.link_events
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
COMMENT ON FUNCTION healthhub.record_history(text, text) IS
    'The link history of one record (link_events), oldest first';

-- The person a key stands for now: itself, or the survivor it was merged
-- into.  (Runs as its owner: the profiles it is granted to need not read
-- healthhub.persons; a key says nothing personal.)
-- (PL/pgSQL: a SQL function with a recursive query, never inlined, is
-- planned anew on every call; this plan is kept for the session)
CREATE FUNCTION healthhub.current_person(person bigint) RETURNS bigint
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
COMMENT ON FUNCTION healthhub.current_person(bigint) IS
    'The person a key stands for now: itself, or the person it was merged into; NULL for an unknown key';

-- match_explain(a, b): the weights that sum to the score of two records,
-- under the model version that made a's stored decision (or the model
-- given).  Both records must be the caller's to see; the read is audited.
CREATE FUNCTION healthhub.match_explain(a_source text, a_local_id text, b_source text, b_local_id text,
                                        model integer DEFAULT NULL)
    RETURNS TABLE (comparison text, level text, weight double precision, model_version integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a healthhub.source_records := healthhub.authorised_record(a_source, a_local_id, false, false);
    b healthhub.source_records := healthhub.authorised_record(b_source, b_local_id, false, false);
    v integer := model;
BEGIN
    IF v IS NULL THEN
        SELECT l.model_version INTO v FROM healthhub.links l
         WHERE l.source = a.source AND l.local_id = a.local_id AND l.model_version IS NOT NULL
         ORDER BY l.state = 'match' DESC, l.decided_at DESC LIMIT 1;
        v := coalesce(v, healthhub.linkage_model());
    END IF;
    PERFORM healthhub.audit_append('read', 'person_link_comparison',
                                   a.source || '/' || a.local_id || ' ' || b.source || '/' || b.local_id,
                                   a.person_key, 'patient identity management', 'ok');
    -- (b stands for its person, as when a was linked: the number b's person
    -- holds counts for b when b gives none)
    RETURN QUERY SELECT w.comparison, w.level, w.weight, v
                   FROM healthhub.match_weights(a, b, v,
                            CASE WHEN a.resident_id IS NOT NULL AND NOT a.id_conflict
                                 THEN healthhub.other_number_held(a, b.person_key) END) w;
END
$$;
COMMENT ON FUNCTION healthhub.match_explain(text, text, text, text, integer) IS
    'The per-comparison weights that sum to the score of two records, under the model of the stored decision';
