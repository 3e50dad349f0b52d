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
COMMENT ON FUNCTION healthhub.linkage_model() IS
    'The linkage model version in force (the newest; the neutral start is made at first use)';
