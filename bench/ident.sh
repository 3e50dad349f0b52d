#!/usr/bin/env bash
# healthhub.resident_id against its baselines, all in one run (part of
# `make bench`; run alone with BENCH_ONLY=ident make bench).
#
#   BENCH_SCALE        1 = 1M values (default); may be fractional, e.g. 0.1
#   BENCH_REPS         timed runs per COPY variant (default 7); the short
#                      read-only figures run 2 x BENCH_REPS times; medians
#   BENCH_PGBENCH_REPS pgbench runs per variant (default 3; 0 skips pgbench)
#   BENCH_KEEP         1 = leave the cluster and database "bench" running
#
# Uses the embedded cluster "bench" (scripts/cluster.sh), a fresh database
# "bench" in it, and generated files in a private temporary directory.  The
# results table is printed and written to bench/out/ident-results.txt.
# See bench/README.md for what each figure means.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"    # sets top
# (scripts/bench.sh installs and builds first)

scale=${BENCH_SCALE:-1}
reps=${BENCH_REPS:-7}
pgreps=${BENCH_PGBENCH_REPS:-3}
keep=${BENCH_KEEP:-0}

die() { echo "bench: $*" >&2; exit 1; }
[[ $scale =~ ^[0-9]*\.?[0-9]+$ ]] || die "BENCH_SCALE must be a positive number, not '$scale'"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer"
[[ $pgreps =~ ^[0-9]+$ ]] || die "BENCH_PGBENCH_REPS must be a non-negative integer"
n=$(awk -v s="$scale" 'BEGIN { printf "%d", s * 1000000 + 0.5 }')
[ "$n" -ge 10000 ] || die "BENCH_SCALE too small (needs at least 10000 values)"
nkeys=$((n / 10))
qreps=$((2 * reps))                  # short read-only queries: more runs
plreps=$((reps < 3 ? reps : 3))      # COPY through the PL/pgSQL CHECK is slow
command -v perl >/dev/null || die "perl is required"

t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'; }

say "healthhub bench: scale $scale ($n values); runs: COPY $reps, queries $qreps, pgbench $pgreps"
load_start=$(loadavg)

# --- cluster ----------------------------------------------------------------
bash "$top/scripts/cluster.sh" start bench
# shellcheck disable=SC1091
. "$top/.hub/bench/env"
pgbin=$HUB_BINDIR
[ -x "$pgbin/psql" ] || pgbin=$(dirname "$(command -v psql)")
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
# Stable numbers: no JIT, no parallel query, sorts in memory.
export PGOPTIONS="-c jit=off -c max_parallel_workers_per_gather=0 -c max_parallel_maintenance_workers=0 -c work_mem=512MB -c client_min_messages=warning"
psql_db() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }

# --- data -------------------------------------------------------------------
# The server reads the files itself (COPY FROM a server-side file, the same
# for every variant), so they must be readable by the server's OS user: a
# private directory, world-traversable, files world-readable.
work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench.XXXXXX")
cleanup() {
  rm -rf "$work"
  if [ "$keep" != 1 ]; then
    bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
chmod 755 "$work"

say "generating $((2 * n)) resident IDs (bench/gen-resident-ids.pl)"
perl "$top/bench/gen-resident-ids.pl" $((2 * n)) >"$work/ids2.txt"
head -n "$n" "$work/ids2.txt" >"$work/ids.txt"
# the bigint baseline holds the 17-digit body (what resident_id stores)
cut -c1-17 "$work/ids2.txt" >"$work/bodies2.txt"
head -n "$n" "$work/bodies2.txt" >"$work/bodies.txt"
chmod 644 "$work"/*.txt
[ "$(wc -l <"$work/ids.txt")" -eq "$n" ] || die "generator produced too few lines"

psql_db postgres -c 'DROP DATABASE IF EXISTS bench WITH (FORCE)' -c 'CREATE DATABASE bench'
psql_db postgres -c 'ALTER DATABASE bench SET search_path = bench, healthhub, public'
if ! psql_db bench -c "SELECT pg_stat_file('$work/ids.txt')" >/dev/null 2>&1; then
  die "the server (OS user $HUB_OSUSER) cannot read $work; set TMPDIR to a directory it can traverse"
fi

say "loading tables, building indexes"
psql_db bench -v ids="$work/ids.txt" -v bodies="$work/bodies.txt" \
  -v ids2="$work/ids2.txt" -v bodies2="$work/bodies2.txt" -v n="$n" \
  -f "$top/bench/setup.sql" || die "setup failed (is the extension installed? run: make && make install)"

# --- timed runs (procedure bench.run in bench/setup.sql) --------------------
lit() { printf "'%s'" "${1//\'/\'\'}"; }   # SQL string literal
copy_stmt() { lit "COPY bench.$1 FROM '$2'"; }
truncate_stmt() { lit "TRUNCATE bench.$1"; }

say "COPY $n values: resident_id, bigint, text + regex CHECK ($reps runs each)"
psql_db bench -c "CALL bench.run('copy',
    ARRAY['resident_id', 'bigint', 'text_regex'],
    ARRAY[$(truncate_stmt copy_rid), $(truncate_stmt copy_big), $(truncate_stmt copy_txt_re)],
    ARRAY[$(copy_stmt copy_rid "$work/ids.txt"), $(copy_stmt copy_big "$work/bodies.txt"),
          $(copy_stmt copy_txt_re "$work/ids.txt")],
    $reps)"

say "COPY $n values: text + PL/pgSQL CHECK ($plreps runs)"
psql_db bench -c "CALL bench.run('copy', ARRAY['text_plpgsql'], ARRAY[$(truncate_stmt copy_txt_pl)],
    ARRAY[$(copy_stmt copy_txt_pl "$work/ids.txt")], $plreps, 0)"
psql_db bench -c 'TRUNCATE bench.copy_rid, bench.copy_big, bench.copy_txt_re, bench.copy_txt_pl'

say "validation cost over $n text values: none, cast, regex, is_valid_resident_id ($qreps runs each)"
psql_db bench -c "CALL bench.run('validate',
    ARRAY['no_check', 'cast', 'regex', 'is_valid'], ARRAY[NULL, NULL, NULL, NULL]::text[],
    ARRAY['SELECT count(v) FROM bench.src',
          'SELECT count(v::healthhub.resident_id) FROM bench.src',
          'SELECT count(v ~ ''^[0-9]{17}[0-9X]\$'') FROM bench.src',
          'SELECT count(healthhub.is_valid_resident_id(v)) FROM bench.src'],
    $qreps)"

say "sort $((2 * n)) values: resident_id, bigint ($qreps runs each)"
sortq() { lit "SELECT count(*) FROM (SELECT v FROM bench.$1 ORDER BY v OFFSET 0) s"; }
psql_db bench -c "CALL bench.run('sort', ARRAY['resident_id', 'bigint'], ARRAY[NULL, NULL]::text[],
    ARRAY[$(sortq sort_rid), $(sortq sort_big)], $qreps)"
# evidence that both sorted in memory the same way
sort_methods=$(for t in sort_rid sort_big; do
  psql_db bench -At -c "EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) SELECT count(*) FROM (SELECT v FROM bench.$t ORDER BY v OFFSET 0) s" |
    sed -n "s/^ *Sort Method: \(.*\)/  $t: \1/p"
done)
echo "$sort_methods"

say "$nkeys point lookups in a PL/pgSQL loop: resident_id, bigint ($qreps runs each)"
psql_db bench -c "CALL bench.run('lookup', ARRAY['resident_id', 'bigint'], ARRAY[NULL, NULL]::text[],
    ARRAY['SELECT bench.lookups_rid()', 'SELECT bench.lookups_big()'], $qreps)"

if [ "$pgreps" -gt 0 ]; then
  pgbench=$pgbin/pgbench
  [ -x "$pgbench" ] || pgbench=$(command -v pgbench) || die "pgbench not found (postgresql-contrib / postgresql-client)"
  say "$nkeys lookups via pgbench (1 client, prepared): resident_id, bigint ($pgreps runs each)"
  for ty in rid big; do
    cat >"$work/lookup_$ty.sql" <<SQL
\\set i random(1, :nkeys)
SELECT k FROM bench.pgkeys_$ty WHERE i = :i \\gset
SELECT payload FROM bench.lk_$ty WHERE v = :k;
SQL
  done
  for rep in $(seq 1 "$pgreps"); do
    for ty in rid big; do
      out=$("$pgbench" -n -M prepared -c 1 -t "$nkeys" -r -D nkeys="$nkeys" -f "$work/lookup_$ty.sql" bench 2>&1) ||
        { echo "$out" >&2; die "pgbench failed"; }
      # per-statement latency (ms) of the lookup, the last statement
      lat=$(echo "$out" | awk '/SELECT payload FROM/ { v = $1 } END { print v }')
      [ -n "$lat" ] || { echo "$out" >&2; die "could not read pgbench's statement latency"; }
      variant=$([ $ty = rid ] && echo resident_id || echo bigint)
      psql_db bench -c "INSERT INTO bench.sample VALUES ('pgbench', '$variant', $rep, $lat, $nkeys)"
    done
  done
fi

# --- sanity: every run processed every row ----------------------------------
bad=$(psql_db bench -At -c "
  SELECT string_agg(DISTINCT figure || '/' || variant || ' result ' || coalesce(result::text, 'NULL'), ', ')
  FROM bench.sample
  WHERE result IS DISTINCT FROM CASE figure WHEN 'sort' THEN 2 * $n
                                             WHEN 'lookup' THEN $nkeys
                                             WHEN 'pgbench' THEN $nkeys
                                             ELSE $n END")
[ -z "$bad" ] || die "unexpected row counts: $bad"

# --- report -----------------------------------------------------------------
load_end=$(loadavg)
build_note=
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  build_note="commit $(git -C "$top" rev-parse --short HEAD)"
  git -C "$top" diff --quiet HEAD -- src 2>/dev/null || build_note="$build_note + uncommitted changes in src/"
fi
installed_so="$("$HUB_BINDIR/pg_config" --pkglibdir 2>/dev/null || true)/healthhub.so"
if [ -f "$top/healthhub.so" ] && [ -f "$installed_so" ] && ! cmp -s "$top/healthhub.so" "$installed_so"; then
  build_note="$build_note; NOTE: the installed healthhub.so differs from ./healthhub.so (run make install)"
fi
mkdir -p "$top/bench/out"
out="$top/bench/out/ident-results.txt"
{
  echo "healthhub resident_id benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), ${build_note:-not a git checkout}"
  echo "$(psql_db bench -At -c 'SHOW server_version'), $(nproc) CPUs, load average $load_start at start, $load_end at end"
  echo "scale $scale = $n values; medians of $reps runs (COPY; $plreps for the PL/pgSQL CHECK), $qreps runs (queries),"\
       "$pgreps runs (pgbench); wall time $(($(date +%s) - t_start)) s"
  echo
  psql_db bench -P border=1 -P footer=off -f "$top/bench/report.sql"
  echo
  echo "sort methods (EXPLAIN ANALYZE):"
  echo "$sort_methods"
  echo "all runs, in order (ms; btree in bytes; pgbench in ms per lookup statement):"
  psql_db bench -At -c "
    SELECT format('  %-9s %-13s %s', figure, variant,
                  string_agg(round(value::numeric, CASE figure WHEN 'btree' THEN 0 WHEN 'pgbench' THEN 3 ELSE 1 END)::text,
                             ' ' ORDER BY rep))
    FROM bench.sample GROUP BY figure, variant
    ORDER BY min(ctid), figure, variant"
} >"$out"
echo
cat "$out"
echo
say "results written to bench/out/ident-results.txt"
