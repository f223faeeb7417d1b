#include "bench_common.h"

#include <chrono>
#include <omp.h>

extern "C" {
double recur_bench_peak_scalar(long iters, float seed);
double recur_bench_peak_avx2(long iters, float seed);
double recur_bench_peak_avx512(long iters, float seed);
double recur_bench_peak_neon(long iters, float seed);
}

static double (*peak_fn(recur_isa isa))(long, float)
{
    switch (isa) {
#if defined(__x86_64__)
    case RECUR_ISA_AVX2: return recur_bench_peak_avx2;
    case RECUR_ISA_AVX512: return recur_bench_peak_avx512;
#endif
#if defined(__aarch64__)
    case RECUR_ISA_NEON: return recur_bench_peak_neon;
#endif
    default: return recur_bench_peak_scalar;
    }
}

// Best of 5 runs of ~20 ms on every thread at once: the machine's sustained FMA rate.
static double measure_peak(recur_isa isa, int threads)
{
    auto fn = peak_fn(isa);
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double flops = 0;
        auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
        flops += fn(2000000, 1.0f + omp_get_thread_num());
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (flops / s > best)
            best = flops / s;
    }
    return best * 1e-9;
}

double bench_peak_gflops(recur_isa isa, int threads)
{
    static double cache[RECUR_ISA_COUNT][65];
    if (threads < 1 || threads > 64 || !recur_isa_supported(isa))
        return 0;
    if (cache[isa][threads] == 0)
        cache[isa][threads] = measure_peak(isa, threads);
    return cache[isa][threads];
}

void bench_set_flop_counters(benchmark::State &state, double flops_per_iter, double seconds,
                             recur_isa isa, int threads)
{
    double gflops = flops_per_iter * (double)state.iterations() / seconds * 1e-9;
    state.counters["GFLOPS"] = gflops;
    double peak = bench_peak_gflops(isa, threads);
    if (peak > 0)
        state.counters["pct_peak"] = 100.0 * gflops / peak;
}

void bench_fill(std::vector<float> &v, float scale)
{
    unsigned s = 12345;
    for (auto &x : v) {
        s = s * 1103515245u + 12345u;
        x = scale * (float((s >> 9) & 0xffff) / 32768.0f - 1.0f);
    }
}
