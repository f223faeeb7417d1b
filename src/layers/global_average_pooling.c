/* GlobalAveragePooling1D: [B, T, F] → [B, F], the mean over the steps; under a mask over the
 * real steps only, as Keras 3 (a row with none divides 0 by 0, as Keras does). Consumes
 * the mask. */
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

static recur_status gap_forward(layer *L, const layer_fwd *f)
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

static recur_status gap_backward(layer *L, const layer_bwd *b)
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

static void gap_write_config(const layer *L, layer_config_writer *w) { (void)L; (void)w; }

static recur_status gap_from_config(recur_model *m, layer_config_reader *r)
{
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_global_average_pooling1d(m);
}

static void gap_destroy(layer *L) { free(L); }

const layer_ops layer_global_average_pooling1d_ops = {
    .tag = "gap", .keras_class = "GlobalAveragePooling1D",
    .keras_name = "global_average_pooling1d",
    .forward = gap_forward, .backward = gap_backward,
    .write_config = gap_write_config, .from_config = gap_from_config, .destroy = gap_destroy,
};

recur_status recur_model_add_global_average_pooling1d(recur_model *m)
{
    const char *what = "recur_model_add_global_average_pooling1d";
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
    L->ops = &layer_global_average_pooling1d_ops;
    L->in = in;
    L->out = (layer_shape){ 0, in.features };
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = MASK_NONE;
    model_append(m, L);
    return RECUR_OK;
}
