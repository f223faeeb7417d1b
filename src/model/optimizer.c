/* Optimizer steps with Keras 3's exact update rules, after Keras's gradient clipping
 * (clipnorm per variable, global_clipnorm over all, clipvalue element-wise). Each rule is
 * element-wise, so one pass runs over the whole parameter block (the padding between
 * weights holds zeros, and zero gradients keep it zero). */
#include <math.h>

#include "core/error.h"
#include "cpu/fpenv.h"
#include "model/internal.h"

static void clip_gradients(recur_model *m)
{
    const recur_kernels *kt = m->kt;
    const recur_compile_opts *o = &m->copts;
    if (o->clipnorm > 0) {
        for (int w = 0; w < m->n_weights; w++) {
            float *g = m->grads + m->weights[w].offset;
            double norm = sqrt(kt->sum_squares(m->weights[w].n, g));
            if (norm > o->clipnorm)
                kt->scale(m->weights[w].n, (float)(o->clipnorm / norm), g);
        }
    } else if (o->global_clipnorm > 0) {
        double norm = sqrt(kt->sum_squares(m->block_floats, m->grads));
        if (norm > o->global_clipnorm)
            kt->scale(m->block_floats, (float)(o->global_clipnorm / norm), m->grads);
    } else if (o->clipvalue > 0) {
        kt->clamp(m->block_floats, -o->clipvalue, o->clipvalue, m->grads);
    }
}

static void sgd_step(const recur_compile_opts *o, size_t n, const float *g, float *v, float *w,
                     const recur_kernels *kt)
{
    const float lr = o->learning_rate, mu = o->momentum;
    if (mu == 0.0f) {
        kt->axpy(n, -lr, g, w);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = -g[i] * lr + v[i] * mu;
        w[i] += o->nesterov ? -g[i] * lr + v[i] * mu : v[i];
    }
}

static void rmsprop_step(const recur_compile_opts *o, size_t n, const float *g, float *v,
                         float *mom, float *w)
{
    const float lr = o->learning_rate, rho = o->rho, mu = o->momentum, eps = o->epsilon;
    for (size_t i = 0; i < n; i++) {
        v[i] = rho * v[i] + (1.0f - rho) * g[i] * g[i];
        float inc = lr * g[i] / sqrtf(v[i] + eps);
        if (mu > 0) {
            mom[i] = mu * mom[i] + inc;
            w[i] -= mom[i];
        } else {
            w[i] -= inc;
        }
    }
}

void model_optimizer_step(recur_model *m)
{
    const recur_fpenv fpenv = recur_fpenv_flush_denormals();
    const recur_compile_opts *o = &m->copts;
    const size_t n = m->block_floats;
    clip_gradients(m);
    const long long t = m->iterations + 1;
    switch (o->optimizer) {
    case RECUR_ADAM: {
        /* α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ), as Keras computes it per step */
        const double alpha = o->learning_rate * sqrt(1.0 - pow(o->beta_2, (double)t)) /
                             (1.0 - pow(o->beta_1, (double)t));
        m->kt->adam_step(n, (float)alpha, o->beta_1, o->beta_2, o->epsilon, m->grads,
                         m->slot[0], m->slot[1], m->params);
        break;
    }
    case RECUR_SGD:
        sgd_step(o, n, m->grads, m->slot[0], m->params, m->kt);
        break;
    case RECUR_RMSPROP:
        rmsprop_step(o, n, m->grads, m->slot[0], m->slot[1], m->params);
        break;
    }
    m->iterations = t;
    model_weights_changed(m);
    recur_fpenv_restore(fpenv);
}

recur_status recur_model_apply_gradients(recur_model *m)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_apply_gradients: model is NULL");
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "recur_model_apply_gradients: compile the model "
                          "first");
    model_optimizer_step(m);
    return RECUR_OK;
}
