// Whole-model training throughput: one epoch of fit on the seed's models, at 1 and 2
// threads. The seed's LSTM(50) → Dense(1, sigmoid) on 100×1 sequences, batch 32, 10,000
// samples is the headline figure.
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

void BM_fit_epoch(benchmark::State &state, int cell, int threads)
{
    const int n = 10000, T = 100;
    std::vector<float> x(size_t(n) * T), y(n);
    for (int i = 0; i < n; i++) {
        float f = (i & 1) ? 0.15f : 0.45f;
        for (int t = 0; t < T; t++)
            x[size_t(i) * T + t] = std::sin(f * t + 0.37f * i);
        y[i] = float(i & 1);
    }
    recur_model *m;
    recur_model_create(T, 1, &m);
    recur_rnn_opts o = {};
    o.activation = RECUR_ACT_RELU;
    if (cell == 0) recur_model_add_lstm(m, 50, &o);
    if (cell == 1) recur_model_add_gru(m, 50, &o);
    if (cell == 2) {
        recur_rnn_opts seq = {};
        seq.return_sequences = true;
        recur_model_add_lstm(m, 50, &seq);
        recur_model_add_lstm(m, 50, nullptr);
    }
    recur_model_add_dense(m, 1, RECUR_ACT_SIGMOID);
    recur_compile_opts c = {};
    c.optimizer = RECUR_ADAM;
    c.loss = RECUR_LOSS_BINARY_CROSSENTROPY;
    c.metrics = RECUR_METRIC_ACCURACY;
    c.clipnorm = 1.0f;
    recur_model_compile(m, &c);
    recur_model_set_num_threads(m, threads);
    recur_fit_opts f = {};
    f.epochs = 1;
    f.batch_size = 32;
    for (auto _ : state)
        if (recur_model_fit(m, x.data(), y.data(), n, &f) != RECUR_OK)
            state.SkipWithError(recur_last_error());
    state.counters["samples_per_s"] =
        benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
    recur_model_free(m);
}

}  // namespace

int main(int argc, char **argv)
{
    const char *names[] = { "lstm50_dense1", "gru50_dense1", "lstm50x2_dense1" };
    for (int cell = 0; cell < 3; cell++)
        for (int threads = 1; threads <= 2; threads++)
            benchmark::RegisterBenchmark((std::string("fit_epoch/") + names[cell] +
                                          "/n:10000/T:100/batch:32/threads:" +
                                          std::to_string(threads)).c_str(),
                                         BM_fit_epoch, cell, threads)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
