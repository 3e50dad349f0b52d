-- bench/registry.sql: data for bench/registry.sh.  :practitioners sets the
-- registry size; everything runs in the database bench_registry.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1) \g /dev/null
CREATE SCHEMA bench;

-- A registry: 100 hospitals; each practitioner holds a physician licence
-- registered at one of them.
INSERT INTO healthhub.institutions (name, kind, level, grade, region)
SELECT 'Hospital ' || i, 'hospital', '3', '甲', '440304' FROM generate_series(1, 100) i;
CREATE TABLE bench.inst AS
SELECT row_number() OVER (ORDER BY institution_key) AS n, institution_key FROM healthhub.institutions;
INSERT INTO healthhub.practitioners (name) SELECT 'Dr ' || i FROM generate_series(1, :practitioners) i;
INSERT INTO healthhub.licences (licence_no, practitioner_key, kind, validity)
SELECT 'L' || lpad(row_number() OVER (ORDER BY practitioner_key)::text, 9, '0'), practitioner_key,
       'physician', tstzrange('2020-01-01', NULL)
  FROM healthhub.practitioners;
INSERT INTO healthhub.registrations (licence_key, institution_key, period)
SELECT l.licence_key, i.institution_key, tstzrange('2020-01-01', NULL)
  FROM healthhub.licences l
  JOIN bench.inst i ON i.n = 1 + l.licence_key % 100;
-- who may act where, as the checks will ask
CREATE TABLE bench.asks AS
SELECT row_number() OVER (ORDER BY random()) AS n, l.practitioner_key, r.institution_key
  FROM healthhub.licences l JOIN healthhub.registrations r USING (licence_key);
SELECT count(*) AS rights FROM healthhub.practice_rights;

-- 100k checks, and 100k primary-key probes, from the same PL/pgSQL loop.
CREATE FUNCTION bench.loop_may_practise(calls int) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    p bigint[]; i bigint[]; k int; m int; ok boolean; t0 timestamptz; yes int := 0;
BEGIN
    SELECT array_agg(practitioner_key ORDER BY n), array_agg(institution_key ORDER BY n) INTO p, i FROM bench.asks;
    m := cardinality(p);
    t0 := clock_timestamp();
    FOR k IN 1..calls LOOP
        ok := healthhub.may_practise(p[1 + k % m], 'physician', i[1 + k % m], now());
        IF ok THEN yes := yes + 1; END IF;
    END LOOP;
    IF yes <> calls THEN RAISE EXCEPTION 'only % of % checks allowed', yes, calls; END IF;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / calls;
END $$;
CREATE FUNCTION bench.loop_pk_probe(calls int) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    p bigint[]; k int; m int; ok boolean; t0 timestamptz; yes int := 0;
BEGIN
    SELECT array_agg(practitioner_key ORDER BY n) INTO p FROM bench.asks;
    m := cardinality(p);
    t0 := clock_timestamp();
    FOR k IN 1..calls LOOP
        ok := EXISTS (SELECT 1 FROM healthhub.practitioners x WHERE x.practitioner_key = p[1 + k % m]);
        IF ok THEN yes := yes + 1; END IF;
    END LOOP;
    IF yes <> calls THEN RAISE EXCEPTION 'only % of % probes found', yes, calls; END IF;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / calls;
END $$;

-- What an audited write is compared with.
CREATE TABLE bench.visits (visit_id bigserial PRIMARY KEY, person_key bigint NOT NULL, note text NOT NULL);
