/* The Sequential model: training trajectories against PyTorch float64 with Keras's rules
 * (tools/gen_model_reference.py), the seed models learning, a gradient check through a
 * whole stack, Keras initializers, determinism, and bad input. Its files:
 * test_model_files.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/internal.h"
#include "test_util.h"

static int quick(void) { return getenv("RECUR_TEST_QUICK") != NULL; }

/* ---- reference trajectories -------------------------------------------------------------- */

#define MAX_ARR 32
typedef struct {
    char name[64], spec[256], opt[16], loss[16];
    int T, F, n, batch, epochs, nesterov;
    float lr, momentum, clipnorm, clipvalue, global_clipnorm;
    int n_arrays;
    char names[MAX_ARR][64];
    size_t counts[MAX_ARR];
    double *values[MAX_ARR];
} traj;

static int read_traj(FILE *fp, traj *t)
{
    char word[64];
    memset(t, 0, sizeof *t);
    while (fscanf(fp, "%63s", word) == 1) {
        if (word[0] == '#') {
            int ch;
            while ((ch = fgetc(fp)) != '\n' && ch != EOF) {
            }
        } else if (strcmp(word, "model") == 0) {
            assert_int_equal(fscanf(fp, "%63s", t->name), 1);
        } else if (strcmp(word, "config") == 0) {
            assert_int_equal(fscanf(fp, "%d %d %d %d %d %255s %15s %15s %f %f %d %f %f %f", &t->T,
                                    &t->F, &t->n, &t->batch, &t->epochs, t->spec, t->opt, t->loss,
                                    &t->lr, &t->momentum, &t->nesterov, &t->clipnorm,
                                    &t->clipvalue, &t->global_clipnorm), 14);
        } else if (strcmp(word, "end") == 0) {
            return 1;
        } else {
            int i = t->n_arrays++;
            assert_true(i < MAX_ARR);
            snprintf(t->names[i], sizeof t->names[i], "%s", word);
            assert_int_equal(fscanf(fp, "%zu", &t->counts[i]), 1);
            t->values[i] = malloc(sizeof(double) * (t->counts[i] ? t->counts[i] : 1));
            for (size_t k = 0; k < t->counts[i]; k++)
                assert_int_equal(fscanf(fp, "%lf", &t->values[i][k]), 1);
        }
    }
    return 0;
}

static const double *tarr(const traj *t, const char *name, size_t *n)
{
    for (int i = 0; i < t->n_arrays; i++)
        if (strcmp(t->names[i], name) == 0) {
            *n = t->counts[i];
            return t->values[i];
        }
    fail_msg("%s: no array %s", t->name, name);
    return NULL;
}

static float *tfloat(const traj *t, const char *name, size_t *n)
{
    const double *v = tarr(t, name, n);
    float *f = malloc(sizeof(float) * (*n ? *n : 1));
    for (size_t i = 0; i < *n; i++)
        f[i] = (float)v[i];
    return f;
}

/* "lstm:8:default:0,dense:1:linear:0" → layers */
static recur_model *build(const char *spec, int T, int F)
{
    recur_model *m;
    assert_int_equal(recur_model_create(T, F, &m), RECUR_OK);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char kind[16], act[16];
        int units, rs;
        assert_int_equal(sscanf(tok, "%15[^:]:%d:%15[^:]:%d", kind, &units, act, &rs), 4);
        recur_activation a = strcmp(act, "relu") == 0 ? RECUR_ACT_RELU
                             : strcmp(act, "sigmoid") == 0 ? RECUR_ACT_SIGMOID
                             : strcmp(act, "softmax") == 0 ? RECUR_ACT_SOFTMAX
                             : strcmp(act, "linear") == 0 ? RECUR_ACT_LINEAR : RECUR_ACT_DEFAULT;
        recur_rnn_opts o = { .activation = a, .return_sequences = rs };
        recur_status s = strcmp(kind, "dense") == 0 ? recur_model_add_dense(m, units, a)
                         : strcmp(kind, "lstm") == 0 ? recur_model_add_lstm(m, units, &o)
                         : strcmp(kind, "gru") == 0 ? recur_model_add_gru(m, units, &o)
                                                    : recur_model_add_simple_rnn(m, units, &o);
        assert_int_equal(s, RECUR_OK);
    }
    return m;
}

typedef struct { float losses[64]; int n; } batch_losses;
static void record_loss(int epoch, int batch, float loss, void *user)
{
    (void)epoch; (void)batch;
    batch_losses *b = user;
    if (b->n < 64)
        b->losses[b->n++] = loss;
}

static double worst_rel;
static void close_rel(const char *what, const char *name, int i, double got, double want,
                      double rel)
{
    double e = fabs(got - want) / fmax(fabs(want), 1e-2);
    worst_rel = fmax(worst_rel, e);
    if (!(e <= rel))
        fail_msg("%s %s[%d] = %.8g, reference %.8g (relative error %.2e)", name, what, i, got,
                 want, e);
}

static void test_reference_trajectories(void **state)
{
    (void)state;
    FILE *fp = fopen(RECUR_TEST_DATA_DIR "/model_reference.txt", "r");
    assert_non_null(fp);
    traj t;
    int models = 0;
    while (read_traj(fp, &t)) {
        recur_model *m = build(t.spec, t.T, t.F);
        recur_compile_opts c = {
            .optimizer = strcmp(t.opt, "adam") == 0 ? RECUR_ADAM
                         : strcmp(t.opt, "sgd") == 0 ? RECUR_SGD : RECUR_RMSPROP,
            .loss = strcmp(t.loss, "mse") == 0 ? RECUR_LOSS_MSE
                    : strcmp(t.loss, "bce") == 0 ? RECUR_LOSS_BINARY_CROSSENTROPY
                                                 : RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
            .learning_rate = t.lr, .momentum = t.momentum, .nesterov = t.nesterov,
            .clipnorm = t.clipnorm, .clipvalue = t.clipvalue, .global_clipnorm = t.global_clipnorm };
        assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
        for (int w = 0; w < recur_model_num_weights(m); w++) {
            char nm[16];
            size_t n = 0;
            snprintf(nm, sizeof nm, "w0_%d", w);
            float *v = tfloat(&t, nm, &n);
            assert_int_equal(recur_model_set_weight(m, w, v, n), RECUR_OK);
            free(v);
        }
        size_t nx = 0, ny = 0, nl = 0;
        float *x = tfloat(&t, "x", &nx), *y = tfloat(&t, "y", &ny);
        batch_losses bl = { .n = 0 };
        recur_fit_opts f = { .epochs = t.epochs, .batch_size = t.batch, .no_shuffle = true,
                             .on_batch = record_loss, .user = &bl };
        assert_int_equal(recur_model_fit(m, x, y, t.n, &f), RECUR_OK);
        const double *want = tarr(&t, "losses", &nl);
        assert_int_equal(bl.n, (int)nl);
        for (int i = 0; i < bl.n; i++)
            close_rel("batch loss", t.name, i, bl.losses[i], want[i], 1e-4);
        for (int w = 0; w < recur_model_num_weights(m); w++) {
            char nm[16];
            size_t n = 0;
            snprintf(nm, sizeof nm, "w_%d", w);
            const double *ref = tarr(&t, nm, &n);
            float *got = malloc(sizeof(float) * n);
            assert_int_equal(recur_model_get_weight(m, w, got, n), RECUR_OK);
            for (size_t i = 0; i < n; i++)
                close_rel(nm, t.name, (int)i, got[i], ref[i], 1e-3);
            free(got);
        }
        free(x);
        free(y);
        for (int i = 0; i < t.n_arrays; i++)
            free(t.values[i]);
        recur_model_free(m);
        models++;
    }
    fclose(fp);
    assert_int_equal(models, 3);
    printf("3 trajectories match PyTorch float64; worst relative error %.2e\n", worst_rel);
}

/* ---- the seed models learn ----------------------------------------------------------------- */

/* Binary sequences: class 1 is a slow sine, class 0 a fast one, both noisy, random phase. */
static void make_binary_task(int n, int T, float *x, float *y, uint64_t seed)
{
    test_rng r = { seed };
    for (int i = 0; i < n; i++) {
        int cls = (int)(rng_next(&r) & 1);
        float freq = cls ? 0.15f : 0.45f, phase = rng_uniform(&r, 0, 6.28f);
        for (int t = 0; t < T; t++)
            x[(size_t)i * T + t] = sinf(freq * t + phase) + rng_uniform(&r, -0.3f, 0.3f);
        y[i] = (float)cls;
    }
}

/* Stop once the training accuracy is high: the callback interface at work. */
static int stop_when_learned(const recur_epoch_log *log, void *user)
{
    (void)user;
    return log->n_metrics == 1 && log->metrics[0] >= 0.97f;
}

static float binary_accuracy_after_training(recur_model *m, int T, int epochs)
{
    const int n = quick() ? 256 : 768, nt = 256;
    float *x = malloc(sizeof(float) * (size_t)(n + nt) * T), *y = malloc(sizeof(float) * (n + nt));
    make_binary_task(n + nt, T, x, y, 42);
    /* clipnorm: ReLU recurrences over 100 steps explode now and then without it (loss
     * jumping from 0.3 to 10²–10³ within an epoch), in Keras as here */
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_BINARY_CROSSENTROPY,
                             .metrics = RECUR_METRIC_ACCURACY, .clipnorm = 1.0f };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    recur_fit_opts f = { .epochs = epochs, .batch_size = 32, .seed = 7,
                         .on_epoch = stop_when_learned, .verbose = getenv("RECUR_TEST_VERBOSE") ? 2 : 0 };
    assert_int_equal(recur_model_fit(m, x, y, n, &f), RECUR_OK);
    float loss, acc;
    assert_int_equal(recur_model_evaluate(m, x + (size_t)n * T, y + n, nt, &loss, &acc), RECUR_OK);
    free(x);
    free(y);
    return acc;
}

static void test_seed_models_learn(void **state)
{
    (void)state;
    const int T = quick() ? 40 : 100;
    recur_rnn_opts relu = { .activation = RECUR_ACT_RELU }, seq = { .return_sequences = true };
    struct { const char *name; int kind; } models[] = { { "LSTM(50, relu)", 0 },
                                                       { "LSTM(50, seq) → LSTM(50)", 1 },
                                                       { "GRU(50, relu)", 2 } };
    for (int i = 0; i < 3; i++) {
        recur_model *m;
        assert_int_equal(recur_model_create(T, 1, &m), RECUR_OK);
        if (models[i].kind == 0)
            assert_int_equal(recur_model_add_lstm(m, 50, &relu), RECUR_OK);
        if (models[i].kind == 1) {
            assert_int_equal(recur_model_add_lstm(m, 50, &seq), RECUR_OK);
            assert_int_equal(recur_model_add_lstm(m, 50, NULL), RECUR_OK);
        }
        if (models[i].kind == 2)
            assert_int_equal(recur_model_add_gru(m, 50, &relu), RECUR_OK);
        assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_SIGMOID), RECUR_OK);
        float acc = binary_accuracy_after_training(m, T, 15);
        printf("%-28s held-out accuracy %.3f (chance 0.5)\n", models[i].name, acc);
        if (!(acc >= 0.85f))
            fail_msg("%s reached only %.3f accuracy", models[i].name, acc);
        recur_model_free(m);
    }

    /* SimpleRNN(50, relu) → Dense(1), MSE: next value of a noisy sine from 10 steps; beats
     * predicting the mean (MSE = variance) and predicting the last value. */
    const int n = 2000, W = 10;
    float *series = malloc(sizeof(float) * (n + W + 1)), *x = malloc(sizeof(float) * n * W);
    float *y = malloc(sizeof(float) * n);
    test_rng r = { 9 };
    for (int i = 0; i < n + W + 1; i++)
        series[i] = sinf(0.3f * i) + 0.5f * sinf(0.11f * i) + rng_uniform(&r, -0.1f, 0.1f);
    for (int i = 0; i < n; i++) {
        memcpy(x + (size_t)i * W, series + i, sizeof(float) * W);
        y[i] = series[i + W];
    }
    recur_model *m;
    assert_int_equal(recur_model_create(W, 1, &m), RECUR_OK);
    recur_rnn_opts o = { .activation = RECUR_ACT_RELU };
    assert_int_equal(recur_model_add_simple_rnn(m, 50, &o), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_DEFAULT), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    recur_fit_opts f = { .epochs = quick() ? 5 : 10, .batch_size = 32, .validation_split = 0.2f };
    assert_int_equal(recur_model_fit(m, x, y, n, &f), RECUR_OK);
    recur_epoch_log last;
    assert_int_equal(recur_model_history(m, recur_model_history_length(m) - 1, &last), RECUR_OK);
    double mean = 0, var = 0, naive = 0;
    for (int i = 1600; i < n; i++)
        mean += y[i] / 400.0;
    for (int i = 1600; i < n; i++) {
        var += (y[i] - mean) * (y[i] - mean) / 400.0;
        naive += (y[i] - x[(size_t)i * W + W - 1]) * (y[i] - x[(size_t)i * W + W - 1]) / 400.0;
    }
    printf("SimpleRNN(50, relu) val MSE %.4f; predicting the mean %.4f, the last value %.4f\n",
           last.val_loss, var, naive);
    assert_true(last.val_loss < 0.5 * naive && last.val_loss < 0.1 * var);
    free(series); free(x); free(y);
    recur_model_free(m);
}

/* ---- gradient check through the whole model ----------------------------------------------- */

/* The loss in double precision (train_step reports it in float). */
static double fd_loss(recur_model *m, const float *x, const float *y, int n)
{
    double l;
    assert_int_equal(recur_model_forward_batch(m, x, n), RECUR_OK);
    assert_int_equal(recur_model_loss_and_grads(m, x, n, y, false, &l), RECUR_OK);
    return l;
}

/* Every element of every weight through a stack of LSTM, GRU and Dense under three losses:
 * central differences with h = 1e-3 against the train step's gradient. The forward runs in
 * float, so the loss carries a rounding noise of about 1e-7·|L|, magnified by 1/(2h) to
 * ~5e-5·|L| (|L| ≤ 2 here), and the truncation error (h² times the third derivative) is
 * ~1e-6: hence 2e-4 absolute plus 2e-2 relative, 4× the noise, far below the size of any
 * wrong term. */
static void test_model_gradcheck(void **state)
{
    (void)state;
    const recur_loss losses[] = { RECUR_LOSS_MSE, RECUR_LOSS_CATEGORICAL_CROSSENTROPY,
                                  RECUR_LOSS_HUBER };
    for (int li = 0; li < 3; li++) {
        recur_model *m;
        assert_int_equal(recur_model_create(5, 3, &m), RECUR_OK);
        recur_rnn_opts seq = { .return_sequences = true };
        assert_int_equal(recur_model_add_lstm(m, 6, &seq), RECUR_OK);
        assert_int_equal(recur_model_add_gru(m, 5, &seq), RECUR_OK);
        assert_int_equal(recur_model_add_dense(m, 4, li == 1 ? RECUR_ACT_SOFTMAX : RECUR_ACT_TANH),
                         RECUR_OK);
        recur_compile_opts c = { .optimizer = RECUR_SGD, .loss = losses[li] };
        assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
        const int n = 3;
        float x[3 * 5 * 3], y[3 * 5 * 4];
        test_rng r = { 11 + (uint64_t)li };
        rng_fill(&r, x, sizeof x / 4, -1, 1);
        rng_fill(&r, y, sizeof y / 4, li == 1 ? 0.0f : -1.0f, 1);
        if (li == 1)   /* rows of a distribution */
            for (int row = 0; row < 15; row++) {
                float s = 0;
                for (int j = 0; j < 4; j++) s += y[row * 4 + j];
                for (int j = 0; j < 4; j++) y[row * 4 + j] /= s;
            }
        assert_int_equal(recur_model_train_step(m, x, y, n, NULL), RECUR_OK);
        for (int w = 0; w < m->n_weights; w++) {
            const size_t nw = m->weights[w].n;
            float *g = malloc(sizeof(float) * nw), *v = malloc(sizeof(float) * nw);
            assert_int_equal(recur_model_get_gradient(m, w, g, nw), RECUR_OK);
            recur_model_get_weight(m, w, v, nw);
            for (size_t i = 0; i < nw; i++) {
                const float eps = 1e-3f, keep = v[i];
                v[i] = keep + eps;
                recur_model_set_weight(m, w, v, nw);
                double lp = fd_loss(m, x, y, n);
                v[i] = keep - eps;
                recur_model_set_weight(m, w, v, nw);
                double lm = fd_loss(m, x, y, n);
                v[i] = keep;
                recur_model_set_weight(m, w, v, nw);
                double fd = (lp - lm) / (2.0 * eps);
                if (!(fabs(g[i] - fd) <= 2e-4 + 2e-2 * fabs(fd)))
                    fail_msg("loss %d weight %d [%zu]: gradient %.6g, finite difference %.6g", li,
                             w, i, g[i], fd);
            }
            free(g);
            free(v);
        }
        recur_model_free(m);
    }
}

/* ---- initializers, determinism ------------------------------------------------------------- */

static void test_keras_initializers(void **state)
{
    (void)state;
    recur_model *m;
    assert_int_equal(recur_model_create(4, 10, &m), RECUR_OK);
    assert_int_equal(recur_model_add_lstm(m, 8, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 3, RECUR_ACT_DEFAULT), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    assert_int_equal(recur_model_num_weights(m), 5);
    float k[10 * 32], u[8 * 32], b[32], dk[8 * 3], db[3];
    assert_int_equal(recur_model_get_weight(m, 0, k, 320), RECUR_OK);
    assert_int_equal(recur_model_get_weight(m, 1, u, 256), RECUR_OK);
    assert_int_equal(recur_model_get_weight(m, 2, b, 32), RECUR_OK);
    assert_int_equal(recur_model_get_weight(m, 3, dk, 24), RECUR_OK);
    assert_int_equal(recur_model_get_weight(m, 4, db, 3), RECUR_OK);
    const float lim = sqrtf(6.0f / (10 + 32)), dlim = sqrtf(6.0f / (8 + 3));
    for (int i = 0; i < 320; i++)
        assert_true(fabsf(k[i]) <= lim);
    for (int i = 0; i < 24; i++)
        assert_true(fabsf(dk[i]) <= dlim);
    for (int i = 0; i < 8; i++)     /* recurrent kernel [8, 32]: orthonormal rows */
        for (int j = 0; j < 8; j++) {
            double d = 0;
            for (int p = 0; p < 32; p++)
                d += (double)u[i * 32 + p] * u[j * 32 + p];
            assert_true(fabs(d - (i == j)) < 1e-5);
        }
    for (int i = 0; i < 32; i++)    /* unit_forget_bias: f block ones, the rest zero */
        assert_true(b[i] == (i >= 8 && i < 16 ? 1.0f : 0.0f));
    for (int i = 0; i < 3; i++)
        assert_true(db[i] == 0.0f);
    int rank, dims[2];
    assert_int_equal(recur_model_weight_shape(m, 1, &rank, dims), RECUR_OK);
    assert_true(rank == 2 && dims[0] == 8 && dims[1] == 32);
    char sum[4096];
    assert_int_equal(recur_model_summary(m, sum, sizeof sum), RECUR_OK);
    assert_non_null(strstr(sum, "608"));    /* LSTM(8) on 10 features: 4·8·(10+8+1) */
    assert_non_null(strstr(sum, "Total params: 635"));
    recur_model_free(m);
}

/* Training on 1, 2, 8 and 16 threads (8 and 16 oversubscribed here, as many-core servers
 * run them) gives the same bits. */
static void test_deterministic(void **state)
{
    (void)state;
    static const int thread_counts[] = { 1, 2, 8, 16 };
    static float w[4][4096];
    size_t nw[4];
    for (int run = 0; run < 4; run++) {
        recur_model *m = test_small_model();
        recur_model_set_num_threads(m, thread_counts[run]);
        float x[50 * 18], y[50 * 2];
        test_small_data(17, x, y);
        recur_fit_opts f = { .epochs = 2, .batch_size = 16, .seed = 99 };
        assert_int_equal(recur_model_fit(m, x, y, 50, &f), RECUR_OK);
        nw[run] = test_model_weights(m, w[run], 4096);
        recur_model_free(m);
        assert_int_equal(nw[run], nw[0]);
        if (memcmp(w[0], w[run], sizeof(float) * nw[0]) != 0)   /* only what was written */
            fail_msg("weights after %d threads differ from 1 thread's", thread_counts[run]);
    }
}

/* Names given to the model and its layers show in the summary; bad names are refused. */
static void test_names(void **state)
{
    (void)state;
    recur_model *m = test_small_model();
    assert_int_equal(recur_model_set_name(m, -1, "my_model"), RECUR_OK);
    assert_int_equal(recur_model_set_name(m, 1, "lstm_7"), RECUR_OK);
    char buf[4096];
    assert_int_equal(recur_model_summary(m, buf, sizeof buf), RECUR_OK);
    assert_non_null(strstr(buf, "Model: \"my_model\""));
    assert_non_null(strstr(buf, "lstm_7 (LSTM)"));
    assert_non_null(strstr(buf, "gru (GRU)"));
    expect_error(recur_model_set_name(m, 3, "x"), RECUR_ERR_ARGUMENT, "out of range");
    expect_error(recur_model_set_name(m, 0, "a/b"), RECUR_ERR_ARGUMENT, "character");
    char longname[80];
    memset(longname, 'a', sizeof longname - 1);
    longname[79] = '\0';
    expect_error(recur_model_set_name(m, 0, longname), RECUR_ERR_ARGUMENT, "longer");
    assert_int_equal(recur_model_set_name(m, 1, ""), RECUR_OK);   /* back to the default */
    assert_int_equal(recur_model_summary(m, buf, sizeof buf), RECUR_OK);
    assert_non_null(strstr(buf, "lstm (LSTM)"));
    recur_model_free(m);
}

/* ---- bad input ------------------------------------------------------------------------------- */

static void test_bad_input(void **state)
{
    (void)state;
    recur_model *m;
    expect_error(recur_model_create(0, 3, &m), RECUR_ERR_ARGUMENT, "input shape");
    assert_int_equal(recur_model_create(4, 2, &m), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    expect_error(recur_model_compile(m, &c), RECUR_ERR_STATE, "no layers");
    assert_int_equal(recur_model_add_lstm(m, 3, NULL), RECUR_OK);
    expect_error(recur_model_add_gru(m, 3, NULL), RECUR_ERR_SHAPE, "return_sequences");
    expect_error(recur_model_add_dense(m, 0, RECUR_ACT_DEFAULT), RECUR_ERR_ARGUMENT, "units");
    expect_error(recur_model_add_dense(m, 2, (recur_activation)77), RECUR_ERR_ARGUMENT, "activation");
    recur_rnn_opts softmax_rnn = { .activation = RECUR_ACT_SOFTMAX };
    recur_model *m2;
    assert_int_equal(recur_model_create(4, 2, &m2), RECUR_OK);
    expect_error(recur_model_add_lstm(m2, 3, &softmax_rnn), RECUR_ERR_ARGUMENT, "activation");
    recur_model_free(m2);
    assert_int_equal(recur_model_add_dense(m, 2, RECUR_ACT_DEFAULT), RECUR_OK);
    float x[8 * 2] = { 0 }, y[2 * 2] = { 0 }, p[4];
    expect_error(recur_model_fit(m, x, y, 2, NULL), RECUR_ERR_STATE, "compile");
    expect_error(recur_model_predict(m, x, 2, p), RECUR_ERR_STATE, "compile");
    recur_compile_opts bad = { .optimizer = (recur_optimizer)9, .loss = RECUR_LOSS_MSE };
    expect_error(recur_model_compile(m, &bad), RECUR_ERR_ARGUMENT, "optimizer");
    bad = (recur_compile_opts){ .optimizer = RECUR_SGD, .loss = (recur_loss)0 };
    expect_error(recur_model_compile(m, &bad), RECUR_ERR_ARGUMENT, "loss");
    bad = (recur_compile_opts){ .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE, .clipnorm = 1,
                                .clipvalue = 1 };
    expect_error(recur_model_compile(m, &bad), RECUR_ERR_ARGUMENT, "only one");
    bad = (recur_compile_opts){ .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE,
                                .learning_rate = -1 };
    expect_error(recur_model_compile(m, &bad), RECUR_ERR_ARGUMENT, "finite");
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    expect_error(recur_model_add_dense(m, 2, RECUR_ACT_DEFAULT), RECUR_ERR_STATE, "compiled");
    expect_error(recur_model_fit(m, x, y, 0, NULL), RECUR_ERR_ARGUMENT, "n must be");
    expect_error(recur_model_fit(m, NULL, y, 2, NULL), RECUR_ERR_ARGUMENT, "x is NULL");
    x[5] = NAN;
    expect_error(recur_model_fit(m, x, y, 2, NULL), RECUR_ERR_NUMERIC, "sample 0, step 2, feature 1");
    x[5] = 0;
    y[3] = INFINITY;
    expect_error(recur_model_fit(m, x, y, 2, NULL), RECUR_ERR_NUMERIC, "y has");
    y[3] = 0;
    recur_fit_opts f = { .validation_split = 1.0f };
    expect_error(recur_model_fit(m, x, y, 2, &f), RECUR_ERR_ARGUMENT, "validation_split");
    f = (recur_fit_opts){ .verbose = 7 };
    expect_error(recur_model_fit(m, x, y, 2, &f), RECUR_ERR_ARGUMENT, "verbose");
    float w[24] = { 0 };   /* weight 0: the LSTM kernel [2, 12] */
    expect_error(recur_model_set_weight(m, 0, w, 5), RECUR_ERR_SHAPE, "values");
    expect_error(recur_model_set_weight(m, 99, w, 24), RECUR_ERR_ARGUMENT, "out of range");
    w[0] = NAN;
    expect_error(recur_model_set_weight(m, 0, w, 24), RECUR_ERR_NUMERIC, "finite");
    char small[8];
    expect_error(recur_model_summary(m, small, sizeof small), RECUR_ERR_ARGUMENT, "too small");
    recur_model_free(m);

    /* sparse labels must be class indices */
    assert_int_equal(recur_model_create(4, 2, &m), RECUR_OK);
    assert_int_equal(recur_model_add_gru(m, 3, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 3, RECUR_ACT_SOFTMAX), RECUR_OK);
    c.loss = RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    float labels[2] = { 1, 3 };
    expect_error(recur_model_fit(m, x, labels, 2, NULL), RECUR_ERR_ARGUMENT, "class index");
    labels[1] = 0.5f;
    expect_error(recur_model_fit(m, x, labels, 2, NULL), RECUR_ERR_ARGUMENT, "class index");
    labels[1] = 2;
    assert_int_equal(recur_model_fit(m, x, labels, 2, NULL), RECUR_OK);
    recur_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_trajectories),
        cmocka_unit_test(test_model_gradcheck),
        cmocka_unit_test(test_keras_initializers),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_seed_models_learn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
