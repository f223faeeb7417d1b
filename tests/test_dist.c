/* Data-parallel fit and evaluate over MPI (recur/dist.h), run under mpirun with 2 and 3
 * ranks. Every rank also trains a copy alone on the whole data: the shared run must give
 * its weights within 1e-5 (only the order of the sums differs), bit-identical weights on
 * every rank, and the same losses and metrics. Its helpers are its own, not test_util's:
 * it links the shared library librecur_mpi runs on, where test_util brings the static one,
 * and two copies of recur in one process would keep two last-error messages. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <recur/dist.h>

#define N 103            /* 103 = 3 batches of 32 and one of 7: uneven shares at 2 and 3 ranks */
#define T 6
#define MAX_W 4096

static int rank, size;

static uint64_t next(uint64_t *s)   /* xorshift64*: the same data on every rank */
{
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}
static float uniform(uint64_t *s) { return (float)((next(s) >> 40) * (1.0 / 16777216.0)); }

typedef enum { STACKED, MASKED, DROPOUT } kind;

/* Three models that each stress a part of the sum: plain, masks (each share's loss averages
 * over another count of real steps) and dropout (each share draws its rows' masks). */
static recur_model *build(kind k, unsigned long long seed, int units)
{
    recur_model *m;
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE,
                             .metrics = RECUR_METRIC_MAE };
    if (k == MASKED) {
        assert_int_equal(recur_model_create(T, 1, &m), RECUR_OK);
        assert_int_equal(recur_model_add_embedding(m, 9, 4, true), RECUR_OK);
        recur_rnn_opts seq = { .return_sequences = true };
        assert_int_equal(recur_model_add_gru(m, units, &seq), RECUR_OK);
        assert_int_equal(recur_model_add_lstm(m, 5, NULL), RECUR_OK);
        assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_SIGMOID), RECUR_OK);
        c = (recur_compile_opts){ .optimizer = RECUR_RMSPROP,
                                  .loss = RECUR_LOSS_BINARY_CROSSENTROPY,
                                  .metrics = RECUR_METRIC_ACCURACY };
    } else {
        assert_int_equal(recur_model_create(T, 3, &m), RECUR_OK);
        recur_rnn_opts seq = { .return_sequences = true };
        if (k == DROPOUT)
            seq.dropout = 0.2f, seq.recurrent_dropout = 0.3f;
        assert_int_equal(recur_model_add_gru(m, units, &seq), RECUR_OK);
        if (k == DROPOUT)
            assert_int_equal(recur_model_add_dropout(m, 0.25f), RECUR_OK);
        assert_int_equal(recur_model_add_lstm(m, 5, NULL), RECUR_OK);
        assert_int_equal(recur_model_add_dense(m, 2, RECUR_ACT_DEFAULT), RECUR_OK);
    }
    assert_int_equal(recur_model_set_seed(m, seed), RECUR_OK);
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    return m;
}

static void data(kind k, float *x, float *y)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    if (k == MASKED) {   /* token ids, padded in front to 1..T real steps */
        for (int i = 0; i < N; i++) {
            const int real = 1 + (int)(next(&s) % T);
            for (int t = 0; t < T; t++)
                x[i * T + t] = t < T - real ? 0.0f : (float)(1 + next(&s) % 8);
            y[i] = (float)(next(&s) & 1);
        }
        return;
    }
    for (int i = 0; i < N * T * 3; i++)
        x[i] = 2 * uniform(&s) - 1;
    for (int i = 0; i < N * 2; i++)
        y[i] = 2 * uniform(&s) - 1;
}

static size_t weights(const recur_model *m, float *out)
{
    size_t at = 0;
    for (int i = 0; i < recur_model_num_weights(m); i++) {
        int r, d[2];
        assert_int_equal(recur_model_weight_shape(m, i, &r, d), RECUR_OK);
        const size_t n = (size_t)d[0] * (size_t)(r == 2 ? d[1] : 1);
        assert_true(at + n <= MAX_W);
        assert_int_equal(recur_model_get_weight(m, i, out + at, n), RECUR_OK);
        at += n;
    }
    return at;
}

/* Every rank holds exactly rank 0's values. */
static void assert_same_on_every_rank(const void *p, size_t bytes)
{
    static unsigned char first[MAX_W * sizeof(float)];
    assert_true(bytes <= sizeof first);
    memcpy(first, p, bytes);
    MPI_Bcast(first, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    int same = memcmp(first, p, bytes) == 0;
    MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    assert_true(same);
}

static void assert_close(const float *a, const float *b, size_t n, double tol)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(a[i]));
        worst = fmax(worst, fabs((double)a[i] - b[i]));
    }
    if (worst > tol * scale)
        fail_msg("differ by %g, %g of the largest weight (tolerance %g)", worst, worst / scale,
                 tol);
}

/* Alone on every rank, then shared: the same weights, history and evaluate. */
static void check_equivalent(kind k, bool shuffle, float validation_split)
{
    static float x[N * T * 3], y[N * 2], alone_w[MAX_W], shared_w[MAX_W];
    data(k, x, y);
    recur_fit_opts o = { .epochs = 2, .batch_size = 32, .no_shuffle = !shuffle, .seed = 5,
                         .validation_split = validation_split };
    recur_model *alone = build(k, 1, 7), *shared = build(k, 1, 7);
    assert_int_equal(recur_model_fit(alone, x, y, N, &o), RECUR_OK);
    assert_int_equal(recur_model_set_comm(shared, MPI_COMM_WORLD), RECUR_OK);
    assert_int_equal(recur_model_fit(shared, x, y, N, &o), RECUR_OK);

    const size_t n = weights(alone, alone_w);
    assert_int_equal(weights(shared, shared_w), n);
    assert_close(alone_w, shared_w, n, 1e-5);
    assert_same_on_every_rank(shared_w, n * sizeof(float));
    for (int e = 0; e < 2; e++) {
        recur_epoch_log a, s;
        recur_model_history(alone, e, &a);
        recur_model_history(shared, e, &s);
        assert_float_equal(a.loss, s.loss, 1e-5 * fabs(a.loss));
        assert_float_equal(a.metrics[0], s.metrics[0], 1e-5);
        if (validation_split > 0)
            assert_float_equal(a.val_loss, s.val_loss, 1e-5 * fabs(a.val_loss));
        float both[2] = { s.loss, s.val_loss };
        assert_same_on_every_rank(both, sizeof both);
    }
    float la, ls, ma[RECUR_MAX_METRICS], ms[RECUR_MAX_METRICS];
    assert_int_equal(recur_model_evaluate_in_batches(alone, x, y, N, 16, &la, ma), RECUR_OK);
    assert_int_equal(recur_model_evaluate_in_batches(shared, x, y, N, 16, &ls, ms), RECUR_OK);
    assert_float_equal(la, ls, 1e-5 * fabs(la));
    assert_float_equal(ma[0], ms[0], 1e-5);
    assert_same_on_every_rank(&ls, sizeof ls);
    recur_model_free(alone);
    recur_model_free(shared);
}

static void test_stacked(void **state) { (void)state; check_equivalent(STACKED, false, 0); }
static void test_stacked_shuffled_validation(void **state)
{
    (void)state;
    check_equivalent(STACKED, true, 0.25f);
}
static void test_masked(void **state) { (void)state; check_equivalent(MASKED, false, 0); }
static void test_dropout(void **state) { (void)state; check_equivalent(DROPOUT, true, 0); }

/* Ranks that start from other weights all continue from rank 0's. */
static void test_starts_from_rank0(void **state)
{
    (void)state;
    static float x[N * T * 3], y[N * 2], a[MAX_W], b[MAX_W];
    data(STACKED, x, y);
    recur_fit_opts o = { .epochs = 1, .batch_size = 32, .no_shuffle = true };
    recur_model *alone = build(STACKED, 1, 7), *shared = build(STACKED, 1 + (unsigned)rank, 7);
    assert_int_equal(recur_model_set_comm(shared, MPI_COMM_WORLD), RECUR_OK);
    assert_int_equal(recur_model_fit(alone, x, y, N, &o), RECUR_OK);
    assert_int_equal(recur_model_fit(shared, x, y, N, &o), RECUR_OK);
    const size_t n = weights(alone, a);
    weights(shared, b);
    assert_close(a, b, n, 1e-5);
    recur_model_free(alone);
    recur_model_free(shared);
}

static void expect_fit_error(recur_model *m, const float *x, const float *y, int n,
                             const char *needle)
{
    recur_fit_opts o = { .epochs = 1, .batch_size = 32 };
    assert_int_not_equal(recur_model_fit(m, x, y, n, &o), RECUR_OK);
    if (strstr(recur_last_error(), needle) == NULL)
        fail_msg("message '%s' lacks '%s'", recur_last_error(), needle);
}

/* A mismatch is an error on every rank, never a hang. */
static void test_mismatch(void **state)
{
    (void)state;
    static float x[N * T * 3], y[N * 2];
    data(STACKED, x, y);
    recur_model *m = build(STACKED, 1, rank == size - 1 ? 8 : 7);
    assert_int_equal(recur_model_set_comm(m, MPI_COMM_WORLD), RECUR_OK);
    expect_fit_error(m, x, y, N, "have another model");
    recur_model_free(m);

    m = build(STACKED, 1, 7);
    assert_int_equal(recur_model_set_comm(m, MPI_COMM_WORLD), RECUR_OK);
    expect_fit_error(m, x, y, rank == size - 1 ? N - 1 : N, "other data shapes or options");
    float loss;
    assert_int_not_equal(recur_model_evaluate(m, x, y, rank == 0 ? N : N - 2, &loss, NULL),
                         RECUR_OK);
    recur_model_free(m);
}

/* A stop flag or an epoch callback that asks one rank to stop stops every rank at the same
 * batch or epoch: identical weights, no rank left waiting. */
static void stop_on_last_rank(int epoch, int batch, float loss, void *user)
{
    (void)loss;
    if (rank == size - 1 && epoch == 0 && batch == 1)
        *(volatile int *)user = 1;
}

static int end_on_rank0(const recur_epoch_log *log, void *user)
{
    (void)log, (void)user;
    return rank == 0;
}

static void test_one_rank_stops_all(void **state)
{
    (void)state;
    static float x[N * T * 3], y[N * 2], w[MAX_W];
    data(STACKED, x, y);
    volatile int stop = 0;
    recur_model *m = build(STACKED, 1, 7);
    assert_int_equal(recur_model_set_comm(m, MPI_COMM_WORLD), RECUR_OK);
    recur_fit_opts o = { .epochs = 3, .batch_size = 16, .stop = &stop,
                         .on_batch = stop_on_last_rank, .user = (void *)&stop };
    assert_int_equal(recur_model_fit(m, x, y, N, &o), RECUR_OK);
    assert_int_equal(recur_model_history_length(m), 0);   /* stopped inside epoch 1 */
    assert_same_on_every_rank(w, weights(m, w) * sizeof(float));
    o = (recur_fit_opts){ .epochs = 3, .batch_size = 16, .on_epoch = end_on_rank0 };
    assert_int_equal(recur_model_fit(m, x, y, N, &o), RECUR_OK);
    assert_int_equal(recur_model_history_length(m), 1);
    assert_same_on_every_rank(w, weights(m, w) * sizeof(float));
    recur_model_free(m);
}

/* Each rank reads only its own rows: with one global batch and no shuffling, the rows of
 * the other ranks are made unreadable (PROT_NONE) and fit and evaluate still run. A bad
 * value in one rank's rows is every rank's error, naming the sample. */
static void test_reads_only_own_rows(void **state)
{
    (void)state;
    enum { ROWS = 10, TT = 8, FF = 128 };   /* a row of 1,024 floats: one 4 KiB page */
    const size_t row = (size_t)TT * FF * sizeof(float), page = (size_t)sysconf(_SC_PAGESIZE);
    if (row % page != 0)
        skip();
    float *x = mmap(NULL, ROWS * row, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(x != MAP_FAILED);
    float y[ROWS];
    uint64_t s = 7;
    for (size_t i = 0; i < ROWS * (size_t)TT * FF; i++)
        x[i] = uniform(&s) - 0.5f;
    for (int i = 0; i < ROWS; i++)
        y[i] = uniform(&s);
    recur_model *m;
    assert_int_equal(recur_model_create(TT, FF, &m), RECUR_OK);
    assert_int_equal(recur_model_add_lstm(m, 4, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_DEFAULT), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    assert_int_equal(recur_model_set_comm(m, MPI_COMM_WORLD), RECUR_OK);
    const int base = ROWS / size, extra = ROWS % size;
    const int first = rank * base + (rank < extra ? rank : extra);
    const int count = base + (rank < extra);
    if (first > 0)
        assert_int_equal(mprotect(x, (size_t)first * row, PROT_NONE), 0);
    if (first + count < ROWS)
        assert_int_equal(mprotect((char *)x + (size_t)(first + count) * row,
                                  (size_t)(ROWS - first - count) * row, PROT_NONE), 0);
    recur_fit_opts o = { .epochs = 2, .batch_size = ROWS, .no_shuffle = true };
    assert_int_equal(recur_model_fit(m, x, y, ROWS, &o), RECUR_OK);
    float loss;
    assert_int_equal(recur_model_evaluate_in_batches(m, x, y, ROWS, ROWS, &loss, NULL), RECUR_OK);
    assert_same_on_every_rank(&loss, sizeof loss);

    /* a NaN in the last rank's rows: its message on every rank */
    if (rank == size - 1)
        x[(size_t)(ROWS - 1) * TT * FF + 5] = NAN;
    expect_fit_error(m, x, y, ROWS, "non-finite value at sample 9, step 0, feature 5");
    assert_int_equal(recur_model_evaluate_in_batches(m, x, y, ROWS, ROWS, &loss, NULL),
                     RECUR_ERR_NUMERIC);
    recur_model_free(m);
    munmap(x, ROWS * row);
}

static void test_stateful_refused(void **state)
{
    (void)state;
    recur_model *m;
    assert_int_equal(recur_model_create(T, 3, &m), RECUR_OK);
    recur_rnn_opts st = { .stateful = true };
    assert_int_equal(recur_model_add_lstm(m, 4, &st), RECUR_OK);
    assert_int_equal(recur_model_set_comm(m, MPI_COMM_WORLD), RECUR_ERR_STATE);
    assert_non_null(strstr(recur_last_error(), "stateful"));
    assert_int_equal(recur_model_set_comm(m, MPI_COMM_NULL), RECUR_OK);
    recur_model_free(m);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stacked),
        cmocka_unit_test(test_stacked_shuffled_validation),
        cmocka_unit_test(test_masked),
        cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_starts_from_rank0),
        cmocka_unit_test(test_mismatch),
        cmocka_unit_test(test_one_rank_stops_all),
        cmocka_unit_test(test_reads_only_own_rows),
        cmocka_unit_test(test_stateful_refused),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* a rank that failed makes every rank fail, so mpirun's status says so */
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return failed != 0;
}
