#!/usr/bin/env python3
"""Compare bench_rnn between builds in the same run: the builds take turns, round after
round, so a noisy machine slows them alike; the medians over rounds are compared.

    git worktree add /tmp/base <commit>
    cmake -S /tmp/base -B /tmp/base/build -G Ninja -DCMAKE_BUILD_TYPE=Release
    cmake --build /tmp/base/build
    python3 scripts/bench_ab.py 'lstm/(S1|S2)/train/avx512' /tmp/base/build build

Prints, per benchmark row, each build's median and minimum in ms and the first build's
median over the others' (above 1: faster than the first). Standard library only.
"""
import argparse
import collections
import os
import re
import statistics
import subprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("filter", help="--benchmark_filter regex for bench_rnn")
    ap.add_argument("builds", nargs="+", help="build directories (the first is the baseline)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", default="0.2")
    a = ap.parse_args()
    for build in a.builds:
        if not os.access(os.path.join(build, "benchmarks", "bench_rnn"), os.X_OK):
            ap.error(f"{build}: no benchmarks/bench_rnn (build with RECUR_BUILD_BENCHMARKS=ON)")

    times = collections.defaultdict(list)
    order = []
    for _ in range(a.rounds):
        for build in a.builds:
            out = subprocess.run(
                [os.path.join(build, "benchmarks", "bench_rnn"),
                 f"--benchmark_filter={a.filter}", f"--benchmark_min_time={a.min_time}"],
                check=True, capture_output=True, text=True).stdout
            for line in out.splitlines():
                m = re.match(r"(\S+)/real_time\s+([\d.]+) ms", line)
                if m:
                    if m.group(1) not in order:
                        order.append(m.group(1))
                    times[(m.group(1), build)].append(float(m.group(2)))
    for name in order:
        base = statistics.median(times[(name, a.builds[0])])
        cells = []
        for build in a.builds:
            v = times[(name, build)]
            med = statistics.median(v)
            cells.append(f"{build}: {med:.3f} (min {min(v):.3f}, {base / med:.3f}x)")
        print(f"{name} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
