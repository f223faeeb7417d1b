/* Dropout: Keras's inverted dropout. In training each element is kept with probability
 * 1 − rate and scaled by 1 / (1 − rate), a fresh draw per element (on a sequence, per step
 * too); in predict and evaluate the layer is the identity. The mask passes through. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/philox.h"
#include "core/util.h"
#include "layers/dropout.h"
#include "layers/layer.h"
#include "model/internal.h"

typedef struct {
    layer base;
    float rate;
    int threads;
    bool dropped;              /* the last forward applied a mask (kept in scratch) */
} dropout_layer;

void layer_dropout_factors(const recur_random_stream *st, float rate, long long first,
                           long long n, int threads, float *out)
{
    /* blocks of 4096 elements: whole Philox blocks, and enough work per thread */
    const long long block = 4096, blocks = (n + block - 1) / block;
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1)
    for (long long k = 0; k < blocks; k++) {
        const long long e0 = k * block, len = n - e0 < block ? n - e0 : block;
        recur_dropout_factors(st, first + e0, len, rate, out + e0);
    }
}

static size_t dropout_scratch(const layer *L, int batch)
{
    return (size_t)batch * layer_shape_size(L->in);   /* the factors of the last forward */
}

static recur_status dropout_forward(layer *L, const layer_fwd *f)
{
    dropout_layer *D = (dropout_layer *)L;
    const size_t n = (size_t)f->batch * layer_shape_size(L->in);
    D->dropped = f->training && D->rate > 0.0f;
    if (!D->dropped) {
        memcpy(f->y, f->x, n * sizeof(float));
        return RECUR_OK;
    }
    const recur_random_stream st = recur_random_stream_of(
        f->random.seed, layer_stream(&f->random, 0), f->random.iteration);
    const long long first = (long long)f->random.first_row * (long long)layer_shape_size(L->in);
    layer_dropout_factors(&st, D->rate, first, (long long)n, D->threads, f->scratch);
    for (size_t i = 0; i < n; i++)
        f->y[i] = f->x[i] * f->scratch[i];
    return RECUR_OK;
}

static recur_status dropout_backward(layer *L, const layer_bwd *b)
{
    const dropout_layer *D = (const dropout_layer *)L;
    const size_t n = (size_t)b->batch * layer_shape_size(L->in);
    if (b->dx == NULL)
        return RECUR_OK;
    if (!D->dropped) {
        memcpy(b->dx, b->dy, n * sizeof(float));
        return RECUR_OK;
    }
    for (size_t i = 0; i < n; i++)
        b->dx[i] = b->dy[i] * b->scratch[i];
    return RECUR_OK;
}

static void dropout_set_threads(layer *L, int threads)
{
    ((dropout_layer *)L)->threads = threads > 0 ? threads : recur_default_threads();
}

static void dropout_write_config(const layer *L, layer_config_writer *w)
{
    layer_config_put_float(w, "rate", ((const dropout_layer *)L)->rate);
}

static recur_status dropout_from_config(recur_model *m, layer_config_reader *r)
{
    const float rate = layer_config_float(r, "rate", 0.0f);
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_dropout(m, rate);
}

static void dropout_destroy(layer *L) { free(L); }

const layer_ops layer_dropout_ops = {
    .tag = "dropout", .keras_class = "Dropout", .keras_name = "dropout",
    .scratch_floats = dropout_scratch, .forward = dropout_forward,
    .backward = dropout_backward, .set_threads = dropout_set_threads,
    .write_config = dropout_write_config, .from_config = dropout_from_config,
    .destroy = dropout_destroy,
};

bool layer_dropout_rate_ok(float rate) { return rate >= 0.0f && rate < 1.0f; }

recur_status recur_model_add_dropout(recur_model *m, float rate)
{
    const char *what = "recur_model_add_dropout";
    recur_status s = model_check_can_add(m, what);
    if (s != RECUR_OK)
        return s;
    if (!layer_dropout_rate_ok(rate))
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: rate must be in [0, 1), got %g", what,
                          (double)rate);
    dropout_layer *D = calloc(1, sizeof *D);
    if (D == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    D->rate = rate;
    D->threads = m->threads > 0 ? m->threads : recur_default_threads();
    layer *L = &D->base;
    L->ops = &layer_dropout_ops;
    L->in = L->out = model_shape_before(m, m->n_layers);
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = L->mask_in ? MASK_PASS : MASK_NONE;
    model_append(m, L);
    return RECUR_OK;
}
