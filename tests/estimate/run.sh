#!/bin/sh
# Build the fake cpuinfo/DMI trees in a fresh directory, run the cmocka
# test on them, remove them. Usage: run.sh TEST_BINARY
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/aipm-estimate.XXXXXX")
trap 'rm -rf "$dir"' EXIT
python3 "$AIPM_SRC/tests/estimate/mktree.py" "$dir"
"$1" "$dir"
