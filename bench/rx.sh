#!/usr/bin/env bash
# Electronic prescriptions (part of `make bench`; alone: BENCH_ONLY=rx make bench).
#   1. Input validation: a 5-line prescription's text read into
#      healthhub.prescription (PostgreSQL's JSON parser, the structural
#      rules in C), per prescription, against the same texts read as jsonb
#      (the scan of the texts subtracted from both).  Target: under 5 us.
#   2. Stress: BENCH_SCALE x 100k prescriptions circulated to any designated
#      pharmacy, 16 pharmacy clients each trying to dispense random ones
#      (twice as many attempts as prescriptions), then counted from the
#      tables: dispenses per prescription, states, dispense counters.
#      Target: zero double dispenses.
#   3. issue -> sign -> review -> circulate -> dispense through SQL, each
#      step by its own role, 8 clients (pgbench), prescriptions per second,
#      against pgbench's own TPC-B-like TPS on the same cluster (scale 10,
#      8 clients).  It runs on the hub the stress run left (its prescriptions
#      vacuumed and analysed, as a live hub's are), so the duplicate-therapy
#      check reads each patient's history.  BENCH_RX_RUNS runs of each,
#      alternating (default 3), BENCH_RX_SECS seconds each (default 20);
#      medians.  Target: >= 0.5x.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
scale=${BENCH_SCALE:-1}
nrx=$(awk -v s="$scale" 'BEGIN { n = s * 100000; if (n < 1000) n = 1000; printf "%d", n }')
runs=${BENCH_RX_RUNS:-3}
secs=${BENCH_RX_SECS:-20}
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }

bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c client_min_messages=warning"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-rx.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"; bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true' EXIT

say "setting up: a hospital, 16 designated pharmacies, 10,000 patients"
psql_db postgres -c 'DROP DATABASE IF EXISTS bench_rx WITH (FORCE)' -c 'CREATE DATABASE bench_rx' \
                 -c 'DROP DATABASE IF EXISTS bench_tpcb WITH (FORCE)' -c 'CREATE DATABASE bench_tpcb'
psql_db postgres >/dev/null <<'SQL'
DO $$
BEGIN
    FOR i IN 0..16 LOOP
        EXECUTE format('DROP ROLE IF EXISTS bench_rx_%s', i);
        EXECUTE format('CREATE ROLE bench_rx_%s', i);
    END LOOP;
    DROP ROLE IF EXISTS bench_rx_doc; CREATE ROLE bench_rx_doc;
END $$;
SQL
psql_db bench_rx >/dev/null <<'SQL'
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1);
-- pharmacy 0 is the hospital's own (its pharmacist reviews); 1..16 are retail pharmacies
INSERT INTO healthhub.institutions (name, kind, level, region, source, source_ref, valid)
VALUES ('bench hospital', 'hospital', '3', '440303', 'bench', 'BH', '[2000-01-01,)');
INSERT INTO healthhub.institutions (name, kind, region, source, source_ref, valid)
SELECT 'bench pharmacy ' || g, 'retail_pharmacy', '440305', 'bench', 'BP' || g, '[2000-01-01,)' FROM generate_series(1, 16) g;
INSERT INTO healthhub.designated_pharmacies (institution_key, period, evidence)
SELECT institution_key, '[2000-01-01,)', 'bench' FROM healthhub.institutions WHERE source_ref LIKE 'BP%';
CREATE TABLE public.bench_staff (n integer PRIMARY KEY, role name, institution bigint, practitioner bigint);
INSERT INTO public.bench_staff
SELECT g, CASE WHEN g < 0 THEN 'bench_rx_doc' ELSE 'bench_rx_' || g END, i.institution_key, NULL
  FROM generate_series(-1, 16) g
  JOIN healthhub.institutions i ON i.source_ref = CASE WHEN g <= 0 THEN 'BH' ELSE 'BP' || g END;
WITH p AS (INSERT INTO healthhub.practitioners (name, source, source_ref)
           SELECT 'bench ' || n, 'bench', n::text FROM public.bench_staff RETURNING practitioner_key, source_ref)
UPDATE public.bench_staff s SET practitioner = p.practitioner_key FROM p WHERE p.source_ref = s.n::text;
WITH l AS (INSERT INTO healthhub.licences (licence_no, practitioner_key, kind, validity)
           SELECT 'BENCH-' || (n + 1), practitioner, CASE WHEN n < 0 THEN 'physician' ELSE 'pharmacist' END, '[2000-01-01,)'
             FROM public.bench_staff RETURNING licence_key, licence_no)
INSERT INTO healthhub.registrations (licence_key, institution_key, role, period)
SELECT l.licence_key, s.institution, 'primary', '[2000-01-01,)' FROM l JOIN public.bench_staff s ON l.licence_no = 'BENCH-' || (s.n + 1);
SELECT healthhub.grant_profile(role::regrole, CASE WHEN n < 0 THEN 'clinician' ELSE 'pharmacist' END, institution) FROM public.bench_staff;
INSERT INTO healthhub.drugs (drug_code, generic_name, dosage_form, source)
SELECT ('XC08CA' || chr(65 + g) || '00' || g || 'A001010100001')::healthhub.drug_code, 'bench drug ' || g, '片剂', 'bench'
  FROM generate_series(0, 9) g;
SELECT count(healthhub.link_record('BH', 'bp-' || g, '张' || chr(19968 + g % 5000) || chr(19968 + g / 5000 + 100), '1',
                                   '1970-01-01'::date + g, NULL, '139' || lpad(g::text, 8, '0'), '440303'))
  FROM generate_series(1, 10000) g;
CREATE SEQUENCE public.bench_rx_seq;
GRANT ALL ON public.bench_staff, public.bench_rx_seq TO PUBLIC;
-- a prescription's text: one drug of ten, 7 days, written now
CREATE FUNCTION public.bench_rx_text(n bigint, lines integer DEFAULT 1) RETURNS text LANGUAGE sql AS $f$
    SELECT jsonb_build_object('hosp_rxno', 'B-' || n, 'rx_type_code', '3',
                              'prsc_time', to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                              'valid_days', 3, 'biz_type_code', '01', 'fstdiag_flag', '0',
                              'diseinfo', jsonb_build_array(jsonb_build_object('diag_code', 'I10')),
                              'rxdrugdetail', (SELECT jsonb_agg(jsonb_build_object(
                                  'med_list_codg', 'XC08CA' || chr((65 + (n + k) % 10)::integer) || '00' || (n + k) % 10 || 'A001010100001',
                                  'sin_doscnt', 5, 'sin_dosunt', 'mg', 'used_frqu_codg', 'qd', 'medc_days', 7,
                                  'drug_totlnt', 35)) FROM generate_series(0, lines - 1) k))::text
$f$;
-- the same one-line text as a hospital system sends it (formatted, not built as jsonb: the
-- lifecycle's figure should not include building the message)
CREATE FUNCTION public.bench_rx_sent(n bigint) RETURNS text LANGUAGE sql AS $f$
    SELECT format('{"hosp_rxno": "B-%s", "rx_type_code": "3", "prsc_time": "%s", "valid_days": 3, "biz_type_code": "01", '
                  '"fstdiag_flag": "0", "diseinfo": [{"diag_code": "I10"}], "rxdrugdetail": [{"med_list_codg": "%s", '
                  '"sin_doscnt": 5, "sin_dosunt": "mg", "used_frqu_codg": "qd", "medc_days": 7, "drug_totlnt": 35}]}',
                  n, to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                  'XC08CA' || chr((65 + n % 10)::integer) || '00' || n % 10 || 'A001010100001')
$f$;
-- a dispense attempt of pharmacy c: 'ok' or the SQLSTATE of the refusal
CREATE FUNCTION public.bench_try_dispense(c integer, prescription bigint) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    who public.bench_staff;
BEGIN
    SELECT * INTO who FROM public.bench_staff WHERE n = c;
    EXECUTE format('SET LOCAL ROLE %I', who.role);
    PERFORM healthhub.dispense_prescription(prescription, who.practitioner);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$f$;
SQL

# ------------------------------------------------------------ 1. validation
say "validation: 100,000 five-line prescriptions as text, as healthhub.prescription and as jsonb"
psql_db bench_rx -At -F '|' >"$work/validation" <<'SQL'
CREATE TEMP TABLE texts AS SELECT public.bench_rx_text(g, 5) AS t FROM generate_series(1, 100000) g;
VACUUM ANALYZE texts;
CREATE TEMP TABLE t (what text, ms double precision);
CREATE FUNCTION pg_temp.timed(what text, q text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t0 timestamptz; BEGIN
    t0 := clock_timestamp();
    EXECUTE q;
    INSERT INTO pg_temp.t VALUES (what, extract(epoch FROM clock_timestamp() - t0) * 1000);
END $f$;
SELECT pg_temp.timed('warm', 'SELECT count(t::healthhub.prescription) FROM texts') \g /dev/null
SELECT pg_temp.timed('scan', 'SELECT count(length(t)) FROM texts'),
       pg_temp.timed('prescription', 'SELECT count(t::healthhub.prescription) FROM texts'),
       pg_temp.timed('jsonb', 'SELECT count(t::jsonb) FROM texts')
  FROM generate_series(1, 5) \g /dev/null
SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM pg_temp.t WHERE what <> 'warm' GROUP BY what;
SELECT 'bytes', avg(length(t)) FROM texts;
SQL
declare -A val
while IFS="|" read -r k v; do [ -n "$k" ] && val[$k]=$v; done <"$work/validation"

# ------------------------------------------------------------ 2. stress
say "stress: $nrx prescriptions circulated to any pharmacy, 16 pharmacy clients, $((nrx * 2)) attempts"
psql_db bench_rx -v n="$nrx" >/dev/null <<'SQL'
-- written directly: the prescriptions as the lifecycle leaves them, circulated to any designated pharmacy
SET session_replication_role = replica;
CREATE TABLE public.bench_stress (n integer PRIMARY KEY, prescription bigint);
WITH p AS (
    INSERT INTO healthhub.prescriptions (person_key, record_id, institution_key, rxno, prescriber_key, content, state,
                                         issued_at, valid_until, signature, pharmacist_key, reviewed_at, circulated_at)
    SELECT s.person_key, s.record_id, s.institution_key, 'S-' || g, (SELECT practitioner FROM public.bench_staff WHERE n = -1),
           replace(public.bench_rx_text(g), '"B-', '"S-')::healthhub.prescription, 'circulated', now(), now() + interval '3 days',
           'SM2:bench', (SELECT practitioner FROM public.bench_staff WHERE n = 0), now(), now()
      FROM generate_series(1, :n) g
      JOIN healthhub.source_records s ON s.source = 'BH' AND s.local_id = 'bp-' || (1 + g % 10000)
    RETURNING prescription_key, rxno)
INSERT INTO public.bench_stress SELECT substr(rxno, 3)::integer, prescription_key FROM p;
RESET session_replication_role;
GRANT SELECT ON public.bench_stress TO PUBLIC;
VACUUM ANALYZE healthhub.prescriptions;
SQL
cat >"$work/stress.pgbench" <<PGB
\set k random(1, $nrx)
SELECT public.bench_try_dispense(:client_id % 16 + 1, (SELECT prescription FROM public.bench_stress WHERE n = :k));
PGB
t0=$(date +%s.%N)
"$HUB_BINDIR/pgbench" -n -c 16 -j 2 -t $((nrx * 2 / 16)) -f "$work/stress.pgbench" bench_rx >"$work/stress.out" 2>&1
t_stress=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
psql_db bench_rx -At -F '|' >"$work/stress" <<'SQL'
SELECT 'dispensed', count(*) FILTER (WHERE p.state = 'dispensed') FROM healthhub.prescriptions p JOIN public.bench_stress s ON s.prescription = p.prescription_key;
SELECT 'dispenses', count(*) FROM healthhub.dispenses d JOIN public.bench_stress s ON s.prescription = d.prescription_key;
SELECT 'doubles', count(*) FROM (SELECT d.prescription_key FROM healthhub.dispenses d JOIN public.bench_stress s ON s.prescription = d.prescription_key
                                  GROUP BY 1 HAVING count(*) > 1) x;
SELECT 'mismatched', count(*) FROM healthhub.prescriptions p JOIN public.bench_stress s ON s.prescription = p.prescription_key
 WHERE p.dispenses_done <> (SELECT count(*) FROM healthhub.dispenses d WHERE d.prescription_key = p.prescription_key)
    OR (p.state = 'dispensed') <> (p.dispenses_done = 1);
SQL
declare -A st
while IFS='|' read -r k v; do st[$k]=$v; done <"$work/stress"
attempts=$(awk '/number of transactions actually processed/ { split($NF, a, "/"); print a[1] }' "$work/stress.out")
# ------------------------------------------------------------ 3. throughput
say "throughput: issue -> sign -> review -> circulate -> dispense, 8 clients, $runs x ${secs}s, alternating with TPC-B"
psql_db bench_rx -c 'VACUUM ANALYZE healthhub.prescriptions, healthhub.prescription_events, healthhub.dispenses'
"$HUB_BINDIR/pgbench" -i -q -s 10 bench_tpcb >/dev/null 2>&1
cat >"$work/rx.pgbench" <<'PGB'
\set patient random(1, 10000)
\set pharmacy random(1, 16)
SET ROLE bench_rx_doc;
SELECT prescription_key AS rx FROM healthhub.issue_prescription('BH', 'bp-' || :patient, public.bench_rx_sent(nextval('public.bench_rx_seq'))::healthhub.prescription, (SELECT practitioner FROM public.bench_staff WHERE n = -1)) \gset
SELECT healthhub.sign_prescription(:rx, 'SM2:bench');
RESET ROLE;
SET ROLE bench_rx_0;
SELECT healthhub.review_prescription(:rx, (SELECT practitioner FROM public.bench_staff WHERE n = 0), true);
SELECT healthhub.circulate_prescription(:rx, (SELECT institution FROM public.bench_staff WHERE n = :pharmacy));
RESET ROLE;
SET ROLE bench_rx_:pharmacy;
SELECT healthhub.dispense_prescription(:rx, (SELECT practitioner FROM public.bench_staff WHERE n = :pharmacy));
RESET ROLE;
PGB
rx_tps=(); tpcb_tps=()
for i in $(seq 1 "$runs"); do
  rx_tps+=("$("$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T "$secs" -f "$work/rx.pgbench" bench_rx 2>"$work/rx.err" | awk '/^tps = / { print $3 }')")
  tpcb_tps+=("$("$HUB_BINDIR/pgbench" -n -c 8 -j 2 -T "$secs" bench_tpcb 2>/dev/null | awk '/^tps = / { print $3 }')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rx_med=$(median "${rx_tps[@]}"); tpcb_med=$(median "${tpcb_tps[@]}")
flows=$(psql_db bench_rx -At -c "SELECT count(*) FROM healthhub.prescriptions WHERE state = 'dispensed' AND rxno LIKE 'B-%'")


echo
echo "healthhub prescriptions benchmark, $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) CPUs"
awk -v p="${val[prescription]}" -v j="${val[jsonb]}" -v s="${val[scan]}" -v b="${val[bytes]}" 'BEGIN {
  pu = (p - s) * 1000 / 100000; ju = (j - s) * 1000 / 100000;
  printf "validation of a 5-line prescription (%d bytes of JSON): %.2f us in C vs jsonb parse %.2f us (%.2fx); target < 5 us: %s\n",
         b, pu, ju, pu / ju, (pu < 5) ? "met" : "NOT met" }'
awk -v r="$rx_med" -v t="$tpcb_med" -v rs="${rx_tps[*]}" -v ts="${tpcb_tps[*]}" -v f="$flows" 'BEGIN {
  printf "issue -> sign -> review -> circulate -> dispense, 8 clients: %.1f prescriptions/s vs TPC-B %.1f tps (%.2fx); target >= 0.5x: %s\n",
         r, t, r / t, (r / t >= 0.5) ? "met" : "NOT met";
  printf "  (runs: %s vs %s; %d prescriptions dispensed through the lifecycle)\n", rs, ts, f }'
printf 'stress: %s prescriptions, 16 pharmacies, %s attempts in %s s: %s dispensed, %s dispenses, double dispenses: %s, counters off: %s; target 0: %s\n' \
  "$nrx" "${attempts:-?}" "$t_stress" "${st[dispensed]}" "${st[dispenses]}" "${st[doubles]}" "${st[mismatched]}" \
  "$([ "${st[doubles]}" = 0 ] && [ "${st[mismatched]}" = 0 ] && echo met || echo 'NOT met')"
if [ -s "$work/rx.err" ] && grep -q 'ERROR' "$work/rx.err"; then
  echo "pgbench errors in the lifecycle runs:"; grep 'ERROR' "$work/rx.err" | sort | uniq -c | head -5
fi
