#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other on the embedded cluster
# "bench"; each prints its figures next to its baselines from the same run.
#   BENCH_SCALE   1 = the sizes the issues name (1M identifiers, 10M audit
#                 entries); fractional values work, e.g. 0.1
#   BENCH_ONLY    run one suite: ident, registry, loading, linkage, linkage_paths
#                 healthcode, records, rx or settle
set -euo pipefail
. "$(dirname "$0")/common.sh"
ensure_deps
build_and_install
for suite in ident registry loading linkage linkage_paths healthcode records rx settle; do
  if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = "$suite" ]; then
    [ -f "$top/bench/$suite.sh" ] && bash "$top/bench/$suite.sh"
  fi
done
