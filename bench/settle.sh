#!/usr/bin/env bash
# One-stop settlement (part of `make bench`; alone: BENCH_ONLY=settle make bench).
#   1. The engine (src/settle/settle_engine.c) in C on one core: 20-line
#      claims split per CPU second (bench/settle_engine.c), beside the same
#      claims' lines only classified and totalled.  Target: >= 50,000
#      (ten times the 5,000 cases a second a public DRG grouper claims).
#   2. The split through SQL (settlement_split on a 20-line claim as jsonb:
#      the engine's function, nothing read or written), 8 clients, claims
#      per second with p99 latency, beside pgbench's own TPC-B-like TPS.
#   3. settle() through SQL: 20-line claims of 10,000 insured persons
#      (submitted beforehand), each settled by its hospital's role, 8
#      clients, settlements per second with p99 latency, beside TPC-B.
#      Target: >= 0.5x.  Then the same with the smart audit's seven rule
#      kinds on, every line checked against each: what the audit costs
#      (duplicate billing fires, a person's claims billing the same items
#      within the hour; the bench's items carry no other limits).
# BENCH_SETTLE_RUNS runs of each, alternating (default 3), BENCH_SETTLE_SECS
# seconds each (default 10), after a 3 s untimed run of settle() and of TPC-B;
# medians.
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
say "settle(): 10,000 insured persons, 70,000 claims of 20 lines"
psql_db bench_settle <<'SQL'
SELECT healthhub.init_hub('440300', 1);
INSERT INTO healthhub.institutions (name, kind, level, region, source, source_ref, valid)
VALUES ('bench hospital', 'hospital', '3', '440303', 'bench', 'BH', '[2000-01-01,)');
DROP ROLE IF EXISTS bench_settle_app; CREATE ROLE bench_settle_app;
SELECT healthhub.grant_profile('bench_settle_app', 'institution_app', institution_key) FROM healthhub.institutions;
INSERT INTO healthhub.settle_policies (insuplc_admdvs, insutype, valid, account_pays, basis)
VALUES ('440300', '310', '[2000-01-01,)', true, 'bench');
INSERT INTO healthhub.settle_fund_rules (policy_key, stage, fund_pay_type, dedc_std, bands, annual_cap)
SELECT policy_key, v.stage, v.fund, v.dedc, v.bands::jsonb, v.cap FROM healthhub.settle_policies,
       (VALUES ('basic', '310100', 800, '[{"upto": 50000, "ratio": 0.85}, {"ratio": 0.9}]', 500000),
               ('tier2', '330100', 0, '[{"ratio": 0.5}]', NULL)) v(stage, fund, dedc, bands, cap);
INSERT INTO healthhub.settle_catalogues (mdtrtarea_admvs, valid, basis) VALUES ('440000', '[2000-01-01,)', 'bench');
-- the smart audit's rule kinds, off until the audited runs
INSERT INTO healthhub.settle_audit_rules (rule_id, kind, severity, params, enabled, basis)
SELECT 'B-' || k, k, 'deny', CASE WHEN k = 'duplicate_billing' THEN '{"window_days": "3"}' ELSE '{}' END::jsonb, false, 'bench'
  FROM unnest(ARRAY['quantity_over_days', 'sex_restricted', 'age_restricted', 'duplicate_billing',
                    'restricted_without_approval', 'diagnosis_mismatch', 'prescription_not_reviewed']) k;
INSERT INTO healthhub.settle_items (catalogue_key, med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt)
SELECT catalogue_key, 'ITEM' || g, 'item ' || g, '0' || (1 + g % 3), CASE WHEN g % 3 = 1 THEN 0.1 ELSE 0 END,
       CASE WHEN g % 4 = 0 THEN 150 END
  FROM healthhub.settle_catalogues, generate_series(1, 20) g;
SELECT count(healthhub.link_record('BH', 'bs-' || g, '王' || chr(19968 + g % 5000) || chr(19968 + g / 5000 + 100), '1',
                                   '1970-01-01'::date + g, NULL, '138' || lpad(g::text, 8, '0'), '440303'))
  FROM generate_series(1, 10000) g;
INSERT INTO healthhub.insured_persons (person_key, insutype, insuplc_admdvs, psn_type, acct_balance)
SELECT DISTINCT person_key, '310', '440300'::healthhub.region_code, 'in_service', 3000 FROM healthhub.source_records WHERE source = 'BH';
-- the claims as a hospital system submits them (written directly here, to keep the setup short)
SET session_replication_role = replica;
CREATE TABLE public.bench_claims (n integer PRIMARY KEY, claim bigint);
WITH c AS (
    INSERT INTO healthhub.claims (person_key, institution_key, mdtrt_id, begntime)
    SELECT s.person_key, s.institution_key, 'MZ-' || g, now() - interval '1 hour'
      FROM generate_series(1, 70000) g JOIN healthhub.source_records s ON s.source = 'BH' AND s.local_id = 'bs-' || (1 + g % 10000)
    RETURNING person_key, claim_key, mdtrt_id)
INSERT INTO public.bench_claims SELECT substr(mdtrt_id, 4)::integer, claim_key FROM c;
INSERT INTO healthhub.claim_lines (person_key, claim_key, line_no, med_list_codg, det_item_fee_sumamt, cnt)
SELECT c.person_key, c.claim_key, k, 'ITEM' || k, round((50 + (c.claim_key + k * 37) % 500)::numeric, 2), 1
  FROM healthhub.claims c, generate_series(1, 20) k;
RESET session_replication_role;
VACUUM ANALYZE;
CREATE SEQUENCE public.bench_next;
GRANT SELECT ON public.bench_claims TO PUBLIC;
GRANT USAGE ON SEQUENCE public.bench_next TO PUBLIC;
SQL
cat >"$work/settle.pgbench" <<'PGB'
SET ROLE bench_settle_app;
SELECT healthhub.settle(b.claim, 'B-' || b.n) ->> 'psn_cash_pay' FROM public.bench_claims b WHERE b.n = (SELECT nextval('public.bench_next'));
RESET ROLE;
PGB
"$HUB_BINDIR/pgbench" -i -q -s 10 bench_tpcb >/dev/null 2>&1
cat >"$work/split.pgbench" <<'PGB'
\set c random(1, 1000)
SELECT healthhub.settlement_split(c.lines, p.p, c.year) ->> 'psn_cash_pay' FROM public.claims c, public.policy p WHERE c.c = :c;
PGB
# pgbench with a latency log: "tps p99_ms" of one run of script $1 (p99 from the log's microseconds)
run_logged() {
  local name=$1 out="$work/$1.$2"
  "$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T "$secs" -l --log-prefix="$out.log" -f "$work/$name.pgbench" bench_settle >"$out.out" 2>&1
  printf '%s %s\n' "$(awk '/^tps = / { print $3 }' "$out.out")" \
    "$(cat "$out".log.* | awk '{ print $3 / 1000 }' | sort -g | awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }')"
}
audit_rules() { psql_db bench_settle -c "UPDATE healthhub.settle_audit_rules SET enabled = $1 WHERE basis = 'bench'"; }
# a short untimed run of each first: the first run of a fresh database is slower
# (its first settlements' pages and hint bits), whichever comes first
"$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T 3 -f "$work/settle.pgbench" bench_settle >/dev/null 2>&1
"$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T 3 bench_tpcb >/dev/null 2>&1
split_tps=(); split_p99=(); settle_tps=(); settle_p99=(); audited_tps=(); audited_p99=(); tpcb_tps=()
for i in $(seq 1 "$runs"); do
  read -r t p < <(run_logged split "$i"); split_tps+=("$t"); split_p99+=("$p")
  read -r t p < <(run_logged settle "$i"); settle_tps+=("$t"); settle_p99+=("$p")
  audit_rules true
  read -r t p < <(run_logged settle "audited.$i"); audited_tps+=("$t"); audited_p99+=("$p")
  audit_rules false
  tpcb_tps+=("$("$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T "$secs" bench_tpcb 2>/dev/null | awk '/^tps = / { print $3 }')")
done
check=$(psql_db bench_settle -At -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE reversed_at IS NULL),
    (SELECT coalesce(sum(amount), 0) FROM healthhub.ledger_lines),
    (SELECT count(*) FROM healthhub.insured_years y WHERE y.paid <> (SELECT coalesce(sum(f.fund_payamt), 0)
        FROM healthhub.settlement_funds f WHERE f.person_key = y.person_key AND f.fund_pay_type = y.fund_pay_type))
  FROM healthhub.settlements")

e=$(median "${engine[@]}"); l=$(median "${lines[@]}")
s=$(median "${split_tps[@]}"); p=$(median "${split_p99[@]}"); t=$(median "${tpcb_tps[@]}")
st=$(median "${settle_tps[@]}"); sp=$(median "${settle_p99[@]}")
at=$(median "${audited_tps[@]}"); ap=$(median "${audited_p99[@]}")
echo
echo "healthhub settlement benchmark, $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) CPUs"
awk -v e="$e" -v l="$l" -v es="${engine[*]}" 'BEGIN {
  printf "engine, 20-line claims on one core: %d claims per CPU second vs lines only classified %d (%.3fx); target >= 50,000: %s\n",
         e, l, e / l, (e >= 50000) ? "met" : "NOT met";
  printf "  (runs: %s)\n", es }'
awk -v s="$s" -v p="$p" -v t="$t" 'BEGIN {
  printf "settlement_split through SQL, 8 clients: %.1f claims/s (p99 %.2f ms) vs TPC-B %.1f tps (%.2fx)\n", s, p, t, s / t }'
awk -v s="$st" -v p="$sp" -v t="$t" -v ss="${settle_tps[*]}" -v ts="${tpcb_tps[*]}" 'BEGIN {
  printf "settle() through SQL, 8 clients, 20-line claims: %.1f settlements/s (p99 %.2f ms) vs TPC-B %.1f tps (%.2fx); target >= 0.5x: %s\n",
         s, p, t, s / t, (s / t >= 0.5) ? "met" : "NOT met";
  printf "  (runs: %s vs %s)\n", ss, ts }'
awk -v s="$at" -v p="$ap" -v t="$t" -v u="$st" -v ss="${audited_tps[*]}" 'BEGIN {
  printf "settle() with the seven audit rules on: %.1f settlements/s (p99 %.2f ms) vs TPC-B %.1f tps (%.2fx); %.2fx of settle() without them\n",
         s, p, t, s / t, s / u;
  printf "  (runs: %s)\n", ss }'
read -r n live ledger off <<<"$check"
printf '  after the runs: %s settlements, ledger sum %s, years off their settlements: %s\n' "$n" "$ledger" "$off"
