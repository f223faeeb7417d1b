/* Checks of the caller's data (src/model/data.h). */
#include <math.h>

#include "core/error.h"
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

static recur_status check_x(const recur_model *m, const float *x, int n, const char *what)
{
    const size_t T = (size_t)m->timesteps, F = (size_t)m->features, nx = (size_t)n * T * F;
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(x[i]))
            return recur_fail(RECUR_ERR_NUMERIC, "%s: x has a non-finite value at sample %zu, "
                              "step %zu, feature %zu", what, i / (T * F), (i / F) % T, i % F);
    const layer *first = m->layers[0];
    return first->ops->check_input ? first->ops->check_input(first, x, n, what) : RECUR_OK;
}

static recur_status check_y(const recur_model *m, const float *y, int n, const char *what)
{
    const size_t per = model_target_size(m);
    const int classes = model_last(m)->out.features;
    for (size_t i = 0; i < (size_t)n * per; i++) {
        if (!isfinite(y[i]))
            return recur_fail(RECUR_ERR_NUMERIC, "%s: y has a non-finite value at sample %zu",
                              what, i / per);
        if (sparse_targets(m) && (y[i] < 0 || y[i] >= classes || y[i] != floorf(y[i])))
            return recur_fail(RECUR_ERR_ARGUMENT, "%s: label %g of sample %zu is not a class "
                              "index in [0, %d)", what, (double)y[i], i / per, classes);
    }
    return RECUR_OK;
}

recur_status model_check_data(const recur_model *m, const float *x, const float *y, int n,
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
    recur_status s = check_x(m, x, n, what);
    return s == RECUR_OK && y ? check_y(m, y, n, what) : s;
}
