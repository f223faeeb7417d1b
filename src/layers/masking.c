/* Masking: a step whose features all equal mask_value is masked; Keras also zeroes it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "layers/layer.h"
#include "model/internal.h"

typedef struct {
    layer base;
    float mask_value;
} masking_layer;

static recur_status masking_forward(layer *L, const layer_fwd *f)
{
    const float v = ((const masking_layer *)L)->mask_value;
    const size_t rows = (size_t)f->batch * (size_t)L->in.steps, F = (size_t)L->in.features;
    for (size_t r = 0; r < rows; r++) {
        const float *x = f->x + r * F;
        bool keep = false;
        for (size_t j = 0; j < F && !keep; j++)
            keep = x[j] != v;
        f->mask_out[r] = keep;
        if (keep)
            memcpy(f->y + r * F, x, F * sizeof(float));
        else
            memset(f->y + r * F, 0, F * sizeof(float));
    }
    return RECUR_OK;
}

static recur_status masking_backward(layer *L, const layer_bwd *b)
{
    const size_t rows = (size_t)b->batch * (size_t)L->in.steps, F = (size_t)L->in.features;
    if (b->dx == NULL)
        return RECUR_OK;
    for (size_t r = 0; r < rows; r++) {
        if (b->mask_out[r])
            memcpy(b->dx + r * F, b->dy + r * F, F * sizeof(float));
        else
            memset(b->dx + r * F, 0, F * sizeof(float));
    }
    return RECUR_OK;
}

static void masking_write_config(const layer *L, layer_config_writer *w)
{
    layer_config_put_float(w, "mask_value", ((const masking_layer *)L)->mask_value);
}

static recur_status masking_from_config(recur_model *m, layer_config_reader *r)
{
    float v = layer_config_float(r, "mask_value", 0.0f);
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_masking(m, v);
}

static void masking_destroy(layer *L) { free(L); }

const layer_ops layer_masking_ops = {
    .tag = "masking", .keras_class = "Masking", .keras_name = "masking",
    .forward = masking_forward, .backward = masking_backward,
    .write_config = masking_write_config, .from_config = masking_from_config,
    .destroy = masking_destroy,
};

recur_status recur_model_add_masking(recur_model *m, float mask_value)
{
    const char *what = "recur_model_add_masking";
    recur_status s = model_check_can_add(m, what);
    if (s != RECUR_OK)
        return s;
    if (!isfinite(mask_value))
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: mask_value must be finite (the inputs are)",
                          what);
    const layer_shape in = model_shape_before(m, m->n_layers);
    if (in.steps == 0)
        return recur_fail(RECUR_ERR_SHAPE, "%s: Masking masks time steps, but layer %d returns "
                          "one vector per sample", what, m->n_layers - 1);
    masking_layer *k = calloc(1, sizeof *k);
    if (k == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    k->mask_value = mask_value;
    layer *L = &k->base;
    L->ops = &layer_masking_ops;
    L->in = L->out = in;
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = MASK_MAKE;
    model_append(m, L);
    return RECUR_OK;
}
