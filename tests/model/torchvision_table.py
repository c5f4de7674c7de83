#!/usr/bin/env python3
"""aipm model on torchvision's classification models against the truth.

    python3 tests/model/torchvision_table.py [AIPM] [FIXTURE_DIR]

Runs `aipm model --json` on every stripped export in
tests/fixtures/onnx/torchvision (made by scripts/export_torchvision.py, with
torch; CI has none) and compares with truth.json, recorded by that script
from the PyTorch model itself: parameters (sum of numel of parameters())
must match exactly, MACs (forward hooks on Conv2d and Linear plus
attention's matrix products) within 1 %, every node must be sized and the
output must come out 1x1000. Prints the table in the README; exits 1 on any
miss, so it is also the test (model_torchvision in `make check`).
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
AIPM = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AIPM", "build/aipm")
FX = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "fixtures", "onnx", "torchvision")
TOLERANCE = 0.01


def main():
    truth = json.load(open(os.path.join(FX, "truth.json")))
    fails = 0
    print("| model | params (aipm = PyTorch) | MACs aipm | MACs hooks | error |")
    print("|---|---:|---:|---:|---:|")
    for name in sorted(truth):
        t = truth[name]
        p = subprocess.run([AIPM, "model", os.path.join(FX, name + ".onnx"), "--json"], capture_output=True,
                           text=True)
        if p.returncode:
            print("| %s | aipm failed: %s |" % (name, p.stderr.strip()))
            fails += 1
            continue
        d = json.loads(p.stdout)
        err = (d["macs"] - t["macs_hooks"]) / t["macs_hooks"]
        problems = []
        if d["params_total"] != t["params"]:
            problems.append("params %d, truth %d" % (d["params_total"], t["params"]))
        if abs(err) > TOLERANCE:
            problems.append("MACs off by %.2f %%" % (100 * err))
        if d["unsized_ops"]:
            problems.append("unsized: " + ", ".join("%s %s (%s)" % (u["op_type"], u["node"], u["reason"])
                                                    for u in d["unsized_ops"][:3]))
        if d.get("macs_overflow"):
            problems.append("MACs overflowed")
        if [o["shape"] for o in d["outputs"]] != [[1, 1000]]:
            problems.append("output shape %s" % [o["shape"] for o in d["outputs"]])
        print("| %s | %s | %s | %s | %+.3f %% |%s" % (name, format(d["params_total"], ","), format(d["macs"], ","),
                                                   format(t["macs_hooks"], ","), 100 * err,
                                                   "  FAIL: " + "; ".join(problems) if problems else ""))
        fails += bool(problems)
    print("%d of %d models match (params exact, MACs within %g %%)" % (len(truth) - fails, len(truth),
                                                                       100 * TOLERANCE))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
