#!/usr/bin/env bash
# `make demo`: install what is missing, build, install, start the embedded
# temporary cluster, load the shipped reference data and a generated sample,
# run the hub's main job on it and show the result.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_deps
build_and_install

hub_step "start the embedded cluster"
bash "$top/scripts/cluster.sh" start demo
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

cat <<EOT

healthhub demo is running.
  connect:  psql -h $HUB_SOCKDIR -p $HUB_PORT -U $HUB_DBUSER healthhub_demo
  try:      SELECT healthhub.resident_id_mask(id), healthhub.region_code_name(healthhub.resident_id_region(id)) FROM demo.person_index LIMIT 5;
            SELECT * FROM healthhub.review_queue LIMIT 5;
  stop:     make stop
EOT
