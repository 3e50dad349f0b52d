#!/bin/sh
# Turn data/regions.csv into the INSERT that the install script carries, so
# CREATE EXTENSION needs no file access.  Build-time only.
set -eu
awk -F, '
function q(s) { if (s == "") return "NULL"; gsub(/\047/, "\047\047", s); return "\047" s "\047" }
function n(s) { return s == "" ? "NULL" : s }
NR == 1 { if ($0 != "code,name,level,parent,kind,valid_from,valid_to,successor") { print "unexpected header: " $0 > "/dev/stderr"; exit 1 }; next }
NF != 8 { print "line " NR ": expected 8 fields" > "/dev/stderr"; exit 1 }
{
  rows[++count] = "(" q($1) "," q($2) "," q($3) "," q($4) "," q($5) "," n($6) "," n($7) "," q($8) ",\047shipped\047)"
}
END {
  print "-- generated from data/regions.csv by scripts/regions-to-sql.sh; do not edit"
  print "INSERT INTO healthhub.regions (code, name, level, parent, kind, valid_from, valid_to, successor, origin) VALUES"
  for (i = 1; i <= count; i++) print rows[i] (i < count ? "," : ";")
}' "$1"
