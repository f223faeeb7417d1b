/* Keras's own files (tools/gen_keras_files.py → tests/data/keras/): every case's `.keras`,
 * legacy `.h5` (Keras 3's writer, and tf.keras 2's where made) and `.weights.h5` load and
 * predict what Keras predicted; models saved after training continue training from the
 * file's optimizer state to Keras's weights after the same three steps; an exported
 * `.keras` loads back with the same predictions, bit for bit; and bad files fail with a
 * format error naming the problem.
 *
 * With RECUR_KERAS_EXPORT_DIR set, each case's export and recur's predictions and weights
 * after the continuation steps are left there for tests/keras_roundtrip.py, which loads
 * them in Keras (JAX backend) in CI.
 *
 * Tolerances: predictions 2e-5 relative (absolute below 0.5), as test_keras_reference.c;
 * weights after the steps 1e-4 relative (absolute below 0.01). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/internal.h"
#include "test_util.h"

#define MAX_ARRAYS 48

typedef struct {
    char name[64], formats[64];
    int T, F;
    int n;
    char names[MAX_ARRAYS][64];
    size_t counts[MAX_ARRAYS];
    double *values[MAX_ARRAYS];
} kfile;

static int read_case(FILE *fp, kfile *c)
{
    char word[64];
    memset(c, 0, sizeof *c);
    while (fscanf(fp, "%63s", word) == 1) {
        if (word[0] == '#') {
            for (int ch = fgetc(fp); ch != '\n' && ch != EOF; ch = fgetc(fp)) {
            }
        } else if (strcmp(word, "case") == 0) {
            assert_int_equal(fscanf(fp, "%63s %63[^\n]", c->name, c->formats), 2);
        } else if (strcmp(word, "shape") == 0) {
            assert_int_equal(fscanf(fp, "%d %d", &c->T, &c->F), 2);
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

static const double *array(const kfile *c, const char *name, size_t *n)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0) {
            *n = c->counts[i];
            return c->values[i];
        }
    return NULL;
}

static float *floats(const kfile *c, const char *name, size_t *n)
{
    const double *v = array(c, name, n);
    if (v == NULL)
        return NULL;
    float *f = malloc(sizeof(float) * (*n ? *n : 1));
    for (size_t i = 0; i < *n; i++)
        f[i] = (float)v[i];
    return f;
}

static double worst_pred, worst_weight;

static void close_to(const char *what, const char *file, size_t i, double got, double want,
                     double rel, double floor, double *worst)
{
    const double e = fabs(got - want) / fmax(fabs(want), floor);
    *worst = fmax(*worst, e);
    if (!(e <= rel))
        fail_msg("%s: %s[%zu] = %.8g, Keras %.8g (relative error %.2e)", file, what, i, got,
                 want, e);
}

static void path_of(const kfile *c, const char *suffix, char *buf, size_t size)
{
    snprintf(buf, size, "%s/keras/%s%s", RECUR_TEST_DATA_DIR, c->name, suffix);
}

/* Predictions of x (name_x) against Keras's (name_p); batch b (0: 32). */
static void check_predict(recur_model *m, const kfile *c, const char *name_x, const char *name_p,
                          int batch, const char *file)
{
    size_t nx = 0, np = 0;
    float *x = floats(c, name_x, &nx);
    const double *want = array(c, name_p, &np);
    assert_non_null(x);
    assert_non_null(want);
    const int n = (int)(nx / ((size_t)c->T * c->F));
    float *p = malloc(sizeof(float) * np);
    if (recur_model_predict_in_batches(m, x, n, batch, p) != RECUR_OK)
        fail_msg("%s: predict: %s", file, recur_last_error());
    for (size_t i = 0; i < np; i++)
        close_to(name_p, file, i, p[i], want[i], 2e-5, 0.5, &worst_pred);
    free(p);
    free(x);
}

static recur_model *load(const kfile *c, const char *suffix)
{
    char path[512];
    path_of(c, suffix, path, sizeof path);
    recur_model *m = NULL;
    if (recur_model_load_keras(path, &m) != RECUR_OK)
        fail_msg("%s: %s", path, recur_last_error());
    return m;
}

/* The three training steps on the case's continuation batches cx<k>, cy<k>. */
static void continue_training(recur_model *m, const kfile *c)
{
    for (int k = 0; k < 3; k++) {
        char nx[8], ny[8];
        snprintf(nx, sizeof nx, "cx%d", k);
        snprintf(ny, sizeof ny, "cy%d", k);
        size_t a = 0, b = 0;
        float *x = floats(c, nx, &a), *y = floats(c, ny, &b);
        assert_int_equal(recur_model_train_step(m, x, y, 4, NULL), RECUR_OK);
        assert_int_equal(recur_model_apply_gradients(m), RECUR_OK);
        free(x);
        free(y);
    }
}

/* Three training steps from the file's state, to Keras's weights after them. */
static void check_continuation(recur_model *m, const kfile *c, const char *file)
{
    continue_training(m, c);
    for (int w = 0; w < recur_model_num_weights(m); w++) {
        char name[16];
        size_t nw = 0;
        snprintf(name, sizeof name, "after%d", w);
        const double *want = array(c, name, &nw);
        assert_non_null(want);
        float *got = malloc(sizeof(float) * nw);
        assert_int_equal(recur_model_get_weight(m, w, got, nw), RECUR_OK);
        for (size_t i = 0; i < nw; i++)
            close_to(name, file, i, got[i], want[i], 1e-4, 1e-2, &worst_weight);
        free(got);
    }
}

static void put(FILE *f, const char *name, const float *v, size_t n)
{
    fprintf(f, "%s %zu", name, n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %.9g", (double)v[i]);
    fputc('\n', f);
}

/* For tests/keras_roundtrip.py: m's predictions of x, then three training steps on the
 * continuation batches and every weight after them (NAME.recur.txt). */
static void leave_for_keras(recur_model *m, const kfile *c, const float *x, int n,
                            const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.recur.txt", dir, c->name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    int steps, units;
    recur_model_output_shape(m, &steps, &units);
    const size_t np = (size_t)n * (steps ? steps : 1) * units;
    float *p = malloc(sizeof(float) * np);
    assert_int_equal(recur_model_predict_in_batches(m, x, n, n, p), RECUR_OK);
    put(f, "pred", p, np);
    free(p);
    if (array(c, "cx0", &(size_t){ 0 })) {
        continue_training(m, c);
        for (int w = 0; w < recur_model_num_weights(m); w++) {
            char name[16];
            snprintf(name, sizeof name, "after%d", w);
            float *v = malloc(sizeof(float) * m->weights[w].n);
            recur_model_get_weight(m, w, v, m->weights[w].n);
            put(f, name, v, m->weights[w].n);
            free(v);
        }
    }
    fclose(f);
}

/* Export, load back: the same predictions, bit for bit. */
static void check_export(recur_model *m, const kfile *c, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.keras", dir, c->name);
    if (recur_model_save_keras(m, path) != RECUR_OK)
        fail_msg("%s: export: %s", c->name, recur_last_error());
    recur_model *back = NULL;
    if (recur_model_load_keras(path, &back) != RECUR_OK)
        fail_msg("%s: export then import: %s", c->name, recur_last_error());
    size_t nx = 0;
    float *x = floats(c, array(c, "x", &nx) ? "x" : "x0", &nx);
    const int n = (int)(nx / ((size_t)c->T * c->F));
    int steps, units;
    recur_model_output_shape(m, &steps, &units);
    const size_t np = (size_t)n * (steps ? steps : 1) * units;
    float *p = malloc(sizeof(float) * np), *q = malloc(sizeof(float) * np);
    assert_int_equal(recur_model_reset_states(m), RECUR_OK);   /* an export carries none */
    assert_int_equal(recur_model_predict_in_batches(m, x, n, n, p), RECUR_OK);
    assert_int_equal(recur_model_predict_in_batches(back, x, n, n, q), RECUR_OK);
    assert_memory_equal(p, q, sizeof(float) * np);
    assert_int_equal(back->iterations, m->iterations);
    assert_int_equal(recur_model_reset_states(back), RECUR_OK);
    leave_for_keras(back, c, x, n, dir);
    free(p);
    free(q);
    free(x);
    recur_model_free(back);
}

static void check_case(const kfile *c, const char *export_dir)
{
    const bool trained = array(c, "cx0", &(size_t){ 0 }) != NULL;
    const bool stateful = array(c, "pred0", &(size_t){ 0 }) != NULL;
    char file[128];
    /* .keras and legacy .h5 */
    const char *suffixes[] = { ".keras", ".h5" };
    for (int f = 0; f < 2; f++) {
        snprintf(file, sizeof file, "%s%s", c->name, suffixes[f]);
        recur_model *m = load(c, suffixes[f]);
        if (stateful) {
            check_predict(m, c, "x0", "pred0", 4, file);
            check_predict(m, c, "x1", "pred1", 4, file);
            assert_int_equal(recur_model_reset_states(m), RECUR_OK);
        } else {
            check_predict(m, c, "x", "pred", 0, file);
        }
        if (f == 0)   /* in the file's state, so Keras can continue from both alike */
            check_export(m, c, export_dir);
        if (trained)
            check_continuation(m, c, file);
        recur_model_free(m);
    }
    /* .weights.h5 into the same architecture with its weights zeroed */
    snprintf(file, sizeof file, "%s.weights.h5", c->name);
    recur_model *arch = load(c, ".keras"), *m = NULL;
    assert_int_equal(recur_model_rebuild(arch, c->T, false, &m), RECUR_OK);
    memset(m->params, 0, m->block_floats * sizeof(float));
    char path[512];
    path_of(c, ".weights.h5", path, sizeof path);
    if (recur_model_load_keras_weights(m, path) != RECUR_OK)
        fail_msg("%s: %s", path, recur_last_error());
    check_predict(m, c, stateful ? "x0" : "x", stateful ? "pred0" : "pred", stateful ? 4 : 0,
                  file);
    recur_model_free(m);
    recur_model_free(arch);
    /* tf.keras 2's legacy file */
    if (strstr(c->formats, "k2")) {
        snprintf(file, sizeof file, "%s_k2.h5", c->name);
        m = load(c, "_k2.h5");
        check_predict(m, c, "x", "k2pred", 0, file);
        recur_model_free(m);
    }
}

/* A case's files in a directory of the test's own, which goes when the test ends. */
static void remove_exports(const char *dir, const kfile *c)
{
    const char *suffixes[] = { ".keras", ".recur.txt" };
    for (int i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s%s", dir, c->name, suffixes[i]);
        unlink(path);
    }
}

static void test_keras_files(void **state)
{
    (void)state;
    FILE *fp = fopen(RECUR_TEST_DATA_DIR "/keras/cases.txt", "r");
    assert_non_null(fp);
    const char *env = getenv("RECUR_KERAS_EXPORT_DIR");
    char tmp[] = "/tmp/recur_keras_XXXXXX";
    const char *dir = env && *env ? env : mkdtemp(tmp);
    assert_non_null(dir);
    kfile c;
    int cases = 0;
    while (read_case(fp, &c)) {
        check_case(&c, dir);
        if (dir == tmp)
            remove_exports(dir, &c);
        for (int i = 0; i < c.n; i++)
            free(c.values[i]);
        cases++;
    }
    fclose(fp);
    if (dir == tmp)
        rmdir(dir);
    assert_int_equal(cases, 7);
    printf("%d Keras cases (exports %s %s): worst relative error of predictions %.1e, of "
           "weights after three steps %.1e\n", cases, dir == tmp ? "removed from" : "left in",
           dir, worst_pred, worst_weight);
}

/* A model saved uncompiled predicts, refuses to train or evaluate until compiled (as in
 * Keras), then trains; its export stays uncompiled. */
static void test_uncompiled(void **state)
{
    (void)state;
    recur_model *m = NULL, *back = NULL;
    assert_int_equal(recur_model_load_keras(RECUR_TEST_DATA_DIR "/keras/masking_merges.keras",
                                            &m), RECUR_OK);
    float x[2 * 6 * 2] = { 0.5f, -1, 2, 0.25f }, y[2 * 2] = { 1, 0, 0, 1 }, p[4];
    assert_int_equal(recur_model_predict(m, x, 2, p), RECUR_OK);
    assert_int_equal(recur_model_train_step(m, x, y, 2, NULL), RECUR_ERR_STATE);
    assert_non_null(strstr(recur_last_error(), "without compile settings"));
    float loss;
    assert_int_equal(recur_model_evaluate(m, x, y, 2, &loss, NULL), RECUR_ERR_STATE);
    const char *path = "/tmp/recur_uncompiled_test.keras";
    assert_int_equal(recur_model_save_keras(m, path), RECUR_OK);
    assert_int_equal(recur_model_load_keras(path, &back), RECUR_OK);
    assert_int_equal(recur_model_train_step(back, x, y, 2, NULL), RECUR_ERR_STATE);
    recur_model_free(back);
    unlink(path);
    const recur_compile_opts c = { .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    assert_int_equal(recur_model_train_step(m, x, y, 2, NULL), RECUR_OK);
    assert_int_equal(recur_model_apply_gradients(m), RECUR_OK);
    recur_model_free(m);
}

/* Keras's open input length (Input(shape=(None, F))): an export records it, so the file
 * loads open (made for one step) and a copy for any length predicts what the model's own
 * copy does; recur's files keep it with the length the model runs; a fixed length stays
 * fixed. */
static void test_open_length(void **state)
{
    (void)state;
    recur_model *m, *back, *again, *a9, *b9;
    assert_int_equal(recur_model_create(5, 2, &m), RECUR_OK);
    recur_rnn_opts seq = { .return_sequences = true };
    assert_int_equal(recur_model_add_lstm(m, 4, &seq), RECUR_OK);
    assert_int_equal(recur_model_add_gru(m, 3, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_DEFAULT), RECUR_OK);
    const recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    const char *kpath = "/tmp/recur_open_length_test.keras", *rpath = "/tmp/recur_open.recur";
    assert_int_equal(recur_model_save_keras(m, kpath), RECUR_OK);
    assert_int_equal(recur_model_load_keras(kpath, &back), RECUR_OK);
    assert_false(recur_model_length_open(back));
    assert_int_equal(back->timesteps, 5);
    recur_model_free(back);

    assert_int_equal(recur_model_set_length_open(m, true), RECUR_OK);
    assert_int_equal(recur_model_save_keras(m, kpath), RECUR_OK);
    assert_int_equal(recur_model_load_keras(kpath, &back), RECUR_OK);
    assert_true(recur_model_length_open(back));
    assert_int_equal(back->timesteps, 1);
    float x[3 * 9 * 2], p[3], q[3];
    for (int i = 0; i < 3 * 9 * 2; i++)
        x[i] = sinf(0.7f * (float)i);
    assert_int_equal(recur_model_with_timesteps(m, 9, &a9), RECUR_OK);
    assert_int_equal(recur_model_with_timesteps(back, 9, &b9), RECUR_OK);
    assert_true(recur_model_length_open(b9));
    assert_int_equal(recur_model_predict(a9, x, 3, p), RECUR_OK);
    assert_int_equal(recur_model_predict(b9, x, 3, q), RECUR_OK);
    assert_memory_equal(p, q, sizeof p);
    assert_int_equal(recur_model_save(a9, rpath), RECUR_OK);
    assert_int_equal(recur_model_load(rpath, &again), RECUR_OK);
    assert_true(recur_model_length_open(again));
    assert_int_equal(again->timesteps, 9);
    unlink(kpath);
    unlink(rpath);
    recur_model *models[] = { m, back, again, a9, b9 };
    for (int i = 0; i < 5; i++)
        recur_model_free(models[i]);
}

/* A build without HDF5, libzip and jansson: each call fails and says why. */
static void test_without_keras(void **state)
{
    (void)state;
    recur_model *m = NULL;
    assert_int_equal(recur_model_create(4, 1, &m), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_LINEAR), RECUR_OK);
    recur_model *out = m;
    assert_int_equal(recur_model_load_keras(RECUR_TEST_DATA_DIR "/keras/gru_forms.keras", &out),
                     RECUR_ERR_FORMAT);
    assert_null(out);
    assert_non_null(strstr(recur_last_error(), "built without Keras file support"));
    assert_int_equal(recur_model_load_keras_weights(m, RECUR_TEST_DATA_DIR
                                                    "/keras/gru_forms.weights.h5"),
                     RECUR_ERR_FORMAT);
    assert_non_null(strstr(recur_last_error(), "built without Keras file support"));
    assert_int_equal(recur_model_save_keras(m, "/tmp/never.keras"), RECUR_ERR_FORMAT);
    assert_non_null(strstr(recur_last_error(), "built without Keras file support"));
    recur_model_free(m);
}

int main(void)
{
#ifdef RECUR_TEST_KERAS
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_keras_files),
                                        cmocka_unit_test(test_uncompiled),
                                        cmocka_unit_test(test_open_length) };
    (void)test_without_keras;
#else
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_without_keras) };
    (void)test_keras_files;
    (void)test_uncompiled;
    (void)test_open_length;
#endif
    return cmocka_run_group_tests(tests, NULL, NULL);
}
