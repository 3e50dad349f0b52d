#!/usr/bin/env bash
# Rewrite the generated blocks of docs/*.md from a database where healthhub
# is installed (psql's usual PG* settings choose it):
#   <!-- generated: NAME -->  ...  <!-- end generated: NAME -->
# is replaced by the output of docs/generated/NAME.sql.  t/009 fails when a
# block differs from what its query gives on a fresh install.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
for doc in "$top"/docs/*.md; do
  for name in $(grep -o '<!-- generated: [a-z_]* -->' "$doc" | awk '{print $3}'); do
    body=$(psql -X -At -v ON_ERROR_STOP=1 -f "$top/docs/generated/$name.sql")
    BODY="$body" NAME="$name" perl -0pi -e \
      's/(<!-- generated: $ENV{NAME} -->\n).*?(<!-- end generated: $ENV{NAME} -->)/$1$ENV{BODY}\n$2/s' "$doc"
    echo "$doc: $name"
  done
done
