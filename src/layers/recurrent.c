/* SimpleRNN, LSTM and GRU in a model: one recurrent direction (src/layers/rnn_direction.c)
 * with its weights bound to the model's blocks. With return_sequences the output is the
 * whole sequence and the mask goes on; without it the output is the last step's (under a
 * mask the last real step's, as Keras returns it) and the mask ends here. */
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "core/error.h"
#include "layers/layer.h"
#include "layers/rnn_direction.h"
#include "model/internal.h"
#include "rnn/engine.h"

typedef struct {
    layer base;
    recur_cell cell;
    int units;
    recur_rnn_opts opts;       /* activations resolved */
    rnn_direction dir;
} rnn_layer;

/* The 0.1 layout of recur_rnn_opts: its fields up to no_unit_forget_bias (docs/ABI.md). */
#define RNN_OPTS_SIZE_0_1 (offsetof(recur_rnn_opts, no_unit_forget_bias) + sizeof(bool))

static size_t rnn_scratch(const layer *L, int batch)
{
    return rnn_direction_scratch(&((const rnn_layer *)L)->dir, batch);
}

static recur_status rnn_reserve(layer *L, int batch)
{
    return rnn_direction_reserve(&((rnn_layer *)L)->dir, batch, L->mask_in);
}

static void rnn_bind(layer *L) { rnn_direction_bind(&((rnn_layer *)L)->dir, L->weights, L->n_weights); }

static void rnn_init(layer *L, layer_rng *r)
{
    const rnn_layer *R = (const rnn_layer *)L;
    rnn_init_weights(&R->dir, &R->opts, L->weights, L->n_weights, r);
}

static recur_status rnn_forward(layer *L, const layer_fwd *f)
{
    rnn_layer *R = (rnn_layer *)L;
    const bool seq = R->opts.return_sequences;
    const rnn_outputs out = { .y = seq ? f->y : NULL, .y_last = seq ? NULL : f->y };
    return rnn_direction_forward(&R->dir, f, out, f->scratch);
}

static recur_status rnn_backward(layer *L, const layer_bwd *b)
{
    rnn_layer *R = (rnn_layer *)L;
    const bool seq = R->opts.return_sequences;
    const rnn_output_grads g = { .dy = seq ? b->dy : NULL, .dy_last = seq ? NULL : b->dy };
    return rnn_direction_backward(&R->dir, b->batch, g, b->dx, b->scratch);
}

static void rnn_weights_changed(layer *L) { recur_rnn_weights_changed(((rnn_layer *)L)->dir.rnn); }

static void rnn_set_inference(layer *L, bool on)
{
    recur_rnn_set_inference(((rnn_layer *)L)->dir.rnn, on);
}

static void rnn_set_threads(layer *L, int threads)
{
    recur_rnn_set_num_threads(((rnn_layer *)L)->dir.rnn, threads);
}

static void rnn_reset_states(layer *L) { rnn_direction_reset(&((rnn_layer *)L)->dir); }

static int rnn_held_states(const layer *L, size_t *per_row)
{
    const rnn_direction *d = &((const rnn_layer *)L)->dir;
    *per_row = rnn_direction_state_floats_per_row(d);
    return d->stateful ? d->state_rows : 0;
}

static void rnn_read_states(const layer *L, float *out)
{
    rnn_direction_read_states(&((const rnn_layer *)L)->dir, out);
}

static recur_status rnn_write_states(layer *L, int rows, const float *in)
{
    return rnn_direction_write_states(&((rnn_layer *)L)->dir, rows, in);
}

static void rnn_write_config(const layer *L, layer_config_writer *w)
{
    const rnn_layer *R = (const rnn_layer *)L;
    rnn_opts_write(w, R->cell, R->units, &R->opts);
}

static recur_status add_rnn(recur_model *m, recur_cell cell, int units, const recur_rnn_opts *o,
                            size_t o_size, const char *what);

static recur_status rnn_from_config(recur_model *m, layer_config_reader *r, recur_cell cell)
{
    recur_rnn_opts o;
    int units;
    rnn_opts_read(r, cell, &units, &o);
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
    rnn_direction_free(&((rnn_layer *)L)->dir);
    free(L);
}

#define RNN_OPS(TAG, CLASS, FROM_CONFIG)                                                  \
    {                                                                                     \
        .tag = TAG, .keras_class = CLASS, .keras_name = TAG, .scratch_floats = rnn_scratch, \
        .reserve = rnn_reserve, .bind = rnn_bind, .init_weights = rnn_init,               \
        .forward = rnn_forward, .backward = rnn_backward,                                 \
        .weights_changed = rnn_weights_changed, .set_inference = rnn_set_inference,      \
        .set_threads = rnn_set_threads, .reset_states = rnn_reset_states,                 \
        .held_states = rnn_held_states, .read_states = rnn_read_states,                   \
        .write_states = rnn_write_states,                                                 \
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
    recur_rnn_opts opts;
    if ((s = rnn_opts_take(&opts, o, o_size, what)) != RECUR_OK)
        return s;
    if ((s = model_check_param_budget(m, rnn_weight_floats(cell, in.features, units, &opts),
                                      what)) != RECUR_OK)
        return s;
    rnn_layer *R = calloc(1, sizeof *R);
    if (R == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    const recur_rnn_config cfg = rnn_config_of(cell, in.features, units, &opts);
    if ((s = rnn_direction_init(&R->dir, &cfg, in.steps, &opts, 0)) != RECUR_OK) {
        free(R);
        return s;
    }
    R->cell = cell;
    R->units = units;
    R->opts = opts;
    layer *L = &R->base;
    L->ops = ops_of(cell);
    L->in = in;
    L->out = (layer_shape){ opts.return_sequences ? in.steps : 0, units };
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = L->mask_in && opts.return_sequences ? MASK_PASS : MASK_NONE;
    L->stateful = opts.stateful;
    rnn_set_weights(L, 0, cell, in.features, units, &opts);
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
