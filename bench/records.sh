#!/usr/bin/env bash
# Shared records' read paths against the bare index scan returning the same
# rows (part of `make bench`; alone: BENCH_ONLY=records make bench).
#   One person with 500 documents and 1,000 lipid results (all within the
#   item's window) among BENCH_SCALE x 10M other documents and 10M other
#   results; read by another hospital under the person's consent:
#     - documents_for(person, 'treatment'): consent check, the person's
#       records, the documents, and the read's trail entry;
#       baseline: SELECT of the same rows by the same index, as the owner;
#     - recognizable_results(person, 'LIPID'): catalogue, scope, level,
#       window, certification, consent, and the trail entry;
#       baseline: SELECT of the same results by the same index.
#   BENCH_CALLS calls of each (default 300), alternating with the baseline;
#   p50 and p99 of each call's time measured in the backend.
#   Targets (issue 13): p99 under 1 ms (results) and 2 ms (documents), and
#   within 1.5x of the baseline.
#   Loading: BENCH_SCALE x 1M results of 2,000 patients as one CSV file:
#     - framework: COPY into healthhub.stage_results + load_results()
#       (validation, the set-based write, the load's one audit entry);
#     - baseline: a plain COPY of the same results (keys resolved) into
#       healthhub.exam_results itself, same indexes and triggers (each row
#       audited by the trigger), and the same without triggers.
#   Target: within 3x of the plain COPY.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
scale=${BENCH_SCALE:-1}
background=$(awk -v s="$scale" 'BEGIN { n = s * 10000000; if (n < 10000) n = 10000; printf "%d", n }')
calls=${BENCH_CALLS:-300}
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }

bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c client_min_messages=warning -c synchronous_commit=off"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
work_out=$(mktemp "${TMPDIR:-/tmp}/healthhub-bench-records.XXXXXX")
trap 'rm -f "$work_out"; bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true' EXIT

say "setting up: two hospitals, the person, $background background documents and results"
psql_db postgres -c 'DROP DATABASE IF EXISTS bench_records WITH (FORCE)' -c 'CREATE DATABASE bench_records'
psql_db postgres -c 'DROP ROLE IF EXISTS bench_rec_a' -c 'DROP ROLE IF EXISTS bench_rec_b' -c 'DROP ROLE IF EXISTS bench_rec_app' \
                 -c 'CREATE ROLE bench_rec_a' -c 'CREATE ROLE bench_rec_b' -c 'CREATE ROLE bench_rec_app' >/dev/null
psql_db bench_records -v background="$background" >/dev/null <<'SQL'
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1);
INSERT INTO healthhub.institutions (uscc, name, kind, level, region, source, source_ref, valid) VALUES
    ('121200004013590816', 'bench A', 'hospital', '3', '440303', 'bench', 'BA', '[2000-01-01,)'),
    ('91110000600037341L', 'bench B', 'hospital', '3', '440304', 'bench', 'BB', '[2000-01-01,)');
SELECT healthhub.grant_profile('bench_rec_a', 'institution_app', institution_key) FROM healthhub.institutions WHERE source_ref = 'BA';
SELECT healthhub.grant_profile('bench_rec_b', 'institution_app', institution_key) FROM healthhub.institutions WHERE source_ref = 'BB';
SELECT healthhub.grant_profile('bench_rec_app', 'resident_service');
CREATE TABLE public.bench_person (person_key bigint);
GRANT ALL ON public.bench_person TO PUBLIC;
SET ROLE bench_rec_a;
INSERT INTO public.bench_person
SELECT person_key FROM healthhub.link_record('BA', 'p-1', '测试人', '1', '1960-01-01', NULL, '13900000000', '440303');
RESET ROLE;
SELECT institution_key AS inst_b FROM healthhub.institutions WHERE source_ref = 'BB' \gset
SELECT person_key AS person FROM public.bench_person \gset
SET ROLE bench_rec_app;
SELECT healthhub.give_consent(:person, 'treatment', 'bench', institution => :inst_b);
RESET ROLE;
INSERT INTO healthhub.recognition_items (region, item_code, item_kind, name, validity, mark, cost, catalogue_version, valid)
VALUES ('440000', 'LIPID', 'lab', 'lipids', '30 days', '粤HR', 48, 'bench', '[2000-01-01,)');
INSERT INTO healthhub.lab_certifications (institution_key, item_code, period, passed, evidence)
SELECT institution_key, 'LIPID', '[2000-01-01,)', true, 'bench' FROM healthhub.institutions WHERE source_ref = 'BA';

-- the background: other people's documents and results (rows the indexes
-- must step over), written directly and without per-row triggers
SET session_replication_role = replica;
INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location, size_bytes,
                                     media_type)
SELECT 900000000000 + g, 800000000000 + g,
       healthhub.emr_ref('lab_report', '121200004013590816', 'BG-' || g, '2026-01-01'::timestamptz + g * interval '1 second',
                         decode(md5(g::text) || md5(g::text), 'hex')),
       i.institution_key, 'normal', 'https://a.example/' || g, 1000, 'application/pdf'
  FROM generate_series(1, :background) g, healthhub.institutions i WHERE i.source_ref = 'BA';
INSERT INTO healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, local_id)
SELECT 900000000000 + g, 800000000000 + g, i.institution_key, 'LIPID', now() - (g % 100) * interval '1 day', '5.0',
       'BG-' || g
  FROM generate_series(1, :background) g, healthhub.institutions i WHERE i.source_ref = 'BA';
-- the person's: 500 documents, 1,000 results within the window
INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location, size_bytes,
                                     media_type)
SELECT p.person_key, s.record_id,
       healthhub.emr_ref('lab_report', '121200004013590816', 'P-' || g, '2026-06-01'::timestamptz + g * interval '1 hour',
                         decode(md5(g::text) || md5(g::text), 'hex')),
       i.institution_key, 'normal', 'https://a.example/p/' || g, 1000, 'application/pdf'
  FROM generate_series(1, 500) g, public.bench_person p, healthhub.institutions i, healthhub.source_records s
 WHERE i.source_ref = 'BA' AND s.source = 'BA' AND s.local_id = 'p-1';
INSERT INTO healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, local_id)
SELECT p.person_key, s.record_id, i.institution_key, 'LIPID', now() - g * interval '30 minutes', '5.0', 'P-' || g
  FROM generate_series(1, 1000) g, public.bench_person p, healthhub.institutions i, healthhub.source_records s
 WHERE i.source_ref = 'BA' AND s.source = 'BA' AND s.local_id = 'p-1';
RESET session_replication_role;
VACUUM ANALYZE healthhub.emr_documents;
VACUUM ANALYZE healthhub.exam_results;
SQL

say "timing $calls calls of each, alternating with the bare index scan"
psql_db bench_records -v calls="$calls" -At -F '|' >"$work_out" <<'SQL'
CREATE TEMP TABLE t (what text, i integer, ms double precision, n bigint);
SELECT person_key AS person FROM public.bench_person \gset
-- One call, timed in the backend: as hospital B's application for the read
-- paths (SET ROLE, as its connection would be), as the owner for the
-- baseline (the same rows by the same indexes, without the policy).
CREATE FUNCTION pg_temp.timed(what text, i integer, role_name text, q text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    t0 timestamptz;
    rows bigint;
BEGIN
    IF role_name IS NOT NULL THEN
        EXECUTE format('SET LOCAL ROLE %I', role_name);
    END IF;
    t0 := clock_timestamp();
    EXECUTE q INTO rows;
    INSERT INTO pg_temp.t VALUES (what, i, extract(epoch FROM clock_timestamp() - t0) * 1000, rows);
    IF role_name IS NOT NULL THEN
        RESET ROLE;
    END IF;
END
$f$;
GRANT ALL ON pg_temp.t TO PUBLIC;
SELECT format($q$SELECT count(*) FROM healthhub.documents_for(%s, 'treatment')$q$, :person) AS q_docs,
       format($q$SELECT count(*) FROM healthhub.emr_documents d
                  WHERE d.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = %s)
                    AND d.state = 'current'$q$, :person) AS q_docs_base,
       format($q$SELECT count(*) FROM healthhub.recognizable_results(%s, 'LIPID')$q$, :person) AS q_res,
       format($q$SELECT count(*) FROM healthhub.exam_results r
                  WHERE r.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = %s)
                    AND r.item_code = 'LIPID' AND r.produced_at > now() - interval '30 days'$q$, :person) AS q_res_base \gset
-- warm up
SELECT pg_temp.timed('warm', 0, 'bench_rec_b', :'q_docs'), pg_temp.timed('warm', 0, NULL, :'q_docs_base'),
       pg_temp.timed('warm', 0, 'bench_rec_b', :'q_res'), pg_temp.timed('warm', 0, NULL, :'q_res_base') \g /dev/null
SELECT pg_temp.timed('documents_for', i, 'bench_rec_b', :'q_docs'), pg_temp.timed('documents, bare scan', i, NULL, :'q_docs_base'),
       pg_temp.timed('recognizable_results', i, 'bench_rec_b', :'q_res'), pg_temp.timed('results, bare scan', i, NULL, :'q_res_base'),
       pg_temp.timed('trail entry', i, NULL,
                     $q$SELECT count(healthhub.audit_append('read.bench', 'person', '1', 1, 'bench', 'ok'))$q$)
  FROM generate_series(1, :calls) i \g /dev/null
SELECT what, max(n), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)
  FROM pg_temp.t WHERE what <> 'warm' GROUP BY what ORDER BY what;
SQL

declare -A rows p50 p99
while IFS='|' read -r what n m50 m99; do
  rows[$what]=$n; p50[$what]=$m50; p99[$what]=$m99
done <"$work_out"
line() {  # figure, read path, baseline, p99 target in ms
  awk -v f="$1" -v n="${rows[$2]}" -v a50="${p50[$2]}" -v a99="${p99[$2]}" -v b50="${p50[$3]}" -v b99="${p99[$3]}" -v t="$4" 'BEGIN {
    r = a99 / b99;
    printf "%-34s | %5d | %7.3f | %7.3f | %7.3f | %7.3f | %5.2fx | p99 < %s ms: %s; <= 1.5x: %s\n",
           f, n, a50, a99, b50, b99, r, t, (a99 < t) ? "yes" : "NO", (r <= 1.5) ? "yes" : "NO" }'
}
echo
echo "healthhub shared records benchmark, $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) CPUs, $background background rows each, $calls calls"
echo "figure                             |  rows | p50 ms  | p99 ms  | base p50| base p99| p99 ratio | targets"
line "documents_for (500 documents)" "documents_for" "documents, bare scan" 2
line "recognizable_results (1,000)" "recognizable_results" "results, bare scan" 1
awk -v a50="${p50[trail entry]}" -v a99="${p99[trail entry]}" 'BEGIN {
  printf "(of which the read'"'"'s trail entry, committed by the audit writer before rows return: p50 %.3f ms, p99 %.3f ms)\n", a50, a99 }'

# ------------------------------------------------------------- loading
nload=$(awk -v s="$scale" 'BEGIN { n = s * 1000000; if (n < 1000) n = 1000; printf "%d", n }')
say "loading: $nload results of 2,000 patients, framework vs plain COPY"
ldir=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-records-load.XXXXXX")
trap 'rm -rf "$ldir" "$work_out"; bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true' EXIT
chmod 755 "$ldir"
psql_db bench_records >/dev/null <<'SQL'
TRUNCATE healthhub.exam_results;
INSERT INTO healthhub.institutions (name, kind, level, region, source, source_ref, valid) VALUES
    ('bench lab', 'hospital', '3', '440303', 'bench', 'BL', '[2000-01-01,)');
-- 2,000 patients of the lab, linked
SET session_replication_role = replica;
SELECT count(healthhub.link_record('BL', 'lp-' || g, '张' || chr(19968 + g % 5000) || chr(19968 + g / 5000 + 100), '1',
                                   '1970-01-01'::date + g, NULL, '139' || lpad(g::text, 8, '0'), '440303'))
  FROM generate_series(1, 2000) g;
RESET session_replication_role;
SQL
psql_db bench_records -c "\\copy (SELECT 'R-' || g, 'lp-' || (1 + g % 2000), 'LIPID', '2026-11-01'::timestamptz + g * interval '1 second', '5.' || (g % 10), 'mmol/L', '<5.7' FROM generate_series(1, $nload) g) TO '$ldir/results.csv' WITH (FORMAT csv)" \
                      -c "\\copy (SELECT s.person_key, s.record_id, s.institution_key, 'LIPID', '2026-11-01'::timestamptz + g * interval '1 second', '5.' || (g % 10), 'mmol/L', '<5.7', 'R-' || g FROM generate_series(1, $nload) g JOIN healthhub.source_records s ON s.source = 'BL' AND s.local_id = 'lp-' || (1 + g % 2000)) TO '$ldir/resolved.csv' WITH (FORMAT csv)" >/dev/null
now() { date +%s.%N; }
t0=$(now)
psql_db bench_records -c "\\copy healthhub.stage_results (result_id, patient_id, item_code, produced_at, value, unit, reference_range) FROM '$ldir/results.csv' WITH (FORMAT csv)" \
                      -c "SELECT staged, loaded, rejected FROM healthhub.load_results('BL', 'sha256:' || repeat('f', 64))" >/dev/null
t_fw=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
psql_db bench_records -c 'TRUNCATE healthhub.exam_results' -c 'VACUUM ANALYZE healthhub.exam_results' >/dev/null
t0=$(now)
psql_db bench_records -c "\\copy healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, unit, reference_range, local_id) FROM '$ldir/resolved.csv' WITH (FORMAT csv)" >/dev/null
t_copy=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
psql_db bench_records -c 'TRUNCATE healthhub.exam_results' -c 'VACUUM ANALYZE healthhub.exam_results' >/dev/null
t0=$(now)
psql_db bench_records -c 'SET session_replication_role = replica' \
  -c "\\copy healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, unit, reference_range, local_id) FROM '$ldir/resolved.csv' WITH (FORMAT csv)" >/dev/null
t_bare=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
echo
awk -v n="$nload" -v fw="$t_fw" -v cp="$t_copy" -v bare="$t_bare" 'BEGIN {
  printf "loading %d results: staging + load_results %.2f s; plain COPY %.2f s (%.2fx, target <= 3x: %s); COPY without triggers %.2f s (%.2fx)\n",
         n, fw, cp, fw / cp, (fw / cp <= 3) ? "met" : "NOT met", bare, fw / bare }'
