#!/usr/bin/env python3
"""Invariants every aipm recording must hold (run on each recording a test
makes): lines parse; cumulative energies and CPU time never go back within
a segment; per-process shares of one interval sum to at most 1; attributed
energy never exceeds the measured energy of its zones.

    check_invariants.py DIR [--allow-bad-lines N]
Exit 0 when all hold, 1 with a message per violation."""
import json
import sys

EPS = 1e-6


def main(argv):
    d = argv[0]
    allow_bad = int(argv[argv.index("--allow-bad-lines") + 1]) if "--allow-bad-lines" in argv else 0
    lines = open(d + "/power_metrics.json").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    bad = []
    prev = None
    n = 0
    for i, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except ValueError:
            if allow_bad > 0:
                allow_bad -= 1
            else:
                bad.append("line %d does not parse" % i)
            # A cut line is where a killed run ended: what follows is a
            # new segment (--append), not a continuation.
            prev = None
            continue
        if rec == "END OF RECORDING SEGMENT":
            prev = None
            continue
        n += 1
        cpu = rec["metrics"].get("cpu", {})
        for k, v in cpu.items():
            vals = v.values() if isinstance(v, dict) else [v]
            if not all(isinstance(x, (int, float)) for x in vals):
                bad.append("line %d: cpu.%s is not a number or object of numbers" % (i, k))
        s = sum(cpu.get("per_process_cpu_uses", {}).values())
        if s > 1 + EPS:
            bad.append("line %d: per_process_cpu_uses sum to %g > 1" % (i, s))
        s = sum(cpu.get("per_process_mem_use_percent", {}).values())
        if s > 1 + EPS:
            bad.append("line %d: per_process_mem_use_percent sum to %g > 1" % (i, s))
        zones = cpu.get("per_zone_energy", {})
        att = cpu.get("attributed_energy", {})
        pkg = sum(v for k, v in zones.items() if k.startswith("package"))
        dram = sum(v for k, v in zones.items() if k.startswith("dram"))
        if att.get("cpu", 0) > pkg + EPS:
            bad.append("line %d: attributed cpu %g J > package %g J" % (i, att["cpu"], pkg))
        if att.get("dram", 0) > dram + EPS:
            bad.append("line %d: attributed dram %g J > dram %g J" % (i, att["dram"], dram))
        gpu = rec["metrics"].get("gpu", {})
        if prev is not None:
            pz = prev["metrics"].get("cpu", {}).get("per_zone_energy", {})
            for k, v in zones.items():
                if k in pz and v < pz[k] - EPS:
                    bad.append("line %d: energy of %s went back %g -> %g" % (i, k, pz[k], v))
            pc = prev["metrics"].get("cpu", {})
            if "cpu_time" in cpu and "cpu_time" in pc and cpu["cpu_time"] < pc["cpu_time"] - EPS:
                bad.append("line %d: cpu_time went back" % i)
            pg = prev["metrics"].get("gpu", {}).get("per_gpu_energy", {})
            for k, v in gpu.get("per_gpu_energy", {}).items():
                if k in pg and v < pg[k] - EPS:
                    bad.append("line %d: energy of GPU %s went back" % (i, k))
        for k, v in gpu.get("per_gpu_attributed_energy", {}).items():
            if v > gpu.get("per_gpu_energy", {}).get(k, 0) + EPS:
                bad.append("line %d: GPU %s attributed > measured" % (i, k))
        prev = rec
    if n == 0:
        bad.append("no sample lines")
    for b in bad[:20]:
        print("invariant violated: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
