// Per-cell throughput of the recurrent layers: forward, and a training step (forward keeping
// activations + backward with input and weight gradients), per ISA and thread count.
// Counters: cell-steps/s (B·T per second), GFLOP/s (forward 2·B·T·G·H·(F+H), a training
// step 3× that), % of this machine's FMA peak for that ISA and thread count (measured by
// the suite), and the layer's working memory in MiB.
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

struct Shape { const char *name; int B, T, F, H; };
const Shape shapes[] = {
    { "S1", 32, 10, 1, 50 },    { "S2", 32, 100, 1, 50 },    { "M1", 64, 50, 256, 256 },
    { "M2", 64, 50, 512, 512 }, { "L1", 32, 25, 1024, 1024 }, { "L2", 16, 100, 512, 512 },
};
struct Cell { const char *name; recur_cell cell; int G; };
const Cell cells[] = { { "rnn", RECUR_SIMPLE_RNN, 1 }, { "lstm", RECUR_LSTM, 4 }, { "gru", RECUR_GRU, 3 } };

void BM_layer(benchmark::State &state, Cell cell, Shape sh, bool train, recur_isa isa, int threads)
{
    if (recur_isa_force(isa) != RECUR_OK) {
        state.SkipWithError("ISA not available");
        return;
    }
    recur_rnn_config cfg = {};
    cfg.cell = cell.cell;
    cfg.input_size = sh.F;
    cfg.units = sh.H;
    recur_rnn *rnn = nullptr;
    if (recur_rnn_create(&cfg, &rnn) != RECUR_OK) {
        state.SkipWithError(recur_last_error());
        return;
    }
    size_t nk, nu, nb;
    recur_rnn_weight_counts(rnn, &nk, &nu, &nb);
    std::vector<float> k(nk), u(nu), b(nb), x(size_t(sh.B) * sh.T * sh.F);
    std::vector<float> y(size_t(sh.B) * sh.T * sh.H), dx(x.size());
    bench_fill(k, 0.05f); bench_fill(u, 0.05f); bench_fill(b, 0.1f); bench_fill(x, 1.0f);
    recur_rnn_set_weights(rnn, k.data(), u.data(), b.data());
    recur_rnn_set_num_threads(rnn, threads);
    recur_rnn_set_inference(rnn, !train);   // forward rows: nothing kept for backward
    recur_rnn_reserve(rnn, sh.B, sh.T);
    size_t ws = 0;
    recur_rnn_workspace_size(rnn, sh.B, sh.T, &ws);

    auto t0 = std::chrono::steady_clock::now();
    for (auto _ : state) {
        recur_rnn_forward(rnn, sh.B, sh.T, x.data(), nullptr, nullptr, y.data(), nullptr, nullptr);
        if (train)
            recur_rnn_backward(rnn, y.data(), nullptr, nullptr, dx.data(), nullptr, nullptr);
        benchmark::ClobberMemory();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double flops = 2.0 * sh.B * sh.T * cell.G * sh.H * double(sh.F + sh.H) * (train ? 3 : 1);
    bench_set_flop_counters(state, flops, s, isa, threads);
    state.counters["cell_steps_per_s"] =
        benchmark::Counter(double(sh.B) * sh.T, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["ws_MiB"] = double(ws) / (1024.0 * 1024.0);
    recur_rnn_free(rnn);
}

}  // namespace

int main(int argc, char **argv)
{
    for (int isa = RECUR_ISA_COUNT - 1; isa >= 0; isa--) {
        if (!recur_isa_supported(recur_isa(isa)) || isa == RECUR_ISA_SCALAR)
            continue;
        for (const Cell &c : cells)
            for (const Shape &sh : shapes)
                for (int train = 0; train <= 1; train++)
                    for (int threads = 1; threads <= 2; threads++) {
                        std::string name = std::string("rnn/") + c.name + "/" + sh.name + "/" +
                                           (train ? "train" : "forward") + "/" +
                                           recur_isa_to_name(recur_isa(isa)) +
                                           "/threads:" + std::to_string(threads);
                        benchmark::RegisterBenchmark(name.c_str(), BM_layer, c, sh, bool(train),
                                                     recur_isa(isa), threads)
                            ->Unit(benchmark::kMillisecond)
                            ->UseRealTime();
                    }
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
