/* recur fit: build (or resume) a model, train it on a file, report on the held-out part,
 * save the model and the history atomically. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arrays.h"
#include "cli.h"

static int parse_enum(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (v && strcmp(v, names[i]) == 0)
            return i + 1;
    return 0;
}

/* Test-set report: loss and metrics; forecasting adds the MSE in original units beside the
 * naive last-value and linear AR baselines. */
static int report_samples(recur_model *m, const data_spec *s, const dataset *train,
                          const dataset *test)
{
    float loss, metrics[RECUR_MAX_METRICS];
    if (recur_model_evaluate(m, test->x, test->y, test->n, &loss, metrics) != RECUR_OK)
        return cli_error("evaluate: %s", recur_last_error());
    printf("test: %d samples, loss %.4f", test->n, loss);
    if (s->task == TASK_CLASSIFY)
        printf(", accuracy %.4f", metrics[0]);
    printf("\n");
    if (s->task == TASK_FORECAST) {
        float *pred = malloc(sizeof(float) * (size_t)test->n);
        if (pred == NULL || recur_model_predict(m, test->x, test->n, pred) != RECUR_OK) {
            free(pred);
            return cli_error("predict: %s", pred ? recur_last_error() : "out of memory");
        }
        double mse = 0, ar = NAN;
        for (int i = 0; i < test->n; i++) {
            double e = unscale(s, pred[i]) - test->raw_y[i];
            mse += e * e / test->n;
        }
        free(pred);
        bool have_ar = train && baseline_ar_mse(train, test, s, &ar);
        printf("test MSE in original units: %.2f   (naive last value %.2f", mse,
               baseline_naive_mse(test));
        if (have_ar)
            printf(", linear AR(%d) %.2f", s->window, ar);
        printf(")\n");
    }
    return 0;
}

recur_model *independent_copy(const recur_model *m, int timesteps)
{
    recur_model *c;
    if (recur_model_rebuild(m, timesteps, false, &c) != RECUR_OK)
        return cli_error("%s", recur_last_error()), NULL;
    return c;
}

int report_test(recur_model *trained, const data_spec *s, const dataset *train,
                const dataset *test)
{
    if (s->task == TASK_NEXT_TOKEN)
        return report_next_token(trained, s, test);
    if (test->n == 0)
        return 0;
    recur_model *m = independent_copy(trained, s->timesteps);
    if (m == NULL)
        return 1;
    const int rc = report_samples(m, s, train, test);
    recur_model_free(m);
    return rc;
}

static bool write_history(const recur_model *m, const char *path)
{
    atomic_file af;
    if (!atomic_open(&af, path))
        return false;
    recur_epoch_log log;
    recur_model_history(m, 0, &log);
    fprintf(af.f, "epoch,loss,val_loss");
    for (int k = 0; k < log.n_metrics; k++)
        fprintf(af.f, ",metric%d,val_metric%d", k, k);
    fprintf(af.f, ",seconds\n");
    for (int e = 0; e < recur_model_history_length(m); e++) {
        recur_model_history(m, e, &log);
        fprintf(af.f, "%d,%.6g,%.6g", e + 1, log.loss, log.val_loss);
        for (int k = 0; k < log.n_metrics; k++)
            fprintf(af.f, ",%.6g,%.6g", log.metrics[k], log.val_metrics[k]);
        fprintf(af.f, ",%.3f\n", log.seconds);
    }
    return atomic_commit(&af);
}

typedef struct {
    const char *data, *test_path, *spec, *resume, *save, *history, *opt, *loss;
    const char *plot, *plot_fc;
    const char *x, *y;            /* NumPy input in place of --data */
    const char *checkpoint;
    int epochs, batch, threads, verbose, patience, seed, initial_epoch, checkpoint_every;
    int vocab;                    /* --x: an Embedding's input_dim */
    double lr, clipnorm, vsplit, test_split;
    bool no_shuffle;
} fit_flags;

static bool parse_flags(cli_args *a, fit_flags *f)
{
    *f = (fit_flags){ .save = "model.recur", .epochs = 10, .batch = 32, .verbose = -1,
                      .checkpoint_every = 1, .test_split = 0.2 };
    if (!arg_str(a, "data", &f->data) || !arg_str(a, "test", &f->test_path) ||
        !arg_str(a, "model", &f->spec) || !arg_str(a, "load", &f->resume) ||
        !arg_str(a, "save", &f->save) || !arg_str(a, "history", &f->history) ||
        !arg_str(a, "plot", &f->plot) || !arg_str(a, "plot-forecast", &f->plot_fc) ||
        !arg_str(a, "optimizer", &f->opt) || !arg_str(a, "loss", &f->loss) ||
        !arg_int(a, "epochs", 1, 1000000, &f->epochs) ||
        !arg_int(a, "batch-size", 1, 1 << 20, &f->batch) ||
        !arg_int(a, "threads", 0, 1024, &f->threads) ||
        !arg_int(a, "verbose", 0, 2, &f->verbose) ||
        !arg_int(a, "patience", 0, 1000000, &f->patience) ||
        !arg_int(a, "seed", 0, 1 << 30, &f->seed) || !arg_float(a, "lr", 0, 10, &f->lr) ||
        !arg_float(a, "clipnorm", 0, 1e6, &f->clipnorm) ||
        !arg_float(a, "validation-split", 0, 0.9, &f->vsplit) ||
        !arg_str(a, "x", &f->x) || !arg_str(a, "y", &f->y) ||
        !arg_str(a, "checkpoint", &f->checkpoint) ||
        !arg_int(a, "checkpoint-every", 1, 1000000, &f->checkpoint_every) ||
        !arg_int(a, "initial-epoch", 0, 1000000, &f->initial_epoch))
        return false;
    f->no_shuffle = arg_flag(a, "no-shuffle");
    if (f->x && (!arg_int(a, "vocab-size", 1, 1 << 24, &f->vocab) ||
                 !arg_float(a, "test-split", 0.0, 0.9, &f->test_split)))
        return false;
    if (!f->data == !f->x)
        return cli_error("fit: give --data FILE, or --x X.npy --y Y.npy"), false;
    if (f->x && !f->y)
        return cli_error("fit: --x needs --y Y.npy (the targets)"), false;
    if (f->initial_epoch >= f->epochs)
        return cli_error("fit: --initial-epoch %d leaves nothing to train of --epochs %d (epochs "
                         "counts from the start, as Keras's)", f->initial_epoch, f->epochs), false;
    if (!f->spec == !f->resume)
        return cli_error("fit: give --model SPEC for a new model, or --load FILE to resume one"),
               false;
    return true;
}

/* --optimizer, --loss (default_loss when absent), --lr, --clipnorm and --seed: m seeded and
 * compiled with `metrics`; false after a message. */
static bool compile_with_flags(recur_model *m, const fit_flags *f, recur_loss default_loss,
                               unsigned metrics)
{
    static const char *const opts[] = { "adam", "sgd", "rmsprop" };
    static const char *const losses[] = { "mse", "mae", "binary_crossentropy",
                                          "categorical_crossentropy",
                                          "sparse_categorical_crossentropy", "huber" };
    recur_compile_opts c = { .learning_rate = (float)f->lr, .clipnorm = (float)f->clipnorm,
                             .metrics = metrics };
    c.optimizer = f->opt ? (recur_optimizer)parse_enum(f->opt, opts, 3) : RECUR_ADAM;
    c.loss = f->loss ? (recur_loss)parse_enum(f->loss, losses, 6) : default_loss;
    if (!c.optimizer)
        return cli_error("--optimizer: '%s' is not adam, sgd or rmsprop", f->opt), false;
    if (!c.loss)
        return cli_error("--loss: '%s' is not one of mse, mae, huber, binary_crossentropy, "
                         "categorical_crossentropy, sparse_categorical_crossentropy", f->loss),
               false;
    if (recur_model_set_seed(m, (unsigned long long)f->seed) != RECUR_OK ||
        recur_model_compile(m, &c) != RECUR_OK)
        return cli_error("%s", recur_last_error()), false;
    return true;
}

/* A new model for NumPy arrays: the spec on x's shape, --loss (default mse), accuracy for
 * the cross-entropies and mae otherwise. */
static bool new_array_model(const fit_flags *f, const arrays *d, recur_model **out)
{
    recur_model *m;
    if (!model_from_spec(f->spec, d->T, d->F, f->vocab, &m))
        return false;
    const bool ce = f->loss && strstr(f->loss, "crossentropy");
    if (!compile_with_flags(m, f, RECUR_LOSS_MSE, ce ? RECUR_METRIC_ACCURACY
                                                     : RECUR_METRIC_MAE)) {
        recur_model_free(m);
        return false;
    }
    *out = m;
    return true;
}

/* A new model from the spec, checked against the task, compiled, carrying the data
 * settings (scaling, vocabulary) in its metadata. */
static bool new_model(const fit_flags *f, const data_spec *s, recur_model **out)
{
    recur_model *m;
    const int vocab = s->tokens ? vocab_size(&s->words) : 0;
    if (!model_from_spec(f->spec, s->timesteps, s->features, vocab, &m))
        return false;
    int steps, units;
    recur_model_output_shape(m, &steps, &units);
    const char *bad = NULL;
    char msg[200];
    const bool next = s->task == TASK_NEXT_TOKEN;
    if (next) {
        if (steps != s->timesteps || units != vocab) {
            snprintf(msg, sizeof msg, "--task next-token predicts the token after every step: "
                     "end with a sequence of %d steps of the %d-token vocabulary, e.g. "
                     "...,lstm:256:seq,dense:vocab:softmax", s->timesteps, vocab);
            bad = msg;
        }
    } else if (steps != 0) {
        bad = "the last layer returns a sequence; end with a layer without return_sequences, "
              "a pooling layer, or a dense layer after one";
    } else if (s->task == TASK_CLASSIFY && units != (s->classes == 2 ? 1 : s->classes) &&
               units != s->classes) {
        snprintf(msg, sizeof msg, "%d classes need a last layer of %d units (got %d), e.g. "
                 "dense:%d:%s", s->classes, s->classes == 2 ? 1 : s->classes, units,
                 s->classes == 2 ? 1 : s->classes, s->classes == 2 ? "sigmoid" : "softmax");
        bad = msg;
    } else if (s->task == TASK_FORECAST && units != 1) {
        bad = "forecasting one value needs a last layer of 1 unit, e.g. dense:1";
    }
    if (bad) {
        recur_model_free(m);
        return cli_error("--model: %s", bad), false;
    }
    const recur_loss loss = s->task == TASK_FORECAST ? RECUR_LOSS_MSE
                            : units == 1 && !next ? RECUR_LOSS_BINARY_CROSSENTROPY
                                                  : RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    char *meta = NULL;
    bool ok = compile_with_flags(m, f, loss, s->task == TASK_FORECAST ? RECUR_METRIC_MAE
                                                                      : RECUR_METRIC_ACCURACY) &&
              data_spec_to_text(s, &meta);
    if (ok && recur_model_set_metadata(m, meta) != RECUR_OK)
        ok = !cli_error("the data settings do not fit in the model (%s): lower --max-tokens",
                        recur_last_error());
    free(meta);
    if (!ok) {
        recur_model_free(m);
        return false;
    }
    *out = m;
    return true;
}

/* What fit trains on: a CSV/text file cut by its task, or NumPy arrays. */
typedef struct {
    data_spec s;
    dataset train, test;
    arrays np;
    bool is_np;
} fit_data;

/* After training, on rank 0: the test report, the model, the history and the plots. */
static int finish(recur_model *m, const fit_flags *f, const fit_data *d)
{
    if (d->is_np && d->np.n_train < d->np.n) {   /* the held-out arrays, from zero states */
        recur_model *copy = independent_copy(m, d->np.T);
        const int rc = copy ? arrays_report(copy, &d->np, d->np.n_train,
                                            d->np.n - d->np.n_train, "test") : 1;
        recur_model_free(copy);
        if (rc != 0)
            return 1;
    } else if (!d->is_np && report_test(m, &d->s, &d->train, &d->test) != 0) {
        return 1;
    }
    if (recur_model_save(m, f->save) != RECUR_OK)
        return cli_error("%s", recur_last_error());
    printf("saved %s\n", f->save);
    if (f->history && !write_history(m, f->history))
        return 1;
    if (f->plot && !plot_history(m, f->plot))
        return 1;
    if (f->plot_fc && !plot_forecast(m, &d->s, &d->train, &d->test, f->plot_fc))
        return 1;
    return 0;
}

static bool prepare_arrays(cli_args *a, const fit_flags *f, fit_data *d, recur_model **m)
{
    if (!args_all_used(a))
        return false;
    if (f->plot_fc)
        return cli_error("--plot-forecast: needs --task forecast, not --x"), false;
    if (!arrays_open(f->x, f->y, f->test_split, &d->np))
        return false;
    if (f->resume) {
        if (recur_model_load(f->resume, m) != RECUR_OK)
            return cli_error("%s", recur_last_error()), false;
    } else if (!new_array_model(f, &d->np, m)) {
        return false;
    }
    return arrays_check_model(m, &d->np, f->x, f->y);
}

/* The flags, the data and the model (new or resumed); false after a message. */
static bool prepare(cli_args *a, fit_flags *f, fit_data *d, recur_model **m)
{
    if (!parse_flags(a, f))
        return false;
    if (f->x) {
        d->is_np = true;
        return prepare_arrays(a, f, d, m);
    }
    data_spec *s = &d->s;
    if (f->resume) {
        data_spec flags = { 0 };
        if (recur_model_load(f->resume, m) != RECUR_OK)
            return cli_error("%s", recur_last_error()), false;
        if (!data_spec_from_args(a, &flags, false) ||
            !data_spec_from_text(recur_model_metadata(*m), s))
            return false;
    } else if (!data_spec_from_args(a, s, true)) {
        return false;
    }
    if (!args_all_used(a))
        return false;
    if (f->plot_fc && s->task != TASK_FORECAST)   /* refuse before any training */
        return cli_error("--plot-forecast: the model is not a forecaster"), false;
    if (!dataset_load(s, f->data, f->test_path, f->resume == NULL, &d->train, &d->test))
        return false;
    return f->resume || new_model(f, s, m);
}

/* --checkpoint: the model after every checkpoint_every-th epoch and the last, from rank 0
 * (recur_model_save writes atomically). */
typedef struct {
    recur_model *m;
    const fit_flags *f;
    bool failed;
} checkpointer;

static int save_checkpoint(const recur_epoch_log *log, void *user)
{
    checkpointer *c = user;
    const int done = log->epoch + 1;
    if (cli_rank() != 0 || (done % c->f->checkpoint_every != 0 && done != c->f->epochs))
        return 0;
    if (recur_model_save(c->m, c->f->checkpoint) != RECUR_OK) {
        cli_error("--checkpoint: %s", recur_last_error());
        c->failed = true;   /* stops fit: training on without the checkpoints asked for */
        return 1;
    }
    fprintf(stderr, "checkpoint: %s after epoch %d (resume with --load %s --initial-epoch "
            "%d)\n", c->f->checkpoint, done, c->f->checkpoint, done);
    return 0;
}

static void print_plan(recur_model *m, const fit_data *d)
{
    static char summary[1 << 18];   /* 64 layers of three-line rows fit */
    if (recur_model_summary(m, summary, sizeof summary) == RECUR_OK)
        printf("%s", summary);
    if (d->is_np)
        printf("training on %d samples of shape (%d, %d), testing on %d\n", d->np.n_train,
               d->np.T, d->np.F, d->np.n - d->np.n_train);
    else if (d->s.task == TASK_NEXT_TOKEN)
        printf("training on %d windows of %d tokens (%d tokens), testing on %d tokens\n",
               d->train.n, d->train.T, d->train.n_stream, d->test.n_stream);
    else
        printf("training on %d samples of shape (%d, %d), testing on %d\n", d->train.n,
               d->train.T, d->train.F, d->test.n);
    fflush(stdout);
}

int cmd_fit(cli_args *a)
{
    fit_flags f;
    fit_data d = { 0 };
    recur_model *m = NULL;
    int rc = 1;
    /* under mpirun every rank agrees before the first collective step, so none waits for
     * one that failed here */
    if (!cli_dist_all_ok(prepare(a, &f, &d, &m)) || !cli_dist_all_ok(cli_dist_attach(m)))
        goto out;
    if (f.threads)
        recur_model_set_num_threads(m, f.threads);
    print_plan(m, &d);
    checkpointer ck = { m, &f, false };
    recur_fit_opts fo = { .epochs = f.epochs, .batch_size = f.batch,
                          .validation_split = (float)f.vsplit, .no_shuffle = f.no_shuffle,
                          .seed = (unsigned long long)f.seed,
                          .verbose = f.verbose < 0 ? 1 : f.verbose, .patience = f.patience,
                          .initial_epoch = f.initial_epoch,
                          .on_epoch = f.checkpoint ? save_checkpoint : NULL, .user = &ck };
    if (cli_rank() != 0)
        fo.verbose = 0;
    const float *x = d.is_np ? d.np.x.data : d.train.x, *y = d.is_np ? d.np.y.data : d.train.y;
    const int n = d.is_np ? d.np.n_train : d.train.n;
    if (recur_model_fit(m, x, y, n, &fo) != RECUR_OK) {
        cli_error("fit: %s", recur_last_error());
        goto out;
    }
    /* a failed checkpoint stopped rank 0 only: every rank learns of it */
    if (!cli_dist_all_ok(!ck.failed))
        goto out;
    rc = cli_rank() == 0 ? finish(m, &f, &d) : 0;
out:
    arrays_close(&d.np);
    dataset_free(&d.train);
    dataset_free(&d.test);
    data_spec_free(&d.s);
    recur_model_free(m);
    return rc;
}
