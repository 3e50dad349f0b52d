#!/usr/bin/env bash
# Linkage quality on the three paths applications use (part of `make bench`;
# alone: BENCH_ONLY=linkage_paths make bench).  One held-out generated
# extract (PATHS_RECORDS records, default 36000: twins, homophones,
# traditional characters, 15-digit numbers, children under a parent's
# number), linked into an empty index three ways with the same trained model:
#   - one link_batch() of the whole extract;
#   - one link_batch() per institution, institution after institution;
#   - link_record() once per record, in arrival order, each committed.
# Each path prints pairwise precision, recall and the review-queue share
# against the generator's truth, next to two exact-match baselines on the
# same records, and how many persons were given two resident ID numbers.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
records=${PATHS_RECORDS:-36000}
sample=${PATHS_SAMPLE:-20000}
t_start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - t_start)) "$*"; }

bash "$top/scripts/cluster.sh" start bench
. "$top/.hub/bench/env"
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
export PGOPTIONS="-c jit=off -c client_min_messages=warning"
psql_db() { "$HUB_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-bench-paths.XXXXXX")
chmod 755 "$work"
cleanup() {
  rm -rf "$work"
  bash "$top/scripts/cluster.sh" stop bench >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "generating a held-out extract of $records records (seed 11) and a training sample of $sample (seed 7)"
perl "$top/scripts/gen-population.pl" --records "$records" --seed 11 >"$work/extract.csv"
perl "$top/scripts/gen-population.pl" --records "$sample" --seed 7 >"$work/sample.csv"
chmod 644 "$work"/*.csv
cut -d, -f1 "$work/extract.csv" | tail -n +2 | sort -u >"$work/institutions"

# The template every path starts from: the extension, the hub, a model
# trained on the sample (linked with the neutral model, then emptied), the
# truth and the extract in a table of its own.
psql_db postgres -c 'DROP DATABASE IF EXISTS paths_template WITH (FORCE)' -c 'CREATE DATABASE paths_template'
psql_db paths_template <<SQL
SET client_min_messages = warning;
CREATE EXTENSION healthhub CASCADE;
SELECT healthhub.init_hub('440300', 1);
CREATE SCHEMA bench;
CREATE TABLE bench.truth (institution text, local_id text, true_person integer);
\copy bench.truth FROM PROGRAM 'cut -d, -f1,2,10 $work/extract.csv | tail -n +2' CSV
CREATE INDEX ON bench.truth (institution, local_id);
CREATE TABLE bench.extract (LIKE healthhub.stage_person_records INCLUDING IDENTITY);
\copy bench.extract (institution, local_id, name, sex, birth_date, identifier, phone, address_region, other_identifiers) FROM PROGRAM 'cut -d, -f1-9 $work/extract.csv' CSV HEADER
\copy healthhub.stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region, other_identifiers) FROM PROGRAM 'cut -d, -f1-9 $work/sample.csv' CSV HEADER
SQL
psql_db paths_template -c "SELECT count(*) FROM healthhub.link_batch('training-sample', 'sha256:' || md5('sample') || md5('$sample'))" >/dev/null
model=$(psql_db paths_template -At -c 'SELECT healthhub.train_linkage()')
psql_db paths_template -c 'TRUNCATE healthhub.link_events, healthhub.record_block_keys, healthhub.link_decisions,
    healthhub.person_identifiers, healthhub.person_separations, healthhub.source_records, healthhub.persons,
    healthhub.loads, healthhub.load_errors CASCADE'
say "model $model trained on the sample"

fresh_db() {
  psql_db postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 TEMPLATE paths_template"
}
stage() {   # db, WHERE clause over bench.extract
  psql_db "$1" -c "INSERT INTO healthhub.stage_person_records (line_no, institution, local_id, name, sex, birth_date,
                       identifier, phone, address_region, other_identifiers)
                   SELECT line_no, institution, local_id, name, sex, birth_date, identifier, phone, address_region,
                          other_identifiers FROM bench.extract WHERE $2"
}
measure() {  # db, path label, seconds
  psql_db "$1" -At -F' ' -f "$top/bench/linkage_quality.sql" | sed "s/^/$2 $3 /" >>"$work/quality"
}
ms_since() { echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 )); }

say "path 1: one link_batch of the whole extract"
fresh_db paths_one
stage paths_one true
t=$EPOCHREALTIME
psql_db paths_one -c "SELECT count(*) FROM healthhub.link_batch('extract', 'sha256:' || md5('extract') || md5('one'))" >/dev/null
measure paths_one one_batch "$(ms_since "$t")"

say "path 2: one link_batch per institution ($(wc -l <"$work/institutions") institutions)"
fresh_db paths_each
t=$EPOCHREALTIME
while read -r inst; do
  stage paths_each "institution = '$inst'"
  psql_db paths_each -c "SELECT count(*) FROM healthhub.link_batch('extract-$inst', 'sha256:' || md5('$inst') || md5('each'))" >/dev/null
done <"$work/institutions"
measure paths_each batch_per_institution "$(ms_since "$t")"

say "path 3: link_record once per record, in arrival order, each committed"
fresh_db paths_record
psql_db paths_record <<'SQL'
CREATE PROCEDURE bench.link_each() LANGUAGE plpgsql AS $$
DECLARE
    n record;
BEGIN
    FOR n IN SELECT * FROM bench.extract ORDER BY line_no LOOP
        BEGIN
            PERFORM healthhub.link_record(n.institution, n.local_id, n.name, nullif(n.sex, ''),
                        healthhub.birth_date_or_null(n.birth_date), n.identifier, nullif(n.phone, ''),
                        n.address_region, string_to_array(nullif(n.other_identifiers, ''), ';'));
        EXCEPTION WHEN invalid_parameter_value OR null_value_not_allowed OR invalid_text_representation THEN
            NULL;   -- a record link_batch would report as a bad row
        END;
        COMMIT;
    END LOOP;
END
$$;
SQL
t=$EPOCHREALTIME
psql_db paths_record -c 'CALL bench.link_each()'
measure paths_record link_record "$(ms_since "$t")"

mkdir -p "$top/bench/out"
{
  echo "healthhub linkage quality on three paths, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "held-out extract: $records generated records (seed 11); model $model trained on $sample records (seed 7)"
  echo
  awk '
    { key = $1 SUBSEP $3; tp[key] = $4; pred[key] = $5; tru[key] = $6; secs[$1] = $2 / 1000
      if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    END {
      fmt = "%-22s | %9s | %9s | %9s | %9s | %9s | %9s | %9s | %7s | %s\n"
      printf fmt, "path", "precision", "recall", "review", "persons", "two nos.", "prec. no.", "prec. nbs", "seconds", "targets met?"
      for (i = 1; i <= n; i++) {
        p = order[i]
        prec = tp[p, "healthhub"] / pred[p, "healthhub"]; rec = tp[p, "healthhub"] / tru[p, "healthhub"]
        rq = tp[p, "review"] / pred[p, "review"]
        met = (prec >= 0.995 && rec >= 0.98 && rq < 0.02) ? "yes" : "NO"
        printf fmt, p, sprintf("%.4f", prec), sprintf("%.4f", rec), sprintf("%.4f", rq), tp[p, "persons"],
          tp[p, "two_numbers"], sprintf("%.4f", tp[p, "exact_number"] / pred[p, "exact_number"]),
          sprintf("%.4f", tp[p, "exact_name_birth_sex"] / pred[p, "exact_name_birth_sex"]), sprintf("%.1f", secs[p]), met
      }
      p = order[1]
      printf "\nbaselines on the same records (recall): exact number %.4f, exact name+birth+sex %.4f\n",
        tp[p, "exact_number"] / tru[p, "exact_number"], tp[p, "exact_name_birth_sex"] / tru[p, "exact_name_birth_sex"]
      print "targets on every path: precision >= 0.995, recall >= 0.98, review queue < 2% of records;"
      print "\"two nos.\": persons whose records carry two different valid resident ID numbers (must be 0)"
    }' "$work/quality"
} | tee "$top/bench/out/linkage-paths-results.txt"
psql_db postgres -c 'DROP DATABASE IF EXISTS paths_one WITH (FORCE)' -c 'DROP DATABASE IF EXISTS paths_each WITH (FORCE)' \
  -c 'DROP DATABASE IF EXISTS paths_record WITH (FORCE)' -c 'DROP DATABASE IF EXISTS paths_template WITH (FORCE)' >/dev/null
say "results written to bench/out/linkage-paths-results.txt"
