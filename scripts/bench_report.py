#!/usr/bin/env python3
"""Run recur's layer benchmark and the oneDNN peer side by side, then write
docs/BENCHMARKS.md (medians, paired ratios, % of the measured FMA peak, working memory)
and docs/benchmarks.png (recur/oneDNN throughput ratio per row).

    python3 scripts/bench_report.py [--build build] [--rounds 5] [--min-time 0.2]

The two sides take turns, one cell and shape at a time (its forward and training rows at 1
and 2 threads), round after round, so a row of recur and the same row of oneDNN are
measured seconds apart; the first side alternates between rounds. This machine's speed
drifts by 10-30% over minutes (other tenants of its caches and cores), so a ratio is the
median of the per-round ratios, and the table gives their range over the rounds.

Needs build/benchmarks/bench_rnn and bench_onednn (libdnnl-dev installed before cmake);
the chart needs matplotlib (Debian: python3-matplotlib). Standard library otherwise.
"""
import argparse
import collections
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

CELLS = ["rnn", "lstm", "gru"]
SHAPES = ["S1", "S2", "M1", "M2", "L1", "L2"]
DIMS = {"S1": (32, 10, 1, 50), "S2": (32, 100, 1, 50), "M1": (64, 50, 256, 256),
        "M2": (64, 50, 512, 512), "L1": (32, 25, 1024, 1024), "L2": (16, 100, 512, 512)}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def run(binary, flt, min_time):
    """One pass of the rows matching flt: {name: benchmark record}."""
    out = subprocess.run(
        [binary, f"--benchmark_filter={flt}", f"--benchmark_min_time={min_time}",
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    return {b["run_name"]: b for b in json.loads(out)["benchmarks"]
            if b.get("run_type", "iteration") == "iteration"}


def other_sections(path):
    """The sections other scripts keep at the end of the file (bench_ragged.py's,
    bench_bidirectional.py's), to write back."""
    try:
        text = open(path).read()
    except OSError:
        return ""
    at = min((i for i in (text.find(f"\n<!-- {s}.py begin -->")
                          for s in ("bench_ragged", "bench_bidirectional")) if i >= 0),
             default=-1)
    return text[at:] if at >= 0 else ""


def flops(cell, shape, mode):
    B, T, F, H = DIMS[shape]
    return 2.0 * B * T * GATES[cell] * H * (F + H) * (3 if mode == "train" else 1)


def key(name):
    # rnn/lstm/M2/train/avx512/threads:2/real_time  or  onednn/lstm/M2/train/threads:2/real_time
    parts = name.split("/")
    cell, shape, mode = parts[1], parts[2], parts[3]
    threads = int([p for p in parts if p.startswith("threads:")][0].split(":")[1])
    return cell, shape, mode, threads


def mib(x):
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def targets(R, P, pairs, shapes):
    """Issue 6's targets. Each round gives a best ratio (oneDNN's faster thread count over
    recur's, both measured in that round) and recur's 2-thread speedup; the medians over
    the rounds are checked, so a round that slowed one side does not decide a row."""
    out = ["", "## Targets", "",
           "Best = the faster thread count of each side. Seed shapes (S1, S2) aim at 2× "
           "oneDNN's best, M/L shapes at ≥ 1×; 2 threads must never be slower than 1, and "
           "≥ 1.8× faster on M/L; a training step on M2, L1, L2 at ≥ 85% of the 2-thread "
           "peak; working memory no larger than oneDNN's. The best ms columns are medians "
           "over the rounds; the best ratio and the 2-thread speedup are medians of the "
           "per-round values, each from rows measured in the same round.", "",
           "| cell | shape | mode | recur best ms | oneDNN best ms | best ratio | goal | "
           "2t speedup | goal | met |", "|---|---|---|---|---|---|---|---|---|---|"]
    met = total = 0
    peak_rows, mem_over = [], []
    for cell in ["rnn", "lstm", "gru"]:
        for shape in shapes:
            for mode in ["forward", "train"]:
                r1, r2 = R.get((cell, shape, mode, 1)), R.get((cell, shape, mode, 2))
                p1, p2 = P.get((cell, shape, mode, 1)), P.get((cell, shape, mode, 2))
                if not (r1 and r2 and p1 and p2):
                    continue
                rb = min(r1["real_time"], r2["real_time"])
                pb = min(p1["real_time"], p2["real_time"])
                rounds = list(zip(pairs[(cell, shape, mode, 1)], pairs[(cell, shape, mode, 2)]))
                best = statistics.median(
                    min(a[1]["real_time"], b[1]["real_time"]) /
                    min(a[0]["real_time"], b[0]["real_time"]) for a, b in rounds)
                sp = statistics.median(a[0]["real_time"] / b[0]["real_time"] for a, b in rounds)
                small = shape.startswith("S")
                goal = 2.0 if small else 1.0
                sp_goal = 1.0 if small else 1.8
                ok = best >= goal and sp >= sp_goal
                met += ok
                total += 1
                out.append(f"| {cell} | {shape} | {mode} | {rb:.3f} | {pb:.3f} | {best:.2f} | "
                           f"≥ {goal:g} | {sp:.2f} | ≥ {sp_goal:g} | {'yes' if ok else 'no'} |")
                if mode == "train" and shape in ("M2", "L1", "L2"):
                    peak_rows.append(f"{cell} {shape} {r2.get('pct_peak', 0):.1f}%")
                for r, p in ((r1, p1), (r2, p2)):
                    if r.get("ws_MiB", 0) > p.get("ws_MiB", 0):
                        mem_over.append(f"{cell} {shape} {mode}")
    out += ["", f"Throughput and scaling goals met on {met} of {total} rows.", "",
            "Training step, 2 threads, % of the 2-thread peak (goal ≥ 85%): "
            + ", ".join(peak_rows) + ".", "",
            "Working memory above oneDNN's: " + (", ".join(sorted(set(mem_over)))
                                                 if mem_over else "none") + "."]
    return out


def lscpu(field):
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", default="0.2")
    ap.add_argument("--isa", default="avx512")
    a = ap.parse_args()
    bench = os.path.join(a.build, "benchmarks")
    recur_bin, peer_bin = os.path.join(bench, "bench_rnn"), os.path.join(bench, "bench_onednn")
    for b in (recur_bin, peer_bin):
        if not os.access(b, os.X_OK):
            ap.error(f"{b} is missing (bench_onednn needs libdnnl-dev installed before cmake)")

    # key -> list over rounds of (recur record, oneDNN record) measured in the same round
    pairs = collections.defaultdict(list)
    for rnd in range(a.rounds):
        for cell in CELLS:
            for shape in SHAPES:
                sides = [("recur", recur_bin, f"^rnn/{cell}/{shape}/.*/{a.isa}/"),
                         ("onednn", peer_bin, f"^onednn/{cell}/{shape}/")]
                if rnd % 2:
                    sides.reverse()
                got = {side: {key(n): r for n, r in run(b, f, a.min_time).items()}
                       for side, b, f in sides}
                for k, r in got["recur"].items():
                    p = got["onednn"].get(k)
                    if p is not None and not p.get("error_occurred"):
                        pairs[k].append((r, p))
        print(f"round {rnd + 1} of {a.rounds} done", file=sys.stderr)

    # The FMA peak for this ISA and thread count: every recur process measures it; the
    # median over all of them.
    peak = {t: statistics.median(r["GFLOPS"] / r["pct_peak"] * 100
                                 for k, lst in pairs.items() if k[3] == t
                                 for r, _ in lst if r.get("pct_peak"))
            for t in sorted({k[3] for k in pairs})}
    R, P = {}, {}
    for k, lst in pairs.items():
        rt = statistics.median(r["real_time"] for r, _ in lst)
        pt = statistics.median(p["real_time"] for _, p in lst)
        ratios = [p["real_time"] / r["real_time"] for r, p in lst]
        gf = flops(k[0], k[1], k[2]) / (rt * 1e-3) * 1e-9
        R[k] = {"real_time": rt, "GFLOPS": gf, "pct_peak": 100 * gf / peak[k[3]],
                "ws_MiB": lst[0][0].get("ws_MiB", 0)}
        P[k] = {"real_time": pt, "ws_MiB": lst[0][1].get("ws_MiB", 0),
                "ratio": statistics.median(ratios), "ratio_lo": min(ratios),
                "ratio_hi": max(ratios)}

    lines = []
    lines.append("# recur vs oneDNN: per-cell throughput\n")
    lines.append(f"Generated by `python3 scripts/bench_report.py --isa {a.isa} --rounds "
                 f"{a.rounds} --min-time {a.min_time}` on "
                 f"{datetime.date.today().isoformat()}; do not edit by hand.\n")
    lines.append(f"Machine: {lscpu('Model name')} (CPU family {lscpu('CPU family')}, model "
                 f"{lscpu('Model')}), {os.cpu_count()} cores, L2 {lscpu('L2 cache')}, "
                 f"L3 {lscpu('L3 cache')}, {platform.system()} {platform.release()}. recur ISA: "
                 f"{a.isa}; its FMA peak as the suite measures it (median over every "
                 "recur process): "
                 + ", ".join(f"{g:.0f} GFLOP/s on {t} thread{'s' if t > 1 else ''}"
                             for t, g in peak.items())
                 + ". oneDNN: Debian libdnnl 2.6, weights created in the layouts its "
                 "primitives prefer (its best case).\n")
    lines.append(f"Each of the {a.rounds} rounds runs, for one cell and shape after another, "
                 "recur's four rows and then oneDNN's (the order alternating between rounds), "
                 "so both sides of a row are measured seconds apart. Times are medians over "
                 "the rounds, in milliseconds per call; ratio = the median over rounds of "
                 "oneDNN time / recur time in the same round (above 1: recur is faster), "
                 "and the ratio range its lowest and highest round.\n")
    lines.append("forward = inference (recur's inference mode keeps no activations; oneDNN "
                 "forward_inference); "
                 "train = forward keeping activations + backward with input and weight "
                 "gradients. % peak = recur's GFLOP/s over the FMA peak the suite measures "
                 "for that ISA and thread count. Memory = recur's working memory vs oneDNN's "
                 "workspace + scratchpads, MiB.\n")
    lines.append("| cell | shape (B, T, F, H) | mode | threads | recur ms | oneDNN ms | ratio | "
                 "ratio range | recur GFLOP/s | % peak | recur MiB | oneDNN MiB |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    chart = []
    for cell in CELLS:
        for shape in SHAPES:
            for mode in ["forward", "train"]:
                for threads in (1, 2):
                    k = (cell, shape, mode, threads)
                    r, p = R.get(k), P.get(k)
                    if r is None:
                        continue
                    dims = ", ".join(str(d) for d in DIMS[shape])
                    cells = [cell, f"{shape} ({dims})", mode, str(threads),
                             f"{r['real_time']:.3f}", f"{p['real_time']:.3f}",
                             f"{p['ratio']:.2f}", f"{p['ratio_lo']:.2f}–{p['ratio_hi']:.2f}",
                             f"{r['GFLOPS']:.1f}", f"{r['pct_peak']:.1f}",
                             mib(r["ws_MiB"]), mib(p["ws_MiB"])]
                    lines.append("| " + " | ".join(cells) + " |")
                    print(f"{cell:5} {shape} {mode:8} t{threads}  recur {r['real_time']:9.3f} ms"
                          f"  oneDNN {p['real_time']:9.3f} ms  ratio {p['ratio']:.2f}")
                    chart.append((f"{cell} {shape} {mode} t{threads}", p["ratio"]))
    lines += targets(R, P, pairs, SHAPES)
    path = os.path.join("docs", "BENCHMARKS.md")
    kept = other_sections(path)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n\n![recur / oneDNN](benchmarks.png)\n" + kept)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(10, 14))
        names = [c[0] for c in chart][::-1]
        vals = [c[1] for c in chart][::-1]
        ax.barh(names, vals, color=["#1f77b4" if v >= 1 else "#d62728" for v in vals])
        ax.axvline(1.0, color="black", linewidth=1)
        ax.set_xlabel("oneDNN time / recur time, median of paired rounds (above 1: recur faster)")
        ax.set_title("recur vs oneDNN 2.6, per cell, shape, mode and threads")
        fig.tight_layout()
        fig.savefig(os.path.join("docs", "benchmarks.png"), dpi=80)
    except ImportError:
        print("matplotlib missing: docs/benchmarks.png not drawn", file=sys.stderr)
    print("wrote docs/BENCHMARKS.md")


if __name__ == "__main__":
    main()
