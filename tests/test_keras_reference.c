/* Masked models against real Keras 3 (tools/gen_keras_reference.py → data/keras_reference.txt):
 * Embedding with mask_zero, Masking, every recurrent cell under post-, pre- and arbitrary
 * padding (go_backwards, zero_output_for_mask, with and without return_sequences), Dense on
 * masked sequences, both global poolings; predictions, evaluate's masked loss and metrics,
 * and training trajectories (each batch's loss, every weight after the steps, evaluate
 * after), Embedding's optimizer updates and clipping included; and the losses and metrics
 * on their other paths (MAE, Huber, the MSE metric, plain SGD, every cross-entropy after a
 * sigmoid or softmax, which start from its logits, and after other activations, from
 * probabilities).
 *
 * Tolerances: predictions and evaluate 2e-5 relative (absolute 1e-5 below 0.5): float32 on
 * both sides, summed in different orders; per-batch losses 1e-4 and weights after training
 * 1e-3 relative (absolute below 0.01), as the PyTorch trajectories in test_model.c (Adam
 * divides by √v, which magnifies a last-bit difference in a small gradient). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define MAX_ARRAYS 48

typedef struct {
    char name[64], spec[256], loss[16], opt[16], metric[16];
    int T, F, batch, epochs;
    int stateful;             /* the stateful protocol's batch (the generator's docstring) */
    float lr, momentum, clipnorm, global_clipnorm, clipvalue;
    bool train;
    int n;
    char names[MAX_ARRAYS][64];
    size_t counts[MAX_ARRAYS];
    double *values[MAX_ARRAYS];
} kcase;

static int read_case(FILE *fp, kcase *c)
{
    char word[64];
    memset(c, 0, sizeof *c);
    while (fscanf(fp, "%63s", word) == 1) {
        if (word[0] == '#') {
            for (int ch = fgetc(fp); ch != '\n' && ch != EOF; ch = fgetc(fp)) {
            }
        } else if (strcmp(word, "case") == 0) {
            assert_int_equal(fscanf(fp, "%63s", c->name), 1);
        } else if (strcmp(word, "spec") == 0) {
            assert_int_equal(fscanf(fp, "%255s", c->spec), 1);
        } else if (strcmp(word, "shape") == 0) {
            assert_int_equal(fscanf(fp, "%d %d", &c->T, &c->F), 2);
        } else if (strcmp(word, "stateful") == 0) {
            assert_int_equal(fscanf(fp, "%d", &c->stateful), 1);
        } else if (strcmp(word, "compile") == 0) {
            assert_int_equal(fscanf(fp, "%15s %15s %f %f %15s %f %f %f", c->loss, c->opt,
                                    &c->lr, &c->momentum, c->metric, &c->clipnorm,
                                    &c->global_clipnorm, &c->clipvalue), 8);
            c->train = true;
        } else if (strcmp(word, "fit") == 0) {
            assert_int_equal(fscanf(fp, "%d %d", &c->batch, &c->epochs), 2);
        } else if (strcmp(word, "end") == 0) {
            return 1;
        } else {
            const int i = c->n++;
            assert_true(i < MAX_ARRAYS);
            snprintf(c->names[i], sizeof c->names[i], "%s", word);
            assert_int_equal(fscanf(fp, "%zu", &c->counts[i]), 1);
            c->values[i] = malloc(sizeof(double) * (c->counts[i] ? c->counts[i] : 1));
            for (size_t k = 0; k < c->counts[i]; k++)
                assert_int_equal(fscanf(fp, "%lf", &c->values[i][k]), 1);
        }
    }
    return 0;
}

static const double *array(const kcase *c, const char *name, size_t *n)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0) {
            *n = c->counts[i];
            return c->values[i];
        }
    return NULL;
}

static float *floats(const kcase *c, const char *name, size_t *n)
{
    const double *v = array(c, name, n);
    assert_non_null(v);
    float *f = malloc(sizeof(float) * (*n ? *n : 1));
    for (size_t i = 0; i < *n; i++)
        f[i] = (float)v[i];
    return f;
}

static recur_activation activation(const char *s)
{
    return strcmp(s, "softmax") == 0 ? RECUR_ACT_SOFTMAX
           : strcmp(s, "sigmoid") == 0 ? RECUR_ACT_SIGMOID
           : strcmp(s, "tanh") == 0 ? RECUR_ACT_TANH
           : strcmp(s, "relu") == 0 ? RECUR_ACT_RELU
    : strcmp(s, "hard_sigmoid") == 0 ? RECUR_ACT_HARD_SIGMOID : RECUR_ACT_LINEAR;
}

static recur_rnn_opts rnn_flags(const char *f)
{
    return (recur_rnn_opts){ .return_sequences = strchr(f, 's') != NULL,
                             .go_backwards = strchr(f, 'b') != NULL,
                             .reset_before = strchr(f, 'r') != NULL,
                             .zero_output_for_mask = strchr(f, 'z') != NULL,
                             .stateful = strchr(f, 't') != NULL,
                             .dropout = strchr(f, 'D') ? 0.3f : 0.0f,
                             .recurrent_dropout = strchr(f, 'R') ? 0.3f : 0.0f };
}

static recur_cell cell_of(const char *kind)
{
    return strcmp(kind, "lstm") == 0 ? RECUR_LSTM
           : strcmp(kind, "gru") == 0 ? RECUR_GRU : RECUR_SIMPLE_RNN;
}

/* bi:CELL:UNITS:FLAGS:MERGE (FLAGS may be empty) */
static recur_status add_bidirectional(recur_model *m, const char *tok)
{
    char cell[16] = "", units[16] = "", flags[16] = "", merge[16] = "";
    const char *p = tok + 3;
    char *dst[4] = { cell, units, flags, merge };
    for (int i = 0; i < 4; i++) {
        const char *end = i < 3 ? strchr(p, ':') : p + strlen(p);
        assert_non_null(end);
        snprintf(dst[i], 16, "%.*s", (int)(end - p), p);
        p = end + 1;
    }
    const recur_merge_mode mm = strcmp(merge, "sum") == 0   ? RECUR_MERGE_SUM
                                : strcmp(merge, "mul") == 0 ? RECUR_MERGE_MUL
                                : strcmp(merge, "ave") == 0 ? RECUR_MERGE_AVE
                                                            : RECUR_MERGE_CONCAT;
    const recur_rnn_opts o = rnn_flags(flags);
    return recur_model_add_bidirectional(m, cell_of(cell), atoi(units), &o, mm);
}

/* The generator's layer list (its docstring) as recur layers. */
static recur_model *build(const kcase *c)
{
    recur_model *m;
    assert_int_equal(recur_model_create(c->T, c->F, &m), RECUR_OK);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", c->spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char kind[16] = "", a[16] = "", b[16] = "", d[16] = "";
        sscanf(tok, "%15[^:]:%15[^:]:%15[^:]:%15s", kind, a, b, d);
        recur_status s;
        if (strcmp(kind, "bi") == 0) {
            s = add_bidirectional(m, tok);
        } else if (strcmp(kind, "dropout") == 0) {
            s = recur_model_add_dropout(m, (float)atof(a));
        } else if (strcmp(kind, "emb") == 0) {
            s = recur_model_add_embedding(m, atoi(a), atoi(b), strcmp(d, "1") == 0);
        } else if (strcmp(kind, "masking") == 0) {
            s = recur_model_add_masking(m, (float)atof(a));
        } else if (strcmp(kind, "dense") == 0) {
            s = recur_model_add_dense(m, atoi(a), activation(b));
        } else if (strcmp(kind, "gap") == 0) {
            s = recur_model_add_global_average_pooling1d(m);
        } else if (strcmp(kind, "gmp") == 0) {
            s = recur_model_add_global_max_pooling1d(m);
        } else {
            const recur_rnn_opts o = rnn_flags(b);
            s = strcmp(kind, "lstm") == 0  ? recur_model_add_lstm(m, atoi(a), &o)
                : strcmp(kind, "gru") == 0 ? recur_model_add_gru(m, atoi(a), &o)
                                           : recur_model_add_simple_rnn(m, atoi(a), &o);
        }
        if (s != RECUR_OK)
            fail_msg("%s: layer '%s': %s", c->name, tok, recur_last_error());
    }
    return m;
}

static double worst_pred, worst_loss, worst_weight;

/* |got − want| / max(|want|, floor) ≤ rel; the floor turns the test absolute near zero. */
static void close_to(const kcase *c, const char *what, size_t i, double got, double want,
                     double rel, double floor, double *worst)
{
    if (isnan(got) && isnan(want))
        return;   /* Keras's 0/0 (a row with no real step under GlobalAveragePooling1D) */
    const double e = fabs(got - want) / fmax(fabs(want), floor);
    *worst = fmax(*worst, e);
    if (!(e <= rel))
        fail_msg("%s: %s[%zu] = %.8g, Keras %.8g (relative error %.2e)", c->name, what, i, got,
                 want, e);
}

static recur_compile_opts compile_opts(const kcase *c)
{
    recur_compile_opts o = { .learning_rate = c->lr, .momentum = c->momentum,
                             .clipnorm = c->clipnorm, .global_clipnorm = c->global_clipnorm,
                             .clipvalue = c->clipvalue };
    o.optimizer = strcmp(c->opt, "adam") == 0 ? RECUR_ADAM
                  : strcmp(c->opt, "sgd") == 0 ? RECUR_SGD : RECUR_RMSPROP;
    o.loss = strcmp(c->loss, "mse") == 0     ? RECUR_LOSS_MSE
             : strcmp(c->loss, "mae") == 0   ? RECUR_LOSS_MAE
             : strcmp(c->loss, "huber") == 0 ? RECUR_LOSS_HUBER
             : strcmp(c->loss, "bce") == 0 ? RECUR_LOSS_BINARY_CROSSENTROPY
             : strcmp(c->loss, "cce") == 0 ? RECUR_LOSS_CATEGORICAL_CROSSENTROPY
                                           : RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    o.metrics = strcmp(c->metric, "accuracy") == 0 ? RECUR_METRIC_ACCURACY
                : strcmp(c->metric, "mae") == 0 ? RECUR_METRIC_MAE
                : strcmp(c->metric, "mse") == 0 ? RECUR_METRIC_MSE : 0;
    return o;
}

typedef struct { float v[64]; int n; } batch_losses;
static void record_loss(int epoch, int batch, float loss, void *user)
{
    (void)epoch; (void)batch;
    batch_losses *b = user;
    if (b->n < 64)
        b->v[b->n++] = loss;
}

static void check_eval(const kcase *c, recur_model *m, const float *x, const float *y, int n,
                       const char *name)
{
    size_t ne = 0;
    const double *want = array(c, name, &ne);
    assert_non_null(want);
    float loss, metric[RECUR_MAX_METRICS];
    assert_int_equal(recur_model_evaluate_in_batches(m, x, y, n, c->batch, &loss, metric),
                     RECUR_OK);
    close_to(c, name, 0, loss, want[0], 2e-5, 0.5, &worst_pred);
    if (ne > 1)
        close_to(c, name, 1, metric[0], want[1], 2e-5, 0.5, &worst_pred);
}

static void check_weights_after(const kcase *c, recur_model *m);

static void check_training(const kcase *c, recur_model *m, const float *x, int n)
{
    size_t ny = 0, nl = 0;
    float *y = floats(c, "y", &ny);
    check_eval(c, m, x, y, n, "eval");
    batch_losses bl = { .n = 0 };
    recur_fit_opts f = { .epochs = c->epochs, .batch_size = c->batch, .no_shuffle = true,
                         .on_batch = record_loss, .user = &bl };
    assert_int_equal(recur_model_fit(m, x, y, n, &f), RECUR_OK);
    const double *want = array(c, "losses", &nl);
    assert_non_null(want);
    assert_int_equal(bl.n, (int)nl);
    for (int i = 0; i < bl.n; i++)
        close_to(c, "batch loss", (size_t)i, bl.v[i], want[i], 1e-4, 1e-2, &worst_loss);
    check_weights_after(c, m);
    check_eval(c, m, x, y, n, "eval_after");
    free(y);
}

static void check_weights_after(const kcase *c, recur_model *m)
{
    for (int w = 0; w < recur_model_num_weights(m); w++) {
        char name[16];
        size_t nw = 0;
        snprintf(name, sizeof name, "after%d", w);
        const double *ref = array(c, name, &nw);
        assert_non_null(ref);
        float *got = malloc(sizeof(float) * nw);
        assert_int_equal(recur_model_get_weight(m, w, got, nw), RECUR_OK);
        for (size_t i = 0; i < nw; i++)
            close_to(c, name, i, got[i], ref[i], 1e-3, 1e-2, &worst_weight);
        free(got);
    }
}

/* predict x (B rows, one batch) and compare with the array `name`. */
static void check_stateful_predict(const kcase *c, recur_model *m, const float *x,
                                   const char *name)
{
    size_t np = 0;
    const double *want = array(c, name, &np);
    assert_non_null(want);
    float *got = malloc(sizeof(float) * np);
    assert_int_equal(recur_model_predict_in_batches(m, x, c->stateful, c->stateful, got),
                     RECUR_OK);
    for (size_t i = 0; i < np; i++)
        close_to(c, name, i, got[i], want[i], 2e-5, 0.5, &worst_pred);
    free(got);
}

/* The generator's stateful protocol: states carried from call to call, reset, and
 * carried through training steps. */
static void check_stateful(const kcase *c, recur_model *m)
{
    size_t n0 = 0, n1 = 0;
    float *x0 = floats(c, "x0", &n0), *x1 = floats(c, "x1", &n1);
    check_stateful_predict(c, m, x0, "p0");
    check_stateful_predict(c, m, x1, "p1");
    assert_int_equal(recur_model_reset_states(m), RECUR_OK);
    check_stateful_predict(c, m, x1, "p2");
    if (c->train) {
        assert_int_equal(recur_model_reset_states(m), RECUR_OK);
        size_t nl = 0;
        const double *want = array(c, "losses", &nl);
        assert_non_null(want);
        for (int i = 0; i < 2; i++) {
            char name[8];
            size_t ny = 0;
            snprintf(name, sizeof name, "y%d", i);
            float *y = floats(c, name, &ny), loss = 0;
            assert_int_equal(recur_model_train_step(m, i ? x1 : x0, y, c->stateful, &loss),
                             RECUR_OK);
            assert_int_equal(recur_model_apply_gradients(m), RECUR_OK);
            close_to(c, "batch loss", (size_t)i, loss, want[i], 1e-4, 1e-2, &worst_loss);
            free(y);
        }
        check_weights_after(c, m);
        check_stateful_predict(c, m, x0, "p3");
    }
    free(x0);
    free(x1);
}

static void test_keras_reference(void **state)
{
    (void)state;
    FILE *fp = fopen(RECUR_TEST_DATA_DIR "/keras_reference.txt", "r");
    assert_non_null(fp);
    kcase c;
    int cases = 0, trained = 0, stateful = 0;
    while (read_case(fp, &c)) {
        recur_model *m = build(&c);
        recur_compile_opts o = c.train ? compile_opts(&c)
                                       : (recur_compile_opts){ .optimizer = RECUR_ADAM,
                                                               .loss = RECUR_LOSS_MSE };
        assert_int_equal(recur_model_compile(m, &o), RECUR_OK);
        for (int w = 0; w < recur_model_num_weights(m); w++) {
            char name[16];
            size_t nw = 0;
            snprintf(name, sizeof name, "w%d", w);
            float *v = floats(&c, name, &nw);
            assert_int_equal(recur_model_set_weight(m, w, v, nw), RECUR_OK);
            free(v);
        }
        if (c.stateful) {
            check_stateful(&c, m);
            stateful++;
            trained += c.train;
            goto next;
        }
        size_t nx = 0, np = 0;
        float *x = floats(&c, "x", &nx);
        const int n = (int)(nx / ((size_t)c.T * c.F));
        const double *want = array(&c, "pred", &np);
        assert_non_null(want);
        float *pred = malloc(sizeof(float) * np);
        assert_int_equal(recur_model_predict(m, x, n, pred), RECUR_OK);
        for (size_t i = 0; i < np; i++)
            close_to(&c, "prediction", i, pred[i], want[i], 2e-5, 0.5, &worst_pred);
        if (c.train) {
            check_training(&c, m, x, n);
            trained++;
        }
        free(pred);
        free(x);
    next:
        for (int i = 0; i < c.n; i++)
            free(c.values[i]);
        recur_model_free(m);
        cases++;
    }
    fclose(fp);
    assert_int_equal(cases, 109);
    assert_int_equal(trained, 27);
    assert_int_equal(stateful, 6);
    printf("%d Keras cases (%d trained, %d stateful); worst relative error: predictions and evaluate "
           "%.1e, batch losses %.1e, weights %.1e\n", cases, trained, stateful, worst_pred,
           worst_loss,
           worst_weight);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_keras_reference) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
