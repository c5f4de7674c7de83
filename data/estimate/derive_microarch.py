#!/usr/bin/env python3
"""Re-derive microarch_power.csv from a checkout of
cloud-carbon-footprint/ccf-coefficients (Apache-2.0).

    python3 data/estimate/derive_microarch.py CCF_DIR > data/estimate/microarch_power.csv

CCF_DIR holds that repository's data/ and output/ folders. For every
micro-architecture, the servers of the newest data/SPECpower-*.csv whose
"CPU Description" ends with a model number listed in that architecture's
data/<family>.csv give one watts-per-hardware-thread figure each at active
idle and at 100 % load. The mean of those figures is what CCF publishes as
"Min Watts" / "Max Watts" (the script checks that against
output/coefficients-aws-use.csv and says where they differ); the spread of
the servers gives aipm's low and high bounds:

  n >= 10 servers: the 10th and 90th percentiles (statistics.quantiles,
                   inclusive method), widened to include the mean;
  n <  10 servers: the smallest and largest server.

Only the Python standard library is used; the output is deterministic.
"""
import csv
import glob
import os
import re
import statistics
import sys

# Architecture name as CCF's output files spell it -> CCF's model-number list.
FAMILIES = [
    ("Sandy Bridge", "intel-sandybridge"),
    ("Ivy Bridge", "intel-ivybridge"),
    ("Haswell", "intel-haswell"),
    ("Broadwell", "intel-broadwell"),
    ("Skylake", "intel-skylake"),
    ("Cascade Lake", "intel-cascadelake"),
    ("Coffee Lake", "intel-coffeelake"),
    ("Ice Lake", "intel-icelake"),
    ("Sapphire Rapids", "intel-sapphirerapids"),
    ("Emerald Rapids", "intel-emeraldrapids"),
    ("Granite Rapids", "intel-graniterapids"),
    ("EPYC 1st Gen", "amd-epyc-gen1"),
    ("EPYC 2nd Gen", "amd-epyc-gen2"),
    ("EPYC 3rd Gen", "amd-epyc-gen3"),
    ("EPYC 4th Gen", "amd-epyc-gen4"),
    ("EPYC 5th Gen", "amd-epyc-gen5"),
]
MIN_FOR_PERCENTILES = 10


def band(values, mean):
    if len(values) >= MIN_FOR_PERCENTILES:
        q = statistics.quantiles(values, n=10, method="inclusive")
        return min(q[0], mean), max(q[8], mean)
    return min(values), max(values)


def main(ccf):
    specs = sorted(glob.glob(os.path.join(ccf, "data", "SPECpower-*.csv")))
    if not specs:
        sys.exit(f"derive_microarch: no data/SPECpower-*.csv under {ccf}")
    with open(specs[-1], newline="") as f:
        servers = list(csv.DictReader(f))
    published = {}
    with open(os.path.join(ccf, "output", "coefficients-aws-use.csv"), newline="") as f:
        for r in csv.DictReader(f):
            published[r["Architecture"]] = (float(r["Min Watts"]), float(r["Max Watts"]))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["architecture", "servers", "idle_w", "idle_low_w", "idle_high_w",
                  "max_w", "max_low_w", "max_high_w", "ccf_min_w", "ccf_max_w", "spec_file"])
    for arch, short in FAMILIES:
        with open(os.path.join(ccf, "data", short + ".csv")) as f:
            models = [line.strip() for line in f if line.strip()]
        pattern = re.compile("|".join(rf"\b{re.escape(m)}$" for m in models), re.I)
        idle, full = [], []
        for s in servers:
            if not pattern.search(s["CPU Description"]):
                continue
            threads = float(s["Total Threads"])
            idle.append(float(s["avg. watts @ active idle"]) / threads)
            full.append(float(s["avg. watts @ 100%"]) / threads)
        if not idle:
            print(f"derive_microarch: {arch}: no SPECpower server, row left out", file=sys.stderr)
            continue
        im, fm = statistics.mean(idle), statistics.mean(full)
        il, ih = band(idle, im)
        fl, fh = band(full, fm)
        pmin, pmax = published.get(arch, (float("nan"), float("nan")))
        if abs(pmin - im) > 1e-6 or abs(pmax - fm) > 1e-6:
            print(f"derive_microarch: {arch}: mean {im:.4f}/{fm:.4f} W differs from CCF's "
                  f"published {pmin:.4f}/{pmax:.4f} W", file=sys.stderr)
        out.writerow([arch, len(idle)] + [f"{v:.4f}" for v in (im, il, ih, fm, fl, fh, pmin, pmax)]
                     + [os.path.basename(specs[-1])])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
