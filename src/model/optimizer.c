/* Optimizer steps with Keras 3's exact update rules, after Keras's gradient clipping
 * (clipnorm per variable, global_clipnorm over all, clipvalue element-wise).
 *
 * A sparse weight's gradient (an Embedding's) is, in Keras's TensorFlow backend, a list of
 * slices, one per occurrence of a token: its norms and Adam's and RMSprop's second moments
 * take the squares per slice (kept in the squares region, scaled with the gradient by
 * clipnorm), and clipvalue clips each slice (done in the layer's backward). Only
 * global_clipnorm's scaling turns it into a dense tensor, squared whole as any gradient
 * (as measured with Keras 3.15 on TensorFlow 2.21: tools/gen_keras_reference.py). */
#include <math.h>

#include "core/error.h"
#include "cpu/fpenv.h"
#include "model/internal.h"

/* The squares of weight w's gradient: its slices' for a sparse one (unless global_clipnorm
 * made it dense), or NULL for the gradient's own. */
static const float *slice_squares(const recur_model *m, const model_weight *W)
{
    return W->sparse && !(m->copts.global_clipnorm > 0) ? m->sq + W->sq_offset : NULL;
}

/* Σ g² of weight w as Keras's norms see it. */
static double squared_norm(const recur_model *m, const model_weight *W)
{
    const float *g = m->grads + W->offset;
    if (W->sparse) {   /* the slices' squares: already squares, summed */
        double s = 0;
        const float *sq = m->sq + W->sq_offset;
        for (size_t i = 0; i < W->n; i++)
            s += sq[i];
        return s;
    }
    return m->kt->sum_squares(W->n, g);
}

static void scale_weight(recur_model *m, const model_weight *W, float s)
{
    m->kt->scale(W->n, s, m->grads + W->offset);
    if (W->sparse)
        m->kt->scale(W->n, s * s, m->sq + W->sq_offset);
}

static void clip_gradients(recur_model *m)
{
    const recur_compile_opts *o = &m->copts;
    if (o->clipnorm > 0) {
        for (int w = 0; w < m->n_weights; w++) {
            double norm = sqrt(squared_norm(m, &m->weights[w]));
            if (norm > o->clipnorm)
                scale_weight(m, &m->weights[w], (float)(o->clipnorm / norm));
        }
    } else if (o->global_clipnorm > 0) {
        double sq = 0;
        for (int w = 0; w < m->n_weights; w++)
            sq += squared_norm(m, &m->weights[w]);
        double norm = sqrt(sq);
        if (norm > o->global_clipnorm)
            for (int w = 0; w < m->n_weights; w++)
                scale_weight(m, &m->weights[w], (float)(o->global_clipnorm / norm));
    } else if (o->clipvalue > 0) {
        for (int w = 0; w < m->n_weights; w++)   /* sparse ones were clipped per slice */
            if (!m->weights[w].sparse)
                m->kt->clamp(m->weights[w].n, -o->clipvalue, o->clipvalue,
                             m->grads + m->weights[w].offset);
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

static void rmsprop_step(const recur_compile_opts *o, size_t n, const float *g,
                         const float *gsq, float *v, float *mom, float *w)
{
    const float lr = o->learning_rate, rho = o->rho, mu = o->momentum, eps = o->epsilon;
    for (size_t i = 0; i < n; i++) {
        v[i] = rho * v[i] + (1.0f - rho) * (gsq ? gsq[i] : g[i] * g[i]);
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
    clip_gradients(m);
    const long long t = m->iterations + 1;
    /* Adam: α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ), as Keras computes it per step */
    const double alpha = o->learning_rate * sqrt(1.0 - pow(o->beta_2, (double)t)) /
                         (1.0 - pow(o->beta_1, (double)t));
    for (int k = 0; k < m->n_weights; k++) {
        const model_weight *W = &m->weights[k];
        const size_t at = W->offset;
        float *g = m->grads + at, *w = m->params + at, *s0 = m->slot[0] + at;
        float *s1 = m->slot[1] + at;
        switch (o->optimizer) {
        case RECUR_ADAM:
            m->kt->adam_step(W->n, (float)alpha, o->beta_1, o->beta_2, o->epsilon, g,
                             slice_squares(m, W), s0, s1, w);
            break;
        case RECUR_SGD:
            sgd_step(o, W->n, g, s0, w, m->kt);
            break;
        case RECUR_RMSPROP:
            rmsprop_step(o, W->n, g, slice_squares(m, W), s0, s1, w);
            break;
        }
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
