#!/bin/sh
# Build the fake cpuinfo/DMI trees in a fresh directory (and a fake RAPL
# sysfs tree, rapl-server2/sys, for "a machine that measures never
# estimates"), run one cmocka test on them, remove them.
# Usage: run.sh TEST_BINARY
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/aipm-estimate.XXXXXX")
trap 'rm -rf "$dir"' EXIT
python3 "$AIPM_SRC/tests/estimate/mktree.py" "$dir"
python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" make "$dir/rapl-server2/sys" server2
"$1" "$dir"
