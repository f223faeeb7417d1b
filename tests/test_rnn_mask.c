/* Masked layers, bit for bit: the ragged path (post- and pre-padding) against the general
 * path on the same mask, across thread counts and both thread splits; training against
 * inference outputs; a mask without padding against no mask at all; and the zeros Keras
 * gives where a step is masked. The values themselves are checked against the double
 * reference and finite differences in test_rnn_gradcheck.c. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "rnn/engine.h"
#include "rnn/internal.h"
#include "test_util.h"

typedef struct {
    recur_cell cell;
    bool reset_before, go_backwards, zero_output;
    int F, H, B, T;
} mcase;

/* Everything a forward and backward produce, for comparing runs. */
typedef struct {
    float *y, *y_last, *h_last, *c_last, *dx, *dh0, *dc0, *dk, *du, *db;
    size_t ny, ns, nx, nk, nu, nb;
    bool ragged;          /* the run took the ragged path */
} run_out;

typedef enum { PAD_POST, PAD_PRE, PAD_RANDOM, PAD_NONE } pad_kind;

static uint8_t *make_mask(pad_kind kind, int B, int T, uint64_t seed)
{
    test_rng r = { seed };
    uint8_t *m = malloc((size_t)B * T);
    for (int b = 0; b < B; b++) {
        const int len = (int)(rng_next(&r) % (uint64_t)(T + 1));
        for (int t = 0; t < T; t++)
            m[(size_t)b * T + t] = kind == PAD_NONE ? 1 : kind == PAD_POST ? t < len
                                   : kind == PAD_PRE ? t >= T - len : (rng_next(&r) & 3) != 0;
    }
    return m;
}

static float *rnd(test_rng *r, size_t n, float lo, float hi)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    rng_fill(r, p, n, lo, hi);
    return p;
}

typedef struct {
    int threads;
    bool ragged_off, inference, units, no_mask;
    bool dropout;          /* recurrent dropout with input masks (fixed, rate 0.25) */
} run_how;

/* One forward and (unless inference) backward of case c on mask, with fixed data. */
static run_out run(const mcase *c, const uint8_t *mask, run_how how)
{
    const int G = c->cell == RECUR_LSTM ? 4 : c->cell == RECUR_GRU ? 3 : 1, GH = G * c->H;
    const bool lstm = c->cell == RECUR_LSTM;
    recur_rnn_config cfg = { .cell = c->cell, .input_size = c->F, .units = c->H,
                             .reset_before = c->reset_before, .go_backwards = c->go_backwards,
                             .zero_output_for_mask = c->zero_output };
    recur_rnn *rnn;
    assert_int_equal(recur_rnn_create(&cfg, &rnn), RECUR_OK);
    rnn->ragged_off = how.ragged_off;
    rnn->split = how.units ? RECUR_SPLIT_UNITS : RECUR_SPLIT_BATCH;
    recur_rnn_set_num_threads(rnn, how.threads);
    test_rng r = { 99 };
    run_out o = { .ny = (size_t)c->B * c->T * c->H, .ns = (size_t)c->B * c->H,
                  .nx = (size_t)c->B * c->T * c->F, .nk = (size_t)c->F * GH,
                  .nu = (size_t)c->H * GH };
    size_t nb;
    recur_rnn_weight_counts(rnn, NULL, NULL, &nb);
    o.nb = nb;
    float *k = rnd(&r, o.nk, -0.5f, 0.5f), *u = rnd(&r, o.nu, -0.5f, 0.5f);
    float *b = rnd(&r, nb, -0.3f, 0.3f), *x = rnd(&r, o.nx, -1, 1);
    float *h0 = rnd(&r, o.ns, -1, 1), *c0 = rnd(&r, o.ns, -1, 1);
    float *wy = rnd(&r, o.ny, -1, 1), *wl = rnd(&r, o.ns, -1, 1), *wh = rnd(&r, o.ns, -1, 1);
    assert_int_equal(recur_rnn_set_weights(rnn, k, u, b), RECUR_OK);
    float *in_mask = NULL, *rec_mask = NULL;
    if (how.dropout) {
        in_mask = malloc(sizeof(float) * (size_t)c->B * G * c->F);
        rec_mask = malloc(sizeof(float) * (size_t)c->B * GH);
        for (size_t i = 0; i < (size_t)c->B * G * c->F; i++)
            in_mask[i] = rng_next(&r) % 4 == 0 ? 0.0f : 4.0f / 3.0f;
        for (size_t i = 0; i < (size_t)c->B * GH; i++)
            rec_mask[i] = rng_next(&r) % 4 == 0 ? 0.0f : 4.0f / 3.0f;
        assert_int_equal(recur_rnn_plan_dropout(rnn, true), RECUR_OK);
        recur_rnn_set_dropout(rnn, in_mask, rec_mask);
    }
    o.y = malloc(sizeof(float) * o.ny);
    o.y_last = malloc(sizeof(float) * o.ns);
    o.h_last = malloc(sizeof(float) * o.ns);
    o.c_last = calloc(o.ns, sizeof(float));
    recur_rnn_set_inference(rnn, how.inference);
    const recur_rnn_fwd_io fio = { .x = x, .mask = how.no_mask ? NULL : mask, .h0 = h0,
                                   .c0 = lstm ? c0 : NULL, .y = o.y, .y_last = o.y_last,
                                   .h_last = o.h_last, .c_last = lstm ? o.c_last : NULL };
    assert_int_equal(recur_rnn_forward_io(rnn, c->B, c->T, &fio), RECUR_OK);
    o.ragged = rnn->mk.on && rnn->mk.ragged;
    if (!how.inference) {
        o.dx = malloc(sizeof(float) * o.nx);
        o.dh0 = malloc(sizeof(float) * o.ns);
        o.dc0 = calloc(o.ns, sizeof(float));
        o.dk = malloc(sizeof(float) * o.nk);
        o.du = malloc(sizeof(float) * o.nu);
        o.db = malloc(sizeof(float) * (nb ? nb : 1));
        recur_rnn_zero_grads(rnn);
        const recur_rnn_bwd_io bio = { .dy = wy, .dy_last = wl, .dh_last = wh,
                                       .dc_last = lstm ? wh : NULL, .dx = o.dx, .dh0 = o.dh0,
                                       .dc0 = lstm ? o.dc0 : NULL };
        assert_int_equal(recur_rnn_backward_io(rnn, &bio), RECUR_OK);
        assert_int_equal(recur_rnn_get_grads(rnn, o.dk, o.du, nb ? o.db : NULL), RECUR_OK);
    }
    free(k); free(u); free(b); free(x); free(h0); free(c0); free(wy); free(wl); free(wh);
    free(in_mask); free(rec_mask);
    recur_rnn_free(rnn);
    return o;
}

static void free_out(run_out *o)
{
    free(o->y); free(o->y_last); free(o->h_last); free(o->c_last); free(o->dx); free(o->dh0);
    free(o->dc0); free(o->dk); free(o->du); free(o->db);
}

static void same_bits(const char *what, const run_out *a, const run_out *b, bool grads)
{
    const struct { const char *name; const float *p, *q; size_t n; } arrays[] = {
        { "y", a->y, b->y, a->ny }, { "y_last", a->y_last, b->y_last, a->ns },
        { "h_last", a->h_last, b->h_last, a->ns }, { "c_last", a->c_last, b->c_last, a->ns },
        { "dx", a->dx, b->dx, a->nx }, { "dh0", a->dh0, b->dh0, a->ns },
        { "dc0", a->dc0, b->dc0, a->ns }, { "dkernel", a->dk, b->dk, a->nk },
        { "drecurrent_kernel", a->du, b->du, a->nu }, { "dbias", a->db, b->db, a->nb },
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        if (!grads && i >= 4)
            break;
        if (memcmp(arrays[i].p, arrays[i].q, arrays[i].n * sizeof(float)) != 0)
            fail_msg("%s: %s differs", what, arrays[i].name);
    }
}

static const mcase cases[] = {
    { RECUR_SIMPLE_RNN, false, false, false, 3, 7, 20, 11 },
    { RECUR_LSTM, false, false, false, 9, 17, 20, 11 },
    { RECUR_LSTM, false, true, true, 2, 5, 19, 9 },
    { RECUR_GRU, false, false, true, 9, 9, 20, 10 },
    { RECUR_GRU, true, true, false, 9, 6, 17, 8 },
    { RECUR_GRU, true, false, false, 1, 33, 23, 7 },
};

/* The ragged path equals the general one bit for bit, for 1 to 3 threads, in training
 * and in inference; and the outputs of both modes agree. */
static void test_ragged_equals_general(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int kind = PAD_POST; kind <= PAD_PRE; kind++) {
            const mcase *c = &cases[i];
            uint8_t *mask = make_mask((pad_kind)kind, c->B, c->T, 7 + i);
            run_out general = run(c, mask, (run_how){ .threads = 1, .ragged_off = true });
            assert_false(general.ragged);
            for (int t = 1; t <= 3; t++) {
                run_out ragged = run(c, mask, (run_how){ .threads = t });
                if (!ragged.ragged)
                    fail_msg("case %zu: a padded batch did not take the ragged path", i);
                same_bits("ragged vs general", &ragged, &general, true);
                run_out infer = run(c, mask, (run_how){ .threads = t, .inference = true });
                same_bits("inference vs training", &infer, &general, false);
                run_out gen_t = run(c, mask, (run_how){ .threads = t, .ragged_off = true });
                same_bits("general across threads", &gen_t, &general, true);
                free_out(&ragged);
                free_out(&infer);
                free_out(&gen_t);
            }
            free_out(&general);
            free(mask);
        }
}

/* Arbitrary masks take the general path: the same bits at any thread count, in either
 * thread split, and in inference. */
static void test_general_mask_threads_and_splits(void **state)
{
    (void)state;
    const mcase wide = { RECUR_LSTM, false, false, false, 9, 64, 6, 9 };
    const mcase gru = { RECUR_GRU, true, true, true, 9, 64, 5, 7 };
    const mcase *list[] = { &wide, &gru };
    for (int i = 0; i < 2; i++) {
        uint8_t *mask = make_mask(PAD_RANDOM, list[i]->B, list[i]->T, 3);
        run_out one = run(list[i], mask, (run_how){ .threads = 1 });
        for (int t = 2; t <= 3; t++)
            for (int units = 0; units < 2; units++) {
                run_out o = run(list[i], mask, (run_how){ .threads = t, .units = units });
                same_bits("general mask, threads and splits", &o, &one, true);
                free_out(&o);
            }
        run_out infer = run(list[i], mask, (run_how){ .threads = 2, .inference = true });
        same_bits("general mask, inference", &infer, &one, false);
        free_out(&infer);
        free_out(&one);
        free(mask);
    }
}

/* A mask with no padding is no mask at all, bit for bit. */
static void test_full_mask_is_no_mask(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *mask = make_mask(PAD_NONE, cases[i].B, cases[i].T, 1);
        run_out with = run(&cases[i], mask, (run_how){ .threads = 2 });
        run_out without = run(&cases[i], mask, (run_how){ .threads = 2, .no_mask = true });
        same_bits("full mask vs none", &with, &without, true);
        free_out(&with);
        free_out(&without);
        free(mask);
    }
}

/* Keras's zeros: outputs before a row's first real step, every masked output under
 * zero_output_for_mask, and the input gradient of every masked step. */
static void test_masked_zeros(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int kind = PAD_POST; kind <= PAD_RANDOM; kind++) {
            const mcase *c = &cases[i];
            uint8_t *mask = make_mask((pad_kind)kind, c->B, c->T, 11 + i);
            run_out o = run(c, mask, (run_how){ .threads = 2 });
            for (int b = 0; b < c->B; b++) {
                bool seen = false;
                for (int s = 0; s < c->T; s++) {
                    const int t = c->go_backwards ? c->T - 1 - s : s;
                    const bool real = mask[(size_t)b * c->T + t];
                    seen |= real;
                    const bool zero = !seen || (c->zero_output && !real);
                    for (int j = 0; j < c->H && zero; j++)
                        assert_true(o.y[((size_t)b * c->T + s) * c->H + j] == 0.0f);
                    for (int f = 0; f < c->F && !real; f++)
                        assert_true(o.dx[((size_t)b * c->T + t) * c->F + f] == 0.0f);
                }
            }
            free_out(&o);
            free(mask);
        }
}

/* Recurrent dropout computes every row (no ragged path) and splits batch rows only, with
 * the same bits on 1 to 3 threads, under every kind of padding and none. */
static void test_dropout_threads(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int kind = PAD_POST; kind <= PAD_NONE; kind++) {
            const mcase *c = &cases[i];
            uint8_t *mask = make_mask((pad_kind)kind, c->B, c->T, 17 + i);
            run_out one = run(c, mask, (run_how){ .threads = 1, .dropout = true });
            assert_false(one.ragged);
            for (int t = 2; t <= 3; t++)
                for (int units = 0; units <= 1; units++) {
                    run_out o = run(c, mask, (run_how){ .threads = t, .units = units,
                                                        .dropout = true });
                    same_bits("dropout across threads", &one, &o, true);
                    free_out(&o);
                }
            free_out(&one);
            free(mask);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ragged_equals_general),
        cmocka_unit_test(test_general_mask_threads_and_splits),
        cmocka_unit_test(test_full_mask_is_no_mask),
        cmocka_unit_test(test_masked_zeros),
        cmocka_unit_test(test_dropout_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
