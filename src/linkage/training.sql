-- Training the linkage model from the data (docs/linkage.md), as Splink
-- does: u, the chance two different people agree at a level, from random
-- pairs of records; m, the chance the same person's records do, and the
-- prior, by expectation-maximisation over the pairs blocking proposes,
-- starting from the model in force (the neutral start the first time).
-- The result is a new model version; nothing already decided changes.
-- It learns from the records in the index, or (staged) from an extract
-- staged for link_batch() before it is linked: train on the extract, then
-- link it whole with the model it taught.

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
        SELECT row_number() OVER (ORDER BY s.line_no)::integer AS node, s.name_hanzi, s.name_pinyin,
               s.name_initials, s.surname, s.name_given_pinyin, s.birth_date, s.sex, s.phone, s.region,
               s.identifier_text, s.resident_id, s.id_conflict
          FROM healthhub.staged_person_records() s
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
COMMENT ON FUNCTION healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean) IS
    'Estimate a new linkage model version from the records (or the staged extract): u from random pairs, m and the prior by EM';

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

-- Make every record's name keys anew with this server's ICU, and then the
-- blocking keys (after an ICU upgrade: docs/install.md).  Records keep their
-- persons; returns how many records' keys changed.
CREATE FUNCTION healthhub.rebuild_name_keys() RETURNS bigint
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
COMMENT ON FUNCTION healthhub.rebuild_name_keys() IS
    'Make every record''s name and blocking keys anew with this server''s ICU (after an ICU upgrade)';
