#!/bin/sh
# make demo: measure a small CPU workload with aipm and print the report.
# On a machine without RAPL (most VMs) aipm says so and how to get it, and
# no energy is ever made up: CPU energy is estimated instead, with low and
# high bounds and the method, under its own "cpu_estimate" keys.
set -eu
aipm=${1:-build/aipm}
build=$(dirname "$aipm")
out=${AIPM_DEMO_DIR:-demo-run}
echo "== aipm probe: what this machine can measure"
"$aipm" probe
echo
echo "== aipm run -o $out -- workload 3   (a parent and a child multiplying matrices)"
"$aipm" run -d "make demo: matrix products, 2 processes" -o "$out" -- "$build/demo/workload" 3
echo
echo "== aipm report $out --json (excerpt)"
"$aipm" report --json "$out" | head -c 1200
echo
echo
# Without RAPL: the estimate, labelled, in the report's JSON and as the
# recording holds it (its own section, never metrics.cpu's measured keys).
est=$("$aipm" report --json "$out" | grep -o '"estimate": {[^}]*}' || true)
if [ -n "$est" ]; then
	echo
	echo "== CPU energy is NOT measured here (no RAPL): the estimate recorded instead, labelled"
	echo "-- aipm report --json $out: its own object"
	echo "$est"
	echo "-- the last line of $out/power_metrics.json: its own section"
	grep -o '"cpu_estimate": {[^}]*}' "$out/power_metrics.json" | tail -n 1
fi
echo
echo "The recording is in $out/ (power_metrics.json, metadata.json)."
