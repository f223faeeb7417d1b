/* The two pictures a user wants: how the loss fell, and the forecast against the data. */
#include <math.h>
#include <stdlib.h>

#include "cli.h"

bool plot_history(const recur_model *m, const char *path)
{
    int n = recur_model_history_length(m);
    if (n < 1)
        return cli_error("%s: no epochs to plot", path), false;
    double *x = malloc(sizeof(double) * n), *l = malloc(sizeof(double) * n);
    double *v = malloc(sizeof(double) * n);
    bool have_val = false;
    for (int e = 0; e < n; e++) {
        recur_epoch_log log;
        recur_model_history(m, e, &log);
        x[e] = e + 1;
        l[e] = log.loss;
        v[e] = log.val_loss;
        have_val |= isfinite(log.val_loss);
    }
    plot_series s[2] = { { "loss", x, l, n, 0.12, 0.47, 0.71 },
                         { "val_loss", x, v, n, 0.85, 0.37, 0.01 } };
    bool ok = plot_lines(path, "Training loss per epoch", "epoch", "loss", s, have_val ? 2 : 1);
    free(x);
    free(l);
    free(v);
    return ok;
}

bool plot_forecast(recur_model *m, const data_spec *s, const dataset *train, const dataset *test,
                   const char *path)
{
    if (s->task != TASK_FORECAST)
        return cli_error("--plot-forecast: the model is not a forecaster"), false;
    int n = train->n + test->n;
    double *x = malloc(sizeof(double) * n), *actual = malloc(sizeof(double) * n);
    double *fit = malloc(sizeof(double) * n), *fc = malloc(sizeof(double) * n);
    float *pred = malloc(sizeof(float) * (n ? n : 1));
    bool ok = true;
    for (int part = 0; part < 2 && ok; part++) {
        const dataset *d = part ? test : train;
        int base = part ? train->n : 0;
        if (d->n && recur_model_predict(m, d->x, d->n, pred + base) != RECUR_OK)
            ok = cli_error("predict: %s", recur_last_error()) == 0;
        for (int i = 0; ok && i < d->n; i++) {
            x[base + i] = d->row[i] + 1;
            actual[base + i] = d->raw_y[i];
            double p = unscale(s, pred[base + i]);
            fit[base + i] = part ? NAN : p;
            fc[base + i] = part ? p : NAN;
        }
    }
    if (ok) {
        plot_series ps[3] = { { "actual", x, actual, n, 0.25, 0.25, 0.25 },
                              { "fitted (train)", x, fit, n, 0.12, 0.47, 0.71 },
                              { "forecast (test)", x, fc, n, 0.85, 0.37, 0.01 } };
        char title[160];
        snprintf(title, sizeof title, "One-step forecast of '%s' (window %d)", s->column, s->window);
        ok = plot_lines(path, title, "row", s->column, ps, 3);
    }
    free(x); free(actual); free(fit); free(fc); free(pred);
    return ok;
}
