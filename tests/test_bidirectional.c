/* Bidirectional beyond its Keras references (test_keras_reference.c): the layer-API recipe
 * of the README (two recur_rnn, one going backwards, and the merge) gives the model's
 * outputs; the copies run side by side or in turn with the same bits; bad arguments. */
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "test_util.h"

enum { B = 6, T = 7, F = 3, H = 4 };

/* Rows with masked steps (all features 0, for Masking) after a random length. */
static float *padded_inputs(uint64_t seed)
{
    test_rng r = { seed };
    float *x = malloc(sizeof(float) * B * T * F);
    rng_fill(&r, x, (size_t)B * T * F, -1, 1);
    for (int b = 0; b < B; b++) {
        const int len = 1 + (int)(rng_next(&r) % T);
        memset(x + ((size_t)b * T + len) * F, 0, sizeof(float) * (size_t)(T - len) * F);
    }
    return x;
}

/* The README's recipe: y [B, T, 2H] = concat(forward, time-aligned backward). */
static void recipe(recur_cell cell, const float *const w[6], const float *x, const uint8_t *mask,
                   float *y)
{
    recur_rnn_config cfg = { .cell = cell, .input_size = F, .units = H,
                             .zero_output_for_mask = true };   /* as Keras's Bidirectional */
    recur_rnn *fwd, *bwd;
    assert_int_equal(recur_rnn_create(&cfg, &fwd), RECUR_OK);
    cfg.go_backwards = true;
    assert_int_equal(recur_rnn_create(&cfg, &bwd), RECUR_OK);
    assert_int_equal(recur_rnn_set_weights(fwd, w[0], w[1], w[2]), RECUR_OK);
    assert_int_equal(recur_rnn_set_weights(bwd, w[3], w[4], w[5]), RECUR_OK);
    float *yf = malloc(sizeof(float) * B * T * H), *yb = malloc(sizeof(float) * B * T * H);
    assert_int_equal(recur_rnn_forward_masked(fwd, B, T, x, mask, NULL, NULL, yf, NULL, NULL),
                     RECUR_OK);
    assert_int_equal(recur_rnn_forward_masked(bwd, B, T, x, mask, NULL, NULL, yb, NULL, NULL),
                     RECUR_OK);
    /* yb[:, s] is the output after s + 1 steps from the end: time step T − 1 − s */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *out = y + ((size_t)b * T + t) * 2 * H;
            memcpy(out, yf + ((size_t)b * T + t) * H, sizeof(float) * H);
            memcpy(out + H, yb + ((size_t)b * T + (T - 1 - t)) * H, sizeof(float) * H);
        }
    free(yf);
    free(yb);
    recur_rnn_free(fwd);
    recur_rnn_free(bwd);
}

static recur_model *bidirectional_model(recur_cell cell, recur_merge_mode merge, bool masking)
{
    recur_model *m;
    assert_int_equal(recur_model_create(T, F, &m), RECUR_OK);
    if (masking)
        assert_int_equal(recur_model_add_masking(m, 0.0f), RECUR_OK);
    recur_rnn_opts o = { .return_sequences = true };
    assert_int_equal(recur_model_add_bidirectional(m, cell, H, &o, merge), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    return m;
}

static void test_layer_recipe_is_the_layer(void **state)
{
    (void)state;
    const recur_cell cells[] = { RECUR_SIMPLE_RNN, RECUR_LSTM, RECUR_GRU };
    float *x = padded_inputs(5);
    uint8_t mask[B * T];
    for (int i = 0; i < B * T; i++)
        mask[i] = x[(size_t)i * F] != 0 || x[(size_t)i * F + 1] != 0 || x[(size_t)i * F + 2] != 0;
    for (int c = 0; c < 3; c++) {
        recur_model *m = bidirectional_model(cells[c], RECUR_MERGE_CONCAT, true);
        float *w[6];
        for (int i = 0; i < 6; i++) {
            const size_t n = m->weights[i].n;
            w[i] = malloc(sizeof(float) * n);
            recur_model_get_weight(m, i, w[i], n);
        }
        float *want = malloc(sizeof(float) * B * T * 2 * H);
        float *got = malloc(sizeof(float) * B * T * 2 * H);
        assert_int_equal(recur_model_predict(m, x, B, want), RECUR_OK);
        recipe(cells[c], (const float *const *)w, x, mask, got);
        assert_memory_equal(got, want, sizeof(float) * B * T * 2 * H);
        for (int i = 0; i < 6; i++)
            free(w[i]);
        free(want);
        free(got);
        recur_model_free(m);
    }
    free(x);
}

/* RECUR_BIDIRECTIONAL=serial|concurrent: the same predictions and training, bit for bit. */
static void test_side_by_side_or_in_turn(void **state)
{
    (void)state;
    float *x = padded_inputs(6), *y = malloc(sizeof(float) * B * T * H);
    test_rng r = { 8 };
    rng_fill(&r, y, (size_t)B * T * H, -1, 1);
    recur_model *m[2];
    const char *modes[2] = { "serial", "concurrent" };
    for (int k = 0; k < 2; k++) {
        setenv("RECUR_BIDIRECTIONAL", modes[k], 1);
        m[k] = bidirectional_model(RECUR_GRU, RECUR_MERGE_SUM, true);
        recur_model_set_num_threads(m[k], 2);
        recur_fit_opts f = { .epochs = 2, .batch_size = 3 };
        assert_int_equal(recur_model_fit(m[k], x, y, B, &f), RECUR_OK);
    }
    unsetenv("RECUR_BIDIRECTIONAL");
    float *p0 = malloc(sizeof(float) * B * T * H), *p1 = malloc(sizeof(float) * B * T * H);
    assert_int_equal(recur_model_predict(m[0], x, B, p0), RECUR_OK);
    assert_int_equal(recur_model_predict(m[1], x, B, p1), RECUR_OK);
    assert_memory_equal(p0, p1, sizeof(float) * B * T * H);
    free(p0); free(p1); free(x); free(y);
    recur_model_free(m[0]);
    recur_model_free(m[1]);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    recur_model *m;
    assert_int_equal(recur_model_create(T, F, &m), RECUR_OK);
    expect_error(recur_model_add_bidirectional(m, (recur_cell)0, H, NULL, RECUR_MERGE_SUM),
           RECUR_ERR_ARGUMENT, "wraps a recurrent layer");
    expect_error(recur_model_add_bidirectional(m, (recur_cell)9, H, NULL, RECUR_MERGE_SUM),
           RECUR_ERR_ARGUMENT, "wraps a recurrent layer");
    expect_error(recur_model_add_bidirectional(m, RECUR_LSTM, H, NULL, (recur_merge_mode)4),
           RECUR_ERR_ARGUMENT, "merge mode");
    expect_error(recur_model_add_bidirectional(m, RECUR_LSTM, 0, NULL, RECUR_MERGE_SUM),
           RECUR_ERR_ARGUMENT, "units");
    recur_rnn_opts back = { .go_backwards = true };
    expect_error(recur_model_add_bidirectional(m, RECUR_GRU, H, &back, RECUR_MERGE_SUM),
           RECUR_ERR_ARGUMENT, "go backwards");
    assert_int_equal(recur_model_add_bidirectional(m, RECUR_GRU, H, NULL, RECUR_MERGE_AVE),
                     RECUR_OK);
    expect_error(recur_model_add_bidirectional(m, RECUR_GRU, H, NULL, RECUR_MERGE_AVE),
           RECUR_ERR_SHAPE, "needs a sequence");
    assert_int_equal(recur_model_num_layers(m), 1);
    recur_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_recipe_is_the_layer),
        cmocka_unit_test(test_side_by_side_or_in_turn),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
