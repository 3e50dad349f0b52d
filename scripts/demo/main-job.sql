-- The hub's main job, as far as it exists today: validate and index the
-- identifiers arriving from several institutions; show what was accepted,
-- what was rejected and why, and how many people they turn out to be.
\pset footer off
\timing on

\echo
\echo '== 1. Institutions: is each sender''s unified social credit code valid?'
SELECT code, name, uscc_as_sent,
       CASE WHEN healthhub.is_valid_uscc(uscc_as_sent) THEN 'valid'
            ELSE 'fails its own check: kept as ' || healthhub.ingest_uscc(uscc_as_sent)::text
       END AS verdict
  FROM demo.institutions ORDER BY code;

\echo
\echo '== 2. Validate every arriving resident ID number (type input: structure, date, check character)'
CREATE TABLE demo.validated AS
SELECT a.seq, a.institution, a.raw, healthhub.resident_id_problem(a.raw) AS problem
  FROM demo.arrivals a;
SELECT count(*) AS arrived,
       count(*) FILTER (WHERE problem IS NULL) AS accepted,
       count(*) FILTER (WHERE problem IS NOT NULL) AS rejected
  FROM demo.validated;

\echo
\echo '== 3. Per institution'
SELECT institution, count(*) AS arrived,
       count(*) FILTER (WHERE problem IS NULL) AS accepted,
       round(100.0 * count(*) FILTER (WHERE problem IS NOT NULL) / count(*), 1) AS rejected_pct
  FROM demo.validated GROUP BY institution ORDER BY institution;

\echo
\echo '== 4. Why rows were rejected'
SELECT regexp_replace(regexp_replace(problem, '"[^"]*"', '"…"', 'g'), '[0-9]+', 'N', 'g') AS reason,
       count(*) AS rows,
       (array_agg(raw ORDER BY seq))[1] AS example,
       (array_agg(problem ORDER BY seq))[1] AS example_detail
  FROM demo.validated WHERE problem IS NOT NULL
 GROUP BY 1 ORDER BY 2 DESC;

\echo
\echo '== 5. Index the accepted numbers: one entry per person, whatever the form it came in'
CREATE TABLE demo.person_index (
    id           healthhub.resident_id PRIMARY KEY,
    first_seen   bigint NOT NULL,
    sources      text[] NOT NULL,
    forms        integer NOT NULL
);
INSERT INTO demo.person_index
SELECT v.raw::healthhub.resident_id, min(v.seq), array_agg(DISTINCT v.institution ORDER BY v.institution),
       count(DISTINCT v.raw)
  FROM demo.validated v WHERE v.problem IS NULL
 GROUP BY 1;
SELECT count(*) AS persons,
       count(*) FILTER (WHERE cardinality(sources) > 1) AS seen_at_several_institutions,
       count(*) FILTER (WHERE forms > 1) AS arrived_in_several_forms
  FROM demo.person_index;

\echo
\echo '== 6. One person, several spellings, one index entry (shown masked)'
SELECT healthhub.resident_id_mask(p.id) AS person, v.institution, v.raw AS as_sent
  FROM (SELECT id FROM demo.person_index WHERE forms >= 3 ORDER BY first_seen LIMIT 1) p
  JOIN demo.validated v ON v.problem IS NULL AND v.raw::healthhub.resident_id OPERATOR(healthhub.=) p.id
 ORDER BY v.seq;

\echo
\echo '== 7. What the numbers say about the people (region from the division table)'
SELECT healthhub.region_code_name(healthhub.region_code_province(healthhub.resident_id_region(id))) AS province,
       count(*) AS persons,
       round(avg(healthhub.age(id, current_date)), 1) AS mean_age,
       count(*) FILTER (WHERE healthhub.resident_id_sex(id) = 2) AS female
  FROM demo.person_index GROUP BY 1 ORDER BY 2 DESC LIMIT 8;

\echo
\echo '== 8. A lookup by any form of the number uses the index'
SET search_path = healthhub, public;
EXPLAIN (COSTS OFF) SELECT * FROM demo.person_index WHERE id = '１１０１０５１９４９１２３１００２ｘ';
