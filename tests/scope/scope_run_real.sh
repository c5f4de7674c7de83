#!/bin/sh
# scope_run_real.sh: `aipm run` and `aipm attach --cgroup` on this machine's
# real cgroup v2 (skipped, with the reason, where it is not writable).
#  - N short processes (default 500 of 8 ms; bench/scope_10k.sh runs the
#    issue's 10,000 of 5 ms): the recorded tree CPU time within 1 % of the
#    cgroup's own cpu.stat (read by this test from a parent cgroup it made,
#    which outlives the run's) and of /usr/bin/time (10 ms resolution, so
#    the run is long enough for 1 % to mean something);
#  - metadata.json and `aipm probe` say which scope and why; --scope proc
#    and a cgroup that cannot be made fall back to the /proc scan, saying
#    so; --scope cgroup refuses instead;
#  - a daemon that outlives the command: moved out (default), killed, or
#    kept in the run's cgroup, and said.
. "$AIPM_TESTLIB"
N=${AIPM_SCOPE_TEST_N:-500}
MS=${AIPM_SCOPE_TEST_MS:-8}
CGM=$(python3 "$AIPM_SRC/tests/fixtures/mkcgroup.py" mount)
[ -n "$CGM" ] || skip "no cgroup v2 mounted here (cgroup v1 only)"
SELF=$(sed -n 's/^0:://p' /proc/self/cgroup)
P=aipm-test-$$
PARENT="${SELF%/}/$P"
DIR="$CGM$PARENT"
mkdir "$DIR" 2>"$T/mkdir.err" || skip "cgroup v2 at $CGM is not writable here: $(cat "$T/mkdir.err")"
DAEMON=""; BG=""
cleanup() {
	for p in $DAEMON $BG; do kill "$p" 2>/dev/null; done
	for d in "$DIR"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	rmdir "$DIR" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
usage() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }
last_cpu_time() { last_cpu "$1" "c['cpu_time']"; }
time_s() { python3 -c "import sys; u, s = open(sys.argv[1]).read().split()[-2:]; print(float(u) + float(s))" "$1"; }
meta() { python3 -c "import json,sys; s=json.load(open(sys.argv[1]+'/metadata.json'))['scope']; sys.exit(0 if ($2) else 1)" "$1"; }

# --- aipm run in its own cgroup --------------------------------------------
"$AIPM" run -q -i 0.1 --cgroup-parent "$PARENT" -o "$T/run" -- \
	/usr/bin/time -f "%U %S" -o "$T/time" "$AIPM_BURN" -f "$N" "$MS" >/dev/null
tree=$(last_cpu_time "$T/run")
cg=$(python3 -c "print($(usage "$DIR") / 1e6)")
tm=$(time_s "$T/time")
echo "# $N processes of $MS ms under aipm run: tree $tree s, the cgroup's cpu.stat $cg s, /usr/bin/time $tm s"
check "run: tree CPU time within 1% of the cgroup's own cpu.stat" near "$tree" "$cg" 0.01
check "run: and within 1% of /usr/bin/time" near "$tree" "$tm" 0.01
check "metadata.json: a cgroup of its own, made by aipm, and why" meta "$T/run" \
	"s['kind'] == 'cgroup' and s['path'].startswith('$PARENT/aipm-run-') and s['created'] and 'cpu.stat' in s['why']"
check "metadata.json: removed at the end, its last cpu.stat recorded" meta "$T/run" \
	"s['end']['removed'] and s['end']['outlived'] == 0 and abs(s['end']['cpu_usage_usec'] / 1e6 - $cg) < 0.002"
check "memory.peak is absent, not 0, without the memory controller" sh -c \
	"grep -qw memory '$CGM/cgroup.controllers' || ! grep -q memory_peak_bytes '$T/run/metadata.json'"
check "no aipm-run cgroup is left behind" sh -c "! ls -d '$DIR'/aipm-run-* 2>/dev/null"
check "the recording holds its invariants" invariants "$T/run"

# --- the /proc scan: asked for, or no cgroup to be had ---------------------
"$AIPM" run -q -i 0.1 --scope proc -o "$T/proc" -- true
check "--scope proc: the process tree, and why" meta "$T/proc" "s['kind'] == 'proc-tree' and '--scope proc' in s['why']"
"$AIPM" run -i 0.1 --cgroup-parent "/aipm-no-such-$$" -o "$T/fb" -- true 2>"$T/fb.err"
check "no cgroup can be made: the process tree, with the reason" meta "$T/fb" \
	"s['kind'] == 'proc-tree' and 'aipm-no-such-$$' in s['why'] and 'process tree in /proc instead' in s['why']"
expect_rc 1 "--scope cgroup refuses to run without one" \
	"$AIPM" run -q --scope cgroup --cgroup-parent "/aipm-no-such-$$" -o "$T/refused" -- true 2>"$T/err"
grep_q "and says why and that nothing ran" "run: --scope cgroup: .*aipm-no-such-$$.* Nothing was run" "$T/err"
check "nothing was recorded" [ ! -e "$T/refused/power_metrics.json" ]

# --- processes that outlive the command ------------------------------------
"$AIPM" run -q --cgroup-parent "$PARENT" -o "$T/d1" -- sh -c "sleep 60 & echo \$! > '$T/pid1'" 2>"$T/d1.err"
DAEMON=$(cat "$T/pid1")
grep_q "move-out (default): said on stderr with its pid" "1 process outlived the command (pid $DAEMON)" "$T/d1.err"
check "it keeps running, moved to the parent cgroup" sh -c "kill -0 $DAEMON && grep -qx '0::$PARENT' /proc/$DAEMON/cgroup"
check "metadata.json records it" meta "$T/d1" \
	"s['end']['policy'] == 'move-out' and s['end']['outlived'] == 1 and s['end']['outlived_pids'] == [$DAEMON] and s['end']['removed']"
kill "$DAEMON"; DAEMON=""

"$AIPM" run -q --leftover kill --cgroup-parent "$PARENT" -o "$T/d2" -- sh -c "sleep 60 & echo \$! > '$T/pid2'" 2>"$T/d2.err"
d=$(cat "$T/pid2")
i=0; while kill -0 "$d" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
check "--leftover kill: the daemon is ended" sh -c "! kill -0 $d 2>/dev/null"
check "and the run's cgroup removed" meta "$T/d2" "s['end']['policy'] == 'kill' and s['end']['removed']"

"$AIPM" run -q --leftover keep --cgroup-parent "$PARENT" -o "$T/d3" -- sh -c "sleep 60 & echo \$! > '$T/pid3'" 2>"$T/d3.err"
DAEMON=$(cat "$T/pid3")
kept=$(python3 -c "import json; print(json.load(open('$T/d3/metadata.json'))['scope']['path'])")
check "--leftover keep: the daemon stays in the run's cgroup" grep -qx "0::$kept" "/proc/$DAEMON/cgroup"
grep_q "and the cgroup is named" "Cgroup: $kept" "$T/d3.err"
kill "$DAEMON"; DAEMON=""
sleep 0.2
rmdir "$CGM$kept" 2>/dev/null

# --- aipm attach --cgroup ---------------------------------------------------
mkdir "$DIR/job"
sh -c "echo \$\$ > '$DIR/job/cgroup.procs'; sleep 1; exec /usr/bin/time -f '%U %S' -o '$T/time2' '$AIPM_BURN' -f $N $MS >/dev/null" &
BG=$!
sleep 0.3
u0=$(usage "$DIR/job")
"$AIPM" attach -q -i 0.1 --cgroup "$PARENT/job" -o "$T/att"
BG=""
u1=$(usage "$DIR/job")
tree=$(last_cpu_time "$T/att")
cg=$(python3 -c "print(($u1 - $u0) / 1e6)")
tm=$(time_s "$T/time2")
echo "# $N processes of $MS ms under aipm attach --cgroup: tree $tree s, cpu.stat $cg s, /usr/bin/time $tm s"
check "attach --cgroup: tree CPU time within 1% of the cgroup's cpu.stat over the attach" near "$tree" "$cg" 0.01
check "attach --cgroup: and within 1% of /usr/bin/time" near "$tree" "$tm" 0.01
check "attach --cgroup: metadata.json names the cgroup, not made by aipm" meta "$T/att" \
	"s['kind'] == 'cgroup' and s['path'] == '$PARENT/job' and not s['created']"
rmdir "$DIR/job"

# --- aipm probe --------------------------------------------------------------
"$AIPM" probe >"$T/probe" 2>&1
grep_q "probe: the scope line says aipm run uses a cgroup of its own" "^scope   cgroup " "$T/probe"
"$AIPM" probe --json >"$T/probe.json"
check "probe --json: the scope object" python3 -c "
import json, sys; s = json.load(open('$T/probe.json'))['scope']; sys.exit(0 if s['kind'] == 'cgroup' and 'hierarchy' in s else 1)"
finish
