#!/usr/bin/env python3
"""sigkill_trials.py [N] (issue 12): SIGKILL `aipm run` at random moments,
N times (default 200), alternating fresh recordings and --append onto the
killed one, with phases and metrics logged all along; then every line of
power_metrics.json and phases.json must be whole JSON, results_exp.json one
JSON array with no logged record missing, metadata.json one JSON object,
and no temporary file may be left. Prints
the figures:

    trials, lines checked, broken lines, segments closed by --append,
    temporary files left

$AIPM (default build/aipm, then build-check/aipm) is the aipm tried.
Exit 0 when no line is broken. Kills by pid (aipm's process group, which it
and its command share), never by name.
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("AIPM_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AIPM = os.environ.get("AIPM") or next((p for p in (os.path.join(SRC, b, "aipm") for b in ("build", "build-check"))
                                       if os.path.exists(p)), "aipm")


def check_results(d):
    """results_exp.json is one JSON array at every moment (AIPowerMeter's
    reader json.loads it whole), and holds every metric logged before the
    kill: the job logs i = 1, 2, ... in each segment, so a gap is a loss."""
    p = os.path.join(d, "results_exp.json")
    if not os.path.exists(p):
        return 0, 0
    try:
        recs = json.load(open(p, encoding="utf-8"))
        if not isinstance(recs, list):
            raise ValueError("not an array")
    except ValueError as e:
        print("    results_exp.json does not load: %s" % e)
        return 1, 1
    broken, prev = 0, 0
    for r in recs:
        i = r.get("i")
        if i != 1 and i != prev + 1:
            broken += 1
            print("    results_exp.json: i=%s after %s (a record lost)" % (i, prev))
        prev = i
    return len(recs), broken


def check_dir(d):
    lines, broken = check_results(d)
    for name in ("power_metrics.json", "phases.json"):
        p = os.path.join(d, name)
        if not os.path.exists(p):
            continue
        with open(p, "rb") as f:
            for raw in f.read().split(b"\n"):
                if not raw:
                    continue
                lines += 1
                try:
                    json.loads(raw.decode("utf-8"))
                except ValueError:
                    broken += 1
                    print("    broken line in %s: %r" % (name, raw[:80]))
    p = os.path.join(d, "metadata.json")
    if os.path.exists(p):
        lines += 1
        try:
            if not isinstance(json.load(open(p, encoding="utf-8")), dict):
                raise ValueError
        except ValueError:
            broken += 1
            print("    metadata.json is not one JSON object")
    return lines, broken


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = random.Random(int(os.environ.get("AIPM_TRIAL_SEED", "12")))
    tmp = tempfile.mkdtemp(prefix="aipm-kill.")
    sysroot = os.path.join(tmp, "sys")
    subprocess.run([sys.executable, os.path.join(SRC, "tests/fixtures/mkrapl.py"), "make", sysroot, "laptop"],
                   check=True)
    env = dict(os.environ, AIPM_SYSFS_ROOT=sysroot)
    job = ("i=0; while :; do i=$((i+1)); \"%s\" mark p$i; \"%s\" log i=$i x=0.5; "
           "\"%s\" mark --end p$i; done" % (AIPM, AIPM, AIPM))
    closed = 0
    dirs = []
    for t in range(n):
        fresh = t % 2 == 0
        if fresh:
            dirs.append(os.path.join(tmp, "r%d" % t))
        cmd = [AIPM, "run", "-q", "-i", "0.01", "--mem-interval", "0.05", "-o", dirs[-1]]
        if not fresh:
            cmd.insert(2, "-a")
        p = subprocess.Popen(cmd + ["--", "sh", "-c", job], env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.0, 0.6))
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        closed += b"had no end" in err
    lines = broken = left = 0
    for d in dirs:
        a, b = check_dir(d)
        lines += a
        broken += b
        left += sum(1 for f in os.listdir(d) if ".tmp." in f) if os.path.isdir(d) else 0
    print("trials %d, lines checked %d, broken lines %d, killed segments closed by --append %d, "
          "temporary files left %d" % (n, lines, broken, closed, left))
    subprocess.run(["rm", "-rf", tmp])
    return 0 if broken == 0 and left == 0 and lines > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
