/* recur fit: build (or resume) a model, train it on a file, report on the held-out part,
 * save the model and the history atomically. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
int report_test(recur_model *m, const data_spec *s, const dataset *train, const dataset *test)
{
    if (test->n == 0)
        return 0;
    float loss, metrics[RECUR_MAX_METRICS];
    if (recur_model_evaluate(m, test->x, test->y, test->n, &loss, metrics) != RECUR_OK)
        return cli_error("evaluate: %s", recur_last_error());
    printf("test: %d samples, loss %.4f", test->n, loss);
    if (s->task == TASK_CLASSIFY)
        printf(", accuracy %.4f", metrics[0]);
    printf("\n");
    if (s->task == TASK_FORECAST) {
        float *pred = malloc(sizeof(float) * (size_t)test->n);
        if (recur_model_predict(m, test->x, test->n, pred) != RECUR_OK) {
            free(pred);
            return cli_error("predict: %s", recur_last_error());
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

int cmd_fit(cli_args *a)
{
    data_spec s = { 0 };
    const char *data = NULL, *test_path = NULL, *spec = NULL, *resume = NULL;
    const char *save = "model.recur", *history = NULL, *opt = NULL, *loss_s = NULL;
    const char *plot = NULL, *plot_fc = NULL;
    int epochs = 10, batch = 32, threads = 0, verbose = -1, patience = 0, seed = 0;
    double lr = 0, clipnorm = 0, vsplit = 0;
    if (!arg_str(a, "data", &data) || !arg_str(a, "test", &test_path) ||
        !arg_str(a, "model", &spec) || !arg_str(a, "load", &resume) ||
        !arg_str(a, "save", &save) || !arg_str(a, "history", &history) ||
        !arg_str(a, "plot", &plot) || !arg_str(a, "plot-forecast", &plot_fc) ||
        !arg_str(a, "optimizer", &opt) || !arg_str(a, "loss", &loss_s) ||
        !arg_int(a, "epochs", 1, 1000000, &epochs) || !arg_int(a, "batch-size", 1, 1 << 20, &batch) ||
        !arg_int(a, "threads", 0, 1024, &threads) || !arg_int(a, "verbose", 0, 2, &verbose) ||
        !arg_int(a, "patience", 0, 1000000, &patience) || !arg_int(a, "seed", 0, 1 << 30, &seed) ||
        !arg_float(a, "lr", 0, 10, &lr) || !arg_float(a, "clipnorm", 0, 1e6, &clipnorm) ||
        !arg_float(a, "validation-split", 0, 0.9, &vsplit))
        return 1;
    bool no_shuffle = arg_flag(a, "no-shuffle");
    if (data == NULL)
        return cli_error("fit: --data FILE is required");
    if (!spec == !resume)
        return cli_error("fit: give --model SPEC for a new model, or --load FILE to resume one");
    recur_model *m = NULL;
    if (resume) {
        if (recur_model_load(resume, &m) != RECUR_OK)
            return cli_error("%s", recur_last_error());
        data_spec flags = { 0 };
        if (!data_spec_from_args(a, &flags, false) || !data_spec_from_text(recur_model_metadata(m), &s)) {
            recur_model_free(m);
            return 1;
        }
    } else if (!data_spec_from_args(a, &s, true)) {
        return 1;
    }
    if (!args_all_used(a)) {
        recur_model_free(m);
        return 1;
    }
    if (plot_fc && s.task != TASK_FORECAST) {   /* refuse before any training */
        recur_model_free(m);
        return cli_error("--plot-forecast: the model is not a forecaster");
    }
    dataset train, test;
    if (!dataset_load(&s, data, test_path, resume == NULL, &train, &test)) {
        recur_model_free(m);
        return 1;
    }
    int rc = 1;
    if (!resume) {
        if (!model_from_spec(spec, s.timesteps, s.features, &m))
            goto out;
        int steps, units;
        recur_model_output_shape(m, &steps, &units);
        if (steps != 0) {
            cli_error("--model: the last layer returns a sequence; end with a layer without "
                      "return_sequences, or a dense layer after one");
            goto out;
        }
        if (s.task == TASK_CLASSIFY && units != (s.classes == 2 ? 1 : s.classes) && units != s.classes) {
            cli_error("--model: %d classes need a last layer of %d units (got %d), e.g. "
                      "dense:%d:%s", s.classes, s.classes == 2 ? 1 : s.classes, units,
                      s.classes == 2 ? 1 : s.classes, s.classes == 2 ? "sigmoid" : "softmax");
            goto out;
        }
        if (s.task == TASK_FORECAST && units != 1) {
            cli_error("--model: forecasting one value needs a last layer of 1 unit, e.g. dense:1");
            goto out;
        }
        static const char *const opts[] = { "adam", "sgd", "rmsprop" };
        static const char *const losses[] = { "mse", "mae", "binary_crossentropy",
                                              "categorical_crossentropy",
                                              "sparse_categorical_crossentropy", "huber" };
        recur_compile_opts c = { .learning_rate = (float)lr, .clipnorm = (float)clipnorm };
        c.optimizer = opt ? (recur_optimizer)parse_enum(opt, opts, 3) : RECUR_ADAM;
        if (!c.optimizer) {
            cli_error("--optimizer: '%s' is not adam, sgd or rmsprop", opt);
            goto out;
        }
        c.loss = loss_s ? (recur_loss)parse_enum(loss_s, losses, 6)
                 : s.task == TASK_FORECAST ? RECUR_LOSS_MSE
                 : units == 1 ? RECUR_LOSS_BINARY_CROSSENTROPY
                              : RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
        if (!c.loss) {
            cli_error("--loss: '%s' is not one of mse, mae, huber, binary_crossentropy, "
                      "sparse_categorical_crossentropy", loss_s);
            goto out;
        }
        c.metrics = s.task == TASK_CLASSIFY ? RECUR_METRIC_ACCURACY : RECUR_METRIC_MAE;
        recur_model_set_seed(m, (unsigned long long)seed);
        if (recur_model_compile(m, &c) != RECUR_OK) {
            cli_error("%s", recur_last_error());
            goto out;
        }
        char meta[1024];
        data_spec_to_text(&s, meta, sizeof meta);
        recur_model_set_metadata(m, meta);
    }
    if (threads)
        recur_model_set_num_threads(m, threads);
    char summary[4096];
    if (recur_model_summary(m, summary, sizeof summary) == RECUR_OK)
        printf("%s", summary);
    printf("training on %d samples of shape (%d, %d), testing on %d\n", train.n, train.T, train.F,
           test.n);
    fflush(stdout);
    recur_fit_opts f = { .epochs = epochs, .batch_size = batch,
                         .validation_split = (float)vsplit, .no_shuffle = no_shuffle,
                         .seed = (unsigned long long)seed, .verbose = verbose < 0 ? 1 : verbose,
                         .patience = patience };
    if (recur_model_fit(m, train.x, train.y, train.n, &f) != RECUR_OK) {
        cli_error("fit: %s", recur_last_error());
        goto out;
    }
    if (report_test(m, &s, &train, &test) != 0)
        goto out;
    if (recur_model_save(m, save) != RECUR_OK) {
        cli_error("%s", recur_last_error());
        goto out;
    }
    printf("saved %s\n", save);
    if (history && !write_history(m, history))
        goto out;
    if (plot && !plot_history(m, plot))
        goto out;
    if (plot_fc && !plot_forecast(m, &s, &train, &test, plot_fc))
        goto out;
    rc = 0;
out:
    dataset_free(&train);
    dataset_free(&test);
    recur_model_free(m);
    return rc;
}
