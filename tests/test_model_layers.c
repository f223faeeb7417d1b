/* The model's layer stack beyond the recurrent cells: gradients through masked stacks with
 * Embedding, Masking and both poolings (finite differences of every weight), every layer
 * kind through a model file, rows independent of the batch size, the public training step
 * against fit, no allocation once a batch size has been seen, early stopping, and bad
 * input for the new layers. The values are checked against real Keras in
 * test_keras_reference.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/internal.h"
#include "test_util.h"

#include "alloc_count.h"

/* Token ids [n, T, 1] from a vocabulary of `vocab`, zero padding: after (post), before (pre),
 * or anywhere. */
static float *token_ids(int n, int T, int vocab, int padding, uint64_t seed)
{
    test_rng r = { seed };
    float *x = malloc(sizeof(float) * (size_t)n * T);
    for (int i = 0; i < n; i++) {
        const int len = 1 + (int)(rng_next(&r) % (uint64_t)T);
        for (int t = 0; t < T; t++) {
            const bool pad = padding == 0 ? t >= len : padding == 1 ? t < T - len
                                                                    : rng_next(&r) % 3 == 0;
            x[(size_t)i * T + t] = pad ? 0.0f : (float)(1 + rng_next(&r) % (uint64_t)(vocab - 1));
        }
    }
    return x;
}

/* The stacks under test: each a model on token ids or features, and its loss. */
typedef struct {
    const char *name;
    int T, F, outputs_per_sample;
    recur_loss loss;
    void (*build)(recur_model *m);
} stack;

static void emb_lstm_gru_seq(recur_model *m)
{
    recur_rnn_opts seq = { .return_sequences = true }, back = { .return_sequences = true,
                                                               .go_backwards = true };
    assert_int_equal(recur_model_add_embedding(m, 7, 4, true), RECUR_OK);
    assert_int_equal(recur_model_add_lstm(m, 5, &seq), RECUR_OK);
    assert_int_equal(recur_model_add_gru(m, 4, &back), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 3, RECUR_ACT_SOFTMAX), RECUR_OK);
}

static void emb_rnn_gap(recur_model *m)
{
    recur_rnn_opts seq = { .return_sequences = true, .zero_output_for_mask = true };
    assert_int_equal(recur_model_add_embedding(m, 7, 3, true), RECUR_OK);
    assert_int_equal(recur_model_add_simple_rnn(m, 4, &seq), RECUR_OK);
    assert_int_equal(recur_model_add_global_average_pooling1d(m), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 2, RECUR_ACT_TANH), RECUR_OK);
}

static void masking_gru_gmp(recur_model *m)
{
    recur_rnn_opts seq = { .return_sequences = true, .reset_before = true };
    assert_int_equal(recur_model_add_masking(m, 0.0f), RECUR_OK);
    assert_int_equal(recur_model_add_gru(m, 4, &seq), RECUR_OK);
    assert_int_equal(recur_model_add_global_max_pooling1d(m), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_SIGMOID), RECUR_OK);
}

static void emb_lstm_last(recur_model *m)
{
    assert_int_equal(recur_model_add_embedding(m, 7, 4, true), RECUR_OK);
    assert_int_equal(recur_model_add_lstm(m, 4, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_LINEAR), RECUR_OK);
}

/* Dropout and Bidirectional: the gradients below are of one training step's fixed masks
 * (the masks change with the optimizer step, not with the forward call). */
static void emb_bi_lstm_dropout_bi_gru(recur_model *m)
{
    recur_rnn_opts lstm = { .return_sequences = true, .dropout = 0.3f,
                            .recurrent_dropout = 0.2f };
    recur_rnn_opts gru = { .recurrent_dropout = 0.25f };
    assert_int_equal(recur_model_add_embedding(m, 7, 4, true), RECUR_OK);
    assert_int_equal(recur_model_add_bidirectional(m, RECUR_LSTM, 3, &lstm, RECUR_MERGE_CONCAT),
                     RECUR_OK);
    assert_int_equal(recur_model_add_dropout(m, 0.4f), RECUR_OK);
    assert_int_equal(recur_model_add_bidirectional(m, RECUR_GRU, 3, &gru, RECUR_MERGE_SUM),
                     RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 3, RECUR_ACT_SOFTMAX), RECUR_OK);
}

static void masking_bi_rnn_mul_gap(recur_model *m)
{
    recur_rnn_opts seq = { .return_sequences = true, .dropout = 0.2f };
    assert_int_equal(recur_model_add_masking(m, 0.0f), RECUR_OK);
    assert_int_equal(recur_model_add_bidirectional(m, RECUR_SIMPLE_RNN, 4, &seq, RECUR_MERGE_MUL),
                     RECUR_OK);
    assert_int_equal(recur_model_add_global_average_pooling1d(m), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_LINEAR), RECUR_OK);
}

static void dropout_bi_gru_ave(recur_model *m)
{
    recur_rnn_opts o = { .return_sequences = true, .reset_before = true, .dropout = 0.25f,
                         .recurrent_dropout = 0.3f };
    assert_int_equal(recur_model_add_dropout(m, 0.2f), RECUR_OK);
    assert_int_equal(recur_model_add_bidirectional(m, RECUR_GRU, 4, &o, RECUR_MERGE_AVE),
                     RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 2, RECUR_ACT_LINEAR), RECUR_OK);
}

static void emb_lstm_dropout_gru(recur_model *m)
{
    recur_rnn_opts lstm = { .return_sequences = true, .dropout = 0.3f };
    recur_rnn_opts rnn = { .dropout = 0.2f, .recurrent_dropout = 0.3f };
    assert_int_equal(recur_model_add_embedding(m, 7, 4, true), RECUR_OK);
    assert_int_equal(recur_model_add_lstm(m, 4, &lstm), RECUR_OK);
    assert_int_equal(recur_model_add_dropout(m, 0.5f), RECUR_OK);
    assert_int_equal(recur_model_add_simple_rnn(m, 3, &rnn), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_SIGMOID), RECUR_OK);
}

static const stack stacks[] = {
    { "Embedding → LSTM(seq) → GRU(seq, backwards) → Dense(softmax) per step", 6, 1, 6,
      RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, emb_lstm_gru_seq },
    { "Embedding → SimpleRNN(seq, zero output) → GAP → Dense", 6, 1, 2, RECUR_LOSS_MSE,
      emb_rnn_gap },
    { "Masking → GRU(reset_before, seq) → GMP → Dense(sigmoid)", 5, 2, 1,
      RECUR_LOSS_BINARY_CROSSENTROPY, masking_gru_gmp },
    { "Embedding → LSTM → Dense", 6, 1, 1, RECUR_LOSS_HUBER, emb_lstm_last },
    { "Embedding → Bidirectional(LSTM, seq, dropout, recurrent_dropout) → Dropout → "
      "Bidirectional(GRU, sum, recurrent_dropout) → Dense(softmax)", 6, 1, 1,
      RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, emb_bi_lstm_dropout_bi_gru },
    { "Masking → Bidirectional(SimpleRNN, seq, mul, dropout) → GAP → Dense", 5, 2, 1,
      RECUR_LOSS_MSE, masking_bi_rnn_mul_gap },
    { "Dropout → Bidirectional(GRU reset_before, seq, ave, both dropouts) → Dense per step", 5,
      3, 10, RECUR_LOSS_MSE, dropout_bi_gru_ave },
    { "Embedding → LSTM(seq, dropout) → Dropout → SimpleRNN(both dropouts) → Dense(sigmoid)",
      6, 1, 1, RECUR_LOSS_BINARY_CROSSENTROPY, emb_lstm_dropout_gru },
};

static recur_model *make(const stack *st, recur_optimizer opt)
{
    recur_model *m;
    assert_int_equal(recur_model_create(st->T, st->F, &m), RECUR_OK);
    st->build(m);
    recur_compile_opts c = { .optimizer = opt, .loss = st->loss,
                             .metrics = st->loss == RECUR_LOSS_MSE || st->loss == RECUR_LOSS_HUBER
                                            ? RECUR_METRIC_MAE : RECUR_METRIC_ACCURACY };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    return m;
}

/* Inputs and targets for stack st: token ids (padding after, before or anywhere) or
 * features with masked steps of zeros; targets to suit the loss. */
static void make_data(const stack *st, int n, int padding, uint64_t seed, float **x, float **y)
{
    test_rng r = { seed };
    if (st->F == 1) {
        *x = token_ids(n, st->T, 7, padding, seed);
    } else {
        *x = malloc(sizeof(float) * (size_t)n * st->T * st->F);
        rng_fill(&r, *x, (size_t)n * st->T * st->F, -1, 1);
        for (int i = 0; i < n * st->T; i++)
            if (rng_next(&r) % 3 == 0)
                for (int f = 0; f < st->F; f++)
                    (*x)[(size_t)i * st->F + f] = 0.0f;
    }
    const size_t ny = (size_t)n * st->outputs_per_sample;
    *y = malloc(sizeof(float) * ny);
    for (size_t i = 0; i < ny; i++)
        (*y)[i] = st->loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? (float)(rng_next(&r) % 3)
                  : st->loss == RECUR_LOSS_BINARY_CROSSENTROPY ? (float)(rng_next(&r) % 2)
                                                               : rng_uniform(&r, -1, 1);
}

/* The loss in double precision (train_step reports it in float). */
static double fd_loss(recur_model *m, const float *x, const float *y, int n)
{
    double l;
    assert_int_equal(recur_model_forward_batch(m, x, n), RECUR_OK);
    assert_int_equal(recur_model_loss_and_grads(m, x, n, y, false, &l), RECUR_OK);
    return l;
}

/* Every element of every weight, central differences with h = 1e-3 against the gradient
 * of the public train step. The forward runs in float, so the loss carries a rounding
 * noise of about 1e-7·|L|, which the difference quotient magnifies by 1/(2h) to ~5e-5·|L|
 * (|L| ≤ 2 here); the truncation error h²·f''' is ~1e-6. Hence 2e-4 absolute plus 1e-2
 * relative: 4× the noise, while a wrong term in any gradient is off by its own size. */
static void test_gradients_through_masked_stacks(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof stacks / sizeof stacks[0]; k++)
        for (int padding = 0; padding < 3; padding++) {
            const stack *st = &stacks[k];
            recur_model *m = make(st, RECUR_SGD);
            const int n = 4;
            float *x, *y;
            make_data(st, n, padding, 31 + k * 3 + (uint64_t)padding, &x, &y);
            assert_int_equal(recur_model_train_step(m, x, y, n, NULL), RECUR_OK);
            for (int w = 0; w < recur_model_num_weights(m); w++) {
                const size_t nw = m->weights[w].n;
                float *g = malloc(sizeof(float) * nw), *v = malloc(sizeof(float) * nw);
                assert_int_equal(recur_model_get_gradient(m, w, g, nw), RECUR_OK);
                recur_model_get_weight(m, w, v, nw);
                for (size_t i = 0; i < nw; i++) {
                    const float h = 1e-3f, keep = v[i];
                    v[i] = keep + h;
                    recur_model_set_weight(m, w, v, nw);
                    const double lp = fd_loss(m, x, y, n);
                    v[i] = keep - h;
                    recur_model_set_weight(m, w, v, nw);
                    const double lm = fd_loss(m, x, y, n);
                    v[i] = keep;
                    recur_model_set_weight(m, w, v, nw);
                    const double fd = (lp - lm) / (2.0 * h);
                    if (!(fabs(g[i] - fd) <= 2e-4 + 1e-2 * fabs(fd)))
                        fail_msg("%s, padding %d: weight %d [%zu]: gradient %.7g, finite "
                                 "difference %.7g", st->name, padding, w, i, g[i], fd);
                }
                free(g);
                free(v);
            }
            free(x);
            free(y);
            recur_model_free(m);
        }
}

/* Each stack trained a little, saved, loaded: the same predictions, bit for bit, and the
 * same training from there on. */
static void test_every_kind_through_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/recur_layers_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.recur", dir);
    for (size_t k = 0; k < sizeof stacks / sizeof stacks[0]; k++) {
        const stack *st = &stacks[k];
        recur_model *m = make(st, RECUR_ADAM), *back;
        const int n = 12;
        float *x, *y;
        make_data(st, n, (int)k % 3, 7 + k, &x, &y);
        recur_fit_opts f = { .epochs = 2, .batch_size = 4, .seed = 3 };
        assert_int_equal(recur_model_fit(m, x, y, n, &f), RECUR_OK);
        assert_int_equal(recur_model_save(m, path), RECUR_OK);
        assert_int_equal(recur_model_load(path, &back), RECUR_OK);
        const size_t np = (size_t)n * st->outputs_per_sample *
                          (st->loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? 3 : 1);
        float *p = malloc(sizeof(float) * np), *q = malloc(sizeof(float) * np);
        assert_int_equal(recur_model_predict(m, x, n, p), RECUR_OK);
        assert_int_equal(recur_model_predict(back, x, n, q), RECUR_OK);
        assert_memory_equal(p, q, sizeof(float) * np);
        assert_int_equal(recur_model_fit(m, x, y, n, &f), RECUR_OK);
        assert_int_equal(recur_model_fit(back, x, y, n, &f), RECUR_OK);
        assert_int_equal(recur_model_predict(m, x, n, p), RECUR_OK);
        assert_int_equal(recur_model_predict(back, x, n, q), RECUR_OK);
        assert_memory_equal(p, q, sizeof(float) * np);
        free(p);
        free(q);
        free(x);
        free(y);
        recur_model_free(m);
        recur_model_free(back);
    }
    unlink(path);
    rmdir(dir);
}

/* predict and evaluate give every row the same bits at any batch size (the ragged path
 * sorts rows by length within a batch, and the chunked inference projects each chunk). */
static void test_batch_size_does_not_change_rows(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof stacks / sizeof stacks[0]; k++) {
        const stack *st = &stacks[k];
        recur_model *m = make(st, RECUR_ADAM);
        const int n = 37;
        float *x, *y;
        make_data(st, n, (int)k % 3, 99 + k, &x, &y);
        const size_t per = (size_t)st->outputs_per_sample *
                           (st->loss == RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? 3 : 1);
        float *p1 = malloc(sizeof(float) * n * per), *p2 = malloc(sizeof(float) * n * per);
        assert_int_equal(recur_model_predict_in_batches(m, x, n, 1, p1), RECUR_OK);
        const int sizes[] = { 2, 5, 32, 37, 1000 };
        for (int i = 0; i < 5; i++) {
            assert_int_equal(recur_model_predict_in_batches(m, x, n, sizes[i], p2), RECUR_OK);
            if (memcmp(p1, p2, sizeof(float) * n * per) != 0)
                fail_msg("%s: predictions at batch size %d differ from batch size 1", st->name,
                         sizes[i]);
        }
        /* evaluate's loss is a mean over rows, so the batches do not change it, unless the
         * output is a masked sequence: then, as in Keras, each batch's loss is the mean
         * over its own real steps and the batches are weighted by their samples */
        float l1, l2, m1[RECUR_MAX_METRICS], m2[RECUR_MAX_METRICS];
        assert_int_equal(recur_model_evaluate_in_batches(m, x, y, n, 37, &l1, m1), RECUR_OK);
        assert_int_equal(recur_model_evaluate(m, x, y, n, &l2, m2), RECUR_OK);
        if (st->outputs_per_sample <= 2)
            assert_true(fabsf(l1 - l2) <= 1e-6f * (1 + fabsf(l1)));
        assert_int_equal(recur_model_predict_in_batches(m, x, n, -1, p2), RECUR_ERR_ARGUMENT);
        free(p1);
        free(p2);
        free(x);
        free(y);
        recur_model_free(m);
    }
}

/* fit over one batch per epoch, without shuffling, is train_step then apply_gradients. */
static void test_train_step_is_fit(void **state)
{
    (void)state;
    const stack *st = &stacks[0];
    recur_model *a = make(st, RECUR_ADAM), *b = make(st, RECUR_ADAM);
    const int n = 8;
    float *x, *y;
    make_data(st, n, 0, 5, &x, &y);
    recur_fit_opts f = { .epochs = 3, .batch_size = n, .no_shuffle = true };
    assert_int_equal(recur_model_fit(a, x, y, n, &f), RECUR_OK);
    float loss = 0;
    for (int e = 0; e < 3; e++) {
        assert_int_equal(recur_model_train_step(b, x, y, n, &loss), RECUR_OK);
        float *grads;
        size_t count;
        assert_int_equal(recur_model_gradient_block(b, &grads, &count), RECUR_OK);
        assert_true(count >= b->block_floats);
        assert_int_equal(recur_model_apply_gradients(b), RECUR_OK);
    }
    recur_epoch_log log;
    assert_int_equal(recur_model_history(a, 2, &log), RECUR_OK);
    assert_true(log.loss == loss);
    for (int w = 0; w < recur_model_num_weights(a); w++) {
        const size_t nw = a->weights[w].n;
        float *wa = malloc(sizeof(float) * nw), *wb = malloc(sizeof(float) * nw);
        recur_model_get_weight(a, w, wa, nw);
        recur_model_get_weight(b, w, wb, nw);
        assert_memory_equal(wa, wb, sizeof(float) * nw);
        free(wa);
        free(wb);
    }
    free(x);
    free(y);
    recur_model_free(a);
    recur_model_free(b);
}

/* Once a batch size has been seen, training and prediction steps allocate nothing. */
static void test_no_allocation_in_the_loop(void **state)
{
    (void)state;
#ifdef COUNTING_ALLOCATIONS
    for (size_t k = 0; k < sizeof stacks / sizeof stacks[0]; k++) {
        const stack *st = &stacks[k];
        recur_model *m = make(st, RECUR_ADAM);
        const int n = 16;
        float *x, *y, *p = malloc(sizeof(float) * 16 * 18);
        make_data(st, n, 0, 3 + k, &x, &y);
        assert_int_equal(recur_model_train_step(m, x, y, n, NULL), RECUR_OK);
        assert_int_equal(recur_model_predict(m, x, n, p), RECUR_OK);
        const long before = allocations;
        for (int i = 0; i < 3; i++) {
            assert_int_equal(recur_model_train_step(m, x, y, n, NULL), RECUR_OK);
            assert_int_equal(recur_model_apply_gradients(m), RECUR_OK);
            assert_int_equal(recur_model_train_step(m, x, y, n / 2, NULL), RECUR_OK);
            assert_int_equal(recur_model_apply_gradients(m), RECUR_OK);
            assert_int_equal(recur_model_predict(m, x, n, p), RECUR_OK);
        }
        if (allocations != before)
            fail_msg("%s: %ld allocations in the loop", st->name, allocations - before);
        free(x);
        free(y);
        free(p);
        recur_model_free(m);
    }
#else
    skip();
#endif
}

/* Early stopping: val_loss that stops improving by min_delta ends fit after `patience`
 * epochs (Keras's EarlyStopping: the first epoch always improves). */
static void test_early_stopping(void **state)
{
    (void)state;
    const stack *st = &stacks[3];
    recur_model *m;
    assert_int_equal(recur_model_create(st->T, st->F, &m), RECUR_OK);
    st->build(m);
    recur_compile_opts c = { .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE,
                             .learning_rate = 1e-9f };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    const int n = 20;
    float *x, *y;
    make_data(st, n, 0, 17, &x, &y);
    recur_fit_opts f = { .epochs = 50, .batch_size = 8, .validation_split = 0.25f,
                         .patience = 2, .min_delta = 1e-3f };
    assert_int_equal(recur_model_fit(m, x, y, n, &f), RECUR_OK);
    assert_int_equal(recur_model_history_length(m), 3);
    free(x);
    free(y);
    recur_model_free(m);
}

static void test_bad_input(void **state)
{
    (void)state;
    recur_model *m;
    assert_int_equal(recur_model_create(5, 2, &m), RECUR_OK);
    expect_error(recur_model_add_embedding(m, 10, 4, true), RECUR_ERR_SHAPE, "1 feature");
    expect_error(recur_model_add_masking(m, NAN), RECUR_ERR_ARGUMENT, "finite");
    assert_int_equal(recur_model_add_lstm(m, 3, NULL), RECUR_OK);
    expect_error(recur_model_add_global_average_pooling1d(m), RECUR_ERR_SHAPE, "needs a sequence");
    expect_error(recur_model_add_global_max_pooling1d(m), RECUR_ERR_SHAPE, "needs a sequence");
    expect_error(recur_model_add_masking(m, 0), RECUR_ERR_SHAPE, "one vector per sample");
    recur_model_free(m);

    assert_int_equal(recur_model_create(4, 1, &m), RECUR_OK);
    expect_error(recur_model_add_embedding(m, 0, 4, true), RECUR_ERR_ARGUMENT, "input_dim");
    expect_error(recur_model_add_embedding(m, 1 << 25, 4, true), RECUR_ERR_ARGUMENT, "too large");
    assert_int_equal(recur_model_add_embedding(m, 5, 3, true), RECUR_OK);
    expect_error(recur_model_add_embedding(m, 5, 3, true), RECUR_ERR_ARGUMENT, "first layer");
    assert_int_equal(recur_model_add_gru(m, 3, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_DEFAULT), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    float x[2 * 4] = { 1, 2, 3, 4, 0, 0, 1, 4 }, y[2] = { 0, 1 }, p[2];
    assert_int_equal(recur_model_fit(m, x, y, 2, NULL), RECUR_OK);
    x[6] = 5;
    expect_error(recur_model_fit(m, x, y, 2, NULL), RECUR_ERR_ARGUMENT, "sample 1, step 2 holds 5");
    x[6] = 2.5f;
    expect_error(recur_model_predict(m, x, 2, p), RECUR_ERR_ARGUMENT, "not a token id");
    x[6] = -1;
    expect_error(recur_model_train_step(m, x, y, 2, NULL), RECUR_ERR_ARGUMENT, "sample 1, step 2");
    x[6] = 1;
    float *grads;
    size_t count;
    expect_error(recur_model_gradient_block(NULL, &grads, &count), RECUR_ERR_ARGUMENT, "NULL");
    expect_error(recur_model_get_gradient(m, 9, p, 1), RECUR_ERR_ARGUMENT, "out of range");
    recur_model_free(m);

    assert_int_equal(recur_model_create(4, 1, &m), RECUR_OK);
    assert_int_equal(recur_model_add_lstm(m, 2, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_DEFAULT), RECUR_OK);
    expect_error(recur_model_apply_gradients(m), RECUR_ERR_STATE, "compile");
    expect_error(recur_model_train_step(m, x, y, 2, NULL), RECUR_ERR_STATE, "compile");
    recur_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients_through_masked_stacks),
        cmocka_unit_test(test_every_kind_through_a_file),
        cmocka_unit_test(test_batch_size_does_not_change_rows),
        cmocka_unit_test(test_train_step_is_fit),
        cmocka_unit_test(test_no_allocation_in_the_loop),
        cmocka_unit_test(test_early_stopping),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
