-- Robustness of the linkage internals (the 2026-12 reliability review, 1-6,
-- and code review C3, C4): mistyped rows and work tables are refused with a
-- clean error instead of a crash or a wrong answer, a model version that was
-- rolled back is not scored with, blocking keys are valid text, and two SQL
-- helpers word their errors.  Run as superuser, as the review's cases are.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- SQLSTATE, message and detail of a statement that should fail
CREATE FUNCTION pg_temp.refused(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || CASE WHEN detail <> '' THEN ' / ' || detail ELSE '' END;
END
$$;
SELECT linkage_model() AS model \gset

-- 1. A record to compare whose columns have the right names and the wrong
--    types: refused (these crashed the server)
SELECT batch_comparison_levels(x, x) FROM (SELECT 1 AS name_pinyin) x;
SELECT batch_match_score(x, x, :model) FROM (SELECT 1.5::float8 AS phone) x;
SELECT pg_temp.refused(q) FROM (VALUES
    ('SELECT healthhub.batch_comparison_levels(x, x) FROM (SELECT 1 AS name_hanzi) x'),
    ('SELECT healthhub.batch_comparison_levels(x, x) FROM (SELECT 5::bigint AS id_conflict, ''x''::text AS identifier_text) x'),
    ('SELECT healthhub.batch_comparison_levels(x, x) FROM (SELECT ''1980-01-01''::text AS birth_date) x'),
    ('SELECT healthhub.batch_comparison_levels(x, x) FROM (SELECT 1 AS sex) x'),
    ('SELECT healthhub.batch_comparison_levels(x, x) FROM (SELECT 440305 AS region) x'),
    ('SELECT healthhub.batch_comparison_levels(x, x) FROM (SELECT 110105198005060010 AS resident_id) x'),
    ('SELECT healthhub.batch_match_score(x, y, ' || :model || ') FROM (SELECT ''x''::text AS phone) x, (SELECT 1 AS phone) y'),
    ('SELECT healthhub.batch_match_score(x, x, ' || :model || ') FROM (SELECT ''{1}''::text[] AS surname) x')
  ) t(q);
-- rightly typed columns (varchar and domains read as their base type) still
-- compare, and a row may have any number of other columns
CREATE DOMAIN pg_temp.phone_text AS text;
SELECT batch_comparison_levels(x, y)
  FROM (SELECT '13800138000'::varchar AS phone, '1980-05-06'::date AS birth_date, 1::smallint AS sex,
               '110105'::region_code AS region, '110105198005060010'::resident_id AS resident_id, false AS id_conflict) x,
       (SELECT '13800138000'::pg_temp.phone_text AS phone, '1980-05-06'::date AS birth_date, 2::smallint AS sex,
               '110106'::region_code AS region, NULL::resident_id AS resident_id, '110105198005060010' AS identifier_text) y;
DO $$ BEGIN
    EXECUTE (SELECT 'CREATE TEMP TABLE wide AS SELECT ' || string_agg(format('%s AS c%s', g, g), ', ')
                    || ', ''13800138000''::text AS phone' FROM generate_series(1, 100) g);
END $$;
SELECT batch_comparison_levels(w, w) AS wide_row FROM wide w;

-- 2. The model cache follows the model's row: a version rolled back and
--    made again with other weights is scored with the new weights
CREATE TEMP TABLE pair AS
SELECT jsonb_populate_record(NULL::source_records, '{"phone": "13800138000"}') AS a,
       jsonb_populate_record(NULL::source_records, '{"phone": "13800138000"}') AS b;
BEGIN;
INSERT INTO linkage_models (model_version, method, prior, match_probability, possible_probability, blocking_rules)
VALUES (9001, 'em', 0.5, 0.9, 0.5, '{phone}');
INSERT INTO linkage_weights VALUES (9001, 'phone', 'exact', 0.5, 0.25);    -- log2(2)
SELECT match_score(a, b, 9001) AS rolled_back_model FROM pair;
ROLLBACK;
SELECT pg_temp.refused('SELECT healthhub.match_score(a, b, 9001) FROM pair') AS gone;
BEGIN;
INSERT INTO linkage_models (model_version, method, prior, match_probability, possible_probability, blocking_rules)
VALUES (9001, 'em', 0.5, 0.9, 0.5, '{phone}');
INSERT INTO linkage_weights VALUES (9001, 'phone', 'exact', 0.8, 0.1);     -- log2(8)
SELECT match_score(a, b, 9001) AS new_model FROM pair;
SELECT comparison, level, weight FROM match_weights((SELECT a FROM pair), (SELECT b FROM pair), 9001)
 WHERE comparison = 'phone';
-- and so in a savepoint rolled back
SAVEPOINT s;
INSERT INTO linkage_models (model_version, method, prior, match_probability, possible_probability, blocking_rules)
VALUES (9002, 'em', 0.5, 0.9, 0.5, '{phone}');
INSERT INTO linkage_weights VALUES (9002, 'phone', 'exact', 0.5, 0.25);
SELECT match_score(a, b, 9002) AS in_savepoint FROM pair;
ROLLBACK TO SAVEPOINT s;
INSERT INTO linkage_models (model_version, method, prior, match_probability, possible_probability, blocking_rules)
VALUES (9002, 'em', 0.5, 0.9, 0.5, '{phone}');
INSERT INTO linkage_weights VALUES (9002, 'phone', 'exact', 0.64, 0.01);   -- log2(64)
SELECT match_score(a, b, 9002) AS after_savepoint FROM pair;
ROLLBACK;
SELECT count(*) AS models_left FROM linkage_models WHERE model_version > 9000;

-- 3. link_clusters and block_pairs check the work tables link_batch makes
BEGIN;
CREATE TEMP TABLE batch_nodes (node int, resident_id bigint, person_key bigint);
INSERT INTO batch_nodes VALUES (2147483647, 1, 1);
CREATE TEMP TABLE batch_edges (a int, b int, weight float8);
SELECT pg_temp.refused('SELECT count(*) FROM healthhub.link_clusters(0)');
ROLLBACK;
BEGIN;
CREATE TEMP TABLE batch_nodes (node int, resident_id bigint, person_key bigint);
INSERT INTO batch_nodes VALUES (-5, 1, 1);
CREATE TEMP TABLE batch_edges (a int, b int, weight float8);
SELECT pg_temp.refused('SELECT count(*) FROM healthhub.link_clusters(0)');
ROLLBACK;
BEGIN;
CREATE TEMP TABLE batch_nodes (node int, resident_id text, person_key text);
INSERT INTO batch_nodes VALUES (3, 'x', 'y'), (1, 'a', 'b'), (2, NULL, NULL);
CREATE TEMP TABLE batch_edges (a text, b text, weight text);
INSERT INTO batch_edges VALUES ('1', '2', '9');
SELECT pg_temp.refused('SELECT * FROM healthhub.link_clusters(0)');
ROLLBACK;
BEGIN;
CREATE TEMP TABLE batch_nodes (node bigint, resident_id bigint, person_key bigint);
INSERT INTO batch_nodes VALUES (1, NULL, NULL), (2, NULL, NULL);
CREATE TEMP TABLE batch_edges (a int, b int, weight float8);
SELECT pg_temp.refused('SELECT * FROM healthhub.link_clusters(0)');
ROLLBACK;
BEGIN;
CREATE TEMP TABLE batch_nodes (node int, resident_id bigint, person_key bigint);
INSERT INTO batch_nodes VALUES (1, NULL, NULL), (2, NULL, NULL);
CREATE TEMP TABLE batch_edges (a int, b int, weight real);
SELECT pg_temp.refused('SELECT * FROM healthhub.link_clusters(0)');
ROLLBACK;
-- the right shapes: nodes 1 and 2 join; an edge without a weight is no evidence
BEGIN;
CREATE TEMP TABLE batch_nodes (node int, resident_id bigint, person_key bigint, record_id bigint);
INSERT INTO batch_nodes VALUES (1, NULL, NULL, NULL), (2, NULL, NULL, NULL), (3, NULL, NULL, NULL);
CREATE TEMP TABLE batch_edges (a int, b int, weight float8);
INSERT INTO batch_edges VALUES (1, 2, 9), (2, 3, NULL), (1, 3, 'NaN');
SELECT * FROM link_clusters(0) ORDER BY node;
ROLLBACK;
BEGIN;
CREATE TEMP TABLE batch_keys (block_hash text, node int);
INSERT INTO batch_keys VALUES ('7', 1), ('7', 2);
SELECT pg_temp.refused('SELECT * FROM healthhub.block_pairs(10)');
ROLLBACK;
BEGIN;
CREATE TEMP TABLE batch_keys (block_hash bigint, node bigint);
INSERT INTO batch_keys VALUES (7, 1), (7, 2);
SELECT pg_temp.refused('SELECT * FROM healthhub.block_pairs(10)');
ROLLBACK;
BEGIN;
CREATE TEMP TABLE batch_keys (block_hash bigint, node int);
INSERT INTO batch_keys VALUES (7, 1), (7, 2), (7, 3), (8, 3), (8, 1);
SELECT * FROM block_pairs(10) ORDER BY a, b;
ROLLBACK;

-- 4. Blocking keys are valid UTF-8 whatever the phone holds: the phone key
--    is made of its digits (none here: no phone key)
SELECT k, convert_to(k, 'UTF8') IS NOT NULL AS valid_utf8
  FROM unnest(block_keys('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '电话一二三四')) k;
SELECT k FROM unnest(block_keys(NULL, NULL, NULL, NULL, NULL, NULL, repeat('張', 1000) || '13800138000')) k;
SELECT k FROM unnest(block_keys(NULL, NULL, NULL, NULL, NULL, NULL, '138-0013-8000')) k;
-- the keys of a record as link_batch stores them are those of before
SELECT block_keys('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000');
SELECT block_keys('zhang san', 'zs', '张三', NULL, 2::smallint, '440305', '1234567');
SELECT block_hashes('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000', NULL);
-- and without a birth date there are no birth date keys
SELECT block_keys('li si', 'ls', '李四', NULL, 1::smallint, '440305', NULL);

-- 5. load_problem of a type it does not know
SELECT load_problem('x', 'text');
SELECT pg_temp.refused($$SELECT healthhub.load_problem('x', 'text')$$)
UNION ALL
SELECT pg_temp.refused($$SELECT healthhub.load_problem('x', NULL)$$);
SELECT load_problem('x', 'region_code') IS NOT NULL AS region_problem, load_problem('440305', 'region_code') AS none;

-- 6. revoke_profile with NULL arguments
SELECT revoke_profile(NULL, 'clinician');
SELECT pg_temp.refused($$SELECT healthhub.revoke_profile(NULL, 'clinician')$$)
UNION ALL
SELECT pg_temp.refused($$SELECT healthhub.revoke_profile(current_user::regrole, NULL)$$);
