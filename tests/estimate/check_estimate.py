#!/usr/bin/env python3
"""What a recording made without RAPL must hold about the CPU estimate.

    check_estimate.py DIR --expect estimate|off|measured

An AIPowerMeter-style reader takes metrics.cpu's intel_power,
per_zone_energy/per_zone_power and attributed_energy for measured CPU
energy: without RAPL (estimate, off: --no-estimate) none of them may
appear in any line. With --expect estimate, every
sample line has metrics.cpu_estimate with the method metadata.json names,
each value inside its bounds, the experiment's share within the machine's
estimate bound by bound, and energies that never go back within a
segment. With off or measured (RAPL readable), no line has it. Exit 0 when all hold, 1 with
a message per violation.
"""
import json
import sys

EPS = 1e-9
MEASURED = ("intel_power", "total_cpu_power", "uncore_power", "psys_power", "attributed_energy",
            "rel_intel_power", "per_process_cpu_power")
BANDS = (("power_w", "power_low_w", "power_high_w"), ("energy_j", "energy_low_j", "energy_high_j"),
         ("attributed_j", "attributed_low_j", "attributed_high_j"))


def method_of(d):
    meta = json.load(open(d + "/metadata.json"))
    src = [s for s in meta["sources"] if s["name"] == "cpu_estimate"]
    if not src:
        return None, "metadata.json lists no cpu_estimate source"
    s = src[0]
    if not s["available"]:
        return None, s["reason"]
    return s["details"]["method"], s["reason"]


def check_line(i, e, method, prev, bad):
    if e.get("method") != method:
        bad.append("line %d: method %r, metadata.json says %r" % (i, e.get("method"), method))
    for v, lo, hi in BANDS:
        if v in e and not (e[lo] - EPS <= e[v] <= e[hi] + EPS):
            bad.append("line %d: %s %g outside [%g, %g]" % (i, v, e[v], e[lo], e[hi]))
    for (m, a) in zip(BANDS[1], BANDS[2]):
        if a in e and e[a] > e[m] + EPS:
            bad.append("line %d: %s %g > %s %g" % (i, a, e[a], m, e[m]))
    for k in BANDS[1] + BANDS[2]:
        if prev is not None and k in e and k in prev and e[k] < prev[k] - EPS:
            bad.append("line %d: %s went back from %g to %g" % (i, k, prev[k], e[k]))
    if "load" in e and not (0 <= e["load"] <= 1):
        bad.append("line %d: load %g outside [0, 1]" % (i, e["load"]))


def main(argv):
    d, expect = argv[0], argv[argv.index("--expect") + 1]
    bad = []
    method, why = method_of(d)
    if expect == "estimate" and method is None:
        bad.append("no estimate: " + why)
    prev, n, with_est = None, 0, 0
    for i, line in enumerate(open(d + "/power_metrics.json"), 1):
        rec = json.loads(line)
        if rec == "END OF RECORDING SEGMENT":
            prev = None
            continue
        n += 1
        cpu = rec["metrics"].get("cpu", {})
        for k in cpu if expect != "measured" else ():
            if k in MEASURED or k.startswith("per_zone_"):
                bad.append("line %d: metrics.cpu.%s without RAPL" % (i, k))
        e = rec["metrics"].get("cpu_estimate")
        if e is None:
            continue
        with_est += 1
        if expect != "estimate":
            bad.append("line %d: cpu_estimate where none is expected" % i)
            continue
        check_line(i, e, method, prev, bad)
        prev = e
    if expect == "estimate" and with_est != n:
        bad.append("%d of %d sample lines have cpu_estimate" % (with_est, n))
    if n == 0:
        bad.append("no sample line")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
