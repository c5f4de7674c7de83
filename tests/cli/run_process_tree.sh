#!/bin/sh
# The whole process tree is measured, with real processes: fork chains, a
# daemonising grandchild (reparented to aipm, the subreaper), and 200
# short-lived children whose CPU time must all reach the total.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"
python3 "$MK" make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"

# 200 children of about 10 ms each, waited for by their parent; burn prints
# the children's CPU time as the kernel counted it.
"$AIPM" run -q -o "$T/short" -- sh -c "'$AIPM_BURN' -f 200 10 > '$T/truth'"
truth=$(cat "$T/truth")
got=$(last_cpu "$T/short" "c['cpu_time']")
check "200 short-lived children: CPU time $got s vs $truth s within 5%" near "$got" "$truth" 0.05
check "200 short-lived children: invariants hold" invariants "$T/short"

# A fork chain sh -> sh -> burn: the innermost process is in the tree.
"$AIPM" run -q -i 0.05 -o "$T/chain" -- sh -c "sh -c '\"$AIPM_BURN\" 300; true'; true"
got=$(last_cpu "$T/chain" "c['cpu_time']")
# 0.3 s of burn plus two shells, which ns CPU time counts (whole ticks
# used to drop them): at least 0.29 s, well under 0.5 s.
check "fork chain: CPU time $got s >= 0.29 s" python3 -c "import sys; sys.exit(0 if 0.29 <= float(sys.argv[1]) <= 0.5 else 1)" "$got"
python3 - "$T/chain" <<'PY'
import json, sys
pids = set()
for l in open(sys.argv[1] + "/power_metrics.json"):
    if l.startswith("{"):
        pids |= set(json.loads(l)["metrics"]["cpu"].get("absolute_cpu_time_per_pid", {}))
sys.exit(0 if len(pids) >= 3 else 1)
PY
check "fork chain: all three processes appear per pid" [ $? = 0 ]

# A daemonising grandchild: its parent exits at once, it is reparented to
# aipm (child subreaper) and keeps burning; the command waits for its flag.
"$AIPM" run -q -i 0.05 -o "$T/daemon" -- sh -c \
	"(sh -c '\"$AIPM_BURN\" 400; touch \"$T/done\"' &) ; while [ ! -e '$T/done' ]; do sleep 0.02; done"
got=$(last_cpu "$T/daemon" "c['cpu_time']")
# 0.4 s of burn plus the shells and a sleep every 20 ms: about 0.45 s
# (ns CPU time counts the short sleeps that whole ticks used to drop).
check "daemonised grandchild: its 0.4 s of CPU are counted ($got s)" near "$got" 0.45 0.15

# aipm itself is never part of the experiment.
"$AIPM" run -q -o "$T/self" -- sleep 0.3
python3 - "$T/self" <<'PY'
import json, sys
for l in open(sys.argv[1] + "/power_metrics.json"):
    if l.startswith("{"):
        pids = json.loads(l)["metrics"]["cpu"].get("absolute_cpu_time_per_pid", {})
        assert len(pids) <= 1, pids
PY
check "aipm's own process is not in the tree" [ $? = 0 ]

# The command's own memory is read after its execve (a smaps_rollup opened
# before it pins the old address space and then reads nothing).
"$AIPM" run -q --mem-interval 0.1 -i 0.05 -o "$T/mem" -- "$AIPM_BURN" 600
python3 - "$T/mem" <<'PY'
import json, sys
rows = [json.loads(l)["metrics"]["cpu"] for l in open(sys.argv[1] + "/power_metrics.json") if l.startswith("{")]
mid = rows[len(rows) // 2]
pid = list(mid["absolute_cpu_time_per_pid"])[0]
assert pid in mid.get("per_process_mem_use_abs", {}), mid
PY
check "the command's memory is recorded after its exec" [ $? = 0 ]

# A CPU-bound command gets most of the package energy attributed, never more.
python3 "$MK" advance "$T/sys" "intel-rapl:0=40" --seconds 0.01 >/dev/null
"$AIPM" run -q -i 0.05 -o "$T/attr" -- sh -c "'$AIPM_BURN' 500 & python3 '$MK' advance '$T/sys' intel-rapl:0=40 --seconds 0.6; wait"
check "attributed energy never exceeds the measured total" invariants "$T/attr"
att=$(last_cpu "$T/attr" "c['attributed_energy']['cpu']")
pkg=$(last_cpu "$T/attr" "c['per_zone_energy']['package-0']")
check "a busy command is attributed a real share ($att J of $pkg J)" python3 -c "import sys; sys.exit(0 if 0 < $att <= $pkg else 1)"
finish
