/* SimpleRNN, LSTM and GRU in a model: the engine (src/rnn/) with its weights bound to the
 * model's blocks. With return_sequences the output is the whole sequence and the mask goes
 * on; without it the output is the last step's (under a mask the last real step's, as
 * Keras returns it) and the mask ends here. */
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "core/error.h"
#include "layers/layer.h"
#include "model/internal.h"
#include "rnn/engine.h"

typedef struct {
    layer base;
    recur_cell cell;
    int units;
    recur_rnn_opts opts;       /* activations resolved */
    recur_rnn *rnn;
} rnn_layer;

/* The 0.1 layout of recur_rnn_opts: its fields up to no_unit_forget_bias (docs/ABI.md). */
#define RNN_OPTS_SIZE_0_1 (offsetof(recur_rnn_opts, no_unit_forget_bias) + sizeof(bool))

static int gate_blocks(recur_cell cell) { return cell == RECUR_LSTM ? 4 : cell == RECUR_GRU ? 3 : 1; }

static recur_status rnn_reserve(layer *L, int batch)
{
    return recur_rnn_reserve_for(((rnn_layer *)L)->rnn, batch, L->in.steps, L->mask_in);
}

static void rnn_bind(layer *L)
{
    const layer_weight *w = L->weights;
    const bool bias = L->n_weights == 3;
    recur_rnn_bind(((rnn_layer *)L)->rnn, w[0].w, w[1].w, bias ? w[2].w : NULL, w[0].g, w[1].g,
                   bias ? w[2].g : NULL);
}

/* Keras: glorot_uniform kernel, orthogonal recurrent kernel, zero bias with the LSTM
 * forget gate's at 1 (unit_forget_bias). */
static void rnn_init(layer *L, layer_rng *r)
{
    const rnn_layer *R = (const rnn_layer *)L;
    const int H = R->units, GH = gate_blocks(R->cell) * H;
    init_glorot_uniform(r, L->weights[0].w, L->in.features, GH);
    if (!init_orthogonal(r, L->weights[1].w, H, GH))
        init_glorot_uniform(r, L->weights[1].w, H, GH);   /* no memory for QR: a usable start */
    if (L->n_weights == 3) {
        memset(L->weights[2].w, 0, sizeof(float) * layer_weight_size(&L->weights[2]));
        if (R->cell == RECUR_LSTM && !R->opts.no_unit_forget_bias)
            for (int j = 0; j < H; j++)
                L->weights[2].w[H + j] = 1.0f;
    }
}

static recur_status rnn_forward(layer *L, const layer_fwd *f)
{
    const rnn_layer *R = (const rnn_layer *)L;
    const bool seq = R->opts.return_sequences;
    const recur_rnn_fwd_io io = { .x = f->x, .mask = f->mask, .y = seq ? f->y : NULL,
                                  .y_last = seq ? NULL : f->y };
    return recur_rnn_forward_io(R->rnn, f->batch, L->in.steps, &io);
}

static recur_status rnn_backward(layer *L, const layer_bwd *b)
{
    const rnn_layer *R = (const rnn_layer *)L;
    const bool seq = R->opts.return_sequences;
    const recur_rnn_bwd_io io = { .dy = seq ? b->dy : NULL, .dy_last = seq ? NULL : b->dy,
                                  .dx = b->dx };
    return recur_rnn_backward_io(R->rnn, &io);
}

static void rnn_weights_changed(layer *L) { recur_rnn_weights_changed(((rnn_layer *)L)->rnn); }

static void rnn_set_inference(layer *L, bool on)
{
    recur_rnn_set_inference(((rnn_layer *)L)->rnn, on);
}

static void rnn_set_threads(layer *L, int threads)
{
    recur_rnn_set_num_threads(((rnn_layer *)L)->rnn, threads);
}

static void rnn_write_config(const layer *L, layer_config_writer *w)
{
    const rnn_layer *R = (const rnn_layer *)L;
    layer_config_put_int(w, "units", R->units);
    layer_config_put_int(w, "activation", (int)R->opts.activation);
    layer_config_put_int(w, "recurrent_activation", (int)R->opts.recurrent_activation);
    layer_config_put_bool(w, "return_sequences", R->opts.return_sequences);
    layer_config_put_bool(w, "go_backwards", R->opts.go_backwards);
    layer_config_put_bool(w, "use_bias", !R->opts.no_bias);
    if (R->cell == RECUR_GRU)
        layer_config_put_bool(w, "reset_after", !R->opts.reset_before);
    if (R->cell == RECUR_LSTM)
        layer_config_put_bool(w, "unit_forget_bias", !R->opts.no_unit_forget_bias);
    layer_config_put_bool(w, "zero_output_for_mask", R->opts.zero_output_for_mask);
}

static recur_status add_rnn(recur_model *m, recur_cell cell, int units, const recur_rnn_opts *o,
                            size_t o_size, const char *what);

static recur_status rnn_from_config(recur_model *m, layer_config_reader *r, recur_cell cell)
{
    recur_rnn_opts o = { 0 };
    int units = layer_config_int(r, "units", 0);
    o.activation = (recur_activation)layer_config_int(r, "activation", RECUR_ACT_TANH);
    o.recurrent_activation = (recur_activation)layer_config_int(r, "recurrent_activation",
                                                                RECUR_ACT_SIGMOID);
    o.return_sequences = layer_config_bool(r, "return_sequences", false);
    o.go_backwards = layer_config_bool(r, "go_backwards", false);
    o.no_bias = !layer_config_bool(r, "use_bias", true);
    if (cell == RECUR_GRU)
        o.reset_before = !layer_config_bool(r, "reset_after", true);
    if (cell == RECUR_LSTM)
        o.no_unit_forget_bias = !layer_config_bool(r, "unit_forget_bias", true);
    o.zero_output_for_mask = layer_config_bool(r, "zero_output_for_mask", false);
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return add_rnn(m, cell, units, &o, sizeof o, "model file");
}

static recur_status simple_rnn_from_config(recur_model *m, layer_config_reader *r)
{
    return rnn_from_config(m, r, RECUR_SIMPLE_RNN);
}
static recur_status lstm_from_config(recur_model *m, layer_config_reader *r)
{
    return rnn_from_config(m, r, RECUR_LSTM);
}
static recur_status gru_from_config(recur_model *m, layer_config_reader *r)
{
    return rnn_from_config(m, r, RECUR_GRU);
}

static void rnn_destroy(layer *L)
{
    recur_rnn_free(((rnn_layer *)L)->rnn);
    free(L);
}

#define RNN_OPS(TAG, CLASS, FROM_CONFIG)                                                  \
    {                                                                                     \
        .tag = TAG, .keras_class = CLASS, .keras_name = TAG, .reserve = rnn_reserve,      \
        .bind = rnn_bind, .init_weights = rnn_init, .forward = rnn_forward,               \
        .backward = rnn_backward, .weights_changed = rnn_weights_changed,                 \
        .set_inference = rnn_set_inference, .set_threads = rnn_set_threads,               \
        .write_config = rnn_write_config, .from_config = FROM_CONFIG,                     \
        .destroy = rnn_destroy,                                                           \
    }
const layer_ops layer_simple_rnn_ops = RNN_OPS("simple_rnn", "SimpleRNN", simple_rnn_from_config);
const layer_ops layer_lstm_ops = RNN_OPS("lstm", "LSTM", lstm_from_config);
const layer_ops layer_gru_ops = RNN_OPS("gru", "GRU", gru_from_config);

static const layer_ops *ops_of(recur_cell cell)
{
    return cell == RECUR_LSTM ? &layer_lstm_ops : cell == RECUR_GRU ? &layer_gru_ops
                                                                    : &layer_simple_rnn_ops;
}

static recur_status add_rnn(recur_model *m, recur_cell cell, int units, const recur_rnn_opts *o,
                            size_t o_size, const char *what)
{
    recur_status s = model_check_can_add(m, what);
    if (s != RECUR_OK)
        return s;
    if (units < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: units must be >= 1, got %d", what, units);
    const layer_shape in = model_shape_before(m, m->n_layers);
    if (in.steps == 0)
        return recur_fail(RECUR_ERR_SHAPE,
                          "%s: a recurrent layer needs a sequence, but layer %d returns one "
                          "vector per sample (set return_sequences on it)", what, m->n_layers - 1);
    recur_rnn_opts opts = { 0 };
    if (o)
        recur_abi_copy(&opts, sizeof opts, o, o_size);
    recur_rnn_config cfg = { .cell = cell, .input_size = in.features, .units = units,
                             .activation = opts.activation,
                             .recurrent_activation = opts.recurrent_activation,
                             .no_bias = opts.no_bias, .reset_before = opts.reset_before,
                             .go_backwards = opts.go_backwards,
                             .zero_output_for_mask = opts.zero_output_for_mask };
    const size_t GH = (size_t)gate_blocks(cell) * units;
    const size_t params = GH * ((size_t)in.features + units +
                                (opts.no_bias ? 0 : cell == RECUR_GRU && !opts.reset_before ? 2 : 1));
    if ((s = model_check_param_budget(m, params, what)) != RECUR_OK)
        return s;
    recur_rnn *rnn;
    if ((s = recur_rnn_create_unbound(&cfg, &rnn)) != RECUR_OK)
        return s;
    rnn_layer *R = calloc(1, sizeof *R);
    if (R == NULL) {
        recur_rnn_free(rnn);
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    }
    R->cell = cell;
    R->units = units;
    R->opts = opts;
    if (R->opts.activation == RECUR_ACT_DEFAULT)
        R->opts.activation = RECUR_ACT_TANH;
    if (R->opts.recurrent_activation == RECUR_ACT_DEFAULT)
        R->opts.recurrent_activation = RECUR_ACT_SIGMOID;
    R->rnn = rnn;
    layer *L = &R->base;
    L->ops = ops_of(cell);
    L->in = in;
    L->out = (layer_shape){ opts.return_sequences ? in.steps : 0, units };
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = L->mask_in && opts.return_sequences ? MASK_PASS : MASK_NONE;
    layer_set_weight(L, 0, "kernel", 2, in.features, (int)GH);
    layer_set_weight(L, 1, "recurrent_kernel", 2, units, (int)GH);
    if (!opts.no_bias) {
        if (cell == RECUR_GRU && !opts.reset_before)
            layer_set_weight(L, 2, "bias", 2, 2, (int)GH);   /* input side, recurrent side */
        else
            layer_set_weight(L, 2, "bias", 1, (int)GH, 0);
    }
    model_append(m, L);
    return RECUR_OK;
}

recur_status recur_model_add_simple_rnn_sized(recur_model *m, int units, const recur_rnn_opts *o,
                                              size_t o_size)
{
    return add_rnn(m, RECUR_SIMPLE_RNN, units, o, o_size, "recur_model_add_simple_rnn");
}

recur_status recur_model_add_lstm_sized(recur_model *m, int units, const recur_rnn_opts *o,
                                        size_t o_size)
{
    return add_rnn(m, RECUR_LSTM, units, o, o_size, "recur_model_add_lstm");
}

recur_status recur_model_add_gru_sized(recur_model *m, int units, const recur_rnn_opts *o,
                                       size_t o_size)
{
    return add_rnn(m, RECUR_GRU, units, o, o_size, "recur_model_add_gru");
}

/* The entry points of binaries built against the 0.1 header. */
#undef recur_model_add_simple_rnn
#undef recur_model_add_lstm
#undef recur_model_add_gru
RECUR_API recur_status recur_model_add_simple_rnn(recur_model *m, int units,
                                                  const recur_rnn_opts *o);
RECUR_API recur_status recur_model_add_lstm(recur_model *m, int units, const recur_rnn_opts *o);
RECUR_API recur_status recur_model_add_gru(recur_model *m, int units, const recur_rnn_opts *o);

recur_status recur_model_add_simple_rnn(recur_model *m, int units, const recur_rnn_opts *o)
{
    return recur_model_add_simple_rnn_sized(m, units, o, RNN_OPTS_SIZE_0_1);
}

recur_status recur_model_add_lstm(recur_model *m, int units, const recur_rnn_opts *o)
{
    return recur_model_add_lstm_sized(m, units, o, RNN_OPTS_SIZE_0_1);
}

recur_status recur_model_add_gru(recur_model *m, int units, const recur_rnn_opts *o)
{
    return recur_model_add_gru_sized(m, units, o, RNN_OPTS_SIZE_0_1);
}
