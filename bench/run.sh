#!/bin/sh
# make bench: every benchmark, with the figures the README quotes.
# Usage: bench/run.sh BUILD_DIR
set -eu
b=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$src/tests/fixtures/mkrapl.py" make "$tmp/sys" laptop
echo "== recorder: CPU time per sample (bench_sample)"
AIPM_SYSFS_ROOT="$tmp/sys" "$b/bench/bench_sample" 3000
echo
echo "== aipm serve: CPU time per sample, with and without --processes (bench_serve)"
AIPM_SYSFS_ROOT="$tmp/sys" "$b/bench/bench_serve" 2000 200
echo
echo "== what a phase mark costs its caller (bench_marks)"
AIPM_SYSFS_ROOT="$tmp/sys" "$b/bench/bench_marks" 200
echo
echo "== NVML source with the fake library (bench_nvml)"
"$b/bench/bench_nvml" || true
echo
if [ -x "$b/bench/bench_report" ]; then
	echo "== report throughput (bench_report)"
	"$b/bench/bench_report" ${AIPM_BENCH_REPORT_MB:-100 1000} || true
fi
if [ -x "$b/bench/bench_phases" ]; then
	echo
	echo "== report --metrics / --by-phase on 100,000 points and 10,000 phases (bench_phases)"
	"$b/bench/bench_phases" || true
fi
