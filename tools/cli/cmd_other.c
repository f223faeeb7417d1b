/* recur evaluate, predict, summary, info, bench. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arrays.h"
#include "cli.h"

static bool load_with_data(cli_args *a, recur_model **m, data_spec *s, dataset *train,
                           dataset *test, const char **out_path)
{
    const char *load = NULL, *data = NULL, *test_path = NULL;
    if (!arg_str(a, "load", &load) || !arg_str(a, "data", &data) ||
        !arg_str(a, "test", &test_path) || (out_path && !arg_str(a, "out", out_path)))
        return false;
    if (!load || !data)
        return cli_error("--load MODEL and --data FILE are required"), false;
    if (out_path && !*out_path)
        return cli_error("--out FILE is required"), false;
    if (!args_all_used(a))
        return false;
    if (recur_model_load(load, m) != RECUR_OK)
        return cli_error("%s", recur_last_error()), false;
    if (!data_spec_from_text(recur_model_metadata(*m), s) ||
        !dataset_load(s, data, test_path, false, train, test)) {
        data_spec_free(s);
        recur_model_free(*m);
        return false;
    }
    return true;
}

/* evaluate --x X.npy --y Y.npy, predict --x X.npy --out FILE: every sample of the arrays. */
static int arrays_command(cli_args *a, bool predict)
{
    const char *load = NULL, *x = NULL, *y = NULL, *out = NULL;
    if (!arg_str(a, "load", &load) || !arg_str(a, "x", &x) ||
        (!predict && !arg_str(a, "y", &y)) || (predict && !arg_str(a, "out", &out)) ||
        !args_all_used(a))
        return 1;
    if (!load)
        return cli_error("--load MODEL is required");
    if (!predict && !y)
        return cli_error("evaluate: --x needs --y Y.npy (the targets)");
    if (predict && !out)
        return cli_error("predict: --out FILE.npy|FILE.csv is required");
    recur_model *m;
    if (recur_model_load(load, &m) != RECUR_OK)
        return cli_error("%s", recur_last_error());
    arrays d;
    int rc = 1;
    if (arrays_open(x, y, 0.0, &d)) {
        if (arrays_check_model(&m, &d, x, y))
            rc = predict ? arrays_predict(m, &d, out) : arrays_report(m, &d, 0, d.n, "evaluate");
        arrays_close(&d);
    }
    recur_model_free(m);
    return rc;
}

int cmd_evaluate(cli_args *a)
{
    recur_model *m;
    data_spec s;
    dataset train, test;
    const char *x = NULL;
    if (!arg_str(a, "x", &x))
        return 1;
    if (x)
        return arrays_command(a, false);
    if (!load_with_data(a, &m, &s, &train, &test, NULL))
        return 1;
    int rc = test.n ? report_test(m, &s, &train, &test) : report_test(m, &s, NULL, &train);
    dataset_free(&train);
    dataset_free(&test);
    data_spec_free(&s);
    recur_model_free(m);
    return rc;
}

int cmd_predict(cli_args *a)
{
    recur_model *m;
    data_spec s;
    dataset train, test;
    const char *out = NULL;
    const char *x = NULL;
    if (!arg_str(a, "x", &x))
        return 1;
    if (x)
        return arrays_command(a, true);
    if (!load_with_data(a, &m, &s, &train, &test, &out))
        return 1;
    int rc = 1, steps, units;
    recur_model_output_shape(m, &steps, &units);
    atomic_file af = { 0 };   /* aborted on any failure below: no partial file survives */
    recur_model *scored = s.task == TASK_NEXT_TOKEN ? NULL : independent_copy(m, s.timesteps);
    if (scored == NULL) {
        if (s.task == TASK_NEXT_TOKEN)
            cli_error("predict: a next-token model writes text: use recur generate");
        goto out;
    }
    for (int part = 0; part < 2; part++) {
        dataset *d = part ? &test : &train;
        float *pred = malloc(sizeof(float) * (size_t)(d->n ? d->n : 1) * units);
        if (d->n && recur_model_predict(scored, d->x, d->n, pred) != RECUR_OK) {
            free(pred);
            cli_error("predict: %s", recur_last_error());
            goto out;
        }
        if (part == 0 && !atomic_open(&af, out)) {
            free(pred);
            goto out;
        }
        if (part == 0)
            fprintf(af.f, s.task == TASK_FORECAST ? "part,row,actual,predicted\n"
                                                  : "part,index,label,predicted_class,score\n");
        for (int i = 0; i < d->n; i++) {
            const char *name = part ? "test" : "train";
            if (s.task == TASK_FORECAST) {
                fprintf(af.f, "%s,%d,%.9g,%.9g\n", name, d->row[i] + 1, d->raw_y[i],
                        unscale(&s, pred[i]));
            } else {
                const float *p = pred + (size_t)i * units;
                int best = 0;
                for (int k = 1; k < units; k++)
                    best = p[k] > p[best] ? k : best;
                int cls = units == 1 ? p[0] > 0.5f : best;
                fprintf(af.f, "%s,%d,%d,%d,%.6g\n", name, i, (int)d->y[i], cls,
                        units == 1 ? p[0] : p[best]);
            }
        }
        free(pred);
    }
    if (atomic_commit(&af)) {
        printf("wrote %s (%d rows)\n", out, train.n + test.n);
        rc = 0;
    }
out:
    if (rc != 0)
        atomic_abort(&af);
    recur_model_free(scored);
    dataset_free(&train);
    dataset_free(&test);
    data_spec_free(&s);
    recur_model_free(m);
    return rc;
}

int cmd_summary(cli_args *a)
{
    const char *load = NULL, *spec = NULL, *input = NULL;
    int vocab = 0;
    if (!arg_str(a, "load", &load) || !arg_str(a, "model", &spec) || !arg_str(a, "input", &input) ||
        !arg_int(a, "vocab-size", 3, 1 << 24, &vocab) || !args_all_used(a))
        return 1;
    recur_model *m = NULL;
    if (load) {
        if (recur_model_load(load, &m) != RECUR_OK)
            return cli_error("%s", recur_last_error());
    } else if (spec) {
        int T = 0, F = 0;
        if (!input || sscanf(input, "%d,%d", &T, &F) != 2 || T < 1 || F < 1)
            return cli_error("summary: --model SPEC needs --input T,F (e.g. --input 100,1)");
        if (!model_from_spec(spec, T, F, vocab, &m))
            return 1;
    } else {
        return cli_error("summary: give --load MODEL or --model SPEC --input T,F");
    }
    static char buf[1 << 18];   /* 64 layers of three-line rows fit */
    if (recur_model_summary(m, buf, sizeof buf) != RECUR_OK) {
        recur_model_free(m);
        return cli_error("%s", recur_last_error());
    }
    fputs(buf, stdout);
    recur_model_free(m);
    return 0;
}

int cmd_info(cli_args *a)
{
    if (!args_all_used(a))
        return 1;
    printf("recur %s\n", recur_version());
    printf("cpu features: %s\n", recur_cpu_features());
    printf("ISAs here:");
    for (int i = 0; i < RECUR_ISA_COUNT; i++)
        if (recur_isa_supported((recur_isa)i))
            printf(" %s", recur_isa_to_name((recur_isa)i));
    recur_isa isa;
    if (recur_isa_active(&isa) != RECUR_OK) {
        printf("\n");
        return cli_error("%s", recur_last_error());
    }
    printf("\nactive ISA: %s (override with RECUR_ISA=scalar|avx2|avx512|neon)\n", recur_isa_name());
    printf("threads: %d (OMP_NUM_THREADS, or --threads on fit)\n", omp_get_max_threads());
    printf("mpi: %s\n", cli_dist_description());
    return 0;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int cmd_bench(cli_args *a)
{
    const char *cell_s = "lstm";
    int B = 32, T = 100, F = 1, H = 50, threads = 0, iters = 20;
    if (!arg_str(a, "cell", &cell_s) || !arg_int(a, "batch", 1, 1 << 16, &B) ||
        !arg_int(a, "steps", 1, 1 << 16, &T) || !arg_int(a, "features", 1, 1 << 16, &F) ||
        !arg_int(a, "units", 1, 1 << 14, &H) || !arg_int(a, "threads", 0, 1024, &threads) ||
        !arg_int(a, "iters", 1, 1000000, &iters) || !args_all_used(a))
        return 1;
    recur_cell cell = strcmp(cell_s, "lstm") == 0 ? RECUR_LSTM
                      : strcmp(cell_s, "gru") == 0 ? RECUR_GRU
                      : strcmp(cell_s, "rnn") == 0 ? RECUR_SIMPLE_RNN : 0;
    if (!cell)
        return cli_error("--cell must be lstm, gru or rnn");
    recur_rnn_config cfg = { .cell = cell, .input_size = F, .units = H };
    recur_rnn *r;
    if (recur_rnn_create(&cfg, &r) != RECUR_OK)
        return cli_error("%s", recur_last_error());
    size_t nk, nu, nb;
    recur_rnn_weight_counts(r, &nk, &nu, &nb);
    float *w = calloc(nk + nu + nb + 1, sizeof(float));
    float *x = calloc((size_t)B * T * F, sizeof(float)), *y = calloc((size_t)B * T * H, sizeof(float));
    float *dx = calloc((size_t)B * T * F, sizeof(float));
    if (!w || !x || !y || !dx) {
        free(w); free(x); free(y); free(dx);
        recur_rnn_free(r);
        return cli_error("bench: out of memory");
    }
    for (size_t i = 0; i < nk + nu + nb; i++)
        w[i] = 0.01f * (float)((i * 7) % 13) - 0.06f;
    for (size_t i = 0; i < (size_t)B * T * F; i++)
        x[i] = 0.1f * (float)(i % 11) - 0.5f;
    recur_rnn_set_weights(r, w, w + nk, nb ? w + nk + nu : NULL);
    if (threads)
        recur_rnn_set_num_threads(r, threads);
    recur_rnn_reserve(r, B, T);
    int G = cell == RECUR_LSTM ? 4 : cell == RECUR_GRU ? 3 : 1;
    double flops = 2.0 * B * T * G * H * (double)(F + H);
    double best_f = 1e30, best_t = 1e30;
    for (int i = 0; i < iters; i++) {
        double t0 = seconds();
        recur_rnn_forward(r, B, T, x, NULL, NULL, y, NULL, NULL);
        double t1 = seconds();
        recur_rnn_backward(r, y, NULL, NULL, dx, NULL, NULL);
        double t2 = seconds();
        best_f = t1 - t0 < best_f ? t1 - t0 : best_f;
        best_t = t2 - t0 < best_t ? t2 - t0 : best_t;
    }
    printf("cell=%s B=%d T=%d F=%d H=%d isa=%s threads=%d\n", cell_s, B, T, F, H,
           recur_isa_name(), threads ? threads : omp_get_max_threads());
    printf("forward        %9.3f ms  %8.1f GFLOP/s  %10.0f cell-steps/s\n", best_f * 1e3,
           flops / best_f * 1e-9, B * T / best_f);
    printf("training step  %9.3f ms  %8.1f GFLOP/s  %10.0f cell-steps/s\n", best_t * 1e3,
           3 * flops / best_t * 1e-9, B * T / best_t);
    printf("(best of %d; the full suite is build/benchmarks/bench_rnn)\n", iters);
    free(w); free(x); free(y); free(dx);
    recur_rnn_free(r);
    return 0;
}
