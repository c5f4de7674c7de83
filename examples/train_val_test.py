#!/usr/bin/env python3
"""AIPowerMeter's train / validation / test example, with aipm's phases.

AIPowerMeter measures each stage into its own folder; here one recording
holds them all as phases, and `aipm report --by-phase DIR` (or
Recording(DIR).phases()) gives the energy of each. A tiny logistic
regression in pure Python stands in for the model, so the example runs
anywhere; put your own training loop in its place.

    python3 train_val_test.py out 3
"""
import math
import random
import sys

import aipm

DIM = 16


def data(seed, n, w_true):
    rng = random.Random(seed)
    for _ in range(n):
        x = [rng.uniform(-1, 1) for _ in range(DIM)]
        yield x, int(sum(a * b for a, b in zip(w_true, x)) > 0)


def predict(w, x):
    z = sum(a * b for a, b in zip(w, x))
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


def accuracy(w, seed, n, w_true):
    return sum((predict(w, x) > 0.5) == y for x, y in data(seed, n, w_true)) / n


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "aipm-example"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    w_true = [random.Random(1).uniform(-1, 1) for _ in range(DIM)]
    w = [0.0] * DIM
    with aipm.measure(out, description="train/validation/test example (Python)", interval=0.02) as m:
        for epoch in range(1, epochs + 1):
            with m.phase("train"):
                for x, y in data(100 + epoch, 6000, w_true):
                    g = predict(w, x) - y
                    w = [wk - 0.05 * g * xk for wk, xk in zip(w, x)]
            with m.phase("validation"):
                acc = accuracy(w, 7, 10000, w_true)
            m.log(epoch=epoch, val_accuracy=acc)
            print("epoch %d: validation accuracy %.3f" % (epoch, acc))
        with m.phase("test"):
            acc = accuracy(w, 11, 10000, w_true)
        m.log(test_accuracy=acc)
    print("test accuracy %.3f" % acc)
    for p in aipm.Recording(out).phases()["by_name"]:
        print("%-10s x%d  %s J  %s s CPU" % (p["name"], p["count"], p["energy_j"], p["cpu_time_s"]))


if __name__ == "__main__":
    main()
