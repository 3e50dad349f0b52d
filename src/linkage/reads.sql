-- Audited reads of the person index (issue 10; docs/linkage.md, "Reading
-- the index").  No profile reads persons, person_identifiers,
-- source_records, link_decisions, links, link_events, person_separations,
-- review_queue or persons_with_two_numbers directly: a plain SELECT leaves
-- no trace.  These functions are what a profile reads instead.  Each runs
-- as its owner, checks the caller (healthhub.acting_role()) itself, and
-- writes one audit entry (action 'read', keys only, never a number or a
-- name) describing what it read BEFORE it returns any row.

-- Whether the acting role may read the link history: hub_admin, auditors
-- and superusers.
CREATE FUNCTION healthhub.linkage_may_read_history() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN healthhub.acting_role_is_admin()
           OR 'auditor' OPERATOR(pg_catalog.=) ANY (healthhub.acting_role_profiles());

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
    PERFORM healthhub.require_arguments('healthhub.' || function_name, ARRAY['source', 'local_id'],
                                        ARRAY[source IS NULL, local_id IS NULL]);
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

-- A person's golden record (hub_admin).  No row for an unknown key.
CREATE FUNCTION healthhub.person_details(person bigint)
    RETURNS SETOF healthhub.persons
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.persons;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_details', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading persons is for hub_admin.');
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
    PERFORM healthhub.require_arguments('healthhub.person_records', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading a person''s records is for hub_admin.');
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
    PERFORM healthhub.require_arguments('healthhub.person_identifiers_of', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading a person''s identifiers is for hub_admin.');
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
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading the links of a record is for hub_admin.');
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
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reviewing possible matches is for hub_admin.');
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
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reviewing persons with two numbers is for hub_admin.');
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
    PERFORM healthhub.require_arguments('healthhub.person_history', ARRAY['person'], ARRAY[person IS NULL]);
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
COMMENT ON FUNCTION healthhub.link_history(timestamptz, timestamptz, bigint, integer) IS
    'The link history of a period, a page at a time (hub_admin, auditor); the read is audited';
