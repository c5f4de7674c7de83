#!/bin/sh
# Fuzz the recording reader with libFuzzer for a bounded time (CI):
#   sh tests/fuzz/run.sh [SECONDS]        (default 60)
# Builds the harness with clang straight from the sources it needs (the
# library's code gets coverage instrumentation this way), seeds it with the
# fixture recordings, and fails on any crash, leak or sanitizer report.
set -eu
secs=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aipm-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v clang >/dev/null || { echo "fuzz: clang not found; apt-get install clang"; exit 1; }
cat >"$work/aipm_config.h" <<'H'
#define AIPM_HAVE_PLOTS 0
#define AIPM_HAVE_SERVE 0
H
clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$work" -I"$src/include" -I"$src/src/lib" $(pkg-config --cflags libcjson) \
	"$src/tests/fuzz/fuzz_line.c" "$src"/src/lib/analysis/line.c "$src"/src/lib/analysis/line_fast.c "$src"/src/lib/analysis/scan.c \
	"$src"/src/lib/analysis/summary.c "$src"/src/lib/analysis/summary_out.c \
	"$src"/src/lib/export/flatten.c "$src"/src/lib/error.c "$src"/src/lib/util.c \
	$(pkg-config --libs libcjson) -lm -pthread -o "$work/fuzz_line"
mkdir "$work/corpus"
for f in "$src"/tests/fixtures/recordings/*/power_metrics.json; do cp "$f" "$work/corpus/$(basename "$(dirname "$f")")"; done
"$work/fuzz_line" -error_exitcode=1 -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="${AIPM_FUZZ_ARTIFACTS:-$work/}" "$work/corpus"
