/* Stateful recurrent layers (Keras stateful=True): two calls on the halves of a sequence are
 * one call on the whole; states survive save and load and go with reset_states; a stateful
 * model keeps one batch size, and says so before doing anything when a call breaks it. The
 * values of stateful calls (predict, train, masks, Bidirectional) are checked against real
 * Keras in test_keras_reference.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/internal.h"
#include "test_util.h"

enum { B = 5, T = 6, F = 3, H = 4 };

/* LSTM or GRU (return_sequences) then a Dense on each step, over T steps. */
static recur_model *make(recur_cell cell, int steps, bool stateful, bool bidirectional)
{
    recur_model *m;
    assert_int_equal(recur_model_create(steps, F, &m), RECUR_OK);
    recur_rnn_opts o = { .return_sequences = true, .stateful = stateful };
    if (bidirectional)
        assert_int_equal(recur_model_add_bidirectional(m, cell, H, &o, RECUR_MERGE_CONCAT),
                         RECUR_OK);
    else if (cell == RECUR_LSTM)
        assert_int_equal(recur_model_add_lstm(m, H, &o), RECUR_OK);
    else
        assert_int_equal(recur_model_add_gru(m, H, &o), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 2, RECUR_ACT_LINEAR), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    return m;
}

static void copy_weights(const recur_model *from, recur_model *to)
{
    for (int w = 0; w < recur_model_num_weights(from); w++) {
        const size_t n = from->weights[w].n;
        float *v = malloc(n * sizeof(float));
        recur_model_get_weight(from, w, v, n);
        assert_int_equal(recur_model_set_weight(to, w, v, n), RECUR_OK);
        free(v);
    }
}

/* x[:, s0:s0+steps] of a [B, 2T, F] sequence */
static float *steps_of(const float *x, int s0, int steps)
{
    float *p = malloc(sizeof(float) * B * steps * F);
    for (int b = 0; b < B; b++)
        memcpy(p + (size_t)b * steps * F, x + ((size_t)b * 2 * T + s0) * F,
               sizeof(float) * steps * F);
    return p;
}

/* Predicting the two halves of a sequence with a stateful model gives the outputs of one
 * call on the whole sequence (within float rounding: the product order differs between
 * the two plans); after reset_states the first half again gives its first outputs. */
static void test_halves_make_the_whole(void **state)
{
    (void)state;
    test_rng r = { 11 };
    float *x = malloc(sizeof(float) * B * 2 * T * F);
    rng_fill(&r, x, (size_t)B * 2 * T * F, -1, 1);
    float *first = steps_of(x, 0, T), *second = steps_of(x, T, T);
    const recur_cell cells[] = { RECUR_LSTM, RECUR_GRU };
    for (int i = 0; i < 2; i++) {
        recur_model *whole = make(cells[i], 2 * T, false, false);
        recur_model *half = make(cells[i], T, true, false);
        copy_weights(whole, half);
        float *yw = malloc(sizeof(float) * B * 2 * T * 2), *y1 = malloc(sizeof(float) * B * T * 2);
        float *y2 = malloc(sizeof(float) * B * T * 2), *y3 = malloc(sizeof(float) * B * T * 2);
        assert_int_equal(recur_model_predict(whole, x, B, yw), RECUR_OK);
        assert_int_equal(recur_model_predict(half, first, B, y1), RECUR_OK);
        assert_int_equal(recur_model_predict(half, second, B, y2), RECUR_OK);
        for (int b = 0; b < B; b++)
            for (int k = 0; k < T * 2; k++) {
                const float w1 = yw[(size_t)b * 2 * T * 2 + k];
                const float w2 = yw[(size_t)b * 2 * T * 2 + T * 2 + k];
                assert_float_equal(y1[(size_t)b * T * 2 + k], w1, 1e-6);
                assert_float_equal(y2[(size_t)b * T * 2 + k], w2, 1e-5);
            }
        assert_int_equal(recur_model_reset_states(half), RECUR_OK);
        assert_int_equal(recur_model_predict(half, first, B, y3), RECUR_OK);
        assert_memory_equal(y1, y3, sizeof(float) * B * T * 2);
        free(yw); free(y1); free(y2); free(y3);
        recur_model_free(whole);
        recur_model_free(half);
    }
    free(x); free(first); free(second);
}

/* The states are saved with the model: the loaded model continues where the saved one
 * stopped (both copies of a Bidirectional layer), and a reset model saves none. */
static void test_states_survive_save_and_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/recur_stateful_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.recur", dir);
    test_rng r = { 12 };
    float *x = malloc(sizeof(float) * B * T * F);
    rng_fill(&r, x, (size_t)B * T * F, -1, 1);
    for (int bi = 0; bi <= 1; bi++) {
        recur_model *m = make(RECUR_LSTM, T, true, bi), *back;
        const size_t ny = (size_t)B * T * 2;   /* Dense(2) on every step */
        float *p = malloc(sizeof(float) * ny), *q = malloc(sizeof(float) * ny);
        assert_int_equal(recur_model_predict(m, x, B, p), RECUR_OK);
        assert_int_equal(recur_model_save(m, path), RECUR_OK);
        assert_int_equal(recur_model_load(path, &back), RECUR_OK);
        assert_int_equal(recur_model_predict(m, x, B, p), RECUR_OK);
        assert_int_equal(recur_model_predict(back, x, B, q), RECUR_OK);
        assert_memory_equal(p, q, sizeof(float) * ny);
        recur_model_free(back);
        /* reset: the file holds no states, and the loaded model starts from zeros */
        assert_int_equal(recur_model_reset_states(m), RECUR_OK);
        assert_int_equal(recur_model_save(m, path), RECUR_OK);
        assert_int_equal(recur_model_load(path, &back), RECUR_OK);
        assert_int_equal(recur_model_predict(m, x, B, p), RECUR_OK);
        assert_int_equal(recur_model_predict(back, x, B, q), RECUR_OK);
        assert_memory_equal(p, q, sizeof(float) * ny);
        free(p);
        free(q);
        recur_model_free(back);
        recur_model_free(m);
    }
    free(x);
    unlink(path);
    rmdir(dir);
}

/* One batch size per stateful model: a call with another is refused until reset_states;
 * predict, evaluate and fit refuse sample counts that do not divide into equal batches
 * before running anything; a model without states is not affected. */
static void test_fixed_batch_size(void **state)
{
    (void)state;
    test_rng r = { 13 };
    const int n = 2 * B;
    float *x = malloc(sizeof(float) * n * T * F), *y = malloc(sizeof(float) * n * T * 2);
    float *p = malloc(sizeof(float) * n * T * 2);
    rng_fill(&r, x, (size_t)n * T * F, -1, 1);
    rng_fill(&r, y, (size_t)n * T * 2, -1, 1);
    recur_model *m = make(RECUR_GRU, T, true, false);
    assert_int_equal(recur_model_predict_in_batches(m, x, B, B, p), RECUR_OK);
    expect_error(recur_model_predict_in_batches(m, x, B - 1, B - 1, p), RECUR_ERR_SHAPE,
           "states are for 5");
    expect_error(recur_model_train_step(m, x, y, B - 1, NULL), RECUR_ERR_SHAPE, "reset its states");
    assert_int_equal(recur_model_reset_states(m), RECUR_OK);
    assert_int_equal(recur_model_predict_in_batches(m, x, B - 1, B - 1, p), RECUR_OK);
    assert_int_equal(recur_model_reset_states(m), RECUR_OK);
    expect_error(recur_model_predict_in_batches(m, x, n - 1, B, p), RECUR_ERR_SHAPE,
           "do not divide into batches of 5");
    float loss;
    expect_error(recur_model_evaluate_in_batches(m, x, y, n - 1, B, &loss, NULL), RECUR_ERR_SHAPE,
           "do not divide");
    recur_fit_opts f = { .batch_size = B, .no_shuffle = true };
    expect_error(recur_model_fit(m, x, y, n - 1, &f), RECUR_ERR_SHAPE, "training samples");
    f.validation_split = 0.3f;   /* 7 training samples, 3 validation */
    expect_error(recur_model_fit(m, x, y, n, &f), RECUR_ERR_SHAPE, "do not divide");
    assert_int_equal(recur_model_history_length(m), 0);
    f.validation_split = 0.5f;
    assert_int_equal(recur_model_fit(m, x, y, n, &f), RECUR_OK);
    recur_model_free(m);
    /* without states any batch goes */
    m = make(RECUR_GRU, T, false, false);
    assert_int_equal(recur_model_predict_in_batches(m, x, n - 1, B, p), RECUR_OK);
    assert_int_equal(recur_model_reset_states(m), RECUR_OK);
    recur_model_free(m);
    assert_int_equal(recur_model_reset_states(NULL), RECUR_ERR_ARGUMENT);
    free(x); free(y); free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halves_make_the_whole),
        cmocka_unit_test(test_states_survive_save_and_load),
        cmocka_unit_test(test_fixed_batch_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
