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
#include "model/collective.h"
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

/* The per-batch values the processes sum: a failure flag, a stop request, the loss's
 * numerator and denominator, then the metric sums and counts. */
enum {
    STAT_FAILED, STAT_STOP, STAT_LOSS, STAT_WEIGHT, STAT_SUMS,
    STAT_COUNTS = STAT_SUMS + RECUR_MAX_METRICS, N_STATS = STAT_COUNTS + RECUR_MAX_METRICS
};

/* A pass over batches (an epoch, an evaluate): its running sums, and the last batch's. */
typedef struct {
    double loss_sum;              /* Σ batch loss × rows */
    double sums[RECUR_MAX_METRICS], counts[RECUR_MAX_METRICS];
    double batch_loss;
    bool stop_asked;              /* in: this process's stop flag (shared models) */
    bool stop_all;                /* out: some process's flag was set */
} pass_tally;

/* This process's share of a global batch: `count` rows xs/ys, the batch's rows from
 * `first`. Forward, the loss (and, with grad, the gradients: zeros for an empty share);
 * stats filled. */
static recur_status share_pass(recur_model *m, const float *xs, const float *ys, int first,
                               int count, bool grad, double *loss, double *stats)
{
    memset(stats, 0, sizeof(double) * N_STATS);
    *loss = 0;
    if (count == 0) {
        if (grad)
            memset(m->grads, 0, sizeof(float) * (m->block_floats + m->sq_floats));
        return RECUR_OK;
    }
    m->batch_first_row = first;   /* dropout draws the masks of the batch's rows */
    recur_status s = recur_model_forward_batch(m, xs, count);
    if (s == RECUR_OK)
        s = recur_model_loss_and_grads(m, xs, count, ys, grad, loss);
    m->batch_first_row = 0;
    if (s != RECUR_OK) {
        stats[STAT_FAILED] = 1;
        return s;
    }
    stats[STAT_LOSS] = *loss * m->loss_weight;
    stats[STAT_WEIGHT] = m->loss_weight;
    recur_model_metric_sums(m, count, ys, stats + STAT_SUMS, stats + STAT_COUNTS);
    return RECUR_OK;
}

static void tally_add(pass_tally *t, double loss, int rows, const double *st)
{
    t->batch_loss = loss;
    t->loss_sum += loss * rows;
    for (int k = 0; k < RECUR_MAX_METRICS; k++)
        t->sums[k] += st[STAT_SUMS + k], t->counts[k] += st[STAT_COUNTS + k];
}

/* One global batch of `rows`, of which this process has the share xs/ys (model_share): the
 * share's pass, then the shares' statistics summed in one call — the stop requests ride
 * along — and, with grad, their gradients; the batch added to t. Every process takes part
 * even when its share failed, so none waits. */
static recur_status batch_pass(recur_model *m, const float *xs, const float *ys, int first,
                               int count, int rows, bool grad, pass_tally *t)
{
    const char *what = grad ? "recur_model_fit" : "recur_model_evaluate";
    double st[N_STATS], mine_loss;
    const recur_status mine = share_pass(m, xs, ys, first, count, grad, &mine_loss, st);
    if (!model_shared(m)) {   /* the loss as computed, not divided back from the sum */
        if (mine == RECUR_OK)
            tally_add(t, mine_loss, rows, st);
        return mine;
    }
    const double my_weight = st[STAT_WEIGHT];
    st[STAT_STOP] = t->stop_asked;
    recur_status s = model_sum_stats(m, st, N_STATS, what);
    if (s != RECUR_OK)
        return s;
    if (st[STAT_FAILED] > 0)
        return mine != RECUR_OK ? mine
               : recur_fail(RECUR_ERR_STATE, "%s: another process failed on its share of a "
                            "batch (its message says why)", what);
    const double weight = st[STAT_WEIGHT];
    if (grad) {   /* each share's gradient weighs what its rows weigh in the loss */
        s = model_sum_gradients(m, weight > 0 ? my_weight / weight : 0.0, what);
        if (s != RECUR_OK)
            return s;
    }
    t->stop_all = st[STAT_STOP] > 0;
    tally_add(t, weight > 0 ? st[STAT_LOSS] / weight : 0.0, rows, st);
    return RECUR_OK;
}

/* Loss and metrics over samples [first, first+n) in batches of `batch`, read in place. */
static recur_status evaluate_range(recur_model *m, const float *x, const float *y, int first,
                                   int n, int batch, float *loss, float *metrics)
{
    const size_t sx = (size_t)m->timesteps * m->features, sy = model_target_size(m);
    pass_tally t = { 0 };
    recur_model_set_inference(m, true);
    for (int b0 = 0; b0 < n; b0 += batch) {
        const int rows = n - b0 < batch ? n - b0 : batch;
        int sf, sc;
        model_share(m, rows, &sf, &sc);
        const size_t at = (size_t)(first + b0 + sf);
        recur_status s = batch_pass(m, x + at * sx, y + at * sy, sf, sc, rows, false, &t);
        if (s != RECUR_OK) {
            recur_model_set_inference(m, false);
            return s;
        }
    }
    recur_model_set_inference(m, false);
    *loss = (float)(t.loss_sum / n);
    for (int k = 0; k < n_metrics(m); k++)
        metrics[k] = t.counts[k] > 0 ? (float)(t.sums[k] / t.counts[k]) : NAN;
    return RECUR_OK;
}

/* A stateful model's batches all have the same rows (its states are per row). */
static recur_status check_stateful_batches(const recur_model *m, int n, int batch,
                                           const char *what, const char *samples)
{
    if (!model_stateful(m) || n % batch == 0)
        return RECUR_OK;
    return recur_fail(RECUR_ERR_SHAPE, "%s: the model is stateful, so every batch must have "
                      "the same rows, but %d %s do not divide into batches of %d", what, n,
                      samples, batch);
}

static recur_status batch_size_of(const recur_model *m, int batch_size, int n, const char *what,
                                  int *out)
{
    if (batch_size < 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: batch_size must be >= 0 (0: %d), got %d",
                          what, DEFAULT_BATCH, batch_size);
    const int b = batch_size ? batch_size : DEFAULT_BATCH;
    *out = n < b ? n : b;
    return check_stateful_batches(m, n, *out, what, "samples");
}

recur_status recur_model_evaluate_in_batches(recur_model *m, const float *x, const float *y,
                                             int n, int batch_size, float *loss, float *metrics)
{
    const char *what = "recur_model_evaluate";
    recur_status s = model_check_data_shared(m, x, y, n, what);
    if (s != RECUR_OK)
        return s;
    if (y == NULL || loss == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: y and loss must not be NULL", what);
    int batch = 0;
    if ((s = batch_size_of(m, batch_size, n, what, &batch)) != RECUR_OK)
        return s;
    const long long call[] = { n, batch };
    if ((s = model_check_same(m, call, 2, what)) != RECUR_OK)
        return s;
    recur_model_set_inference(m, true);
    s = recur_model_ensure_batch(m, model_share_cap(m, batch));
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
    if ((s = batch_size_of(m, batch_size, n, what, &batch)) != RECUR_OK)
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

/* One fit call's settings and state, planned before the first epoch. */
typedef struct {
    recur_fit_opts o;             /* defaults resolved */
    const float *x, *y;
    const float *vx, *vy;         /* the validation samples, from vfirst */
    int n_train, n_val, vfirst, batch, vbatch, steps, n_metrics;
    bool stopped;                 /* *o.stop was seen set */
    int *perm;                    /* the training samples' order this epoch */
    unsigned long long rng;
    bool bar;                     /* a progress bar on a terminal */
    float best;                   /* early stopping: the best monitored value, and */
    int since_best;               /* the epochs since */
} fit_run;

/* The next epoch's order: a Fisher–Yates shuffle of the last one (unless no_shuffle). */
static void shuffle_order(fit_run *f)
{
    if (f->o.no_shuffle)
        return;
    for (int i = f->n_train - 1; i > 0; i--) {
        int j = (int)(shuffle_next(&f->rng) % (unsigned long long)(i + 1));
        int t = f->perm[i];
        f->perm[i] = f->perm[j];
        f->perm[j] = t;
    }
}

/* The decimal the caller most likely wrote for a float (0.2f → 0.2): the shortest one that
 * rounds back to it, as Python prints it. Keras computes the split from that double. */
static double shortest_decimal(float v)
{
    char text[32];
    for (int digits = 1; digits < 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)v);
        if (strtof(text, NULL) == v)
            return strtod(text, NULL);
    }
    return (double)v;
}

/* Keras: validation_data when given, otherwise the last validation_split of the samples,
 * taken before any shuffling. */
static recur_status plan_validation(recur_model *m, int n, fit_run *f)
{
    const recur_fit_opts *o = &f->o;
    if (o->validation_n == 0 && o->validation_x == NULL && o->validation_y == NULL) {
        f->n_train = (int)floor((double)n * (1.0 - shortest_decimal(o->validation_split)));
        f->n_val = n - f->n_train;
        f->vx = f->x, f->vy = f->y, f->vfirst = f->n_train;
        return RECUR_OK;
    }
    if (o->validation_split != 0.0f)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: give validation_split or "
                          "validation data, not both");
    if (o->validation_y == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: validation_y is NULL");
    recur_status s = model_check_data_shared(m, o->validation_x, o->validation_y,
                                             o->validation_n,
                                             "recur_model_fit (validation data)");
    if (s != RECUR_OK)
        return s;
    f->n_train = n, f->n_val = o->validation_n;
    f->vx = o->validation_x, f->vy = o->validation_y, f->vfirst = 0;
    return RECUR_OK;
}

static recur_status plan_fit(recur_model *m, const recur_fit_opts *opts, size_t opts_size,
                             int n, fit_run *f)
{
    recur_fit_opts *o = &f->o;
    memset(o, 0, sizeof *o);
    if (opts)
        recur_abi_copy(o, sizeof *o, opts, opts_size);
    if (o->epochs < 0 || o->batch_size < 0 || o->verbose < 0 || o->verbose > 2 ||
        o->patience < 0 || o->initial_epoch < 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: epochs, batch_size, patience, "
                          "initial_epoch must be >= 0 and verbose 0, 1 or 2");
    if (!(o->validation_split >= 0.0f && o->validation_split < 1.0f))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: validation_split must be in "
                          "[0, 1), got %g", (double)o->validation_split);
    o->epochs = o->epochs ? o->epochs : 1;
    o->batch_size = o->batch_size ? o->batch_size : DEFAULT_BATCH;
    recur_status s = plan_validation(m, n, f);
    if (s != RECUR_OK)
        return s;
    if (f->n_train < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: validation_split %g leaves no "
                          "training samples of %d", (double)o->validation_split, n);
    f->batch = o->batch_size < f->n_train ? o->batch_size : f->n_train;
    f->vbatch = f->n_val ? (o->batch_size < f->n_val ? o->batch_size : f->n_val) : 0;
    s = check_stateful_batches(m, f->n_train, f->batch, "recur_model_fit", "training samples");
    if (s == RECUR_OK && f->n_val && model_stateful(m)) {
        /* the validation batches run on the same states, so they take the same rows */
        f->vbatch = f->batch;
        s = check_stateful_batches(m, f->n_val, f->batch, "recur_model_fit",
                                   "validation samples");
    }
    if (s != RECUR_OK)
        return s;
    if (model_stateful(m) && !o->no_shuffle && o->verbose)
        fprintf(stderr, "warning: shuffling the samples of a stateful model: each batch row "
                        "then continues from another sample's states (set no_shuffle)\n");
    f->steps = (f->n_train + f->batch - 1) / f->batch;
    f->n_metrics = n_metrics(m);
    f->rng = o->seed * 0x9e3779b97f4a7c15ULL + 1;
    f->bar = o->verbose == 1 && isatty(fileno(stderr));
    f->best = INFINITY;
    f->since_best = 0;
    const int cap = model_share_cap(m, f->batch > f->vbatch ? f->batch : f->vbatch);
    s = recur_model_ensure_batch(m, cap);
    if (s == RECUR_OK && f->vbatch) {   /* plan the validation passes too: no epoch allocates */
        recur_model_set_inference(m, true);
        s = recur_model_ensure_batch(m, model_share_cap(m, f->vbatch));
        recur_model_set_inference(m, false);
    }
    if (s != RECUR_OK)
        return s;
    f->perm = malloc(sizeof(int) * (size_t)f->n_train);
    recur_epoch_log *hist = realloc(m->history, sizeof *hist * (size_t)o->epochs);   /* ≥ run */
    if (hist)
        m->history = hist;
    if (f->perm == NULL || hist == NULL) {
        free(f->perm);
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_fit: out of memory");
    }
    m->history_len = 0;
    for (int i = 0; i < f->n_train; i++)
        f->perm[i] = i;
    for (int e = 0; e < o->initial_epoch && e < o->epochs; e++)   /* the orders already used */
        shuffle_order(f);
    return RECUR_OK;
}

/* One epoch's training batches, in a fresh shuffled order; the loss and metric sums. */
static recur_status train_epoch(recur_model *m, fit_run *f, int epoch, double t0,
                                recur_epoch_log *log)
{
    const recur_fit_opts *o = &f->o;
    shuffle_order(f);
    pass_tally t = { 0 };
    float mv[RECUR_MAX_METRICS] = { 0 };
    for (int b = 0, b0 = 0; b0 < f->n_train; b++, b0 += f->batch) {
        const int rows = f->n_train - b0 < f->batch ? f->n_train - b0 : f->batch;
        int first, count;   /* only this process's share is gathered */
        model_share(m, rows, &first, &count);
        gather(m, f->x, f->y, f->perm, b0 + first, count);
        /* a shared model's processes learn of a stop with the next batch's sums */
        t.stop_asked = o->stop && *o->stop;
        recur_status s = batch_pass(m, m->xb, m->yb, first, count, rows, true, &t);
        if (s != RECUR_OK)
            return s;
        model_optimizer_step(m);
        const double running = t.loss_sum / (b0 + rows);
        if (o->on_batch)
            o->on_batch(epoch, b, (float)t.batch_loss, o->user);
        if (o->on_batch_log || f->bar)
            for (int k = 0; k < f->n_metrics; k++)
                mv[k] = (float)(t.sums[k] / t.counts[k]);
        if (o->on_batch_log) {
            recur_batch_log bl = { .epoch = epoch, .batch = b, .n_metrics = f->n_metrics,
                                   .loss = (float)running, .samples = b0 + rows };
            memcpy(bl.metrics, mv, sizeof mv);
            o->on_batch_log(&bl, o->user);
        }
        if (model_shared(m) ? t.stop_all : o->stop && *o->stop) {
            f->stopped = true;
            return RECUR_OK;
        }
        if (f->bar)
            progress_bar(m, b + 1, f->steps, now_seconds() - t0, (float)running, mv);
    }
    *log = (recur_epoch_log){ .epoch = epoch, .loss = (float)(t.loss_sum / f->n_train),
                              .val_loss = NAN, .n_metrics = f->n_metrics };
    for (int k = 0; k < f->n_metrics; k++) {
        log->metrics[k] = (float)(t.sums[k] / t.counts[k]);
        log->val_metrics[k] = NAN;
    }
    return RECUR_OK;
}

static void print_epoch(const recur_model *m, const fit_run *f, const recur_epoch_log *log)
{
    if (f->bar)
        progress_bar(m, f->steps, f->steps, log->seconds, log->loss, log->metrics);
    else
        fprintf(stderr, " - %.1fs", log->seconds), print_values(m, stderr, log->loss,
                                                                log->metrics, "");
    if (f->n_val)
        print_values(m, stderr, log->val_loss, log->val_metrics, "val_");
    fputc('\n', stderr);
}

/* Keras's EarlyStopping on val_loss (loss without validation data): true to stop. */
static bool early_stop(fit_run *f, const recur_epoch_log *log)
{
    if (f->o.patience <= 0)
        return false;
    const float monitored = f->n_val ? log->val_loss : log->loss;
    if (monitored < f->best - f->o.min_delta) {
        f->best = monitored;
        f->since_best = 0;
        return false;
    }
    if (++f->since_best < f->o.patience)
        return false;
    if (f->o.verbose)
        fprintf(stderr, "Epoch %d: early stopping\n", log->epoch + 1);
    return true;
}

/* The epochs: training, validation, the log, callbacks and early stopping. */
static recur_status run_epochs(recur_model *m, fit_run *f)
{
    for (int epoch = f->o.initial_epoch; epoch < f->o.epochs; epoch++) {
        const double t0 = now_seconds();
        if (f->o.verbose)
            fprintf(stderr, "Epoch %d/%d%s", epoch + 1, f->o.epochs, f->bar ? "\n" : "");
        recur_epoch_log log;
        recur_status s = train_epoch(m, f, epoch, t0, &log);
        if (s != RECUR_OK || f->stopped) {
            if (f->stopped && f->bar)
                fputc('\n', stderr);
            return s;
        }
        if (f->n_val)
            s = evaluate_range(m, f->vx, f->vy, f->vfirst, f->n_val, f->vbatch, &log.val_loss,
                               log.val_metrics);
        if (s != RECUR_OK)
            return s;
        log.seconds = now_seconds() - t0;
        m->history[m->history_len++] = log;
        if (f->o.verbose)
            print_epoch(m, f, &log);
        if (!isfinite(log.loss))
            return recur_fail(RECUR_ERR_NUMERIC, "recur_model_fit: the loss became %g in epoch "
                              "%d (try a lower learning rate or clipnorm)", (double)log.loss,
                              epoch + 1);
        if (f->o.on_epoch) {   /* every process stops when one's callback says so */
            double stop = f->o.on_epoch(&log, f->o.user) != 0;
            if ((s = model_sum_stats(m, &stop, 1, "recur_model_fit")) != RECUR_OK)
                return s;
            if (stop > 0)
                break;
        }
        if (early_stop(f, &log))
            break;
    }
    return RECUR_OK;
}

recur_status recur_model_fit_sized(recur_model *m, const float *x, const float *y, int n,
                                   const recur_fit_opts *opts, size_t opts_size)
{
    recur_status s = model_check_data_shared(m, x, y, n, "recur_model_fit");
    if (s != RECUR_OK)
        return s;
    if (y == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_fit: y is NULL");
    fit_run f = { .x = x, .y = y };
    if ((s = plan_fit(m, opts, opts_size, n, &f)) != RECUR_OK)
        return s;
    const recur_fit_opts *o = &f.o;
    const long long call[] = { n, o->epochs, o->batch_size, f.n_train, f.n_val,
                               (long long)o->no_shuffle, (long long)o->seed, o->patience,
                               (long long)(o->min_delta * 1e9f), o->initial_epoch };
    if ((s = model_check_same(m, call, 10, "recur_model_fit")) != RECUR_OK ||
        (s = model_take_rank0_state(m, "recur_model_fit")) != RECUR_OK) {
        free(f.perm);
        return s;
    }
    s = run_epochs(m, &f);
    free(f.perm);
    return s;
}

#undef recur_model_fit
RECUR_API recur_status recur_model_fit(recur_model *m, const float *x, const float *y, int n,
                                       const recur_fit_opts *o);
recur_status recur_model_fit(recur_model *m, const float *x, const float *y, int n,
                             const recur_fit_opts *o)
{
    return recur_model_fit_sized(m, x, y, n, o, FIT_OPTS_SIZE_0_1);
}
