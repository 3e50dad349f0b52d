#!/usr/bin/env bash
# Registry and audit trail benchmarks (part of `make bench`; alone:
# BENCH_ONLY=registry make bench).  Each figure is printed next to its
# baseline from the same run:
#   - may_practise() vs one primary-key probe, from the same PL/pgSQL loop
#     (targets: under 5 us, within 2x of the probe);
#   - an audited insert (the row plus healthhub.audit_append) vs a plain
#     insert, pgbench (prepared statements) over the Unix socket, 1 client (target at most 1.5x the
#     latency) and 8 clients (target at least 0.6x the throughput);
#   - an audited read of one row and of 500 rows (the read plus one 'read'
#     entry, which the audit writer commits before the rows are returned) vs
#     the same read unaudited, durable commits, 1 and 8 clients (targets at 8
#     clients: at least 0.5x and 0.8x the throughput);
#   - verify_audit() over BENCH_SCALE x 10M entries (entries per second).
#   BENCH_SCALE 1 = 10M audit entries, 20k practitioners; BENCH_SECONDS per
#   pgbench run (default 10); medians of BENCH_REPS runs (default 5).
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
scale=${BENCH_SCALE:-1}
secs=${BENCH_SECONDS:-10}
reps=${BENCH_REPS:-5}
entries=$(awk -v s="$scale" 'BEGIN { printf "%d", s * 10000000 + 0.5 }')
practitioners=$(awk -v s="$scale" 'BEGIN { n = s * 20000; if (n < 1000) n = 1000; printf "%d", n }')
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c max_parallel_workers_per_gather=0 -c client_min_messages=warning"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-registry.XXXXXX")
cleanup() {
  psql_db postgres -c 'ALTER SYSTEM RESET fsync' -c 'ALTER SYSTEM RESET synchronous_commit' >/dev/null 2>&1 || true
  rm -rf "$work"
  bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "registry of $practitioners practitioners at 100 institutions"
psql_db postgres -c 'DROP DATABASE IF EXISTS bench_registry WITH (FORCE)' -c 'CREATE DATABASE bench_registry'
psql_db bench_registry -v practitioners="$practitioners" -f "$top/bench/registry.sql" >/dev/null

say "licence checks: 100k may_practise() vs 100k primary-key probes ($reps runs each)"
for _ in $(seq "$reps"); do
  psql_db bench_registry -At -c 'SELECT bench.loop_may_practise(100000)' >>"$work/check"
  psql_db bench_registry -At -c 'SELECT bench.loop_pk_probe(100000)' >>"$work/probe"
done
check=$(median <"$work/check"); probe=$(median <"$work/probe")

cat >"$work/plain.sql" <<'SQL'
\set p random(1, 1000000)
INSERT INTO bench.visits (person_key, note) VALUES (:p, 'visit');
SQL
cat >"$work/audited.sql" <<'SQL'
\set p random(1, 1000000)
WITH v AS (INSERT INTO bench.visits (person_key, note) VALUES (:p, 'visit') RETURNING visit_id)
SELECT healthhub.audit_append('visit.create', 'visit', v.visit_id::text, :p, 'treatment', 'ok') FROM v;
SQL
run_tps() {   # script clients -> tps of one pgbench run
  "$HUB_BINDIR/pgbench" -n -M prepared -f "$work/$1.sql" -c "$2" -j "$(( $2 < 2 ? 1 : 2 ))" -T "$secs" bench_registry 2>/dev/null |
    awk '/^tps = / { print $3 }'
}
# Plain and audited runs alternate, so a slow minute of this shared machine
# hits both; the ratio reported is the median of the per-pair ratios.
pairs() {     # clients name [plain audited] -> $work/name: "plain audited" per pair
  local i
  for i in $(seq "$reps"); do
    echo "$(run_tps "${3:-plain}" "$1") $(run_tps "${4:-audited}" "$1")"
  done >"$work/$2"
}
col_median() { awk -v c="$1" '{ print $c }' "$2" | median; }
ratio_median() { awk '{ print $1 / $2 }' "$1" | median; }
# Write paths are measured with durable commits, as a hub runs them (the
# embedded cluster otherwise runs with fsync off), and again without, where
# only CPU counts: both are printed.
durability() {
  psql_db postgres -c "ALTER SYSTEM SET fsync = $1" -c "ALTER SYSTEM SET synchronous_commit = $1" \
    -c 'SELECT pg_reload_conf()' >/dev/null
  sleep 1
}
durability on
say "durable commits: audited vs plain insert, 1 and 8 clients ($reps x ${secs}s each)"
pairs 1 pairs1; pairs 8 pairs8

# Reads: 100k rows of 1,000 persons' records; an audited read is the same
# query plus one read entry, the way every audited function records a read.
psql_db bench_registry <<'SQL'
CREATE TABLE bench.records AS
SELECT g AS record_id, g % 1000 AS person_key, md5(g::text) || md5((g + 1)::text) AS payload
  FROM generate_series(1, 100000) g;
ALTER TABLE bench.records ADD PRIMARY KEY (record_id);
VACUUM ANALYZE bench.records;
SQL
cat >"$work/plain_read1.sql" <<'SQL'
\set r random(1, 100000)
SELECT r.person_key, r.payload FROM bench.records r WHERE r.record_id = :r;
SQL
cat >"$work/audited_read1.sql" <<'SQL'
\set r random(1, 100000)
SELECT r.person_key, r.payload, healthhub.audit_append('read', 'record', r.record_id::text, r.person_key, 'treatment')
  FROM bench.records r WHERE r.record_id = :r;
SQL
cat >"$work/plain_read500.sql" <<'SQL'
\set r random(1, 99500)
SELECT r.person_key, r.payload FROM bench.records r WHERE r.record_id BETWEEN :r AND :r + 499;
SQL
cat >"$work/audited_read500.sql" <<'SQL'
\set r random(1, 99500)
SELECT r.person_key, r.payload
  FROM (SELECT healthhub.audit_append('read', 'records', :r || '-' || :r + 499, NULL, 'treatment')) a(entry),
       bench.records r
 WHERE r.record_id BETWEEN :r AND :r + 499;
SQL
say "durable commits: audited vs plain read of 1 and of 500 rows, 1 and 8 clients ($reps x ${secs}s each)"
pairs 1 reads1 plain_read1 audited_read1; pairs 8 reads8 plain_read1 audited_read1
pairs 1 reads500_1 plain_read500 audited_read500; pairs 8 reads500_8 plain_read500 audited_read500
durability off
say "no flush (fsync off): audited vs plain insert, 1 and 8 clients ($reps x ${secs}s each)"
pairs 1 pairs1f; pairs 8 pairs8f

say "audit trail of $entries entries: load, seal, checkpoint"
# bulk-loaded as audit_append would write them: the entry and its queue row
psql_db bench_registry <<SQL
SET client_min_messages = warning;
SELECT healthhub.seal_audit(NULL, true) \g /dev/null
SELECT coalesce(max(entry_id), 0) AS before FROM healthhub.audit_entries \gset
INSERT INTO healthhub.audit_entries (role_name, session_role, institution_key, action, object_kind,
                                     object_id, person_key, purpose, outcome)
SELECT 'app', 'app', 1 + g % 100, 'record.read', 'record', g::text, g % 1000003, 'treatment', 'ok'
  FROM generate_series(1, $entries) g;
INSERT INTO healthhub.audit_queue (entry_id)
SELECT entry_id FROM healthhub.audit_entries WHERE entry_id > :before;
SQL
seal_start=$EPOCHREALTIME
psql_db bench_registry -c 'SELECT healthhub.seal_audit(NULL, true)' >/dev/null
seal_ms=$(( (${EPOCHREALTIME/./} - ${seal_start/./}) / 1000 ))
psql_db bench_registry -At -c 'SELECT healthhub.audit_checkpoint()' >"$work/checkpoint.json"
total=$(psql_db bench_registry -At -c 'SELECT count(*) FROM healthhub.audit_entries')
say "verify_audit over $total entries ($reps runs)"
for _ in $(seq "$reps"); do
  start=$EPOCHREALTIME
  ok=$(psql_db bench_registry -At -v cp="$(cat "$work/checkpoint.json")" <<<"SELECT bool_and(ok) FROM healthhub.verify_audit(:'cp'::jsonb);")
  [ "$ok" = t ] || { echo "verify_audit did not verify" >&2; exit 1; }
  echo $(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
done | median >"$work/verify_ms"
verify_ms=$(cat "$work/verify_ms")

mkdir -p "$top/bench/out"
{
  echo "healthhub registry and audit benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "scale $scale: $practitioners practitioners, $total audit entries; medians of $reps runs (insert ratios: median of $reps interleaved plain/audited pairs); pgbench -M prepared ${secs}s runs over the Unix socket"
  echo "insert figures with durable commits (fsync and synchronous_commit on); 'no flush' rows with fsync off"
  echo
  awk -v check="$check" -v probe="$probe" \
      -v p1="$(col_median 1 "$work/pairs1")" -v a1="$(col_median 2 "$work/pairs1")" -v r1="$(ratio_median "$work/pairs1")" \
      -v p8="$(col_median 1 "$work/pairs8")" -v a8="$(col_median 2 "$work/pairs8")" -v r8="$(ratio_median "$work/pairs8")" \
      -v p1f="$(col_median 1 "$work/pairs1f")" -v a1f="$(col_median 2 "$work/pairs1f")" -v r1f="$(ratio_median "$work/pairs1f")" \
      -v p8f="$(col_median 1 "$work/pairs8f")" -v a8f="$(col_median 2 "$work/pairs8f")" -v r8f="$(ratio_median "$work/pairs8f")" \
      -v q1p="$(col_median 1 "$work/reads1")" -v q1a="$(col_median 2 "$work/reads1")" -v q1r="$(ratio_median "$work/reads1")" \
      -v q8p="$(col_median 1 "$work/reads8")" -v q8a="$(col_median 2 "$work/reads8")" -v q8r="$(ratio_median "$work/reads8")" \
      -v m1p="$(col_median 1 "$work/reads500_1")" -v m1a="$(col_median 2 "$work/reads500_1")" -v m1r="$(ratio_median "$work/reads500_1")" \
      -v m8p="$(col_median 1 "$work/reads500_8")" -v m8a="$(col_median 2 "$work/reads500_8")" -v m8r="$(ratio_median "$work/reads500_8")" \
      -v total="$total" -v vms="$verify_ms" -v sms="$seal_ms" 'BEGIN {
    fmt = "%-44s | %12s | %12s | %6s | %-12s | %s\n"
    printf fmt, "figure", "healthhub", "baseline", "ratio", "target", "met?"
    printf fmt, "licence check, us/call (vs PK probe)", sprintf("%.2f", check), sprintf("%.2f", probe),
      sprintf("%.2fx", check / probe), "<5us, <=2x", (check < 5 && check / probe <= 2) ? "yes" : "NO"
    printf fmt, "insert latency, 1 client, ms (audited/plain)", sprintf("%.3f", 1000 / a1), sprintf("%.3f", 1000 / p1),
      sprintf("%.2fx", r1), "<= 1.50x", (r1 <= 1.5) ? "yes" : "NO"
    printf fmt, "insert throughput, 8 clients, tps", sprintf("%.0f", a8), sprintf("%.0f", p8),
      sprintf("%.2fx", 1 / r8), ">= 0.60x", (1 / r8 >= 0.6) ? "yes" : "NO"
    printf fmt, "  same, no flush: latency 1 client, ms", sprintf("%.3f", 1000 / a1f), sprintf("%.3f", 1000 / p1f),
      sprintf("%.2fx", r1f), "report", "-"
    printf fmt, "  same, no flush: throughput 8 clients", sprintf("%.0f", a8f), sprintf("%.0f", p8f),
      sprintf("%.2fx", 1 / r8f), "report", "-"
    printf fmt, "audited read of 1 row, 1 client, tps", sprintf("%.0f", q1a), sprintf("%.0f", q1p),
      sprintf("%.2fx", 1 / q1r), "report", "-"
    printf fmt, "audited read of 1 row, 8 clients, tps", sprintf("%.0f", q8a), sprintf("%.0f", q8p),
      sprintf("%.2fx", 1 / q8r), ">= 0.50x", (1 / q8r >= 0.5) ? "yes" : "NO"
    printf fmt, "audited read of 500 rows, 1 client, tps", sprintf("%.0f", m1a), sprintf("%.0f", m1p),
      sprintf("%.2fx", 1 / m1r), "report", "-"
    printf fmt, "audited read of 500 rows, 8 clients, tps", sprintf("%.0f", m8a), sprintf("%.0f", m8p),
      sprintf("%.2fx", 1 / m8r), ">= 0.80x", (1 / m8r >= 0.8) ? "yes" : "NO"
    printf fmt, "seal " total " entries, entries/s", sprintf("%.0f", total / (sms / 1000)), "-", "-", "report", "-"
    printf fmt, "verify_audit " total " entries, entries/s", sprintf("%.0f", total / (vms / 1000)), "-", "-", "report", "-"
  }'
} | tee "$top/bench/out/registry-results.txt"
say "results written to bench/out/registry-results.txt"
