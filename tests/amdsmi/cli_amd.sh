# cli_amd.sh: the AMD SMI source through the real aipm binary and the fake
# libamd_smi: `aipm probe` lists it (available or not, reason, fix), and
# `aipm run` records its energy exactly (the fake's counter) under
# "amd_gpu", with the GPUs described in metadata.json.
. "$AIPM_TESTLIB"

# No library: listed, unavailable, with the reason and the fix.
AIPM_AMDSMI_LIB=/nonexistent/libamd_smi.so "$AIPM" probe >"$T/p0" 2>&1
grep_q "probe lists amdsmi as unavailable" "amdsmi *UNAVAILABLE" "$T/p0"
grep_q "probe names the missing library" "cannot load /nonexistent/libamd_smi.so" "$T/p0"
grep_q "probe says how to fix it" "AIPM_AMDSMI_LIB" "$T/p0"
# A missing library the user pointed at is said by aipm run (not with -q).
AIPM_AMDSMI_LIB=/nonexistent/libamd_smi.so "$AIPM" run -o "$T/r0" -- true 2>"$T/r0.err"
grep_q "run says no AMD GPU energy will be recorded" "no AMD GPU energy will be recorded" "$T/r0.err"

cat >"$T/amd.ini" <<EOS
count=2
gpu0.name=AMD Instinct MI250X
gpu0.energy_step=4000
gpu0.proc=child 1000000 60000000 1 0
gpu0.proc=1 500000 20000000 1 0
gpu1.name=AMD Instinct MI250X
gpu1.energy_step=2000
gpu1.resolution=1
EOS
export AIPM_FAKE_AMDSMI="$T/amd.ini" AIPM_AMDSMI_LIB="$AIPM_FAKE_AMDSMI_LIB"
"$AIPM" probe --json >"$T/p.json"
check "probe --json: amdsmi available with its GPUs, vendor and provides" python3 -c "
import json; d = json.load(open('$T/p.json'))
a = [s for s in d['sources'] if s['name'] == 'amdsmi'][0]
assert a['available'] and a['sample_ok'], a
assert a['provides'] == ['gpu_energy'], a['provides']
assert a['details']['vendor'] == 'amd'
assert [(g['index'], g['name'], g['energy_source']) for g in a['details']['gpus']] == [
    (0, 'AMD Instinct MI250X', 'counter'), (1, 'AMD Instinct MI250X', 'counter')], a['details']"

expect_rc 0 "aipm run with the fake AMD SMI" "$AIPM" run -q -o "$T/r" -- sleep 1
check "invariants hold" python3 "$AIPM_SRC/tests/cli/check_invariants.py" "$T/r"
check_amd() {
python3 - "$T/r" <<'EOS'
import json, sys
d = sys.argv[1]
lines = [json.loads(l) for l in open(d + "/power_metrics.json") if l.strip()]
samples = [l for l in lines if isinstance(l, dict)]
def need(ok, what):
    if not ok:
        print("broken:", what); sys.exit(1)
need(len(samples) >= 5, "samples")
need(all("gpu" not in s["metrics"] for s in samples), "no NVIDIA section without NVIDIA GPUs")
amd = [s["metrics"]["amd_gpu"] for s in samples]
# The fake's counter: sample n (0-based) has n steps since the first.
for n, a in enumerate(amd):
    e0, e1 = a["per_gpu_energy"]["0"], a["per_gpu_energy"]["1"]
    need(abs(e0 - n * 4000 * 15.25e-6) <= 1e-3, "GPU 0 energy %g at line %d, want %g" % (e0, n, n * 4000 * 15.25e-6))
    need(abs(e1 - n * 2000 * 1e-6) <= 1e-3, "GPU 1 energy %g at line %d" % (e1, n))
    need(a["per_gpu_attributed_energy"]["0"] <= e0 + 1e-9, "attributed <= measured")
    need("nvidia_power" not in a, "no NVIDIA scalars under amd_gpu")
last = amd[-1]
need(last["per_gpu_power"] == {"0": 300, "1": 300}, "power %s" % last["per_gpu_power"])
# While the command runs (not after it exited: the last line), its GFX
# use is the experiment's, pid 1's is not.
mid = amd[len(amd) // 2]
use = mid["per_gpu_per_pid_utilization_absolute"]["0"]
# (60 ms of GFX time per fake tick over a wall-clock interval of ~0.1 s)
# (a fraction of the engine, as AIPowerMeter records SM use)
need(len(use) == 1 and 0.50 <= list(use.values())[0] <= 0.65 and "1" not in use,
     "the command's GFX use, not pid 1's: %s" % use)
need(abs(mid["per_gpu_estimated_attributable_utilization"]["0"] - 0.75) < 0.05, "share 60/(60+20)")
need(last["per_gpu_energy_integrated"] == {"0": 0, "1": 0}, "energy source")
m = json.load(open(d + "/metadata.json"))
a = [s for s in m["sources"] if s["name"] == "amdsmi"][0]
need(a["available"] and a["details"]["vendor"] == "amd" and len(a["details"]["gpus"]) == 2, "metadata GPUs")
h = [s for s in m["segments"][-1]["sources"] if s["name"] == "amdsmi"][0]
need(h["samples"] == len(samples) + 1 and h["failed"] == 0, "segment health %s" % h)  # + the baseline
print("amd: %d lines, GPU 0 %.4f J" % (len(samples), amd[-1]["per_gpu_energy"]["0"]))
EOS
}
check "AMD energy exact, under amd_gpu, shares and metadata" check_amd
finish
