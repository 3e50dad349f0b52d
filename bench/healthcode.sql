-- bench/healthcode.sh's database: one signing key per algorithm and a code
-- issued with each, and the timed loops (all timing inside the server with
-- clock_timestamp(), so no client round trip is in them).
SET client_min_messages = warning;
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1);
CREATE SCHEMA bench;

CREATE TABLE bench.codes (
    alg  text PRIMARY KEY,
    kid  bytea NOT NULL,
    code text NOT NULL
);

-- A key of the algorithm, made the newest, and a code issued with it (as
-- sql/healthcode_codes.sql does); checked to verify with that key.
CREATE FUNCTION bench.make_code(a text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k bytea := healthhub.create_signing_key(a);
    c text := healthhub.issue_health_code('440300010000000123', 'health_card')::text;
    v record;
BEGIN
    SELECT * INTO v FROM healthhub.verify_health_code(c);
    IF NOT v.valid OR v.algorithm IS DISTINCT FROM a OR v.kid IS DISTINCT FROM k THEN
        RAISE EXCEPTION 'the % code does not verify with its key: %', a, v.reason;
    END IF;
    INSERT INTO bench.codes VALUES (a, k, c);
END
$$;

-- The CPU time this backend has used, in seconds: the first field of
-- /proc/self/schedstat (nanoseconds on a CPU; Linux).  Rates per CPU
-- second leave out the time other work held the CPU.
CREATE FUNCTION bench.cpu_seconds() RETURNS float8 LANGUAGE sql VOLATILE
    RETURN split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8 / 1e9;

-- n verify_health_code() calls on the algorithm's code in one statement;
-- verifications per second of the wall clock (clock_timestamp()) and per
-- second of the backend's CPU time.  Every one must say valid.
CREATE FUNCTION bench.verify_rate(a text, n integer, OUT wall float8, OUT cpu float8) LANGUAGE plpgsql AS $$
DECLARE
    c text := (SELECT b.code FROM bench.codes b WHERE b.alg = a);
    t0 timestamptz;
    cpu0 float8;
    ok bigint;
BEGIN
    cpu0 := bench.cpu_seconds();
    t0 := clock_timestamp();
    -- (volatile, in the target list: called once per row)
    SELECT count(*) FILTER (WHERE (healthhub.verify_health_code(c)).valid) INTO ok FROM generate_series(1, n);
    wall := n / extract(epoch FROM clock_timestamp() - t0)::float8;
    cpu := n / (bench.cpu_seconds() - cpu0);
    IF ok <> n THEN
        RAISE EXCEPTION 'only % of % verifications of the % code valid', ok, n, a;
    END IF;
END
$$;

-- n issue_health_code() calls in one statement with the newest key, which
-- must be of the algorithm; codes issued per second (wall, CPU).
CREATE FUNCTION bench.issue_rate(a text, n integer, OUT wall float8, OUT cpu float8) LANGUAGE plpgsql AS $$
DECLARE
    signer text := (SELECT v.algorithm
                      FROM healthhub.verify_health_code(
                               healthhub.issue_health_code('440300010000000123', 'health_card')::text) v);
    t0 timestamptz;
    cpu0 float8;
    made bigint;
BEGIN
    IF signer IS DISTINCT FROM a THEN
        RAISE EXCEPTION 'the newest signing key is %, not %', signer, a;
    END IF;
    cpu0 := bench.cpu_seconds();
    t0 := clock_timestamp();
    SELECT count(healthhub.issue_health_code('440300010000000123', 'health_card')) INTO made FROM generate_series(1, n);
    wall := n / extract(epoch FROM clock_timestamp() - t0)::float8;
    cpu := n / (bench.cpu_seconds() - cpu0);
    IF made <> n THEN
        RAISE EXCEPTION 'issued % codes of %', made, n;
    END IF;
END
$$;
