#!/usr/bin/env bash
# Health code benchmarks (part of `make bench`; alone:
# BENCH_ONLY=healthcode make bench).  In the database bench_healthcode, one
# signing key per algorithm (EdDSA, ES256, SM2, PS256) and a code issued
# with each; each figure next to its baseline from the same run:
#   - verify_health_code() calls per second on one core, in one backend (a
#     loop of N calls in one statement timed with clock_timestamp(): no
#     client round trip), against raw OpenSSL verification of the same
#     signature over the same bytes with the same key, already loaded
#     (bench/raw_verify.c, built here against the codec in src/healthcode/);
#     target at least 0.7x for EdDSA, ES256 and SM2 (PS256: reported);
#     each also per second of CPU time used (the backend's
#     /proc/self/schedstat, the program's CLOCK_PROCESS_CPUTIME_ID), which
#     leaves out the time other work held the CPU;
#   - the same through pgbench -M prepared, 1 client, over the Unix socket
#     (round trip included): reported;
#   - what the C part of a verification costs without SQL (decode, key
#     parse, verify: bench/raw_verify.c's diagnostic modes): reported;
#   - issue_health_code() calls per second in one backend, against a raw
#     OpenSSL signature of the same bytes with the same key: reported.
#   BENCH_SCALE scales every run's duration (1: 1 s per verify run, 2 s per
#   pgbench run, 0.33 s per C part, 0.5 s per issue run; about 100 s in
#   all); BENCH_REPS pairs
#   (ours, raw) per algorithm (default 5); BENCH_PGBENCH_REPS pgbench runs
#   per algorithm (default 3, 0 skips); BENCH_HEALTHCODE_ALGS the algorithms
#   (default "EdDSA ES256 SM2 PS256"); BENCH_PROFILE=1 adds a perf profile of
#   a verifying backend per algorithm (root or perf_event_paranoid <= 0);
#   BENCH_KEEP=1 leaves the cluster up.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
scale=${BENCH_SCALE:-1}
reps=${BENCH_REPS:-5}
pgreps=${BENCH_PGBENCH_REPS:-3}
sub=$(( reps < 3 ? reps : 3 ))   # rounds with the C parts; issue pairs
algs=${BENCH_HEALTHCODE_ALGS:-EdDSA ES256 SM2 PS256}
secs=$(awk -v s="$scale" 'BEGIN { printf "%.3f", s }')
diag_secs=$(awk -v s="$scale" 'BEGIN { printf "%.3f", s / 3 }')
issue_secs=$(awk -v s="$scale" 'BEGIN { printf "%.3f", s / 2 }')
pg_secs=$(awk -v s="$scale" 'BEGIN { n = int(2 * s + 0.5); if (n < 1) n = 1; print n }')
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
col_median() { awk -v c="$1" '{ print $c }' "$2" | median; }
ratio_median() { awk -v a="$2" -v b="$3" '{ print $a / $b }' "$1" | median; }   # file col col
load_start=$(load)

work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-healthcode.XXXXXX")
say "building bench/raw_verify.c against the codec (src/healthcode/)"
(cd "$top" && gcc -O2 -Wall -Isrc -o "$work/raw_verify" bench/raw_verify.c \
   src/healthcode/base45.c src/healthcode/zlib_codec.c src/healthcode/cbor_io.c \
   src/healthcode/cbor_json.c src/healthcode/cose.c src/healthcode/cwt.c \
   src/healthcode/cose_crypto.c src/healthcode/health_code.c -lcbor -lz -lcrypto -lm)

bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c max_parallel_workers_per_gather=0 -c client_min_messages=warning"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
cleanup() {
  rm -rf "$work"
  [ "${BENCH_KEEP:-0}" = 1 ] || bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "database bench_healthcode: a signing key and a code per algorithm ($algs)"
psql_db postgres -c 'DROP DATABASE IF EXISTS bench_healthcode WITH (FORCE)' -c 'CREATE DATABASE bench_healthcode'
psql_db bench_healthcode -f "$top/bench/healthcode.sql" >/dev/null
for a in $algs; do
  # (one statement, one transaction each: each key is the newest when its code is issued)
  psql_db bench_healthcode -c "SELECT bench.make_code('$a')" >/dev/null
  psql_db bench_healthcode -At -c "SELECT encode(public_key, 'hex') FROM healthhub.signing_keys s JOIN bench.codes b USING (kid) WHERE b.alg = '$a'" >"$work/$a.spki"
  psql_db bench_healthcode -At -c "SELECT encode(private_key, 'hex') FROM healthhub.signing_keys s JOIN bench.codes b USING (kid) WHERE b.alg = '$a'" >"$work/$a.pkcs8"
  psql_db bench_healthcode -At -c "SELECT code FROM bench.codes WHERE alg = '$a'" >"$work/$a.code"
  printf 'SELECT (healthhub.verify_health_code(:code)).valid;\n' >"$work/$a.pgbench"
done
# nothing left for the audit sealer, nothing for autovacuum
psql_db bench_healthcode -c 'SELECT healthhub.seal_audit(NULL, true)' -c 'VACUUM ANALYZE' >/dev/null

# Each in-backend and raw run gives two rates: per second of the wall clock
# (the figures and their targets) and per second of CPU time the process
# used (a check: it leaves out the time other work held the CPU).
ours() {      # alg seconds -> "wall cpu" verifications/s in one backend
  # a short warm-up (plans, caches) sizes the timed run, in the same backend
  psql_db bench_healthcode -At -F ' ' -v a="$1" -v s="$2" <<'SQL'
SELECT wall AS warm FROM bench.verify_rate(:'a', 20) \gset
SELECT wall, cpu FROM bench.verify_rate(:'a', greatest(20, (:warm * :s)::integer));
SQL
}
raw() {       # mode alg seconds -> "wall cpu" ops/s of raw_verify
  local extra=()
  [ "$1" = sign ] && extra=("$work/$2.pkcs8")
  "$work/raw_verify" "$1" "$3" "$work/$2.spki" "$work/$2.code" "${extra[@]}" | awk '{ print $3, $4 }'
}
pgb() {       # alg -> tps of pgbench, 1 client
  "$HUB_BINDIR/pgbench" -n -M prepared -c 1 -j 1 -T "$pg_secs" -D code="$(cat "$work/$1.code")" \
    -f "$work/$1.pgbench" bench_healthcode 2>/dev/null | awk '/^tps = / { print $3 }'
}

# Rounds: for each algorithm in turn, in-backend, raw, then pgbench (in the
# first $pgreps rounds) and the C parts (in the first 3), so a slow moment
# of the machine hits every side.  pairs.ALG: ours_wall ours_cpu raw_wall raw_cpu.
say "verification: in-backend vs raw OpenSSL, $reps alternating pairs of ${secs}s per algorithm; pgbench in $pgreps and C parts in $sub of the rounds"
for i in $(seq "$reps"); do
  for a in $algs; do
    echo "$(ours "$a" "$secs") $(raw verify "$a" "$secs")" >>"$work/pairs.$a"
    if [ "$i" -le "$pgreps" ]; then pgb "$a" >>"$work/pgbench.$a"; fi
    if [ "$i" -le "$sub" ]; then
      for m in hc_verify parse decode c_path; do
        raw "$m" "$a" "$diag_secs" >>"$work/diag.$a.$m"
      done
    fi
  done
  say "  round $i/$reps (in-backend/raw, per wall second): $(for a in $algs; do tail -1 "$work/pairs.$a" | awk -v a="$a" '{ printf "%s %.0f/%.0f  ", a, $1, $3 }'; done)"
done

# BENCH_PROFILE=1: perf (call graphs by DWARF) on a backend verifying in a
# loop, each sample put in one bucket (bench/healthcode-profile.awk).
if [ "${BENCH_PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
  prof_secs=$(awk -v s="$scale" 'BEGIN { n = 3 * s; if (n < 1) n = 1; printf "%.1f", n }')
  for a in $algs; do
    say "profile of verify_health_code($a), ${prof_secs}s"
    rm -f "$work/pid"
    n=$(awk -v r="$(col_median 1 "$work/pairs.$a")" -v s="$prof_secs" 'BEGIN { printf "%d", r * (s + 2) }')
    psql_db bench_healthcode -At -v a="$a" -v n="$n" -v pidf="$work/pid" >/dev/null <<'SQL' &
SELECT pg_backend_pid() \g :pidf
SELECT bench.verify_rate(:'a', 20);
SELECT bench.verify_rate(:'a', :n);
SQL
    for _ in $(seq 50); do [ -s "$work/pid" ] && break; sleep 0.1; done
    sleep 0.5
    perf record --call-graph dwarf,16384 -F 499 -o "$work/perf.data" -p "$(cat "$work/pid")" -- sleep "$prof_secs" >/dev/null 2>&1
    wait
    { echo "$a:"; perf script -i "$work/perf.data" 2>/dev/null | awk -f "$top/bench/healthcode-profile.awk"; } | tee -a "$work/profile"
  done
fi

# Issuing signs with the newest key valid now: the keys were made in the
# order of $algs, so the last is the newest; each is ended (end_signing_key,
# from the current whole second: codes carry whole seconds) after its runs,
# which makes the one before it the newest.
rev=$(echo "$algs" | tr ' ' '\n' | tac | tr '\n' ' ')
say "issuing: issue_health_code() in one backend vs raw OpenSSL sign, $sub alternating pairs of ${issue_secs}s per algorithm"
for a in $rev; do
  for _ in $(seq "$sub"); do
    o=$(psql_db bench_healthcode -At -F ' ' -v a="$a" -v s="$issue_secs" <<'SQL'
SELECT wall AS warm FROM bench.issue_rate(:'a', 5) \gset
SELECT wall, cpu FROM bench.issue_rate(:'a', greatest(5, (:warm * :s)::integer));
SQL
)
    echo "$o $(raw sign "$a" "$issue_secs")" >>"$work/issue.$a"
  done
  psql_db bench_healthcode -c "SELECT healthhub.end_signing_key(kid, date_trunc('second', now())) FROM bench.codes WHERE alg = '$a'" >/dev/null
done
load_end=$(load)

mkdir -p "$top/bench/out"
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$top" diff --quiet HEAD -- src 2>/dev/null || commit="$commit+uncommitted src"
{
  echo "healthhub health code benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $(nproc) CPUs, $(openssl version 2>/dev/null || echo OpenSSL)"
  echo "load average at start $load_start, at end $load_end (one core is used; above ~1 other work competed)"
  echo "scale $scale: medians of $reps alternating pairs (in-backend ${secs}s, raw ${secs}s; ratio = median of per-pair ratios);"
  echo "pgbench -M prepared -c 1 $pgreps x ${pg_secs}s; C parts $sub x ${diag_secs}s; issue $sub pairs of ${issue_secs}s"
  echo
  fmt='%-42s | %10s | %10s | %6s | %-8s | %s\n'
  row() { printf "$fmt" "$@"; }
  fx() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
  rx() { awk -v x="$1" 'BEGIN { printf "%.2fx", x }'; }
  met() { if [ "$1" = PS256 ]; then echo "report -"; else awk -v q="$2" 'BEGIN { print ">=_0.70x", (q >= 0.7) ? "yes" : "NO" }'; fi; }
  row "figure" "healthhub" "baseline" "ratio" "target" "met?"
  for a in $algs; do
    f=$work/pairs.$a
    q=$(ratio_median "$f" 1 3); read -r t m <<<"$(met "$a" "$q")"
    row "$a verify in-backend, /s (vs raw)" "$(fx "$(col_median 1 "$f")")" "$(fx "$(col_median 3 "$f")")" "$(rx "$q")" "${t//_/ }" "$m"
    q=$(ratio_median "$f" 2 4); read -r t m <<<"$(met "$a" "$q")"
    row "  the same per CPU-second" "$(fx "$(col_median 2 "$f")")" "$(fx "$(col_median 4 "$f")")" "$(rx "$q")" "${t//_/ }" "$m"
    if [ -s "$work/pgbench.$a" ]; then
      p=$(median <"$work/pgbench.$a"); r=$(col_median 3 "$f")
      row "  pgbench 1 client, /s (vs raw)" "$(fx "$p")" "$(fx "$r")" "$(rx "$(awk -v p="$p" -v r="$r" 'BEGIN { print p / r }')")" report -
    fi
    if [ -s "$work/diag.$a.c_path" ]; then
      c=$(col_median 2 "$work/diag.$a.c_path"); r=$(col_median 4 "$f")
      row "  C path, no SQL, per CPU-second (vs raw)" "$(fx "$c")" "$(fx "$r")" "$(rx "$(awk -v c="$c" -v r="$r" 'BEGIN { print c / r }')")" report -
    fi
    f=$work/issue.$a
    row "$a issue in-backend, /s (vs raw sign)" "$(fx "$(col_median 1 "$f")")" "$(fx "$(col_median 3 "$f")")" "$(rx "$(ratio_median "$f" 1 3)")" report -
  done
  if [ "$sub" -gt 0 ]; then
    echo
    echo "where a verification's time goes, us of CPU per call (medians; C parts from bench/raw_verify.c):"
    fmt2='%-6s | %9s | %9s | %9s | %9s | %9s | %10s | %9s\n'
    # shellcheck disable=SC2059
    printf "$fmt2" "alg" "raw EVP" "hc_verify" "key parse" "decode" "C path" "in-backend" "SQL etc."
    us() { awk -v x="$1" 'BEGIN { printf "%.1f", 1e6 / x }'; }
    for a in $algs; do
      o=$(col_median 2 "$work/pairs.$a"); c=$(col_median 2 "$work/diag.$a.c_path")
      # shellcheck disable=SC2059
      printf "$fmt2" "$a" "$(us "$(col_median 4 "$work/pairs.$a")")" "$(us "$(col_median 2 "$work/diag.$a.hc_verify")")" \
        "$(us "$(col_median 2 "$work/diag.$a.parse")")" "$(us "$(col_median 2 "$work/diag.$a.decode")")" "$(us "$c")" "$(us "$o")" \
        "$(awk -v o="$o" -v c="$c" 'BEGIN { printf "%.1f", 1e6 / o - 1e6 / c }')"
    done
    echo "(raw EVP: the baseline loop; hc_verify: the codec's, key loaded; key parse: hc_key_from_public_der;"
    echo " decode: hc_decode + hc_cose_tbs; C path: decode + key parse + hc_verify + signature hash, as verify.c"
    echo " does; SQL etc. = in-backend - C path: the three SPI queries, SECURITY DEFINER with SET search_path,"
    echo " the result row and its jsonb, the loop)"
  fi
  echo
  echo "all runs, per second (verify: in-backend/raw, wall then CPU; pgbench: tps; issue: in-backend/raw sign, wall):"
  for a in $algs; do
    echo "  $a verify wall: $(awk '{ printf "%.0f/%.0f  ", $1, $3 }' "$work/pairs.$a")"
    echo "  $a verify CPU:  $(awk '{ printf "%.0f/%.0f  ", $2, $4 }' "$work/pairs.$a")"
    [ -s "$work/pgbench.$a" ] && echo "  $a pgbench:    $(awk '{ printf "%.0f  ", $1 }' "$work/pgbench.$a")"
    echo "  $a issue:      $(awk '{ printf "%.0f/%.0f  ", $1, $3 }' "$work/issue.$a")"
    if [ -s "$work/diag.$a.c_path" ]; then
      echo "  $a C parts, per CPU-second: $(for m in hc_verify parse decode c_path; do printf '%s %s  ' "$m" "$(awk '{ printf "%.0f/", $2 }' "$work/diag.$a.$m" | sed 's,/$,,')"; done)"
    fi
  done
  if [ -s "$work/profile" ]; then
    echo
    echo "profile (BENCH_PROFILE=1): share of a verifying backend's samples, perf --call-graph dwarf:"
    cat "$work/profile"
  fi
} | tee "$top/bench/out/healthcode-results.txt"
say "results written to bench/out/healthcode-results.txt"
