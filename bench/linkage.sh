#!/usr/bin/env bash
# Master person index benchmarks (part of `make bench`; alone:
# BENCH_ONLY=linkage make bench).  Each figure is printed next to its
# baseline or target from the same run:
#   - link_batch() of BENCH_SCALE x 1M generated records from an empty index
#     with a model trained beforehand (training excluded): every phase timed,
#     COMMIT included;
#   - quality on the same run: pairwise precision and recall against the
#     generator's truth (pairs lost to blocking and possible matches count as
#     misses), the review queue, next to two baselines on the same records:
#     exact resident ID number, and exact name + birth date + sex;
#   - resolve() through pgbench over the Unix socket vs a bare btree lookup
#     of the same identifiers (target at least 0.8x the throughput);
#   - link_record() p50/p99 on warm persistent connections, and the cold
#     first call of a new connection;
#   - both of the last against about BENCH_SCALE x 1M persons: a second
#     generated extract is linked first, untimed.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
scale=${BENCH_SCALE:-1}
secs=${BENCH_SECONDS:-10}
reps=${BENCH_REPS:-5}
records=$(awk -v s="$scale" 'BEGIN { printf "%d", s * 1000000 + 0.5 }')
persons=$(awk -v s="$scale" 'BEGIN { printf "%d", s * 1000000 + 0.5 }')
more=$(awk -v r="$records" 'BEGIN { printf "%d", r * 1.2 + 0.5 }')
sample=$(awk -v r="$records" 'BEGIN { n = int(r / 10); if (n < 20000) n = (r < 20000 ? r : 20000); print n }')
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c client_min_messages=warning"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-linkage.XXXXXX")
chmod 755 "$work"
cleanup() {
  rm -rf "$work"
  bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "generating $records records (seed 42) and $sample for training (seed 7)"
perl "$top/scripts/gen-population.pl" --records "$records" --seed 42 >"$work/records.csv"
perl "$top/scripts/gen-population.pl" --records "$sample" --seed 7 >"$work/sample.csv"
perl "$top/scripts/gen-population.pl" --records 20000 --seed 99 |
  awk -F, 'NR > 1 { $1 = "N" $1; $2 = "N" $2 } 1' OFS=, >"$work/new.csv"
chmod 644 "$work"/*.csv

psql_db postgres -c 'DROP DATABASE IF EXISTS bench_linkage WITH (FORCE)' -c 'CREATE DATABASE bench_linkage'
stage() {   # csv -> stage_person_records
  psql_db bench_linkage -c "TRUNCATE healthhub.stage_person_records" \
    -c "\\copy healthhub.stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region, other_identifiers) FROM PROGRAM 'cut -d, -f1-9 $1' CSV HEADER"
}
psql_db bench_linkage <<SQL
SET client_min_messages = warning;
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1);
CREATE SCHEMA bench;
CREATE TABLE bench.truth (institution text, local_id text, true_person integer);
\copy bench.truth FROM PROGRAM 'cut -d, -f1,2,10 $work/records.csv | tail -n +2' CSV
CREATE INDEX ON bench.truth (institution, local_id);
SQL

say "training: link the $sample-record sample with the neutral model, train, empty the index"
stage "$work/sample.csv"
psql_db bench_linkage -c "SELECT count(*) FROM healthhub.link_batch('training-sample', 'sha256:' || md5('sample') || md5('$sample'))" >/dev/null
train_start=$EPOCHREALTIME
psql_db bench_linkage -At -c 'SELECT healthhub.train_linkage()' >"$work/model"
train_ms=$(( (${EPOCHREALTIME/./} - ${train_start/./}) / 1000 ))
psql_db bench_linkage -c 'TRUNCATE healthhub.link_events, healthhub.record_block_keys, healthhub.link_decisions,
    healthhub.person_identifiers, healthhub.person_separations, healthhub.source_records, healthhub.persons CASCADE'

say "link_batch of $records records from an empty index (model $(cat "$work/model"))"
stage "$work/records.csv"
psql_db bench_linkage -c 'VACUUM ANALYZE healthhub.stage_person_records'
batch_start=$EPOCHREALTIME
psql_db bench_linkage -At -F' ' -c "SELECT phase, seconds, rows FROM healthhub.link_batch('generated', 'sha256:' || md5('records') || md5('$records'))" >"$work/phases"
batch_ms=$(( (${EPOCHREALTIME/./} - ${batch_start/./}) / 1000 ))
cat "$work/phases"
psql_db bench_linkage -c 'VACUUM ANALYZE' >/dev/null

say "quality against the truth, and the baselines"
psql_db bench_linkage -At -F' ' -f "$top/bench/linkage_quality.sql" >"$work/quality"
cat "$work/quality"

# link_record() and resolve() are measured against an index of 1M persons:
# the records above make about 460k, so a second generated extract (other
# people, other local ids) is linked first, untimed.
say "growing the index to about $persons persons: linking $more more records (seed 43), not timed"
perl "$top/scripts/gen-population.pl" --records "$more" --seed 43 |
  awk -F, 'NR > 1 { $1 = "M" $1; $2 = "M" $2 } 1' OFS=, >"$work/more.csv"
chmod 644 "$work/more.csv"
stage "$work/more.csv"
psql_db bench_linkage -c "SELECT count(*) FROM healthhub.link_batch('generated-more', 'sha256:' || md5('more') || md5('$more'))" >/dev/null
psql_db bench_linkage -c 'VACUUM ANALYZE' >/dev/null
npersons=$(psql_db bench_linkage -At -c 'SELECT count(*) FROM healthhub.persons')

say "resolve() vs a bare btree lookup, pgbench -M prepared, 2 clients ($reps x ${secs}s pairs)"
psql_db bench_linkage <<'SQL'
CREATE TABLE bench.rids AS
SELECT row_number() OVER (ORDER BY resident_id)::integer AS i, resident_id AS rid
  FROM healthhub.person_identifiers WHERE resident_id IS NOT NULL;
ALTER TABLE bench.rids ADD PRIMARY KEY (i);
ANALYZE bench.rids;
SQL
nrids=$(psql_db bench_linkage -At -c 'SELECT count(*) FROM bench.rids')
cat >"$work/resolve.sql" <<SQL
\set i random(1, $nrids)
SELECT healthhub.resolve((SELECT r.rid FROM bench.rids r WHERE r.i = :i));
SQL
cat >"$work/btree.sql" <<SQL
\set i random(1, $nrids)
SELECT pi.person_key FROM healthhub.person_identifiers pi
 WHERE pi.resident_id OPERATOR(healthhub.=) (SELECT r.rid FROM bench.rids r WHERE r.i = :i);
SQL
run_tps() {
  "$HUB_BINDIR/pgbench" -n -M prepared -f "$work/$1.sql" -c 2 -j 2 -T "$secs" bench_linkage 2>/dev/null |
    awk '/^tps = / { print $3 }'
}
for _ in $(seq "$reps"); do echo "$(run_tps btree) $(run_tps resolve)"; done >"$work/resolve_pairs"

say "link_record() on warm connections: 2 clients, 5000 new records each; then a cold first call"
stage "$work/new.csv"
psql_db bench_linkage <<'SQL'
CREATE TABLE bench.new_records AS
SELECT row_number() OVER (ORDER BY line_no)::integer AS i, * FROM healthhub.stage_person_records;
ALTER TABLE bench.new_records ADD PRIMARY KEY (i);
CREATE SEQUENCE bench.next_record;
SQL
cat >"$work/link.sql" <<'SQL'
SELECT (healthhub.link_record(n.institution, n.local_id, n.name, nullif(n.sex, ''), healthhub.birth_date_or_null(n.birth_date),
        n.identifier, nullif(n.phone, ''), n.address_region, string_to_array(nullif(n.other_identifiers, ''), ';'))).decision
  FROM bench.new_records n WHERE n.i = (SELECT nextval('bench.next_record'));
SQL
# warm each connection with a few calls, then log every transaction
(cd "$work" && "$HUB_BINDIR/pgbench" -n -M prepared -f link.sql -c 2 -j 2 -t 200 bench_linkage >/dev/null 2>&1)
(cd "$work" && "$HUB_BINDIR/pgbench" -n -M prepared -f link.sql -c 2 -j 2 -t 5000 -l --log-prefix=link bench_linkage >"$work/link.out" 2>&1) || cat "$work/link.out"
cat "$work"/link.* 2>/dev/null | awk '{ print $3 / 1000 }' | sort -g >"$work/latencies"
cold_ms=$(psql_db bench_linkage -At -c '\timing on' \
  -c "SELECT (healthhub.link_record('cold', 'c-1', '欧阳 娜娜', '2', '1999-01-15', NULL, '13512345678', '440305')).decision" |
  awk '/^Time:/ { print $2 }')

mkdir -p "$top/bench/out"
{
  echo "healthhub linkage benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "scale $scale: $records generated records (seed 42); model $(cat "$work/model") trained on $sample records (seed 7) in ${train_ms} ms, not counted"
  echo
  echo "link_batch phases (s):"
  sed 's/^/  /' "$work/phases"
  echo
  ratio=$(awk '{ print $2 / $1 }' "$work/resolve_pairs" | median)
  bt=$(awk '{ print $1 }' "$work/resolve_pairs" | median)
  rs=$(awk '{ print $2 }' "$work/resolve_pairs" | median)
  nlat=$(wc -l <"$work/latencies")
  p50=$(sed -n "$(( (nlat * 50 + 99) / 100 ))p" "$work/latencies")
  p99=$(sed -n "$(( (nlat * 99 + 99) / 100 ))p" "$work/latencies")
  awk -v batch_ms="$batch_ms" -v cold="$cold_ms" -v q="$work/quality" -v ratio="$ratio" -v bt="$bt" -v rs="$rs" \
      -v p50="$p50" -v p99="$p99" -v npersons="$npersons" '
    BEGIN {
      while ((getline line < q) > 0) { split(line, f, " "); tp[f[1]] = f[2]; pred[f[1]] = f[3]; tru[f[1]] = f[4] }
      fmt = "%-46s | %12s | %12s | %8s | %-14s | %s\n"
      printf fmt, "figure", "healthhub", "baseline", "ratio", "target", "met?"
      prec = tp["healthhub"] / pred["healthhub"]; rec = tp["healthhub"] / tru["healthhub"]
      printf fmt, "pairwise precision (vs exact number)", sprintf("%.4f", prec),
        sprintf("%.4f", tp["exact_number"] / pred["exact_number"]), "-", ">= 0.995", (prec >= 0.995) ? "yes" : "NO"
      printf fmt, "pairwise recall (vs exact number)", sprintf("%.4f", rec),
        sprintf("%.4f", tp["exact_number"] / tru["exact_number"]), "-", ">= 0.98", (rec >= 0.98) ? "yes" : "NO"
      printf fmt, "  baseline exact name+birth+sex: precision", "-",
        sprintf("%.4f", tp["exact_name_birth_sex"] / pred["exact_name_birth_sex"]), "-", "report", "-"
      printf fmt, "  baseline exact name+birth+sex: recall", "-",
        sprintf("%.4f", tp["exact_name_birth_sex"] / tru["exact_name_birth_sex"]), "-", "report", "-"
      rq = tp["review"] / pred["review"]
      printf fmt, "review queue, share of records", sprintf("%.4f", rq), "-", "-", "<= 0.02", (rq <= 0.02) ? "yes" : "NO"
      printf fmt, "persons in the index", tp["persons"], "-", "-", "report", "-"
      printf fmt, "persons given two resident ID numbers", tp["two_numbers"], "-", "-", "0", (tp["two_numbers"] == 0) ? "yes" : "NO"
      printf fmt, "link_batch wall time incl. COMMIT, s", sprintf("%.1f", batch_ms / 1000), "60", sprintf("%.2fx", batch_ms / 60000),
        "60s (<= 120s)", (batch_ms <= 60000) ? "yes" : ((batch_ms <= 120000) ? "ceiling only" : "NO")
      printf fmt, "resolve() tps vs btree lookup, 2 clients", sprintf("%.0f", rs), sprintf("%.0f", bt),
        sprintf("%.2fx", ratio), ">= 0.80x", (ratio >= 0.8) ? "yes" : "NO"
      printf fmt, "persons when resolve/link_record ran", npersons, "-", "-", "report", "-"
      printf fmt, "link_record() warm p50, ms", sprintf("%.2f", p50), "-", "-", "report", "-"
      printf fmt, "link_record() warm p99, ms", sprintf("%.2f", p99), "-", "-", "< 10 ms", (p99 < 10) ? "yes" : "NO"
      printf fmt, "link_record() cold first call, ms", sprintf("%.1f", cold), "-", "-", "report", "-"
    }'
} | tee "$top/bench/out/linkage-results.txt"
say "results written to bench/out/linkage-results.txt"
