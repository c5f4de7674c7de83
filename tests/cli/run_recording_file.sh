#!/bin/sh
# The recording on disk: whole lines even when aipm is killed, segments and
# --append, replacement said aloud, a cut line skipped and counted by the
# report, metadata complete.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"
python3 "$MK" make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"

"$AIPM" run -q -d "first try" -o "$T/r" -- sleep 0.2
check "segment closed" grep -q '^"END OF RECORDING SEGMENT"$' "$T/r/power_metrics.json"
check "invariants hold" invariants "$T/r"
check "metadata: description" python3 -c "import json; d=json.load(open('$T/r/metadata.json')); assert d['description']=='first try'"
check "metadata: command, host, version, sources, exit status" python3 -c "
import json; d=json.load(open('$T/r/metadata.json'))
assert d['command']==['sleep','0.2'] and d['host'] and d['aipm_version']
assert {s['name'] for s in d['sources']} >= {'rapl','procfs','nvml','hwmon'}
assert d['segments'][-1]['exit_status']==0 and d['segments'][-1]['samples']>=2"
check "lines carry date and timestamp" python3 -c "
import json,datetime; l=json.loads(open('$T/r/power_metrics.json').readline())
datetime.datetime.fromisoformat(l['date']); assert abs(l['timestamp']-datetime.datetime.fromisoformat(l['date']).timestamp())<1e-3"

"$AIPM" run -q --append -o "$T/r" -- sleep 0.2
n=$(grep -c "END OF RECORDING SEGMENT" "$T/r/power_metrics.json")
check "--append adds a second segment ($n)" [ "$n" = 2 ]
check "--append: metadata lists two segments" python3 -c "import json; assert len(json.load(open('$T/r/metadata.json'))['segments'])==2"
"$AIPM" run -o "$T/r" -- true 2>"$T/err"
grep_q "replacing is said aloud" "replacing the recording" "$T/err"
n=$(grep -c "END OF RECORDING SEGMENT" "$T/r/power_metrics.json")
check "without --append the recording is replaced ($n segment)" [ "$n" = 1 ]

# Absolute deadlines: samples sit on the grid t0 + k*interval (a loop of
# relative sleeps would drift off it, its lateness spread over the interval).
"$AIPM" run -q -i 0.02 -o "$T/grid" -- sleep 2
python3 - "$T/grid" <<'PY'
import json, statistics, sys
ts = [json.loads(l)["timestamp"] for l in open(sys.argv[1] + "/power_metrics.json") if l.startswith("{")]
import cmath, math
body = ts[1:-1]                     # the last line is the command's exit, off-grid
# The grid's phase from all samples (a circular mean), not from the first
# line alone: one late first sample on a loaded machine must not shift the
# grid it is judged against. Relative sleeps drift: their phases spread
# round the circle and most samples lie far from any one phase.
phase = cmath.phase(sum(cmath.exp(2j * math.pi * ((t - ts[0]) % 0.02) / 0.02) for t in body))
late = [((t - ts[0]) % 0.02 - phase / (2 * math.pi) * 0.02) % 0.02 for t in body]
late = [min(x, 0.02 - x) for x in late]
med = statistics.median(late)
print("    samples", len(ts), "median distance to the grid %.2f ms" % (med * 1e3))
sys.exit(0 if med < 0.002 and len(ts) >= 80 else 1)
PY
check "samples stay on the absolute-deadline grid" [ $? = 0 ]

# kill -9 in the middle: every line written is whole.
"$AIPM" run -q -i 0.01 -o "$T/k" -- sleep 30 &
apid=$!
sleep 0.7
# The command outlives a SIGKILLed aipm: note its pid first, end it by pid.
kids=$(cat /proc/$apid/task/*/children 2>/dev/null)
kill -KILL $apid
wait $apid 2>/dev/null
[ -n "$kids" ] && kill $kids 2>/dev/null
check "killed aipm: every line already written parses" invariants "$T/k"

# A line cut in the middle (disk full, a copy interrupted) is skipped and
# counted by the report.
head -c -40 "$T/k/power_metrics.json" >"$T/k/cut" && mv "$T/k/cut" "$T/k/power_metrics.json"
"$AIPM" report --json "$T/k" >"$T/rep.json"
check "a cut recording still reports" [ $? = 0 ]
check "the cut line is counted as skipped" python3 -c "import json; assert json.load(open('$T/rep.json'))['skipped_lines']>=1"
"$AIPM" run -q --append -o "$T/k" -- true
check "appending after a cut line starts on a fresh line (one bad line)" invariants "$T/k" --allow-bad-lines 1
finish
