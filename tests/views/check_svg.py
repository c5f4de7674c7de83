#!/usr/bin/env python3
"""Read a plot of tests/fixtures/recordings/aipm-views back from its SVG.

    check_svg.py power FILE.svg    the default picture (aipm plot DIR)
    check_svg.py memory FILE.svg   aipm plot DIR -m experiment_mem_pss
    check_svg.py estimate FILE.svg aipm plot of aipm-estimate (no RAPL: a CPU
                                   estimate of 10 W in [4, 20] W)

Each series is a <g class="series" data-series="NAME">; its stroked path is
parsed back into pixels and held to the recording's numbers (computed by
hand, tests/fixtures/recordings/README.md): powers are steps over the
interval they average (every segment horizontal or vertical, each level
spanning exactly its interval from the sample before to its own), a GPU's
step is its counter's change (not the instantaneous draw), a segment
boundary lifts the pen, every series is named for people, legends carry
energies, phases of one name share one colour, panels read from zero.
Prints one line per check; exits 1 on the first failure.
"""
import re
import sys
import xml.etree.ElementTree as ET

# aipm-views: sample times per segment and the powers of each interval
TIMES = [[0, 1, 3, 3.5, 6], [10, 12, 13]]
PACKAGE = [[10, 20, 40, 16], [30, 25]]
GPU0_COUNTER = [[100, 150, 200, 120], [250, 200]]  # its draw was 95, 160, 190, 110 / 240, 210
MACHINE = [[162, 223, 324, 198], [353, 298]]  # packages + DRAM + both GPUs
SHARE = [[65.5, 101, 141, 80.4], [166, 131]]  # attributed CPU + DRAM + GPU 0
NAMES = {"machine (CPU packages + DRAM + GPUs)", "the experiment's share", "psys", "package 0", "core 0",
         "uncore 0", "DRAM 0", "GPU 0 (NVIDIA A100-SXM4-40GB)", "GPU 1 (NVIDIA T4)"}
TITLE = "hand-made: psys, package, core, uncore, DRAM, two NVIDIA GPUs, phases"


def fail(what):
    print("not ok -", what)
    sys.exit(1)


def ok(what):
    print("ok -", what)


def local(tag):
    return tag.rsplit("}", 1)[-1]


def parse_path(d):
    """Subpaths of an M/L path as lists of (x, y)."""
    runs = []
    for cmd, x, y in re.findall(r"([ML])\s*(-?[\d.]+)\s+(-?[\d.]+)", d):
        if cmd == "M":
            runs.append([])
        runs[-1].append((float(x), float(y)))
    return runs


def groups(root, cls):
    out = {}
    for g in root.iter():
        if local(g.tag) == "g" and g.get("class") == cls:
            out.setdefault(g.get("data-series"), []).append(g)
    return out


def stroke_runs(g):
    for p in g:
        if local(p.tag) == "path" and p.get("fill") == "none":
            return parse_path(p.get("d"))
    fail("series %s has no stroked path" % g.get("data-series"))


def steps_of(runs, name):
    """The horizontal segments of a step outline; fails on any ramp."""
    levels = []
    for run in runs:
        for (x0, y0), (x1, y1) in zip(run, run[1:]):
            if abs(y0 - y1) < 1e-6 and abs(x0 - x1) > 1e-6:
                levels.append((x0, x1, y0))
            elif abs(x0 - x1) > 1e-6:
                fail("%s: a ramp from (%g, %g) to (%g, %g): an interval's power must be a step" %
                     (name, x0, y0, x1, y1))
    return levels


def hold_steps(root, name, values, fit=None):
    g = groups(root, "series").get(name)
    if not g:
        fail("no series named %r" % name)
    runs = stroke_runs(g[0])
    if len(runs) != len(TIMES):
        fail("%s: %d runs of the pen, want %d (one per segment)" % (name, len(runs), len(TIMES)))
    levels = steps_of(runs, name)
    want = [(t[k], t[k + 1], v[k]) for t, v in zip(TIMES, values) for k in range(len(v))]
    if len(levels) != len(want):
        fail("%s: %d levels, want %d (one per interval)" % (name, len(levels), len(want)))
    if fit is None:
        # pixels from the first interval's start and the first segment's
        # end; values from two levels of different power
        (xa, _, _), (_, xb, _) = levels[0], levels[len(values[0]) - 1]
        bx = (xb - xa) / (TIMES[0][-1] - TIMES[0][0])
        i, j = 0, max(range(len(want)), key=lambda k: abs(want[k][2] - want[0][2]))
        by = (levels[j][2] - levels[i][2]) / (want[j][2] - want[i][2])
        fit = (xa - bx * TIMES[0][0], bx, levels[i][2] - by * want[i][2], by)
    ax, bx, ay, by = fit
    for (x0, x1, y), (t0, t1, v) in zip(levels, want):
        if abs(x0 - (ax + bx * t0)) > 0.05 or abs(x1 - (ax + bx * t1)) > 0.05:
            fail("%s: the step of %g W spans x %.2f..%.2f, want its interval %g..%g s (%.2f..%.2f)" %
                 (name, v, x0, x1, t0, t1, ax + bx * t0, ax + bx * t1))
        if abs(y - (ay + by * v)) > 0.05:
            fail("%s: the step over %g..%g s is at y %.2f, want %g W (y %.2f)" % (name, t0, t1, y, v, ay + by * v))
    ok("%s: %d steps, each over its interval at its value" % (name, len(levels)))
    return fit


def frame_bottom(root):
    for p in root.iter():
        if local(p.tag) == "path" and p.get("fill") == "none":
            pts = [pt for run in parse_path(p.get("d")) for pt in run]
            if len(pts) == 5 and pts[0] == pts[-1]:
                return max(y for _, y in pts)
    fail("no panel frame")


def texts(root):
    return [t.text or "" for t in root.iter() if local(t.tag) == "text"]


def power(root):
    series = groups(root, "series")
    names = set(series)
    if names != NAMES:
        fail("series named %s, want %s" % (sorted(names), sorted(NAMES)))
    for n in names:
        if not n or re.search(r"per_|_power|_energy|\.\d|nvidia:", n):
            fail("series %r is not named for people" % n)
    ok("every series is named for people: " + ", ".join(sorted(names)))
    fit = hold_steps(root, "package 0", PACKAGE)
    hold_steps(root, "GPU 0 (NVIDIA A100-SXM4-40GB)", GPU0_COUNTER, fit)
    hold_steps(root, "machine (CPU packages + DRAM + GPUs)", MACHINE, fit)
    hold_steps(root, "the experiment's share", SHARE, fit)
    share = series["the experiment's share"][0]
    if not any(local(p.tag) == "path" and p.get("d", "").endswith("Z") and p.get("fill") != "none" for p in share):
        fail("the experiment's share is not drawn as an area")
    ok("the experiment's share is an area")
    if abs(fit[2] - frame_bottom(root)) > 0.05:
        fail("0 W is at y %.2f, not at the bottom of the panel (%.2f): the axis does not start at zero" %
             (fit[2], frame_bottom(root)))
    ok("the power axis starts at zero")
    legend = {n: " ".join(t.text or "" for t in g[0].iter() if local(t.tag) == "text")
              for n, g in groups(root, "legend").items()}
    for n, want in (("package 0", "195.0 J, mean 21.7 W"), ("GPU 1 (NVIDIA T4)", "550.0 J, mean 61.1 W"),
                    ("machine (CPU packages + DRAM + GPUs)", "2269.0 J, mean 252.1 W"),
                    ("the experiment's share", "1002.0 J, mean 111.3 W, 44.2 % of the run")):
        if want not in legend.get(n, ""):
            fail("legend of %s is %r, want %r" % (n, legend.get(n), want))
    ok("legends carry each series' energy and mean power")
    phases = groups(root, "phase")
    fills = {n: {r.get("fill") for g in gs for r in g if local(r.tag) == "rect"} for n, gs in phases.items()}
    if sorted((n, len(g)) for n, g in phases.items()) != [("eval", 1), ("train", 2)]:
        fail("phase bands %s" % {n: len(g) for n, g in phases.items()})
    if len(fills["train"]) != 1 or fills["train"] == fills["eval"]:
        fail("phase colours %s: one colour per phase name" % fills)
    ok("phases: one colour per name (train twice, eval)")
    t = texts(root)
    for want in (TITLE, "power (W)", "elapsed time (s), clock time below", "19:20:12"):
        if want not in t:
            fail("no text %r in the picture" % want)
    ok("title, axis titles with units, clock time under elapsed time")


def memory(root):
    g = groups(root, "series").get("the experiment's PSS")
    if not g:
        fail("no series named \"the experiment's PSS\": %s" % list(groups(root, "series")))
    runs = stroke_runs(g[0])
    (x0, y0), (x1, y1) = runs[0][0], runs[0][1]  # 100 MiB at 0 s, 180 MiB at 1 s
    zero = y0 - (y1 - y0) / (180 - 100) * 100
    if abs(zero - frame_bottom(root)) > 0.05:
        fail("0 MiB is at y %.2f, not at the bottom of the panel (%.2f)" % (zero, frame_bottom(root)))
    ok("the memory panel reads from zero")
    if "memory (MiB)" not in texts(root):
        fail("no axis title 'memory (MiB)'")
    ok("memory axis titled with its unit")


def estimate(root):
    name = "CPU estimate (a model, not measured)"
    g = groups(root, "series").get(name)
    if not g:
        fail("no series named %r: %s" % (name, list(groups(root, "series"))))
    stroked = [p for p in g[0] if local(p.tag) == "path" and p.get("fill") == "none"]
    if not stroked or not stroked[0].get("stroke-dasharray"):
        fail("the estimate is not dashed")
    runs = parse_path(stroked[0].get("d"))
    levels = steps_of(runs, name)
    spans = [x1 - x0 for x0, x1, _ in levels]
    flat = max(y for _, _, y in levels) - min(y for _, _, y in levels) if levels else 1
    if len(runs) != 2 or len(levels) != 5 or flat > 0.05 or max(spans) - min(spans) > 0.05:
        fail("the estimate's steps %s in %d runs: want 5 one-second steps at 10 W, a gap between the segments" %
             (levels, len(runs)))
    ok("the estimate: dashed steps over its intervals, a gap between segments")
    bottom, y10 = frame_bottom(root), levels[0][2]
    band = [p for p in g[0] if local(p.tag) == "path" and p.get("d", "").endswith("Z")]
    ys = sorted({round(y, 2) for p in band for run in parse_path(p.get("d")) for _, y in run})
    want = sorted({round(bottom - (bottom - y10) * v / 10, 2) for v in (4, 20)})
    if len(band) != 2 or any(abs(a - b) > 0.05 for a, b in zip(ys, want)) or len(ys) != 2:
        fail("the estimate's band: %d areas at y %s, want one per segment from 4 W to 20 W (y %s)" %
             (len(band), ys, want))
    ok("the estimate's band spans its bounds, 4 to 20 W")
    legend = " ".join(t.text or "" for t in groups(root, "legend")[name][0].iter() if local(t.tag) == "text")
    if "50.0 J, mean 10.0 W (20.0 J to 100.0 J)" not in legend:
        fail("the estimate's legend %r" % legend)
    ok("its legend gives the estimate's energy and bounds: " + legend)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    root = ET.parse(path).getroot()
    {"power": power, "memory": memory, "estimate": estimate}[mode](root)


if __name__ == "__main__":
    main()
