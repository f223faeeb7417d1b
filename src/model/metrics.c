/* Metric sums per batch, accumulated over an epoch as Keras's Mean metrics do: a value per
 * output element (binary accuracy, MAE, MSE) or per row (categorical accuracies), summed
 * with its count; under a mask only the real rows count. */
#include <math.h>

#include "model/internal.h"

/* Which accuracy Keras picks for metrics=["accuracy"]: by the shapes, not the loss
 * (keras/src/trainers/compile_utils.py): binary for one output unit, sparse when the
 * targets are class indices, categorical otherwise (also after binary cross-entropy). */
typedef enum { ACC_BINARY, ACC_CATEGORICAL, ACC_SPARSE } acc_kind;
static acc_kind accuracy_kind(const recur_model *m)
{
    if (model_last(m)->out.features == 1)
        return ACC_BINARY;
    return m->copts.loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? ACC_SPARSE
                                                                       : ACC_CATEGORICAL;
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

typedef enum { VALUE_HIT, VALUE_ABS, VALUE_SQUARE } element_value;

/* Σ over the counted rows' elements of one per-element value, and their count. */
static void element_sums(size_t rows, int u, const float *o, const float *y, const uint8_t *mask,
                         element_value what, double *sum, double *count)
{
    double s = 0;
    size_t n = 0;
    for (size_t r = 0; r < rows; r++) {
        if (mask && !mask[r])
            continue;
        for (int j = 0; j < u; j++) {
            const size_t i = r * (size_t)u + j;
            const double d = (double)o[i] - y[i];
            s += what == VALUE_HIT ? ((o[i] > 0.5f ? 1.0f : 0.0f) == y[i])
                 : what == VALUE_ABS ? fabs(d) : d * d;
        }
        n += (size_t)u;
    }
    *sum += s;
    *count += (double)n;
}

static void row_hits(size_t rows, int u, const float *o, const float *y, const uint8_t *mask,
                     bool sparse, double *sum, double *count)
{
    double hit = 0;
    size_t n = 0;
    for (size_t r = 0; r < rows; r++) {
        if (mask && !mask[r])
            continue;
        const int want = sparse ? (int)y[r] : argmax(y + r * u, u);
        hit += argmax(o + r * u, u) == want;
        n++;
    }
    *sum += hit;
    *count += (double)n;
}

void recur_model_metric_sums(const recur_model *m, int batch, const float *y, double *sums,
                             double *counts)
{
    const layer *L = model_last(m);
    const int u = L->out.features;
    const size_t rows = (size_t)batch * (size_t)(L->out.steps ? L->out.steps : 1);
    const float *o = m->acts[m->n_layers - 1].y;
    const uint8_t *mask = model_output_mask(m);
    int k = 0;
    if (m->copts.metrics & RECUR_METRIC_ACCURACY) {
        const acc_kind kind = accuracy_kind(m);
        if (kind == ACC_BINARY)
            element_sums(rows, u, o, y, mask, VALUE_HIT, &sums[k], &counts[k]);
        else
            row_hits(rows, u, o, y, mask, kind == ACC_SPARSE, &sums[k], &counts[k]);
        k++;
    }
    if (m->copts.metrics & RECUR_METRIC_MAE) {
        element_sums(rows, u, o, y, mask, VALUE_ABS, &sums[k], &counts[k]);
        k++;
    }
    if (m->copts.metrics & RECUR_METRIC_MSE)
        element_sums(rows, u, o, y, mask, VALUE_SQUARE, &sums[k], &counts[k]);
}
