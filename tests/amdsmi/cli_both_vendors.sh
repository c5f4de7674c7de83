# cli_both_vendors.sh: a machine with NVIDIA and AMD GPUs (both fakes): one
# recording holds both, each under its own section and its own indices, and
# the Prometheus exposition tells them apart by the vendor label.
. "$AIPM_TESTLIB"
cat >"$T/nv.ini" <<EOS
count=1
gpu0.name=Fake V100
gpu0.energy_step_mj=1000
EOS
cat >"$T/amd.ini" <<EOS
count=1
gpu0.name=AMD Instinct MI300X
gpu0.energy_step=65536
gpu0.resolution=15.25
EOS
export AIPM_FAKE_NVML="$T/nv.ini" AIPM_NVML_LIB="$AIPM_FAKE_NVML_LIB"
export AIPM_FAKE_AMDSMI="$T/amd.ini" AIPM_AMDSMI_LIB="$AIPM_FAKE_AMDSMI_LIB"
expect_rc 0 "aipm run with both vendors" "$AIPM" run -q -o "$T/r" -- sleep 0.6
check "both sections on every line, GPU 0 of each, energies exact" python3 - "$T/r" <<'EOS'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1] + "/power_metrics.json") if l.strip()]
s = [l for l in lines if isinstance(l, dict)]
assert len(s) >= 3
for n, l in enumerate(s):
    g, a = l["metrics"]["gpu"], l["metrics"]["amd_gpu"]
    assert abs(g["per_gpu_energy"]["0"] - n * 1.0) <= 1e-3, (n, g["per_gpu_energy"])
    assert abs(a["per_gpu_energy"]["0"] - n * 65536 * 15.25e-6) <= 1e-3, (n, a["per_gpu_energy"])
    assert "nvidia_draw_absolute" in g and "nvidia_draw_absolute" not in a
m = json.load(open(sys.argv[1] + "/metadata.json"))
v = {x["name"]: x["details"]["vendor"] for x in m["sources"] if x["available"] and x["name"] in ("nvml", "amdsmi")}
assert v == {"nvml": "nvidia", "amdsmi": "amd"}, v
EOS
check "invariants hold" python3 "$AIPM_SRC/tests/cli/check_invariants.py" "$T/r"
finish
