-- Linking one record at a time (docs/linkage.md): validate and key the
-- record, try the deterministic tier (identifiers), then the probabilistic
-- one (blocking, Fellegi-Sunter scores), decide, write the link, its history
-- and its audit entry, and rebuild the person's golden record.

-- Every record has a key for each blocking rule ("rule:value"), stored as
-- its 64-bit hash: an index of 8-byte keys is several times smaller and
-- faster to fill than one of the strings, and a collision only adds a
-- candidate that scoring then rejects.  Only the rules of the model in
-- force are kept (healthhub.rebuild_block_keys() after changing them).
-- Derived from source_records, without a foreign key: link_record and
-- link_batch keep it in step, and a record's keys are found by computing
-- them again.
CREATE TABLE healthhub.record_block_keys (
    block_hash      bigint NOT NULL,
    record_id       bigint NOT NULL,     -- source_records.record_id
    PRIMARY KEY (block_hash, record_id)
);
COMMENT ON TABLE healthhub.record_block_keys IS 'Hashed blocking keys of the source records (one per rule)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_block_keys', '');

CREATE FUNCTION healthhub.block_hash(block_key text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.hashtextextended(block_key, 0);

-- (The helpers below that link_record runs on every call are PL/pgSQL, not
-- SQL-standard bodies: PL/pgSQL keeps its plans for the session, a SQL
-- function is planned again on every call.  other_number_held and
-- identifier_links are SQL with string bodies: they take a source_records
-- row or a batch's work row alike (anyelement), and the planner inlines them.)

-- Comparators and scores, in C (src/linkage/record_compare.c).
CREATE FUNCTION healthhub.comparison_levels(a healthhub.source_records, b healthhub.source_records)
    RETURNS smallint[]
    AS 'MODULE_PATHNAME', 'hh_comparison_levels_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.comparison_levels(healthhub.source_records, healthhub.source_records) IS
    'The level of each comparison of two records (0 missing, 1 strongest agreement), in linkage_comparisons order';
-- (b_person_number: the resident ID number b's person holds, which stands
-- for b's own when b gives none: a record is scored against the person.)
CREATE FUNCTION healthhub.match_score(a healthhub.source_records, b healthhub.source_records, model integer,
                                      b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_match_score' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.match_score(healthhub.source_records, healthhub.source_records, integer,
                                          healthhub.resident_id) IS
    'Match weight of two records under a model: prior log-odds plus each comparison''s log2(m/u), less what the model holds back';
CREATE FUNCTION healthhub.match_weights(a healthhub.source_records, b healthhub.source_records, model integer,
                                        b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS TABLE (comparison text, level text, weight double precision)
    AS 'MODULE_PATHNAME', 'hh_match_weights' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.match_weights(healthhub.source_records, healthhub.source_records, integer,
                                            healthhub.resident_id) IS
    'The weights that sum to match_score: one per comparison, the surname adjustment, the prior, what was held back';

CREATE FUNCTION healthhub.birth_date_level(a date, b date) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_birth_date_level' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.birth_date_level(date, date) IS
    'How two birth dates agree: exact, day_month_swapped, one_part_off, other (missing if either is NULL)';

CREATE FUNCTION healthhub.match_probability(weight double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN 1.0 / (1.0 + pg_catalog.power(2.0::double precision, -weight));

-- yyyymmdd of a date, independent of DateStyle.
CREATE FUNCTION healthhub.ymd(d date) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (pg_catalog.date_part('year', d) * 10000 + pg_catalog.date_part('month', d) * 100
            + pg_catalog.date_part('day', d))::integer;

-- A record's blocking keys and their hashes (src/linkage/block_keys.c).
CREATE FUNCTION healthhub.block_keys(name_pinyin text, name_initials text, name_hanzi text, birth_date date,
                                     sex smallint, region healthhub.region_code, phone text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'hh_block_keys' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION healthhub.block_keys(r healthhub.source_records) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN healthhub.block_keys(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region, r.phone);
COMMENT ON FUNCTION healthhub.block_keys(healthhub.source_records) IS
    'A record''s blocking keys, one per rule that applies ("rule:value")';
CREATE FUNCTION healthhub.block_hashes(name_pinyin text, name_initials text, name_hanzi text, birth_date date,
                                       sex smallint, region healthhub.region_code, phone text, rules text[])
    RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'hh_block_hashes' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION healthhub.block_hashes(r healthhub.source_records, rules text[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN healthhub.block_hashes(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region,
                                  r.phone, rules);
COMMENT ON FUNCTION healthhub.block_hashes(healthhub.source_records, text[]) IS
    'The distinct block_hash() of a record''s keys of the given rules (NULL: every rule)';

-- Remove a record's keys (found by computing them again from the stored row).
CREATE FUNCTION healthhub.forget_block_keys(r healthhub.source_records) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM healthhub.record_block_keys bk
     WHERE bk.block_hash = ANY (healthhub.block_hashes(r, NULL)) AND bk.record_id = r.record_id;
END
$$;

-- Sex codes without raising: 1, 2, NULL for "not known", 0 for not a code.
CREATE FUNCTION healthhub.sex_code(t text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE pg_catalog.lower(pg_catalog.btrim(t))
               WHEN '1' THEN 1 WHEN 'm' THEN 1 WHEN 'male' THEN 1 WHEN '男' THEN 1
               WHEN '2' THEN 2 WHEN 'f' THEN 2 WHEN 'female' THEN 2 WHEN '女' THEN 2
               WHEN '0' THEN NULL WHEN '9' THEN NULL WHEN '' THEN NULL WHEN 'unknown' THEN NULL WHEN '未知' THEN NULL
               ELSE CASE WHEN t IS NULL THEN NULL ELSE 0 END END::smallint;

-- A phone's digits without raising: NULL if empty, '' if not a number
-- (src/linkage/record_fields.c).
CREATE FUNCTION healthhub.phone_digits(t text) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_phone_digits_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.phone_digits(text) IS
    'A phone number''s digits (+86 or 0086 removed), NULL if empty, an empty string if not 7 to 15 digits';

-- Why an identifier's text does not parse, or NULL (never raises).
CREATE FUNCTION healthhub.health_identifier_problem(text) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_problem' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.health_identifier_problem(text) IS
    'The DETAIL health_identifier input would raise for this text, or NULL if it is valid';
CREATE FUNCTION healthhub.name_keys_or_null(name text, OUT hanzi text, OUT pinyin text, OUT initials text,
                                            OUT surname text, OUT given_pinyin text)
    AS 'MODULE_PATHNAME', 'hh_name_keys_or_null' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.name_keys_or_null(text) IS 'name_keys(), or NULL for a name it would refuse';
CREATE FUNCTION healthhub.name_problem(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_name_problem_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.name_problem(text) IS 'Why name_keys() would refuse a name, or NULL';

-- A birth date as extracts write it, or NULL if it is not one (never
-- raises; src/linkage/record_fields.c).
CREATE FUNCTION healthhub.birth_date_or_null(t text) RETURNS date
    AS 'MODULE_PATHNAME', 'hh_birth_date_or_null' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.birth_date_or_null(text) IS
    'A birth date written YYYYMMDD or YYYY-M-D (- / or .), from 1880 on, or NULL if the text is not one';

-- A resident ID number whose birth date contradicts the record's is someone
-- else's (a parent's on a child's record): evidence, never a match.  A sex
-- that contradicts it says the same, unless the birth dates agree exactly:
-- then the sex is a slip of the record's, not of the number.
CREATE FUNCTION healthhub.resident_id_contradicts(id healthhub.resident_id, birth_date date, sex smallint)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN id IS NULL THEN false
                WHEN birth_date IS NULL THEN coalesce(sex <> healthhub.resident_id_sex(id), false)
                WHEN healthhub.birth_date_level(birth_date, healthhub.resident_id_birth_date(id)) = 'exact' THEN false
                WHEN healthhub.birth_date_level(birth_date, healthhub.resident_id_birth_date(id)) = 'other' THEN true
                ELSE coalesce(sex <> healthhub.resident_id_sex(id), false) END;
COMMENT ON FUNCTION healthhub.resident_id_contradicts(healthhub.resident_id, date, smallint) IS
    'Whether a record''s birth date (or, without one, its sex) contradicts the resident ID number it carries';

-- The longest source and local id a record may have: they are the key of
-- its row, and a btree entry holds at most about 2700 bytes.
CREATE FUNCTION healthhub.record_key_problem(source text, local_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN coalesce(btrim(source), '') = '' THEN 'an institution is required'
                WHEN coalesce(btrim(local_id), '') = '' THEN 'a local id is required'
                WHEN pg_catalog.octet_length(btrim(source)) > 200 THEN 'an institution code has at most 200 bytes'
                WHEN pg_catalog.octet_length(btrim(local_id)) > 1000 THEN 'a local id has at most 1000 bytes' END;
COMMENT ON FUNCTION healthhub.record_key_problem(text, text) IS
    'Why a source and local id cannot key a record (missing, or too long), or NULL';

-- The one preparation of a person record, for link_record (which raises
-- the first problem, prepare_record) and link_batch (which reports every
-- one, staged_person_records): the fields as the index keeps them, and for
-- each field why it cannot be used (NULL: no problem; the field is then
-- NULL too).  The source's institutions are looked up by the caller
-- (institutions_named_by: link_batch once per source).  The arguments are
-- the texts as received, by position; the first subquery names them.
-- Blank other identifiers are dropped.
-- (A plain SQL body, which the planner inlines into its caller.)
CREATE FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[])
    RETURNS TABLE (source text, local_id text, institution_key bigint, name text, name_hanzi text, name_pinyin text,
                   name_initials text, surname text, name_given_pinyin text, sex smallint, birth_date date,
                   identifier_text text, resident_id healthhub.resident_id, id_conflict boolean, phone text,
                   region healthhub.region_code, other_identifiers healthhub.health_identifier[],
                   key_problem text, institution_problem text, name_problem text, sex_problem text,
                   birth_date_problem text, phone_problem text, region_problem text, others_problem text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT f.source, f.local_id, f.institutions[1], f.name, f.hanzi, f.pinyin, f.initials, f.surname, f.given_pinyin,
           nullif(f.sex, 0), f.birth_date, f.identifier, f.resident_id,
           healthhub.resident_id_contradicts(f.resident_id, f.birth_date, nullif(f.sex, 0)),
           nullif(f.phone, ''), CASE WHEN f.region_ok THEN f.region::healthhub.region_code END,
           CASE WHEN f.others_problem IS NULL THEN f.others::healthhub.health_identifier[] END,
           healthhub.record_key_problem(f.source, f.local_id),
           CASE WHEN cardinality(f.institutions) > 1 THEN 'names more than one institution (their keys or source_refs)' END,
           CASE WHEN f.name IS NOT NULL AND f.hanzi IS NULL THEN healthhub.name_problem(f.name) END,
           CASE WHEN f.sex = 0 THEN 'Sex is 1 or 2 (GB/T 2261.1), M or F, male or female, 男 or 女; 0 or 9 if not known.' END,
           CASE WHEN f.birth_text IS NOT NULL AND f.birth_date IS NULL
                THEN 'A birth date is written YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) and lies between 1880-01-01 and today.' END,
           CASE WHEN f.phone = '' THEN 'A phone number has 7 to 15 digits, with optional spaces, hyphens, brackets and a +86 prefix.' END,
           CASE WHEN f.region IS NOT NULL AND NOT f.region_ok THEN 'A region is the 6-digit code of a county in healthhub.regions.' END,
           f.others_problem
      -- (each field parsed once: OFFSET 0 keeps the planner from copying
      -- the parsers into every expression that reads their results)
      FROM (SELECT t.*, k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin,
                   CASE WHEN t.parsed_birth_date <= current_date THEN t.parsed_birth_date END AS birth_date,
                   CASE WHEN healthhub.is_valid_resident_id(t.identifier) THEN healthhub.resident_id(t.identifier) END
                       AS resident_id,
                   t.region IN (SELECT g.code::text FROM healthhub.regions g) AS region_ok,
                   (SELECT string_agg(healthhub.health_identifier_problem(x), ' ') FROM unnest(t.others) x) AS others_problem
              FROM (SELECT btrim($1) AS source, btrim($2) AS local_id, $3 AS institutions, nullif(btrim($4), '') AS name,
                           healthhub.sex_code($5) AS sex, nullif(btrim($6), '') AS birth_text,
                           healthhub.birth_date_or_null($6) AS parsed_birth_date, nullif(btrim($7), '') AS identifier,
                           healthhub.phone_digits($8) AS phone, nullif(btrim($9), '') AS region,
                           ARRAY(SELECT btrim(x) FROM unnest($10) x WHERE btrim(x) <> '') AS others
                    OFFSET 0) t
              LEFT JOIN LATERAL healthhub.name_keys_or_null(t.name) k ON true
            OFFSET 0) f;
END;
COMMENT ON FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[]) IS
    'A person record''s fields (source, local id, institutions, name, sex, birth date, identifier, phone, region, other identifiers) as the index keeps them, and why each cannot be used';

-- Validate and key one record (link_record), without writing anything:
-- the first problem raises.
CREATE FUNCTION healthhub.prepare_record(source text, local_id text, name text, sex text, birth_date date,
                                         identifier text, phone text, region text, other_identifiers text[])
    RETURNS healthhub.source_records
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    p record;
    bad record;
BEGIN
    IF array_position(other_identifiers, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'other_identifiers holds a NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('Element %s of the array is NULL.', array_position(other_identifiers, NULL)),
                  HINT = 'Pass only the identifiers the record has: ''{}'' for none.';
    END IF;
    SELECT * INTO p FROM healthhub.person_record_prepared(source, local_id, NULL, name, sex,
                                                          to_char(birth_date, 'YYYY-MM-DD'), identifier, phone, region,
                                                          other_identifiers);
    IF p.key_problem LIKE '%required' THEN
        RAISE EXCEPTION 'a source record needs its source and local id'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('source %L, local_id %L', source, local_id);
    ELSIF p.key_problem IS NOT NULL THEN
        RAISE EXCEPTION 'source or local id too long: %', p.key_problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The source has %s bytes, the local id %s.', octet_length(p.source), octet_length(p.local_id));
    END IF;
    SELECT f.noun, f.value, f.reason INTO bad
      FROM (VALUES (1, 'name', name, p.name_problem), (2, 'sex', sex, p.sex_problem),
                   (3, 'birth date', birth_date::text, p.birth_date_problem), (4, 'phone number', phone, p.phone_problem),
                   (5, 'region', region, p.region_problem),
                   (6, 'other identifiers', array_to_string(other_identifiers, ';'), p.others_problem)) f(n, noun, value, reason)
     WHERE f.reason IS NOT NULL ORDER BY f.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid %: "%"', bad.noun, bad.value
            USING ERRCODE = 'invalid_parameter_value', DETAIL = bad.reason;
    END IF;
    r.source := p.source;
    r.local_id := p.local_id;
    r.institution_key := healthhub.institution_for_source(p.source);
    r.name := p.name;
    r.name_hanzi := p.name_hanzi;
    r.name_pinyin := p.name_pinyin;
    r.name_initials := p.name_initials;
    r.surname := p.surname;
    r.name_given_pinyin := p.name_given_pinyin;
    r.sex := p.sex;
    r.birth_date := p.birth_date;
    r.identifier_text := p.identifier_text;
    r.resident_id := p.resident_id;
    r.id_conflict := p.id_conflict;
    r.phone := p.phone;
    r.region := p.region;
    r.other_identifiers := p.other_identifiers;
    RETURN r;
END
$$;
COMMENT ON FUNCTION healthhub.prepare_record(text, text, text, text, date, text, text, text, text[]) IS
    'Validate a record and derive its keys (resident ID, conflict flag, name keys) without writing anything';

-- The institution a source names: the registry's institution whose
-- source_ref or key it is, NULL if none.  A source_ref two registry feeds
-- both use names no institution for sure: refused, never guessed.
-- Every institution a source names (its key or source_ref), without judging:
-- institution_for_source() refuses several, link_batch reports them.
CREATE FUNCTION healthhub.institutions_named_by(source text) RETURNS bigint[]
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT array_agg(DISTINCT i.institution_key) FROM healthhub.institutions i
     WHERE i.source_ref = btrim(institutions_named_by.source)
        OR i.institution_key = CASE WHEN btrim(institutions_named_by.source) ~ '^[0-9]{1,18}$'
                                    THEN btrim(institutions_named_by.source)::bigint END;
END;

CREATE FUNCTION healthhub.institution_for_source(source text) RETURNS bigint
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
COMMENT ON FUNCTION healthhub.institution_for_source(text) IS
    'The institution a record source names (its key or source_ref), NULL if none; raises if several';

-- Who may act on the records of a source: hub_admin any; an institution's
-- application only its own institution's.  Decided from the source alone,
-- before any record is looked up, so the answer says nothing about which
-- records another institution has.  Returns the source's institution.
CREATE FUNCTION healthhub.linkage_authorise(source text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN healthhub.linkage_authorise_institution(source, healthhub.institution_for_source(source));
END
$$;

-- The same, for a source whose institution the caller has looked up already.
CREATE FUNCTION healthhub.linkage_authorise_institution(source text, institution bigint) RETURNS bigint
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

-- A record of a source the caller may act on (locked with for_update);
-- "no record" alike for one that does not exist and one filed under
-- another institution.
CREATE FUNCTION healthhub.authorised_record(source text, local_id text, linked_only boolean, for_update boolean)
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

-- Whether the caller may tie its record r to person: hub_admin any person;
-- an institution's application its record's own person, the candidate the
-- review queue offers it, or a person holding a record of its institution.
CREATE FUNCTION healthhub.linkage_authorise_person(r healthhub.source_records, person bigint) RETURNS void
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

-- Record a link decision: a row in link_events and an audit trail entry.
CREATE FUNCTION healthhub.log_link_event(action text, source text, local_id text, person bigint, other bigint,
                                         old_state text, new_state text, origin text, score double precision,
                                         model integer, weights jsonb, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO healthhub.link_events (entry_id, action, source, local_id, record_id, person_key, other_person,
                                       old_state, new_state, origin, score, model_version, weights, reason)
    VALUES (healthhub.audit_append('link.' || action, 'person_link',
                                   coalesce(source || '/' || local_id, other::text), person,
                                   'patient identity management', 'ok'),
            action, source, local_id,
            (SELECT s.record_id FROM healthhub.source_records s
              WHERE s.source = log_link_event.source AND s.local_id = log_link_event.local_id),
            person, other, old_state, new_state, origin, score, model, weights, reason);
END
$$;

-- A resident ID number person holds other than the record's own, if any:
-- a record is never linked to a person that holds another valid number
-- (two valid numbers are two people; a mistyped digit fails the check
-- character).  r is a source_records row or a batch's work row like it.
CREATE FUNCTION healthhub.other_number_held(r anyelement, person bigint) RETURNS healthhub.resident_id
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

-- Whether an identifier may link record r to person by itself: no reviewer
-- said they differ, the person holds no other resident ID number than the
-- record's, and, when the model says names must agree, one of the person's
-- records has a name that is not entirely different (a parent's number on a
-- child's record without a birth date to contradict it; an insurance number
-- sent with someone else's name).  One rule for link_record and link_batch.
-- (name_required: for identifiers other than the resident ID number, which
-- families and fraud share, a name that agrees must be there, not merely
-- no name that differs.)
CREATE FUNCTION healthhub.identifier_links(r anyelement, person bigint, names_must_agree boolean,
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

-- The decision for a prepared record; reads only.  Deterministic tier: the
-- resident ID number (unless it contradicts the record), then the other
-- identifiers.  Probabilistic tier: the best-scoring record among those that
-- share a blocking key of the model, scored against its person (the number
-- its person holds stands for its own).  A manual no_match is never crossed.
CREATE FUNCTION healthhub.find_match(r healthhub.source_records, model integer,
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

-- The person's identifiers are those of its records (a conflicting resident
-- ID excepted); one already held by another person stays there.
CREATE FUNCTION healthhub.sync_person_identifiers(person bigint) RETURNS void
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

-- How each golden field is chosen from a person's records: most_frequent
-- (ties: the most recent) unless a row here says most_recent.
CREATE TABLE healthhub.survivorship_rules (
    field           text PRIMARY KEY CHECK (field IN ('resident_id', 'name', 'sex', 'birth_date', 'phone', 'region')),
    rule            text NOT NULL CHECK (rule IN ('most_frequent', 'most_recent'))
);
COMMENT ON TABLE healthhub.survivorship_rules IS
    'How each golden-record field is chosen: most_frequent (the default, ties to the most recent) or most_recent';
SELECT pg_catalog.pg_extension_config_dump('healthhub.survivorship_rules', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.survivorship_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('survivorship_rule', 'field', 'patient identity management');

-- One field of a golden record from a person's records (src/linkage/golden.c):
-- values grouped by key, the most frequent group (ties: the most recent)
-- or with most_recent the most recent one; it shows its latest value.
CREATE FUNCTION healthhub.golden_value_step(internal, key text, value text, at timestamptz, most_recent boolean)
    RETURNS internal AS 'MODULE_PATHNAME', 'hh_golden_value_step' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION healthhub.golden_value_final(internal) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_golden_value_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE healthhub.golden_value(key text, value text, at timestamptz, most_recent boolean) (
    SFUNC = healthhub.golden_value_step, STYPE = internal, FINALFUNC = healthhub.golden_value_final);
COMMENT ON AGGREGATE healthhub.golden_value(text, text, timestamptz, boolean) IS
    'The golden value of a field: the most frequent key (ties: most recent), or the most recent with most_recent';

-- The golden record of each person: the best value of each field over its
-- records.  (Planned for the persons at hand: link_batch asks for hundreds of
-- thousands at once; rebuild_golden_set, which link_record calls for one or
-- two, asks for a generic plan.)
CREATE FUNCTION healthhub.golden_records(persons bigint[])
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
COMMENT ON FUNCTION healthhub.golden_records(bigint[]) IS
    'The golden record of each person, from its records by the survivorship rules';

-- (A generic plan, also for golden_records inside: planning afresh for each
-- link_record call cost more than running the statement.)
CREATE FUNCTION healthhub.rebuild_golden_set(persons bigint[]) RETURNS void
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
COMMENT ON FUNCTION healthhub.rebuild_golden_set(bigint[]) IS
    'Rebuild the golden records of persons from their records by the survivorship rules';

CREATE FUNCTION healthhub.rebuild_golden(person bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.rebuild_golden_set(ARRAY[rebuild_golden.person]);
END
$$;
COMMENT ON FUNCTION healthhub.rebuild_golden(bigint) IS
    'Rebuild a person''s golden record from its records by the survivorship rules';

-- The explanation of a pair under a model: the weights, their sum, the
-- probability.
CREATE FUNCTION healthhub.explain_pair(a healthhub.source_records, b healthhub.source_records, model integer,
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

-- Whether this backend found the person index twice as large as when it
-- last looked, and so invalidated the plans kept for its tables
-- (src/linkage/plan_freshness.c; link_record calls it).
CREATE FUNCTION healthhub.replan_when_grown() RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_replan_when_grown' LANGUAGE C VOLATILE;

-- What link_record locks while it decides: 65,536 buckets of the keys and
-- numbers of records (a collision only makes two unrelated records wait for
-- each other).  Nobody is granted any right on it.
CREATE TABLE healthhub.link_locks (
    bucket          integer PRIMARY KEY CHECK (bucket BETWEEN 0 AND 65535)
);
INSERT INTO healthhub.link_locks SELECT g FROM pg_catalog.generate_series(0, 65535) g;
COMMENT ON TABLE healthhub.link_locks IS
    'Rows link_record locks for the keys of the record it links (a lock only the owner can take)';

-- Link one record, inside the caller's transaction: returns the person, the
-- decision (matched, created, possible_match, unchanged, kept_manual) and
-- the explanation.  Sending the same record again changes nothing; a
-- corrected record is linked again, unless a person decided its link.
CREATE FUNCTION healthhub.link_record(source text, local_id text, name text DEFAULT NULL, sex text DEFAULT NULL,
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
COMMENT ON FUNCTION healthhub.link_record(text, text, text, text, date, text, text, text, text[]) IS
    'Link one record to a person in the caller''s transaction: returns the person, the decision and the explanation';

-- link_record's work once the record is prepared and nothing can link a
-- record of the same person meanwhile (link_record's locks, or link_batch's
-- lock on the whole index).
CREATE FUNCTION healthhub.link_prepared(r healthhub.source_records,
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
