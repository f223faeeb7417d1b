/* One batch through the model: forward, loss (Keras 3 reductions; cross-entropy from the
 * logits when the last layer is a sigmoid/softmax Dense, as the TensorFlow backend does),
 * backpropagation into every weight's gradient, and metric sums. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "cpu/fpenv.h"
#include "gemm/gemm.h"
#include "model/internal.h"
#include "core/util.h"

#define CE_EPSILON 1e-7   /* Keras backend epsilon for probability clipping */

static size_t layer_rows(const model_layer *L, int batch, bool out)
{
    int steps = out ? L->out_steps : L->in_steps;
    return (size_t)batch * (size_t)(steps ? steps : 1);
}

void recur_model_set_inference(recur_model *m, bool inference)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].rnn)
            recur_rnn_set_inference(m->layers[i].rnn, inference);
}

recur_status recur_model_ensure_batch(recur_model *m, int batch)
{
    /* every call: the layers' plans depend on their mode, and reserving is free when the
     * capacity is already there */
    for (int i = 0; i < m->n_layers; i++) {
        model_layer *L = &m->layers[i];
        if (L->rnn) {
            recur_status s = recur_rnn_reserve(L->rnn, batch, L->in_steps);
            if (s != RECUR_OK)
                return s;
        }
    }
    if (m->acts && batch <= m->cap_batch)
        return RECUR_OK;
    size_t total = recur_round_floats((size_t)batch * m->timesteps * m->features) +
                   recur_round_floats((size_t)batch * recur_model_output_size(m)) +
                   RECUR_GEMM_WORK_FLOATS;
    for (int i = 0; i < m->n_layers; i++) {
        size_t n = recur_round_floats(layer_rows(&m->layers[i], batch, true) *
                                      (size_t)m->layers[i].out_features);
        total += 3 * n;
    }
    float *p = recur_alloc_aligned(total * sizeof(float));
    if (p == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "model: cannot allocate buffers for batch %d", batch);
    recur_free_aligned(m->acts);
    m->acts = p;
    m->cap_batch = batch;
    m->xb = p;
    p += recur_round_floats((size_t)batch * m->timesteps * m->features);
    m->yb = p;
    p += recur_round_floats((size_t)batch * recur_model_output_size(m));
    m->gemm_work = p;
    p += RECUR_GEMM_WORK_FLOATS;
    for (int i = 0; i < m->n_layers; i++) {
        model_layer *L = &m->layers[i];
        size_t n = recur_round_floats(layer_rows(L, batch, true) * (size_t)L->out_features);
        L->out = p; p += n;
        L->dout = p; p += n;
        L->pre = p; p += n;
    }
    return RECUR_OK;
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

/* Dense: pre = in · K + b over every row (every time step of every sample), out = act(pre). */
static void dense_forward(recur_model *m, model_layer *L, const float *in, int batch)
{
    const size_t rows = layer_rows(L, batch, false);
    const int fin = L->in_features, u = L->units;
    for (size_t r = 0; r < rows; r++)
        memcpy(L->pre + r * u, L->bias, sizeof(float) * u);
    recur_sgemm(m->kt, (int)rows, u, fin, in, fin, false, L->kernel, u, false, L->pre, u, true,
                m->gemm_work);
    if (L->activation == RECUR_ACT_SOFTMAX)
        softmax_rows(rows, u, L->pre, L->out);
    else
        m->kt->act_forward(rows * u, L->activation, L->pre, L->out);
}

static recur_status forward_batch(recur_model *m, int batch)
{
    const float *in = m->xb;
    for (int i = 0; i < m->n_layers; i++) {
        model_layer *L = &m->layers[i];
        if (L->kind == LAYER_RNN) {
            recur_status s = recur_rnn_forward(L->rnn, batch, L->in_steps, in, NULL, NULL,
                                               L->out_steps ? L->out : NULL,
                                               L->out_steps ? NULL : L->out, NULL);
            if (s != RECUR_OK)
                return s;
        } else {
            dense_forward(m, L, in, batch);
        }
        in = L->out;
    }
    return RECUR_OK;
}

recur_status recur_model_forward_batch(recur_model *m, int batch)
{
    const recur_fpenv fpenv = recur_fpenv_flush_denormals();
    recur_status s = forward_batch(m, batch);
    recur_fpenv_restore(fpenv);
    return s;
}

/* Whether the loss is taken from the last Dense layer's logits (Keras TF backend). */
static bool loss_from_logits(const recur_model *m)
{
    const model_layer *L = &m->layers[m->n_layers - 1];
    if (L->kind != LAYER_DENSE)
        return false;
    recur_loss loss = m->copts.loss;
    return (loss == RECUR_LOSS_BINARY_CROSSENTROPY && L->activation == RECUR_ACT_SIGMOID) ||
           ((loss == RECUR_LOSS_CATEGORICAL_CROSSENTROPY ||
             loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) &&
            L->activation == RECUR_ACT_SOFTMAX);
}

/* Loss over the batch and its gradient with respect to the last layer's output (or, when
 * taken from logits, its pre-activation), both with Keras's sum_over_batch_size reduction. */
static double loss_and_output_grad(recur_model *m, int batch, const float *y, float *g)
{
    const model_layer *L = &m->layers[m->n_layers - 1];
    const int u = L->out_features;
    const size_t rows = layer_rows(L, batch, true), n = rows * (size_t)u;
    const float *o = L->out, *z = L->pre;
    const bool logits = loss_from_logits(m);
    double total = 0;
    switch (m->copts.loss) {
    case RECUR_LOSS_MSE:
        for (size_t i = 0; i < n; i++) {
            double d = (double)o[i] - y[i];
            total += d * d;
            g[i] = (float)(2.0 * d / (double)n);
        }
        return total / (double)n;
    case RECUR_LOSS_MAE:
        for (size_t i = 0; i < n; i++) {
            double d = (double)o[i] - y[i];
            total += fabs(d);
            g[i] = (float)((d > 0) - (d < 0)) / (float)n;
        }
        return total / (double)n;
    case RECUR_LOSS_HUBER:   /* delta = 1 */
        for (size_t i = 0; i < n; i++) {
            double d = (double)o[i] - y[i], a = fabs(d);
            total += a <= 1.0 ? 0.5 * d * d : a - 0.5;
            g[i] = (float)((a <= 1.0 ? d : (d > 0 ? 1.0 : -1.0)) / (double)n);
        }
        return total / (double)n;
    case RECUR_LOSS_BINARY_CROSSENTROPY:
        for (size_t i = 0; i < n; i++) {
            double t = y[i];
            if (logits) {
                double x = z[i];
                total += fmax(x, 0.0) - x * t + log1p(exp(-fabs(x)));
                g[i] = (float)(((double)o[i] - t) / (double)n);
            } else {
                double p = fmin(fmax(o[i], CE_EPSILON), 1.0 - CE_EPSILON);
                total -= t * log(p) + (1.0 - t) * log(1.0 - p);
                bool inside = o[i] > CE_EPSILON && o[i] < 1.0 - CE_EPSILON;
                g[i] = inside ? (float)((p - t) / (p * (1.0 - p)) / (double)n) : 0.0f;
            }
        }
        return total / (double)n;
    case RECUR_LOSS_CATEGORICAL_CROSSENTROPY:
    case RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY: {
        const bool sparse = m->copts.loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
        for (size_t r = 0; r < rows; r++) {
            const float *orow = o + r * u, *zrow = z + r * u;
            float *grow = g + r * u;
            /* targets of this row: one-hot from the class index, or the given distribution */
            int cls = sparse ? (int)y[r] : -1;
            const float *trow = sparse ? NULL : y + r * u;
#define TARGET(j) (sparse ? ((j) == cls ? 1.0 : 0.0) : (double)trow[j])
            double tsum = 0;
            for (int j = 0; j < u; j++)
                tsum += TARGET(j);
            if (logits) {
                double mx = zrow[0], s = 0, tz = 0;
                for (int j = 1; j < u; j++)
                    mx = fmax(mx, zrow[j]);
                for (int j = 0; j < u; j++) {
                    s += exp((double)zrow[j] - mx);
                    tz += TARGET(j) * zrow[j];
                }
                total += (mx + log(s)) * tsum - tz;
                for (int j = 0; j < u; j++)
                    grow[j] = (float)(((double)orow[j] * tsum - TARGET(j)) / (double)rows);
            } else if (!sparse) {
                /* Keras: q = o / Σo, clipped to [ε, 1−ε]; loss −Σ t log q */
                double s = 0, dq_dot_q = 0;
                for (int j = 0; j < u; j++)
                    s += orow[j];
                s = s > 0 ? s : CE_EPSILON;
                for (int j = 0; j < u; j++) {
                    double q = orow[j] / s, qc = fmin(fmax(q, CE_EPSILON), 1.0 - CE_EPSILON);
                    total -= TARGET(j) * log(qc);
                    double dq = (q > CE_EPSILON && q < 1.0 - CE_EPSILON) ? -TARGET(j) / qc : 0.0;
                    grow[j] = (float)dq;    /* dL/dq for now */
                    dq_dot_q += dq * q;
                }
                for (int j = 0; j < u; j++)
                    grow[j] = (float)(((double)grow[j] - dq_dot_q) / s / (double)rows);
            } else {
                /* Keras: p = clip(o, ε, 1−ε); loss −log(p_c / Σp) */
                double s = 0;
                for (int j = 0; j < u; j++)
                    s += fmin(fmax(orow[j], CE_EPSILON), 1.0 - CE_EPSILON);
                double pc = fmin(fmax(orow[cls], CE_EPSILON), 1.0 - CE_EPSILON);
                total += log(s) - log(pc);
                for (int j = 0; j < u; j++) {
                    bool inside = orow[j] > CE_EPSILON && orow[j] < 1.0 - CE_EPSILON;
                    double d = 1.0 / s - (j == cls ? 1.0 / pc : 0.0);
                    grow[j] = inside ? (float)(d / (double)rows) : 0.0f;
                }
            }
#undef TARGET
        }
        return total / (double)rows;
    }
    }
    return NAN;
}

static void zero_grads(recur_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        model_layer *L = &m->layers[i];
        if (L->rnn) {
            recur_rnn_zero_grads(L->rnn);
        } else {
            memset(L->dkernel, 0, sizeof(float) * (size_t)L->in_features * L->units);
            memset(L->dbias, 0, sizeof(float) * (size_t)L->units);
        }
    }
}

/* Dense backward from dout (or, when `is_pre`, from the pre-activation gradient). */
static void dense_backward(recur_model *m, model_layer *L, const float *in, float *din,
                           int batch, bool is_pre)
{
    const size_t rows = layer_rows(L, batch, false);
    const int fin = L->in_features, u = L->units;
    float *dpre = L->pre;   /* the logits are no longer needed */
    if (is_pre) {
        memcpy(dpre, L->dout, sizeof(float) * rows * u);
    } else if (L->activation == RECUR_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++) {
            const float *yr = L->out + r * u, *dy = L->dout + r * u;
            double dot = 0;
            for (int j = 0; j < u; j++)
                dot += (double)dy[j] * yr[j];
            for (int j = 0; j < u; j++)
                dpre[r * u + j] = (float)(yr[j] * (dy[j] - dot));
        }
    } else {
        m->kt->act_backward(rows * u, L->activation, L->out, L->dout, dpre);
    }
    /* dK += inᵀ · dpre, db += Σ rows, din = dpre · Kᵀ */
    recur_sgemm(m->kt, fin, u, (int)rows, in, fin, true, dpre, u, false, L->dkernel, u, true,
                m->gemm_work);
    m->kt->colsum(rows, (size_t)u, dpre, (size_t)u, NULL, 0, 0, 0, L->dbias);
    if (din)
        recur_sgemm(m->kt, (int)rows, fin, u, dpre, u, false, L->kernel, u, true, din, fin, false,
                    m->gemm_work);
}

static recur_status loss_and_grads(recur_model *m, int batch, const float *y, bool grad,
                                   double *loss)
{
    model_layer *last = &m->layers[m->n_layers - 1];
    *loss = loss_and_output_grad(m, batch, y, last->dout);
    if (!grad)
        return RECUR_OK;
    zero_grads(m);
    const bool logits = loss_from_logits(m);
    for (int i = m->n_layers - 1; i >= 0; i--) {
        model_layer *L = &m->layers[i];
        const float *in = i ? m->layers[i - 1].out : m->xb;
        float *din = i ? m->layers[i - 1].dout : NULL;
        if (L->kind == LAYER_DENSE) {
            dense_backward(m, L, in, din, batch, logits && i == m->n_layers - 1);
        } else {
            recur_status s = recur_rnn_backward(L->rnn, L->out_steps ? L->dout : NULL,
                                                L->out_steps ? NULL : L->dout, NULL, din, NULL,
                                                NULL);
            if (s != RECUR_OK)
                return s;
        }
    }
    return RECUR_OK;
}

recur_status recur_model_loss_and_grads(recur_model *m, int batch, const float *y, bool grad,
                                        double *loss)
{
    const recur_fpenv fpenv = recur_fpenv_flush_denormals();
    recur_status s = loss_and_grads(m, batch, y, grad, loss);
    recur_fpenv_restore(fpenv);
    return s;
}

/* Which accuracy Keras picks for metrics=["accuracy"]. */
typedef enum { ACC_BINARY, ACC_CATEGORICAL, ACC_SPARSE } acc_kind;
static acc_kind accuracy_kind(const recur_model *m)
{
    recur_loss loss = m->copts.loss;
    if (loss == RECUR_LOSS_BINARY_CROSSENTROPY)
        return ACC_BINARY;
    if (loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
        return ACC_SPARSE;
    if (loss == RECUR_LOSS_CATEGORICAL_CROSSENTROPY)
        return ACC_CATEGORICAL;
    return m->layers[m->n_layers - 1].out_features == 1 ? ACC_BINARY : ACC_CATEGORICAL;
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

void recur_model_metric_sums(const recur_model *m, int batch, const float *y, double *sums,
                             double *counts)
{
    const model_layer *L = &m->layers[m->n_layers - 1];
    const int u = L->out_features;
    const size_t rows = layer_rows(L, batch, true), n = rows * (size_t)u;
    const float *o = L->out;
    int k = 0;
    if (m->copts.metrics & RECUR_METRIC_ACCURACY) {
        double hit = 0, cnt = 0;
        switch (accuracy_kind(m)) {
        case ACC_BINARY:
            for (size_t i = 0; i < n; i++)
                hit += (o[i] > 0.5f ? 1.0f : 0.0f) == y[i];
            cnt = (double)n;
            break;
        case ACC_CATEGORICAL:
            for (size_t r = 0; r < rows; r++)
                hit += argmax(o + r * u, u) == argmax(y + r * u, u);
            cnt = (double)rows;
            break;
        case ACC_SPARSE:
            for (size_t r = 0; r < rows; r++)
                hit += argmax(o + r * u, u) == (int)y[r];
            cnt = (double)rows;
            break;
        }
        sums[k] += hit;
        counts[k++] += cnt;
    }
    if (m->copts.metrics & RECUR_METRIC_MAE) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += fabs((double)o[i] - y[i]);
        sums[k] += s;
        counts[k++] += (double)n;
    }
    if (m->copts.metrics & RECUR_METRIC_MSE) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += ((double)o[i] - y[i]) * ((double)o[i] - y[i]);
        sums[k] += s;
        counts[k++] += (double)n;
    }
}
