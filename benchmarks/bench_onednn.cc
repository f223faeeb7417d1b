// Peer benchmark: oneDNN's vanilla_rnn / lstm / lbr_gru primitives on the shapes of bench_rnn,
// in their best case (weights created directly in the layouts the primitives prefer, outside
// the timed loop). forward = forward_inference; train = forward_training + backward.
// Built only when Debian's libdnnl-dev (oneDNN 2.6) is installed.
#include <benchmark/benchmark.h>

#include <omp.h>

#include <string>
#include <unordered_map>

#include "oneapi/dnnl/dnnl.hpp"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

struct Shape { const char *name; int B, T, F, H; };
const Shape shapes[] = {
    { "S1", 32, 10, 1, 50 },    { "S2", 32, 100, 1, 50 },    { "M1", 64, 50, 256, 256 },
    { "M2", 64, 50, 512, 512 }, { "L1", 32, 25, 1024, 1024 }, { "L2", 16, 100, 512, 512 },
};
enum Cell { RNN, LSTM, GRU };
const char *cell_names[] = { "rnn", "lstm", "gru" };

using args_t = std::unordered_map<int, memory>;

memory make(const memory::desc &md, const engine &eng, float value)
{
    memory m(md, eng);
    float *p = static_cast<float *>(m.get_data_handle());
    size_t n = md.get_size() / sizeof(float);
    for (size_t i = 0; i < n; i++)
        p[i] = value * float(int(i % 7) - 3);
    return m;
}

template <typename PD>
memory scratch(const PD &pd, const engine &eng, size_t *bytes)
{
    *bytes += pd.scratchpad_desc().get_size();
    return memory(pd.scratchpad_desc(), eng);
}

// Builds the primitives for one cell and shape; returns false if oneDNN declines.
struct Net {
    primitive fwd, bwd;
    args_t fwd_args, bwd_args;
    size_t memory_bytes = 0;   // workspace + scratchpads
};

bool build(Cell cell, const Shape &s, bool train, const engine &eng, Net &net)
{
    const memory::dim T = s.T, B = s.B, F = s.F, H = s.H, G = cell == LSTM ? 4 : cell == GRU ? 3 : 1;
    const memory::dim GB = cell == GRU ? 4 : G;   // lbr_gru has an extra bias gate
    auto md = [](memory::dims d, tag t) { return memory::desc(d, dt::f32, t); };
    memory::desc src = md({ T, B, F }, tag::tnc), dst = md({ T, B, H }, tag::tnc);
    memory::desc iter = md({ 1, 1, B, H }, tag::ldnc);
    // oneDNN 2.6's lbr_gru dies with SIGFPE when it picks the weight layouts itself at input
    // size 1 (S1, S2) and in forward_inference at H >= 512 (M2, L1, L2); plain ldigo avoids
    // that, at some cost to its speed.
    const tag wtag = cell == GRU && (F == 1 || !train) ? tag::ldigo : tag::any;
    memory::desc wl = md({ 1, 1, F, G, H }, wtag), wi = md({ 1, 1, H, G, H }, wtag);
    memory::desc bias = md({ 1, 1, GB, H }, tag::ldgo), none;
    primitive_attr attr;
    attr.set_scratchpad_mode(scratchpad_mode::user);
    prop_kind pk = train ? prop_kind::forward_training : prop_kind::forward_inference;
    const auto dir = rnn_direction::unidirectional_left2right;

    auto fill_fwd = [&](auto &pd) {
        net.fwd_args = {
            { DNNL_ARG_SRC_LAYER, make(pd.src_layer_desc(), eng, 0.1f) },
            { DNNL_ARG_SRC_ITER, make(pd.src_iter_desc(), eng, 0.0f) },
            { DNNL_ARG_WEIGHTS_LAYER, make(pd.weights_layer_desc(), eng, 0.01f) },
            { DNNL_ARG_WEIGHTS_ITER, make(pd.weights_iter_desc(), eng, 0.01f) },
            { DNNL_ARG_BIAS, make(pd.bias_desc(), eng, 0.01f) },
            { DNNL_ARG_DST_LAYER, make(pd.dst_layer_desc(), eng, 0.0f) },
            { DNNL_ARG_DST_ITER, make(pd.dst_iter_desc(), eng, 0.0f) },
            { DNNL_ARG_SCRATCHPAD, scratch(pd, eng, &net.memory_bytes) },
        };
        if (cell == LSTM) {
            net.fwd_args[DNNL_ARG_SRC_ITER_C] = make(pd.src_iter_c_desc(), eng, 0.0f);
            net.fwd_args[DNNL_ARG_DST_ITER_C] = make(pd.dst_iter_c_desc(), eng, 0.0f);
        }
        if (train) {
            net.fwd_args[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), eng);
            net.memory_bytes += pd.workspace_desc().get_size();
        }
    };
    auto fill_bwd = [&](auto &pd) {
        net.bwd_args = net.fwd_args;
        // backward may want the weights in its own layout: create them there (best case)
        net.bwd_args[DNNL_ARG_WEIGHTS_LAYER] = make(pd.weights_layer_desc(), eng, 0.01f);
        net.bwd_args[DNNL_ARG_WEIGHTS_ITER] = make(pd.weights_iter_desc(), eng, 0.01f);
        net.bwd_args[DNNL_ARG_DIFF_SRC_LAYER] = make(pd.diff_src_layer_desc(), eng, 0.0f);
        net.bwd_args[DNNL_ARG_DIFF_SRC_ITER] = make(pd.diff_src_iter_desc(), eng, 0.0f);
        net.bwd_args[DNNL_ARG_DIFF_WEIGHTS_LAYER] = make(pd.diff_weights_layer_desc(), eng, 0.0f);
        net.bwd_args[DNNL_ARG_DIFF_WEIGHTS_ITER] = make(pd.diff_weights_iter_desc(), eng, 0.0f);
        net.bwd_args[DNNL_ARG_DIFF_BIAS] = make(pd.diff_bias_desc(), eng, 0.0f);
        net.bwd_args[DNNL_ARG_DIFF_DST_LAYER] = make(pd.diff_dst_layer_desc(), eng, 0.01f);
        net.bwd_args[DNNL_ARG_DIFF_DST_ITER] = make(pd.diff_dst_iter_desc(), eng, 0.0f);
        net.bwd_args[DNNL_ARG_SCRATCHPAD] = scratch(pd, eng, &net.memory_bytes);
        if (cell == LSTM) {
            net.bwd_args[DNNL_ARG_DIFF_SRC_ITER_C] = make(pd.diff_src_iter_c_desc(), eng, 0.0f);
            net.bwd_args[DNNL_ARG_DIFF_DST_ITER_C] = make(pd.diff_dst_iter_c_desc(), eng, 0.0f);
        }
    };
    memory::desc wl_any = md({ 1, 1, F, G, H }, tag::any), wi_any = md({ 1, 1, H, G, H }, tag::any), b_any = md({ 1, 1, GB, H }, tag::any);
    memory::desc src_any = md({ T, B, F }, tag::any), iter_any = md({ 1, 1, B, H }, tag::any);
    memory::desc dst_any = md({ T, B, H }, tag::any);
    try {
        if (cell == LSTM) {
            lstm_forward::primitive_desc fpd(
                lstm_forward::desc(pk, dir, src, iter, iter, wl, wi, none, none, bias, dst, iter, iter),
                attr, eng);
            net.fwd = lstm_forward(fpd);
            fill_fwd(fpd);
            if (train) {
                lstm_backward::primitive_desc bpd(
                    lstm_backward::desc(prop_kind::backward, dir, src, iter, iter, wl_any, wi_any, none, none,
                                        bias, dst, iter, iter, src_any, iter_any, iter_any, wl_any,
                                        wi_any, none, none, b_any, dst_any, iter_any, iter_any),
                    attr, eng, fpd);
                net.bwd = lstm_backward(bpd);
                fill_bwd(bpd);
            }
        } else if (cell == GRU) {
            lbr_gru_forward::primitive_desc fpd(
                lbr_gru_forward::desc(pk, dir, src, iter, wl, wi, bias, dst, iter), attr, eng);
            net.fwd = lbr_gru_forward(fpd);
            fill_fwd(fpd);
            if (train) {
                lbr_gru_backward::primitive_desc bpd(
                    lbr_gru_backward::desc(prop_kind::backward, dir, src, iter, wl_any, wi_any, bias, dst,
                                           iter, src_any, iter_any, wl_any, wi_any, b_any, dst_any,
                                           iter_any),
                    attr, eng, fpd);
                net.bwd = lbr_gru_backward(bpd);
                fill_bwd(bpd);
            }
        } else {
            vanilla_rnn_forward::primitive_desc fpd(
                vanilla_rnn_forward::desc(pk, algorithm::eltwise_tanh, dir, src, iter, wl, wi, bias,
                                          dst, iter),
                attr, eng);
            net.fwd = vanilla_rnn_forward(fpd);
            fill_fwd(fpd);
            if (train) {
                vanilla_rnn_backward::primitive_desc bpd(
                    vanilla_rnn_backward::desc(prop_kind::backward, algorithm::eltwise_tanh, dir, src,
                                               iter, wl_any, wi_any, bias, dst, iter, src_any, iter_any,
                                               wl_any, wi_any, b_any, dst_any, iter_any),
                    attr, eng, fpd);
                net.bwd = vanilla_rnn_backward(bpd);
                fill_bwd(bpd);
            }
        }
    } catch (const dnnl::error &e) {
        return false;
    }
    return true;
}

void BM_onednn(benchmark::State &state, Cell cell, Shape s, bool train, int threads)
{
    omp_set_num_threads(threads);
    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    Net net;
    if (!build(cell, s, train, eng, net)) {
        state.SkipWithError("oneDNN declined this configuration");
        return;
    }
    for (auto _ : state) {
        net.fwd.execute(strm, net.fwd_args);
        if (train)
            net.bwd.execute(strm, net.bwd_args);
        strm.wait();
    }
    const double G = cell == LSTM ? 4 : cell == GRU ? 3 : 1;
    double flops = 2.0 * s.B * s.T * G * s.H * double(s.F + s.H) * (train ? 3 : 1);
    state.counters["GFLOPS"] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["cell_steps_per_s"] =
        benchmark::Counter(double(s.B) * s.T, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["ws_MiB"] = double(net.memory_bytes) / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char **argv)
{
    for (int c = 0; c < 3; c++)
        for (const Shape &s : shapes)
            for (int train = 0; train <= 1; train++)
                for (int threads = 1; threads <= 2; threads++)
                    benchmark::RegisterBenchmark((std::string("onednn/") + cell_names[c] + "/" + s.name + "/" +
                                                  (train ? "train" : "forward") + "/threads:" +
                                                  std::to_string(threads)).c_str(),
                                                 BM_onednn, Cell(c), s, bool(train), threads)
                        ->Unit(benchmark::kMillisecond)
                        ->UseRealTime();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
