-- The master person index on the demo hub: train the model on a generated
-- extract of 20,000 records from 60 institutions, link the extract in bulk
-- with it, link one more record as an app would and explain the decision,
-- then resolve.
-- (demo.sh has staged the generated file and put its truth column in demo.truth.)
\pset footer off
\timing on
SET client_min_messages = notice;
-- (before the first temporary table: training makes some, and link_batch
-- wants its work tables in memory)
SET temp_buffers = '1GB';

\echo
\echo '== 12. One person, many records: train on the staged extract, then link it in bulk with that model'
SELECT institution, local_id, name, sex, birth_date, identifier, phone FROM healthhub.stage_person_records
 WHERE name LIKE '% %' OR identifier ~ '[０-９]' LIMIT 4;
SELECT healthhub.train_linkage(staged => true) AS model_version;
SELECT comparison, level, round(m::numeric, 4) AS m, round(u::numeric, 6) AS u,
       round(log(2, (m / u)::numeric), 2) AS weight
  FROM healthhub.linkage_weights WHERE model_version = 2 AND comparison IN ('name', 'birth_date') ORDER BY 1, 2;
SELECT * FROM healthhub.link_batch('demo-extract', 'sha256:' || md5('demo') || md5('extract'));
SELECT count(*) AS records, count(DISTINCT person_key) AS persons FROM healthhub.source_records;

\echo
\echo '== 13. How good is it? Pairwise precision and recall against the generator''s truth'
WITH r AS (SELECT s.person_key, t.true_person FROM healthhub.source_records s
             JOIN demo.truth t ON t.institution = s.source AND t.local_id = s.local_id)
SELECT round((SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM r GROUP BY person_key, true_person) x)
             / (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM r GROUP BY person_key) x), 4) AS precision,
       round((SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM r GROUP BY person_key, true_person) x)
             / (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM r GROUP BY true_person) x), 4) AS recall,
       (SELECT count(*) FROM healthhub.review_queue) AS awaiting_review;

\echo
\echo '== 14. Link one record as an app would, and see why'
SELECT p.name, p.sex, p.birth_date, p.phone, p.region FROM healthhub.persons p
 WHERE p.phone IS NOT NULL AND p.name ~ '^[王李张刘陈]' ORDER BY p.person_key LIMIT 1 \gset golden_
SELECT person_key, decision, jsonb_pretty(explanation - 'compared_with') AS explanation
  FROM healthhub.link_record('DEMO-CLINIC', 'walk-in-1', btrim(regexp_replace(:'golden_name', '(.)', '\1 ', 'g')), :'golden_sex',
                             :'golden_birth_date', NULL, :'golden_phone', :'golden_region');

\echo
\echo '== 15. Resolve: one index probe from any identifier'
SELECT identifier, healthhub.resolve(identifier) AS person_key
  FROM (SELECT s.identifier_text AS identifier FROM healthhub.source_records s
         WHERE s.resident_id IS NOT NULL AND NOT s.id_conflict LIMIT 2) i;
SELECT count(*) AS link_events, count(DISTINCT entry_id) AS audit_entries FROM healthhub.link_events;
