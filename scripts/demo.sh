#!/usr/bin/env bash
# `make demo`: install what is missing, build, install, start the embedded
# temporary cluster, load the shipped reference data and a generated sample,
# run the hub's main job on it and show the result.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_deps
build_and_install

hub_step "start the embedded cluster"
# (from an empty data directory each time: the demo's roles outlive its
# databases, and a second `make demo` must work like the first)
bash "$top/scripts/cluster.sh" fresh demo
. "$top/.hub/demo/env"
psql_demo() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$HUB_SOCKDIR" -p "$HUB_PORT" -U "$HUB_DBUSER" "$@"; }

hub_step "create the hub: extension, shipped divisions, identity"
psql_demo -d postgres -c 'DROP DATABASE IF EXISTS healthhub_demo' -c 'CREATE DATABASE healthhub_demo'
psql_demo -d healthhub_demo <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1) AS hub_id;
SELECT count(*) AS shipped_divisions FROM healthhub.regions;
SQL

hub_step "generate the sample: ${DEMO_ARRIVALS:-200000} identifiers from five institutions"
start=$EPOCHREALTIME
psql_demo -d healthhub_demo -v arrivals="${DEMO_ARRIVALS:-200000}" -f "$top/scripts/demo/sample.sql"
echo "sample generated in $(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 )) ms"

hub_step "run the main job"
psql_demo -d healthhub_demo -f "$top/scripts/demo/main-job.sql"

hub_step "registry and audit trail"
psql_demo -d healthhub_demo -f "$top/scripts/demo/registry.sql"

hub_step "master person index: ${DEMO_RECORDS:-20000} generated records from 60 institutions"
records_csv=$(mktemp "${TMPDIR:-/tmp}/healthhub-demo-records.XXXXXX.csv")
perl "$top/scripts/gen-population.pl" --records "${DEMO_RECORDS:-20000}" --seed 42 >"$records_csv"
chmod 644 "$records_csv"
psql_demo -d healthhub_demo -c 'CREATE TABLE demo.truth (institution text, local_id text, true_person integer)' \
  -c "\\copy demo.truth FROM PROGRAM 'cut -d, -f1,2,10 $records_csv | tail -n +2' CSV" \
  -c "\\copy healthhub.stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region, other_identifiers) FROM PROGRAM 'cut -d, -f1-9 $records_csv' CSV HEADER"
psql_demo -d healthhub_demo -f "$top/scripts/demo/linkage.sql"
rm -f "$records_csv"

hub_step "health codes: issued in Shenzhen, verified offline in Beijing, a proxy holder, a forgery, a real EU DCC"
psql_demo -d postgres -c 'DROP DATABASE IF EXISTS healthhub_demo_beijing' -c 'CREATE DATABASE healthhub_demo_beijing'
psql_demo -d healthhub_demo_beijing -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION healthhub' \
  -c "SELECT healthhub.init_hub('110000', 1) AS beijing_hub" >/dev/null
# Shenzhen: a key, statuses, a grandmother bound to her grandson's phone, the codes his phone shows
psql_demo -d healthhub_demo -f "$top/scripts/demo/health-codes.sql"
public_key=$(psql_demo -d healthhub_demo -At -c 'SELECT encode(public_key, '"'hex'"') FROM healthhub.signing_keys')
trust_list=$(psql_demo -d healthhub_demo -At -c "SELECT encode(healthhub.export_trust_list(), 'hex')")
codes=$(psql_demo -d healthhub_demo -At -c 'SELECT string_agg(code::text, chr(10)) FROM demo.held_codes')
# (the public EU DCC test vectors, for the last check)
psql_demo -d healthhub_demo_beijing -c 'CREATE TABLE public.dcc_vectors (vector text, prefix text, certificate text,
    clock timestamptz, e1 text, e2 text, e3 text, e4 text, e5 text, e6 text, e7 text, e8 text, json text, cbor text)' \
  -c "\\copy public.dcc_vectors FROM '$top/data/dcc-testdata/vectors.csv' WITH (FORMAT csv, HEADER)" >/dev/null
# Beijing, without asking Shenzhen anything: its key once, its list, then the codes
psql_demo -d healthhub_demo_beijing -v key="$public_key" -v list="$trust_list" -v codes="$codes" <<'SQL'
\pset footer off
SELECT healthhub.trust_public_key('44030001', decode(:'key', 'hex'), tstzrange(now() - interval '1 day', NULL)) IS NOT NULL
       AS shenzhen_key_trusted;
SELECT healthhub.import_trust_list(decode(:'list', 'hex')) AS shenzhen_keys_after_import;
\echo 'Beijing verifies the codes of a Shenzhen phone (the holder''s own, and his grandmother''s):'
SELECT v.valid, v.issuer, v.kind, v.status, v.algorithm
  FROM unnest(string_to_array(:'codes', chr(10))) c, healthhub.verify_health_code(c) v;
\echo 'A forgery: one character of the first code changed'
SELECT v.valid, v.reason
  FROM (SELECT (string_to_array(:'codes', chr(10)))[1] AS c) x,
       healthhub.verify_health_code(overlay(x.c PLACING CASE WHEN substr(x.c, 60, 1) = 'A' THEN 'B' ELSE 'A' END
                                            FROM 60 FOR 1)) v;
\echo 'A real EU DCC (public test vector AT/1): its signer certificate trusted, verified at its clock'
SELECT healthhub.trust_certificate('AT', decode(certificate, 'base64')) IS NOT NULL AS at_signer_trusted
  FROM public.dcc_vectors WHERE vector = 'AT/1.json';
SELECT v.valid, v.kind, v.algorithm, v.claims->'nam'->>'fn' AS family_name, v.claims->'v'->0->>'dn' AS dose
  FROM public.dcc_vectors d, healthhub.verify_health_code(d.prefix, d.clock) v WHERE d.vector = 'AT/1.json';
SQL

hub_step "shared records: encounters loaded, a discharge summary read under consent, a reader refused, a re-test spared"
psql_demo -d healthhub_demo -f "$top/scripts/demo/records.sql"

hub_step "prescriptions: an online follow-up circulated to a pharmacy and dispensed once; a second dispense and an online narcotic refused"
psql_demo -d healthhub_demo -f "$top/scripts/demo/prescriptions.sql"

hub_step "settlement: an admission settled once, a cross-province visit on an unfiled trip, a reversal and a second settlement"
psql_demo -d healthhub_demo -f "$top/scripts/demo/settlement.sql"

cat <<EOT

healthhub demo is running.
  connect:  psql -h $HUB_SOCKDIR -p $HUB_PORT -U $HUB_DBUSER healthhub_demo
  try:      SELECT healthhub.resident_id_mask(id), healthhub.region_code_name(healthhub.resident_id_region(id)) FROM demo.person_index LIMIT 5;
            SELECT * FROM healthhub.review_queue LIMIT 5;
            SELECT institution, kind, online, state, prescriptions FROM healthhub.prescription_report;
  stop:     make stop
EOT
