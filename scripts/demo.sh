#!/bin/sh
# make demo: measure a small CPU workload with aipm and print the report.
# On a machine without RAPL (most VMs) aipm says so and how to get it, and
# the report holds CPU time and memory only: no energy is ever made up.
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
echo "The recording is in $out/ (power_metrics.json, metadata.json)."
