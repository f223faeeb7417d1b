#!/usr/bin/env python3
"""Padded batches against full ones: run build/benchmarks/bench_ragged in rounds and report
each variant's time as a ratio to the unmasked full-length batch of the same cell, shape,
mode and thread count.

    python3 scripts/bench_ragged.py [--build build] [--rounds 9] [--min-time 0.2] [--md FILE]

The four variants of a row (full, masked, ragged, general) run back to back, seconds
apart, their order reversed every other round, so this machine's drift of 10-30% over
minutes moves them alike; a ratio is the median of the per-round ratios, with its range.
--md writes the table as Markdown (for docs/BENCHMARKS.md). Standard library only.
"""
import argparse
import collections
import json
import os
import platform
import statistics
import subprocess

VARIANTS = ["full", "masked", "ragged", "general"]


def run(binary, flt, min_time):
    out = subprocess.run([binary, f"--benchmark_filter={flt}",
                          f"--benchmark_min_time={min_time}", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    return [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]


def groups(binary):
    """(cell, shape, mode, threads) of every row the binary registers."""
    out = subprocess.run([binary, "--benchmark_list_tests"], check=True, capture_output=True,
                         text=True).stdout
    seen = []
    for line in out.split():
        p = line.split("/")   # padded/lstm/seed/train/full/threads:1
        g = (p[1], p[2], p[3], p[5])
        if g not in seen:
            seen.append(g)
    return seen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--min-time", default="0.2")
    ap.add_argument("--md", help="also write the table to this Markdown file")
    a = ap.parse_args()
    binary = os.path.join(a.build, "benchmarks", "bench_ragged")
    if not os.access(binary, os.X_OK):
        ap.error(f"{binary} not found (build with RECUR_BUILD_BENCHMARKS=ON)")
    ms = collections.defaultdict(list)      # (group, variant) -> ms per round
    ratio = collections.defaultdict(list)   # (group, variant) -> variant/full per round
    gs = groups(binary)
    for r in range(a.rounds):
        for g in gs:
            order = VARIANTS if r % 2 == 0 else VARIANTS[::-1]
            this = {}
            for v in order:
                flt = f"^padded/{g[0]}/{g[1]}/{g[2]}/{v}/{g[3]}/"
                for b in run(binary, flt, a.min_time):
                    this[v] = b["real_time"]
            for v in VARIANTS:
                ms[(g, v)].append(this[v])
                ratio[(g, v)].append(this[v] / this["full"])
    lines = [f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
             f"{a.rounds} rounds, medians of per-round ratios [range].", "",
             "| cell | shape | mode | threads | full ms | masked / full | ragged / full | "
             "general / full |", "|---|---|---|---|---|---|---|---|"]
    for g in gs:
        cells = [f"{statistics.median(ms[(g, 'full')]):.2f}"]
        for v in VARIANTS[1:]:
            rs = ratio[(g, v)]
            cells.append(f"{statistics.median(rs):.3f} [{min(rs):.2f}–{max(rs):.2f}]")
        lines.append(f"| {g[0]} | {g[1]} | {g[2]} | {g[3].split(':')[1]} | " +
                     " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
