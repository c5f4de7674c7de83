# source_health.sh: a source whose sample() fails mid-run is counted in
# metadata.json (per segment: samples, failed, last_error), its values are
# absent while it fails (never 0, energies never back), and `aipm probe`
# shows a source that opens but cannot be read as FAILING, with why.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"
python3 "$MK" make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
E="$T/sys/class/powercap/intel-rapl:0/energy_uj"
# The package counter reads nothing from 0.5 s to 1.0 s into the run (an
# empty read: the driver went away), then comes back.
"$AIPM" run -q -i 0.1 -o "$T/r" -- sh -c "sleep 0.5; cp '$E' '$T/keep'; : > '$E'; sleep 0.5; cat '$T/keep' > '$E'; sleep 0.4"
check "recorded" test -s "$T/r/power_metrics.json"
check "the failures are counted in the segment's source health" python3 - "$T/r" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/metadata.json"))
seg = m["segments"][-1]
h = {s["name"]: s for s in seg["sources"]}
lines = [json.loads(l) for l in open(d + "/power_metrics.json") if l.startswith("{")]
r = h["rapl"]
# one sample() call per line, and the baseline one interval before the first
assert r["samples"] == len(lines) + 1, (r, len(lines))
assert 2 <= r["failed"] < r["samples"], r
assert "intel-rapl:0/energy_uj" in r["last_error"], r
assert h["procfs"]["failed"] == 0 and "last_error" not in h["procfs"], h["procfs"]
p = {s["name"]: s for s in m["sources"]}["rapl"]
assert p["provides"] == ["cpu_energy", "dram_energy"], p
# while failing: no package power (absent, not 0), energy held
gaps = [l for l in lines[1:] if "package-0" not in l["metrics"]["cpu"].get("per_zone_power", {})]
assert gaps and all("intel_power" not in l["metrics"]["cpu"] for l in gaps), len(gaps)
print("rapl: %d samples, %d failed: %s" % (r["samples"], r["failed"], r["last_error"]))
PY
check "invariants hold through the failure" python3 "$AIPM_SRC/tests/cli/check_invariants.py" "$T/r"

# probe: opens, cannot read: FAILING, and why.
: > "$E"
"$AIPM" probe >"$T/probe" 2>&1
grep_q "probe shows the unreadable source as FAILING" "rapl *FAILING" "$T/probe"
grep_q "and says what failed" "sample failed: .*intel-rapl:0/energy_uj" "$T/probe"
"$AIPM" probe --json >"$T/probe.json"
check "probe --json: sample_ok false with last_error" python3 -c "
import json; r = [s for s in json.load(open('$T/probe.json'))['sources'] if s['name'] == 'rapl'][0]
assert r['available'] and not r['sample_ok'] and 'energy_uj' in r['last_error'], r"
finish
