#!/usr/bin/env python3
"""advance.py ROOT ZONE A B SECONDS: drive a fake powercap zone at the power
P(t) = A + B * (t - t0) watts (t wall-clock seconds), writing the counter
E(t) = A (t - t0) + B (t - t0)^2 / 2 every millisecond, computed from the
clock rather than summed, so a late step never loses energy. Writes "t0" to
ROOT/t0 once it has started: a test derives the truth between any two
instants from it. Stops after SECONDS.
"""
import os
import sys
import time


def keep_up():
    """A counter that lags the clock when this process waits for a CPU (the
    suite runs two tests at a time on two cores) would read as aipm's
    error: ask for a real-time priority (the suite runs as root), else a
    high nice value, else go on as is."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (OSError, AttributeError):
        try:
            os.nice(-15)
        except OSError:
            pass


def main(root, zone, a, b, seconds):
    keep_up()
    path = os.path.join(root, "class", "powercap", zone, "energy_uj")
    start = int(open(path).read())
    t0 = time.time()
    with open(os.path.join(root, "t0.tmp"), "w") as f:
        f.write(repr(t0))
    os.rename(os.path.join(root, "t0.tmp"), os.path.join(root, "t0"))
    fd = os.open(path, os.O_WRONLY)
    while True:
        x = time.time() - t0
        data = ("%d\n" % (start + int((a * x + b * x * x / 2) * 1e6))).encode()
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        if x > seconds:
            break
        time.sleep(0.001)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
