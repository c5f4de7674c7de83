#!/bin/sh
# aipm run on fake powercap trees whose counters the command itself advances
# at known powers: the recorded energy of every zone must equal what was
# written (0.1%), through wraps, on each machine shape.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"

run_layout() {
	layout=$1 spec=$2 map=$3
	root="$T/$layout" rec="$T/rec-$layout"
	python3 "$MK" make "$root" "$layout"
	AIPM_SYSFS_ROOT="$root" "$AIPM" run -q -i 0.05 -o "$rec" -- \
		python3 "$MK" advance "$root" "$spec" --seconds 0.8 --report "$T/truth-$layout.json"
	check "$layout: aipm run exits 0" [ $? = 0 ]
	check "$layout: invariants hold" invariants "$rec"
	python3 - "$rec" "$T/truth-$layout.json" "$map" <<'PY'
import json, sys
rec, truth, mapping = sys.argv[1:]
truth = json.load(open(truth))
rows = [json.loads(l) for l in open(rec + "/power_metrics.json") if l.startswith("{")]
got = rows[-1]["metrics"]["cpu"]["per_zone_energy"]
bad = 0
for pair in mapping.split(","):
    d, name = pair.split("=")
    t, g = truth[d], got.get(name)
    ok = g is not None and abs(g - t) <= 0.001 * t
    print(("ok" if ok else "MISMATCH"), name, "aipm", g, "truth", t)
    bad += not ok
if set(got) != {p.split("=")[1] for p in mapping.split(",")}:
    print("unexpected zones", sorted(got)); bad += 1
sys.exit(1 if bad else 0)
PY
	check "$layout: every zone's energy matches the counters within 0.1%" [ $? = 0 ]
}

run_layout laptop "intel-rapl:0=40,intel-rapl:0:0=25,intel-rapl:0:1=3,intel-rapl:1=55" \
	"intel-rapl:0=package-0,intel-rapl:0:0=core-0,intel-rapl:0:1=uncore-0,intel-rapl:1=psys"
run_layout server2 "intel-rapl:0=80,intel-rapl:0:0=12,intel-rapl:1=70,intel-rapl:1:0=11" \
	"intel-rapl:0=package-0,intel-rapl:0:0=dram-0,intel-rapl:1=package-1,intel-rapl:1:0=dram-1"
run_layout amd "intel-rapl:0=65" "intel-rapl:0=package-0"
# Counters start 2-8 J below max_energy_range_uj: each wraps during the run.
run_layout wrap "intel-rapl:0=40,intel-rapl:0:0=25,intel-rapl:0:1=3,intel-rapl:1=55" \
	"intel-rapl:0=package-0,intel-rapl:0:0=core-0,intel-rapl:0:1=uncore-0,intel-rapl:1=psys"
run_layout mmio "intel-rapl:0=30,intel-rapl:0:0=20,intel-rapl-mmio:0=30" \
	"intel-rapl:0=package-0,intel-rapl:0:0=core-0,intel-rapl-mmio:0=mmio-package-0"

# The MMIO view of package-0 must not be counted twice in the CPU total.
"$AIPM" report --json "$T/rec-mmio" >"$T/mmio.json"
cpu_total=$(json_get "$T/mmio.json" "d['energy_j']['cpu_total']")
check "mmio: cpu_total counts package-0 once ($cpu_total J)" near "$cpu_total" 24 0.01

# Two sockets: the total is the sum of both packages.
"$AIPM" report --json "$T/rec-server2" >"$T/s2.json"
cpu_total=$(json_get "$T/s2.json" "d['energy_j']['cpu_total']")
check "server2: cpu_total sums both packages ($cpu_total J)" near "$cpu_total" 120 0.01
finish
