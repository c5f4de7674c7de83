"""aipm_loader.py: read a recording the way AIPowerMeter's reader does.

A stand-in for AIPowerMeter's JsonParser + ExpResults (its parsers.py and
experiment.py; the rules are summarised in REFERENCE.md section 6.7), written
from those rules so the test suite needs neither AIPowerMeter nor pandas.
It is deliberately as strict as the original where the original fails:

- every line of power_metrics.json goes through json.loads (a bad line
  raises, as there);
- each line that is an object is read through its "metrics"; under "cpu"
  every value is a number or a one-level object whose values are summed;
- under "gpu" the six keys nvidia_power, nvidia_memory, nvidia_use_rate and
  per_gpu_nvidia_{power,memory,use_rate} are required on every line that
  has the section (KeyError otherwise); per-GPU values are kept per GPU;
- results_exp.json is read with one json.load: a list of records, or an
  object whose values are the records, each with an end_training_epoch ISO
  date and its metrics as the other members;
- the dates are datetime.fromisoformat and compared as their timestamps;
- a segment ends at the date of the last line before an
  "END OF RECORDING SEGMENT" line, the last such end dropped; a curve is
  cut where one of its points has a segment's end date, so a metric that is
  not on a segment's last line bridges the gap (as there);
- None values are left out of a curve; integrals are the trapezoid rule
  between consecutive points of each segment.
"""
import datetime
import json
import os

END = "END OF RECORDING SEGMENT"
GPU_KEYS = ("nvidia_power", "nvidia_memory", "nvidia_use_rate")


def _ts(text):
    return datetime.datetime.fromisoformat(text).timestamp()


class Loader:
    def __init__(self, folder):
        self.folder = folder
        self.cpu, self.gpu, self.exp = {}, {}, None
        self.segment_ends = []
        path = os.path.join(folder, "power_metrics.json")
        last = None
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if rec == END:
                    self.segment_ends.append(last)
                    continue
                if not isinstance(rec, dict):
                    continue
                metrics = rec["metrics"]
                t = _ts(rec["date"])
                last = t
                for k, v in metrics.get("cpu", {}).items():
                    if isinstance(v, dict):
                        v = sum(v.values())
                    self.cpu.setdefault(k, []).append((t, v))
                if "gpu" in metrics:
                    g = metrics["gpu"]
                    for k in GPU_KEYS:
                        self.gpu.setdefault(k, []).append((t, g[k]))
                        per = self.gpu.setdefault("per_gpu_" + k, {})
                        for dev, v in g["per_gpu_" + k].items():
                            per.setdefault(dev, []).append((t, v))
        if self.segment_ends:
            self.segment_ends.pop()
        path = os.path.join(folder, "results_exp.json")
        if os.path.isfile(path):
            with open(path) as f:
                records = json.load(f)
            if isinstance(records, dict):
                records = list(records.values())
            self.exp = {}
            for r in records:
                t = _ts(r["end_training_epoch"])
                for k, v in r.items():
                    if k != "end_training_epoch":
                        self.exp.setdefault(k, []).append((t, v))
        if not self.cpu and not self.gpu and self.exp is None:
            raise ValueError("no recording in " + folder)

    def list_metrics(self):
        return {"CPU": list(self.cpu), "GPU": list(self.gpu), "Experiment": list(self.exp or {})}

    def _split(self, points):
        points = [(t, v) for t, v in points if v is not None]
        out, cur = [], []
        for t, v in points:
            cur.append((t, v))
            if t in self.segment_ends:
                out.append(cur)
                cur = []
        out.append(cur)
        return [s for s in out if s]

    def curve(self, name):
        """Segments of (t, v); for per-GPU metrics a dict GPU -> segments."""
        for table in (self.cpu, self.gpu, self.exp or {}):
            if name in table:
                data = table[name]
                if isinstance(data, dict):
                    return {dev: self._split(p) for dev, p in data.items()}
                return self._split(data)
        return None

    @staticmethod
    def _integral(segments):
        total = 0.0
        for seg in segments:
            for (t1, v1), (t2, v2) in zip(seg, seg[1:]):
                total += (t2 - t1) * (v1 + v2) / 2
        return total

    def total(self, name):
        c = self.curve(name)
        if c is None:
            return None
        if isinstance(c, dict):
            return {dev: self._integral(s) for dev, s in c.items()}
        return self._integral(c)

    def duration(self):
        """get_exp_duration: the time spanned by the first metric loaded."""
        first = next(iter(self.cpu or self.gpu or self.exp))
        return sum(s[-1][0] - s[0][0] for s in self.curve(first) if len(s) > 1)

    def average(self, name):
        t = self.total(name)
        d = self.duration()
        if isinstance(t, dict):
            return {dev: v / d for dev, v in t.items()}
        return None if t is None else t / d

    def maximum(self, name):
        c = self.curve(name)
        if isinstance(c, dict):
            return {dev: max(v for s in segs for _, v in s) for dev, segs in c.items()}
        return None if c is None else max(v for s in c for _, v in s)

    def total_power_draw(self):
        """ExpResults.total_power_draw: intel_power + nvidia_draw_absolute,
        which it finds only among the loaded metrics (so under "cpu")."""
        return self.total("intel_power") + self.total("nvidia_draw_absolute")

    def trapezoid_error(self, name):
        """The trapezoid rule's own error for interval averages: with P_i
        the power over (t_{i-1}, t_i], the integral of the points differs
        from sum(dt_i P_i), the energy, by sum(dt_i (P_{i-1} - P_i)) / 2."""
        c = self.curve(name)
        segs = [s for segs in c.values() for s in segs] if isinstance(c, dict) else c
        return sum(abs(sum((t2 - t1) * (v1 - v2) / 2 for (t1, v1), (t2, v2) in zip(s, s[1:]))) for s in segs)
