# mark_log.sh: `aipm mark` and `aipm log` reach a running `aipm run` through
# AIPM_CONTROL; phases and logged points come back with the energy the fake
# RAPL counters were advanced by, clipped per segment across --append.
. "$AIPM_TESTLIB"
make_rapl_tree make "$T/root" laptop
export AIPM_SYSFS_ROOT="$T/root"
ADV="python3 $AIPM_SRC/tests/fixtures/mkrapl.py advance $T/root"

# Outside a run: a clear message and exit 2.
unset AIPM_CONTROL
expect_rc 2 "mark outside a run exits 2" "$AIPM" mark train 2>"$T/err"
grep_q "mark outside a run says why" "not inside .aipm run." "$T/err"
expect_rc 2 "log outside a run exits 2" "$AIPM" log acc=1 2>"$T/err"
expect_rc 2 "log with no number exits 2" "$AIPM" log acc=high 2>"$T/err"
grep_q "bad KEY=VALUE named" "'acc=high' is not KEY=NUMBER" "$T/err"
expect_rc 2 "mark with no name exits 2" "$AIPM" mark 2>/dev/null
AIPM_CONTROL="$T/gone" expect_rc 1 "a stale AIPM_CONTROL exits 1" "$AIPM" mark train 2>"$T/err"
grep_q "a stale socket is explained" "cannot reach the running aipm" "$T/err"

# One run: train (40 W for 0.5 s and 300 ms of CPU), validation (idle),
# train again (40 W for 0.5 s), metrics after each epoch.
cat >"$T/job.sh" <<JOB
set -e
echo "\$AIPM_CONTROL" >"$T/control_path"
"$AIPM" mark train; sleep 0.2; $ADV intel-rapl:0=40 --seconds 0.5; "$AIPM_BURN" 300; sleep 0.2
"$AIPM" mark --end train
"$AIPM" mark validation; sleep 0.3; "$AIPM" mark --end validation
"$AIPM" log epoch=1 acc=0.5
if "$AIPM" mark --end validation 2>"$T/end_err"; then echo ended-twice >"$T/bad"; fi
"$AIPM" mark train
if "$AIPM" mark train 2>"$T/twice_err"; then echo began-twice >"$T/bad"; fi
sleep 0.2; $ADV intel-rapl:0=40 --seconds 0.5; sleep 0.2
"$AIPM" mark --end train
"$AIPM" log epoch=2 acc=0.75 loss=1.5e-3
JOB
expect_rc 0 "aipm run with marks exits 0" "$AIPM" run -q -i 0.05 -o "$T/rec" -- sh "$T/job.sh"
check "no misuse went through" test ! -e "$T/bad"
grep_q "end of a phase not open is refused" "phase 'validation' is not open" "$T/end_err"
grep_q "a phase open twice is refused" "already open" "$T/twice_err"
check "the control socket is removed at the end" test ! -e "$(cat "$T/control_path")"
check "phases.json has 6 lines" test "$(wc -l <"$T/rec/phases.json")" = 6
check "results_exp.json holds 2 records" test "$(python3 -c "import json; print(len(json.load(open('$T/rec/results_exp.json'))))")" = 2

"$AIPM" report --by-phase --json "$T/rec" >"$T/ph.json"
train_j=$(json_get "$T/ph.json" "[p for p in d['by_name'] if p['name']=='train'][0]['energy_j']")
check "train phases hold the 40 J the counters gained ($train_j)" near "$train_j" 40 0.05
check "train is listed twice and summed once" test "$(json_get "$T/ph.json" "[p['count'] for p in d['by_name'] if p['name']=='train'][0]")" = 2
check "phases are listed one by one" test "$(json_get "$T/ph.json" "[p['name'] for p in d['phases']]")" = "['train', 'validation', 'train']"
val_j=$(json_get "$T/ph.json" "d['phases'][1]['energy_j']")
check "validation gained nothing ($val_j)" near "$val_j" 0 0
cpu=$(json_get "$T/ph.json" "d['phases'][0]['cpu_time_s']")
check "the first train phase holds the 300 ms burnt ($cpu)" python3 -c "import sys; sys.exit(not 0.25 <= $cpu <= 0.6)"
dur=$(json_get "$T/ph.json" "d['phases'][1]['duration_s']")
check "validation lasts about 0.3 s ($dur)" python3 -c "import sys; sys.exit(not 0.15 <= $dur <= 0.45)"
"$AIPM" report --by-phase "$T/rec" >"$T/ph.txt"
grep_q "text report lists phases by name" "by name" "$T/ph.txt"

"$AIPM" report --metrics --json "$T/rec" >"$T/m.json"
check "two logged points" test "$(json_get "$T/m.json" "len(d['points'])")" = 2
check "metrics come back as logged" test "$(json_get "$T/m.json" "d['points'][1]['metrics']['loss']")" = 0.0015
e1=$(json_get "$T/m.json" "d['points'][0]['energy_j']")
d2=$(json_get "$T/m.json" "d['points'][1]['energy_since_previous_j']")
check "20 J up to epoch 1 ($e1)" near "$e1" 20 0.05
check "20 J during epoch 2 ($d2)" near "$d2" 20 0.05

# A phase across a segment boundary: begun in one run, ended in an --append
# run. 100 J spent between the runs belongs to no segment: never bridged.
expect_rc 0 "run 1 leaves train open" "$AIPM" run -q -i 0.05 -o "$T/seg" -- sh -c \
	"\"$AIPM\" mark train && sleep 0.2 && $ADV intel-rapl:0=40 --seconds 0.5 && sleep 0.2"
$ADV intel-rapl:0=200 --seconds 0.5
expect_rc 0 "run 2 --append ends it" "$AIPM" run -q --append -i 0.05 -o "$T/seg" -- sh -c \
	"sleep 0.2 && $ADV intel-rapl:0=40 --seconds 0.5 && sleep 0.2 && \"$AIPM\" mark --end train"
"$AIPM" report --by-phase --json "$T/seg" >"$T/seg.json"
seg_j=$(json_get "$T/seg.json" "d['phases'][0]['energy_j']")
check "the phase is clipped per segment: 40 J, not 140 ($seg_j)" near "$seg_j" 40 0.05
check "the phase spans two segments" test "$(json_get "$T/seg.json" "d['phases'][0]['segments']")" = 2
check "the phase is closed" test "$(json_get "$T/seg.json" "d['phases'][0]['open']")" = False

expect_rc 1 "report --by-phase without phases exits 1" "$AIPM" report --by-phase "$T/nothing" 2>"$T/err"
mkdir -p "$T/nop" && cp "$T/rec/power_metrics.json" "$T/nop/"
expect_rc 1 "a recording without phases.json exits 1" "$AIPM" report --by-phase "$T/nop" 2>"$T/err"
grep_q "and says how to add phases" "aipm mark" "$T/err"
finish
