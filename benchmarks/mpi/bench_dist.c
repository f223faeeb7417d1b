/* One epoch of fit, alone or as one of N ranks under mpirun (recur_model_set_comm), and the
 * allreduce of the model's gradient block on its own: what scripts/bench_scaling.py pairs
 * and docs/SCALING.md models.
 *   bench_dist --model m2|seed --batch B --samples N --threads T --rounds R
 * Rank 0 prints one JSON line: every round's epoch seconds (the slowest rank's), and the
 * median time of an MPI_Allreduce of the gradients' floats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <recur/dist.h>

typedef struct {
    const char *model;
    int batch, samples, threads, rounds;
} bench_args;

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* M2: LSTM(512) on 50×512 → Dense(1), mse. seed: the tutorial's LSTM(50, relu) on 100×1 →
 * Dense(1, sigmoid), binary cross-entropy. */
static recur_model *build(const char *name, int *T, int *F)
{
    const int m2 = strcmp(name, "m2") == 0;
    *T = m2 ? 50 : 100, *F = m2 ? 512 : 1;
    recur_model *m;
    recur_rnn_opts relu = { .activation = RECUR_ACT_RELU };
    recur_compile_opts c = { .optimizer = RECUR_ADAM,
                             .loss = m2 ? RECUR_LOSS_MSE : RECUR_LOSS_BINARY_CROSSENTROPY };
    if (recur_model_create(*T, *F, &m) != RECUR_OK ||
        recur_model_add_lstm(m, m2 ? 512 : 50, m2 ? NULL : &relu) != RECUR_OK ||
        recur_model_add_dense(m, 1, m2 ? RECUR_ACT_DEFAULT : RECUR_ACT_SIGMOID) != RECUR_OK ||
        recur_model_compile(m, &c) != RECUR_OK) {
        fprintf(stderr, "bench_dist: %s\n", recur_last_error());
        return NULL;
    }
    return m;
}

static bool parse(int argc, char **argv, bench_args *a)
{
    *a = (bench_args){ "m2", 64, 1024, 1, 5 };
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0) a->model = argv[i + 1];
        else if (strcmp(argv[i], "--batch") == 0) a->batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--samples") == 0) a->samples = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0) a->threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0) a->rounds = atoi(argv[i + 1]);
        else return false;
    }
    return a->batch > 0 && a->samples > 0 && a->threads > 0 && a->rounds > 0 && a->rounds <= 100;
}

/* The median of 20 allreduces of n floats, in milliseconds. */
static double allreduce_ms(size_t n)
{
    float *g = calloc(n, sizeof(float));
    double t[20];
    for (int r = 0; r < 20; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        const double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, g, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        t[r] = 1e3 * (MPI_Wtime() - t0);
    }
    free(g);
    return median(t, 20);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    bench_args a;
    int T = 0, F = 0;
    recur_model *m = parse(argc, argv, &a) ? build(a.model, &T, &F) : NULL;
    if (m == NULL) {
        if (rank == 0)
            fprintf(stderr, "usage: bench_dist --model m2|seed --batch B --samples N "
                            "--threads T --rounds R\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    recur_model_set_num_threads(m, a.threads);
    if (size > 1 && recur_model_set_comm(m, MPI_COMM_WORLD) != RECUR_OK) {
        fprintf(stderr, "bench_dist: %s\n", recur_last_error());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    const size_t nx = (size_t)a.samples * T * F;
    float *x = malloc(nx * sizeof(float)), *y = malloc((size_t)a.samples * sizeof(float));
    unsigned s = 12345;
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
    for (int i = 0; i < a.samples; i++)
        y[i] = (float)(i % 2);
    recur_fit_opts o = { .epochs = 1, .batch_size = a.batch, .seed = 1 };
    double epoch[100];
    for (int r = -1; r < a.rounds; r++) {   /* round -1 warms up */
        MPI_Barrier(MPI_COMM_WORLD);
        const double t0 = MPI_Wtime();
        if (recur_model_fit(m, x, y, a.samples, &o) != RECUR_OK) {
            fprintf(stderr, "bench_dist: %s\n", recur_last_error());
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        double dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (r >= 0)
            epoch[r] = dt;
    }
    size_t grads = 0;
    for (int i = 0; i < recur_model_num_weights(m); i++) {
        int rk, d[2];
        recur_model_weight_shape(m, i, &rk, d);
        grads += (size_t)d[0] * (size_t)(rk == 2 ? d[1] : 1);
    }
    const double ar = size > 1 ? allreduce_ms(grads) : 0.0;
    if (rank == 0) {
        printf("{\"model\": \"%s\", \"batch\": %d, \"samples\": %d, \"procs\": %d, "
               "\"threads\": %d, \"steps\": %d, \"grad_floats\": %zu, \"allreduce_ms\": %.4f, "
               "\"epoch_s\": [", a.model, a.batch, a.samples, size, a.threads,
               (a.samples + a.batch - 1) / a.batch, grads, ar);
        for (int r = 0; r < a.rounds; r++)
            printf("%s%.5f", r ? ", " : "", epoch[r]);
        printf("], \"median_s\": %.5f}\n", median(epoch, a.rounds));
    }
    free(x);
    free(y);
    recur_model_free(m);
    MPI_Finalize();
    return 0;
}
