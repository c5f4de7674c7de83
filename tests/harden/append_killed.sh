#!/bin/sh
# append_killed.sh (issue 12, item 3): `--append` after a SIGKILLed run. The
# killed segment has no END line; the next run must close it first (and
# say so), so two segments are reported, never one that bridges the gap.
. "$AIPM_TESTLIB"
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
ADV="python3 $AIPM_SRC/tests/fixtures/mkrapl.py advance $T/sys"

"$AIPM" run -q -i 0.02 -o "$T/r" -- sh -c "echo \$\$ >'$T/cmd.pid'; exec sleep 29" &
apid=$!
for i in $(seq 50); do [ -s "$T/r/power_metrics.json" ] && [ -s "$T/cmd.pid" ] && break; sleep 0.1; done
$ADV intel-rapl:0=40 --seconds 0.5
kill -KILL $apid
wait $apid 2>/dev/null
kill "$(cat "$T/cmd.pid")" 2>/dev/null
check "the killed run left no END line" [ "$(grep -c "END OF RECORDING" "$T/r/power_metrics.json")" = 0 ]
# Energy spent between the runs belongs to no segment.
$ADV intel-rapl:0=200 --seconds 0.5

"$AIPM" run -q -a -i 0.02 -o "$T/r" -- sh -c "sleep 0.2; $ADV intel-rapl:0=40 --seconds 0.5; sleep 0.2" 2>"$T/err"
check "the appending run exits 0" [ $? = 0 ]
grep_q "closing the killed segment is said" "had no end" "$T/err"
n=$(grep -c "END OF RECORDING SEGMENT" "$T/r/power_metrics.json")
check "both segments end with an END line ($n)" [ "$n" = 2 ]
check "invariants hold" invariants "$T/r"
"$AIPM" report --json "$T/r" >"$T/rep.json"
check "the report sees two segments" test "$(json_get "$T/rep.json" "d['segments']")" = 2
e=$(json_get "$T/rep.json" "d['energy_j']['package-0']")
check "the 100 J spent between the runs is not counted ($e J, about 40)" near "$e" 40 0.1
check "metadata marks the killed segment interrupted" python3 -c "
import json; s=json.load(open('$T/r/metadata.json'))['segments']
assert len(s)==2 and s[0].get('interrupted') is True and 'interrupted' not in s[1] and s[1]['exit_status']==0"

# Killed in the middle of a line: the half line is ended, then the segment.
printf '{"date": "2026-01-01 00:00:00.000000", "timestamp": 17' >>"$T/r/power_metrics.json"
"$AIPM" run -q -a -o "$T/r" -- true 2>"$T/err"
grep_q "a half line: closing said" "had no end" "$T/err"
check "a half line: one bad line, segments closed" invariants "$T/r" --allow-bad-lines 1
n=$(grep -c "^\"END OF RECORDING SEGMENT\"$" "$T/r/power_metrics.json")
check "a half line: four END lines ($n)" [ "$n" = 4 ]
"$AIPM" run -q -a -o "$T/r" -- true 2>"$T/err"
check "a closed segment is not closed twice" [ ! -s "$T/err" ]
finish
