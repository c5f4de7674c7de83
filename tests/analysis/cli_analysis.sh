#!/bin/sh
# aipm report / export / plot on the hand-made recordings in
# tests/fixtures/recordings (totals computed by hand: see README.md there).
. "$AIPM_TESTLIB"
# fontconfig keeps caches for the life of the process; not our leak.
export LSAN_OPTIONS="suppressions=$AIPM_SRC/tests/analysis/lsan.supp:print_suppressions=0"
export TZ=UTC
F="$AIPM_SRC/tests/fixtures/recordings"

# --- report, text and JSON
"$AIPM" report "$F/aipm-basic" >"$T/r.txt" 2>&1
grep_q "text report shows the one package" "package 0  *80.000 " "$T/r.txt"
grep_q "text report shows the GPU name" "Fake GPU B" "$T/r.txt"
grep_q "text report shows the model" "1234567 parameters" "$T/r.txt"
check "no emissions line unless asked" sh -c "! grep -q emissions '$T/r.txt'"
"$AIPM" report --json "$F/aipm-basic" >"$T/r.json"
check "cpu_total is 80 J" near "$(json_get "$T/r.json" "d['energy_j']['cpu_total']")" 80 1e-9
check "zone package-0 is 80 J" near "$(json_get "$T/r.json" "d['energy_j']['package-0']")" 80 1e-9
check "dram kind total is 12 J" near "$(json_get "$T/r.json" "d['energy_j']['dram']")" 12 1e-9
check "gpu total is 450 J" near "$(json_get "$T/r.json" "d['energy_j']['gpu']")" 450 1e-9
check "Wh mirror" near "$(json_get "$T/r.json" "d['energy_wh']['gpu']")" 0.125 1e-9
check "attributed gpu 245 J" near "$(json_get "$T/r.json" "d['attributed_j']['gpu']")" 245 1e-9
check "cpu time 4 s" near "$(json_get "$T/r.json" "d['cpu_time_s']")" 4 1e-9
check "pss peak 200 MiB" near "$(json_get "$T/r.json" "d['memory']['pss_peak_bytes']")" 209715200 1e-9
check "uncore absent, not 0" test "$(json_get "$T/r.json" "'uncore' in d['energy_j']")" = False
check "gpu 1 integrated" test "$(json_get "$T/r.json" "d['gpus'][1]['energy_source']")" = integrated
check "gpu 0 sm_mean 50" near "$(json_get "$T/r.json" "d['gpus'][0]['sm_mean']")" 50 1e-9
check "segments 2" test "$(json_get "$T/r.json" "d['segments']")" = 2
check "description" test "$(json_get "$T/r.json" "d['description']")" = "hand-made fixture: two segments, two GPUs"

"$AIPM" report --json "$F/oddities" >"$T/o.json"
check "oddities: 7 skipped lines" test "$(json_get "$T/o.json" "d['skipped_lines']")" = 7
check "oddities: 1 truncated" test "$(json_get "$T/o.json" "d['skipped']['truncated']")" = 1
check "oddities: 3 unknown fields" test "$(json_get "$T/o.json" "d['unknown_fields']")" = 3
"$AIPM" report "$F/oddities" >"$T/o.txt"
grep_q "text report counts skipped lines" "7 skipped (2 blank, 4 corrupt, 1 truncated)" "$T/o.txt"

"$AIPM" report --json "$F/aipowermeter" >"$T/a.json"
check "AIPowerMeter: trapezoid cpu_total 165 J" near "$(json_get "$T/a.json" "d['energy_j']['cpu_total']")" 165 1e-9
check "AIPowerMeter: core 72.5 J" near "$(json_get "$T/a.json" "d['energy_j']['core']")" 72.5 1e-9
check "AIPowerMeter: gpu 450 J" near "$(json_get "$T/a.json" "d['energy_j']['gpu']")" 450 1e-9
check "AIPowerMeter: no cpu time (null)" test "$(json_get "$T/a.json" "d['cpu_time_s']")" = None

"$AIPM" report --json "$F/aipm-gpu-details" >"$T/g.json"
check "GPU name from the nvml source's details" test "$(json_get "$T/g.json" "d['gpus'][0]['name']")" = "NVIDIA H100 80GB HBM3"
check "per_gpu_attributable_power's all is no unknown field" test "$(json_get "$T/g.json" "d['unknown_fields']")" = 0
"$AIPM" report "$F/aipm-norapl" >"$T/n.txt"
grep_q "a recording without RAPL is still aipm's" "(aipm, 1 segment)" "$T/n.txt"
grep_q "no energy: the report gives the fix" "to measure it: RAPL needs" "$T/n.txt"
check "no window line without --from/--to" sh -c "! grep -q 'between --from' '$T/n.txt'"

# --- windows
"$AIPM" report --json --from 1 --to 12 "$F/aipm-basic" >"$T/w.json"
check "window in seconds: 60 J" near "$(json_get "$T/w.json" "d['energy_j']['cpu_total']")" 60 1e-9
"$AIPM" report --json --from "2026-11-25 19:20:01" --to "2026-11-25 19:20:12.000000" "$F/aipm-basic" >"$T/w2.json"
check "window as dates: 60 J" near "$(json_get "$T/w2.json" "d['energy_j']['cpu_total']")" 60 1e-9

# --- several recordings, emissions
"$AIPM" report --json "$F/aipm-basic" "$F/aipowermeter" >"$T/m.json"
check "total of two recordings" near "$(json_get "$T/m.json" "d['energy_j']['cpu_total']")" 245 1e-9
check "one block per recording" test "$(json_get "$T/m.json" "len(d['recordings'])")" = 2
"$AIPM" report "$F/aipm-basic" "$F/aipowermeter" >"$T/m.txt"
grep_q "text total block" "total of 2 recordings" "$T/m.txt"
"$AIPM" report --json --carbon-intensity 100 --pue 1.5 "$F/aipm-basic" >"$T/e.json"
# (80 cpu + 12 dram + 450 gpu) J x 1.5 / 3.6e6 x 100 g/kWh
check "emissions" near "$(json_get "$T/e.json" "d['emissions_g']")" 0.0225833333333 1e-9
check "facility energy" near "$(json_get "$T/e.json" "d['facility_energy_j']")" 813 1e-9

# --- user errors
expect_rc 1 "missing recording fails" "$AIPM" report "$T/nope" 2>"$T/err"
grep_q "the message names the DIR" "$T/nope" "$T/err"
expect_rc 2 "bad --from is a usage error" "$AIPM" report --from yesterday "$F/aipm-basic" 2>"$T/err"
grep_q "the message names the flag and value" "from: 'yesterday'" "$T/err"
expect_rc 2 "--pue below 1" "$AIPM" report --pue 0.5 "$F/aipm-basic" 2>/dev/null
expect_rc 2 "no DIR" "$AIPM" report 2>/dev/null
expect_rc 2 "--from after --to" "$AIPM" report --from 10 --to 5 "$F/aipm-basic" 2>/dev/null

# --- CSV
"$AIPM" export --csv "$F/aipm-basic" -o "$T/x.csv" 2>"$T/err"
check "CSV parses back with python's csv" python3 - "$T/x.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 5, len(rows)
assert list(rows[0])[:3] == ["date", "timestamp", "segment"]
assert float(rows[2]["per_zone_energy.package-0"]) == 50
assert rows[0]["per_zone_power.package-0"] == ""   # not measured: empty, not 0
assert rows[4]["segment"] == "1"
assert float(rows[1]["per_process_mem_use_uss.10"]) == 60e6
assert float(rows[1]["per_gpu_power_draw.1"]) == 50
PY
expect_rc 1 "export to an unwritable path" "$AIPM" export --csv "$F/aipm-basic" -o /nonexistent/x.csv 2>/dev/null
expect_rc 2 "export without --csv" "$AIPM" export "$F/aipm-basic" 2>/dev/null

# --- plots
if "$AIPM" plot "$F/aipm-basic" -o "$T/p.png" 2>"$T/err"; then
	check "PNG magic" sh -c "head -c 8 '$T/p.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
	"$AIPM" plot "$F/aipm-basic" -m per_gpu_use_rate,experiment_mem_pss -o "$T/p.svg" 2>/dev/null
	check "SVG is XML with an svg element" grep -q "<svg" "$T/p.svg"
	mkdir "$T/changed"
	sed 's/"package-0": 20,/"package-0": 35,/' "$F/aipm-basic/power_metrics.json" >"$T/changed/power_metrics.json"
	"$AIPM" plot "$T/changed" -o "$T/q.png" 2>/dev/null
	check "the picture changes when the data do" sh -c "! cmp -s '$T/p.png' '$T/q.png'"
	"$AIPM" plot "$F/aipm-basic" -o "$T/p2.png" 2>/dev/null
	check "the same data draw the same picture" cmp -s "$T/p.png" "$T/p2.png"
	expect_rc 1 "unknown metric" "$AIPM" plot "$F/aipm-basic" -m no_such_metric -o "$T/z.png" 2>"$T/err"
	grep_q "the message names the metric" "no_such_metric" "$T/err"
else
	grep_q "plots need cairo" "without cairo" "$T/err"
fi
expect_rc 2 "plot to a .jpg" "$AIPM" plot "$F/aipm-basic" -o "$T/p.jpg" 2>/dev/null
expect_rc 2 "plot without -o" "$AIPM" plot "$F/aipm-basic" 2>/dev/null
finish
