\echo Use "ALTER EXTENSION healthhub UPDATE" to load this file. \quit
-- The role a session acts as: the role it SET ROLE to, else its login role.
-- Inside a SECURITY DEFINER function CURRENT_USER is the function's owner;
-- this is still the caller (audit_append records the same role).
CREATE FUNCTION healthhub.acting_role() RETURNS name
    AS 'MODULE_PATHNAME', 'hh_acting_role' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.acting_role() IS
    'The role the session acts as (SET ROLE, else login), also inside SECURITY DEFINER functions';
-- Names as the master person index compares them (docs/linkage.md): the
-- keys of a name (simplified characters without spaces or dots, pinyin with
-- surname readings, initials, the surname) from ICU, and the string
-- comparator the linkage model uses on pinyin.

CREATE FUNCTION healthhub.name_keys(name text, OUT hanzi text, OUT pinyin text, OUT initials text,
                                    OUT surname text, OUT given_pinyin text)
    AS 'MODULE_PATHNAME', 'hh_name_keys_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.name_keys(text) IS
    'Match keys of a name: simplified characters without spaces or dots, pinyin (surname readings), initials, surname, the given name''s pinyin';

CREATE FUNCTION healthhub.jaro_winkler(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_jaro_winkler_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION healthhub.jaro_winkler(text, text) IS
    'Jaro-Winkler similarity (0 to 1) of two strings, character by character (UTF-8 aware)';
-- The master person index (docs/linkage.md): persons, the identifiers that
-- find them, the source records institutions send, and the links between
-- records and persons.

CREATE TABLE healthhub.persons (
    person_key      bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'redirected')),
    redirected_to   bigint REFERENCES healthhub.persons,
    -- the golden record: the best value of each field over the person's
    -- records (healthhub.survivorship_rules), rebuilt after every change
    resident_id     healthhub.resident_id,
    name            text,
    sex             smallint CHECK (sex IN (1, 2)),
    birth_date      date,
    phone           text,
    region          healthhub.region_code,
    deceased        boolean NOT NULL DEFAULT false,
    deceased_on     date,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT persons_redirect CHECK ((state = 'redirected') = (redirected_to IS NOT NULL)),
    CONSTRAINT persons_deceased_on CHECK (deceased OR deceased_on IS NULL)
);
COMMENT ON TABLE healthhub.persons IS
    'Persons of the master person index: key, golden record, deceased flag; a merged person redirects to the survivor';
SELECT pg_catalog.pg_extension_config_dump('healthhub.persons', '');

-- Every identifier finds at most one person; the resident ID number is the
-- main index (one person per number).  Rows point at active persons only:
-- a merge moves them to the survivor.
CREATE TABLE healthhub.person_identifiers (
    resident_id     healthhub.resident_id,
    identifier      healthhub.health_identifier,
    person_key      bigint NOT NULL REFERENCES healthhub.persons,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT person_identifiers_one_kind CHECK (pg_catalog.num_nonnulls(resident_id, identifier) = 1)
);
CREATE UNIQUE INDEX person_identifiers_resident_id ON healthhub.person_identifiers (resident_id)
    INCLUDE (person_key) WHERE resident_id IS NOT NULL;
CREATE UNIQUE INDEX person_identifiers_identifier ON healthhub.person_identifiers (identifier)
    INCLUDE (person_key) WHERE identifier IS NOT NULL;
CREATE INDEX person_identifiers_person ON healthhub.person_identifiers (person_key);
COMMENT ON TABLE healthhub.person_identifiers IS
    'Identifiers of persons: each finds at most one person; the resident ID number is the main index';
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_identifiers', '');

-- What institutions send, keyed by (source, local id): upserted, corrected,
-- withdrawn.  "source" is the institution's code as it sends it; it is the
-- registry's institution when one has that key or source_ref.
CREATE SEQUENCE healthhub.record_seq;
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_seq', '');
CREATE TABLE healthhub.source_records (
    source          text NOT NULL CHECK (source OPERATOR(pg_catalog.<>) ''),
    local_id        text NOT NULL CHECK (local_id OPERATOR(pg_catalog.<>) ''),
    -- a compact handle on the record for the tables that index it by the
    -- million (record_block_keys): 8 bytes instead of two strings
    record_id       bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.record_seq') UNIQUE,
    institution_key bigint REFERENCES healthhub.institutions,
    -- as received (validated)
    name            text,
    sex             smallint CHECK (sex IN (1, 2)),
    birth_date      date,
    identifier_text text,
    phone           text,
    region          healthhub.region_code,
    other_identifiers healthhub.health_identifier[] NOT NULL DEFAULT '{}',
    -- derived by the linker
    resident_id     healthhub.resident_id,      -- identifier_text, 15 digits upgraded to 18
    id_conflict     boolean NOT NULL DEFAULT false,  -- its birth date or sex contradicts the record
    name_hanzi      text,
    name_pinyin     text,
    name_initials   text,
    surname         text,
    name_given_pinyin text,
    -- the current link: the person the record is (its match; the other
    -- decisions about it are in link_decisions), how and by whom it was made
    person_key      bigint REFERENCES healthhub.persons,
    link_origin     text NOT NULL DEFAULT 'auto' CHECK (link_origin IN ('auto', 'manual')),
    link_score      double precision,
    link_model      integer,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- (roles as text, not name: 64 bytes a row is felt in a million-row load)
    linked_by       text NOT NULL DEFAULT healthhub.acting_role(),
    received_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    withdrawn_at    timestamptz,
    PRIMARY KEY (source, local_id),
    CONSTRAINT source_records_linked CHECK ((withdrawn_at IS NULL) = (person_key IS NOT NULL))
);
CREATE INDEX source_records_person ON healthhub.source_records (person_key);
CREATE INDEX source_records_institution ON healthhub.source_records (institution_key);
COMMENT ON TABLE healthhub.source_records IS
    'Records institutions send to the index, keyed by (source, local_id), with their match keys and current person';
SELECT pg_catalog.pg_extension_config_dump('healthhub.source_records', '');

-- Links between records and persons, with their history in link_events.
-- match: the record is this person (one per record: source_records.person_key
-- and its link_ columns, so no second copy of a million rows in a bulk
-- load); possible_match: it may be (the review queue); no_match: it is not
-- (a manual decision that automation never overrides); redirected: it was,
-- until the person was merged into another.  link_decisions holds all but
-- the matches; the view healthhub.links shows all four.
CREATE TABLE healthhub.link_decisions (
    source          text NOT NULL,
    local_id        text NOT NULL,
    person_key      bigint NOT NULL REFERENCES healthhub.persons,
    state           text NOT NULL CHECK (state IN ('possible_match', 'no_match', 'redirected')),
    origin          text NOT NULL CHECK (origin IN ('auto', 'manual')),
    score           double precision,
    model_version   integer,
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (source, local_id, person_key),
    FOREIGN KEY (source, local_id) REFERENCES healthhub.source_records
);
CREATE INDEX link_decisions_person ON healthhub.link_decisions (person_key);
CREATE INDEX link_decisions_review_queue ON healthhub.link_decisions (decided_at) WHERE state = 'possible_match';
COMMENT ON TABLE healthhub.link_decisions IS
    'Record-person decisions other than the match: possible_match (review queue), no_match (never), redirected (merged)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_decisions', '');

-- (security_invoker: whoever reads it sees the records row security lets
-- them see)
CREATE VIEW healthhub.links WITH (security_invoker = true) AS
SELECT s.source, s.local_id, s.person_key, 'match'::text AS state, s.link_origin AS origin, s.link_score AS score,
       s.link_model AS model_version, s.linked_at AS decided_at, s.linked_by AS decided_by
  FROM healthhub.source_records s
 WHERE s.person_key IS NOT NULL
UNION ALL
SELECT d.source, d.local_id, d.person_key, d.state, d.origin, d.score, d.model_version, d.decided_at, d.decided_by
  FROM healthhub.link_decisions d;
COMMENT ON VIEW healthhub.links IS
    'Record-person links: match (one per record), possible_match (review queue), no_match (never), redirected (merged)';

-- Two persons a reviewer has said are different people: never merged again.
CREATE TABLE healthhub.person_separations (
    person_a        bigint NOT NULL REFERENCES healthhub.persons,
    person_b        bigint NOT NULL REFERENCES healthhub.persons,
    reason          text NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_a, person_b),
    CONSTRAINT person_separations_ordered CHECK (person_a < person_b)
);
COMMENT ON TABLE healthhub.person_separations IS 'Pairs of persons never to be merged again';
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_separations', '');

-- Every decision, automatic or manual, with the model version and the
-- per-comparison weights that made it; entry_id is its audit trail entry.
CREATE TABLE healthhub.link_events (
    event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id        bigint NOT NULL,
    at              timestamptz NOT NULL DEFAULT pg_catalog.now(),
    by_role         text NOT NULL DEFAULT healthhub.acting_role(),
    action          text NOT NULL,
    source          text,
    local_id        text,
    record_id       bigint,         -- source_records.record_id (healthhub.record_history())
    person_key      bigint,
    other_person    bigint,
    old_state       text,
    new_state       text,
    origin          text,
    score           double precision,
    model_version   integer,
    weights         jsonb,
    reason          text
);
-- (by record_id, not by (source, local_id): a bulk link adds a million
-- entries, and an index of two strings costs several times more to fill)
CREATE INDEX link_events_record ON healthhub.link_events (record_id);
CREATE INDEX link_events_person ON healthhub.link_events (person_key);
COMMENT ON TABLE healthhub.link_events IS
    'Link history: who, when, why, old and new state, weights and model version; each event is also an audit entry';
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_events', '');
-- (its identity sequence too, or a restored hub would number events from 1 again)
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_events_event_id_seq', '');
-- The linkage model (Fellegi-Sunter): for each comparison and level, m (how
-- often true matches agree at that level) and u (how often non-matches do);
-- a level weighs log2(m/u).  Models are versioned and never change once
-- made: every stored decision names the version that made it, so
-- match_explain() can show the weights that made it.  Version 1 is the
-- neutral start (made at first use); healthhub.train_linkage() estimates the
-- next from the data by EM.

CREATE TABLE healthhub.linkage_models (
    model_version   integer PRIMARY KEY CHECK (model_version >= 1),
    method          text NOT NULL CHECK (method IN ('neutral', 'em')),
    -- P(match) of two records taken at random (the weights' u are too)
    prior           double precision NOT NULL CHECK (prior > 0 AND prior < 1),
    -- a pair at or above match_probability is linked; between the two it is
    -- linked to a new person and queued for review as a possible match
    match_probability    double precision NOT NULL CHECK (match_probability > 0 AND match_probability < 1),
    possible_probability double precision NOT NULL CHECK (possible_probability > 0),
    -- the blocking rules whose keys find candidates (linkage_blocking_rules)
    blocking_rules  text[] NOT NULL,
    -- a pair whose names differ entirely (both known) is held just under
    -- the possible-match threshold, whatever else agrees: twins
    names_must_agree boolean NOT NULL DEFAULT true,
    pairs           bigint,
    iterations      integer,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by      name NOT NULL DEFAULT CURRENT_USER,
    CONSTRAINT linkage_models_thresholds CHECK (possible_probability < match_probability)
);
COMMENT ON TABLE healthhub.linkage_models IS
    'Versions of the linkage model: prior, thresholds, how it was made; never changed once made';
SELECT pg_catalog.pg_extension_config_dump('healthhub.linkage_models', '');

CREATE TABLE healthhub.linkage_weights (
    model_version   integer NOT NULL REFERENCES healthhub.linkage_models,
    comparison      text NOT NULL,
    level           text NOT NULL,
    m               double precision NOT NULL CHECK (m > 0 AND m < 1),
    u               double precision NOT NULL CHECK (u > 0 AND u < 1),
    PRIMARY KEY (model_version, comparison, level)
);
COMMENT ON TABLE healthhub.linkage_weights IS 'm and u of each comparison level, per model version';
SELECT pg_catalog.pg_extension_config_dump('healthhub.linkage_weights', '');

-- How common each surname is: agreeing on 王 says less than agreeing on 尉迟.
CREATE TABLE healthhub.surname_frequencies (
    model_version   integer NOT NULL REFERENCES healthhub.linkage_models,
    surname         text NOT NULL,
    frequency       double precision NOT NULL CHECK (frequency > 0 AND frequency <= 1),
    PRIMARY KEY (model_version, surname)
);
COMMENT ON TABLE healthhub.surname_frequencies IS 'Surname frequencies among the records a model was trained on';
SELECT pg_catalog.pg_extension_config_dump('healthhub.surname_frequencies', '');

CREATE FUNCTION healthhub.linkage_model_frozen() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'linkage models are never changed once made'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = format('%s on healthhub.%s is not allowed.', TG_OP, TG_TABLE_NAME),
              HINT = 'Decisions name the model version that made them; train a new version instead.';
END
$$;
CREATE TRIGGER linkage_models_frozen BEFORE UPDATE OR DELETE ON healthhub.linkage_models
    FOR EACH ROW EXECUTE FUNCTION healthhub.linkage_model_frozen();
CREATE TRIGGER linkage_weights_frozen BEFORE UPDATE OR DELETE ON healthhub.linkage_weights
    FOR EACH ROW EXECUTE FUNCTION healthhub.linkage_model_frozen();
CREATE TRIGGER surname_frequencies_frozen BEFORE UPDATE OR DELETE ON healthhub.surname_frequencies
    FOR EACH ROW EXECUTE FUNCTION healthhub.linkage_model_frozen();

-- The comparisons and their levels, strongest agreement first (the C
-- comparators return the level's position; "missing" weighs nothing).
CREATE VIEW healthhub.linkage_comparisons AS
SELECT c.comparison, c.level_no, c.level
  FROM (VALUES
    ('name', 1, 'hanzi'), ('name', 2, 'pinyin'), ('name', 3, 'pinyin_close'), ('name', 4, 'pinyin_near'),
    ('name', 5, 'other'),
    ('birth_date', 1, 'exact'), ('birth_date', 2, 'day_month_swapped'), ('birth_date', 3, 'one_part_off'),
    ('birth_date', 4, 'other'),
    ('sex', 1, 'same'), ('sex', 2, 'other'),
    ('phone', 1, 'exact'), ('phone', 2, 'last_8'), ('phone', 3, 'other'),
    ('region', 1, 'county'), ('region', 2, 'prefecture'), ('region', 3, 'province'), ('region', 4, 'other'),
    ('identifier', 1, 'exact'), ('identifier', 2, 'one_or_two_apart'), ('identifier', 3, 'other')
  ) c(comparison, level_no, level);
COMMENT ON VIEW healthhub.linkage_comparisons IS 'The comparisons of the linkage model and their levels';

-- Blocking: only records that share a key with the incoming one are
-- compared.  Every record has a key for each rule (record_block_keys); a
-- model version says which rules find its candidates.
CREATE VIEW healthhub.linkage_blocking_rules AS
SELECT r.rule, r.key_form, r.by_default
  FROM (VALUES
    ('pinyin_birth_year', 'pinyin of the name, birth year', true),
    ('initials_birth_date', 'initials of the name, birth date', true),
    ('birth_date_sex_prefecture', 'birth date, sex, prefecture of the address', true),
    ('phone', 'last 8 digits of the phone number', true),
    ('hanzi', 'the name in simplified characters (large blocks for common names)', false)
  ) r(rule, key_form, by_default);
COMMENT ON VIEW healthhub.linkage_blocking_rules IS 'The blocking rules a linkage model may use';

-- The neutral start: agreement likely for matches (m), rare by chance (u,
-- roughly what two people taken at random share: one birth date in 20,000,
-- one name in 10,000).  Training replaces it.
CREATE FUNCTION healthhub.linkage_neutral_weights()
    RETURNS TABLE (comparison text, level text, m double precision, u double precision)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT v.comparison, v.level, v.m, v.u FROM (VALUES
        ('name', 'hanzi', 0.80, 0.0001), ('name', 'pinyin', 0.08, 0.0001),
        ('name', 'pinyin_close', 0.05, 0.001), ('name', 'pinyin_near', 0.03, 0.01),
        ('name', 'other', 0.04, 0.9888),
        ('birth_date', 'exact', 0.90, 0.00005), ('birth_date', 'day_month_swapped', 0.02, 0.00005),
        ('birth_date', 'one_part_off', 0.04, 0.0005), ('birth_date', 'other', 0.04, 0.9994),
        ('sex', 'same', 0.98, 0.5), ('sex', 'other', 0.02, 0.5),
        ('phone', 'exact', 0.70, 0.00001), ('phone', 'last_8', 0.05, 0.00001), ('phone', 'other', 0.25, 0.99998),
        ('region', 'county', 0.70, 0.02), ('region', 'prefecture', 0.15, 0.08),
        ('region', 'province', 0.10, 0.10), ('region', 'other', 0.05, 0.80),
        ('identifier', 'exact', 0.90, 0.000001), ('identifier', 'one_or_two_apart', 0.07, 0.00001),
        ('identifier', 'other', 0.03, 0.999989)) v(comparison, level, m, u);
END;

-- The model in force: the newest version, made neutral at first use.
CREATE FUNCTION healthhub.linkage_model() RETURNS integer
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
    PERFORM pg_advisory_xact_lock(1751476, 3);
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
COMMENT ON FUNCTION healthhub.linkage_model() IS
    'The linkage model version in force (the newest; the neutral start is made at first use)';
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
-- function is planned again on every call.)

-- Comparators and scores, in C (src/linkage/record_compare.c).
CREATE FUNCTION healthhub.comparison_levels(a healthhub.source_records, b healthhub.source_records)
    RETURNS smallint[]
    AS 'MODULE_PATHNAME', 'hh_comparison_levels_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.comparison_levels(healthhub.source_records, healthhub.source_records) IS
    'The level of each comparison of two records (0 missing, 1 strongest agreement), in linkage_comparisons order';
CREATE FUNCTION healthhub.match_score(a healthhub.source_records, b healthhub.source_records, model integer)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_match_score' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.match_score(healthhub.source_records, healthhub.source_records, integer) IS
    'Match weight of two records under a model: prior log-odds plus each comparison''s log2(m/u)';
CREATE FUNCTION healthhub.match_weights(a healthhub.source_records, b healthhub.source_records, model integer)
    RETURNS TABLE (comparison text, level text, weight double precision)
    AS 'MODULE_PATHNAME', 'hh_match_weights' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.match_weights(healthhub.source_records, healthhub.source_records, integer) IS
    'The weights that sum to match_score: one per comparison, the surname adjustment and the prior';

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

-- The same, raising for what is not a sex or a phone number (link_record).
CREATE FUNCTION healthhub.parse_sex(sex text) RETURNS smallint
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    code smallint := healthhub.sex_code(sex);
BEGIN
    IF code = 0 THEN
        RAISE EXCEPTION 'invalid sex: "%"', sex
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Sex is 1 or 2 (GB/T 2261.1), M or F, male or female, 男 or 女; 0 or 9 if not known.';
    END IF;
    RETURN code;
END
$$;

CREATE FUNCTION healthhub.normalise_phone(phone text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    digits text := healthhub.phone_digits(phone);
BEGIN
    IF digits = '' THEN
        RAISE EXCEPTION 'invalid phone number: "%"', phone
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A phone number has 7 to 15 digits, with optional spaces, hyphens, brackets and a +86 prefix.';
    END IF;
    RETURN digits;
END
$$;

-- Validate and key a record, without writing anything.
CREATE FUNCTION healthhub.prepare_record(source text, local_id text, name text, sex text, birth_date date,
                                         identifier text, phone text, region text, other_identifiers text[])
    RETURNS healthhub.source_records
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    k record;
BEGIN
    r.source := btrim(source);
    r.local_id := btrim(local_id);
    IF r.source IS NULL OR r.source = '' OR r.local_id IS NULL OR r.local_id = '' THEN
        RAISE EXCEPTION 'a source record needs its source and local id'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('source %L, local_id %L', source, local_id);
    END IF;
    SELECT i.institution_key INTO r.institution_key FROM healthhub.institutions i
     WHERE i.source_ref = r.source OR i.institution_key::text = r.source
     ORDER BY i.source_ref = r.source DESC LIMIT 1;
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
        -- a number whose birth date or sex contradicts the record is someone
        -- else's (a parent's on a child's record): evidence, never a match
        r.id_conflict := healthhub.birth_date_level(r.birth_date, healthhub.birth_date(r.resident_id)) = 'other'
                         OR r.sex <> healthhub.sex(r.resident_id);
        r.id_conflict := coalesce(r.id_conflict, false);
    ELSE
        r.id_conflict := false;
    END IF;
    r.phone := healthhub.normalise_phone(phone);
    r.region := nullif(btrim(region), '')::healthhub.region_code;
    r.other_identifiers := coalesce(other_identifiers::healthhub.health_identifier[], '{}');
    RETURN r;
END
$$;
COMMENT ON FUNCTION healthhub.prepare_record(text, text, text, text, date, text, text, text, text[]) IS
    'Validate a record and derive its keys (resident ID, conflict flag, name keys) without writing anything';

-- Who may link records: hub_admin any; an institution's application only
-- records whose source is its own institution.
CREATE FUNCTION healthhub.linkage_authorise(r healthhub.source_records) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    who name := healthhub.acting_role();
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = who)
       OR EXISTS (SELECT FROM healthhub.effective_profiles(who) ep WHERE ep.profile = 'hub_admin') THEN
        RETURN;
    END IF;
    IF r.institution_key IS NULL OR r.institution_key IS DISTINCT FROM healthhub.institution_of(who) THEN
        RAISE EXCEPTION 'role % may not link records of source %', who, r.source
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution''s application links the records of its own institution only.',
                  HINT = 'The source must be the institution''s key or source_ref in healthhub.institutions.';
    END IF;
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

-- The decision for a prepared record; reads only.  Deterministic tier: the
-- resident ID number (unless it contradicts the record), then the other
-- identifiers.  Probabilistic tier: the best-scoring record among those that
-- share a blocking key of the model.  A manual no_match is never crossed.
CREATE FUNCTION healthhub.find_match(r healthhub.source_records, model integer,
                                     OUT person_key bigint, OUT decision text, OUT tier text,
                                     OUT score double precision, OUT probability double precision,
                                     OUT matched_source text, OUT matched_local_id text, OUT candidates integer)
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
        -- (unless the names differ entirely: a parent's number on a child's
        -- record that gives no birth date to contradict it)
        SELECT pi.person_key INTO person_key FROM healthhub.person_identifiers pi
         WHERE pi.resident_id OPERATOR(healthhub.=) r.resident_id
           AND NOT EXISTS (SELECT FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
                              AND l.person_key = pi.person_key AND l.state = 'no_match')
           AND (NOT m.names_must_agree
                OR EXISTS (SELECT FROM healthhub.source_records s
                            WHERE s.person_key = pi.person_key AND s.withdrawn_at IS NULL
                              AND (healthhub.comparison_levels(r, s))[1] <> 5));
        IF person_key IS NOT NULL THEN
            decision := 'matched';
            tier := 'resident_id';
            RETURN;
        END IF;
    END IF;
    IF cardinality(r.other_identifiers) > 0 THEN
        SELECT pi.person_key INTO person_key FROM healthhub.person_identifiers pi
         WHERE pi.identifier OPERATOR(healthhub.=) ANY (r.other_identifiers)
           AND NOT EXISTS (SELECT FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
                              AND l.person_key = pi.person_key AND l.state = 'no_match')
         ORDER BY pi.person_key LIMIT 1;
        IF person_key IS NOT NULL THEN
            decision := 'matched';
            tier := 'identifier';
            RETURN;
        END IF;
    END IF;

    keys := healthhub.block_hashes(r, m.blocking_rules);
    SELECT count(*) OVER () AS n, c.person_key, c.source, c.local_id, healthhub.match_score(r, c, model) AS w
      INTO best
      FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk WHERE bk.block_hash = ANY (keys)) b
      JOIN healthhub.source_records c ON c.record_id = b.record_id
     WHERE c.withdrawn_at IS NULL AND NOT (c.source = r.source AND c.local_id = r.local_id)
       AND NOT EXISTS (SELECT FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
                          AND l.person_key = c.person_key AND l.state = 'no_match')
     ORDER BY w DESC, c.person_key LIMIT 1;
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
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT DISTINCT s.resident_id, s.person_key FROM healthhub.source_records s
     WHERE s.person_key = sync_person_identifiers.person AND s.resident_id IS NOT NULL AND NOT s.id_conflict
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
          LEFT JOIN healthhub.source_records s ON s.person_key = p.k
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
     WHERE p.person_key = g.person_key;
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
CREATE FUNCTION healthhub.explain_pair(a healthhub.source_records, b healthhub.source_records, model integer)
    RETURNS jsonb
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'model_version', model,
               'weights', jsonb_agg(jsonb_build_object('comparison', w.comparison, 'level', w.level,
                                                       'weight', round(w.weight::numeric, 3)) ORDER BY w.ord),
               'score', round(sum(w.weight)::numeric, 3),
               'probability', round(healthhub.match_probability(sum(w.weight))::numeric, 6))
      FROM healthhub.match_weights(a, b, model) WITH ORDINALITY w(comparison, level, weight, ord);
END;

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
    r := healthhub.prepare_record(source, local_id, name, sex, birth_date, identifier, phone, region,
                                  other_identifiers);
    PERFORM healthhub.linkage_authorise(r);
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
        explanation := jsonb_build_object('decision', f.decision, 'tier', f.tier, 'model_version', model,
                                          'candidates', f.candidates);
        IF f.matched_source IS NOT NULL THEN
            SELECT * INTO matched FROM healthhub.source_records s
             WHERE s.source = f.matched_source AND s.local_id = f.matched_local_id;
            explanation := explanation || jsonb_build_object(
                'compared_with', jsonb_build_object('source', f.matched_source, 'local_id', f.matched_local_id,
                                                    'person_key', matched.person_key))
                || healthhub.explain_pair(r, matched, model);
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
        f.score, model, explanation->'weights', decision);
END
$$;
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
    SELECT * INTO r FROM healthhub.source_records s
     WHERE s.source = link_manually.source AND s.local_id = link_manually.local_id FOR UPDATE;
    IF r.source IS NULL OR r.withdrawn_at IS NOT NULL THEN
        RAISE EXCEPTION 'no linked record %/%', source, local_id
            USING ERRCODE = 'no_data_found', HINT = 'Link it with healthhub.link_record() first.';
    END IF;
    PERFORM healthhub.linkage_authorise(r);
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
    SELECT * INTO r FROM healthhub.source_records s
     WHERE s.source = unlink_manually.source AND s.local_id = unlink_manually.local_id FOR UPDATE;
    IF r.source IS NULL THEN
        RAISE EXCEPTION 'no record %/%', source, local_id USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM healthhub.linkage_authorise(r);
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

CREATE FUNCTION healthhub.linkage_authorise_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    who name := healthhub.acting_role();
BEGIN
    IF NOT ((SELECT rolsuper FROM pg_roles WHERE rolname = who)
            OR EXISTS (SELECT FROM healthhub.effective_profiles(who) ep WHERE ep.profile = 'hub_admin')) THEN
        RAISE EXCEPTION 'role % may not merge persons', who
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Merging and unmerging persons is for hub_admin.';
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
    SELECT * INTO r FROM healthhub.source_records s
     WHERE s.source = withdraw_record.source AND s.local_id = withdraw_record.local_id FOR UPDATE;
    IF r.source IS NULL OR r.withdrawn_at IS NOT NULL THEN
        RAISE EXCEPTION 'no linked record %/%', source, local_id USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM healthhub.linkage_authorise(r);
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
    IF NOT has_table_privilege(healthhub.acting_role(), 'healthhub.link_events', 'SELECT') THEN
        RAISE EXCEPTION 'role % may not read the link history', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The link history is for hub_admin and auditor profiles.';
    END IF;
    PERFORM healthhub.audit_append('read', 'person_link_history', source || '/' || local_id, NULL,
                                   'patient identity management', 'ok');
    RETURN QUERY
    SELECT e.* FROM healthhub.link_events e
     WHERE e.record_id = (SELECT s.record_id FROM healthhub.source_records s
                           WHERE s.source = record_history.source AND s.local_id = record_history.local_id)
     ORDER BY e.event_id;
END
$$;
COMMENT ON FUNCTION healthhub.record_history(text, text) IS
    'The link history of one record (link_events), oldest first';

-- The person a key stands for now: itself, or the survivor it was merged into.
CREATE FUNCTION healthhub.current_person(person bigint) RETURNS bigint
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    WITH RECURSIVE chain(k, next, depth) AS (
        SELECT p.person_key, p.redirected_to, 0 FROM healthhub.persons p WHERE p.person_key = current_person.person
        UNION ALL
        SELECT p.person_key, p.redirected_to, c.depth + 1 FROM chain c
          JOIN healthhub.persons p ON p.person_key = c.next WHERE c.depth < 100)
    SELECT c.k FROM chain c WHERE c.next IS NULL;
END;

-- match_explain(a, b): the weights that sum to the score of two records,
-- under the model version that made a's stored decision (or the model given).
CREATE FUNCTION healthhub.match_explain(a_source text, a_local_id text, b_source text, b_local_id text,
                                        model integer DEFAULT NULL)
    RETURNS TABLE (comparison text, level text, weight double precision, model_version integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a healthhub.source_records;
    b healthhub.source_records;
    v integer := model;
BEGIN
    SELECT * INTO a FROM healthhub.source_records s WHERE s.source = a_source AND s.local_id = a_local_id;
    SELECT * INTO b FROM healthhub.source_records s WHERE s.source = b_source AND s.local_id = b_local_id;
    IF a.source IS NULL OR b.source IS NULL THEN
        RAISE EXCEPTION 'no record %/%', CASE WHEN a.source IS NULL THEN a_source ELSE b_source END,
                                         CASE WHEN a.source IS NULL THEN a_local_id ELSE b_local_id END
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM healthhub.linkage_authorise(a);
    IF v IS NULL THEN
        SELECT l.model_version INTO v FROM healthhub.links l
         WHERE l.source = a.source AND l.local_id = a.local_id AND l.model_version IS NOT NULL
         ORDER BY l.state = 'match' DESC, l.decided_at DESC LIMIT 1;
        v := coalesce(v, healthhub.linkage_model());
    END IF;
    RETURN QUERY SELECT w.comparison, w.level, w.weight, v FROM healthhub.match_weights(a, b, v) w;
END
$$;
COMMENT ON FUNCTION healthhub.match_explain(text, text, text, text, integer) IS
    'The per-comparison weights that sum to the score of two records, under the model of the stored decision';
-- The person an identifier finds (C, src/linkage/resolve.c): one probe of a
-- unique index of healthhub.person_identifiers.  A key held by an app that
-- was merged meanwhile: healthhub.current_person(key).
CREATE FUNCTION healthhub.resolve(identifier healthhub.resident_id) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_resolve_resident_id' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resolve(identifier healthhub.health_identifier) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_resolve_identifier' LANGUAGE C STABLE STRICT PARALLEL SAFE;
-- Text as received: a resident ID number (15 or 18 digits) or kind:issuer:value.
-- A plain expression, so the planner inlines it into the calling query.
CREATE FUNCTION healthhub.resolve(identifier text) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN healthhub.is_valid_resident_id(identifier)
                THEN healthhub.resolve(healthhub.resident_id(identifier))
                ELSE healthhub.resolve(identifier::healthhub.health_identifier) END;
COMMENT ON FUNCTION healthhub.resolve(healthhub.resident_id) IS 'The person a resident ID number finds, or NULL';
COMMENT ON FUNCTION healthhub.resolve(healthhub.health_identifier) IS 'The person an identifier finds, or NULL';
COMMENT ON FUNCTION healthhub.resolve(text) IS
    'The person an identifier written as text finds (a resident ID number or kind:issuer:value), or NULL';
-- Linking records in bulk (docs/linkage.md): COPY an extract into
-- healthhub.stage_person_records, then healthhub.link_batch(source,
-- file_digest).  Set-based phases, each reported as it ends (NOTICE) and in
-- the summary: validate and key, deterministic groups, blocking, scoring,
-- clustering, writing.  Every bad row is reported in healthhub.load_errors
-- with its line, column and reason; the good ones are linked.  A batch is
-- keyed on (source, file digest) in healthhub.loads: the same file again
-- changes nothing.

CREATE TABLE healthhub.stage_person_records (
    line_no         bigint GENERATED BY DEFAULT AS IDENTITY,
    institution     text,       -- the institution's key or source_ref, or its own code
    local_id        text,       -- the record's id at that institution
    name            text,
    sex             text,       -- 1/2, M/F, male/female, 男/女; 0, 9 or empty: not known
    birth_date      text,       -- YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD
    identifier      text,       -- the ID number as received (15 or 18 characters, any width)
    phone           text,
    address_region  text,       -- the 6-digit county code of the address
    other_identifiers text      -- kind:issuer:value, several separated by ';'
);
COMMENT ON TABLE healthhub.stage_person_records IS
    'Staging for healthhub.link_batch(): COPY an institution''s person extract here (all text)';

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

-- match_score over rows of the batch's work table (same columns as
-- source_records; the C function reads them by name).
CREATE FUNCTION healthhub.batch_match_score(a record, b record, model integer) RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_match_score' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.batch_comparison_levels(a record, b record) RETURNS smallint[]
    AS 'MODULE_PATHNAME', 'hh_comparison_levels_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.block_pairs(max_block integer) RETURNS TABLE (a integer, b integer)
    AS 'MODULE_PATHNAME', 'hh_block_pairs' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION healthhub.link_clusters(match_weight double precision)
    RETURNS TABLE (node integer, cluster integer)
    AS 'MODULE_PATHNAME', 'hh_link_clusters' LANGUAGE C VOLATILE STRICT;

-- Blocks larger than this are not compared within (a key shared by so many
-- records says little; their pairs are counted as lost to blocking).
CREATE FUNCTION healthhub.batch_block_limit() RETURNS integer
    LANGUAGE sql IMMUTABLE RETURN 50;

CREATE FUNCTION healthhub.link_batch(source text, file_digest text)
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
    IF EXISTS (SELECT FROM healthhub.loads l WHERE l.source = link_batch.source AND l.file_digest = link_batch.file_digest) THEN
        RAISE NOTICE 'batch (%, %) was linked before: nothing to do', source, file_digest;
        RETURN QUERY SELECT 'already linked'::text, 0::numeric, 0::bigint;
        RETURN;
    END IF;
    INSERT INTO healthhub.loads (source, file_digest, mode) VALUES (source, file_digest, 'delta')
    RETURNING load_id INTO lid;
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    match_weight := log(2.0, (m.match_probability / (1 - m.match_probability))::numeric)::double precision;
    possible_weight := log(2.0, (m.possible_probability / (1 - m.possible_probability))::numeric)::double precision;

    -- 1. validate and key ------------------------------------------------
    CREATE TEMP TABLE batch_in ON COMMIT DROP AS
    SELECT s.line_no, btrim(s.institution) AS source, btrim(s.local_id) AS local_id,
           nullif(btrim(s.name), '') AS name, k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin,
           s.sex AS sex_text, healthhub.sex_code(s.sex) AS sex,
           nullif(btrim(s.birth_date), '') AS birth_text, healthhub.birth_date_or_null(s.birth_date) AS birth_date,
           nullif(btrim(s.identifier), '') AS identifier, nullif(btrim(s.phone), '') AS phone_text,
           healthhub.phone_digits(s.phone) AS phone, nullif(btrim(s.address_region), '') AS region_text,
           btrim(s.address_region) IN (SELECT rg.code::text FROM healthhub.regions rg) AS region_ok,
           ARRAY(SELECT btrim(x) FROM unnest(string_to_array(s.other_identifiers, ';')) x WHERE btrim(x) <> '') AS others
      FROM healthhub.stage_person_records s
      LEFT JOIN LATERAL healthhub.name_keys_or_null(nullif(btrim(s.name), '')) k ON true;
    ANALYZE batch_in;
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, e.col, e.val, e.reason
      FROM batch_in b
     CROSS JOIN LATERAL (VALUES
        ('institution', b.source, CASE WHEN coalesce(b.source, '') = '' THEN 'an institution is required' END),
        ('local_id', b.local_id, CASE WHEN coalesce(b.local_id, '') = '' THEN 'a local id is required' END),
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
     WHERE (coalesce(b.source, '') = '' OR coalesce(b.local_id, '') = '' OR (b.name IS NOT NULL AND b.hanzi IS NULL)
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
           src.institution_key,
           b.name, b.sex, b.birth_date, b.identifier AS identifier_text, b.phone,
           b.region_text::healthhub.region_code AS region,
           b.others::healthhub.health_identifier[] AS other_identifiers,
           rid.resident_id,
           -- the number's birth date and sex against the record's: a
           -- contradiction (a parent's number) is evidence, never a match
           coalesce(healthhub.birth_date_level(b.birth_date, healthhub.birth_date(rid.resident_id)) = 'other'
                    OR b.sex <> healthhub.sex(rid.resident_id), false) AS id_conflict,
           b.hanzi AS name_hanzi, b.pinyin AS name_pinyin, b.initials AS name_initials, b.surname,
           b.given_pinyin AS name_given_pinyin
      FROM batch_in b
      CROSS JOIN LATERAL (SELECT CASE WHEN healthhub.is_valid_resident_id(b.identifier)
                                      THEN healthhub.resident_id(b.identifier) END AS resident_id) rid
      LEFT JOIN (SELECT DISTINCT ON (d.source) d.source, i.institution_key
                   FROM (SELECT DISTINCT bi.source FROM batch_in bi) d
                   JOIN healthhub.institutions i ON i.source_ref = d.source OR i.institution_key::text = d.source
                  ORDER BY d.source, i.source_ref = d.source DESC) src ON src.source = b.source
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
    INSERT INTO batch_nodes
    SELECT last_node + row_number() OVER ()::integer, NULL, s.person_key, s.record_id
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
    SELECT g.first, x.node, 'Infinity'::double precision
      FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) x
      JOIN (SELECT ident, min(node) AS first FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) y
             GROUP BY ident HAVING count(*) > 1) g ON g.ident OPERATOR(healthhub.=) x.ident
     WHERE x.node <> g.first;
    -- and records whose number or identifier is already a person's join it
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM batch_records r JOIN healthhub.person_identifiers pi
        ON pi.resident_id OPERATOR(healthhub.=) r.resident_id
     WHERE bn.node = r.node AND NOT r.id_conflict;
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) r
      JOIN healthhub.person_identifiers pi ON pi.identifier OPERATOR(healthhub.=) r.ident
     WHERE bn.node = r.node AND bn.person_key IS NULL;
    ANALYZE batch_edges, batch_nodes;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'scoring', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: scored % pairs in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 4. clustering -------------------------------------------------------
    CREATE TEMP TABLE batch_clusters ON COMMIT DROP AS
    SELECT c.node, c.cluster FROM healthhub.link_clusters(match_weight) c;
    -- (new persons numbered in the order of their first record: the same
    -- file gives the same keys whatever plan the aggregate gets)
    CREATE TEMP TABLE batch_persons ON COMMIT DROP AS
    SELECT g.cluster, coalesce(g.existing, hub * 10000000000 + nextval('healthhub.key_seq')) AS person_key,
           g.existing IS NULL AS created
      FROM (SELECT c.cluster, max(bn.person_key) AS existing
              FROM batch_clusters c JOIN batch_nodes bn ON bn.node = c.node
             GROUP BY c.cluster ORDER BY c.cluster) g;
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
COMMENT ON FUNCTION healthhub.link_batch(text, text) IS
    'Link every record staged in healthhub.stage_person_records; returns the time and rows of each phase';
-- Training the linkage model from the data (docs/linkage.md), as Splink
-- does: u, the chance two different people agree at a level, from random
-- pairs of records; m, the chance the same person's records do, and the
-- prior, by expectation-maximisation over the pairs blocking proposes,
-- starting from the model in force (the neutral start the first time).
-- The result is a new model version; nothing already decided changes.

CREATE FUNCTION healthhub.train_linkage(max_pairs integer DEFAULT 1000000, random_pairs integer DEFAULT 200000,
                                        iterations integer DEFAULT 25, blocking_rules text[] DEFAULT NULL,
                                        match_probability double precision DEFAULT NULL,
                                        possible_probability double precision DEFAULT NULL)
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
    SELECT * INTO base FROM healthhub.linkage_models lm WHERE lm.model_version = healthhub.linkage_model();
    rules := coalesce(blocking_rules, base.blocking_rules);
    IF EXISTS (SELECT FROM unnest(rules) r WHERE r NOT IN (SELECT b.rule FROM healthhub.linkage_blocking_rules b))
       OR cardinality(rules) = 0 THEN
        RAISE EXCEPTION 'unknown blocking rule in %', rules
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The rules are listed in healthhub.linkage_blocking_rules.';
    END IF;
    SELECT count(*) INTO n_records FROM healthhub.source_records s WHERE s.withdrawn_at IS NULL;
    IF n_records < 100 THEN
        RAISE EXCEPTION 'too few records to train on: %', n_records
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = 'Training needs at least 100 linked records.';
    END IF;
    PERFORM setseed(0.4242);

    -- the records, numbered, with their keys under the rules being trained
    CREATE TEMP TABLE train_records ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY s.source, s.local_id)::integer AS node, s.*
      FROM healthhub.source_records s WHERE s.withdrawn_at IS NULL;
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
      FROM healthhub.source_records s WHERE s.withdrawn_at IS NULL AND s.surname IS NOT NULL
     GROUP BY s.surname;
    IF rules IS DISTINCT FROM base.blocking_rules THEN
        PERFORM healthhub.rebuild_block_keys();
    END IF;
    PERFORM healthhub.audit_append('linkage.train', 'linkage_model', v::text, NULL, 'patient identity management', 'ok');
    RETURN v;
END
$$;
COMMENT ON FUNCTION healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision) IS
    'Estimate a new linkage model version from the records: u from random pairs, m and the prior by EM';

-- Recompute every record's blocking keys for the rules of the model in force.
CREATE FUNCTION healthhub.rebuild_block_keys() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rules text[];
    n bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    SELECT lm.blocking_rules INTO rules FROM healthhub.linkage_models lm
     WHERE lm.model_version = healthhub.linkage_model();
    TRUNCATE healthhub.record_block_keys;
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT h, s.record_id
      FROM healthhub.source_records s, unnest(healthhub.block_hashes(s, rules)) h
     WHERE s.withdrawn_at IS NULL
     ORDER BY 1, 2;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.rebuild_block_keys() IS
    'Recompute the blocking keys of every record for the rules of the linkage model in force';
-- Who may do what in the master person index (docs/security.md).  Linking
-- functions run as their owner and check the caller themselves: hub_admin
-- anything, an institution's application its own records only.

ALTER TABLE healthhub.source_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY source_records_read ON healthhub.source_records FOR SELECT
    USING ((SELECT healthhub.has_profile('hub_admin'))
           OR institution_key = (SELECT healthhub.acting_institution()));

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'healthhub.linkage_model()', 'healthhub.prepare_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.linkage_authorise(healthhub.source_records)', 'healthhub.linkage_authorise_admin()',
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
        'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision)',
        'healthhub.rebuild_block_keys()', 'healthhub.link_clusters(double precision)', 'healthhub.block_pairs(integer)',
        'healthhub.batch_match_score(record, record, integer)', 'healthhub.batch_comparison_levels(record, record)', 'healthhub.forget_block_keys(healthhub.source_records)',
        'healthhub.rebuild_golden(bigint)', 'healthhub.rebuild_golden_set(bigint[])',
        'healthhub.golden_records(bigint[])']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician', 'pharmacist', 'insurer']) pr,
       unnest(ARRAY['healthhub.resolve(healthhub.resident_id)', 'healthhub.resolve(healthhub.health_identifier)',
                    'healthhub.resolve(text)', 'healthhub.current_person(bigint)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app']) pr,
       unnest(ARRAY['healthhub.link_record(text, text, text, text, date, text, text, text, text[])',
                    'healthhub.link_manually(text, text, bigint, text)',
                    'healthhub.unlink_manually(text, text, bigint, text)',
                    'healthhub.withdraw_record(text, text, text)',
                    'healthhub.match_explain(text, text, text, text, integer)']) f
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.review_possible_match(text, text, bigint, boolean, text)',
                    'healthhub.merge_persons(bigint, bigint, text)', 'healthhub.unmerge_person(bigint, text)',
                    'healthhub.record_death(bigint, date, text)', 'healthhub.linkage_model()',
                    'healthhub.link_batch(text, text)',
                    'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision)',
                    'healthhub.rebuild_block_keys()']) f
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.persons', 'healthhub.person_identifiers', 'healthhub.links', 'healthhub.link_decisions',
                    'healthhub.link_events', 'healthhub.person_separations', 'healthhub.review_queue',
                    'healthhub.linkage_models', 'healthhub.linkage_weights', 'healthhub.surname_frequencies']) t
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.survivorship_rules', 'healthhub.stage_person_records']) t
UNION ALL
SELECT pr, 'table', 'healthhub.source_records', 'SELECT' FROM unnest(ARRAY['hub_admin', 'institution_app']) pr
UNION ALL
SELECT 'auditor', 'table', 'healthhub.link_events', 'SELECT'
UNION ALL
SELECT pr, 'function', 'healthhub.record_history(text, text)', 'EXECUTE' FROM unnest(ARRAY['hub_admin', 'auditor']) pr;

-- Roles that already hold a profile (an upgrade) get what it now includes.
SELECT healthhub.apply_profile_privileges(rp.role_name, rp.profile, true) FROM healthhub.role_profiles rp;
