#!/usr/bin/env python3
"""Data-parallel scaling: one process with 2 threads against `mpirun -np 2` with 1 thread
each, interleaved, on the M2 model and the seed model; then the allreduce model of
docs/SCALING.md fitted to the measured step times and extrapolated to N nodes.

    python3 scripts/bench_scaling.py [--build build] [--rounds 3] [--json out.jsonl]
    python3 scripts/bench_scaling.py --from docs/data/scaling.jsonl   (tables from a saved run)

Each invocation of build/benchmarks/bench_dist runs one warm-up epoch and 3 timed ones; the
configurations take turns, `--rounds` times, so drift hits them alike. Prints markdown.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# (name, model, batch, samples): the M2 and seed configurations of docs/SCALING.md
CONFIGS = [
    ("M2", "m2", 64, 1024),
    ("seed", "seed", 32, 10000),
    ("seed", "seed", 256, 10000),
]
# networks of the model: per-message latency (s) and usable bandwidth (bytes/s)
NETWORKS = {"25 GbE (TCP)": (25e-6, 2.8e9), "100 Gb InfiniBand": (2e-6, 11.5e9)}
NODES = [2, 4, 8, 16, 32, 64]


def run(build, procs, threads, model, batch, samples):
    bench = os.path.join(build, "benchmarks", "bench_dist")
    args = [bench, "--model", model, "--batch", str(batch), "--samples", str(samples),
            "--threads", str(threads), "--rounds", "3"]
    if procs > 1:
        args = ["mpirun", "-np", str(procs), "--bind-to", "core"] + args
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMP_NUM_THREADS=str(threads))
    out = subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(build, rounds, log):
    """{(model, batch, procs): [epoch seconds...]} and the allreduce times."""
    plan = []
    for _, model, batch, samples in CONFIGS:
        plan += [(model, batch, samples, 1, 2), (model, batch, samples, 2, 1)]
    plan.append(("m2", 32, 1024, 1, 2))   # a second batch size for the M2 compute model
    times, allreduce = {}, {}
    for r in range(rounds):
        for model, batch, samples, procs, threads in plan:
            res = run(build, procs, threads, model, batch, samples)
            log.write(json.dumps(res) + "\n")
            times.setdefault((model, batch, procs), []).extend(res["epoch_s"])
            if procs > 1:
                allreduce.setdefault(model, []).append(res["allreduce_ms"])
            print(f"round {r + 1}: {model} b{batch} {procs}x{threads}: "
                  f"{res['median_s']:.3f} s", file=sys.stderr)
    return times, {k: statistics.median(v) for k, v in allreduce.items()}


def load(path):
    """The times and allreduce medians of a saved run (the --json lines)."""
    times, allreduce = {}, {}
    with open(path) as f:
        for line in f:
            res = json.loads(line)
            times.setdefault((res["model"], res["batch"], res["procs"]), []).extend(
                res["epoch_s"])
            if res["procs"] > 1:
                allreduce.setdefault(res["model"], []).append(res["allreduce_ms"])
    return times, {k: statistics.median(v) for k, v in allreduce.items()}


def step_model(times, model, b1, b2, samples):
    """Per-step time of one node (2 threads) as alpha + beta * rows, from two batch sizes."""
    t1 = statistics.median(times[(model, b1, 1)]) / -(-samples // b1)
    t2 = statistics.median(times[(model, b2, 1)]) / -(-samples // b2)
    beta = (t2 - t1) / (b2 - b1)
    return t1 - beta * b1, beta


def allreduce_s(n, nbytes, latency, bandwidth):
    """Ring allreduce: 2(N-1) messages, 2(N-1)/N of the bytes through each link."""
    return 2 * (n - 1) * latency + 2 * (n - 1) / n * nbytes / bandwidth


def efficiency(alpha, beta, batch, n, t_ar):
    return (alpha + beta * batch) / (n * (alpha + beta * batch / n + t_ar))


def batch_for(alpha, beta, n, t_ar, target=0.9):
    """The smallest global batch (a multiple of N) with efficiency >= target."""
    per_node = (0.9 * n * alpha - alpha + 0.9 * n * t_ar) / (0.1 * n * beta)
    return max(n, n * int(-(-per_node // 1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default="bench_scaling.jsonl")
    ap.add_argument("--from", dest="saved", help="print the tables of a saved --json run")
    a = ap.parse_args()
    if a.saved:
        times, ar = load(a.saved)
    else:
        with open(a.json, "w") as log:
            times, ar = measure(a.build, a.rounds, log)

    print("| model | global batch | epoch, 1 process × 2 threads (s) | epoch, 2 ranks × 1 thread "
          "(s) | 2 ranks / 2 threads | step, 2 ranks (ms) | of which allreduce (ms) |")
    print("|---|---|---|---|---|---|---|")
    for name, model, batch, samples in CONFIGS:
        one = statistics.median(times[(model, batch, 1)])
        two = statistics.median(times[(model, batch, 2)])
        step = two / -(-samples // batch) * 1e3
        print(f"| {name} | {batch} | {one:.3f} | {two:.3f} | {two / one:.3f} | {step:.2f} "
              f"| {ar[model]:.3f} ({ar[model] / step:.1%}) |")

    grads = {"m2": 2099713 * 4, "seed": 10451 * 4}
    fits = {"m2": step_model(times, "m2", 32, 64, 1024),
            "seed": step_model(times, "seed", 32, 256, 10000)}
    print("\nper-step compute of one node (2 threads): alpha + beta × rows")
    for model, (alpha, beta) in fits.items():
        print(f"- {model}: alpha {alpha * 1e3:.3f} ms, beta {beta * 1e3:.4f} ms per row")
    for net, (lat, bw) in NETWORKS.items():
        print(f"\n{net}: step time and efficiency at the measured batch, and the global batch "
              "for 90 %")
        print("| N | M2 allreduce (ms) | M2 step at 64 (ms) | M2 eff. at 64 | M2 batch for 90 % "
              "| seed allreduce (ms) | seed step at 32 (ms) | seed eff. at 32 "
              "| seed batch for 90 % |")
        print("|---|---|---|---|---|---|---|---|---|")
        for n in NODES:
            row = [str(n)]
            for model, batch in (("m2", 64), ("seed", 32)):
                alpha, beta = fits[model]
                t = allreduce_s(n, grads[model], lat, bw)
                fits_batch = batch >= n
                step = f"{(alpha + beta * batch / n + t) * 1e3:.2f}" if fits_batch else "—"
                eff = f"{efficiency(alpha, beta, batch, n, t):.2f}" if fits_batch else "—"
                row += [f"{t * 1e3:.2f}", step, eff, f"{batch_for(alpha, beta, n, t):,}"]
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
