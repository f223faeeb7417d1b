/* Optimizer steps with Keras 3's exact update rules, after Keras's gradient clipping
 * (clipnorm per variable, global_clipnorm over all, clipvalue element-wise). */
#include <math.h>

#include "cpu/fpenv.h"
#include "model/internal.h"

static void clip_gradients(recur_model *m)
{
    const recur_kernels *kt = m->kt;
    const recur_compile_opts *o = &m->copts;
    if (o->clipnorm > 0) {
        for (int w = 0; w < m->n_weights; w++) {
            double norm = sqrt(kt->sum_squares(m->weights[w].n, m->weights[w].g));
            if (norm > o->clipnorm)
                kt->scale(m->weights[w].n, (float)(o->clipnorm / norm), m->weights[w].g);
        }
    } else if (o->global_clipnorm > 0) {
        double sq = 0;
        for (int w = 0; w < m->n_weights; w++)
            sq += kt->sum_squares(m->weights[w].n, m->weights[w].g);
        double norm = sqrt(sq);
        if (norm > o->global_clipnorm)
            for (int w = 0; w < m->n_weights; w++)
                kt->scale(m->weights[w].n, (float)(o->global_clipnorm / norm), m->weights[w].g);
    } else if (o->clipvalue > 0) {
        for (int w = 0; w < m->n_weights; w++)
            kt->clamp(m->weights[w].n, -o->clipvalue, o->clipvalue, m->weights[w].g);
    }
}

static void sgd_step(const recur_compile_opts *o, model_weight *W, const recur_kernels *kt)
{
    const float lr = o->learning_rate, mu = o->momentum;
    if (mu == 0.0f) {
        kt->axpy(W->n, -lr, W->g, W->w);
        return;
    }
    float *v = W->slot[0];
    for (size_t i = 0; i < W->n; i++) {
        v[i] = -W->g[i] * lr + v[i] * mu;
        W->w[i] += o->nesterov ? -W->g[i] * lr + v[i] * mu : v[i];
    }
}

static void rmsprop_step(const recur_compile_opts *o, model_weight *W)
{
    const float lr = o->learning_rate, rho = o->rho, mu = o->momentum, eps = o->epsilon;
    float *v = W->slot[0], *mom = W->slot[1];
    for (size_t i = 0; i < W->n; i++) {
        float g = W->g[i];
        v[i] = rho * v[i] + (1.0f - rho) * g * g;
        float inc = lr * g / sqrtf(v[i] + eps);
        if (mu > 0) {
            mom[i] = mu * mom[i] + inc;
            W->w[i] -= mom[i];
        } else {
            W->w[i] -= inc;
        }
    }
}

void recur_model_apply_gradients(recur_model *m)
{
    const recur_fpenv fpenv = recur_fpenv_flush_denormals();
    const recur_compile_opts *o = &m->copts;
    clip_gradients(m);
    const long long t = m->iterations + 1;
    /* Adam: α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ), as Keras computes it per step */
    const double alpha = o->learning_rate * sqrt(1.0 - pow(o->beta_2, (double)t)) /
                         (1.0 - pow(o->beta_1, (double)t));
    for (int w = 0; w < m->n_weights; w++) {
        model_weight *W = &m->weights[w];
        switch (o->optimizer) {
        case RECUR_ADAM:
            m->kt->adam_step(W->n, (float)alpha, o->beta_1, o->beta_2, o->epsilon, W->g,
                             W->slot[0], W->slot[1], W->w);
            break;
        case RECUR_SGD:
            sgd_step(o, W, m->kt);
            break;
        case RECUR_RMSPROP:
            rmsprop_step(o, W);
            break;
        }
    }
    m->iterations = t;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].rnn)
            recur_rnn_weights_changed(m->layers[i].rnn);
    recur_fpenv_restore(fpenv);
}
