/* Dropout as Keras has it: the generator's known answers; the Dropout layer's keep rate,
 * scale and fresh draw per element, and its identity at inference; the recurrent layers'
 * masks held for every step of a sequence and redrawn per batch; rate 0 is the plain layer
 * bit for bit; inference ignores every rate; and a run is the same bits on any thread count
 * and for the same seed. The gradients through fixed masks are checked by finite
 * differences in test_rnn_gradcheck.c (engine) and test_model_layers.c (models). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/philox.h"
#include "model/internal.h"
#include "test_util.h"

/* Random123's published known answers for Philox4x32-10. */
static void test_philox_known_answers(void **state)
{
    (void)state;
    static const uint32_t cases[3][3][4] = {
        { { 0, 0, 0, 0 }, { 0, 0 }, { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 } },
        { { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, { 0xffffffff, 0xffffffff },
          { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd } },
        { { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, { 0xa4093822, 0x299f31d0 },
          { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 } },
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        recur_philox4x32(cases[i][1], cases[i][0], out);
        assert_memory_equal(out, cases[i][2], sizeof out);
    }
}

/* A training forward of the model on x, leaving every layer's output in m->acts. */
static void training_forward(recur_model *m, const float *x, int n)
{
    assert_int_equal(recur_model_ensure_batch(m, n), RECUR_OK);
    assert_int_equal(recur_model_forward_batch(m, x, n), RECUR_OK);
}

static float *filled(size_t n, float v)
{
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = v;
    return p;
}

/* Dropout(rate) on ones: every output is 0 or 1 / (1 − rate); the dropped fraction is the
 * rate within 5 standard deviations of a binomial; the mask differs between steps and
 * between optimizer steps; predict passes the input through. */
static void test_dropout_layer(void **state)
{
    (void)state;
    const float rates[] = { 0.1f, 0.5f, 0.9f };
    const int n = 16, T = 25, F = 40;
    const size_t total = (size_t)n * T * F;
    float *x = filled(total, 1.0f), *y = malloc(total * sizeof(float));
    for (int k = 0; k < 3; k++) {
        recur_model *m;
        assert_int_equal(recur_model_create(T, F, &m), RECUR_OK);
        assert_int_equal(recur_model_add_dropout(m, rates[k]), RECUR_OK);
        recur_compile_opts c = { .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE };
        assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
        training_forward(m, x, n);
        const float *out = m->acts[0].y, keep = 1.0f / (1.0f - rates[k]);
        size_t dropped = 0, same_as_step0 = 0;
        for (size_t i = 0; i < total; i++) {
            assert_true(out[i] == 0.0f || out[i] == keep);
            dropped += out[i] == 0.0f;
            if (i % ((size_t)T * F) >= (size_t)F)   /* step ≥ 1: compare with step 0 */
                same_as_step0 += out[i] == out[i - (i % ((size_t)T * F)) + i % F];
        }
        const double p = rates[k], sd = sqrt(p * (1 - p) / (double)total);
        if (fabs((double)dropped / (double)total - p) > 5 * sd)
            fail_msg("rate %g: dropped %zu of %zu", p, dropped, total);
        /* a fresh draw per step: agreement with step 0 is chance, p² + (1 − p)² */
        const double agree = (double)same_as_step0 / (double)(total - (size_t)n * F);
        assert_true(fabs(agree - (p * p + (1 - p) * (1 - p))) < 0.02);
        /* the next optimizer step draws another mask */
        memcpy(y, out, total * sizeof(float));
        m->iterations++;
        training_forward(m, x, n);
        assert_true(memcmp(y, m->acts[0].y, total * sizeof(float)) != 0);
        /* inference: the identity */
        assert_int_equal(recur_model_predict_in_batches(m, x, n, n, y), RECUR_OK);
        assert_memory_equal(y, x, total * sizeof(float));
        recur_model_free(m);
    }
    free(x);
    free(y);
}

/* SimpleRNN(H = F, linear, kernel I, recurrent kernel U, no bias) with return_sequences:
 * y_t = (x_t ⊙ m) + (y_{t−1} ⊙ r) U, so the masks can be read back from the outputs. */
static recur_model *probe_rnn(int T, int F, float dropout, float recurrent_dropout,
                              float recurrent_scale)
{
    recur_model *m;
    assert_int_equal(recur_model_create(T, F, &m), RECUR_OK);
    recur_rnn_opts o = { .activation = RECUR_ACT_LINEAR, .return_sequences = true,
                         .no_bias = true, .dropout = dropout,
                         .recurrent_dropout = recurrent_dropout };
    assert_int_equal(recur_model_add_simple_rnn(m, F, &o), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    float *k = calloc((size_t)F * F, sizeof(float)), *u = calloc((size_t)F * F, sizeof(float));
    for (int j = 0; j < F; j++) {
        k[(size_t)j * F + j] = 1.0f;
        u[(size_t)j * F + j] = recurrent_scale;
    }
    assert_int_equal(recur_model_set_weight(m, 0, k, (size_t)F * F), RECUR_OK);
    assert_int_equal(recur_model_set_weight(m, 1, u, (size_t)F * F), RECUR_OK);
    free(k);
    free(u);
    return m;
}

/* The input mask of a recurrent layer is drawn once per batch row and held for every step;
 * so is the state mask; both keep 1 − rate of the units, scaled by 1 / (1 − rate). */
static void test_recurrent_masks_are_held_over_steps(void **state)
{
    (void)state;
    const int n = 32, T = 6, F = 50;
    const float keep = 1.0f / 0.7f;
    float *x = filled((size_t)n * T * F, 1.0f);
    /* input dropout alone: y_t = x_t ⊙ m for every t (U = 0) */
    recur_model *m = probe_rnn(T, F, 0.3f, 0.0f, 0.0f);
    training_forward(m, x, n);
    const float *y = m->acts[0].y;
    size_t dropped = 0;
    for (int b = 0; b < n; b++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < F; j++) {
                const float v = y[((size_t)b * T + t) * F + j];
                assert_true(v == y[(size_t)b * T * F + j]);   /* as at step 0 */
                assert_true(v == 0.0f || v == keep);
                dropped += t == 0 && v == 0.0f;
            }
    assert_true(fabs((double)dropped / (n * F) - 0.3) < 5 * sqrt(0.21 / (n * F)));
    recur_model_free(m);
    /* recurrent dropout alone (input kept): y_t = 1 + r ⊙ y_{t−1}, y_0 = 1, so
     * r = y_1 − 1 and y_t − 1 = r ⊙ y_{t−1} at every later step */
    m = probe_rnn(T, F, 0.0f, 0.3f, 1.0f);
    training_forward(m, x, n);
    y = m->acts[0].y;
    dropped = 0;
    for (int b = 0; b < n; b++)
        for (int j = 0; j < F; j++) {
            const float *row = y + (size_t)b * T * F + j;
            const float r = row[F] - 1.0f;
            assert_true(row[0] == 1.0f);
            assert_true(r == 0.0f || fabsf(r - keep) < 1e-6f);
            dropped += r == 0.0f;
            for (int t = 2; t < T; t++)
                assert_true(fabsf(row[(size_t)t * F] - (1.0f + r * row[(size_t)(t - 1) * F])) <=
                            1e-5f * fabsf(row[(size_t)t * F]));
        }
    assert_true(fabs((double)dropped / (n * F) - 0.3) < 5 * sqrt(0.21 / (n * F)));
    recur_model_free(m);
    free(x);
}

/* Two models with the same weights: predictions and training, compared bit for bit. */
static void same_training(const char *what, recur_model *a, recur_model *b, const float *x,
                          const float *y, int n, bool expect_equal)
{
    const int nw = recur_model_num_weights(a);
    assert_int_equal(nw, recur_model_num_weights(b));
    for (int w = 0; w < nw; w++) {
        const size_t c = a->weights[w].n;
        float *v = malloc(c * sizeof(float));
        recur_model_get_weight(a, w, v, c);
        assert_int_equal(recur_model_set_weight(b, w, v, c), RECUR_OK);
        free(v);
    }
    recur_fit_opts f = { .epochs = 2, .batch_size = 8, .seed = 4 };
    assert_int_equal(recur_model_fit(a, x, y, n, &f), RECUR_OK);
    assert_int_equal(recur_model_fit(b, x, y, n, &f), RECUR_OK);
    bool equal = true;
    for (int w = 0; w < nw; w++) {
        const size_t c = a->weights[w].n;
        float *va = malloc(c * sizeof(float)), *vb = malloc(c * sizeof(float));
        recur_model_get_weight(a, w, va, c);
        recur_model_get_weight(b, w, vb, c);
        equal &= memcmp(va, vb, c * sizeof(float)) == 0;
        free(va);
        free(vb);
    }
    if (equal != expect_equal)
        fail_msg("%s: the trained weights are %s", what, equal ? "equal" : "different");
}

typedef struct {
    float layer_rate, dropout, recurrent_dropout;
    recur_cell cell;
    bool bidirectional;
} drop_stack;

static recur_model *drop_model(const drop_stack *d, unsigned long long seed, int threads)
{
    recur_model *m;
    assert_int_equal(recur_model_create(7, 3, &m), RECUR_OK);
    recur_model_set_seed(m, seed);
    recur_model_set_num_threads(m, threads);
    recur_rnn_opts o = { .return_sequences = true, .dropout = d->dropout,
                         .recurrent_dropout = d->recurrent_dropout };
    if (d->bidirectional)
        assert_int_equal(recur_model_add_bidirectional(m, d->cell, 5, &o, RECUR_MERGE_CONCAT),
                         RECUR_OK);
    else if (d->cell == RECUR_LSTM)
        assert_int_equal(recur_model_add_lstm(m, 5, &o), RECUR_OK);
    else
        assert_int_equal(recur_model_add_gru(m, 5, &o), RECUR_OK);
    assert_int_equal(recur_model_add_dropout(m, d->layer_rate), RECUR_OK);
    assert_int_equal(recur_model_add_global_average_pooling1d(m), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_LINEAR), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    return m;
}

/* Rate 0 everywhere trains exactly as the model without dropout; any rates change nothing
 * at inference; with rates, the same seed gives the same bits on 1, 2 and 3 threads, and
 * another seed other bits. */
static void test_rates_seeds_and_threads(void **state)
{
    (void)state;
    const int n = 24;
    test_rng r = { 3 };
    float *x = malloc(sizeof(float) * n * 7 * 3), *y = malloc(sizeof(float) * n);
    rng_fill(&r, x, (size_t)n * 7 * 3, -1, 1);
    rng_fill(&r, y, (size_t)n, -1, 1);
    const drop_stack zero = { 0, 0, 0, RECUR_LSTM, false };
    const drop_stack with[] = { { 0.3f, 0.2f, 0.0f, RECUR_LSTM, false },
                                { 0.3f, 0.2f, 0.4f, RECUR_GRU, false },
                                { 0.5f, 0.0f, 0.3f, RECUR_LSTM, true } };
    /* rate 0: the Dropout(0) layer and the zero rates are the plain model */
    recur_model *a = drop_model(&zero, 1, 2), *b;
    assert_int_equal(recur_model_create(7, 3, &b), RECUR_OK);
    recur_model_set_num_threads(b, 2);
    recur_rnn_opts seq = { .return_sequences = true };
    assert_int_equal(recur_model_add_lstm(b, 5, &seq), RECUR_OK);
    assert_int_equal(recur_model_add_global_average_pooling1d(b), RECUR_OK);
    assert_int_equal(recur_model_add_dense(b, 1, RECUR_ACT_LINEAR), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(b, &c), RECUR_OK);
    same_training("rate 0 against no dropout", a, b, x, y, n, true);
    recur_model_free(a);
    recur_model_free(b);
    for (int k = 0; k < 3; k++) {
        /* inference ignores the rates: a model with them predicts as one without */
        drop_stack plain = with[k];
        plain.layer_rate = plain.dropout = plain.recurrent_dropout = 0;
        a = drop_model(&with[k], 1, 2);
        b = drop_model(&plain, 1, 2);
        float *pa = malloc(sizeof(float) * n), *pb = malloc(sizeof(float) * n);
        assert_int_equal(recur_model_predict(a, x, n, pa), RECUR_OK);
        assert_int_equal(recur_model_predict(b, x, n, pb), RECUR_OK);
        assert_memory_equal(pa, pb, sizeof(float) * n);
        free(pa);
        free(pb);
        recur_model_free(a);
        recur_model_free(b);
        /* reproducible at any thread count, different for another seed */
        for (int t = 2; t <= 4; t++) {
            a = drop_model(&with[k], 7, 1);
            b = drop_model(&with[k], t < 4 ? 7 : 8, t < 4 ? t : 1);
            char what[64];
            snprintf(what, sizeof what, "stack %d, 1 thread against %d", k, t);
            same_training(t < 4 ? what : "another seed", a, b, x, y, n, t < 4);
            recur_model_free(a);
            recur_model_free(b);
        }
    }
    free(x);
    free(y);
}

/* Rates outside [0, 1) are refused with a message, NaN too. */
static void test_bad_rates(void **state)
{
    (void)state;
    recur_model *m;
    assert_int_equal(recur_model_create(4, 2, &m), RECUR_OK);
    const float bad[] = { -0.1f, 1.0f, 1.5f, NAN };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(recur_model_add_dropout(m, bad[i]), RECUR_ERR_ARGUMENT);
        assert_non_null(strstr(recur_last_error(), "[0, 1)"));
        recur_rnn_opts o = { .dropout = bad[i] };
        assert_int_equal(recur_model_add_lstm(m, 3, &o), RECUR_ERR_ARGUMENT);
        o = (recur_rnn_opts){ .recurrent_dropout = bad[i] };
        assert_int_equal(recur_model_add_gru(m, 3, &o), RECUR_ERR_ARGUMENT);
        assert_int_equal(recur_model_add_bidirectional(m, RECUR_LSTM, 3, &o, RECUR_MERGE_SUM),
                         RECUR_ERR_ARGUMENT);
    }
    assert_int_equal(recur_model_num_layers(m), 0);
    recur_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answers),
        cmocka_unit_test(test_dropout_layer),
        cmocka_unit_test(test_recurrent_masks_are_held_over_steps),
        cmocka_unit_test(test_rates_seeds_and_threads),
        cmocka_unit_test(test_bad_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
