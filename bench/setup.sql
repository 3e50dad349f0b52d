-- bench/setup.sql: schema, helper routines and data for scripts/bench.sh.
-- psql variables: ids, bodies (N lines), ids2, bodies2 (2N lines), n.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION healthhub CASCADE;
CREATE SCHEMA bench;

-- One row per timed run.  value is milliseconds except for the btree figure
-- (bytes) and the pgbench figure (milliseconds per statement).
CREATE TABLE bench.sample (
    figure  text NOT NULL,
    variant text NOT NULL,
    rep     int NOT NULL,
    value   float8 NOT NULL,
    result  bigint            -- rows copied / count(*) returned: a sanity check
);
CREATE TABLE bench.param (name text PRIMARY KEY, value text NOT NULL);
INSERT INTO bench.param VALUES ('n', :'n');

-- Run each statement in stmts (label in variants) reps times, round-robin, so
-- that a slow phase of the machine hits every variant alike.  Before each
-- timed statement its setup statement (if any) runs and is committed; the
-- statement itself is timed with clock_timestamp() inside the server, so the
-- client and the protocol are not part of the figure.  warmup rounds run
-- first and are not recorded.
CREATE PROCEDURE bench.run(fig text, variants text[], setups text[], stmts text[],
                           reps int, warmup int DEFAULT 1)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    t1 timestamptz;
    res bigint;
BEGIN
    FOR r IN 1 - warmup .. reps LOOP
        FOR i IN 1 .. array_length(stmts, 1) LOOP
            IF setups[i] IS NOT NULL THEN
                EXECUTE setups[i];
            END IF;
            COMMIT;
            t0 := clock_timestamp();
            IF stmts[i] ~* '^\s*select' THEN
                EXECUTE stmts[i] INTO res;
            ELSE
                EXECUTE stmts[i];
                GET DIAGNOSTICS res = ROW_COUNT;
            END IF;
            t1 := clock_timestamp();
            IF r >= 1 THEN
                INSERT INTO bench.sample
                VALUES (fig, variants[i], r, extract(epoch FROM t1 - t0) * 1000, res);
            END IF;
            COMMIT;
        END LOOP;
    END LOOP;
END $$;

-- A check-character validator as one would write it without the extension:
-- format by regex, then the ISO 7064 MOD 11-2 sum in a loop.
CREATE FUNCTION bench.plpgsql_rid_ok(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    w CONSTANT int[] := '{7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2}';
    s int := 0;
BEGIN
    IF v !~ '^[0-9]{17}[0-9X]$' THEN
        RETURN false;
    END IF;
    FOR i IN 1 .. 17 LOOP
        s := s + (ascii(substr(v, i, 1)) - 48) * w[i];
    END LOOP;
    RETURN substr('10X98765432', s % 11 + 1, 1) = substr(v, 18, 1);
END $$;

-- COPY targets: all unlogged, no index, autovacuum off (it would compete for
-- the CPU while the next run is timed).
CREATE UNLOGGED TABLE bench.copy_rid (v healthhub.resident_id) WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE bench.copy_big (v bigint) WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE bench.copy_txt_re (v text CHECK (v ~ '^[0-9]{17}[0-9X]$'))
    WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE bench.copy_txt_pl (v text CHECK (bench.plpgsql_rid_ok(v)))
    WITH (autovacuum_enabled = off);

-- Validation source: the N numbers as text, n = line number in the file.
CREATE TABLE bench.src (n bigint GENERATED ALWAYS AS IDENTITY, v text NOT NULL)
    WITH (autovacuum_enabled = off);
COPY bench.src (v) FROM :'ids';

-- Sort inputs: 2N values each, same numbers, same (unsorted) order.
CREATE TABLE bench.sort_rid (v healthhub.resident_id) WITH (autovacuum_enabled = off);
CREATE TABLE bench.sort_big (v bigint) WITH (autovacuum_enabled = off);
COPY bench.sort_rid FROM :'ids2';
COPY bench.sort_big FROM :'bodies2';

-- Lookup tables: the N numbers with a payload, and a btree on the value.
CREATE TABLE bench.lk_rid (v healthhub.resident_id NOT NULL, payload bigint NOT NULL)
    WITH (autovacuum_enabled = off);
CREATE TABLE bench.lk_big (v bigint NOT NULL, payload bigint NOT NULL)
    WITH (autovacuum_enabled = off);
INSERT INTO bench.lk_rid SELECT v::healthhub.resident_id, n FROM bench.src ORDER BY n;
INSERT INTO bench.lk_big SELECT v::healthhub.resident_id::bigint, n FROM bench.src ORDER BY n;
SET max_parallel_maintenance_workers = 0;
CREATE INDEX lk_rid_v ON bench.lk_rid (v);
CREATE INDEX lk_big_v ON bench.lk_big (v);

-- The lookup keys: every 10th number (N/10 of them), in a scattered order;
-- the same numbers in the same order for both types.
CREATE TABLE bench.keys_rid AS
    SELECT array_agg(v ORDER BY hashint8(payload), payload) AS k
    FROM bench.lk_rid WHERE payload % 10 = 0;
CREATE TABLE bench.keys_big AS
    SELECT array_agg(v ORDER BY hashint8(payload), payload) AS k
    FROM bench.lk_big WHERE payload % 10 = 0;
-- pgbench picks key number i at random and fetches it from here
CREATE TABLE bench.pgkeys_rid AS
    SELECT row_number() OVER (ORDER BY hashint8(payload), payload)::int AS i, v AS k
    FROM bench.lk_rid WHERE payload % 10 = 0;
CREATE TABLE bench.pgkeys_big AS
    SELECT row_number() OVER (ORDER BY hashint8(payload), payload)::int AS i, v AS k
    FROM bench.lk_big WHERE payload % 10 = 0;
ALTER TABLE bench.pgkeys_rid ADD PRIMARY KEY (i);
ALTER TABLE bench.pgkeys_big ADD PRIMARY KEY (i);

CREATE FUNCTION bench.lookups_rid() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    ks healthhub.resident_id[];
    key healthhub.resident_id;
    p bigint;
    hits bigint := 0;
BEGIN
    SELECT k INTO ks FROM bench.keys_rid;
    FOREACH key IN ARRAY ks LOOP
        SELECT payload INTO p FROM bench.lk_rid WHERE v = key;
        IF FOUND THEN
            hits := hits + 1;
        END IF;
    END LOOP;
    RETURN hits;
END $$;

CREATE FUNCTION bench.lookups_big() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    ks bigint[];
    key bigint;
    p bigint;
    hits bigint := 0;
BEGIN
    SELECT k INTO ks FROM bench.keys_big;
    FOREACH key IN ARRAY ks LOOP
        SELECT payload INTO p FROM bench.lk_big WHERE v = key;
        IF FOUND THEN
            hits := hits + 1;
        END IF;
    END LOOP;
    RETURN hits;
END $$;

-- set hint bits and the visibility map, gather statistics
VACUUM (FREEZE, ANALYZE) bench.src, bench.sort_rid, bench.sort_big, bench.lk_rid, bench.lk_big,
    bench.pgkeys_rid, bench.pgkeys_big;

INSERT INTO bench.sample
SELECT 'btree', 'resident_id', 1, pg_relation_size('bench.lk_rid_v'), (SELECT count(*) FROM bench.lk_rid)
UNION ALL
SELECT 'btree', 'bigint', 1, pg_relation_size('bench.lk_big_v'), (SELECT count(*) FROM bench.lk_big);
