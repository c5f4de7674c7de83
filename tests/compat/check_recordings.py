#!/usr/bin/env python3
"""check_recordings.py: aipm recordings of every kind (CPU only; GPUs
through the fake NVML; phases, logged metrics, two segments and a model
summary) read by a loader that follows AIPowerMeter's rules
(aipm_loader.py), its numbers compared with `aipm report --json`:

- total_ of intel_power, total_cpu_power, uncore_power, psys_power,
  nvidia_power and per_gpu_nvidia_power: the report's energies, within the
  trapezoid rule's own error for interval averages (sum dt_i (P_{i-1} -
  P_i) / 2, computed from the same points) and 0.1 %;
- total_power_draw: the report's CPU + GPU energy (GPU recordings; on a
  CPU-only one it fails, as AIPowerMeter's does on its own: the NVIDIA draw
  is not measured there, and aipm writes no 0 for it);
- get_exp_duration: the report's duration; max_ of per_gpu_nvidia_memory
  and per_process_mem_use_abs, average_ of per_gpu_nvidia_use_rate: the
  report's peaks and means; absolute_cpu_time_per_pid summed over lines:
  the report's CPU time (2 %);
- the experiment metrics: the values logged, at the report's points.

Run by meson (suite compat) with AIPM, AIPM_SRC, AIPM_BURN and
AIPM_FAKE_NVML_LIB; exits 1 naming every check that failed.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aipm_loader import Loader  # noqa: E402
from tap import check, finish  # noqa: E402

AIPM, SRC, BURN = os.environ["AIPM"], os.environ["AIPM_SRC"], os.environ["AIPM_BURN"]
NVML = os.environ.get("AIPM_FAKE_NVML_LIB")
T = tempfile.mkdtemp(prefix="aipm-compat.")


def near(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol


def report(d):
    return json.loads(subprocess.run([AIPM, "report", "--json", d], check=True, capture_output=True).stdout)


def run(args, env, cmd):
    r = subprocess.run([AIPM, "run", "-q", "-i", "0.1"] + args + ["--", "sh", "-c", cmd], env=env)
    check(r.returncode == 0, "aipm run %s exits 0" % " ".join(args))


def energies(name, d):
    L, R = Loader(d), report(d)
    E = R["energy_j"]
    for key, kind in (("intel_power", "cpu_total"), ("total_cpu_power", "core"), ("uncore_power", "uncore"),
                      ("psys_power", "psys")):
        t, e = L.total(key), E.get(kind)
        bound = L.trapezoid_error(key) + 0.001 * e
        check(near(t, e, bound), "%s: total_('%s') %.4f J = report %s %.4f J (within %.4f)" %
              (name, key, t, kind, e, bound))
    check(near(L.duration(), R["duration_s"], 1e-4),
          "%s: get_exp_duration %.6f s = report %.6f s" % (name, L.duration(), R["duration_s"]))
    cpu = sum(v for s in L.curve("absolute_cpu_time_per_pid") for _, v in s)
    check(near(cpu, R["cpu_time_s"], 0.02 * R["cpu_time_s"] + 0.002),
          "%s: absolute_cpu_time_per_pid summed over lines %.4f s = report cpu_time %.4f s" %
          (name, cpu, R["cpu_time_s"]))
    # AIPowerMeter's 'CPU time usage' integrates a per-interval quantity
    # over time, so it is each line's CPU time times the line's own
    # interval (0.1 x CPU time on a regular grid; lines at phase edges and
    # logged points are shorter), up to the trapezoid's shift by half a
    # line.
    integral = L.total("absolute_cpu_time_per_pid")
    segs = L.curve("absolute_cpu_time_per_pid")
    want = sum(v * (t - seg[k - 1][0] if k else 0.1) for seg in segs for k, (t, v) in enumerate(seg))
    check(near(integral, want, 0.15 * want + 1e-3),
          "%s: its integral (AIPowerMeter's 'CPU time usage') %.4f = each line's CPU time x its interval %.4f "
          "(0.1 x CPU time: %.4f)" % (name, integral, want, 0.1 * cpu))
    pss = L.maximum("per_process_mem_use_abs")
    check(near(pss, R["memory"]["pss_peak_bytes"], 1),
          "%s: max_('per_process_mem_use_abs') %s = report pss_peak %s" % (name, pss, R["memory"]["pss_peak_bytes"]))
    return L, R


def gpus(L, R, name):
    per = L.total("per_gpu_nvidia_power")
    for g in R["gpus"]:
        i = str(g["index"])
        c = L.curve("per_gpu_nvidia_power")[i]
        bound = sum(abs(sum((t2 - t1) * (v1 - v2) / 2 for (t1, v1), (t2, v2) in zip(s, s[1:]))) for s in c)
        bound += 0.001 * g["energy_j"]
        check(near(per[i], g["energy_j"], bound), "%s: total_('per_gpu_nvidia_power')[%s] %.4f J = report %.4f J" %
              (name, i, per[i], g["energy_j"]))
        check(near(L.maximum("per_gpu_nvidia_memory")[i], g["mem_peak_bytes"], 1),
              "%s: max_('per_gpu_nvidia_memory')[%s] = report mem_peak" % (name, i))
        check(near(L.average("per_gpu_nvidia_use_rate")[i], g["sm_mean"], 0.01 * g["sm_mean"] + 1e-9),
              "%s: average_('per_gpu_nvidia_use_rate')[%s] %.3f = report sm_mean %.3f" %
              (name, i, L.average("per_gpu_nvidia_use_rate")[i], g["sm_mean"]))
    t, e = L.total("nvidia_power"), R["energy_j"]["gpu"]
    check(near(t, e, L.trapezoid_error("nvidia_power") + 0.001 * e),
          "%s: total_('nvidia_power') %.4f J = report gpu %.4f J" % (name, t, e))
    draw, e = L.total_power_draw(), R["energy_j"]["cpu_total"] + R["energy_j"]["gpu"]
    bound = L.trapezoid_error("intel_power") + L.trapezoid_error("nvidia_draw_absolute") + 0.001 * e
    check(near(draw, e, bound), "%s: total_power_draw %.4f J = report cpu_total + gpu %.4f J" % (name, draw, e))


def make_recordings(base):
    """The recordings every check reads: {"cpu only": DIR, "full": DIR}
    ("full" only with the fake NVML), each made by a real `aipm run` on a
    fake powercap tree advancing at constant powers."""
    root = os.path.join(base, "sys")
    subprocess.run([sys.executable, os.path.join(SRC, "tests/fixtures/mkrapl.py"), "make", root, "laptop"],
                   check=True)
    adv = subprocess.Popen([sys.executable, os.path.join(SRC, "tests/fixtures/mkrapl.py"), "advance", root,
                            "intel-rapl:0=40,intel-rapl:0:0=25,intel-rapl:0:1=3,intel-rapl:1=55",
                            "--seconds", "60", "--step-ms", "2"])
    time.sleep(0.5)  # counting before the first sample: its baseline has the power too
    env = dict(os.environ, AIPM_SYSFS_ROOT=root)
    env.pop("AIPM_NVML_LIB", None)
    env.pop("AIPM_FAKE_NVML", None)
    dirs = {}
    try:
        dirs["cpu only"] = os.path.join(base, "cpu")
        run(["-o", dirs["cpu only"]], env, "%s 400" % BURN)
        if not NVML:
            return dirs
        ini = os.path.join(base, "gpus.ini")
        with open(ini, "w") as f:
            f.write("count=2\ngpu0.name=Fake V100\ngpu0.energy=none\ngpu0.power_mw=120000\ngpu0.util=60\n"
                    "gpu0.proc=child 60 1000000 1 0\ngpu1.name=Fake P4\ngpu1.energy=none\n"
                    "gpu1.power_mw=50000\ngpu1.util=20\n")
        genv = dict(env, AIPM_NVML_LIB=NVML, AIPM_FAKE_NVML=ini)
        full = dirs["full"] = os.path.join(base, "full")
        model = os.path.join(SRC, "tests/fixtures/onnx/op_conv_same.onnx")
        a = '"%s"' % AIPM
        run(["--model", model, "-o", full], genv,
            "%s mark train; %s 300; %s log epoch=1 acc=0.5; %s mark --end train; %s 200; %s log epoch=2 acc=0.75"
            % (a, BURN, a, a, BURN, a))
        run(["-a", "-o", full], genv, "%s 300; %s log epoch=3 acc=0.9" % (BURN, a))
    finally:
        adv.kill()
        adv.wait()
    return dirs


def main():
    try:
        dirs = make_recordings(T)
        L, R = energies("cpu only", dirs["cpu only"])
        check(L.list_metrics()["GPU"] == [], "cpu only: no GPU metrics")
        try:
            L.total_power_draw()
            check(False, "cpu only: total_power_draw fails (no NVIDIA draw measured, none invented)")
        except TypeError:
            check(True, "cpu only: total_power_draw fails (no NVIDIA draw measured, none invented)")
        if "full" not in dirs:
            print("skip - GPU recordings: AIPM_FAKE_NVML_LIB not set")
            return
        full = dirs["full"]
        L, R = energies("gpus, phases, metrics, 2 segments, model", full)
        check(R["segments"] == 2 and len(L.segment_ends) == 1, "full: two segments, one boundary")
        got = L.list_metrics()["GPU"]
        check(got == ["nvidia_power", "per_gpu_nvidia_power", "nvidia_memory", "per_gpu_nvidia_memory",
                      "nvidia_use_rate", "per_gpu_nvidia_use_rate"], "full: the six GPU metrics load: %s" % got)
        gpus(L, R, "full")
        acc = L.curve("acc")
        check([v for s in acc for _, v in s] == [0.5, 0.75, 0.9], "full: experiment metric acc = 0.5, 0.75, 0.9")
        pts = json.loads(subprocess.run([AIPM, "report", "--metrics", "--json", full], check=True,
                                        capture_output=True).stdout)["points"]
        ts = [p["timestamp"] for p in pts]
        check(len(ts) == 3 and all(near(t, u, 1e-5) for t, u in zip(ts, [t for s in acc for t, _ in s])),
              "full: the metrics' dates are the report's points")
        card = json.load(open(os.path.join(full, "model_summary.json")))
        check(card.get("params_total") == 216 and R.get("model", {}).get("params_total") == 216,
              "full: model_summary.json loads (params 216)")
    finally:
        subprocess.run(["rm", "-rf", T])


if __name__ == "__main__":
    main()
    sys.exit(finish())
