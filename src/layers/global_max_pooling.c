/* GlobalMaxPooling1D: [B, T, F] → [B, F], the maximum over every step. Keras's does not
 * support masking: masked steps take part and the mask ends here. The gradient goes to the
 * steps holding the maximum, shared equally among ties as TensorFlow's reduce_max shares it
 * (padded steps that repeat a recurrent layer's last output tie with it). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "layers/layer.h"
#include "model/internal.h"

static recur_status gmp_forward(layer *L, const layer_fwd *f)
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

static recur_status gmp_backward(layer *L, const layer_bwd *b)
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

static void gmp_write_config(const layer *L, layer_config_writer *w) { (void)L; (void)w; }

static recur_status gmp_from_config(recur_model *m, layer_config_reader *r)
{
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_global_max_pooling1d(m);
}

static void gmp_destroy(layer *L) { free(L); }

const layer_ops layer_global_max_pooling1d_ops = {
    .tag = "gmp", .keras_class = "GlobalMaxPooling1D", .keras_name = "global_max_pooling1d",
    .forward = gmp_forward, .backward = gmp_backward,
    .write_config = gmp_write_config, .from_config = gmp_from_config, .destroy = gmp_destroy,
};

recur_status recur_model_add_global_max_pooling1d(recur_model *m)
{
    const char *what = "recur_model_add_global_max_pooling1d";
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
    L->ops = &layer_global_max_pooling1d_ops;
    L->in = in;
    L->out = (layer_shape){ 0, in.features };
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = MASK_NONE;
    model_append(m, L);
    return RECUR_OK;
}
