/* Dense: y = act(x · kernel + bias) over the last axis; on a sequence, every time step (the
 * rows of [B·T, F]), passing the mask on as Keras does. The pre-activation is kept in the
 * layer's scratch for backward and for a loss taken from the logits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gemm/gemm.h"
#include "layers/layer.h"
#include "model/internal.h"

typedef struct {
    layer base;
    int units;
    recur_activation act;      /* resolved: never RECUR_ACT_DEFAULT */
} dense_layer;

static size_t rows_of(const layer *L, int batch)
{
    return (size_t)batch * (size_t)(L->in.steps ? L->in.steps : 1);
}

static size_t dense_scratch(const layer *L, int batch)
{
    return rows_of(L, batch) * (size_t)((const dense_layer *)L)->units;
}

static void dense_init(layer *L, layer_rng *r)
{
    const dense_layer *d = (const dense_layer *)L;
    init_glorot_uniform(r, L->weights[0].w, L->in.features, d->units);
    memset(L->weights[1].w, 0, sizeof(float) * (size_t)d->units);
}

static void softmax_rows(size_t rows, int n, const float *z, float *y)
{
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * n;
        float *yr = y + r * n;
        float mx = zr[0];
        for (int j = 1; j < n; j++)
            mx = zr[j] > mx ? zr[j] : mx;
        double sum = 0;
        for (int j = 0; j < n; j++) {
            yr[j] = expf(zr[j] - mx);
            sum += yr[j];
        }
        for (int j = 0; j < n; j++)
            yr[j] = (float)(yr[j] / sum);
    }
}

/* pre [rows, units] = x · K + b; y = act(pre) */
static recur_status dense_forward(layer *L, const layer_fwd *f)
{
    const dense_layer *d = (const dense_layer *)L;
    const size_t rows = rows_of(L, f->batch);
    const int fin = L->in.features, u = d->units;
    float *pre = f->scratch;
    for (size_t r = 0; r < rows; r++)
        memcpy(pre + r * u, L->weights[1].w, sizeof(float) * u);
    recur_sgemm(L->kt, (int)rows, u, fin, f->x, fin, false, L->weights[0].w, u, false, pre, u,
                true, f->gemm_work);
    if (d->act == RECUR_ACT_SOFTMAX)
        softmax_rows(rows, u, pre, f->y);
    else
        L->kt->act_forward(rows * u, d->act, pre, f->y);
    return RECUR_OK;
}

static recur_status dense_backward(layer *L, const layer_bwd *b)
{
    const dense_layer *d = (const dense_layer *)L;
    const size_t rows = rows_of(L, b->batch);
    const int fin = L->in.features, u = d->units;
    float *dpre = b->scratch;   /* the pre-activations are no longer needed */
    if (b->dy_is_logits) {
        memcpy(dpre, b->dy, sizeof(float) * rows * u);
    } else if (d->act == RECUR_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++) {
            const float *yr = b->y + r * u, *dy = b->dy + r * u;
            double dot = 0;
            for (int j = 0; j < u; j++)
                dot += (double)dy[j] * yr[j];
            for (int j = 0; j < u; j++)
                dpre[r * u + j] = (float)(yr[j] * (dy[j] - dot));
        }
    } else {
        L->kt->act_backward(rows * u, d->act, b->y, b->dy, dpre);
    }
    /* dK += xᵀ · dpre, db += Σ rows, dx = dpre · Kᵀ */
    recur_sgemm(L->kt, fin, u, (int)rows, b->x, fin, true, dpre, u, false, L->weights[0].g, u,
                true, b->gemm_work);
    L->kt->colsum(rows, (size_t)u, dpre, (size_t)u, NULL, 0, 0, 0, L->weights[1].g);
    if (b->dx)
        recur_sgemm(L->kt, (int)rows, fin, u, dpre, u, false, L->weights[0].w, u, true, b->dx,
                    fin, false, b->gemm_work);
    return RECUR_OK;
}

static const float *dense_logits(const layer *L, const float *scratch, recur_activation *act)
{
    const dense_layer *d = (const dense_layer *)L;
    *act = d->act;
    return d->act == RECUR_ACT_SIGMOID || d->act == RECUR_ACT_SOFTMAX ? scratch : NULL;
}

static void dense_write_config(const layer *L, layer_config_writer *w)
{
    const dense_layer *d = (const dense_layer *)L;
    layer_config_put_int(w, "units", d->units);
    layer_config_put_int(w, "activation", (int)d->act);
}

static recur_status dense_from_config(recur_model *m, layer_config_reader *r)
{
    int units = layer_config_int(r, "units", 0);
    int act = layer_config_int(r, "activation", RECUR_ACT_LINEAR);
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_dense(m, units, (recur_activation)act);
}

static void dense_destroy(layer *L) { free(L); }

const layer_ops layer_dense_ops = {
    .tag = "dense", .keras_class = "Dense", .keras_name = "dense",
    .scratch_floats = dense_scratch, .init_weights = dense_init,
    .forward = dense_forward, .backward = dense_backward, .logits = dense_logits,
    .write_config = dense_write_config, .from_config = dense_from_config,
    .destroy = dense_destroy,
};

recur_status recur_model_add_dense(recur_model *m, int units, recur_activation activation)
{
    const char *what = "recur_model_add_dense";
    recur_status s = model_check_can_add(m, what);
    if (s != RECUR_OK)
        return s;
    if (units < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: units must be >= 1, got %d", what, units);
    if ((int)activation < 0 || activation >= RECUR_ACT_COUNT)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: unknown activation %d", what,
                          (int)activation);
    const layer_shape in = model_shape_before(m, m->n_layers);
    if ((long long)in.features * units > (1LL << 30))
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: a %d x %d kernel is too large", what,
                          in.features, units);
    if ((s = model_check_param_budget(m, (size_t)in.features * units + units, what)) != RECUR_OK)
        return s;
    dense_layer *d = calloc(1, sizeof *d);
    if (d == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    d->units = units;
    d->act = activation == RECUR_ACT_DEFAULT ? RECUR_ACT_LINEAR : activation;
    layer *L = &d->base;
    L->ops = &layer_dense_ops;
    L->in = in;
    L->out = (layer_shape){ in.steps, units };
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = L->mask_in ? MASK_PASS : MASK_NONE;
    layer_set_weight(L, 0, "kernel", 2, in.features, units);
    layer_set_weight(L, 1, "bias", 1, units, 0);
    model_append(m, L);
    return RECUR_OK;
}
