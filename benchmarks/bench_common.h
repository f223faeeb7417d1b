// Shared by the benchmarks: the machine's measured FMA peak per ISA and thread count, and
// GFLOP/s / %-of-peak counters computed from our own timing of the whole run.
#ifndef RECUR_BENCH_COMMON_H
#define RECUR_BENCH_COMMON_H

#include <vector>

#include <benchmark/benchmark.h>

extern "C" {
#include <recur/recur.h>
}

// Peak fp32 FMA rate in GFLOP/s on `threads` threads with `isa`'s widest FMA (0 if unknown).
double bench_peak_gflops(recur_isa isa, int threads);

// Sets counters GFLOPS and pct_peak from flops per iteration and measured seconds.
void bench_set_flop_counters(benchmark::State &state, double flops_per_iter, double seconds,
                             recur_isa isa, int threads);

// Fills v with scale·[-1, 1) from a fixed linear congruential stream: the same data on
// every run and machine.
void bench_fill(std::vector<float> &v, float scale);

#endif
