#!/usr/bin/env bash
# The loading framework (src/platform/loading.sql) against a plain COPY
# (part of `make bench`; alone: BENCH_ONLY=loading make bench).
#   BENCH_SCALE x 1M practitioner rows (source_ref, resident_id, name) as one
#   CSV file; timed:
#     - framework: COPY into healthhub.stage_practitioners + load_registry()
#       (validation, set-based write, the load's one audit entry), delta;
#     - baseline: a plain COPY of the same file into healthhub.practitioners
#       itself (same indexes and triggers, each row audited by the trigger).
#   BENCH_SCALE x 1M person records (scripts/gen-population.pl) as one CSV
#   file; timed:
#     - framework: COPY into healthhub.stage_person_records + link_batch()
#       (preparation, validation, blocking, scoring, clustering, set-based
#       write, the load's one audit entry) into an empty person index;
#     - baseline: a plain COPY of what that load wrote (persons, records,
#       identifiers, blocking keys, link events, review queue) back into the
#       same tables, emptied, with their indexes and without the per-row
#       foreign-key triggers (link_batch skips them too).
#   Target: the framework within 3x of the plain COPY.  Each into empty
#   tables; commits are not durable (synchronous_commit = off), the same for
#   both.  Medians of BENCH_REPS runs (default 3; 1 at BENCH_SCALE >= 1).
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
scale=${BENCH_SCALE:-1}
n=$(awk -v s="$scale" 'BEGIN { n = s * 1000000; if (n < 1000) n = 1000; printf "%d", n }')
reps=${BENCH_REPS:-$(awk -v s="$scale" 'BEGIN { print (s >= 1) ? 1 : 3 }')}
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c client_min_messages=warning -c synchronous_commit=off"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-loading.XXXXXX")
cleanup() {
  rm -rf "$work"
  bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "generating $n practitioner rows (bench/gen-resident-ids.pl)"
perl "$top/bench/gen-resident-ids.pl" "$n" 7 | awk '{ printf "D%08d,%s,医生%d\n", NR, $1, NR }' >"$work/practitioners.csv"
psql_db postgres -c 'DROP DATABASE IF EXISTS bench_loading WITH (FORCE)' -c 'CREATE DATABASE bench_loading'
psql_db bench_loading >/dev/null <<'SQL'
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1);
-- (the baseline's COPY gives no source: the file's, as load_registry would)
ALTER TABLE healthhub.practitioners ALTER COLUMN source SET DEFAULT 'bench';
SQL
# (emptied without triggers: nothing refers to the bench's practitioners)
empty() { psql_db bench_loading -c 'SET session_replication_role = replica' -c 'DELETE FROM healthhub.practitioners' \
                                -c 'SELECT healthhub.clear_staging()' -c 'VACUUM ANALYZE healthhub.practitioners' >/dev/null; }

for i in $(seq "$reps"); do
  empty
  t0=$(now)
  psql_db bench_loading -c "\\copy healthhub.practitioners (source_ref, resident_id, name) FROM '$work/practitioners.csv' WITH (FORMAT csv)"
  t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/copy"
  [ "$(psql_db bench_loading -At -c 'SELECT count(*) FROM healthhub.practitioners')" = "$n" ]

  # the bare COPY: no trigger fires (no audit, no derived rights), only the
  # table's indexes and constraints
  empty
  t0=$(now)
  psql_db bench_loading -c 'SET session_replication_role = replica' \
    -c "\\copy healthhub.practitioners (source_ref, resident_id, name) FROM '$work/practitioners.csv' WITH (FORMAT csv)"
  t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/bare"

  empty
  digest=$( (sha256sum "$work/practitioners.csv"; echo "$i") | sha256sum | cut -c1-64)
  t0=$(now)
  psql_db bench_loading >"$work/load.out" <<SQL
\\copy healthhub.stage_practitioners (source_ref, resident_id, name) FROM '$work/practitioners.csv' WITH (FORMAT csv)
SELECT entity, staged, loaded, rejected FROM healthhub.load_registry('bench', 'sha256:$digest', 'delta') WHERE entity = 'practitioners';
SQL
  t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/load"
  loaded=$(psql_db bench_loading -At -c 'SELECT count(*) FROM healthhub.practitioners')
  [ "$loaded" = "$n" ] || { cat "$work/load.out"; echo "loaded $loaded of $n" >&2; exit 1; }
  say "run $i: plain COPY $(tail -1 "$work/copy") s, bare COPY $(tail -1 "$work/bare") s, framework $(tail -1 "$work/load") s"
done
copy=$(median <"$work/copy"); load=$(median <"$work/load"); bare=$(median <"$work/bare")
audit=$(psql_db bench_loading -At -c "SELECT count(*) FROM healthhub.audit_entries WHERE action LIKE 'practitioner.%'")
printf 'loading %d practitioner rows (scale %s, synchronous_commit off, median of %d):\n' "$n" "$scale" "$reps"
printf '  plain COPY into practitioners   %8.2f s  (%.0f rows/s; one audit entry per row)\n' "$copy" "$(echo "$n / $copy" | bc -l)"
printf '  COPY to staging + load_registry %8.2f s  (%.0f rows/s; one audit entry per load)\n' "$load" "$(echo "$n / $load" | bc -l)"
printf '  bare COPY, no trigger fires     %8.2f s  (%.0f rows/s; nothing audited, no rights derived)\n' "$bare" "$(echo "$n / $bare" | bc -l)"
printf '  ratio %.2fx to the plain COPY, %.2fx to the bare COPY (target <= 3x); practitioner.* entries in the trail: %s (all from the plain COPYs)\n' \
  "$(echo "$load / $copy" | bc -l)" "$(echo "$load / $bare" | bc -l)" "$audit"

# --- person records ---------------------------------------------------------
say "generating $n person records (scripts/gen-population.pl)"
perl "$top/scripts/gen-population.pl" --records "$n" --seed 42 | cut -d, -f1-9 >"$work/records.csv"
chmod 755 "$work"; chmod 644 "$work/records.csv"
index_tables='healthhub.persons, healthhub.source_records, healthhub.person_identifiers, healthhub.record_block_keys,
              healthhub.link_events, healthhub.link_decisions'
empty_index() { psql_db bench_loading -c "TRUNCATE $index_tables, healthhub.person_separations CASCADE" \
                                      -c 'TRUNCATE healthhub.stage_person_records' -c 'VACUUM ANALYZE' >/dev/null; }
for i in $(seq "$reps"); do
  empty_index
  t0=$(now)
  psql_db bench_loading >"$work/link.out" <<SQL
\\copy healthhub.stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region, other_identifiers) FROM '$work/records.csv' WITH (FORMAT csv, HEADER)
SELECT phase, seconds, rows FROM healthhub.link_batch('bench-persons', 'sha256:' || md5('persons') || md5('$n/$i'));
SQL
  t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/link"
  records=$(psql_db bench_loading -At -c 'SELECT count(*) FROM healthhub.source_records')
  # what the load wrote, as files for the baseline
  for t in persons source_records person_identifiers record_block_keys link_events link_decisions; do
    psql_db bench_loading -c "\\copy healthhub.$t TO '$work/$t.copy'"
  done
  empty_index
  t0=$(now)
  psql_db bench_loading >/dev/null <<SQL
SET session_replication_role = replica;
BEGIN;
\\copy healthhub.persons FROM '$work/persons.copy'
\\copy healthhub.source_records FROM '$work/source_records.copy'
\\copy healthhub.person_identifiers FROM '$work/person_identifiers.copy'
\\copy healthhub.record_block_keys FROM '$work/record_block_keys.copy'
\\copy healthhub.link_events FROM '$work/link_events.copy'
\\copy healthhub.link_decisions FROM '$work/link_decisions.copy'
COMMIT;
SQL
  t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/plain_index"
  [ "$(psql_db bench_loading -At -c 'SELECT count(*) FROM healthhub.source_records')" = "$records" ]
  say "run $i: COPY + link_batch $(tail -1 "$work/link") s ($records records linked), plain COPY of its result $(tail -1 "$work/plain_index") s"
done
link=$(median <"$work/link"); plain=$(median <"$work/plain_index")
printf 'loading %d person records (scale %s, synchronous_commit off, median of %d):\n' "$n" "$scale" "$reps"
printf '  COPY to staging + link_batch    %8.2f s  (%.0f records/s; validated, linked, one audit entry per load)\n' "$link" "$(echo "$n / $link" | bc -l)"
printf '  plain COPY of its result        %8.2f s  (%.0f records/s; the same rows into the same tables)\n' "$plain" "$(echo "$n / $plain" | bc -l)"
sed -n '/phase/,$p' "$work/link.out" | sed 's/^/    /'
printf '  ratio %.2fx to the plain COPY (target <= 3x)\n' "$(echo "$link / $plain" | bc -l)"
