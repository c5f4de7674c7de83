#!/bin/sh
# Fuzz a model-module reader with libFuzzer for a bounded time (CI):
#   sh tests/fuzz/run_model.sh onnx|model_summary [SECONDS]   (default 20)
# Builds tests/fuzz/fuzz_HARNESS.c with clang straight from src/lib/model
# (so the reader gets coverage instrumentation), seeds it with the smoke
# corpus (tests/fuzz/corpus/HARNESS, every past crash) plus, for onnx, the
# committed ONNX fixtures (and tests/fuzz/HARNESS.dict when there is one),
# and fails on any crash, leak or sanitizer report.
# The last line gives the executions run; a crash leaves its input in
# $AIPM_FUZZ_ARTIFACTS (default: the work directory, printed), to be added
# to the smoke corpus once fixed.
set -eu
harness=$1
secs=${2:-20}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aipm-fuzz-$harness.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v clang >/dev/null || { echo "fuzz: clang not found; apt-get install clang libclang-rt-14-dev"; exit 1; }
case $harness in onnx|model_summary) ;; *) echo "fuzz: no harness '$harness' (onnx or model_summary)"; exit 2 ;; esac
# aipm.h includes the version header meson generates; nothing here uses it.
: >"$work/aipm_version.h"
clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$work" -I"$src/include" -I"$src/src/lib" $(pkg-config --cflags libcjson) \
	"$src/tests/fuzz/fuzz_$harness.c" "$src"/src/lib/model/*.c "$src"/src/lib/error.c "$src"/src/lib/util.c \
	$(pkg-config --libs libcjson) -lm -pthread -o "$work/fuzz"
mkdir "$work/corpus"
for f in "$src/tests/fuzz/corpus/$harness"/*; do [ -f "$f" ] && cp "$f" "$work/corpus/"; done
if [ "$harness" = onnx ]; then
	for f in "$src"/tests/fixtures/onnx/*.onnx "$src"/tests/fixtures/onnx/torchvision/*.onnx; do
		[ "$(wc -c <"$f")" -le 65536 ] && cp "$f" "$work/corpus/$(basename "$f")"
	done
fi
dict=""
[ -f "$src/tests/fuzz/$harness.dict" ] && dict="-dict=$src/tests/fuzz/$harness.dict"
"$work/fuzz" $dict -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="${AIPM_FUZZ_ARTIFACTS:-$work/}" "$work/corpus" 2>"$work/log" || {
	tail -60 "$work/log"
	trap - EXIT
	echo "fuzz_$harness: FAILED; the input is in ${AIPM_FUZZ_ARTIFACTS:-$work/}"
	exit 1
}
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/log"
echo "fuzz_$harness: $(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log") executions in ${secs} s, no crash"
