# cli_run_gpu.sh: `aipm run` with the fake NVML (two GPUs, one integrated,
# the command's own process on GPU 0 next to a stranger): the recording's
# "gpu" fields, their invariants, and the report's GPU totals.
. "$AIPM_TESTLIB"
cat > "$T/gpus.ini" <<EOS
count=2
gpu0.name=Fake V100
gpu0.energy_step_mj=1000
gpu0.proc=child 60 1000000 1 0
gpu0.proc=1 20 500000 1 0
gpu1.name=Fake P4
gpu1.energy=none
gpu1.power_mw=50000
EOS
export AIPM_FAKE_NVML="$T/gpus.ini" AIPM_NVML_LIB="$AIPM_FAKE_NVML_LIB"
expect_rc 0 "aipm run with the fake NVML" "$AIPM" run -o "$T/r" -- sleep 1
"$AIPM" report "$T/r" --json > "$T/report.json" 2> "$T/report.err"
check "aipm report --json" test -s "$T/report.json"

# Every check prints its own line; the script exits non-zero on the first
# broken invariant, naming it.
check_lines() {
python3 - "$T/r/power_metrics.json" "$T/report.json" "$T/r/metadata.json" <<'EOS'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
samples = [l for l in lines if isinstance(l, dict)]
gpu = [l["metrics"]["gpu"] for l in samples]
def need(ok, what):
    if not ok:
        print("broken:", what); sys.exit(1)
need(len(gpu) == len(samples) >= 5, "a gpu object on every line")
# what AIPowerMeter's loader reads on every line
for g in gpu:
    for k in ("nvidia_draw_absolute", "per_gpu_attributable_mem_use", "per_gpu_absolute_percent_usage",
              "per_gpu_power_draw", "per_gpu_estimated_attributable_utilization", "nvidia_power",
              "nvidia_memory", "nvidia_use_rate", "per_gpu_power", "per_gpu_memory", "per_gpu_use_rate",
              "nvidia_attributable_power", "per_gpu_per_pid_utilization_absolute"):
        need(k in g, "key " + k)
    need("all" in g["per_gpu_attributable_power"], "per_gpu_attributable_power['all']")
    need(abs(g["nvidia_draw_absolute"] - 150) < 1e-9, "draw = 100 W + 50 W")
prev = {"0": 0, "1": 0}
for g in gpu:
    for i in ("0", "1"):
        e, a = g["per_gpu_energy"][i], g["per_gpu_attributed_energy"][i]
        need(e >= prev[i], "cumulative energy never goes back")
        need(a <= e + 1e-9, "attributed <= measured")
        prev[i] = e
need(gpu[0]["per_gpu_energy"]["0"] == 0, "energy starts at 0")
# GPU 0's counter advances 1000 mJ per sample: exact
e0 = gpu[-1]["per_gpu_energy"]["0"]
need(abs(e0 - (len(gpu) - 1)) <= 0.001 * (len(gpu) - 1), "counter energy %g vs scripted %d" % (e0, len(gpu) - 1))
# GPU 1 integrates 50 W over the recording's span
span = samples[-1]["timestamp"] - samples[0]["timestamp"]
e1 = gpu[-1]["per_gpu_energy"]["1"]
need(abs(e1 - 50 * span) <= 0.02 * 50 * span, "integrated energy %g vs %g" % (e1, 50 * span))
need(gpu[-1]["per_gpu_energy_integrated"] == {"0": 0, "1": 1}, "energy source per GPU")
# the command's process (60 % of 80 % SM) is attributed; pid 1 is not
need(any(g["per_gpu_per_pid_utilization_absolute"]["0"] for g in gpu), "the command's pid on GPU 0")
need(all("1" not in g["per_gpu_attributable_mem_use"]["0"] for g in gpu), "pid 1 is not the experiment's")
a0 = gpu[-1]["per_gpu_attributed_energy"]["0"]
need(0 < a0 <= 0.75 * e0 + 1e-9, "attributed share of GPU 0 (%g of %g)" % (a0, e0))
r = json.load(open(sys.argv[2]))
need(abs(r["energy_j"]["gpu"] - (e0 + e1)) <= 0.001 * (e0 + e1), "report energy_j.gpu")
need(abs(r["attributed_j"]["gpu"] - a0) <= 0.001 * e0, "report attributed_j.gpu")
src = {g["index"]: g["energy_source"] for g in r["gpus"]}
need(src == {0: "counter", 1: "integrated"}, "report energy_source %s" % src)
m = json.load(open(sys.argv[3]))
nv = [s for s in m["sources"] if s["name"] == "nvml"][0]
need(nv["available"] and [g["name"] for g in nv["details"]["gpus"]] == ["Fake V100", "Fake P4"], "metadata GPUs")
print("recording: %d lines, GPU 0 %.3f J (attributed %.3f J), GPU 1 %.3f J" % (len(gpu), e0, a0, e1))
EOS
}
check "gpu fields, invariants and report totals" check_lines
finish
