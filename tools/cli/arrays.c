/* Training data given as NumPy arrays (--x X.npy --y Y.npy): taken as they are, no task,
 * no scaling; mapped, never read whole. evaluate and predict on them as well. */
#include <stdlib.h>
#include <string.h>

#include "arrays.h"

/* x [n, T, F] or [n, T] (F = 1: token ids, or one feature); y [n, ...] or absent. */
static bool check_shapes(const char *xpath, const char *ypath, arrays *d)
{
    const npy_array *x = &d->x, *y = &d->y;
    if (x->rank != 2 && x->rank != 3)
        return cli_error("%s: x must have shape (samples, timesteps[, features]), got %d "
                         "dimensions", xpath, x->rank), false;
    const long long per = x->shape[1] * (x->rank == 3 ? x->shape[2] : 1);
    if (x->shape[0] < 1 || x->shape[0] > (1LL << 30) || x->shape[1] < 1 ||
        (x->rank == 3 && x->shape[2] < 1) || per > (1 << 30))
        return cli_error("%s: x's shape must have 1 to 2^30 samples and non-empty samples",
                         xpath), false;
    d->n = (int)x->shape[0];
    d->T = (int)x->shape[1];
    d->F = x->rank == 3 ? (int)x->shape[2] : 1;
    if (ypath == NULL)
        return true;
    if (y->rank < 1 || y->shape[0] != x->shape[0])
        return cli_error("%s: y must have one row per sample of %s (%d), got shape[0] %lld",
                         ypath, xpath, d->n, y->rank ? y->shape[0] : 0), false;
    d->y_size = (size_t)(y->count / y->shape[0]);
    return true;
}

bool arrays_open(const char *xpath, const char *ypath, double test_split, arrays *d)
{
    memset(d, 0, sizeof *d);
    if (!npy_open(xpath, &d->x))
        return false;
    if ((ypath && !npy_open(ypath, &d->y)) || !check_shapes(xpath, ypath, d)) {
        arrays_close(d);
        return false;
    }
    /* the held-out part: the last test_split of the samples, in order */
    d->n_train = d->n - (int)((double)d->n * test_split);
    if (d->n_train < 1) {
        arrays_close(d);
        return cli_error("--test-split %g leaves no training samples of %d", test_split,
                         d->n), false;
    }
    return true;
}

void arrays_close(arrays *d)
{
    npy_close(&d->x);
    npy_close(&d->y);
    memset(d, 0, sizeof *d);
}

const float *arrays_x(const arrays *d, int first)
{
    return d->x.data + (size_t)first * (size_t)d->T * (size_t)d->F;
}

const float *arrays_y(const arrays *d, int first)
{
    return d->y.data + (size_t)first * d->y_size;
}

bool arrays_check_model(recur_model **mp, const arrays *d, const char *xpath, const char *ypath)
{
    int T, F;
    recur_model_input_shape(*mp, &T, &F);
    const bool open = recur_model_length_open(*mp);
    if (d->F != F || (d->T != T && !open)) {
        char steps[16] = "None";   /* Keras's word for an open length */
        if (!open)
            snprintf(steps, sizeof steps, "%d", T);
        return cli_error("%s: samples of shape (%d, %d), but the model takes (%s, %d)", xpath,
                         d->T, d->F, steps, F), false;
    }
    if (d->T != T) {   /* an open length (Keras's None): a copy of the model for this one */
        recur_model *copy;
        if (recur_model_with_timesteps(*mp, d->T, &copy) != RECUR_OK)
            return cli_error("%s", recur_last_error()), false;
        recur_model_free(*mp);
        *mp = copy;
    }
    const recur_model *m = *mp;
    int steps, units;
    recur_model_output_shape(m, &steps, &units);
    const size_t out = (size_t)(steps ? steps : 1) * (size_t)units;
    recur_compile_opts c = { .loss = RECUR_LOSS_MSE };
    recur_model_get_compile_opts(m, &c);
    /* sparse labels: one class index per output row */
    const size_t want = c.loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? out / units : out;
    if (ypath && d->y_size != want)
        return cli_error("%s: %zu values per sample, but the model's output needs %zu", ypath,
                         d->y_size, want), false;
    return true;
}

int arrays_report(recur_model *m, const arrays *d, int first, int n, const char *what)
{
    if (n == 0)
        return 0;
    float loss, metrics[RECUR_MAX_METRICS];
    if (recur_model_evaluate(m, arrays_x(d, first), arrays_y(d, first), n, &loss, metrics) !=
        RECUR_OK)
        return cli_error("evaluate: %s", recur_last_error());
    printf("%s: %d samples, loss %.6g", what, n, loss);
    recur_compile_opts c = { 0 };
    recur_model_get_compile_opts(m, &c);
    static const char *names[] = { "accuracy", "mae", "mse" };
    for (int b = 0, k = 0; b < RECUR_MAX_METRICS; b++)
        if (c.metrics & (1u << b))
            printf(", %s %.6g", names[b], metrics[k++]);
    printf("\n");
    return 0;
}

/* --out: .npy when the name ends so, else CSV (one row per sample). */
static bool write_predictions(const char *out, const float *p, int n, int steps, int units)
{
    const size_t len = strlen(out);
    if (len > 4 && strcmp(out + len - 4, ".npy") == 0) {
        long long shape[3] = { n, steps ? steps : units, units };
        return npy_write(out, p, steps ? 3 : 2, shape);
    }
    atomic_file af;
    if (!atomic_open(&af, out))
        return false;
    const size_t row = (size_t)(steps ? steps : 1) * (size_t)units;
    for (size_t j = 0; j < row; j++)
        fprintf(af.f, "%soutput%zu", j ? "," : "", j);
    fputc('\n', af.f);
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < row; j++)
            fprintf(af.f, "%.9g%c", p[(size_t)i * row + j], j + 1 < row ? ',' : '\n');
    return atomic_commit(&af);
}

int arrays_predict(recur_model *m, const arrays *d, const char *out)
{
    int steps, units;
    recur_model_output_shape(m, &steps, &units);
    const size_t row = (size_t)(steps ? steps : 1) * (size_t)units;
    float *p = malloc(sizeof(float) * row * (size_t)d->n);
    if (p == NULL)
        return cli_error("predict: out of memory for %d × %zu predictions", d->n, row);
    int rc = 0;
    if (recur_model_predict(m, d->x.data, d->n, p) != RECUR_OK)
        rc = cli_error("predict: %s", recur_last_error());
    else if (!write_predictions(out, p, d->n, steps, units))
        rc = 1;
    else
        printf("wrote %s (%d samples)\n", out, d->n);
    free(p);
    return rc;
}
