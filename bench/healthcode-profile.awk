# Where a backend running verify_health_code() in a loop spends its time:
# reads `perf script` output of `perf record --call-graph dwarf` and puts
# each sample in one bucket by the frames on its stack (first match wins),
# printing the share of each.  Used by bench/healthcode.sh (BENCH_PROFILE=1).
function bucket(s) {
  if (s ~ / hc_key_from_public_der/) return "key parse per call (hc_key_from_public_der: d2i_PUBKEY)"
  if (s ~ / hc_verify/) return "signature check (hc_verify)"
  if (s ~ / hc_decode/) return "decode (hc_decode: Base45, zlib, COSE, CWT, JSON)"
  if (s ~ / hc_cose_tbs/) return "Sig_structure (hc_cose_tbs)"
  if (s ~ / check_signature/ && s ~ / SPI_/) return "SPI: keys of the kid (code_keys_of)"
  if (s ~ / check_state/ && s ~ / fmgr_sql/) return "SPI: code_revocation (SQL function, set up and planned per call)"
  if (s ~ / check_state/ && s ~ / SPI_/) return "SPI: code_replayed (PL/pgSQL)"
  if (s ~ / describe/) return "result: claims as jsonb, columns"
  if (s ~ / SPI_connect| SPI_finish| prepare_plans/) return "SPI connect/finish"
  if (s ~ / hh_verify_health_code/) return "rest of the call (signature hash, result row, frees)"
  if (s ~ / fmgr_security_definer/) return "SECURITY DEFINER + SET search_path"
  return "outside the call (the loop, the executor)"
}
function flush() {
  if (stack != "") { count[bucket(stack)]++; total++ }
  stack = ""
}
NF == 0 || /^[^ \t]/ { flush(); next }
{ stack = stack " " $2 }
END {
  flush()
  for (b in count) printf "  %5.1f%%  %s\n", 100 * count[b] / total, b | "sort -rn"
  close("sort -rn")
  printf "  (%d samples)\n", total
}
