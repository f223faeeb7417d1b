/* compile: validate and resolve the optimizer and loss settings, plan the parameter block
 * (Dense weights and gradients, optimizer state), build the weight table, initialize. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "model/internal.h"
#include "core/util.h"

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
    const model_layer *last = &m->layers[m->n_layers - 1];
    if (o->loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
        if (last->out_features < 2)
            return recur_fail(RECUR_ERR_SHAPE, "recur_model_compile: sparse categorical "
                              "crossentropy needs an output of >= 2 classes, got %d",
                              last->out_features);
        if (o->metrics & (RECUR_METRIC_MAE | RECUR_METRIC_MSE))
            return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: MAE/MSE metrics do not "
                              "apply to class-index targets");
    }
    return RECUR_OK;
}

recur_status recur_model_compile(recur_model *m, const recur_compile_opts *opts)
{
    if (m == NULL || opts == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_compile: NULL argument");
    if (m->n_layers == 0)
        return recur_fail(RECUR_ERR_STATE, "recur_model_compile: the model has no layers");
    recur_compile_opts o;
    recur_status s = resolve(m, opts, &o);
    if (s != RECUR_OK)
        return s;

    if (m->params == NULL) {
        /* Dense weights and gradients, then two optimizer slots for every weight. */
        size_t dense = 0, all = 0;
        for (int i = 0; i < m->n_layers; i++) {
            const model_layer *L = &m->layers[i];
            size_t n;
            if (L->kind == LAYER_DENSE) {
                n = recur_round_floats((size_t)L->in_features * L->units) +
                    recur_round_floats((size_t)L->units);
                dense += 2 * n;
                all += n;
            } else {
                size_t k, u, b;
                recur_rnn_weight_counts(L->rnn, &k, &u, &b);
                all += recur_round_floats(k) + recur_round_floats(u) + recur_round_floats(b);
            }
        }
        float *p = recur_alloc_aligned((dense + 2 * all + 16) * sizeof(float));
        if (p == NULL)
            return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_compile: cannot allocate "
                              "parameters");
        m->params = p;
        for (int i = 0; i < m->n_layers; i++) {
            model_layer *L = &m->layers[i];
            if (L->kind != LAYER_DENSE)
                continue;
            size_t nk = recur_round_floats((size_t)L->in_features * L->units);
            size_t nb = recur_round_floats((size_t)L->units);
            L->kernel = p; p += nk;
            L->bias = p; p += nb;
            L->dkernel = p; p += nk;
            L->dbias = p; p += nb;
        }
        recur_model_build_weight_table(m);
        for (int w = 0; w < m->n_weights; w++)
            for (int k = 0; k < 2; k++) {
                m->weights[w].slot[k] = p;
                p += recur_round_floats(m->weights[w].n);
            }
    }
    for (int w = 0; w < m->n_weights; w++)
        for (int k = 0; k < 2; k++)
            memset(m->weights[w].slot[k], 0, m->weights[w].n * sizeof(float));
    m->copts = o;
    m->iterations = 0;
    m->compiled = true;
    if (!m->initialized) {
        recur_model_init_weights(m);
        m->initialized = true;
    }
    return RECUR_OK;
}
