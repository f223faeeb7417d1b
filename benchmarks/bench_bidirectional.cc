// Bidirectional against two unidirectional layers run one after the other, through the
// public model API (so both sides pay the same loss and gradient-block costs): a training
// step (recur_model_train_step) and an inference pass (predict, one batch), on
//   two         a model with the forward layer, then a model with the backward one
//               (go_backwards), each on all threads
//   serial      one model with Bidirectional(cell), its copies in turn on all threads
//   concurrent  the same, its copies side by side, each on half the threads (the default
//               on two threads)
// scripts/bench_bidirectional.py runs the variants in turns and reports their ratios.
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

struct Shape { const char *name; int B, T, F, H; };
const Shape shapes[] = { { "seed", 32, 100, 1, 50 }, { "wide", 64, 100, 128, 128 } };
struct Cell { const char *name; recur_cell cell; };
const Cell cells[] = { { "lstm", RECUR_LSTM }, { "gru", RECUR_GRU } };
enum Variant { TWO, SERIAL, CONCURRENT };
const char *const variant_names[] = { "two", "serial", "concurrent" };

// A compiled model of one recurrent layer (or Bidirectional) returning sequences.
recur_model *make(Cell cell, Shape sh, bool bidirectional, bool backwards, int threads)
{
    recur_model *m = nullptr;
    if (recur_model_create(sh.T, sh.F, &m) != RECUR_OK)
        return nullptr;
    recur_model_set_num_threads(m, threads);
    recur_rnn_opts o = {};
    o.return_sequences = true;
    o.go_backwards = backwards;
    recur_status s = bidirectional
                         ? recur_model_add_bidirectional(m, cell.cell, sh.H, &o,
                                                         RECUR_MERGE_CONCAT)
                     : cell.cell == RECUR_LSTM ? recur_model_add_lstm(m, sh.H, &o)
                                               : recur_model_add_gru(m, sh.H, &o);
    recur_compile_opts c = {};
    c.optimizer = RECUR_SGD;
    c.loss = RECUR_LOSS_MSE;
    if (s != RECUR_OK || recur_model_compile(m, &c) != RECUR_OK) {
        recur_model_free(m);
        return nullptr;
    }
    return m;
}

void BM_bidirectional(benchmark::State &state, Cell cell, Shape sh, Variant v, bool train,
                      int threads)
{
    if (v != TWO)   // read when the layer is built
        setenv("RECUR_BIDIRECTIONAL", v == SERIAL ? "serial" : "concurrent", 1);
    std::vector<recur_model *> models;
    if (v == TWO) {
        models.push_back(make(cell, sh, false, false, threads));
        models.push_back(make(cell, sh, false, true, threads));
    } else {
        models.push_back(make(cell, sh, true, false, threads));
    }
    unsetenv("RECUR_BIDIRECTIONAL");
    for (recur_model *m : models)
        if (m == nullptr) {
            state.SkipWithError(recur_last_error());
            return;
        }
    std::vector<float> x(size_t(sh.B) * sh.T * sh.F), y(size_t(sh.B) * sh.T * sh.H * 2);
    bench_fill(x, 1.0f);
    bench_fill(y, 0.5f);
    for (auto _ : state) {
        for (recur_model *m : models) {
            if (train)
                recur_model_train_step(m, x.data(), y.data(), sh.B, nullptr);
            else
                recur_model_predict_in_batches(m, x.data(), sh.B, sh.B, y.data());
        }
        benchmark::ClobberMemory();
    }
    state.counters["cell_steps_per_s"] = benchmark::Counter(
        2.0 * sh.B * sh.T, benchmark::Counter::kIsIterationInvariantRate);
    for (recur_model *m : models)
        recur_model_free(m);
}

}  // namespace

int main(int argc, char **argv)
{
    for (const Cell &c : cells)
        for (const Shape &sh : shapes)
            for (int train = 1; train >= 0; train--)
                for (int threads = 1; threads <= 2; threads++)
                    for (int v = TWO; v <= CONCURRENT; v++) {
                        std::string name = std::string("bidir/") + c.name + "/" + sh.name +
                                           (train ? "/train/" : "/forward/") +
                                           variant_names[v] + "/threads:" +
                                           std::to_string(threads);
                        benchmark::RegisterBenchmark(name.c_str(), BM_bidirectional, c, sh,
                                                     Variant(v), bool(train), threads)
                            ->Unit(benchmark::kMillisecond)
                            ->UseRealTime();
                    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
