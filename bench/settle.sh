#!/usr/bin/env bash
# One-stop settlement (part of `make bench`; alone: BENCH_ONLY=settle make bench).
#   1. The engine (src/settle/settle_engine.c) in C on one core: 20-line
#      claims split per CPU second (bench/settle_engine.c), beside the same
#      claims' lines only classified and totalled.  Target: >= 50,000
#      (ten times the 5,000 cases a second a public DRG grouper claims).
#   2. The split through SQL (settlement_split on a 20-line claim as jsonb:
#      the 2206 pre-settlement, nothing written), 8 clients, claims per
#      second with p99 latency, beside pgbench's own TPC-B-like TPS on the
#      same cluster.  settle() (with its writes) is not built yet.
# BENCH_SETTLE_RUNS runs of each, alternating (default 3), BENCH_SETTLE_SECS
# seconds each (default 10); medians.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
runs=${BENCH_SETTLE_RUNS:-3}
secs=${BENCH_SETTLE_SECS:-10}
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-settle.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"; bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true' EXIT

say "engine: building bench/settle_engine.c; $runs x ${secs}s of each, alternating"
(cd "$top" && gcc -O2 -Wall -Isrc -o "$work/settle_engine" bench/settle_engine.c src/settle/settle_engine.c)
engine=(); lines=()
for i in $(seq 1 "$runs"); do
  engine+=("$("$work/settle_engine" settle "$secs" 2>/dev/null)")
  lines+=("$("$work/settle_engine" lines "$secs" 2>/dev/null)")
done

say "through SQL: settlement_split, 8 clients, alternating with TPC-B"
bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c client_min_messages=warning"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
psql_db postgres -c 'DROP DATABASE IF EXISTS bench_settle WITH (FORCE)' -c 'CREATE DATABASE bench_settle' \
                 -c 'DROP DATABASE IF EXISTS bench_tpcb WITH (FORCE)' -c 'CREATE DATABASE bench_tpcb'
psql_db bench_settle <<'SQL'
CREATE EXTENSION healthhub CASCADE;
-- 1,000 claims of 20 lines, an employee policy, years part used
CREATE TABLE public.claims AS
SELECT c, (SELECT jsonb_agg(jsonb_build_object('det_item_fee_sumamt', round(((c * 31 + k * 7919) % 500000) / 100.0, 2),
                                               'chrgitm_lv', '0' || (1 + (c + k) % 3), 'selfpay_prop', '0.1'))
             FROM generate_series(1, 20) k) AS lines,
       jsonb_build_object('funds', jsonb_build_object('310100', jsonb_build_object('deductible_met', (c % 800)::text)),
                          'account_balance', (c % 3000)::text) AS year
  FROM generate_series(1, 1000) c;
CREATE TABLE public.policy AS SELECT '{"basic": {"fund_pay_type": "310100", "dedc_std": "800", "bands": [{"upto": "50000", "ratio": "0.85"}, {"ratio": "0.9"}], "annual_cap": "500000"}, "tier2": {"fund_pay_type": "330100", "bands": [{"ratio": "0.5"}]}, "assistance": {"fund_pay_type": "610100", "bands": [{"ratio": "0.7"}], "annual_cap": "10000"}, "account_pays": true}'::jsonb AS p;
SQL
"$HUB_BINDIR/pgbench" -i -q -s 10 bench_tpcb >/dev/null 2>&1
cat >"$work/split.pgbench" <<'PGB'
\set c random(1, 1000)
SELECT healthhub.settlement_split(c.lines, p.p, c.year) ->> 'psn_cash_pay' FROM public.claims c, public.policy p WHERE c.c = :c;
PGB
split_tps=(); split_p99=(); tpcb_tps=()
for i in $(seq 1 "$runs"); do
  "$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T "$secs" -l --log-prefix="$work/split$i" -f "$work/split.pgbench" bench_settle >"$work/split$i.out" 2>&1
  split_tps+=("$(awk '/^tps = / { print $3 }' "$work/split$i.out")")
  split_p99+=("$(cat "$work"/split"$i".* 2>/dev/null | awk '{ print $3 / 1000 }' | sort -g | awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }')")
  tpcb_tps+=("$("$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T "$secs" bench_tpcb 2>/dev/null | awk '/^tps = / { print $3 }')")
done

e=$(median "${engine[@]}"); l=$(median "${lines[@]}")
s=$(median "${split_tps[@]}"); p=$(median "${split_p99[@]}"); t=$(median "${tpcb_tps[@]}")
echo
echo "healthhub settlement benchmark, $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) CPUs"
awk -v e="$e" -v l="$l" -v es="${engine[*]}" 'BEGIN {
  printf "engine, 20-line claims on one core: %d claims per CPU second vs lines only classified %d (%.3fx); target >= 50,000: %s\n",
         e, l, e / l, (e >= 50000) ? "met" : "NOT met";
  printf "  (runs: %s)\n", es }'
awk -v s="$s" -v p="$p" -v t="$t" 'BEGIN {
  printf "settlement_split through SQL, 8 clients: %.1f claims/s (p99 %.2f ms) vs TPC-B %.1f tps (%.2fx); settle() with its writes: not built yet\n",
         s, p, t, s / t }'
