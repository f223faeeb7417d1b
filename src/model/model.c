/* The Sequential model: building the layer stack, the weight table in Keras order,
 * summary, history, and freeing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/internal.h"
#include "core/util.h"

recur_status recur_model_create(int timesteps, int features, recur_model **out)
{
    if (out == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_create: out is NULL");
    *out = NULL;
    if (timesteps < 1 || features < 1)
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_model_create: input shape (%d, %d) must be positive",
                          timesteps, features);
    const recur_kernels *kt;
    recur_status s = recur_kernels_active(&kt);
    if (s != RECUR_OK)
        return s;
    recur_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_create: out of memory");
    m->timesteps = timesteps;
    m->features = features;
    m->kt = kt;
    *out = m;
    return RECUR_OK;
}

static void input_shape(const recur_model *m, int *steps, int *features)
{
    if (m->n_layers == 0) {
        *steps = m->timesteps;
        *features = m->features;
    } else {
        *steps = m->layers[m->n_layers - 1].out_steps;
        *features = m->layers[m->n_layers - 1].out_features;
    }
}

static recur_status check_can_add(const recur_model *m, int units, const char *what)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: model is NULL", what);
    if (m->compiled)
        return recur_fail(RECUR_ERR_STATE, "%s: the model is already compiled", what);
    if (m->n_layers >= MODEL_MAX_LAYERS)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: at most %d layers", what, MODEL_MAX_LAYERS);
    if (units < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: units must be >= 1, got %d", what, units);
    return RECUR_OK;
}

static recur_status add_rnn(recur_model *m, recur_cell cell, int units, const recur_rnn_opts *o,
                            const char *what)
{
    recur_status s = check_can_add(m, units, what);
    if (s != RECUR_OK)
        return s;
    int steps, features;
    input_shape(m, &steps, &features);
    if (steps == 0)
        return recur_fail(RECUR_ERR_SHAPE,
                          "%s: a recurrent layer needs a sequence, but layer %d returns one "
                          "vector per sample (set return_sequences on it)", what, m->n_layers - 1);
    recur_rnn_opts opts = o ? *o : (recur_rnn_opts){ 0 };
    recur_rnn_config cfg = { .cell = cell, .input_size = features, .units = units,
                             .activation = opts.activation,
                             .recurrent_activation = opts.recurrent_activation,
                             .no_bias = opts.no_bias, .reset_before = opts.reset_before,
                             .go_backwards = opts.go_backwards };
    recur_rnn *rnn;
    s = recur_rnn_create(&cfg, &rnn);
    if (s != RECUR_OK)
        return s;
    model_layer *L = &m->layers[m->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = LAYER_RNN;
    L->cell = cell;
    L->units = units;
    L->opts = opts;
    if (L->opts.activation == RECUR_ACT_DEFAULT)
        L->opts.activation = RECUR_ACT_TANH;
    if (L->opts.recurrent_activation == RECUR_ACT_DEFAULT)
        L->opts.recurrent_activation = RECUR_ACT_SIGMOID;
    L->in_steps = steps;
    L->in_features = features;
    L->out_steps = opts.return_sequences ? steps : 0;
    L->out_features = units;
    L->rnn = rnn;
    if (m->threads > 0)
        recur_rnn_set_num_threads(rnn, m->threads);
    return RECUR_OK;
}

recur_status recur_model_add_simple_rnn(recur_model *m, int units, const recur_rnn_opts *o)
{
    return add_rnn(m, RECUR_SIMPLE_RNN, units, o, "recur_model_add_simple_rnn");
}

recur_status recur_model_add_lstm(recur_model *m, int units, const recur_rnn_opts *o)
{
    return add_rnn(m, RECUR_LSTM, units, o, "recur_model_add_lstm");
}

recur_status recur_model_add_gru(recur_model *m, int units, const recur_rnn_opts *o)
{
    return add_rnn(m, RECUR_GRU, units, o, "recur_model_add_gru");
}

recur_status recur_model_add_dense(recur_model *m, int units, recur_activation activation)
{
    recur_status s = check_can_add(m, units, "recur_model_add_dense");
    if (s != RECUR_OK)
        return s;
    if ((int)activation < 0 || activation >= RECUR_ACT_COUNT)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_add_dense: unknown activation %d",
                          (int)activation);
    int steps, features;
    input_shape(m, &steps, &features);
    model_layer *L = &m->layers[m->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = LAYER_DENSE;
    L->units = units;
    L->activation = activation == RECUR_ACT_DEFAULT ? RECUR_ACT_LINEAR : activation;
    L->in_steps = steps;
    L->in_features = features;
    L->out_steps = steps;
    L->out_features = units;
    return RECUR_OK;
}

recur_status recur_model_set_seed(recur_model *m, unsigned long long seed)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_seed: model is NULL");
    m->seed = seed;
    return RECUR_OK;
}

recur_status recur_model_set_num_threads(recur_model *m, int threads)
{
    if (m == NULL || threads < 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_num_threads: bad argument");
    m->threads = threads;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].rnn)
            recur_rnn_set_num_threads(m->layers[i].rnn, threads);
    return RECUR_OK;
}

int recur_model_num_layers(const recur_model *m) { return m ? m->n_layers : 0; }

recur_status recur_model_output_shape(const recur_model *m, int *steps, int *features)
{
    if (m == NULL || steps == NULL || features == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_output_shape: NULL argument");
    if (m->n_layers == 0)
        return recur_fail(RECUR_ERR_STATE, "recur_model_output_shape: the model has no layers");
    input_shape(m, steps, features);
    return RECUR_OK;
}

size_t recur_model_output_size(const recur_model *m)
{
    const model_layer *L = &m->layers[m->n_layers - 1];
    return (size_t)(L->out_steps ? L->out_steps : 1) * (size_t)L->out_features;
}

/* ---- the weight table, Keras get_weights() order --------------------------------------- */

static void add_weight(recur_model *m, float *w, float *g, int rank, int d0, int d1, int layer)
{
    model_weight *W = &m->weights[m->n_weights++];
    memset(W, 0, sizeof *W);
    W->w = w;
    W->g = g;
    W->rank = rank;
    W->dims[0] = d0;
    W->dims[1] = rank == 2 ? d1 : 0;
    W->n = (size_t)d0 * (rank == 2 ? (size_t)d1 : 1);
    W->layer = layer;
}

void recur_model_build_weight_table(recur_model *m)
{
    m->n_weights = 0;
    for (int i = 0; i < m->n_layers; i++) {
        model_layer *L = &m->layers[i];
        if (L->kind == LAYER_RNN) {
            float *k, *u, *b, *dk, *du, *db;
            recur_rnn_weight_views(L->rnn, &k, &u, &b, &dk, &du, &db);
            int G = L->cell == RECUR_LSTM ? 4 : L->cell == RECUR_GRU ? 3 : 1;
            int GH = G * L->units;
            add_weight(m, k, dk, 2, L->in_features, GH, i);
            add_weight(m, u, du, 2, L->units, GH, i);
            if (!L->opts.no_bias) {
                if (L->cell == RECUR_GRU && !L->opts.reset_before)
                    add_weight(m, b, db, 2, 2, GH, i);
                else
                    add_weight(m, b, db, 1, GH, 0, i);
            }
        } else {
            add_weight(m, L->kernel, L->dkernel, 2, L->in_features, L->units, i);
            add_weight(m, L->bias, L->dbias, 1, L->units, 0, i);
        }
    }
}

int recur_model_num_weights(const recur_model *m)
{
    return m && m->compiled ? m->n_weights : 0;
}

static recur_status weight_index(const recur_model *m, int i, const char *what)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: model is NULL", what);
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "%s: compile the model first", what);
    if (i < 0 || i >= m->n_weights)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: weight %d out of range [0, %d)", what, i,
                          m->n_weights);
    return RECUR_OK;
}

recur_status recur_model_weight_shape(const recur_model *m, int i, int *rank, int dims[2])
{
    recur_status s = weight_index(m, i, "recur_model_weight_shape");
    if (s != RECUR_OK)
        return s;
    if (rank == NULL || dims == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_weight_shape: NULL argument");
    *rank = m->weights[i].rank;
    dims[0] = m->weights[i].dims[0];
    dims[1] = m->weights[i].dims[1];
    return RECUR_OK;
}

recur_status recur_model_set_weight(recur_model *m, int i, const float *data, size_t count)
{
    recur_status s = weight_index(m, i, "recur_model_set_weight");
    if (s != RECUR_OK)
        return s;
    model_weight *W = &m->weights[i];
    if (data == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_weight: data is NULL");
    if (count != W->n)
        return recur_fail(RECUR_ERR_SHAPE, "recur_model_set_weight: weight %d has %zu values, got %zu",
                          i, W->n, count);
    for (size_t k = 0; k < count; k++)
        if (!isfinite(data[k]))
            return recur_fail(RECUR_ERR_NUMERIC, "recur_model_set_weight: value %zu is not finite", k);
    memcpy(W->w, data, count * sizeof(float));
    const model_layer *L = &m->layers[W->layer];
    if (L->rnn)
        recur_rnn_weights_changed(L->rnn);
    return RECUR_OK;
}

recur_status recur_model_get_weight(const recur_model *m, int i, float *data, size_t count)
{
    recur_status s = weight_index(m, i, "recur_model_get_weight");
    if (s != RECUR_OK)
        return s;
    if (data == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_get_weight: data is NULL");
    if (count != m->weights[i].n)
        return recur_fail(RECUR_ERR_SHAPE, "recur_model_get_weight: weight %d has %zu values, got %zu",
                          i, m->weights[i].n, count);
    memcpy(data, m->weights[i].w, count * sizeof(float));
    return RECUR_OK;
}

/* ---- summary ---------------------------------------------------------------------------- */

static size_t layer_params(const model_layer *L)
{
    if (L->kind == LAYER_DENSE)
        return (size_t)L->in_features * L->units + L->units;
    size_t k, u, b;
    recur_rnn_weight_counts(L->rnn, &k, &u, &b);
    return k + u + b;
}

recur_status recur_model_summary(const recur_model *m, char *buf, size_t size)
{
    if (m == NULL || buf == NULL || size == 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_summary: bad argument");
    static const char *cells[] = { "", "SimpleRNN", "LSTM", "GRU" };
    size_t at = 0, total = 0;
#define EMIT(...) do { int w = snprintf(buf + at, at < size ? size - at : 0, __VA_ARGS__); \
                       if (w > 0) at += (size_t)w; } while (0)
    EMIT("%-24s %-20s %12s\n", "Layer (type)", "Output Shape", "Param #");
    for (int i = 0; i < m->n_layers; i++) {
        const model_layer *L = &m->layers[i];
        char name[32], shape[32];
        snprintf(name, sizeof name, "%s_%d (%s)", L->kind == LAYER_DENSE ? "dense" : "rnn", i,
                 L->kind == LAYER_DENSE ? "Dense" : cells[L->cell]);
        if (L->out_steps)
            snprintf(shape, sizeof shape, "(None, %d, %d)", L->out_steps, L->out_features);
        else
            snprintf(shape, sizeof shape, "(None, %d)", L->out_features);
        size_t p = layer_params(L);
        total += p;
        EMIT("%-24s %-20s %12zu\n", name, shape, p);
    }
    EMIT("Total params: %zu (%.2f KB)\n", total, (double)total * 4.0 / 1024.0);
#undef EMIT
    if (at >= size)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_summary: buffer of %zu bytes too small "
                          "(need %zu)", size, at + 1);
    return RECUR_OK;
}

/* ---- history ---------------------------------------------------------------------------- */

int recur_model_history_length(const recur_model *m) { return m ? m->history_len : 0; }

recur_status recur_model_history(const recur_model *m, int epoch, recur_epoch_log *log)
{
    if (m == NULL || log == NULL || epoch < 0 || epoch >= m->history_len)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_history: no epoch %d", epoch);
    *log = m->history[epoch];
    return RECUR_OK;
}

void recur_model_free(recur_model *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->n_layers; i++)
        recur_rnn_free(m->layers[i].rnn);
    recur_free_aligned(m->params);
    recur_free_aligned(m->acts);
    free(m->history);
    free(m->metadata);
    free(m);
}

recur_status recur_model_set_metadata(recur_model *m, const char *text)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_metadata: model is NULL");
    size_t n = text ? strlen(text) : 0;
    if (n > ((size_t)1 << 20))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_metadata: %zu bytes is over 1 MiB", n);
    char *copy = NULL;
    if (n) {
        copy = malloc(n + 1);
        if (copy == NULL)
            return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_set_metadata: out of memory");
        memcpy(copy, text, n + 1);
    }
    free(m->metadata);
    m->metadata = copy;
    return RECUR_OK;
}

const char *recur_model_metadata(const recur_model *m)
{
    return m && m->metadata ? m->metadata : "";
}
