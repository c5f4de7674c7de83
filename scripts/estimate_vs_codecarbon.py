#!/usr/bin/env python3
"""Compare aipm's CPU power estimate with CodeCarbon's published formula.

    estimate_vs_codecarbon.py [--probe PATH] [--check DOC | --write DOC]
    estimate_vs_codecarbon.py [--probe PATH] --validate CODECARBON_CHECKOUT

For each machine below (fake cpuinfo/DMI trees from
tests/estimate/mktree.py) and each load, it prints a Markdown table of:

- aipm's estimate and bounds, as the library computes them (the table is
  the output of tests/estimate/estimate_probe, not a re-implementation);
- what CodeCarbon computes for the same input, following its code at
  mlco2/codecarbon@b05965e43b69 (2026-08-08), machine tracking mode
  without RAPL ("cpu_load"): P = max_power x (0.1 + 0.9 u^3), where
  max_power = TDP x sockets when its fuzzy match finds the brand string
  in cpu_power.csv, 4 W x threads x sockets when it does not, 85 W when
  no model name can be read (core/cpu.py TDP._main,
  core/resource_tracker.py set_CPU_tracking, external/hardware.py);
- the package power CodeCarbon's own RAPL profiles measured on that CPU,
  where they exist (codecarbon/data/hardware/cpu_load_profiling, same
  commit; bare metal, all cores loaded).

--validate reads every all-cores RAPL profile in a checkout (a work tree)
of mlco2/codecarbon and says, per run, how many measured points fall
inside aipm's bounds and how far each central value is from them.

--check DOC fails (exit 1) when DOC's table, between the markers
<!-- estimate-vs-codecarbon:begin --> and <!-- estimate-vs-codecarbon:end -->,
is not what this script prints now; --write DOC replaces it. Standard
library only.
"""
import argparse
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- estimate-vs-codecarbon:begin -->"
END = "<!-- estimate-vs-codecarbon:end -->"
LOADS = (0.10, 0.50, 1.00)

# fixture -> (label, CodeCarbon RAPL profile: load -> (measured load %, W))
MACHINES = [
    ("e5-2620v3-2s", "2 x Xeon E5-2620 v3, bare metal",
     {0.10: (10.0, 16.4), 0.50: (50.2, 62.2), 1.00: (99.6, 117.0)}),
    ("epyc-8024p", "EPYC 8024P, bare metal",
     {0.10: (10.0, 18.6), 0.50: (50.0, 43.2), 1.00: (100.0, 46.1)}),
    ("gcp-n2-masked", "GCP n2-standard-8, brand masked", {}),
    ("qemu-unknown", "QEMU virtual CPU, 4 vCPUs", {}),
]

# CodeCarbon's constants (core/cpu.py DEFAULT_POWER_PER_CORE,
# external/hardware.py POWER_CONSTANT).
CC_W_PER_THREAD = 4
CC_NO_MODEL_W = 85


def default_process(s):
    """rapidfuzz.utils.default_process: lowercase, non-alphanumerics to spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s.lower()).split())


def token_set_is_100(a, b):
    """rapidfuzz fuzz.token_set_ratio(a, b) == 100: the token sets share a
    token and one contains the other."""
    ta, tb = set(default_process(a).split()), set(default_process(b).split())
    return bool(ta & tb) and (ta <= tb or tb <= ta)


def codecarbon_tdp(model, names):
    """TDP._get_matching_cpu, non-greedy, thresholds 100."""
    lower = {n.lower(): n for n in names}
    if model.lower() in lower:
        return lower[model.lower()]
    raw = model.replace("(R)", "")
    cut = raw.find(" CPU @ ")
    if cut > 0:
        raw = raw[:cut]
    raw = raw.replace(" CPU", "")
    raw = re.sub(r" @\s*\d+\.\d+GHz", "", raw)
    if raw.lower() in lower:
        return lower[raw.lower()]
    hits = [n for n in names if token_set_is_100(raw, n)]
    # process.extract keeps the best five; all score 100, so two or more
    # hits tie and the non-greedy match gives up.
    return hits[0] if len(hits) == 1 else None


def codecarbon(identity, tdp):
    model = identity["model_name"]
    sockets = identity["sockets"] or 1  # lscpu "Socket(s):", 1 if absent
    if not model:
        return CC_NO_MODEL_W, "85 W constant"
    row = codecarbon_tdp(model, list(tdp))
    if row:
        return tdp[row] * sockets, f"TDP {tdp[row]:g} W x {sockets}"
    threads = identity["ncpus"]
    return CC_W_PER_THREAD * threads * sockets, f"4 W x {threads} threads x {sockets}"


# CodeCarbon's profiled CPUs: sockets are not in the profiles (the E5-2620
# v3 run has 24 threads of a 6-core part, hence two sockets).
PROFILED = {
    "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz": 2,
    "Intel(R) Xeon(R) CPU E3-1240 V2 @ 3.40GHz": 1,
    "AMD EPYC 8024P 8-Core Processor": 1,
    "AMD Ryzen Threadripper 1950X 16-Core Processor": 1,
}


def run_probe(probe, tmp, name, loads):
    out = subprocess.run([probe, os.path.join(tmp, name, "proc"), os.path.join(tmp, name, "sys")]
                         + [repr(u) for u in loads], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def load_mktree():
    spec = importlib.util.spec_from_file_location("mktree", os.path.join(ROOT, "tests", "estimate", "mktree.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def validate(probe, checkout, tdp):
    import statistics
    mktree = load_mktree()
    base = os.path.join(checkout, "codecarbon", "data", "hardware", "cpu_load_profiling")
    rows = ["| run | points | inside aipm's bounds | median error, aipm central | median error, CodeCarbon |",
            "|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for d in sorted(os.listdir(base)):
            for f in sorted(os.listdir(os.path.join(base, d))):
                if "all_cores" not in f or f.endswith("-tasks.csv"):
                    continue
                with open(os.path.join(base, d, f), newline="") as fp:
                    pts = [r for r in csv.DictReader(fp) if float(r["cpu_load"]) >= 5]
                cpu, sockets = pts[0]["cpu_name"], PROFILED[pts[0]["cpu_name"]]
                threads = int(pts[0]["cores_used"])
                name = "profiled-" + d
                mktree.FIXTURES[name] = dict(vendor="GenuineIntel", family=-1, model=-1, stepping=-1, name=cpu,
                                             sockets=sockets, cores=threads // sockets, smt=1, vm=False, dmi={})
                mktree.build(tmp, name)
                est = run_probe(probe, tmp, name, [float(r["cpu_load"]) / 100 for r in pts])
                max_w, _ = codecarbon(est["identity"], tdp)
                inside, ea, ec = 0, [], []
                for r, p in zip(pts, est["power"]):
                    meas, u = float(r["rapl_power"]), float(r["cpu_load"]) / 100
                    inside += p["low_w"] <= meas <= p["high_w"]
                    ea.append(abs(p["w"] - meas) / meas)
                    ec.append(abs(max_w * (0.1 + 0.9 * u ** 3) - meas) / meas)
                rows.append(f"| {d} ({cpu}) | {len(pts)} | {inside} | {statistics.median(ea):.0%} "
                            f"| {statistics.median(ec):.0%} |")
    return "\n".join(rows) + "\n"


def probe_path(arg):
    for p in [arg] if arg else [os.path.join(ROOT, b, "tests", "estimate", "estimate_probe")
                                for b in ("build-check", "build")]:
        if p and os.access(p, os.X_OK):
            return p
    sys.exit("aipm: estimate_vs_codecarbon: no estimate_probe found. Build the tests "
             "(make check) or pass --probe PATH")


def read_tdp():
    """CodeCarbon's cpu_power.csv, which aipm ships unchanged as cpu_tdp.csv."""
    tdp = {}
    with open(os.path.join(ROOT, "data", "estimate", "cpu_tdp.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            try:
                tdp.setdefault(r["Name"], float(r["TDP"]))
            except ValueError:
                pass  # "27.29.5": CodeCarbon's float() would raise on these rows too
    return tdp


def table(probe, tdp):
    lines = ["| CPU | load | aipm method (row) | aipm W [low, high] | CodeCarbon W (its rule) | measured W (load) |",
             "|---|---:|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        names = [m[0] for m in MACHINES]
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "estimate", "mktree.py"), tmp] + names,
                       check=True)
        for name, label, measured in MACHINES:
            est = run_probe(probe, tmp, name, LOADS)
            max_w, rule = codecarbon(est["identity"], tdp)
            method = est["method"] + (f" ({est['table']}:{est['row']})" if est["row"] else f" ({est['table']})")
            for p in est["power"]:
                u = p["util"]
                cc = max_w * (0.1 + 0.9 * u ** 3)
                meas = measured.get(round(u, 2))
                lines.append(f"| {label} | {u:.0%} | {method} | {p['w']:.1f} [{p['low_w']:.1f}, {p['high_w']:.1f}] "
                             f"| {cc:.1f} ({rule}) | " + (f"{meas[1]:.1f} ({meas[0]:g} %)" if meas else "n/a") + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probe")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--check", metavar="DOC")
    g.add_argument("--write", metavar="DOC")
    g.add_argument("--validate", metavar="CODECARBON_CHECKOUT")
    a = ap.parse_args()
    if a.validate:
        sys.stdout.write(validate(probe_path(a.probe), a.validate, read_tdp()))
        return 0
    text = table(probe_path(a.probe), read_tdp())
    doc = a.check or a.write
    if not doc:
        sys.stdout.write(text)
        return 0
    with open(doc, encoding="utf-8") as f:
        body = f.read()
    i, j = body.find(BEGIN), body.find(END)
    if i < 0 or j < i:
        print(f"aipm: {doc}: no {BEGIN} ... {END} markers. Add them where the table goes", file=sys.stderr)
        return 1
    current = body[i + len(BEGIN):j].strip("\n") + "\n"
    if a.check:
        if current != text:
            print(f"aipm: {doc}: the comparison table is stale. Run scripts/estimate_vs_codecarbon.py "
                  f"--write {doc}\n--- in {doc}\n{current}--- now\n{text}", file=sys.stderr)
            return 1
        print(text, end="")
        return 0
    with open(doc, "w", encoding="utf-8") as f:
        f.write(body[:i + len(BEGIN)] + "\n" + text + body[j:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
