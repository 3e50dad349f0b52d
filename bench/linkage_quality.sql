-- bench/linkage_quality.sql: linkage quality against the generator's truth
-- (bench/linkage.sh, bench/linkage_paths.sh).  Needs bench.truth
-- (institution, local_id, true_person).  Prints one line per figure:
--   label tp predicted truth
-- Pairwise: a pair of records is predicted when they share a person, true
-- when they share a true person (possible matches and pairs lost to blocking
-- count as misses).  Baselines on the same records: exact resident ID
-- number, and exact name + birth date + sex.
\set ON_ERROR_STOP 1
CREATE TEMP TABLE clusters (source text, local_id text, cluster text);
CREATE FUNCTION pg_temp.pairwise(OUT tp numeric, OUT predicted numeric, OUT truth numeric) LANGUAGE sql AS $$
  WITH r AS (SELECT c.cluster, t.true_person FROM clusters c
               JOIN bench.truth t ON t.institution = c.source AND t.local_id = c.local_id)
  SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) n FROM r GROUP BY cluster, true_person) x),
         (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) n FROM r GROUP BY cluster) x),
         (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) n FROM r GROUP BY true_person) x)
$$;
INSERT INTO clusters SELECT source, local_id, person_key::text FROM healthhub.source_records;
SELECT 'healthhub', tp, predicted, truth FROM pg_temp.pairwise();
TRUNCATE clusters;
INSERT INTO clusters
SELECT source, local_id, coalesce(resident_id::text, source || '/' || local_id) FROM healthhub.source_records;
SELECT 'exact_number', tp, predicted, truth FROM pg_temp.pairwise();
TRUNCATE clusters;
INSERT INTO clusters
SELECT source, local_id, CASE WHEN name_hanzi IS NOT NULL AND birth_date IS NOT NULL AND sex IS NOT NULL
                              THEN name_hanzi || '/' || birth_date || '/' || sex ELSE source || '/' || local_id END
  FROM healthhub.source_records;
SELECT 'exact_name_birth_sex', tp, predicted, truth FROM pg_temp.pairwise();
SELECT 'review', count(DISTINCT (source, local_id)), (SELECT count(*) FROM healthhub.source_records), 0
  FROM healthhub.links WHERE state = 'possible_match';
SELECT 'persons', count(*), 0, 0 FROM healthhub.persons WHERE state = 'active';
-- persons given two numbers, and true persons split by the twin rule's cost
SELECT 'two_numbers', count(*), 0, 0 FROM (
    SELECT person_key FROM healthhub.source_records WHERE resident_id IS NOT NULL AND NOT id_conflict
     GROUP BY 1 HAVING count(DISTINCT resident_id::text) > 1) x;
