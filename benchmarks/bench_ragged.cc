// Padded batches at the speed of their real length: a training step (forward keeping
// activations + backward with input and weight gradients) and an inference forward of
// LSTM and GRU layers, B = 64, T = 200, on the same batch four ways:
//   full     every sequence T long, no mask
//   masked   every sequence T long, under an all-ones mask
//   ragged   lengths uniform in [1, T] (evenly spread, so the real steps are half the
//            batch, as their expectation), post-padded (pad_sequences(padding="post"))
//   general  the same ragged mask on the general masked path (RECUR_RAGGED=off), which
//            computes every row at every step: what the ragged path saves
// Counters: real cell-steps/s (the real steps of the batch per second) and the real share
// of the batch. scripts/bench_ragged.py runs the variants in turns and reports ratios.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

struct Shape { const char *name; int B, T, F, H; };
const Shape shapes[] = { { "seed", 64, 200, 1, 50 }, { "wide", 64, 200, 256, 256 } };
struct Cell { const char *name; recur_cell cell; };
const Cell cells[] = { { "lstm", RECUR_LSTM }, { "gru", RECUR_GRU } };
enum Variant { FULL, MASKED, RAGGED, GENERAL };
const char *const variant_names[] = { "full", "masked", "ragged", "general" };

unsigned next(unsigned &s)
{
    s = s * 1103515245u + 12345u;
    return (s >> 9) & 0xffff;
}

// Lengths uniform in [1, T]: B evenly spread quantiles of the distribution, in a shuffled
// order (the same every run); post-padding.
std::vector<uint8_t> ragged_mask(int B, int T, long long *real)
{
    std::vector<uint8_t> m(size_t(B) * T, 0);
    std::vector<int> order(B);
    unsigned s = 777;
    for (int b = 0; b < B; b++)
        order[b] = b;
    for (int b = B - 1; b > 0; b--)
        std::swap(order[b], order[next(s) % unsigned(b + 1)]);
    *real = 0;
    for (int b = 0; b < B; b++) {
        const int len = 1 + int((order[b] + 0.5) * T / B);
        for (int t = 0; t < len; t++)
            m[size_t(b) * T + t] = 1;
        *real += len;
    }
    return m;
}

void BM_padded(benchmark::State &state, Cell cell, Shape sh, Variant v, bool train,
               int threads)
{
    if (v == GENERAL)
        setenv("RECUR_RAGGED", "off", 1);   // read when the layer is created
    recur_rnn_config cfg = {};
    cfg.cell = cell.cell;
    cfg.input_size = sh.F;
    cfg.units = sh.H;
    recur_rnn *rnn = nullptr;
    recur_status st = recur_rnn_create(&cfg, &rnn);
    unsetenv("RECUR_RAGGED");
    if (st != RECUR_OK) {
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
    recur_rnn_set_inference(rnn, !train);
    recur_rnn_reserve(rnn, sh.B, sh.T);
    long long real = (long long)sh.B * sh.T;
    std::vector<uint8_t> mask(size_t(sh.B) * sh.T, 1);
    if (v == RAGGED || v == GENERAL)
        mask = ragged_mask(sh.B, sh.T, &real);
    const uint8_t *m = v == FULL ? nullptr : mask.data();

    for (auto _ : state) {
        recur_rnn_forward_masked(rnn, sh.B, sh.T, x.data(), m, nullptr, nullptr, y.data(),
                                 nullptr, nullptr);
        if (train)
            recur_rnn_backward(rnn, y.data(), nullptr, nullptr, dx.data(), nullptr, nullptr);
        benchmark::ClobberMemory();
    }
    state.counters["real_cell_steps_per_s"] =
        benchmark::Counter(double(real), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["real_share"] = double(real) / (double(sh.B) * sh.T);
    recur_rnn_free(rnn);
}

}  // namespace

int main(int argc, char **argv)
{
    for (const Cell &c : cells)
        for (const Shape &sh : shapes)
            for (int train = 1; train >= 0; train--)
                for (int threads = 1; threads <= 2; threads++)
                    for (int v = FULL; v <= GENERAL; v++) {
                        std::string name = std::string("padded/") + c.name + "/" + sh.name +
                                           (train ? "/train/" : "/forward/") +
                                           variant_names[v] + "/threads:" +
                                           std::to_string(threads);
                        benchmark::RegisterBenchmark(name.c_str(), BM_padded, c, sh,
                                                     Variant(v), bool(train), threads)
                            ->Unit(benchmark::kMillisecond)
                            ->UseRealTime();
                    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
