"""aipm.compat.experiment: AIPowerMeter's Experiment and ExpResults over aipm.

Experiment(driver, model=None, input_size=None, cont=False)
    measure_yourself(period=1, measurement_period=2) -> (p, q)
        measures this process and its children with aipm's meter (in a
        thread of this process, its own CPU time not counted), one sample
        every `period` seconds; q.put(STOP_MESSAGE) takes the last sample
        and closes the segment before it returns; p.join() then returns at
        once. measurement_period is accepted and not used (AIPowerMeter's
        current loop does not use it either). cont=True appends a segment.
    measure_from_pid_list(pid_list, period=1) -> (p, q)
        measures other processes: runs `aipm attach -p PIDS` (the aipm
        program, from $AIPM or PATH); q.put(STOP_MESSAGE) stops it.
    model/input_size store model_summary.json (aipm.model_to_onnx).

ExpResults(driver) reads the recording through aipm's own reader (the
rows of `aipm export --csv`, from the library) and answers with
AIPowerMeter's rules: a per-pid object is summed per line, a curve is cut
at segment ends, total_ is the trapezoid rule over each segment. So it
gives what AIPowerMeter's ExpResults gives on the same recording; aipm's
exact counters are `aipm report` (aipm.Recording(dir).summary()), which
print() shows.
"""
import csv
import io
import os
import shutil
import signal
import subprocess

from .. import AipmError, Meter, Recording

STOP_MESSAGE = "Stop"
EXP_DONE = "Done"

# The metrics of "gpu" that AIPowerMeter's loader keeps; per_gpu_* of them
# are per GPU.
_GPU = ("nvidia_power", "nvidia_memory", "nvidia_use_rate")


class _Running:
    """What measure_yourself returns twice over: a process-like handle (p)
    and a queue-like one (q). q.put(STOP_MESSAGE) stops the measurement."""

    def __init__(self, stop, alive, pid):
        self._stop, self._alive, self.pid = stop, alive, pid

    def put(self, message, block=True, timeout=None):
        if message == STOP_MESSAGE:
            self._stop()

    def join(self, timeout=None):
        """The measurement stops on q.put(STOP_MESSAGE): nothing to wait for."""

    def is_alive(self):
        return self._alive()

    def terminate(self):
        self._stop()


class Experiment:
    def __init__(self, driver, model=None, input_size=None, cont=False):
        self.db_driver, self.model, self.input_size, self.cont = driver, model, input_size, cont

    def measure_yourself(self, period=1, measurement_period=2):
        m = Meter(self.db_driver.folder, description=self.db_driver.description or None, interval=period,
                  append=self.cont, model=self.model, input_size=self.input_size)
        r = _Running(lambda: m._h is not None and m.stop(), lambda: m._h is not None, os.getpid())
        return r, r

    def measure_from_pid_list(self, pid_list, period=1):
        exe = os.environ.get("AIPM") or shutil.which("aipm")
        if not exe:
            raise AipmError(2, "measure_from_pid_list runs `aipm attach`, and no aipm program was found: install "
                            "aipm or set AIPM=/path/to/aipm")
        cmd = [exe, "attach", "-q", "-i", str(period), "-o", self.db_driver.folder,
               "-p", ",".join(str(int(p)) for p in pid_list)]
        if self.cont:
            cmd.insert(2, "-a")
        if self.db_driver.description:
            cmd[2:2] = ["-d", self.db_driver.description]
        proc = subprocess.Popen(cmd)

        def stop():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait()
        r = _Running(stop, lambda: proc.poll() is None, proc.pid)
        return r, r


def _number(text):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _integral(points):
    return sum((t2 - t1) * (v1 + v2) / 2 for (t1, v1), (t2, v2) in zip(points, points[1:]))


class ExpResults:
    def __init__(self, db_driver):
        self.db_driver = db_driver
        rec = Recording(db_driver.folder)
        rows = list(csv.reader(io.StringIO(rec.csv())))
        head, rows = rows[0], rows[1:]
        ts, seg = head.index("timestamp"), head.index("segment")
        self.cpu_metrics, self.gpu_metrics = {}, {}
        for col, name in enumerate(head):
            if col in (0, ts, seg) or name == "phases":
                continue
            # "name" or "name.pid" of "cpu" and "gpu"; other sections come
            # prefixed ("temperature.x", "amd_gpu.per_gpu_power.0")
            base, _, key = name.partition(".")
            if base.startswith("per_gpu_nvidia_") and base[8:] in _GPU:
                table = self.gpu_metrics.setdefault(base, {}).setdefault(key, {})
            elif base in _GPU:
                table = self.gpu_metrics.setdefault(base, {})
            elif base.startswith("per_gpu_") or base in ("temperature", "cpu_estimate") or base.endswith("_gpu") \
                    or base.startswith("nvidia_") and base != "nvidia_draw_absolute":
                continue  # sections and GPU keys AIPowerMeter's loader does not keep
            else:
                table = self.cpu_metrics.setdefault(base, {})
            for r in rows:
                v = _number(r[col])
                if v is not None:
                    k = (int(r[seg]), float(r[ts]))
                    table[k] = table.get(k, 0) + v  # a per-pid object is summed per line
        self.exp_metrics = None
        points = rec.metrics().get("points", []) if os.path.exists(db_driver.exp_metric_filename) else []
        if points:
            self.exp_metrics = {}
            for p in points:
                for k, v in (p.get("metrics") or {}).items():
                    self.exp_metrics.setdefault(k, {})[(0, p["timestamp"])] = v
        if not self.cpu_metrics and not self.gpu_metrics and not self.exp_metrics:
            raise AipmError(2, "no recording could be read in %s" % db_driver.folder)

    def list_metrics(self):
        return {"CPU": list(self.cpu_metrics), "GPU": list(self.gpu_metrics),
                "Experiment": list(self.exp_metrics or {})}

    def print_metrics(self):
        for group, names in self.list_metrics().items():
            print(group)
            print(names if names else "      NOT AVAILABLE")

    @staticmethod
    def _segments(points):
        out = {}
        for (s, t), v in sorted(points.items()):
            out.setdefault(s, []).append({"date": t, "value": v})
        return [out[s] for s in sorted(out)]

    def get_curve(self, name):
        """[[{date, value}, ...] per segment]; per GPU: {gpu: [segments]}."""
        for table in (self.cpu_metrics, self.gpu_metrics, self.exp_metrics or {}):
            if name in table:
                data = table[name]
                if data and isinstance(next(iter(data.values())), dict):
                    return {dev: self._segments(p) for dev, p in data.items()}
                return self._segments(data) or None
        return None

    def _window(self, segs, start, end):
        return [[p for p in s if (start is None or p["date"] >= start) and (end is None or p["date"] <= end)]
                for s in segs]

    def total_(self, metric_name, start=None, end=None):
        c = self.get_curve(metric_name)
        if c is None:
            return None
        one = lambda segs: sum(_integral([(p["date"], p["value"]) for p in s]) for s in self._window(segs, start, end))
        return {dev: one(s) for dev, s in c.items()} if isinstance(c, dict) else one(c)

    def get_duration_metric(self, metric_name, start=None, end=None):
        segs = self.get_curve(metric_name)
        s0, e0 = segs[0][0]["date"], segs[-1][-1]["date"]
        start = max(start, s0) if start is not None else s0
        end = min(end, e0) if end is not None else e0
        d = sum(w[-1]["date"] - w[0]["date"] for w in self._window(segs, start, end) if len(w) > 1)
        return d, start, end

    def get_exp_duration(self, start=None, end=None):
        for table in (self.cpu_metrics, self.gpu_metrics, self.exp_metrics or {}):
            for name in table:
                return self.get_duration_metric(name, start=start, end=end)

    def average_(self, metric_name, start=None, end=None):
        t = self.total_(metric_name, start=start, end=end)
        d, s, e = self.get_exp_duration(start=start, end=end)
        if isinstance(t, dict):
            return {dev: v / d if d else v for dev, v in t.items()}
        return None if t is None else (t / d if d else t)

    def max_(self, metric_name, start=None, end=None):
        c = self.get_curve(metric_name)
        if c is None:
            return None
        one = lambda segs: max((p["value"] for s in self._window(segs, start, end) for p in s), default=None)
        return {dev: one(s) for dev, s in c.items()} if isinstance(c, dict) else one(c)

    def total_power_draw(self, start=None, end=None):
        return self.total_("intel_power", start=start, end=end) + self.total_("nvidia_draw_absolute", start=start,
                                                                                end=end)

    def get_summary(self, start=None, end=None):
        d, s, e = self.get_exp_duration(start=start, end=end)
        out = {"duration": d, "start": s, "end": e}
        out["cpu"] = {k: self.total_(k, start, end) for k in ("intel_power", "psys_power", "total_dram_power",
                                                                "total_cpu_power", "rel_intel_power")}
        out["cpu"]["max_total_mem_use"] = self.max_("total_mem_use", start, end)
        if self.gpu_metrics:
            out["gpu"] = {"nvidia_power": self.total_("nvidia_power", start, end),
                          "per_gpu_nvidia_power": self.total_("per_gpu_nvidia_power", start, end),
                          "per_gpu_nvidia_memory": self.max_("per_gpu_nvidia_memory", start, end),
                          "per_gpu_nvidia_use_rate": self.average_("per_gpu_nvidia_use_rate", start, end)}
        return out

    def print(self):
        """aipm's report of the recording: energies from the counters, the
        experiment's share, CPU time and memory (`aipm report DIR`)."""
        r = Recording(self.db_driver.folder).summary()
        print("recording %s: %.3f s over %s segment(s)" % (self.db_driver.folder, r.get("duration_s") or 0,
                                                          r.get("segments")))
        if r.get("description"):
            print(r["description"])
        for k, v in (r.get("energy_j") or {}).items():
            print("  energy %-12s %12.3f J" % (k, v))
        for k, v in (r.get("attributed_j") or {}).items():
            print("  attributed %-8s %12.3f J" % (k, v))
        if r.get("cpu_time_s") is not None:
            print("  cpu time %17.3f s" % r["cpu_time_s"])
        mem = r.get("memory") or {}
        if mem.get("pss_peak_bytes") is not None:
            print("  memory PSS peak %10.1f MiB" % (mem["pss_peak_bytes"] / 2 ** 20))
        for g in r.get("gpus") or []:
            print("  gpu %s %s: %.3f J, SM %.1f %%" % (g.get("label"), g.get("name"), g.get("energy_j") or 0,
                                                      g.get("sm_mean") or 0))

    def display_curves(self, metric_names, saveto=None):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        for name in metric_names:
            c = self.get_curve(name)
            if c is None:
                continue
            for label, segs in (c.items() if isinstance(c, dict) else [(None, c)]):
                for i, s in enumerate(segs):
                    ax.plot([p["date"] for p in s], [p["value"] for p in s],
                            label=(name if label is None else "%s:%s" % (name, label)) if i == 0 else None)
        ax.legend()
        if saveto:
            fig.savefig(saveto)
        else:
            plt.show()
