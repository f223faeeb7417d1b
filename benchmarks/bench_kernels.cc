// Kernel micro-benchmarks per ISA: the FMA peak itself, single-threaded SGEMM on the
// shapes the layers run — the per-step recurrent GEMM (M = batch, N = 4H, K = H), the
// hoisted input GEMM (M = T·B), and backward's transposed forms — and the LSTM gate kernels
// on one thread's rows of a step, whose cost rivals the GEMM's on small layers.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_common.h"

extern "C" {
#include "gemm/gemm.h"
}

namespace {

struct Aligned {
    float *p;
    explicit Aligned(size_t n) : p(static_cast<float *>(std::aligned_alloc(64, ((n * 4) + 63) & ~size_t(63)))) {}
    ~Aligned() { std::free(p); }
};

enum Form { PACKED_NN, TN, NT };

void BM_sgemm(benchmark::State &state, recur_isa isa, Form form, int m, int n, int k)
{
    const recur_kernels *kt;
    if (recur_kernels_for(isa, &kt) != RECUR_OK) {
        state.SkipWithError("ISA not available");
        return;
    }
    Aligned a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n), w(RECUR_GEMM_WORK_FLOATS);
    Aligned pb(recur_packed_b_floats(kt, k, n));
    for (size_t i = 0; i < size_t(m) * k; i++) a.p[i] = 1e-3f * float(i % 13);
    for (size_t i = 0; i < size_t(k) * n; i++) b.p[i] = 1e-3f * float(i % 7);
    recur_pack_b(kt, k, n, b.p, n, false, pb.p);
    auto t0 = std::chrono::steady_clock::now();
    for (auto _ : state) {
        switch (form) {
        case PACKED_NN:   // C[m,n] = A[m,k] · B (packed once, as the layers do)
            recur_sgemm_packed(kt, m, n, k, a.p, k, false, pb.p, c.p, n, false, w.p);
            break;
        case TN:          // weight gradient: C[m,n] += A[k,m]ᵀ · B[k,n]
            recur_sgemm(kt, m, n, k, a.p, m, true, b.p, n, false, c.p, n, true, w.p);
            break;
        case NT:          // input gradient: C[m,n] = A[m,k] · B[n,k]ᵀ
            recur_sgemm(kt, m, n, k, a.p, k, false, b.p, k, true, c.p, n, false, w.p);
            break;
        }
        benchmark::ClobberMemory();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bench_set_flop_counters(state, 2.0 * m * n * k, s, isa, 1);
}

// One step's LSTM gate kernel (forward, or backward from the kept activations) on `rows`
// rows of H units; items are units (rows · H).
void BM_lstm_gates(benchmark::State &state, recur_isa isa, int rows, int H, recur_activation act,
                   bool backward)
{
    const recur_kernels *kt;
    if (recur_kernels_for(isa, &kt) != RECUR_OK) {
        state.SkipWithError("ISA not available");
        return;
    }
    const size_t nh = size_t(rows) * H;
    std::vector<float> pre(4 * nh), gates(4 * nh), c_prev(nh), c(nh), h(nh), act_c(nh),
        dh(nh), dc(nh);
    bench_fill(pre, 3.0f);
    bench_fill(c_prev, 1.0f);
    bench_fill(dh, 1.0f);
    // in the structs' field order (simd/kernels.h); layout_units 0: whole rows; training
    // keeps act(c)
    recur_lstm_fwd_args f = { rows, H, act, RECUR_ACT_SIGMOID, gates.data(), c_prev.data(),
                              c.data(), h.data(), 0, act_c.data() };
    gates = pre;
    kt->lstm_fwd(&f);
    const std::vector<float> kept = gates;
    recur_lstm_bwd_args b = { rows, H, act, RECUR_ACT_SIGMOID, gates.data(), c_prev.data(),
                              c.data(), dh.data(), dc.data(), 0, act_c.data() };
    gates = pre;
    // Forward activates the gates in place: its next call activates activations, at the
    // same cost. Backward overwrites them with gradients, so each call first gets the kept
    // activations back (a copy of rows·4H floats from L1, timed with it) and a zero dc.
    for (auto _ : state) {
        if (backward) {
            std::copy(kept.begin(), kept.end(), gates.begin());
            std::fill(dc.begin(), dc.end(), 0.0f);
            kt->lstm_bwd(&b);
        } else {
            kt->lstm_fwd(&f);
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(nh));
}

void BM_peak(benchmark::State &state, recur_isa isa, int threads)
{
    if (!recur_isa_supported(isa)) {
        state.SkipWithError("ISA not available");
        return;
    }
    for (auto _ : state)
        state.counters["GFLOPS"] = bench_peak_gflops(isa, threads);
}

}  // namespace

int main(int argc, char **argv)
{
    for (int isa = 0; isa < RECUR_ISA_COUNT; isa++) {
        if (!recur_isa_supported(recur_isa(isa)))
            continue;
        std::string name = recur_isa_to_name(recur_isa(isa));
        for (int threads = 1; threads <= 2; threads++)
            benchmark::RegisterBenchmark(("peak_fma/" + name + "/threads:" + std::to_string(threads)).c_str(),
                                         BM_peak, recur_isa(isa), threads)->Iterations(1);
        if (isa == RECUR_ISA_SCALAR)
            continue;   // the scalar GEMM is the reference, not a contender
        for (int H : { 50, 256, 512, 1024 })
            for (int M : { 16, 32, 64 })
                benchmark::RegisterBenchmark(("sgemm/" + name + "/step/M:" + std::to_string(M) +
                                              "/N:" + std::to_string(4 * H) + "/K:" + std::to_string(H)).c_str(),
                                             BM_sgemm, recur_isa(isa), PACKED_NN, M, 4 * H, H);
        for (int H : { 256, 512 }) {
            int TB = 50 * 64;
            std::string h = std::to_string(H), n4 = std::to_string(4 * H), tb = std::to_string(TB);
            benchmark::RegisterBenchmark(("sgemm/" + name + "/input/M:" + tb + "/N:" + n4 + "/K:" + h).c_str(),
                                         BM_sgemm, recur_isa(isa), PACKED_NN, TB, 4 * H, H);
            benchmark::RegisterBenchmark(("sgemm/" + name + "/dW_TN/M:" + h + "/N:" + n4 + "/K:" + tb).c_str(),
                                         BM_sgemm, recur_isa(isa), TN, H, 4 * H, TB);
            benchmark::RegisterBenchmark(("sgemm/" + name + "/dX_NT/M:" + tb + "/N:" + h + "/K:" + n4).c_str(),
                                         BM_sgemm, recur_isa(isa), NT, TB, H, 4 * H);
        }
        for (int H : { 50, 256 })
            for (recur_activation act : { RECUR_ACT_TANH, RECUR_ACT_RELU })
                for (bool bwd : { false, true })
                    benchmark::RegisterBenchmark(("lstm_gates/" + name + (bwd ? "/backward" : "/forward") +
                                                  "/act:" + (act == RECUR_ACT_TANH ? "tanh" : "relu") +
                                                  "/rows:16/H:" + std::to_string(H)).c_str(),
                                                 BM_lstm_gates, recur_isa(isa), 16, H, act, bwd);
        benchmark::RegisterBenchmark(("sgemm/" + name + "/square/M:2048/N:2048/K:2048").c_str(),
                                     BM_sgemm, recur_isa(isa), PACKED_NN, 2048, 2048, 2048);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
