#!/usr/bin/env python3
"""A decode step's kernels as the device ran them, from a kernel_trace CSV.

    trace-steps.py TRACE.csv[.gz] N [K] [--prompt]

Sorts the kernels (and memsets and copies) by start, splits them into steps
at each embed_kernel (the forward pass's first launch), keeps the last N
steps of the kind the run ended with (decode steps: a benchmark's last
phase) and prints, for each kernel name, its launches and microseconds per
step:
  busy      end - start: under programmatic launch this includes the time
            its early blocks waited for the kernel before;
  critical  end - max(start, previous kernel's end): what it adds to the
            step after the kernel before it is done;
  gap       max(0, start - previous kernel's end): the device idle before
            it started (launch latency the graph did not hide). The
            criticals and gaps of a step sum to its length.
With K, also the last step's first K kernels in order: start and end after
the step's start, and the overlap with the kernel before (negative: a gap).
With --prompt, the steps kept are those of the longest step's kind instead
(a prompt benchmark's prompt steps, -p 512 -n 1).
"""
import argparse
import csv
import gzip
from collections import defaultdict


def main():
    parser = argparse.ArgumentParser(description="A step's kernels from a kernel_trace CSV.")
    parser.add_argument("trace")
    parser.add_argument("steps", type=int)
    parser.add_argument("first", type=int, nargs="?")
    parser.add_argument("--prompt", action="store_true")
    args = parser.parse_args()
    opener = gzip.open if args.trace.endswith(".gz") else open
    with opener(args.trace, "rt", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["start_ns"]))
    steps = []
    for r in rows:
        if r["name"] == "embed_kernel" or not steps:
            steps.append([])
        steps[-1].append(r)
    # What ran before the first embed_kernel (the model's upload) is no step.
    if steps and steps[0][0]["name"] != "embed_kernel":
        steps.pop(0)
    # A step's kind is its kernels' names and count: decode steps share one,
    # a prompt step, or a last step whose records did not come back before
    # the program ended, another. The count alone does not tell them apart
    # (an F16 prompt step and decode step both launch 293 kernels). Decode's
    # kind is the second-to-last step's: with many sequences the prompt's
    # chunks outnumber the decode steps, so the most common kind can be theirs;
    # a prompt's kind is that of the longest step.
    def kind(step):
        return len(step), frozenset(r["name"] for r in step)

    def length(step):
        return int(step[-1]["end_ns"]) - int(step[0]["start_ns"])

    usual = kind(max(steps, key=length) if args.prompt else steps[-2] if len(steps) > 1 else steps[-1])
    kept = [s for s in steps if kind(s) == usual][-args.steps:]
    per = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    wall = 0.0
    for step in kept:
        prev_end = int(step[0]["start_ns"])
        wall += (max(int(r["end_ns"]) for r in step) - prev_end) / 1e3
        for r in step:
            start, end = int(r["start_ns"]), int(r["end_ns"])
            p = per[r["name"]]
            p[0] += 1
            p[1] += (end - start) / 1e3
            p[2] += max(0, end - max(start, prev_end)) / 1e3
            p[3] += max(0, start - prev_end) / 1e3
            prev_end = max(prev_end, end)
    n = len(kept)
    print(f"{len(rows)} kernels, {len(steps)} steps; last {n}: {wall / n:.1f} us a step")
    print(f"{'kernel':44} {'launches':>9} {'busy us':>9} {'critical us':>12} {'share':>6} {'gap us':>7}")
    for name, (count, busy, crit, gap) in sorted(per.items(), key=lambda kv: -kv[1][2]):
        print(f"{name[:44]:44} {count / n:9.1f} {busy / n:9.1f} {crit / n:12.1f} {crit / wall:6.1%} {gap / n:7.1f}")
    if args.first is not None:
        step = kept[-1]
        t0 = int(step[0]["start_ns"])
        prev_end = 0
        print(f"\n{'kernel':44} {'start us':>9} {'end us':>9} {'overlap us':>11}")
        for r in step[: args.first]:
            start, end = int(r["start_ns"]) - t0, int(r["end_ns"]) - t0
            print(f"{r['name'][:44]:44} {start / 1e3:9.2f} {end / 1e3:9.2f} {(prev_end - start) / 1e3:11.2f}")
            prev_end = max(prev_end, end)


if __name__ == "__main__":
    main()
