"""Paired measurements of benchmark variants (imported by bench_ragged.py and
bench_bidirectional.py): every variant of a row runs back to back, seconds apart, their order
reversed every other round, so this machine's drift of 10-30% over minutes moves them alike;
a ratio is the median of the per-round ratios, reported with its range. Standard library
only."""
import argparse
import collections
import datetime
import json
import os
import platform
import statistics
import subprocess


def arguments(doc, benchmark):
    """The scripts' flags (--build, --rounds, --min-time, --update-doc) and the path of the
    benchmark binary, checked."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--min-time", default="0.2")
    ap.add_argument("--filter", default="",
                    help="only the rows whose names match this regular expression")
    ap.add_argument("--update-doc", action="store_true",
                    help="write the table into docs/BENCHMARKS.md")
    a = ap.parse_args()
    binary = os.path.join(a.build, "benchmarks", benchmark)
    if not os.access(binary, os.X_OK):
        ap.error(f"{binary} not found (build with RECUR_BUILD_BENCHMARKS=ON)")
    return a, binary


def run(binary, flt, min_time):
    out = subprocess.run([binary, f"--benchmark_filter={flt}",
                          f"--benchmark_min_time={min_time}", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    return [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]


def groups(binary, variants, flt=""):
    """The rows the binary registers (those matching flt): each name with its variant field
    replaced by {}."""
    out = subprocess.run([binary, "--benchmark_list_tests"] +
                         ([f"--benchmark_filter={flt}"] if flt else []),
                         check=True, capture_output=True, text=True).stdout
    seen = []
    for name in out.split():
        parts = name.split("/")
        at = next(i for i, p in enumerate(parts) if p in variants)
        row = "/".join(parts[:at] + ["{}"] + parts[at + 1:])
        if row not in seen:
            seen.append(row)
    return seen


def measure(binary, variants, baseline, rounds, min_time, flt=""):
    """ms[(row, variant)] and ratio[(row, variant)] (to the baseline) per round."""
    ms, ratio = collections.defaultdict(list), collections.defaultdict(list)
    rows = groups(binary, variants, flt)
    for r in range(rounds):
        for row in rows:
            this = {}
            for v in variants if r % 2 == 0 else variants[::-1]:
                for b in run(binary, "^" + row.format(v) + "$", min_time):
                    this[v] = b["real_time"]
            for v in variants:
                ms[(row, v)].append(this[v])
                ratio[(row, v)].append(this[v] / this[baseline])
    return rows, ms, ratio


def median_range(values):
    return f"{statistics.median(values):.3f} [{min(values):.2f}–{max(values):.2f}]"


def preamble(build, rounds):
    return (f"Machine: {cpu_name()}, {os.cpu_count()} CPUs, ISA {isa_name(build)}; "
            f"{rounds} rounds on {datetime.date.today()}, medians of per-round ratios "
            "[lowest–highest round].")


def update_doc(path, begin, end, section):
    """Write section (which starts with begin and ends with end) into path in place of the
    old one, or at the end."""
    try:
        text = open(path).read()
    except OSError:
        text = ""
    b, e = text.find(begin), text.find(end)
    if b >= 0 and e > b:
        text = text[:b] + section + text[e + len(end) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote the section of {path}")


def cpu_name():
    info = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.machine()
    name = info.get("model name", platform.machine())
    if "cpu family" in info:
        name += f" (CPU family {info['cpu family']}, model {info.get('model', '?')})"
    return name


def isa_name(build):
    out = subprocess.run([os.path.join(build, "recur"), "info"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith("active ISA:"):
            return line.split()[2]
    return "?"
