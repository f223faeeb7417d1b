#!/usr/bin/env python3
"""Compare builds, or settings, in the same run: they take turns, round after round, so a
noisy machine slows them alike; the medians and minimums over rounds are compared.

    git worktree add /tmp/base <commit>
    cmake -S /tmp/base -B /tmp/base/build -G Ninja -DCMAKE_BUILD_TYPE=Release
    cmake --build /tmp/base/build
    python3 scripts/bench_ab.py 'lstm/(S1|S2)/train/avx512' /tmp/base/build build
    python3 scripts/bench_ab.py 'L2/.*/threads:2' build:RECUR_SPLIT=units build:RECUR_SPLIT=batch
    python3 scripts/bench_ab.py 'sgemm/avx512/step' /tmp/base/build build --binary bench_kernels

A variant is a build directory, optionally followed by ':NAME=VALUE,NAME=VALUE' to run it
with those environment variables. Prints, per benchmark row, each variant's median and
minimum and the first variant's median and minimum over its own (above 1: faster than the
first). Standard library only.
"""
import argparse
import collections
import os
import re
import statistics
import subprocess

UNITS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_variant(text):
    build, _, settings = text.partition(":")
    env = dict(os.environ)
    for item in filter(None, settings.split(",")):
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise ValueError(f"{text}: expected DIR or DIR:NAME=VALUE[,NAME=VALUE]")
        env[name] = value
    return build, env


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("filter", help="--benchmark_filter regex")
    ap.add_argument("variants", nargs="+",
                    help="build directories, each optionally :NAME=VALUE,... (the first is "
                         "the baseline)")
    ap.add_argument("--binary", default="bench_rnn", help="benchmark in BUILD/benchmarks/")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", default="0.2")
    a = ap.parse_args()
    variants = []
    for v in a.variants:
        try:
            build, env = parse_variant(v)
        except ValueError as e:
            ap.error(str(e))
        exe = os.path.join(build, "benchmarks", a.binary)
        if not os.access(exe, os.X_OK):
            ap.error(f"{build}: no benchmarks/{a.binary} (build with RECUR_BUILD_BENCHMARKS=ON)")
        variants.append((v, exe, env))

    times = collections.defaultdict(list)   # (row, variant) -> ms per round
    order = []
    for _ in range(a.rounds):
        for name, exe, env in variants:
            out = subprocess.run(
                [exe, f"--benchmark_filter={a.filter}", f"--benchmark_min_time={a.min_time}"],
                check=True, capture_output=True, text=True, env=env).stdout
            for line in out.splitlines():
                m = re.match(r"(\S+?)(?:/real_time)?\s+([\d.]+) (ns|us|ms|s)\b", line)
                if m:
                    if m.group(1) not in order:
                        order.append(m.group(1))
                    times[(m.group(1), name)].append(float(m.group(2)) * UNITS[m.group(3)])
    base = a.variants[0]
    for row in order:
        if not times[(row, base)]:
            continue
        bmed, bmin = statistics.median(times[(row, base)]), min(times[(row, base)])
        cells = []
        for name, _, _ in variants:
            v = times[(row, name)]
            if v:
                med, lo = statistics.median(v), min(v)
                cells.append(f"{name}: {med:.4g} ms (min {lo:.4g}; {bmed / med:.3f}x, "
                             f"min {bmin / lo:.3f}x)")
        print(f"{row} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
