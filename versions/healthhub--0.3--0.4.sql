-- healthhub 0.3 -> 0.4: the person index never merges two people and answers
-- each caller only about what it may see (docs/linkage.md).  Hand-written:
-- t/003 checks that an upgraded database equals a fresh 0.4, object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.4'" to load this file. \quit

-- Reliability review 2026-12 (5, 6): load_problem refuses a type it does not
-- know (22023), revoke_profile NULL arguments (22004).
CREATE OR REPLACE FUNCTION healthhub.load_problem(value text, type text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    msg text;
    detail text;
    known boolean := true;
BEGIN
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
        RAISE EXCEPTION 'load_problem does not know type %', coalesce('"' || type || '"', 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The types are timestamptz, uscc, region_code and resident_id.';
    END IF;
    RETURN NULL;
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
    DELETE FROM healthhub.role_profiles rp WHERE rp.role_name = rname AND rp.profile = revoke_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not hold profile "%"', role, profile
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM healthhub.apply_profile_privileges(rname, profile, false);
    -- what another profile of the role also grants must stay
    FOR other IN SELECT rp.profile FROM healthhub.role_profiles rp WHERE rp.role_name = rname LOOP
        PERFORM healthhub.apply_profile_privileges(rname, other, true);
    END LOOP;
END
$$;

-- Release 0.4 (issue 9).  Everything below mirrors src/ as of 0.4; a
-- function whose arguments or result changed is dropped and made again.

-- profile_privileges may name the columns of a SELECT
ALTER TABLE healthhub.profile_privileges DROP CONSTRAINT profile_privileges_privileges_check,
    ADD CONSTRAINT profile_privileges_privileges_check
        CHECK (privileges ~ '^(SELECT( \([a-z_]+(, [a-z_]+)*\))?|INSERT|UPDATE|DELETE|EXECUTE|USAGE)(, (SELECT|INSERT|UPDATE|DELETE|USAGE))*$');

-- records name their institution by source_ref alone
CREATE INDEX institutions_source_ref_idx ON healthhub.institutions (source_ref);

-- the ICU version the stored name keys were made with
CREATE TABLE healthhub.name_keys_made_with (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    icu_version     text NOT NULL,
    made_at         timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE healthhub.name_keys_made_with IS
    'The ICU version the stored name keys were made with (one row, written at first use and by rebuild_name_keys())';
SELECT pg_catalog.pg_extension_config_dump('healthhub.name_keys_made_with', '');

-- for the reviewer: the persons 0.3 gave two numbers
CREATE VIEW healthhub.persons_with_two_numbers AS
SELECT s.person_key, array_agg(DISTINCT s.resident_id::text ORDER BY s.resident_id::text) AS numbers,
       count(*) AS records
  FROM healthhub.source_records s
 WHERE s.resident_id IS NOT NULL AND NOT s.id_conflict AND s.withdrawn_at IS NULL AND s.link_origin = 'auto'
 GROUP BY s.person_key
HAVING count(DISTINCT s.resident_id::text) > 1;
COMMENT ON VIEW healthhub.persons_with_two_numbers IS
    'Persons whose automatically linked records carry several valid resident ID numbers (made by 0.3): for review';

-- functions whose arguments or results changed
DROP FUNCTION healthhub.explain_pair(healthhub.source_records, healthhub.source_records, integer);
DROP FUNCTION healthhub.match_score(healthhub.source_records, healthhub.source_records, integer);
DROP FUNCTION healthhub.match_weights(healthhub.source_records, healthhub.source_records, integer);
DROP FUNCTION healthhub.linkage_authorise(healthhub.source_records);
DROP FUNCTION healthhub.find_match(healthhub.source_records, integer);
DROP FUNCTION healthhub.link_batch(text, text);
DROP FUNCTION healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision);
DROP FUNCTION healthhub.link_clusters(double precision);

-- new and changed functions, in the order of src/
CREATE OR REPLACE FUNCTION healthhub.icu_version() RETURNS text
    AS 'MODULE_PATHNAME', 'hh_icu_version' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION healthhub.check_name_keys_version() RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    made_with text := (SELECT n.icu_version FROM healthhub.name_keys_made_with n);
BEGIN
    IF made_with IS NULL THEN
        INSERT INTO healthhub.name_keys_made_with (icu_version) VALUES (healthhub.icu_version())
        ON CONFLICT DO NOTHING;
    ELSIF made_with <> healthhub.icu_version() THEN
        RAISE WARNING 'the stored name keys were made with ICU %, this server runs ICU %', made_with,
                      healthhub.icu_version()
            USING DETAIL = 'Names linked now are keyed differently and may not find their persons.',
                  HINT = 'A hub_admin runs SELECT healthhub.rebuild_name_keys() once.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.match_score(a healthhub.source_records, b healthhub.source_records, model integer,
                                      b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_match_score' LANGUAGE C STABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION healthhub.match_weights(a healthhub.source_records, b healthhub.source_records, model integer,
                                        b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS TABLE (comparison text, level text, weight double precision)
    AS 'MODULE_PATHNAME', 'hh_match_weights' LANGUAGE C STABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION healthhub.resident_id_contradicts(id healthhub.resident_id, birth_date date, sex smallint)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN id IS NULL THEN false
                WHEN birth_date IS NULL THEN coalesce(sex <> healthhub.sex(id), false)
                WHEN healthhub.birth_date_level(birth_date, healthhub.birth_date(id)) = 'exact' THEN false
                WHEN healthhub.birth_date_level(birth_date, healthhub.birth_date(id)) = 'other' THEN true
                ELSE coalesce(sex <> healthhub.sex(id), false) END;

CREATE OR REPLACE FUNCTION healthhub.record_key_problem(source text, local_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN coalesce(btrim(source), '') = '' THEN 'an institution is required'
                WHEN coalesce(btrim(local_id), '') = '' THEN 'a local id is required'
                WHEN pg_catalog.octet_length(btrim(source)) > 200 THEN 'an institution code has at most 200 bytes'
                WHEN pg_catalog.octet_length(btrim(local_id)) > 1000 THEN 'a local id has at most 1000 bytes' END;

CREATE OR REPLACE FUNCTION healthhub.prepare_record(source text, local_id text, name text, sex text, birth_date date,
                                         identifier text, phone text, region text, other_identifiers text[])
    RETURNS healthhub.source_records
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    k record;
    problem text;
BEGIN
    r.source := btrim(source);
    r.local_id := btrim(local_id);
    problem := healthhub.record_key_problem(source, local_id);
    IF problem LIKE '%required' THEN
        RAISE EXCEPTION 'a source record needs its source and local id'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('source %L, local_id %L', source, local_id);
    ELSIF problem IS NOT NULL THEN
        RAISE EXCEPTION 'source or local id too long: %', problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The source has %s bytes, the local id %s.', octet_length(r.source), octet_length(r.local_id));
    END IF;
    IF array_position(other_identifiers, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'other_identifiers holds a NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('Element %s of the array is NULL.', array_position(other_identifiers, NULL)),
                  HINT = 'Pass only the identifiers the record has: ''{}'' for none.';
    END IF;
    r.institution_key := healthhub.institution_for_source(r.source);
    r.name := nullif(btrim(name), '');
    IF r.name IS NOT NULL THEN
        k := healthhub.name_keys(r.name);
        r.name_hanzi := k.hanzi;
        r.name_pinyin := k.pinyin;
        r.name_initials := k.initials;
        r.surname := k.surname;
        r.name_given_pinyin := k.given_pinyin;
    END IF;
    r.sex := healthhub.parse_sex(sex);
    IF birth_date > current_date OR birth_date < '1880-01-01' THEN
        RAISE EXCEPTION 'implausible birth date: %', birth_date
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A birth date lies between 1880-01-01 and today.';
    END IF;
    r.birth_date := birth_date;
    r.identifier_text := nullif(btrim(identifier), '');
    IF healthhub.is_valid_resident_id(r.identifier_text) THEN
        r.resident_id := healthhub.resident_id(r.identifier_text);
    END IF;
    r.id_conflict := healthhub.resident_id_contradicts(r.resident_id, r.birth_date, r.sex);
    r.phone := healthhub.normalise_phone(phone);
    r.region := nullif(btrim(region), '')::healthhub.region_code;
    r.other_identifiers := coalesce(other_identifiers::healthhub.health_identifier[], '{}');
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.institution_for_source(source text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found bigint[];
BEGIN
    SELECT array_agg(DISTINCT i.institution_key) INTO found FROM healthhub.institutions i
     WHERE i.source_ref = btrim(institution_for_source.source)
        OR i.institution_key = CASE WHEN btrim(institution_for_source.source) ~ '^[0-9]{1,18}$'
                                    THEN btrim(institution_for_source.source)::bigint END;
    IF cardinality(found) > 1 THEN
        RAISE EXCEPTION 'source "%" names more than one institution', source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Institutions %s all have it as their key or source_ref.', array_to_string(found, ', ')),
                  HINT = 'Send records under the institution''s key, or give the institutions distinct source_refs.';
    END IF;
    RETURN found[1];
END
$$;

CREATE OR REPLACE FUNCTION healthhub.linkage_is_admin() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) healthhub.acting_role())
           OR EXISTS (SELECT FROM healthhub.effective_profiles(healthhub.acting_role()) ep
                       WHERE ep.profile OPERATOR(pg_catalog.=) 'hub_admin');

CREATE OR REPLACE FUNCTION healthhub.linkage_authorise(source text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.institution_for_source(source);
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
       OR NOT (healthhub.linkage_is_admin() OR r.institution_key IS NOT DISTINCT FROM institution) THEN
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
    IF person IS NULL OR healthhub.linkage_is_admin() OR person = r.person_key
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

CREATE OR REPLACE FUNCTION healthhub.other_number_held(r anyelement, person bigint) RETURNS healthhub.resident_id
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pi.resident_id FROM healthhub.person_identifiers pi
     WHERE pi.person_key = $2 AND pi.resident_id IS NOT NULL
       AND NOT ($1.resident_id IS NOT NULL AND NOT $1.id_conflict
                AND pi.resident_id OPERATOR(healthhub.=) $1.resident_id)
       -- (a number the person holds only through this very record, which
       -- is being corrected, is not another's)
       AND EXISTS (SELECT FROM healthhub.source_records s
                    WHERE s.person_key = $2 AND s.resident_id OPERATOR(healthhub.=) pi.resident_id
                      AND NOT s.id_conflict AND s.withdrawn_at IS NULL
                      AND NOT (s.source = $1.source AND s.local_id = $1.local_id))
     LIMIT 1
$$;

CREATE OR REPLACE FUNCTION healthhub.identifier_links(r anyelement, person bigint, names_must_agree boolean,
                                           name_required boolean) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT NOT EXISTS (SELECT FROM healthhub.link_decisions l
                        WHERE l.source = $1.source AND l.local_id = $1.local_id AND l.person_key = $2
                          AND l.state = 'no_match')
       AND ($1.resident_id IS NULL OR $1.id_conflict OR healthhub.other_number_held($1, $2) IS NULL)
       AND (NOT $3
            OR EXISTS (SELECT FROM healthhub.source_records s
                        WHERE s.person_key = $2 AND s.withdrawn_at IS NULL
                          AND (healthhub.batch_comparison_levels($1, s))[1]
                              BETWEEN CASE WHEN $4 THEN 1 ELSE 0 END AND 4))
$$;

CREATE OR REPLACE FUNCTION healthhub.find_match(r healthhub.source_records, model integer,
                                     OUT person_key bigint, OUT decision text, OUT tier text,
                                     OUT score double precision, OUT probability double precision,
                                     OUT matched_source text, OUT matched_local_id text,
                                     OUT matched_number healthhub.resident_id, OUT candidates integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    m healthhub.linkage_models;
    keys bigint[];
    best record;
BEGIN
    candidates := 0;
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    IF r.resident_id IS NOT NULL AND NOT r.id_conflict THEN
        SELECT pi.person_key INTO person_key FROM healthhub.person_identifiers pi
         WHERE pi.resident_id OPERATOR(healthhub.=) r.resident_id
           AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, false);
        IF person_key IS NOT NULL THEN
            decision := 'matched';
            tier := 'resident_id';
            RETURN;
        END IF;
    END IF;
    IF cardinality(r.other_identifiers) > 0 THEN
        SELECT pi.person_key INTO person_key FROM healthhub.person_identifiers pi
         WHERE pi.identifier OPERATOR(healthhub.=) ANY (r.other_identifiers)
           AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, true)
         ORDER BY pi.person_key LIMIT 1;
        IF person_key IS NOT NULL THEN
            decision := 'matched';
            tier := 'identifier';
            RETURN;
        END IF;
    END IF;

    keys := healthhub.block_hashes(r, m.blocking_rules);
    SELECT count(*) OVER () AS n, c.person_key, c.source, c.local_id, c.held,
           healthhub.match_score(r, c.rec, model, c.held) AS w
      INTO best
      FROM (SELECT s.person_key, s.source, s.local_id, s.record_id, s.rec,
                   CASE WHEN r.resident_id IS NOT NULL AND NOT r.id_conflict
                        THEN healthhub.other_number_held(r, s.person_key) END AS held
              FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk WHERE bk.block_hash = ANY (keys)) b
              -- (each candidate by its id: a plan kept from when the index
              -- was young, or made on statistics of an empty table, would
              -- hash the whole records table for a few dozen of them)
              CROSS JOIN LATERAL (SELECT s1 AS rec, s1.person_key, s1.source, s1.local_id, s1.record_id, s1.withdrawn_at
                                    FROM healthhub.source_records s1 WHERE s1.record_id = b.record_id OFFSET 0) s
             WHERE s.withdrawn_at IS NULL AND NOT (s.source = r.source AND s.local_id = r.local_id)
               AND NOT EXISTS (SELECT FROM healthhub.link_decisions l
                                WHERE l.source = r.source AND l.local_id = r.local_id
                                  AND l.person_key = s.person_key AND l.state = 'no_match')) c
     ORDER BY w DESC, c.person_key, c.record_id LIMIT 1;
    IF best.person_key IS NULL THEN
        decision := 'created';
        tier := 'none';
        RETURN;
    END IF;
    candidates := best.n;
    score := best.w;
    probability := healthhub.match_probability(best.w);
    matched_source := best.source;
    matched_local_id := best.local_id;
    matched_number := best.held;
    tier := 'probabilistic';
    IF probability >= m.match_probability THEN
        person_key := best.person_key;
        decision := 'matched';
    ELSIF probability >= m.possible_probability THEN
        person_key := best.person_key;     -- the candidate for review
        decision := 'possible_match';
    ELSE
        decision := 'created';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.golden_records(persons bigint[])
    RETURNS TABLE (person_key bigint, resident_id healthhub.resident_id, name text, sex smallint, birth_date date,
                   phone text, region healthhub.region_code)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH rules AS (
        SELECT coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'resident_id'), false) AS resident_id,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'name'), false) AS name,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'sex'), false) AS sex,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'birth_date'), false) AS birth_date,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'phone'), false) AS phone,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'region'), false) AS region
          FROM healthhub.survivorship_rules sr),
    golden AS (
        SELECT p.k AS person_key,
               -- (only a number the person holds: one refused for a different
               -- name stays with the person the index gives it to)
               healthhub.golden_value(pi.resident_id::text, pi.resident_id::text, s.updated_at, ru.resident_id) AS resident_id,
               -- names counted by their simplified characters
               healthhub.golden_value(s.name_hanzi, s.name, s.updated_at, ru.name) AS name,
               healthhub.golden_value(s.sex::text, s.sex::text, s.updated_at, ru.sex) AS sex,
               healthhub.golden_value(healthhub.ymd(s.birth_date)::text, healthhub.ymd(s.birth_date)::text,
                                      s.updated_at, ru.birth_date) AS birth_date,
               healthhub.golden_value(s.phone, s.phone, s.updated_at, ru.phone) AS phone,
               healthhub.golden_value(s.region::integer::text, s.region::integer::text, s.updated_at, ru.region) AS region
          FROM rules ru
         CROSS JOIN unnest(golden_records.persons) AS p(k)
          -- (each person's records by the index, whatever the plan thinks of
          -- the table's size: a plan cached while a new hub's index was
          -- nearly empty hashed the whole table on every later call)
          LEFT JOIN LATERAL (SELECT s1.* FROM healthhub.source_records s1 WHERE s1.person_key = p.k OFFSET 0) s ON true
          LEFT JOIN healthhub.person_identifiers pi
            ON pi.resident_id OPERATOR(healthhub.=) s.resident_id AND pi.person_key = s.person_key AND NOT s.id_conflict
         GROUP BY p.k)
    SELECT g.person_key, g.resident_id::healthhub.resident_id, g.name, g.sex::smallint,
           pg_catalog.to_date(g.birth_date, 'YYYYMMDD'), g.phone, g.region::integer::healthhub.region_code
      FROM golden g;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.rebuild_golden_set(persons bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    UPDATE healthhub.persons p
       SET resident_id = g.resident_id, name = g.name, sex = g.sex, birth_date = g.birth_date, phone = g.phone,
           region = g.region, updated_at = pg_catalog.now()
      FROM healthhub.golden_records(rebuild_golden_set.persons) g
     -- (the persons named, by their key: with a generic plan the planner
     -- would otherwise hash the whole table for one or two of them)
     WHERE p.person_key = g.person_key AND p.person_key = ANY (rebuild_golden_set.persons);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.explain_pair(a healthhub.source_records, b healthhub.source_records, model integer,
                                      b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'model_version', model,
               'weights', jsonb_agg(jsonb_build_object('comparison', w.comparison, 'level', w.level,
                                                       'weight', round(w.weight::numeric, 3)) ORDER BY w.ord),
               'score', round(sum(w.weight)::numeric, 3),
               'probability', round(healthhub.match_probability(sum(w.weight))::numeric, 6))
      FROM healthhub.match_weights(a, b, model, b_person_number) WITH ORDINALITY w(comparison, level, weight, ord);
END;

CREATE OR REPLACE FUNCTION healthhub.replan_when_grown() RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_replan_when_grown' LANGUAGE C VOLATILE;

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
    -- person linked at once make one person.  (Sorted: no deadlocks.)
    PERFORM pg_advisory_xact_lock(1751477, hashtext(k))
       FROM (SELECT DISTINCT k FROM unnest(healthhub.block_keys(r)
                                           || ('record:' || r.source || '/' || r.local_id)
                                           || ('resident_id:' || r.resident_id::text)) k
              WHERE k IS NOT NULL ORDER BY k) keys;
    SELECT * INTO person_key, decision, explanation FROM healthhub.link_prepared(r);
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
        -- keys they do not share (link_record's advisory locks order only
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

CREATE OR REPLACE FUNCTION healthhub.link_manually(source text, local_id text, person bigint, reason text)
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

CREATE OR REPLACE FUNCTION healthhub.unlink_manually(source text, local_id text, person bigint, reason text)
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

CREATE OR REPLACE FUNCTION healthhub.require_person(person bigint) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF person IS NULL THEN
        RAISE EXCEPTION 'a person key is required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.merge_persons(from_person bigint, into_person bigint, reason text)
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

CREATE OR REPLACE FUNCTION healthhub.unmerge_person(from_person bigint, reason text)
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

CREATE OR REPLACE FUNCTION healthhub.linkage_authorise_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.linkage_is_admin() THEN
        RAISE EXCEPTION 'role % does not hold the hub_admin profile', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Merging, unmerging, recording deaths, training and bulk linking are for hub_admin.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.withdraw_record(source text, local_id text, reason text) RETURNS void
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

CREATE OR REPLACE FUNCTION healthhub.record_death(person bigint, died_on date, reason text) RETURNS void
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

CREATE OR REPLACE FUNCTION healthhub.current_person(person bigint) RETURNS bigint
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH RECURSIVE chain(k, next, depth) AS (
        SELECT p.person_key, p.redirected_to, 0 FROM healthhub.persons p WHERE p.person_key = current_person.person
        UNION ALL
        SELECT p.person_key, p.redirected_to, c.depth + 1 FROM chain c
          JOIN healthhub.persons p ON p.person_key = c.next WHERE c.depth < 100)
    SELECT c.k FROM chain c WHERE c.next IS NULL;
END;

CREATE OR REPLACE FUNCTION healthhub.match_explain(a_source text, a_local_id text, b_source text, b_local_id text,
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

CREATE OR REPLACE FUNCTION healthhub.resolve(identifier healthhub.resident_id) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_resolve_resident_id' LANGUAGE C VOLATILE STRICT;

CREATE OR REPLACE FUNCTION healthhub.resolve(identifier healthhub.health_identifier) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_resolve_identifier' LANGUAGE C VOLATILE STRICT;

CREATE OR REPLACE FUNCTION healthhub.resolve(identifier text) RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN CASE WHEN healthhub.is_valid_resident_id(identifier)
                THEN healthhub.resolve(healthhub.resident_id(identifier))
                ELSE healthhub.resolve(identifier::healthhub.health_identifier) END;

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
      -- the institution each source names (institution_for_source(), set-based)
      LEFT JOIN (SELECT d.source, array_agg(DISTINCT i.institution_key) AS institutions
                   FROM (SELECT DISTINCT btrim(st.institution) AS source FROM healthhub.stage_person_records st) d
                   JOIN healthhub.institutions i
                     ON i.source_ref = d.source
                     OR i.institution_key = CASE WHEN d.source ~ '^[0-9]{1,18}$' THEN d.source::bigint END
                  GROUP BY d.source) src ON src.source = btrim(s.institution);
END;

CREATE OR REPLACE FUNCTION healthhub.require_no_work_tables(caller text, tables text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM unnest(tables) t WHERE to_regclass('pg_temp.' || t) IS NOT NULL) THEN
        RAISE EXCEPTION '% runs once per transaction', caller
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its work tables (%s) exist in this session already.', array_to_string(tables, ', ')),
                  HINT = 'Commit or roll back first, or drop those temporary tables.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.require_load_key(batch_name text, file_digest text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF batch_name IS NULL OR batch_name !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid batch name: %', coalesce(quote_literal(batch_name), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A batch name is 1 to 64 letters, digits, "_", ".", ":" or "-".';
    END IF;
    IF file_digest IS NULL OR file_digest !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest: %', coalesce(quote_literal(file_digest), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A file digest is 32 to 128 lowercase hex digits, optionally after an algorithm name and a colon.',
                  HINT = 'For example ''sha256:'' || the output of sha256sum of the file.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.link_batch(batch_name text, file_digest text)
    RETURNS TABLE (phase text, seconds numeric, rows bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model integer := healthhub.linkage_model();
    m healthhub.linkage_models;
    lid bigint;
    t0 timestamptz := clock_timestamp();
    t timestamptz := clock_timestamp();
    n bigint;
    match_weight double precision;
    possible_weight double precision;
    hub bigint := healthhub.hub_id();
    entry bigint;
    report jsonb := '[]';
    rec record;
    replication_role text;
    who text := healthhub.acting_role();
    last_node integer;
    first_record_id bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_load_key(batch_name, file_digest);
    PERFORM healthhub.require_no_work_tables('link_batch', ARRAY['batch_in', 'batch_records', 'batch_keys',
        'batch_nodes', 'batch_edges', 'batch_all', 'batch_scored', 'batch_clusters', 'batch_persons', 'batch_linked']);
    PERFORM healthhub.check_name_keys_version();
    -- The batch's work tables take hundreds of MB: kept in local buffers
    -- instead of written out and read back.  temp_buffers can only be raised
    -- before the session's first temporary table (docs/linkage.md).
    IF pg_size_bytes(current_setting('temp_buffers')) < pg_size_bytes('1GB') THEN
        BEGIN
            PERFORM set_config('temp_buffers', '1GB', false);
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE 'link_batch: temp_buffers stays at % in this session (temporary tables were used before)',
                current_setting('temp_buffers')
                USING HINT = 'Call link_batch first in a new session, or set temp_buffers to 1GB before anything else.';
        END;
    END IF;
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    -- One batch at a time, and no single-record link meanwhile (link_record
    -- waits; resolve() and reads go on): what the batch decides from the
    -- index stays true until it commits.
    LOCK TABLE healthhub.source_records IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (SELECT FROM healthhub.loads l WHERE l.source = link_batch.batch_name AND l.file_digest = link_batch.file_digest) THEN
        RAISE NOTICE 'batch (%, %) was linked before: nothing to do', batch_name, file_digest;
        DELETE FROM healthhub.stage_person_records;
        RETURN QUERY SELECT 'already linked'::text, 0::numeric, 0::bigint;
        RETURN;
    END IF;
    INSERT INTO healthhub.loads (source, file_digest, mode) VALUES (batch_name, file_digest, 'delta')
    RETURNING load_id INTO lid;
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    match_weight := log(2.0, (m.match_probability / (1 - m.match_probability))::numeric)::double precision;
    possible_weight := log(2.0, (m.possible_probability / (1 - m.possible_probability))::numeric)::double precision;

    -- 1. validate and key ------------------------------------------------
    CREATE TEMP TABLE batch_in ON COMMIT DROP AS SELECT * FROM healthhub.staged_person_records();
    ANALYZE batch_in;
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, e.col, e.val, e.reason
      FROM batch_in b
     CROSS JOIN LATERAL (VALUES
        ('institution', b.source, CASE WHEN NOT b.institution_ok THEN 'names more than one institution (their keys or source_refs)'
                                       WHEN b.key_problem LIKE 'an institution%' THEN b.key_problem END),
        ('local_id', b.local_id, CASE WHEN b.key_problem LIKE 'a local id%' THEN b.key_problem END),
        ('name', b.name, CASE WHEN b.name IS NOT NULL AND b.hanzi IS NULL THEN healthhub.name_problem(b.name) END),
        ('sex', b.sex_text, CASE WHEN b.sex = 0 THEN 'Sex is 1 or 2, M or F, male or female, 男 or 女; 0 or 9 if not known.' END),
        ('birth_date', b.birth_text, CASE WHEN b.birth_text IS NOT NULL AND (b.birth_date IS NULL OR b.birth_date > current_date)
                                          THEN 'not a birth date between 1880-01-01 and today (YYYY-MM-DD)' END),
        ('phone', b.phone_text, CASE WHEN b.phone = '' THEN 'A phone number has 7 to 15 digits.' END),
        ('address_region', b.region_text,
         CASE WHEN b.region_text IS NOT NULL AND NOT b.region_ok THEN 'not a region code in healthhub.regions' END),
        ('other_identifiers', array_to_string(b.others, ';'),
         (SELECT string_agg(healthhub.health_identifier_problem(x), ' ') FROM unnest(b.others) x))
        ) e(col, val, reason)
     -- (only rows that may have a problem are looked at column by column)
     WHERE (b.key_problem IS NOT NULL OR NOT b.institution_ok OR (b.name IS NOT NULL AND b.hanzi IS NULL)
            OR b.sex = 0 OR (b.birth_text IS NOT NULL AND (b.birth_date IS NULL OR b.birth_date > current_date))
            OR b.phone = '' OR (b.region_text IS NOT NULL AND NOT b.region_ok) OR cardinality(b.others) > 0)
       AND e.reason IS NOT NULL;
    -- a record sent twice in one file: the last line counts
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, 'local_id', b.local_id, 'sent again on a later line of this batch'
      FROM batch_in b
      JOIN (SELECT b2.source, b2.local_id, max(b2.line_no) AS last_line FROM batch_in b2
             GROUP BY b2.source, b2.local_id HAVING count(*) > 1) d
        ON d.source = b.source AND d.local_id = b.local_id AND b.line_no < d.last_line;
    CREATE TEMP TABLE batch_records ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY b.line_no)::integer AS node, b.line_no,
           b.source, b.local_id,
           b.institution_key,
           b.name, b.sex, b.birth_date, b.identifier AS identifier_text, b.phone,
           b.region_text::healthhub.region_code AS region,
           b.others::healthhub.health_identifier[] AS other_identifiers,
           rid.resident_id,
           -- a number the record contradicts (a parent's) is evidence, never a match
           healthhub.resident_id_contradicts(rid.resident_id, b.birth_date, b.sex) AS id_conflict,
           b.hanzi AS name_hanzi, b.pinyin AS name_pinyin, b.initials AS name_initials, b.surname,
           b.given_pinyin AS name_given_pinyin
      FROM batch_in b
      CROSS JOIN LATERAL (SELECT CASE WHEN healthhub.is_valid_resident_id(b.identifier)
                                      THEN healthhub.resident_id(b.identifier) END AS resident_id) rid
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors le WHERE le.load_id = lid AND le.line_no = b.line_no);

    -- records already in the index are linked one by one (corrections; no
    -- per-record locks: the batch holds the index)
    FOR rec IN SELECT r.* FROM batch_records r
                WHERE EXISTS (SELECT FROM healthhub.source_records s WHERE s.source = r.source AND s.local_id = r.local_id)
    LOOP
        PERFORM healthhub.link_prepared(healthhub.prepare_record(
                    rec.source, rec.local_id, rec.name, rec.sex::text, rec.birth_date, rec.identifier_text, rec.phone,
                    rec.region::integer::text, rec.other_identifiers::text[]));
        DELETE FROM batch_records r WHERE r.node = rec.node;
    END LOOP;
    ANALYZE batch_records;
    SELECT count(*), max(r.node) INTO n, last_node FROM batch_records r;
    report := report || jsonb_build_object('phase', 'validate and key', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: validated and keyed % records (% rejected) in % s', n,
        (SELECT count(*) FROM healthhub.load_errors le WHERE le.load_id = lid), round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 2. blocking: records sharing a key of the model's rules (and records
    --    already in the index that share one) --------------------------
    CREATE TEMP TABLE batch_keys ON COMMIT DROP AS
    SELECT h AS block_hash, r.node
      FROM batch_records r,
           unnest(healthhub.block_hashes(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region,
                                         r.phone, m.blocking_rules)) h;
    -- existing records become nodes too, after the batch's own
    CREATE TEMP TABLE batch_nodes ON COMMIT DROP AS
    SELECT r.node, CASE WHEN NOT r.id_conflict THEN r.resident_id::bigint END AS resident_id, NULL::bigint AS person_key,
           NULL::bigint AS record_id
      FROM batch_records r;
    -- (each with the number its person holds: the clustering never gives a
    -- person a second number)
    INSERT INTO batch_nodes
    SELECT last_node + row_number() OVER ()::integer,
           (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
             WHERE pi.person_key = s.person_key AND pi.resident_id IS NOT NULL),
           s.person_key, s.record_id
      FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk
             WHERE bk.block_hash IN (SELECT k.block_hash FROM batch_keys k)) e
      JOIN healthhub.source_records s ON s.record_id = e.record_id AND s.withdrawn_at IS NULL;
    INSERT INTO batch_keys
    SELECT bk.block_hash, n2.node FROM batch_nodes n2
      JOIN healthhub.record_block_keys bk ON bk.record_id = n2.record_id
     WHERE n2.record_id IS NOT NULL AND bk.block_hash IN (SELECT k.block_hash FROM batch_keys k);
    CREATE TEMP TABLE batch_edges ON COMMIT DROP AS
    SELECT p.a, p.b, NULL::double precision AS weight FROM healthhub.block_pairs(healthhub.batch_block_limit()) p;
    -- (every work table is analysed once made: the planner sees no
    -- statistics of temporary tables otherwise, and guesses badly at this size)
    ANALYZE batch_keys, batch_nodes, batch_edges;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'blocking', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % candidate pairs from blocking in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 3. scoring ----------------------------------------------------------
    CREATE TEMP TABLE batch_all ON COMMIT DROP AS
    SELECT r.node, r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone,
           r.region, r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials,
           r.surname, r.name_given_pinyin
      FROM batch_records r
    UNION ALL
    SELECT n2.node, s.source, s.local_id, s.institution_key, s.name, s.sex, s.birth_date, s.identifier_text, s.phone,
           s.region, s.other_identifiers, s.resident_id, s.id_conflict, s.name_hanzi, s.name_pinyin, s.name_initials,
           s.surname, s.name_given_pinyin
      FROM batch_nodes n2 JOIN healthhub.source_records s ON s.record_id = n2.record_id;
    CREATE UNIQUE INDEX ON batch_all (node);
    ANALYZE batch_all;
    CREATE TEMP TABLE batch_scored ON COMMIT DROP AS
    SELECT e.a, e.b, healthhub.batch_match_score(x, y, model) AS weight
      FROM batch_edges e JOIN batch_all x ON x.node = e.a JOIN batch_all y ON y.node = e.b
     WHERE NOT EXISTS (SELECT FROM healthhub.link_decisions l
                        WHERE l.state = 'no_match'
                          AND ((l.source = x.source AND l.local_id = x.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = y.node))
                            OR (l.source = y.source AND l.local_id = y.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = x.node))));
    DROP TABLE batch_edges;
    ALTER TABLE batch_scored RENAME TO batch_edges;
    -- identifiers: records sharing a resident ID (without conflict) or
    -- another identifier are one person, whatever their scores
    -- (unless the names differ entirely: a parent's number on a child's
    -- record that gives no birth date to contradict it)
    INSERT INTO batch_edges
    SELECT g.first, x.node, 'Infinity'::double precision
      FROM batch_all x
      JOIN (SELECT resident_id, min(node) AS first FROM batch_records WHERE resident_id IS NOT NULL AND NOT id_conflict
             GROUP BY resident_id HAVING count(*) > 1) g ON g.resident_id OPERATOR(healthhub.=) x.resident_id
      JOIN batch_all f ON f.node = g.first
     WHERE x.node <> g.first AND NOT x.id_conflict AND x.node <= last_node
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    INSERT INTO batch_edges
    SELECT g.first, xi.node, 'Infinity'::double precision
      FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) xi
      JOIN (SELECT ident, min(node) AS first FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) y
             GROUP BY ident HAVING count(*) > 1) g ON g.ident OPERATOR(healthhub.=) xi.ident
      JOIN batch_all x ON x.node = xi.node
      JOIN batch_all f ON f.node = g.first
     WHERE xi.node <> g.first
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    -- and records whose number or identifier is already a person's join it,
    -- by the rule link_record follows (identifier_links)
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM batch_records r JOIN healthhub.person_identifiers pi
        ON pi.resident_id OPERATOR(healthhub.=) r.resident_id
     WHERE bn.node = r.node AND NOT r.id_conflict
       AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, false);
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM (SELECT r1 AS rec, r1.node, unnest(r1.other_identifiers) AS ident FROM batch_records r1) r
      JOIN healthhub.person_identifiers pi ON pi.identifier OPERATOR(healthhub.=) r.ident
     WHERE bn.node = r.node AND bn.person_key IS NULL
       AND healthhub.identifier_links(r.rec, pi.person_key, m.names_must_agree, true);
    -- a record that joins a person without a number of its own carries the
    -- person's into the clustering
    UPDATE batch_nodes bn SET resident_id = (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
                                              WHERE pi.person_key = bn.person_key AND pi.resident_id IS NOT NULL)
     WHERE bn.person_key IS NOT NULL AND bn.resident_id IS NULL AND bn.node <= last_node;
    ANALYZE batch_edges, batch_nodes;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'scoring', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: scored % pairs in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 4. clustering -------------------------------------------------------
    -- (each node's group with the group's person already in the index, if any)
    CREATE TEMP TABLE batch_clusters ON COMMIT DROP AS
    SELECT c.node, c.cluster, c.person_key FROM healthhub.link_clusters(match_weight) c;
    -- (new persons numbered in the order of their first record: the same
    -- file gives the same keys whatever plan the aggregate gets)
    CREATE TEMP TABLE batch_persons ON COMMIT DROP AS
    SELECT g.cluster, coalesce(g.existing, hub * 10000000000 + nextval('healthhub.key_seq')) AS person_key,
           g.existing IS NULL AS created
      FROM (SELECT c.cluster, max(c.person_key) AS existing
              FROM batch_clusters c GROUP BY c.cluster ORDER BY c.cluster) g;
    -- The records with their persons and ids, as a new table (an UPDATE
    -- would write a million rows twice).  The ids are a block of the
    -- sequence, the batch's alone while it holds the index.
    first_record_id := nextval('healthhub.record_seq');
    PERFORM setval('healthhub.record_seq', first_record_id + last_node);
    CREATE TEMP TABLE batch_linked ON COMMIT DROP AS
    SELECT r.*, p.person_key, p.created AS person_created, first_record_id + r.node AS record_id
      FROM batch_records r JOIN batch_clusters c ON c.node = r.node JOIN batch_persons p ON p.cluster = c.cluster;
    DROP TABLE batch_records;
    ALTER TABLE batch_linked RENAME TO batch_records;
    -- (without statistics the planner joined the review queue's pairs to
    -- these records and persons as if they were a few rows: a second batch
    -- into a large index multiplied them out of all proportion)
    ANALYZE batch_records, batch_clusters, batch_persons;
    SELECT count(*) INTO n FROM batch_persons WHERE created;
    report := report || jsonb_build_object('phase', 'clustering', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % records in % new persons in % s', (SELECT count(*) FROM batch_records), n,
        round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 5. writing ----------------------------------------------------------
    entry := healthhub.audit_append('link.batch', 'load', lid::text, NULL, 'patient identity management', 'ok');
    -- Every row written below refers to rows this transaction has just
    -- written or read (persons, records, institutions): the per-row
    -- foreign-key triggers are skipped while it writes, as pg_restore
    -- --disable-triggers does, and none of these tables has another trigger.
    replication_role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);
    INSERT INTO healthhub.source_records (source, local_id, institution_key, name, sex, birth_date, identifier_text,
                                          phone, region, other_identifiers, resident_id, id_conflict, name_hanzi,
                                          name_pinyin, name_initials, surname, name_given_pinyin, person_key,
                                          link_origin, link_model, linked_by, record_id)
    SELECT r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone, r.region,
           r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials, r.surname,
           r.name_given_pinyin, r.person_key, 'auto', model, who, r.record_id
      FROM batch_records r ORDER BY r.source, r.local_id;
    -- the best pair across two persons between the thresholds: the review queue
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version, decided_by)
    SELECT DISTINCT ON (x.node) xa.source, xa.local_id, py.person_key, 'possible_match', 'auto', x.weight, model, who
      FROM (SELECT e.a AS node, e.b AS other, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight
            UNION ALL
            SELECT e.b, e.a, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight) x
      JOIN batch_records xa ON xa.node = x.node
      JOIN batch_clusters cy ON cy.node = x.other
      JOIN batch_persons py ON py.cluster = cy.cluster
     WHERE py.person_key <> xa.person_key
     ORDER BY x.node, x.weight DESC
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT k.block_hash, first_record_id + k.node FROM batch_keys k WHERE k.node <= last_node
     ORDER BY 1, 2;
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT DISTINCT ON (r.resident_id) r.resident_id, r.person_key FROM batch_records r
     WHERE r.resident_id IS NOT NULL AND NOT r.id_conflict
     ORDER BY r.resident_id, r.node
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.person_identifiers (identifier, person_key)
    SELECT DISTINCT ON (i) i, r.person_key FROM batch_records r, unnest(r.other_identifiers) i
     ORDER BY i, r.node
    ON CONFLICT DO NOTHING;
    -- new persons are inserted with their golden records (after their records
    -- and identifiers: the golden record is made from them); persons that
    -- were already in the index get theirs rebuilt
    -- (the hub given, not left to its default: a function call per row)
    INSERT INTO healthhub.persons (hub_id, person_key, resident_id, name, sex, birth_date, phone, region)
    SELECT hub, g.* FROM healthhub.golden_records(ARRAY(
               SELECT p.person_key FROM batch_persons p
                WHERE p.created AND p.person_key IN (SELECT r.person_key FROM batch_records r))) g
     ORDER BY g.person_key;
    PERFORM healthhub.rebuild_golden_set(ARRAY(SELECT DISTINCT p.person_key FROM batch_persons p
                                                WHERE NOT p.created));
    INSERT INTO healthhub.link_events (entry_id, by_role, action, source, local_id, record_id, person_key, new_state,
                                       origin, model_version, reason)
    SELECT entry, who, 'link_batch', r.source, r.local_id, r.record_id, r.person_key, 'match', 'auto', model,
           CASE WHEN r.person_created THEN 'created' ELSE 'matched' END
      FROM batch_records r
     ORDER BY r.record_id;
    PERFORM set_config('session_replication_role', replication_role, true);
    -- the tables grew by a batch: plan the next link_record() on their real sizes
    ANALYZE healthhub.source_records, healthhub.record_block_keys, healthhub.link_decisions, healthhub.persons,
            healthhub.person_identifiers;
    SELECT count(*) INTO n FROM batch_records;
    report := report || jsonb_build_object('phase', 'writing', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: wrote % records in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);

    -- the rows this batch read leave the staging table (rows staged
    -- meanwhile stay for the next batch)
    DELETE FROM healthhub.stage_person_records s USING batch_in b WHERE s.ctid = b.stage_row;
    UPDATE healthhub.loads l SET outcome = jsonb_build_object(
        'records', n,
        'rejected', (SELECT count(DISTINCT le.line_no) FROM healthhub.load_errors le WHERE le.load_id = lid),
        'persons_created', (SELECT count(*) FROM batch_persons WHERE created),
        'matched_existing', (SELECT count(*) FROM batch_records r WHERE NOT r.person_created),
        'possible_matches', (SELECT count(*) FROM healthhub.link_decisions lk WHERE lk.state = 'possible_match'
                               AND (lk.source, lk.local_id) IN (SELECT br.source, br.local_id FROM batch_records br)),
        'model_version', model, 'phases', report, 'audit_entry', entry)
     WHERE l.load_id = lid;
    RETURN QUERY
    SELECT x->>'phase', round((x->>'seconds')::numeric, 2), (x->>'rows')::bigint FROM jsonb_array_elements(report) x
    UNION ALL
    SELECT 'total', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2), n;
END
$$;







CREATE FUNCTION healthhub.train_linkage(max_pairs integer DEFAULT 1000000, random_pairs integer DEFAULT 200000,
                                        iterations integer DEFAULT 25, blocking_rules text[] DEFAULT NULL,
                                        match_probability double precision DEFAULT NULL,
                                        possible_probability double precision DEFAULT NULL,
                                        staged boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base healthhub.linkage_models;
    v integer;
    rules text[];
    prior double precision;
    n_pairs bigint;
    n_records bigint;
    it integer := 0;
    moved double precision;
    floor_p constant double precision := 1e-6;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    IF max_pairs < 1000 OR random_pairs < 1000 OR iterations < 1 THEN
        RAISE EXCEPTION 'too little to train on'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'max_pairs and random_pairs must be at least 1000, iterations at least 1.';
    END IF;
    v := healthhub.linkage_model();      -- (the neutral start is made at first use)
    SELECT * INTO base FROM healthhub.linkage_models lm WHERE lm.model_version = v;
    rules := coalesce(blocking_rules, base.blocking_rules);
    IF EXISTS (SELECT FROM unnest(rules) r WHERE r NOT IN (SELECT b.rule FROM healthhub.linkage_blocking_rules b))
       OR cardinality(rules) = 0 THEN
        RAISE EXCEPTION 'unknown blocking rule in %', rules
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The rules are listed in healthhub.linkage_blocking_rules.';
    END IF;
    PERFORM healthhub.require_no_work_tables('train_linkage', ARRAY['train_records', 'train_random', 'train_weights',
        'train_fixed', 'train_keys', 'train_patterns', 'train_m']);
    PERFORM setseed(0.4242);

    -- the records, numbered, with the fields the comparisons read
    IF staged THEN
        CREATE TEMP TABLE train_records ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY s.line_no)::integer AS node, s.hanzi AS name_hanzi, s.pinyin AS name_pinyin,
               s.initials AS name_initials, s.surname, s.given_pinyin AS name_given_pinyin, s.birth_date,
               nullif(s.sex, 0) AS sex, nullif(s.phone, '') AS phone,
               CASE WHEN s.region_ok THEN s.region_text::healthhub.region_code END AS region,
               s.identifier AS identifier_text, rid.resident_id,
               healthhub.resident_id_contradicts(rid.resident_id, s.birth_date, nullif(s.sex, 0)) AS id_conflict
          FROM healthhub.staged_person_records() s
         CROSS JOIN LATERAL (SELECT CASE WHEN healthhub.is_valid_resident_id(s.identifier)
                                         THEN healthhub.resident_id(s.identifier) END AS resident_id) rid
         WHERE s.key_problem IS NULL;
    ELSE
        CREATE TEMP TABLE train_records ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY s.source, s.local_id)::integer AS node, s.name_hanzi, s.name_pinyin,
               s.name_initials, s.surname, s.name_given_pinyin, s.birth_date, s.sex, s.phone, s.region,
               s.identifier_text, s.resident_id, s.id_conflict
          FROM healthhub.source_records s WHERE s.withdrawn_at IS NULL;
    END IF;
    SELECT count(*) INTO n_records FROM train_records;
    IF n_records < 100 THEN
        RAISE EXCEPTION 'too few records to train on: %', n_records
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN staged THEN 'Training needs at least 100 staged records.'
                                ELSE 'Training needs at least 100 linked records.' END,
                  HINT = CASE WHEN staged THEN 'COPY an extract into healthhub.stage_person_records first.'
                              ELSE 'Stage an extract and train on it with staged => true, or link records first.' END;
    END IF;
    CREATE UNIQUE INDEX ON train_records (node);
    ANALYZE train_records;

    -- u: level frequencies among random pairs
    CREATE TEMP TABLE train_random ON COMMIT DROP AS
    SELECT healthhub.batch_comparison_levels(a, b) AS levels
      FROM (SELECT 1 + floor(random() * n_records)::integer AS x, 1 + floor(random() * n_records)::integer AS y
              FROM generate_series(1, random_pairs)) p
      JOIN train_records a ON a.node = p.x JOIN train_records b ON b.node = p.y
     WHERE p.x <> p.y;
    CREATE TEMP TABLE train_weights ON COMMIT DROP AS
    SELECT c.comparison, c.level_no, c.level, w.m,
           greatest(floor_p, least(1 - floor_p,
               (SELECT (count(*) FILTER (WHERE r.levels[c.ord] = c.level_no) + 1.0)
                       / (count(*) FILTER (WHERE r.levels[c.ord] > 0) + 2.0)
                  FROM train_random r))) AS u
      FROM (SELECT lc.*, dense_rank() OVER (ORDER BY
                     array_position(ARRAY['name', 'birth_date', 'sex', 'phone', 'region', 'identifier'], lc.comparison))
                     AS ord
              FROM healthhub.linkage_comparisons lc) c
      JOIN healthhub.linkage_weights w ON w.model_version = base.model_version
                                      AND w.comparison = c.comparison AND w.level = c.level;

    -- The pairs each blocking rule proposes (up to max_pairs in all), as
    -- patterns of levels.  EM runs per rule over the comparisons the rule
    -- does not fix (pairs that share a birth date say nothing about how
    -- often matches share one), and each m is the average of the runs that
    -- estimated it, weighted by their expected matches: Splink's way to keep
    -- blocking from confounding the estimates.
    CREATE TEMP TABLE train_fixed ON COMMIT DROP AS
    SELECT f.rule, f.comparison FROM (VALUES
        ('pinyin_birth_year', 'name'), ('pinyin_birth_year', 'birth_date'),
        ('initials_birth_date', 'name'), ('initials_birth_date', 'birth_date'),
        ('birth_date_sex_prefecture', 'birth_date'), ('birth_date_sex_prefecture', 'sex'),
        ('birth_date_sex_prefecture', 'region'),
        ('phone', 'phone'), ('hanzi', 'name')) f(rule, comparison);
    CREATE TEMP TABLE train_keys ON COMMIT DROP AS
    SELECT split_part(k, ':', 1) AS rule, healthhub.block_hash(k) AS h, r.node
      FROM train_records r,
           unnest(healthhub.block_keys(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region, r.phone)) k
     WHERE split_part(k, ':', 1) = ANY (rules);
    CREATE TEMP TABLE train_patterns ON COMMIT DROP AS
    SELECT p.rule, healthhub.batch_comparison_levels(a, b) AS levels, count(*)::double precision AS n,
           0.0::double precision AS p
      FROM (SELECT DISTINCT k1.rule, k1.node AS x, k2.node AS y
              FROM train_keys k1 JOIN train_keys k2 ON k1.rule = k2.rule AND k1.h = k2.h AND k1.node < k2.node
             LIMIT max_pairs) p
      JOIN train_records a ON a.node = p.x JOIN train_records b ON b.node = p.y
     GROUP BY p.rule, 2;
    SELECT sum(n)::bigint INTO n_pairs FROM train_patterns;
    IF n_pairs = 0 THEN
        RAISE EXCEPTION 'blocking proposes no pairs to train on'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    CREATE TEMP TABLE train_m ON COMMIT DROP AS
    SELECT r.rule, w.comparison, w.level_no,
           array_position(ARRAY['name', 'birth_date', 'sex', 'phone', 'region', 'identifier'], w.comparison) AS ord,
           w.m, w.u, base.prior AS prior, 0.0::double precision AS delta
      FROM (SELECT DISTINCT tp.rule FROM train_patterns tp) r
     CROSS JOIN train_weights w
     WHERE NOT EXISTS (SELECT FROM train_fixed f WHERE f.rule = r.rule AND f.comparison = w.comparison);

    LOOP
        it := it + 1;
        -- expectation: the chance each pattern is a match, under its rule's m
        UPDATE train_patterns tp SET p = s.posterior
          FROM (SELECT t.rule, t.levels,
                       1.0 / (1.0 + (1 - max(m.prior)) / max(m.prior)
                                    * exp(coalesce(sum(ln(m.u) - ln(m.m)) FILTER (WHERE t.levels[m.ord] = m.level_no), 0))) AS posterior
                  FROM train_patterns t JOIN train_m m ON m.rule = t.rule
                 GROUP BY t.rule, t.levels) s
         WHERE tp.rule = s.rule AND tp.levels = s.levels;
        -- maximisation: each rule's m and prior
        UPDATE train_m m SET delta = abs(m.m - nm.m), m = nm.m, prior = nm.prior
          FROM (SELECT m2.rule, m2.comparison, m2.level_no,
                       greatest(floor_p, least(1 - floor_p,
                           (coalesce(sum(t.n * t.p) FILTER (WHERE t.levels[m2.ord] = m2.level_no), 0) + 1e-9)
                           / (coalesce(sum(t.n * t.p) FILTER (WHERE t.levels[m2.ord] > 0), 0) + 1e-9))) AS m,
                       greatest(floor_p, least(1 - floor_p, sum(t.n * t.p) / sum(t.n))) AS prior
                  FROM train_m m2 JOIN train_patterns t ON t.rule = m2.rule
                 GROUP BY m2.rule, m2.comparison, m2.level_no) nm
         WHERE m.rule = nm.rule AND m.comparison = nm.comparison AND m.level_no = nm.level_no;
        SELECT max(m.delta) INTO moved FROM train_m m;
        EXIT WHEN it >= iterations OR moved < 1e-5;
    END LOOP;
    -- each m: the runs that estimated it (saw the comparison at all),
    -- weighted by their expected matches with the comparison known
    UPDATE train_weights w SET m = greatest(floor_p, least(1 - floor_p, s.m))
      FROM (SELECT m.comparison, m.level_no, sum(m.m * e.matches) / sum(e.matches) AS m
              FROM train_m m
              JOIN (SELECT t.rule, c.ord, sum(t.n * t.p) AS matches
                      FROM train_patterns t
                     CROSS JOIN generate_series(1, 6) AS c(ord)
                     WHERE t.levels[c.ord] > 0
                     GROUP BY t.rule, c.ord) e
                ON e.rule = m.rule AND e.ord = m.ord
             GROUP BY m.comparison, m.level_no) s
     WHERE w.comparison = s.comparison AND w.level_no = s.level_no;
    -- The prior: the chance that two records taken at random are one
    -- person, as the weights are (u comes from random pairs).  The matches
    -- are counted once over the distinct pairs blocking proposes, each
    -- scored under the rules' average prior, and spread over all pairs.
    SELECT sum(e.matches) / sum(e.pairs) INTO prior
      FROM (SELECT t.rule, sum(t.n * t.p) AS matches, sum(t.n) AS pairs FROM train_patterns t GROUP BY t.rule) e;
    SELECT sum(d.n / (1.0 + (1 - prior) / prior
                            * exp(coalesce((SELECT sum(ln(w.u) - ln(w.m)) FROM train_weights w
                                             WHERE d.levels[array_position(ARRAY['name', 'birth_date', 'sex', 'phone',
                                                   'region', 'identifier'], w.comparison)] = w.level_no), 0))))
      INTO prior
      FROM (SELECT t.levels, sum(t.n) AS n FROM train_patterns t GROUP BY t.levels) d;
    prior := greatest(1e-12, least(0.5, prior / (n_records * (n_records - 1) / 2.0)));

    SELECT max(lm.model_version) + 1 INTO v FROM healthhub.linkage_models lm;
    INSERT INTO healthhub.linkage_models (model_version, method, prior, match_probability, possible_probability,
                                          blocking_rules, names_must_agree, pairs, iterations)
    VALUES (v, 'em', prior, coalesce(match_probability, base.match_probability),
            coalesce(possible_probability, base.possible_probability), rules, base.names_must_agree, n_pairs, it);
    INSERT INTO healthhub.linkage_weights (model_version, comparison, level, m, u)
    SELECT v, w.comparison, w.level, w.m, w.u FROM train_weights w;
    INSERT INTO healthhub.surname_frequencies (model_version, surname, frequency)
    SELECT v, s.surname, count(*)::double precision / sum(count(*)) OVER ()
      FROM train_records s WHERE s.surname IS NOT NULL
     GROUP BY s.surname;
    IF rules IS DISTINCT FROM base.blocking_rules THEN
        PERFORM healthhub.rebuild_block_keys();
    END IF;
    PERFORM healthhub.audit_append('linkage.train', 'linkage_model', v::text, NULL, 'patient identity management', 'ok');
    RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.rebuild_name_keys() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    LOCK TABLE healthhub.source_records IN SHARE ROW EXCLUSIVE MODE;
    UPDATE healthhub.source_records s
       SET name_hanzi = k.hanzi, name_pinyin = k.pinyin, name_initials = k.initials, surname = k.surname,
           name_given_pinyin = k.given_pinyin
      FROM healthhub.source_records s2
     CROSS JOIN LATERAL healthhub.name_keys_or_null(s2.name) k
     WHERE s2.record_id = s.record_id AND s2.name IS NOT NULL
       AND (s.name_hanzi, s.name_pinyin, s.name_initials, s.surname, s.name_given_pinyin)
           IS DISTINCT FROM (k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM healthhub.rebuild_block_keys();
    INSERT INTO healthhub.name_keys_made_with (icu_version) VALUES (healthhub.icu_version())
    ON CONFLICT (only_row) DO UPDATE SET icu_version = EXCLUDED.icu_version, made_at = now();
    PERFORM healthhub.audit_append('linkage.rebuild_name_keys', 'person_index', healthhub.icu_version(), NULL,
                                   'patient identity management', n || ' records rekeyed');
    RETURN n;
END
$$;

COMMENT ON FUNCTION healthhub.icu_version() IS 'The version of the ICU library this server makes name keys with';
COMMENT ON FUNCTION healthhub.match_score(healthhub.source_records, healthhub.source_records, integer,
                                          healthhub.resident_id) IS
    'Match weight of two records under a model: prior log-odds plus each comparison''s log2(m/u), less what the model holds back';
COMMENT ON FUNCTION healthhub.match_weights(healthhub.source_records, healthhub.source_records, integer,
                                            healthhub.resident_id) IS
    'The weights that sum to match_score: one per comparison, the surname adjustment, the prior, what was held back';
COMMENT ON FUNCTION healthhub.resident_id_contradicts(healthhub.resident_id, date, smallint) IS
    'Whether a record''s birth date (or, without one, its sex) contradicts the resident ID number it carries';
COMMENT ON FUNCTION healthhub.record_key_problem(text, text) IS
    'Why a source and local id cannot key a record (missing, or too long), or NULL';
COMMENT ON FUNCTION healthhub.institution_for_source(text) IS
    'The institution a record source names (its key or source_ref), NULL if none; raises if several';
COMMENT ON FUNCTION healthhub.current_person(bigint) IS
    'The person a key stands for now: itself, or the person it was merged into; NULL for an unknown key';
COMMENT ON FUNCTION healthhub.staged_person_records() IS
    'The records staged in healthhub.stage_person_records, parsed and keyed (NULL where a field does not parse)';
COMMENT ON FUNCTION healthhub.link_batch(text, text) IS
    'Link every record staged in healthhub.stage_person_records and empty it; returns the time and rows of each phase';
COMMENT ON FUNCTION healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean) IS
    'Estimate a new linkage model version from the records (or the staged extract): u from random pairs, m and the prior by EM';
COMMENT ON FUNCTION healthhub.rebuild_name_keys() IS
    'Make every record''s name and blocking keys anew with this server''s ICU (after an ICU upgrade)';

-- (an index linked before 0.4 was keyed with the ICU this server runs now,
-- as far as anyone can tell: recorded as such)
INSERT INTO healthhub.name_keys_made_with (icu_version)
SELECT healthhub.icu_version() WHERE EXISTS (SELECT FROM healthhub.source_records);

CREATE OR REPLACE FUNCTION healthhub.link_clusters(match_weight double precision)
    RETURNS TABLE (node integer, cluster integer, person_key bigint)
    AS 'MODULE_PATHNAME', 'hh_link_clusters' LANGUAGE C VOLATILE STRICT;

CREATE OR REPLACE FUNCTION healthhub.sync_person_identifiers(person bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM healthhub.person_identifiers pi
     WHERE pi.person_key = sync_person_identifiers.person
       AND NOT EXISTS (SELECT FROM healthhub.source_records s
                        WHERE s.person_key = sync_person_identifiers.person
                          AND ((s.resident_id OPERATOR(healthhub.=) pi.resident_id AND NOT s.id_conflict)
                               OR pi.identifier OPERATOR(healthhub.=) ANY (s.other_identifiers)));
    -- one number a person: a person that holds none takes its earliest
    -- record's (a record tied to it by hand with another keeps that to itself)
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT s.resident_id, s.person_key FROM healthhub.source_records s
     WHERE s.person_key = sync_person_identifiers.person AND s.resident_id IS NOT NULL AND NOT s.id_conflict
       AND NOT EXISTS (SELECT FROM healthhub.person_identifiers pi
                        WHERE pi.person_key = sync_person_identifiers.person AND pi.resident_id IS NOT NULL)
     ORDER BY s.received_at, s.record_id LIMIT 1
    ON CONFLICT (resident_id) WHERE resident_id IS NOT NULL DO NOTHING;
    INSERT INTO healthhub.person_identifiers (identifier, person_key)
    SELECT DISTINCT i, s.person_key FROM healthhub.source_records s, unnest(s.other_identifiers) i
     WHERE s.person_key = sync_person_identifiers.person
    ON CONFLICT (identifier) WHERE identifier IS NOT NULL DO NOTHING;
END
$$;

-- privileges: the internal functions are not PUBLIC's; profiles get 0.4's
-- rights (an application no longer reads source_records.link_score)
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'healthhub.linkage_model()', 'healthhub.prepare_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.linkage_authorise(text)', 'healthhub.linkage_authorise_admin()', 'healthhub.linkage_is_admin()',
        'healthhub.authorised_record(text, text, boolean, boolean)',
        'healthhub.linkage_authorise_person(healthhub.source_records, bigint)', 'healthhub.institution_for_source(text)',
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
SELECT healthhub.apply_profile_privileges(rp.role_name, rp.profile, false)
  FROM healthhub.role_profiles rp WHERE rp.profile = 'institution_app';
UPDATE healthhub.profile_privileges SET privileges =
       'SELECT (source, local_id, record_id, institution_key, name, sex, birth_date, identifier_text, phone, region, '
       'other_identifiers, resident_id, id_conflict, name_hanzi, name_pinyin, name_initials, surname, name_given_pinyin, '
       'person_key, link_origin, link_model, linked_at, linked_by, received_at, updated_at, withdrawn_at)'
 WHERE profile = 'institution_app' AND object_kind = 'table' AND object_name = 'healthhub.source_records';
UPDATE healthhub.profile_privileges
   SET object_name = 'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean)'
 WHERE object_name = 'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision)';
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'function', 'healthhub.rebuild_name_keys()', 'EXECUTE'),
    ('hub_admin', 'table', 'healthhub.name_keys_made_with', 'SELECT'),
    ('hub_admin', 'table', 'healthhub.persons_with_two_numbers', 'SELECT');
SELECT healthhub.apply_profile_privileges(rp.role_name, rp.profile, true) FROM healthhub.role_profiles rp;
