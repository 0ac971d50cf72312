#!/usr/bin/env python3
"""Joins Go benchmark output and bench_torchvision.py JSON into Markdown tables.

    python table.py GO_BENCH_OUTPUT TORCHVISION_JSONL [--goal 3]

GO_BENCH_OUTPUT is the text of one or more `go test -bench` runs of
augment/compare_bench_test.go (lines "BenchmarkCompareFull32 ... N img/cpu-s
M img/s ..."); every line is one sample. TORCHVISION_JSONL holds one or more
JSON lines of bench_torchvision.py; every repeat of every line is one sample.
Rows are joined by name (Standard32, RandAugment84, ...). Two tables: wall
clock (img/s) and CPU time (img/cpu-s). Each side's median over its samples
is shown with its range, and the ratio is Go median / torchvision median.
Standard library only.
"""

import argparse
import collections
import json
import re
import statistics

GO_NAME = re.compile(r"^Benchmark(?:Compare)?(\w+?)(?:-\d+)?\s")
GO_METRIC = re.compile(r"([\d.]+) (img/s|img/cpu-s)\b")


def go_samples(path):
    """Returns {metric: {row: [samples]}} for metrics img/s and img/cpu-s."""
    out = collections.defaultdict(lambda: collections.defaultdict(list))
    with open(path) as f:
        for line in f:
            m = GO_NAME.match(line)
            if not m:
                continue
            for value, unit in GO_METRIC.findall(line):
                out[unit][m.group(1)].append(float(value))
    return out


def tv_samples(path):
    """Returns ({metric: {row: [samples]}}, versions)."""
    out = collections.defaultdict(lambda: collections.defaultdict(list))
    versions = None
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            versions = doc["versions"]
            for row in doc["rows"]:
                out["img/s"][row["name"]].extend(row["img_s"])
                out["img/cpu-s"][row["name"]].extend(row["cpu_img_s"])
    return out, versions


def cell(xs):
    return "%.0f (%.0f–%.0f, n=%d)" % (statistics.median(xs), min(xs), max(xs), len(xs))


def table(title, go, tv, goal):
    names = [n for n in go if n in tv]
    if not names:
        raise SystemExit("table: no row names common to both inputs for %s" % title)
    print("%s\n" % title)
    print("| row | Go, median (range, n) | torchvision, median (range, n) | Go/torchvision | ≥ %g× |"
          % goal)
    print("|---|---:|---:|---:|:---:|")
    for n in names:
        r = statistics.median(go[n]) / statistics.median(tv[n])
        print("| %s | %s | %s | %.1f× | %s |"
              % (n, cell(go[n]), cell(tv[n]), r, "yes" if r >= goal else "**no**"))
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("go")
    ap.add_argument("tv")
    ap.add_argument("--goal", type=float, default=3.0)
    args = ap.parse_args()
    go = go_samples(args.go)
    tv, versions = tv_samples(args.tv)
    table("Wall clock, images per second on one core (img/s):", go["img/s"], tv["img/s"], args.goal)
    table("CPU time, images per CPU-second of the process (img/cpu-s):",
          go["img/cpu-s"], tv["img/cpu-s"], args.goal)
    print("torchvision side: " + ", ".join("%s %s" % kv for kv in versions.items()))


if __name__ == "__main__":
    main()
