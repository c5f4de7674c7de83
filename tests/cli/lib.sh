# lib.sh: shared by the shell tests. Source it, call the checks, end with
# `finish`. Each check prints one line; any failure makes the test fail.
set -u
: "${AIPM:?run through meson test}"
T=$(mktemp -d "${TMPDIR:-/tmp}/aipm-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

ok() { checks=$((checks + 1)); echo "ok - $*"; }
not_ok() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: passes when COMMAND exits 0
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# expect_rc RC DESCRIPTION COMMAND...: passes when COMMAND exits RC
expect_rc() { want=$1; d=$2; shift 2; "$@"; got=$?; if [ "$got" = "$want" ]; then ok "$d"; else not_ok "$d (exit $got, want $want)"; fi; }
# grep_q DESCRIPTION PATTERN FILE
grep_q() { if grep -q -- "$2" "$3"; then ok "$1"; else not_ok "$1 (no '$2' in $3)"; sed 's/^/    | /' "$3" | head -20; fi; }
# near A B REL: |A-B| <= REL*|B|
near() { python3 -c "import sys; a,b,r=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=r*abs(b) else 1)" "$1" "$2" "$3"; }
# jq-like: json_get FILE EXPR (python expression on `d`)
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }
skip() { echo "skip - $*"; exit 77; }
finish() {
	if [ "$checks" = 0 ]; then echo "no checks ran"; exit 1; fi
	echo "$((checks - failures)) of $checks checks passed"
	[ "$failures" = 0 ]
}

# make_rapl_tree ROOT LAYOUT: a fake powercap tree (see tests/fixtures/mkrapl.py)
make_rapl_tree() { python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" "$@"; }

# invariants DIR: the recording holds every invariant (check_invariants.py)
invariants() { python3 "$AIPM_SRC/tests/cli/check_invariants.py" "$@"; }
# last_cpu DIR EXPR: evaluate EXPR on the last sample's metrics.cpu as `c`
last_cpu() {
	python3 - "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1] + "/power_metrics.json") if l.strip().startswith("{")]
c = rows[-1]["metrics"]["cpu"]
print(eval(sys.argv[2]))
PY
}
