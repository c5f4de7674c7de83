#!/bin/sh
# Fuzz the recording readers with libFuzzer for a bounded time (CI):
#   sh tests/fuzz/run.sh [SECONDS] [HARNESS...]   (default 60; fuzz_line fuzz_sidefiles)
# Builds each harness with clang straight from the sources it needs (the
# library's code gets coverage instrumentation this way), seeds it from the
# fixture recordings and its smoke corpus (tests/fuzz/corpus/line and
# sidefiles: every input a fuzzer ever crashed on), and fails on any crash,
# leak or sanitizer report (-error_exitcode=1: libFuzzer's default exit 77
# would count as a skip). Prints each harness's executions; a crash leaves
# its input in $AIPM_FUZZ_ARTIFACTS (default: the work directory), to be
# added to the corpus once fixed.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-fuzz_line fuzz_sidefiles}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aipm-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v clang >/dev/null || { echo "fuzz: clang not found; apt-get install clang libclang-rt-14-dev"; exit 1; }
cat >"$work/aipm_config.h" <<'H'
#define AIPM_HAVE_PLOTS 0
#define AIPM_HAVE_SERVE 0
H
# aipm.h includes the version header meson generates; nothing here uses it.
: >"$work/aipm_version.h"
lib="$src/src/lib"
sources="$lib/record/format.c $lib/record/line.c $lib/record/line_keys.c $lib/record/line_fast.c
	$lib/record/line_dom.c $lib/record/lines.c $lib/record/reader.c $lib/record/scan.c $lib/record/names.c
	$lib/record/sidefiles.c $lib/record/sidelines.c $lib/record/phase_edges.c $lib/record/reorder.c
	$lib/analysis/series.c $lib/analysis/summary.c
	$lib/analysis/summary_meta.c $lib/analysis/summary_out.c $lib/analysis/summary_rows.c $lib/analysis/summary_estimate.c $lib/analysis/out.c $lib/analysis/cursor.c
	$lib/analysis/phases.c $lib/analysis/phases_out.c $lib/export/flatten.c $lib/export/csv.c
	$lib/error.c $lib/util.c"
rc=0
for h in $harnesses; do
	# shellcheck disable=SC2086
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$work" -I"$src/include" -I"$lib" $(pkg-config --cflags libcjson) \
		"$src/tests/fuzz/$h.c" $sources $(pkg-config --libs libcjson) -lm -pthread -o "$work/$h"
	mkdir -p "$work/corpus-$h"
	if [ "$h" = fuzz_line ]; then
		for f in "$src"/tests/fixtures/recordings/*/power_metrics.json; do
			cp "$f" "$work/corpus-$h/$(basename "$(dirname "$f")")"
		done
		cp "$src"/tests/fuzz/corpus/line/* "$work/corpus-$h/"
	else
		cp "$src"/tests/fuzz/corpus/sidefiles/* "$work/corpus-$h/"
	fi
	if ! "$work/$h" -error_exitcode=1 -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="${AIPM_FUZZ_ARTIFACTS:-$work/}" "$work/corpus-$h" \
		2>"$work/$h.log"; then
		rc=1
		grep -E "runtime error|ERROR: AddressSanitizer|ERROR: LeakSanitizer" -A8 "$work/$h.log" | head -40
		tail -5 "$work/$h.log"
		echo "$h: FAILED; the input is in ${AIPM_FUZZ_ARTIFACTS:-$work/}"
		[ -n "${AIPM_FUZZ_ARTIFACTS:-}" ] || trap - EXIT
		continue
	fi
	echo "$h: $(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log") executions in $secs s, no crash"
done
exit $rc
