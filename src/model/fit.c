/* fit, evaluate and predict: batching, shuffling, validation split, progress output,
 * history, callbacks and early stopping. Buffers are sized once at the start of a call;
 * the batch loop itself allocates nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/abi.h"
#include "core/error.h"
#include "model/data.h"
#include "model/internal.h"

/* The 0.1 layout of recur_fit_opts: its fields up to min_delta (docs/ABI.md). */
#define FIT_OPTS_SIZE_0_1 (offsetof(recur_fit_opts, min_delta) + sizeof(float))
/* Keras's batch_size default for fit, evaluate and predict. */
#define DEFAULT_BATCH 32

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int n_metrics(const recur_model *m)
{
    int k = 0;
    for (unsigned b = m->copts.metrics; b; b &= b - 1)
        k++;
    return k;
}

static const char *metric_name(const recur_model *m, int k)
{
    static const char *names[] = { "accuracy", "mae", "mse" };
    int seen = 0;
    for (int bit = 0; bit < RECUR_MAX_METRICS; bit++)
        if (m->copts.metrics & (1u << bit)) {
            if (seen == k)
                return names[bit];
            seen++;
        }
    return "?";
}

static void gather(const recur_model *m, const float *x, const float *y, const int *idx,
                   int first, int rows)
{
    const size_t sx = (size_t)m->timesteps * m->features, sy = model_target_size(m);
    for (int r = 0; r < rows; r++) {
        int s = idx ? idx[first + r] : first + r;
        memcpy(m->xb + (size_t)r * sx, x + (size_t)s * sx, sx * sizeof(float));
        if (y)
            memcpy(m->yb + (size_t)r * sy, y + (size_t)s * sy, sy * sizeof(float));
    }
}

/* Loss and metrics over samples [first, first+n) in batches of `batch`, read in place. */
static recur_status evaluate_range(recur_model *m, const float *x, const float *y, int first,
                                   int n, int batch, float *loss, float *metrics)
{
    const size_t sx = (size_t)m->timesteps * m->features, sy = model_target_size(m);
    double lsum = 0, sums[RECUR_MAX_METRICS] = { 0 }, counts[RECUR_MAX_METRICS] = { 0 };
    recur_model_set_inference(m, true);
    for (int b0 = 0; b0 < n; b0 += batch) {
        const int rows = n - b0 < batch ? n - b0 : batch;
        const float *xb = x + (size_t)(first + b0) * sx, *yb = y + (size_t)(first + b0) * sy;
        recur_status s = recur_model_forward_batch(m, xb, rows);
        double l;
        if (s == RECUR_OK)
            s = recur_model_loss_and_grads(m, xb, rows, yb, false, &l);
        if (s != RECUR_OK) {
            recur_model_set_inference(m, false);
            return s;
        }
        lsum += l * rows;
        recur_model_metric_sums(m, rows, yb, sums, counts);
    }
    recur_model_set_inference(m, false);
    *loss = (float)(lsum / n);
    for (int k = 0; k < n_metrics(m); k++)
        metrics[k] = counts[k] > 0 ? (float)(sums[k] / counts[k]) : NAN;
    return RECUR_OK;
}

static recur_status batch_size_of(int batch_size, int n, const char *what, int *out)
{
    if (batch_size < 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: batch_size must be >= 0 (0: %d), got %d",
                          what, DEFAULT_BATCH, batch_size);
    const int b = batch_size ? batch_size : DEFAULT_BATCH;
    *out = n < b ? n : b;
    return RECUR_OK;
}

recur_status recur_model_evaluate_in_batches(recur_model *m, const float *x, const float *y,
                                             int n, int batch_size, float *loss, float *metrics)
{
    const char *what = "recur_model_evaluate";
    recur_status s = model_check_data(m, x, y, n, what);
    if (s != RECUR_OK)
        return s;
    if (y == NULL || loss == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: y and loss must not be NULL", what);
    int batch = 0;
    if ((s = batch_size_of(batch_size, n, what, &batch)) != RECUR_OK)
        return s;
    recur_model_set_inference(m, true);
    s = recur_model_ensure_batch(m, batch);
    recur_model_set_inference(m, false);
    if (s != RECUR_OK)
        return s;
    float l, mv[RECUR_MAX_METRICS];
    s = evaluate_range(m, x, y, 0, n, batch, &l, mv);
    if (s != RECUR_OK)
        return s;
    *loss = l;
    if (metrics)
        memcpy(metrics, mv, sizeof(float) * (size_t)n_metrics(m));
    return RECUR_OK;
}

recur_status recur_model_evaluate(recur_model *m, const float *x, const float *y, int n,
                                  float *loss, float *metrics)
{
    return recur_model_evaluate_in_batches(m, x, y, n, 0, loss, metrics);
}

recur_status recur_model_predict_in_batches(recur_model *m, const float *x, int n,
                                            int batch_size, float *y)
{
    const char *what = "recur_model_predict";
    recur_status s = model_check_data(m, x, NULL, n, what);
    if (s != RECUR_OK)
        return s;
    if (y == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: y is NULL", what);
    int batch = 0;
    if ((s = batch_size_of(batch_size, n, what, &batch)) != RECUR_OK)
        return s;
    recur_model_set_inference(m, true);   /* nothing kept for backward */
    s = recur_model_ensure_batch(m, batch);
    const size_t sx = (size_t)m->timesteps * m->features, so = recur_model_output_size(m);
    const float *out = m->acts[m->n_layers - 1].y;
    for (int b0 = 0; s == RECUR_OK && b0 < n; b0 += batch) {
        int rows = n - b0 < batch ? n - b0 : batch;
        /* the caller's rows are read in place: nothing to gather */
        if ((s = recur_model_forward_batch(m, x + (size_t)b0 * sx, rows)) == RECUR_OK)
            memcpy(y + (size_t)b0 * so, out, sizeof(float) * so * (size_t)rows);
    }
    recur_model_set_inference(m, false);
    return s;
}

recur_status recur_model_predict(recur_model *m, const float *x, int n, float *y)
{
    return recur_model_predict_in_batches(m, x, n, 0, y);
}

/* ---- progress output, Keras style ---------------------------------------------------------- */

static void print_values(const recur_model *m, FILE *f, float loss, const float *mv,
                         const char *prefix)
{
    fprintf(f, " - %sloss: %.4f", prefix, loss);
    for (int k = 0; k < n_metrics(m); k++)
        fprintf(f, " - %s%s: %.4f", prefix, metric_name(m, k), mv[k]);
}

static void progress_bar(const recur_model *m, int done, int total, double elapsed, float loss,
                         const float *mv)
{
    const int width = 30;
    int filled = total ? (int)((long long)width * done / total) : width;
    fprintf(stderr, "\r%*d/%d [", (int)snprintf(NULL, 0, "%d", total), done, total);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '=' : (i == filled ? '>' : '.'), stderr);
    double eta = done ? elapsed / done * (total - done) : 0;
    if (done < total)
        fprintf(stderr, "] - ETA: %.0fs", eta);
    else
        fprintf(stderr, "] - %.0fs", elapsed);
    print_values(m, stderr, loss, mv, "");
    fflush(stderr);
}

/* ---- fit ------------------------------------------------------------------------------------ */

static unsigned long long shuffle_next(unsigned long long *s)   /* splitmix64 */
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

recur_status recur_model_fit_sized(recur_model *m, const float *x, const float *y, int n,
                                   const recur_fit_opts *opts, size_t opts_size)
{
    recur_status s = model_check_data(m, x, y, n, "recur_model_fit");
    if (s != RECUR_OK)
        return s;
    if (y == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: y is NULL");
    recur_fit_opts o = { 0 };
    if (opts)
        recur_abi_copy(&o, sizeof o, opts, opts_size);
    if (o.epochs < 0 || o.batch_size < 0 || o.verbose < 0 || o.verbose > 2 || o.patience < 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: epochs, batch_size, patience "
                          "must be >= 0 and verbose 0, 1 or 2");
    if (!(o.validation_split >= 0.0f && o.validation_split < 1.0f))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: validation_split must be in "
                          "[0, 1), got %g", (double)o.validation_split);
    if (o.epochs == 0)
        o.epochs = 1;
    if (o.batch_size == 0)
        o.batch_size = DEFAULT_BATCH;
    /* Keras: the validation samples are the last ones, taken before any shuffling. */
    const int n_train = (int)((double)n * (1.0 - (double)o.validation_split));
    const int n_val = n - n_train;
    if (n_train < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: validation_split %g leaves no "
                          "training samples of %d", (double)o.validation_split, n);
    const int batch = o.batch_size < n_train ? o.batch_size : n_train;
    const int vbatch = n_val ? (o.batch_size < n_val ? o.batch_size : n_val) : 0;
    if ((s = recur_model_ensure_batch(m, batch > vbatch ? batch : vbatch)) != RECUR_OK)
        return s;
    if (vbatch) {   /* plan the validation passes too, so no epoch allocates */
        recur_model_set_inference(m, true);
        s = recur_model_ensure_batch(m, vbatch);
        recur_model_set_inference(m, false);
        if (s != RECUR_OK)
            return s;
    }
    int *perm = malloc(sizeof(int) * (size_t)n_train);
    recur_epoch_log *hist = realloc(m->history, sizeof *hist * (size_t)o.epochs);
    if (perm == NULL || hist == NULL) {
        free(perm);
        if (hist)
            m->history = hist;
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_fit: out of memory");
    }
    m->history = hist;
    m->history_len = 0;
    for (int i = 0; i < n_train; i++)
        perm[i] = i;

    const bool bar = o.verbose == 1 && isatty(fileno(stderr));
    const int steps = (n_train + batch - 1) / batch, nm = n_metrics(m);
    unsigned long long rng = o.seed * 0x9e3779b97f4a7c15ULL + 1;
    float best = INFINITY;
    int since_best = 0;
    for (int epoch = 0; epoch < o.epochs; epoch++) {
        const double t0 = now_seconds();
        if (!o.no_shuffle)
            for (int i = n_train - 1; i > 0; i--) {
                int j = (int)(shuffle_next(&rng) % (unsigned long long)(i + 1));
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        if (o.verbose)
            fprintf(stderr, "Epoch %d/%d%s", epoch + 1, o.epochs, bar ? "\n" : "");
        double lsum = 0, sums[RECUR_MAX_METRICS] = { 0 }, counts[RECUR_MAX_METRICS] = { 0 };
        float mv[RECUR_MAX_METRICS] = { 0 };
        for (int b = 0, b0 = 0; b0 < n_train; b++, b0 += batch) {
            int rows = n_train - b0 < batch ? n_train - b0 : batch;
            gather(m, x, y, perm, b0, rows);
            double l;
            s = recur_model_forward_batch(m, m->xb, rows);
            if (s == RECUR_OK)
                s = recur_model_loss_and_grads(m, m->xb, rows, m->yb, true, &l);
            if (s != RECUR_OK) {
                free(perm);
                return s;
            }
            recur_model_metric_sums(m, rows, m->yb, sums, counts);
            model_optimizer_step(m);
            lsum += l * rows;
            if (o.on_batch)
                o.on_batch(epoch, b, (float)l, o.user);
            if (bar) {
                for (int k = 0; k < nm; k++)
                    mv[k] = (float)(sums[k] / counts[k]);
                progress_bar(m, b + 1, steps, now_seconds() - t0, (float)(lsum / (b0 + rows)), mv);
            }
        }
        recur_epoch_log log = { .epoch = epoch, .loss = (float)(lsum / n_train),
                                .val_loss = NAN, .n_metrics = nm };
        for (int k = 0; k < nm; k++) {
            log.metrics[k] = (float)(sums[k] / counts[k]);
            log.val_metrics[k] = NAN;
        }
        if (n_val) {
            s = evaluate_range(m, x, y, n_train, n_val, vbatch, &log.val_loss, log.val_metrics);
            if (s != RECUR_OK) {
                free(perm);
                return s;
            }
        }
        log.seconds = now_seconds() - t0;
        m->history[m->history_len++] = log;
        if (o.verbose) {
            if (bar)
                progress_bar(m, steps, steps, log.seconds, log.loss, log.metrics);
            else
                fprintf(stderr, " - %.1fs", log.seconds), print_values(m, stderr, log.loss, log.metrics, "");
            if (n_val)
                print_values(m, stderr, log.val_loss, log.val_metrics, "val_");
            fputc('\n', stderr);
        }
        if (!isfinite(log.loss)) {
            free(perm);
            return recur_fail(RECUR_ERR_NUMERIC, "recur_model_fit: the loss became %g in epoch "
                              "%d (try a lower learning rate or clipnorm)", (double)log.loss,
                              epoch + 1);
        }
        if (o.on_epoch && o.on_epoch(&log, o.user))
            break;
        if (o.patience > 0) {
            float monitored = n_val ? log.val_loss : log.loss;
            if (monitored < best - o.min_delta) {
                best = monitored;
                since_best = 0;
            } else if (++since_best >= o.patience) {
                if (o.verbose)
                    fprintf(stderr, "Epoch %d: early stopping\n", epoch + 1);
                break;
            }
        }
    }
    free(perm);
    return RECUR_OK;
}

#undef recur_model_fit
RECUR_API recur_status recur_model_fit(recur_model *m, const float *x, const float *y, int n,
                                       const recur_fit_opts *o);
recur_status recur_model_fit(recur_model *m, const float *x, const float *y, int n,
                             const recur_fit_opts *o)
{
    return recur_model_fit_sized(m, x, y, n, o, FIT_OPTS_SIZE_0_1);
}
