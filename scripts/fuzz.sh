#!/usr/bin/env bash
# scripts/fuzz.sh -- build and run the libFuzzer harnesses in fuzz/ (make fuzz).
#
# Environment:
#   FUZZ_RUNS      executions per harness (default 10000000)
#   FUZZ_TARGETS   space-separated subset of harness names (default: all), e.g.
#                  FUZZ_TARGETS="uscc region_code"
#   FUZZ_MAX_LEN   override every harness's -max_len
#   FUZZ_LEAKS     0 turns leak checking off where it is on (health_code),
#                  for containers where LeakSanitizer cannot run (no ptrace)
#   FUZZ_CFLAGS    extra compiler flags
#   FUZZ_BUILD     build/output directory (default fuzz/build, or a per-user
#                  directory under ${TMPDIR:-/tmp} if that is not writable)
#   CC             compiler (default clang)
#
# Prints one line per harness: name, executions, seconds, result.  Exits 1 if
# any harness found something (its crash input is kept under
# $FUZZ_BUILD/artifacts/<name>/), 2 on a build or usage error.
set -u

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)

RUNS=${FUZZ_RUNS:-10000000}
CC=${CC:-clang}
ALL_TARGETS="resident_id uscc region_code health_identifier textnorm name_key record_fields health_code emr_ref drug_code prescription settle"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}

case $RUNS in
	''|*[!0-9]*) echo "fuzz.sh: FUZZ_RUNS must be a number, got '$RUNS'" >&2; exit 2 ;;
esac

# Default -max_len per harness: the identifiers are short, but the
# kind:issuer:value text and the folding input need room for padding and
# multi-byte characters; health codes are QR texts (the longest EU DCC test
# vector, an RSA-3072 signature, has 1093 characters).
max_len_for() {
	case $1 in
		health_identifier) echo 160 ;;
		textnorm) echo 96 ;;
		name_key) echo 300 ;;
		health_code) echo 1200 ;;
		emr_ref) echo 400 ;;
		prescription) echo 4200 ;;
		settle) echo 2000 ;;
		*) echo 64 ;;
	esac
}

# Leak checking: on for the harnesses whose code allocates.
leaks_for() {
	case $1 in
		health_code) echo "${FUZZ_LEAKS:-1}" ;;
		*) echo 0 ;;
	esac
}

# Build directory: fuzz/build (git-ignored) when we can write there; otherwise
# (a normal user on a checkout owned by root, or fuzz/build left by root) a
# private per-user directory.
pick_build_dir() {
	if [ -n "${FUZZ_BUILD:-}" ]; then
		echo "$FUZZ_BUILD"
		return
	fi
	local d="$ROOT/fuzz/build"
	if mkdir -p "$d" 2>/dev/null && [ -w "$d" ] && [ -x "$d" ]; then
		echo "$d"
	else
		echo "${TMPDIR:-/tmp}/healthhub-fuzz-$(id -u)"
	fi
}
BUILD=$(pick_build_dir)
if ! mkdir -p "$BUILD" || [ ! -w "$BUILD" ]; then
	echo "fuzz.sh: cannot write build directory $BUILD" >&2
	exit 2
fi
# if it is a shared temp path, make sure nobody else owns it
if [ ! -O "$BUILD" ] && [ "$BUILD" != "$ROOT/fuzz/build" ] && [ -z "${FUZZ_BUILD:-}" ]; then
	echo "fuzz.sh: $BUILD is not owned by $(id -un)" >&2
	exit 2
fi

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz.sh: $CC not found (need clang with libFuzzer: clang, libclang-rt-dev)" >&2
	exit 2
fi

CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc -Ifuzz -Wall -Wno-unused-function ${FUZZ_CFLAGS:-}"
SOURCES="fuzz/reference.c src/core/checkdigit.c src/core/textnorm.c
	src/ident/resident_id_parse.c src/ident/uscc_parse.c
	src/ident/region_code_parse.c src/ident/health_identifier_parse.c
	src/linkage/name_key.c src/linkage/compare.c src/linkage/record_fields.c
	src/healthcode/base45.c src/healthcode/zlib_codec.c src/healthcode/cbor_io.c
	src/healthcode/cbor_json.c src/healthcode/cose.c src/healthcode/cwt.c
	src/healthcode/cose_crypto.c src/healthcode/health_code.c
	src/records/emr_ref_parse.c src/rx/drug_code_parse.c src/rx/prescription_codec.c
	src/settle/settle_engine.c"
# the health code codec's libraries (Debian: libcbor-dev, zlib1g-dev, libssl-dev)
LIBS="-lcbor -lz -lcrypto -lm"

# Sanitizer behaviour: stop on the first error, print a symbolized stack.
# Leak checking is off where the code under test does not allocate (the
# identifier parsers), and can be turned off where it is on (FUZZ_LEAKS=0):
# LeakSanitizer cannot run under ptrace-restricted containers.  An
# ASAN_OPTIONS from the environment overrides all of this.
asan_options_for() {
	echo "${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=$(leaks_for "$1"):symbolize=1}"
}
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
printf '%-20s %12s %9s  %s\n' harness executions seconds result
for name in $TARGETS; do
	case " $ALL_TARGETS " in
		*" $name "*) ;;
		*) echo "fuzz.sh: unknown harness '$name' (have: $ALL_TARGETS)" >&2; exit 2 ;;
	esac
	bin="$BUILD/fuzz_$name"
	log="$BUILD/fuzz_$name.log"
	# (the prescription's JSON is read by PostgreSQL's own parser: libpgcommon,
	# built as a frontend library; postgresql-server-dev ships it)
	extra=""
	if [ "$name" = prescription ]; then
		pglib=$(pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)
		pginc=$(pg_config --includedir-server 2>/dev/null || echo /usr/include/postgresql/15/server)
		extra="-DFRONTEND -Wno-ignored-attributes -I$pginc src/rx/prescription_json.c $pglib/libpgcommon.a $pglib/libpgport.a"
	fi
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -o "$bin" "fuzz/fuzz_$name.c" $SOURCES $extra $LIBS >"$BUILD/fuzz_$name.build.log" 2>&1; then
		cat "$BUILD/fuzz_$name.build.log" >&2
		printf '%-20s %12s %9s  %s\n' "$name" - - "BUILD FAILED"
		status=2
		continue
	fi

	# Work on a copy of the seed corpus: new units go there, not into the repo.
	work="$BUILD/corpus/$name"
	artifacts="$BUILD/artifacts/$name"
	rm -rf "$work" "$artifacts"
	mkdir -p "$work" "$artifacts"
	if [ -d "fuzz/corpus/$name" ]; then
		cp -p fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	fi

	start=$(date +%s.%N)
	# (in a subshell, so that a crash's "Aborted" lands in the log)
	(
		ASAN_OPTIONS=$(asan_options_for "$name") "$bin" -runs="$RUNS" -max_len="${FUZZ_MAX_LEN:-$(max_len_for "$name")}" \
			-timeout=10 -print_final_stats=1 \
			-artifact_prefix="$artifacts/" "$work"
		exit $?
	) >"$log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ -z "$execs" ]; then
		# no final stats after a crash: take the last progress line
		execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	fi
	crash=$(ls "$artifacts" 2>/dev/null | head -n 1)
	if [ $rc -eq 0 ] && [ -z "$crash" ]; then
		result="ok"
	else
		[ $status -eq 0 ] && status=1
		if [ -n "$crash" ]; then
			result="FINDING: $artifacts/$crash (log: $log; reproduce: $bin $artifacts/$crash)"
		else
			result="FAILED (exit $rc, log: $log)"
		fi
	fi
	printf '%-20s %12s %9s  %s\n' "$name" "${execs:-?}" "$secs" "$result"
done
exit $status
