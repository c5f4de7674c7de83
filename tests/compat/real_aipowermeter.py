#!/usr/bin/env python3
"""real_aipowermeter.py: AIPowerMeter's own ExpResults on aipm recordings.

Not run by `make check` (CI has no AIPowerMeter, pandas or matplotlib): a
figure printer for the closing note of issue 13. It makes the recordings of
check_recordings.py (CPU only; two fake NVIDIA GPUs, phases, metrics, two
segments, a model summary) and reads each with AIPowerMeter's
ExpResults(JsonParser(DIR)), calling total_, average_, max_, get_curve,
get_exp_duration, list_metrics, get_summary, print, total_power_draw,
display_curves and display_2_curves, and prints its numbers beside
`aipm report --json`.

    git -C AIPowerMeter archive HEAD deep_learning_power_measure | tar -x -C /tmp/aipmref
    AIPOWERMETER=/tmp/aipmref AIPM=build/aipm AIPM_BURN=build-check/tests/burn \\
      AIPM_FAKE_NVML_LIB=build-check/tests/nvml/libfake_nvml.so /usr/bin/python3 tests/compat/real_aipowermeter.py

Needs /usr/bin/python3 with pandas, matplotlib and psutil (Debian:
python3-pandas python3-matplotlib python3-psutil); AIPowerMeter's
gpu_power imports pynvml at load: without it, a stub module is put on the
path (ExpResults never calls it).
"""
import io
import json
import os
import subprocess
import sys
import tempfile
import contextlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("AIPM_SRC", os.path.dirname(os.path.dirname(HERE)))
import check_recordings as cr  # noqa: E402

try:
    import pynvml  # noqa: F401
except ImportError:
    stub = tempfile.mkdtemp(prefix="aipm-pynvml.")
    open(os.path.join(stub, "pynvml.py"), "w").write("# not used by ExpResults\n")
    sys.path.insert(0, stub)
sys.path.insert(0, os.environ["AIPOWERMETER"])
import matplotlib  # noqa: E402
matplotlib.use("Agg")
from deep_learning_power_measure.power_measure import experiment, parsers  # noqa: E402


def rel(a, b):
    return "%+.3f %%" % (100 * (a - b) / b) if a is not None and b else "n/a"


def show(name, d):
    r = experiment.ExpResults(parsers.JsonParser(d))
    rep = json.loads(subprocess.run([cr.AIPM, "report", "--json", d], check=True, capture_output=True).stdout)
    E = rep["energy_j"]
    print("== %s: %d lines, %d segment(s)" % (name, rep["lines"], rep["segments"]))
    print("list_metrics: %s" % {k: len(v) for k, v in r.list_metrics().items()})
    dur = r.get_exp_duration()[0]
    print("get_exp_duration %.6f s   report duration_s %.6f s" % (dur, rep["duration_s"]))
    for key, kind in (("intel_power", "cpu_total"), ("total_cpu_power", "core"), ("uncore_power", "uncore"),
                      ("psys_power", "psys"), ("nvidia_power", "gpu")):
        if kind in E:
            t = r.total_(key)
            print("total_('%s') %.4f J   report %s %.4f J   %s" % (key, t, kind, E[kind], rel(t, E[kind])))
    cpu = sum(m["value"] for s in r.get_curve("absolute_cpu_time_per_pid") for m in s)
    print("absolute_cpu_time_per_pid summed over lines %.4f s   report cpu_time_s %.4f s   %s" %
          (cpu, rep["cpu_time_s"], rel(cpu, rep["cpu_time_s"])))
    print("average_('per_process_mem_use_abs') %.0f B   report pss_mean %.0f B" %
          (r.average_("per_process_mem_use_abs"), rep["memory"]["pss_mean_bytes"]))
    print("max_('total_mem_use') %d B" % r.max_("total_mem_use"))
    if "gpu" in E:
        per = r.total_("per_gpu_nvidia_power")
        for g in rep["gpus"]:
            i = str(g["index"])
            print("GPU %s: total_ %.4f J (report %.4f J, %s), max_ memory %d (report %d), average_ SM %.2f "
                  "(report %.2f)" % (i, per[i], g["energy_j"], rel(per[i], g["energy_j"]),
                                     r.max_("per_gpu_nvidia_memory")[i], g["mem_peak_bytes"],
                                     r.average_("per_gpu_nvidia_use_rate").get(i, float("nan")), g["sm_mean"]))
        t = r.total_power_draw()
        print("total_power_draw %.4f J   report cpu_total + gpu %.4f J   %s" %
              (t, E["cpu_total"] + E["gpu"], rel(t, E["cpu_total"] + E["gpu"])))
    else:
        try:
            r.total_power_draw()
        except TypeError as e:
            print("total_power_draw: TypeError (%s): no NVIDIA draw on a CPU-only recording" % e)
    if r.exp_metrics:
        print("experiment metrics: %s" % {k: v["values"] for k, v in r.exp_metrics.items()})
    print("get_summary keys: %s" % sorted(r.get_summary()))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        r.print()
    print("print(): %d lines, e.g. %r" % (len(out.getvalue().splitlines()),
                                         [l for l in out.getvalue().splitlines() if "intel" in l][:1]))
    png = os.path.join(tempfile.mkdtemp(prefix="aipm-plot."), "curves.png")
    r.display_curves(["intel_power", "total_mem_use"], saveto=png)
    r.display_2_curves("intel_power", "absolute_cpu_time_per_pid")
    print("display_curves -> %s (%d bytes); display_2_curves ran" % (png, os.path.getsize(png)))


if __name__ == "__main__":
    base = tempfile.mkdtemp(prefix="aipm-real.")
    dirs = cr.make_recordings(base)
    for name, d in dirs.items():
        show(name, d)
    print("recordings kept in %s" % base)
