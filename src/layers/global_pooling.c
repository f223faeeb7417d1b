/* Global pooling over time, [B, T, F] → [B, F]: Keras's GlobalAveragePooling1D (the mean
 * over the real steps under a mask, over all steps without; a row with none divides 0 by
 * 0, as Keras does) and GlobalMaxPooling1D (the maximum over every step: Keras's does not
 * support masking, so masked steps take part; its gradient goes to the steps holding the
 * maximum, shared equally among ties as TensorFlow's reduce_max shares it — padded steps
 * that repeat a recurrent layer's last output tie with it). Both end the mask. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "layers/layer.h"
#include "model/internal.h"

/* The divisor of row b: its real steps, or all T. */
static float row_count(const layer *L, const uint8_t *mask, int b)
{
    const int T = L->in.steps;
    if (mask == NULL)
        return (float)T;
    int n = 0;
    for (int t = 0; t < T; t++)
        n += mask[(size_t)b * T + t] != 0;
    return (float)n;
}

static recur_status average_forward(layer *L, const layer_fwd *f)
{
    const int T = L->in.steps, F = L->in.features;
    for (int b = 0; b < f->batch; b++) {
        float *y = f->y + (size_t)b * F;
        memset(y, 0, sizeof(float) * (size_t)F);
        for (int t = 0; t < T; t++)
            if (f->mask == NULL || f->mask[(size_t)b * T + t])
                L->kt->axpy((size_t)F, 1.0f, f->x + ((size_t)b * T + t) * F, y);
        const float count = row_count(L, f->mask, b);
        for (int j = 0; j < F; j++)
            y[j] /= count;
    }
    return RECUR_OK;
}

static recur_status average_backward(layer *L, const layer_bwd *b)
{
    const int T = L->in.steps, F = L->in.features;
    if (b->dx == NULL)
        return RECUR_OK;
    for (int r = 0; r < b->batch; r++) {
        const float inv = 1.0f / row_count(L, b->mask, r);
        for (int t = 0; t < T; t++) {
            float *dx = b->dx + ((size_t)r * T + t) * F;
            const bool real = b->mask == NULL || b->mask[(size_t)r * T + t];
            for (int j = 0; j < F; j++)
                dx[j] = real ? b->dy[(size_t)r * F + j] * inv : 0.0f;
        }
    }
    return RECUR_OK;
}

static recur_status max_forward(layer *L, const layer_fwd *f)
{
    const int T = L->in.steps, F = L->in.features;
    for (int b = 0; b < f->batch; b++) {
        const float *x = f->x + (size_t)b * T * F;
        float *y = f->y + (size_t)b * F;
        memcpy(y, x, sizeof(float) * (size_t)F);
        for (int t = 1; t < T; t++)
            for (int j = 0; j < F; j++)
                y[j] = x[(size_t)t * F + j] > y[j] ? x[(size_t)t * F + j] : y[j];
    }
    return RECUR_OK;
}

static recur_status max_backward(layer *L, const layer_bwd *b)
{
    const int T = L->in.steps, F = L->in.features;
    if (b->dx == NULL)
        return RECUR_OK;
    for (int r = 0; r < b->batch; r++) {
        const float *x = b->x + (size_t)r * T * F, *y = b->y + (size_t)r * F;
        float *dx = b->dx + (size_t)r * T * F;
        for (int j = 0; j < F; j++) {
            int ties = 0;
            for (int t = 0; t < T; t++)
                ties += x[(size_t)t * F + j] == y[j];
            const float share = b->dy[(size_t)r * F + j] / (float)ties;
            for (int t = 0; t < T; t++)
                dx[(size_t)t * F + j] = x[(size_t)t * F + j] == y[j] ? share : 0.0f;
        }
    }
    return RECUR_OK;
}

static void no_config(const layer *L, layer_config_writer *w) { (void)L; (void)w; }

static recur_status average_from_config(recur_model *m, layer_config_reader *r)
{
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_global_average_pooling1d(m);
}

static recur_status max_from_config(recur_model *m, layer_config_reader *r)
{
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_global_max_pooling1d(m);
}

static void pooling_destroy(layer *L) { free(L); }

const layer_ops layer_global_average_pooling1d_ops = {
    .tag = "gap", .keras_class = "GlobalAveragePooling1D",
    .keras_name = "global_average_pooling1d",
    .forward = average_forward, .backward = average_backward,
    .write_config = no_config, .from_config = average_from_config, .destroy = pooling_destroy,
};

const layer_ops layer_global_max_pooling1d_ops = {
    .tag = "gmp", .keras_class = "GlobalMaxPooling1D", .keras_name = "global_max_pooling1d",
    .forward = max_forward, .backward = max_backward,
    .write_config = no_config, .from_config = max_from_config, .destroy = pooling_destroy,
};

static recur_status add_pooling(recur_model *m, const layer_ops *ops, const char *what)
{
    recur_status s = model_check_can_add(m, what);
    if (s != RECUR_OK)
        return s;
    const layer_shape in = model_shape_before(m, m->n_layers);
    if (in.steps == 0)
        return recur_fail(RECUR_ERR_SHAPE, "%s: pooling over time needs a sequence, but layer "
                          "%d returns one vector per sample", what, m->n_layers - 1);
    layer *L = calloc(1, sizeof *L);
    if (L == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    L->ops = ops;
    L->in = in;
    L->out = (layer_shape){ 0, in.features };
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = MASK_NONE;
    model_append(m, L);
    return RECUR_OK;
}

recur_status recur_model_add_global_average_pooling1d(recur_model *m)
{
    return add_pooling(m, &layer_global_average_pooling1d_ops,
                       "recur_model_add_global_average_pooling1d");
}

recur_status recur_model_add_global_max_pooling1d(recur_model *m)
{
    return add_pooling(m, &layer_global_max_pooling1d_ops, "recur_model_add_global_max_pooling1d");
}
