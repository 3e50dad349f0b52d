#!/usr/bin/env bash
# `make test`: install what is missing, build, install, then run the whole
# suite (pg_regress, isolation, TAP) against a fresh temporary cluster.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
#
# As root the suite runs as the `postgres` OS user (initdb refuses root) on a
# copy of the tree in a directory that user can write.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_deps
build_and_install

if [ "$(id -u)" -eq 0 ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-test.XXXXXX")
  tar -C "$top" --exclude=./.hub --exclude=./.git -cf - . | tar -C "$work" -xf -
  chown -R postgres "$work"
  chmod 755 "$work"
  rc=0
  runuser -u postgres -- bash "$work/scripts/run-suite.sh" || rc=$?
  # keep the failure evidence where the user looks for it
  rm -rf "$top/.hub/test-results"
  if [ $rc -ne 0 ]; then
    for f in regression.diffs output_iso/regression.diffs tmp_check/log .hub/test/server.log; do
      if [ -e "$work/$f" ]; then
        mkdir -p "$top/.hub/test-results/$(dirname "$f")"
        cp -r "$work/$f" "$top/.hub/test-results/$f"
      fi
    done
    echo "healthhub: failure details in .hub/test-results/" >&2
  fi
  rm -rf "$work"
  exit $rc
else
  exec bash "$top/scripts/run-suite.sh"
fi
