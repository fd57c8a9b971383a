#!/usr/bin/env python3
"""Kernel time per step from an ncu --csv dump of gpu__time_duration.sum.

    ncu-steps.py DUMP.csv N

Splits the launches into steps at each embed_kernel (the forward pass's first
launch), keeps the last N steps, and prints each kernel name's launches and
microseconds per step, largest first. The first step's time is the prompt's
when N covers it.
"""
import csv
import sys
from collections import defaultdict


def main():
    path, n_steps = sys.argv[1], int(sys.argv[2])
    with open(path, newline="") as f:
        lines = f.readlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        sys.exit(f"{path}: no ncu CSV header")
    launches = []
    for row in csv.DictReader(lines[start:]):
        if row.get("Metric Name") == "gpu__time_duration.sum":
            launches.append((row["Kernel Name"], float(row["Metric Value"].replace(",", "")) / 1e3))
    steps = []
    for name, us in launches:
        if name == "embed_kernel" or not steps:
            steps.append([])
        steps[-1].append((name, us))
    kept = steps[-n_steps:]
    per = defaultdict(lambda: [0, 0.0])
    for step in kept:
        for name, us in step:
            per[name][0] += 1
            per[name][1] += us
    total = sum(v[1] for v in per.values()) / len(kept)
    print(f"{len(launches)} launches, {len(steps)} steps; last {len(kept)}: {total:.1f} us of kernels per step")
    print(f"{'kernel':60} {'launches':>9} {'us/step':>10} {'share':>6}")
    for name, (count, us) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        print(f"{name[:60]:60} {count / len(kept):9.1f} {us / len(kept):10.1f} {us / len(kept) / total:6.1%}")


if __name__ == "__main__":
    main()
