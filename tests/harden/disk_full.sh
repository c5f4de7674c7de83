#!/bin/sh
# disk_full.sh (issue 12, item 5): a recording on a full disk. aipm says so
# at once (the command itself looks at aipm's stderr while it runs), keeps
# the command running, holds the lines and writes them when space returns
# (a filler file removed mid-run), so the END line, the exit status and a
# summary of the whole command are there. Full from the start, the command
# still runs. Full to the end, aipm says what is missing and keeps the
# command's exit status. A small tmpfs in a private mount namespace.
if [ -z "${AIPM_IN_NS:-}" ]; then
	. "$AIPM_TESTLIB"
	[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
	unshare -m --propagation private true 2>/dev/null || skip "cannot make a mount namespace (unshare -m)"
	AIPM_IN_NS=1 unshare -m --propagation private sh "$0"
	exit $?
fi
. "$AIPM_TESTLIB"
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
TO="timeout -s KILL 60"
D="$T/mnt"
mkdir "$D"
trap 'umount "$D" 2>/dev/null; rm -rf "$T"' EXIT
mount -t tmpfs -o size=256k tmpfs "$D" || skip "cannot mount a tmpfs"
fill() { dd if=/dev/zero of="$D/filler" bs=4k 2>/dev/null; sync; }
samples_ok() {
	python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
lines = [json.loads(l) for l in open(d + "/power_metrics.json")]
n = sum(1 for l in lines if l != "END OF RECORDING SEGMENT")
s = json.load(open(d + "/metadata.json"))["segments"][-1]
print("    %d sample lines, metadata says %d samples" % (n, s["samples"]))
sys.exit(0 if n == s["samples"] else 1)
PY
}

# complete LABEL DIR STATUS: the recording of a whole command is on disk.
complete() {
	check "$1: END line written" grep -q '^"END OF RECORDING SEGMENT"$' "$2/power_metrics.json"
	check "$1: exit status in metadata.json" python3 -c "
import json; assert json.load(open('$2/metadata.json'))['segments'][-1]['exit_status']==$3"
	check "$1: every sample is on disk" samples_ok "$2"
	check "$1: invariants hold" invariants "$2"
	"$AIPM" report --json "$2" >"$T/rep.json"
	dur=$(json_get "$T/rep.json" "d['duration_s']")
	cmd=$(python3 -c "print(float(open('$T/t1').read()) - float(open('$T/t0').read()))")
	check "$1: the report covers the whole command ($dur s, the command $cmd s)" \
		python3 -c "import sys; sys.exit(not $cmd - 0.05 <= $dur <= $cmd + 1)"
	rm -rf "$2"
}

# 1. Full from the start; space returns while the command runs.
fill
$TO "$AIPM" run -i 0.05 -o "$D/a" -- sh -c "date +%s.%N >'$T/t0'; sleep 0.6; grep -q 'No space left' '$T/err_a' && touch '$T/seen_a';
	rm -f '$D/filler'; sleep 0.8; date +%s.%N >'$T/t1'; exit 3" 2>"$T/err_a"
rc=$?
sed 's/^/    | /' "$T/err_a"
check "full from the start: the command ran and its status is kept ($rc)" [ $rc = 3 ]
check "full from the start: said at once, while the command ran" [ -e "$T/seen_a" ]
grep_q "full from the start: space returning is said" "again" "$T/err_a"
complete "full from the start" "$D/a" 3

# 2. The disk fills during the run and is freed before its end (the
# issue's case: the summary covered 3.6 s of a 6 s command).
$TO "$AIPM" run -i 0.05 -o "$D/b" -- sh -c "date +%s.%N >'$T/t0'; sleep 0.4; dd if=/dev/zero of='$D/filler' bs=4k 2>/dev/null; sleep 0.6;
	grep -q 'No space left' '$T/err_b' && touch '$T/seen_b'; rm -f '$D/filler'; sleep 0.4; date +%s.%N >'$T/t1'" 2>"$T/err_b"
rc=$?
sed 's/^/    | /' "$T/err_b"
check "filled mid-run: exit 0 ($rc)" [ $rc = 0 ]
check "filled mid-run: said at once" [ -e "$T/seen_b" ]
grep_q "filled mid-run: nothing lost is said" "none lost" "$T/err_b"
complete "filled mid-run" "$D/b" 0

# 3. Full to the end: what is missing is said, the status is the command's,
# and the next --append closes the segment.
$TO "$AIPM" run -q -i 0.05 -o "$D/c" -- sh -c "sleep 0.3; dd if=/dev/zero of='$D/filler' bs=4k 2>/dev/null; sleep 0.3; exit 5" \
	2>"$T/err_c"
rc=$?
sed 's/^/    | /' "$T/err_c"
check "full to the end: the command's status ($rc)" [ $rc = 5 ]
grep_q "full to the end: the missing end is said" "are not in" "$T/err_c"
rm -f "$D/filler"
"$AIPM" run -q -a -o "$D/c" -- true 2>"$T/err_c2"
grep_q "full to the end: the next --append closes the segment" "had no end" "$T/err_c2"
check "full to the end: then invariants hold" invariants "$D/c"
finish
