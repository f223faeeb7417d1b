/* compile: validate and resolve the optimizer and loss settings, plan the parameter block
 * from one table of every weight (values, gradients, two optimizer slots), point every
 * layer's weights into it, and initialize them the first time. */
#include <math.h>
#include <string.h>

#include "core/abi.h"
#include "core/error.h"
#include "core/util.h"
#include "model/internal.h"

/* The 0.1 layout of recur_compile_opts: its fields up to metrics (docs/ABI.md). */
#define COMPILE_OPTS_SIZE_0_1 (offsetof(recur_compile_opts, metrics) + sizeof(unsigned))

static recur_status resolve(const recur_model *m, const recur_compile_opts *in,
                            recur_compile_opts *o)
{
    *o = *in;
    if (o->optimizer < RECUR_ADAM || o->optimizer > RECUR_RMSPROP)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: unknown optimizer %d",
                          (int)o->optimizer);
    if (o->loss < RECUR_LOSS_MSE || o->loss > RECUR_LOSS_HUBER)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: unknown loss %d", (int)o->loss);
    if (o->metrics & ~(unsigned)(RECUR_METRIC_ACCURACY | RECUR_METRIC_MAE | RECUR_METRIC_MSE))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: unknown metric bits 0x%x",
                          o->metrics);
    const float vals[] = { o->learning_rate, o->beta_1, o->beta_2, o->epsilon, o->momentum,
                           o->rho, o->clipnorm, o->clipvalue, o->global_clipnorm };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        if (!(vals[i] >= 0.0f) || !isfinite(vals[i]))
            return recur_fail(RECUR_ERR_ARGUMENT,
                              "recur_model_compile: learning_rate, betas, epsilon, momentum, rho "
                              "and clipping values must be finite and >= 0");
    if ((o->clipnorm > 0) + (o->clipvalue > 0) + (o->global_clipnorm > 0) > 1)
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_model_compile: set only one of clipnorm, clipvalue, global_clipnorm");
    if (o->beta_1 >= 1.0f || o->beta_2 >= 1.0f || o->rho >= 1.0f || o->momentum >= 1.0f)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: beta_1, beta_2, rho and "
                          "momentum must be < 1");
    switch (o->optimizer) {
    case RECUR_ADAM:
        if (o->learning_rate == 0) o->learning_rate = 0.001f;
        if (o->beta_1 == 0) o->beta_1 = 0.9f;
        if (o->beta_2 == 0) o->beta_2 = 0.999f;
        if (o->epsilon == 0) o->epsilon = 1e-7f;
        break;
    case RECUR_SGD:
        if (o->learning_rate == 0) o->learning_rate = 0.01f;
        break;
    case RECUR_RMSPROP:
        if (o->learning_rate == 0) o->learning_rate = 0.001f;
        if (o->rho == 0) o->rho = 0.9f;
        if (o->epsilon == 0) o->epsilon = 1e-7f;
        break;
    }
    const layer *last = model_last(m);
    if (o->loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
        if (last->out.features < 2)
            return recur_fail(RECUR_ERR_SHAPE, "recur_model_compile: sparse categorical "
                              "crossentropy needs an output of >= 2 classes, got %d",
                              last->out.features);
        if (o->metrics & (RECUR_METRIC_MAE | RECUR_METRIC_MSE))
            return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: MAE/MSE metrics do not "
                              "apply to class-index targets");
    }
    return RECUR_OK;
}

/* The weight table and the parameter block: each weight at the same offset in the values,
 * gradients and both optimizer slots, on a 64-byte boundary; sparse weights also in the
 * squares region between the gradients and the slots. */
static recur_status plan_block(recur_model *m)
{
    size_t at = 0, sq = 0;
    m->n_weights = 0;
    for (int i = 0; i < m->n_layers; i++)
        for (int k = 0; k < m->layers[i]->n_weights; k++) {
            model_weight *W = &m->weights[m->n_weights++];
            W->layer = i;
            W->index = k;
            W->n = layer_weight_size(&m->layers[i]->weights[k]);
            W->offset = at;
            at += recur_round_floats(W->n);
            W->sparse = m->layers[i]->weights[k].sparse;
            W->sq_offset = sq;
            sq += W->sparse ? recur_round_floats(W->n) : 0;
        }
    float *p = recur_alloc_aligned((4 * at + sq + 16) * sizeof(float));
    if (p == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_compile: cannot allocate %zu bytes "
                          "of parameters", (4 * at + sq) * sizeof(float));
    m->block = p;
    m->block_floats = at;
    m->sq_floats = sq;
    m->params = p;
    m->grads = p + at;
    m->sq = p + 2 * at;
    m->slot[0] = p + 2 * at + sq;
    m->slot[1] = p + 3 * at + sq;
    for (int w = 0; w < m->n_weights; w++) {
        const model_weight *W = &m->weights[w];
        layer_weight *lw = &m->layers[W->layer]->weights[W->index];
        lw->w = m->params + W->offset;
        lw->g = m->grads + W->offset;
        lw->gsq = W->sparse ? m->sq + W->sq_offset : NULL;
    }
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops->bind)
            m->layers[i]->ops->bind(m->layers[i]);
    return RECUR_OK;
}

recur_status recur_model_compile_sized(recur_model *m, const recur_compile_opts *opts,
                                       size_t opts_size)
{
    if (m == NULL || opts == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: NULL argument");
    if (m->n_layers == 0)
        return recur_fail(RECUR_ERR_STATE, "recur_model_compile: the model has no layers");
    recur_compile_opts given, o;
    recur_abi_copy(&given, sizeof given, opts, opts_size);
    recur_status s = resolve(m, &given, &o);
    if (s != RECUR_OK)
        return s;
    if (m->block == NULL && (s = plan_block(m)) != RECUR_OK)
        return s;
    memset(m->slot[0], 0, 2 * m->block_floats * sizeof(float));   /* a fresh optimizer */
    m->copts = o;
    m->iterations = 0;
    m->compiled = true;
    m->compile_implicit = false;
    if (!m->initialized) {
        layer_rng r = layer_rng_seeded(m->seed);
        for (int i = 0; i < m->n_layers; i++)
            if (m->layers[i]->ops->init_weights)
                m->layers[i]->ops->init_weights(m->layers[i], &r);
        model_weights_changed(m);
        m->initialized = true;
    }
    return RECUR_OK;
}

recur_status recur_model_get_compile_opts_sized(const recur_model *m, recur_compile_opts *o,
                                                size_t o_size)
{
    if (m == NULL || o == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_get_compile_opts: model and opts "
                          "must not be NULL");
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "recur_model_get_compile_opts: the model is not "
                          "compiled");
    recur_abi_copy(o, o_size, &m->copts, sizeof m->copts);
    return RECUR_OK;
}

recur_status recur_model_set_learning_rate(recur_model *m, float learning_rate)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_learning_rate: model is NULL");
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "recur_model_set_learning_rate: the model is not "
                          "compiled");
    if (!(learning_rate >= 0.0f) || !isfinite(learning_rate))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_learning_rate: the learning "
                          "rate must be finite and >= 0, got %g", (double)learning_rate);
    m->copts.learning_rate = learning_rate;
    return RECUR_OK;
}

#undef recur_model_compile
RECUR_API recur_status recur_model_compile(recur_model *m, const recur_compile_opts *o);
recur_status recur_model_compile(recur_model *m, const recur_compile_opts *o)
{
    return recur_model_compile_sized(m, o, COMPILE_OPTS_SIZE_0_1);
}

/* The entry point for callers that do not pass a size (through a pointer, or from another
 * language): it writes the 0.1 layout of recur_compile_opts, every field of its release. */
#undef recur_model_get_compile_opts
RECUR_API recur_status recur_model_get_compile_opts(const recur_model *m,
                                                    recur_compile_opts *o);
recur_status recur_model_get_compile_opts(const recur_model *m, recur_compile_opts *o)
{
    return recur_model_get_compile_opts_sized(m, o, COMPILE_OPTS_SIZE_0_1);
}
