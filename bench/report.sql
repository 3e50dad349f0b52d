-- bench/report.sql: medians of bench.sample, one row per figure.
-- Prints figure | healthhub | baseline | ratio | target | met?
\set ON_ERROR_STOP 1
WITH med AS (
    SELECT figure, variant,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS v,
           count(*) AS runs
    FROM bench.sample GROUP BY figure, variant
),
m AS (
    SELECT (SELECT value::bigint FROM bench.param WHERE name = 'n') AS n,
           max(v) FILTER (WHERE figure = 'copy' AND variant = 'resident_id') AS copy_rid,
           max(v) FILTER (WHERE figure = 'copy' AND variant = 'bigint') AS copy_big,
           max(v) FILTER (WHERE figure = 'copy' AND variant = 'text_regex') AS copy_re,
           max(v) FILTER (WHERE figure = 'copy' AND variant = 'text_plpgsql') AS copy_pl,
           max(v) FILTER (WHERE figure = 'validate' AND variant = 'no_check') AS val_none,
           max(v) FILTER (WHERE figure = 'validate' AND variant = 'cast') AS val_cast,
           max(v) FILTER (WHERE figure = 'validate' AND variant = 'regex') AS val_re,
           max(v) FILTER (WHERE figure = 'validate' AND variant = 'is_valid') AS val_fn,
           max(v) FILTER (WHERE figure = 'sort' AND variant = 'resident_id') AS sort_rid,
           max(v) FILTER (WHERE figure = 'sort' AND variant = 'bigint') AS sort_big,
           max(v) FILTER (WHERE figure = 'btree' AND variant = 'resident_id') AS bt_rid,
           max(v) FILTER (WHERE figure = 'btree' AND variant = 'bigint') AS bt_big,
           max(v) FILTER (WHERE figure = 'lookup' AND variant = 'resident_id') AS lk_rid,
           max(v) FILTER (WHERE figure = 'lookup' AND variant = 'bigint') AS lk_big,
           max(v) FILTER (WHERE figure = 'pgbench' AND variant = 'resident_id') AS pb_rid,
           max(v) FILTER (WHERE figure = 'pgbench' AND variant = 'bigint') AS pb_big
    FROM med
),
-- per-value marginal costs in microseconds
c AS (
    SELECT m.*,
           (val_cast - val_none) * 1000 / n AS cast_us,
           (val_re - val_none) * 1000 / n AS re_us,
           (val_fn - val_none) * 1000 / n AS fn_us,
           CASE WHEN n % 1000000 = 0 THEN (n / 1000000) || 'M'
                WHEN n % 1000 = 0 THEN (n / 1000) || 'k'
                ELSE n::text END AS n1,
           CASE WHEN n % 500000 = 0 THEN (2 * n / 1000000) || 'M'
                WHEN n % 500 = 0 THEN (2 * n / 1000) || 'k'
                ELSE (2 * n)::text END AS n2,
           CASE WHEN n % 10000000 = 0 THEN (n / 10000000) || 'M'
                WHEN n % 10000 = 0 THEN (n / 10000) || 'k'
                ELSE (n / 10)::text END AS n10
    FROM m
),
r(ord, figure, hh, base, ratio, target, met) AS (
    SELECT 1, 'COPY ' || n1 || ' vs bigint (ms)', copy_rid, copy_big, copy_rid / copy_big,
           '<= 1.30x', copy_rid / copy_big <= 1.30 FROM c
    UNION ALL
    SELECT 2, 'COPY ' || n1 || ' vs text+regex CHECK (ms)', copy_rid, copy_re, copy_rid / copy_re,
           '< 1.00x', copy_rid < copy_re FROM c
    UNION ALL
    SELECT 3, 'COPY ' || n1 || ' vs text+PL/pgSQL CHECK (ms)', copy_rid, copy_pl, copy_rid / copy_pl,
           '< 1.00x', copy_rid < copy_pl FROM c
    UNION ALL
    SELECT 4, 'validate: cast, us/value', cast_us, NULL, NULL,
           '<= 0.100 us', cast_us <= 0.1 FROM c
    UNION ALL
    SELECT 5, 'validate: cast vs regex, us/value', cast_us, re_us, cast_us / re_us,
           '<= 0.10x', cast_us / re_us <= 0.1 FROM c
    UNION ALL
    SELECT 6, 'validate: is_valid_resident_id(), us/value', fn_us, NULL, NULL,
           'report', NULL FROM c
    UNION ALL
    SELECT 7, 'sort ' || n2 || ' vs bigint (ms)', sort_rid, sort_big, sort_rid / sort_big,
           '<= 1.20x', sort_rid / sort_big <= 1.20 FROM c
    UNION ALL
    SELECT 8, 'btree ' || n1 || ' vs bigint (bytes)', bt_rid, bt_big, bt_rid / bt_big,
           '= 1.00x', bt_rid = bt_big FROM c
    UNION ALL
    SELECT 9, n10 || ' lookups, PL/pgSQL loop (ms)', lk_rid, lk_big, lk_rid / lk_big,
           'report', NULL FROM c
    UNION ALL
    SELECT 10, 'lookup via pgbench, us/stmt', pb_rid * 1000, pb_big * 1000, pb_rid / pb_big,
           'report', NULL FROM c
)
SELECT figure,
       CASE WHEN ord = 8 THEN to_char(hh, 'FM999999999990')
            WHEN ord IN (4, 5, 6) THEN to_char(hh, 'FM99990.000')
            ELSE to_char(hh, 'FM9999999990.0') END AS healthhub,
       coalesce(CASE WHEN ord = 8 THEN to_char(base, 'FM999999999990')
                     WHEN ord = 5 THEN to_char(base, 'FM99990.000')
                     ELSE to_char(base, 'FM9999999990.0') END, '-') AS baseline,
       coalesce(to_char(ratio, 'FM9990.00') || 'x', '-') AS ratio,
       target,
       CASE WHEN met IS NULL AND target = 'report' THEN '-'
            WHEN met IS NULL THEN 'n/a'
            WHEN met THEN 'yes' ELSE 'NO' END AS "met?"
FROM r ORDER BY ord;
