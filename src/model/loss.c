/* Losses with Keras 3's reductions: the loss of one output row (a sample, or one time step
 * of a sequence output) is the mean over its last axis (or the cross-entropy of its
 * distribution), and the batch loss the mean over rows ("sum_over_batch_size"). Under a
 * mask the mean runs over the real steps only, as Keras weights masked rows by total/valid
 * (and a batch with no real step has loss 0).
 *
 * Every cross-entropy starts from the logits when the last layer is a sigmoid or softmax
 * Dense: Keras's activations leave their input on their output (_keras_logits) and its
 * losses take it, whichever the loss. So binary cross-entropy after a softmax is sigmoid
 * cross-entropy of the softmax's input, and categorical after a sigmoid is softmax
 * cross-entropy of the sigmoid's; the probabilities then come from the logits, not from
 * the output (which they match when the activation is the loss's own). */
#include <math.h>

#include "model/internal.h"

#define CE_EPSILON 1e-7   /* Keras backend epsilon for probability clipping */

static bool cross_entropy(recur_loss loss)
{
    return loss == RECUR_LOSS_BINARY_CROSSENTROPY || loss == RECUR_LOSS_CATEGORICAL_CROSSENTROPY ||
           loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
}

/* The logits and the activation that made the output from them, or NULL. */
static const float *logits_of(const recur_model *m, recur_activation *act)
{
    const layer *L = model_last(m);
    if (L->ops->logits == NULL || !cross_entropy(m->copts.loss))
        return NULL;
    return L->ops->logits(L, m->acts[m->n_layers - 1].scratch, act);
}

const float *model_loss_logits(const recur_model *m)
{
    recur_activation act;
    return logits_of(m, &act);
}

/* Rows are weighted 1/`rows` each (or skipped under the mask): the element-wise losses divide
 * by rows·u, the row-wise ones by rows, as Keras's mean. */
typedef struct {
    const uint8_t *mask;          /* [rows] or NULL */
    double rows;                  /* rows counted: all, or the real ones */
} row_weights;

static bool counted(const row_weights *w, size_t r) { return w->mask == NULL || w->mask[r]; }

/* Element-wise losses: value and gradient of one element from the difference d = o − t. */
static double elementwise(recur_loss loss, double d, double *grad)
{
    const double a = fabs(d);
    switch (loss) {
    case RECUR_LOSS_MAE:
        *grad = (d > 0) - (d < 0);
        return a;
    case RECUR_LOSS_HUBER:   /* delta = 1 */
        *grad = a <= 1.0 ? d : (d > 0 ? 1.0 : -1.0);
        return a <= 1.0 ? 0.5 * d * d : a - 0.5;
    default:                 /* MSE */
        *grad = 2.0 * d;
        return d * d;
    }
}

static double regression(const recur_model *m, size_t rows, int u, const float *o,
                         const float *y, const row_weights *w, float *g)
{
    const double n = w->rows * u;
    double total = 0;
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < u; j++) {
            const size_t i = r * (size_t)u + j;
            if (!counted(w, r)) {
                g[i] = 0.0f;
                continue;
            }
            double d = (double)o[i] - y[i], dg;
            total += elementwise(m->copts.loss, d, &dg);
            g[i] = m->copts.loss == RECUR_LOSS_MAE ? (float)dg / (float)n : (float)(dg / n);
        }
    return total / n;
}

/* sigmoid_out: o is sigmoid(z) (else the probability comes from z). */
static double binary_ce(size_t rows, int u, const float *o, const float *z, bool sigmoid_out,
                        const float *y, const row_weights *w, float *g)
{
    const double n = w->rows * u;
    double total = 0;
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < u; j++) {
            const size_t i = r * (size_t)u + j;
            const double t = y[i];
            if (!counted(w, r)) {
                g[i] = 0.0f;
            } else if (z) {
                double x = z[i], p = sigmoid_out ? (double)o[i] : 1.0 / (1.0 + exp(-x));
                total += fmax(x, 0.0) - x * t + log1p(exp(-fabs(x)));
                g[i] = (float)((p - t) / n);
            } else {
                double p = fmin(fmax(o[i], CE_EPSILON), 1.0 - CE_EPSILON);
                total -= t * log(p) + (1.0 - t) * log(1.0 - p);
                bool inside = o[i] > CE_EPSILON && o[i] < 1.0 - CE_EPSILON;
                g[i] = inside ? (float)((p - t) / (p * (1.0 - p)) / n) : 0.0f;
            }
        }
    return total / n;
}

/* One row of categorical cross-entropy against targets t (or the class `cls` when t is
 * NULL): its loss, and dL/d(logits or outputs) / rows into grow. softmax_out: orow is
 * softmax(zrow) (else the probabilities come from zrow). */
static double categorical_row(int u, const float *orow, const float *zrow, bool softmax_out,
                              const float *t, int cls, double rows, float *grow)
{
#define TARGET(j) (t ? (double)t[j] : ((j) == cls ? 1.0 : 0.0))
    double tsum = 0, loss = 0;
    for (int j = 0; j < u; j++)
        tsum += TARGET(j);
    if (zrow) {
        double mx = zrow[0], s = 0, tz = 0;
        for (int j = 1; j < u; j++)
            mx = fmax(mx, zrow[j]);
        for (int j = 0; j < u; j++) {
            s += exp((double)zrow[j] - mx);
            tz += TARGET(j) * zrow[j];
        }
        loss = (mx + log(s)) * tsum - tz;
        for (int j = 0; j < u; j++) {
            const double p = softmax_out ? (double)orow[j] : exp((double)zrow[j] - mx) / s;
            grow[j] = (float)((p * tsum - TARGET(j)) / rows);
        }
    } else if (t) {
        /* Keras: q = o / Σo, clipped to [ε, 1−ε]; loss −Σ t log q */
        double s = 0, dq_dot_q = 0;
        for (int j = 0; j < u; j++)
            s += orow[j];
        s = s > 0 ? s : CE_EPSILON;
        for (int j = 0; j < u; j++) {
            double q = orow[j] / s, qc = fmin(fmax(q, CE_EPSILON), 1.0 - CE_EPSILON);
            loss -= TARGET(j) * log(qc);
            double dq = (q > CE_EPSILON && q < 1.0 - CE_EPSILON) ? -TARGET(j) / qc : 0.0;
            grow[j] = (float)dq;    /* dL/dq for now */
            dq_dot_q += dq * q;
        }
        for (int j = 0; j < u; j++)
            grow[j] = (float)(((double)grow[j] - dq_dot_q) / s / rows);
    } else {
        /* Keras: p = clip(o, ε, 1−ε); loss −log(p_c / Σp) */
        double s = 0;
        for (int j = 0; j < u; j++)
            s += fmin(fmax(orow[j], CE_EPSILON), 1.0 - CE_EPSILON);
        double pc = fmin(fmax(orow[cls], CE_EPSILON), 1.0 - CE_EPSILON);
        loss = log(s) - log(pc);
        for (int j = 0; j < u; j++) {
            bool inside = orow[j] > CE_EPSILON && orow[j] < 1.0 - CE_EPSILON;
            double d = 1.0 / s - (j == cls ? 1.0 / pc : 0.0);
            grow[j] = inside ? (float)(d / rows) : 0.0f;
        }
    }
#undef TARGET
    return loss;
}

static double categorical_ce(const recur_model *m, size_t rows, int u, const float *o,
                             const float *z, bool softmax_out, const float *y,
                             const row_weights *w, float *g)
{
    const bool sparse = m->copts.loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    double total = 0;
    for (size_t r = 0; r < rows; r++) {
        float *grow = g + r * u;
        if (!counted(w, r)) {
            for (int j = 0; j < u; j++)
                grow[j] = 0.0f;
            continue;
        }
        total += categorical_row(u, o + r * u, z ? z + r * u : NULL, softmax_out,
                                 sparse ? NULL : y + r * u, sparse ? (int)y[r] : -1, w->rows,
                                 grow);
    }
    return total / w->rows;
}

double model_loss(recur_model *m, int batch, const float *y, float *g)
{
    const layer *L = model_last(m);
    const int u = L->out.features;
    const size_t rows = (size_t)batch * (size_t)(L->out.steps ? L->out.steps : 1);
    recur_activation act = RECUR_ACT_DEFAULT;
    const float *o = m->acts[m->n_layers - 1].y, *z = logits_of(m, &act);
    row_weights w = { model_output_mask(m), (double)rows };
    if (w.mask) {
        size_t real = 0;
        for (size_t r = 0; r < rows; r++)
            real += w.mask[r] != 0;
        if (real == 0) {   /* nothing to learn from: Keras's divide_no_nan gives 0 */
            m->loss_weight = 0;
            for (size_t i = 0; i < rows * (size_t)u; i++)
                g[i] = 0.0f;
            return 0.0;
        }
        w.rows = (double)real;
    }
    m->loss_weight = w.rows;
    switch (m->copts.loss) {
    case RECUR_LOSS_BINARY_CROSSENTROPY:
        return binary_ce(rows, u, o, z, act == RECUR_ACT_SIGMOID, y, &w, g);
    case RECUR_LOSS_CATEGORICAL_CROSSENTROPY:
    case RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
        return categorical_ce(m, rows, u, o, z, act == RECUR_ACT_SOFTMAX, y, &w, g);
    default:
        return regression(m, rows, u, o, y, &w, g);
    }
}
