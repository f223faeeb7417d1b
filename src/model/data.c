/* Checks of the caller's data (src/model/data.h). */
#include <math.h>

#include "core/error.h"
#include "model/collective.h"
#include "model/data.h"

static bool sparse_targets(const recur_model *m)
{
    return m->copts.loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
}

size_t model_target_size(const recur_model *m)
{
    const layer *L = model_last(m);
    return sparse_targets(m) ? (size_t)(L->out.steps ? L->out.steps : 1)
                             : recur_model_output_size(m);
}

/* Samples [first, first+n) of x [., T, F]. */
static recur_status check_x(const recur_model *m, const float *x, int first, int n,
                            const char *what)
{
    const size_t T = (size_t)m->timesteps, F = (size_t)m->features;
    for (size_t i = (size_t)first * T * F; i < ((size_t)first + (size_t)n) * T * F; i++)
        if (!isfinite(x[i]))
            return recur_fail(RECUR_ERR_NUMERIC, "%s: x has a non-finite value at sample %zu, "
                              "step %zu, feature %zu", what, i / (T * F), (i / F) % T, i % F);
    const layer *L = m->layers[0];
    return L->ops->check_input ? L->ops->check_input(L, x, first, n, what) : RECUR_OK;
}

static recur_status check_y(const recur_model *m, const float *y, int first, int n,
                            const char *what)
{
    const size_t per = model_target_size(m);
    const int classes = model_last(m)->out.features;
    for (size_t i = (size_t)first * per; i < ((size_t)first + (size_t)n) * per; i++) {
        if (!isfinite(y[i]))
            return recur_fail(RECUR_ERR_NUMERIC, "%s: y has a non-finite value at sample %zu",
                              what, i / per);
        if (sparse_targets(m) && (y[i] < 0 || y[i] >= classes || y[i] != floorf(y[i])))
            return recur_fail(RECUR_ERR_ARGUMENT, "%s: label %g of sample %zu is not a class "
                              "index in [0, %d)", what, (double)y[i], i / per, classes);
    }
    return RECUR_OK;
}

static recur_status check_args(const recur_model *m, const float *x, const float *y, int n,
                               const char *what)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: model is NULL", what);
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "%s: compile the model first", what);
    if (y && m->compile_implicit)
        return recur_fail(RECUR_ERR_STATE, "%s: the model came from a Keras file without "
                          "compile settings (no loss, no optimizer): compile it first, as Keras "
                          "asks", what);
    if (x == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: x is NULL", what);
    if (n < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: n must be >= 1, got %d", what, n);
    return RECUR_OK;
}

static recur_status check_rows(const recur_model *m, const float *x, const float *y,
                               int first, int n, const char *what)
{
    recur_status s = check_x(m, x, first, n, what);
    return s == RECUR_OK && y ? check_y(m, y, first, n, what) : s;
}

recur_status model_check_data(const recur_model *m, const float *x, const float *y, int n,
                              const char *what)
{
    recur_status s = check_args(m, x, y, n, what);
    return s == RECUR_OK ? check_rows(m, x, y, 0, n, what) : s;
}

recur_status model_check_data_shared(const recur_model *m, const float *x, const float *y,
                                     int n, const char *what)
{
    recur_status s = check_args(m, x, y, n, what);
    if (s != RECUR_OK || !model_shared(m))
        return s == RECUR_OK ? check_rows(m, x, y, 0, n, what) : s;
    int first, count;   /* this process reads only its slice of the rows */
    model_share(m, n, &first, &count);
    s = count ? check_rows(m, x, y, first, count, what) : RECUR_OK;
    return model_agree_status(m, s, what);
}
