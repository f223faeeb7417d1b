/* The layer API's contract: bad arguments answered with a status and a message, weight
 * shapes, round trips, gradient accumulation, bitwise determinism across thread counts,
 * and no allocation inside forward/backward once the layer has reserved its sizes. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "alloc_count.h"

static recur_rnn *make(recur_cell cell, int F, int H, bool no_bias, bool reset_before)
{
    recur_rnn_config cfg = { .cell = cell, .input_size = F, .units = H, .no_bias = no_bias,
                             .reset_before = reset_before };
    recur_rnn *r = NULL;
    assert_int_equal(recur_rnn_create(&cfg, &r), RECUR_OK);
    return r;
}

static void test_bad_create(void **state)
{
    (void)state;
    recur_rnn *r = (recur_rnn *)0x1;
    recur_rnn_config cfg = { .cell = RECUR_LSTM, .input_size = 3, .units = 4 };
    expect_error(recur_rnn_create(NULL, &r), RECUR_ERR_ARGUMENT, "cfg");
    assert_null(r);
    expect_error(recur_rnn_create(&cfg, NULL), RECUR_ERR_ARGUMENT, "out");
    cfg.cell = (recur_cell)9;
    expect_error(recur_rnn_create(&cfg, &r), RECUR_ERR_ARGUMENT, "cell");
    cfg.cell = RECUR_GRU;
    cfg.units = 0;
    expect_error(recur_rnn_create(&cfg, &r), RECUR_ERR_ARGUMENT, "units");
    cfg.units = 4;
    cfg.input_size = -2;
    expect_error(recur_rnn_create(&cfg, &r), RECUR_ERR_ARGUMENT, "input_size");
    cfg.input_size = 3;
    cfg.activation = (recur_activation)42;
    expect_error(recur_rnn_create(&cfg, &r), RECUR_ERR_ARGUMENT, "activation");
    cfg.activation = RECUR_ACT_DEFAULT;
    cfg.cell = RECUR_LSTM;
    cfg.reset_before = true;
    expect_error(recur_rnn_create(&cfg, &r), RECUR_ERR_ARGUMENT, "reset_before");
    cfg.units = 1 << 20;
    cfg.input_size = 1 << 20;
    cfg.reset_before = false;
    expect_error(recur_rnn_create(&cfg, &r), RECUR_ERR_ARGUMENT, "too large");
    assert_string_equal(recur_status_str(RECUR_ERR_SHAPE), "shape mismatch");
    recur_rnn_free(NULL);
}

static void test_weight_shapes_and_round_trip(void **state)
{
    (void)state;
    struct { recur_cell cell; bool no_bias, rb; size_t k, u, b; } want[] = {
        { RECUR_SIMPLE_RNN, false, false, 3 * 4, 4 * 4, 4 },
        { RECUR_LSTM, false, false, 3 * 16, 4 * 16, 16 },
        { RECUR_LSTM, true, false, 3 * 16, 4 * 16, 0 },
        { RECUR_GRU, false, false, 3 * 12, 4 * 12, 2 * 12 },   /* reset_after: [2, 3H] */
        { RECUR_GRU, false, true, 3 * 12, 4 * 12, 12 },
    };
    test_rng rng = { 5 };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        recur_rnn *r = make(want[i].cell, 3, 4, want[i].no_bias, want[i].rb);
        size_t k, u, b;
        assert_int_equal(recur_rnn_weight_counts(r, &k, &u, &b), RECUR_OK);
        assert_true(k == want[i].k && u == want[i].u && b == want[i].b);
        float wk[64], wu[64], wb[32], gk[64], gu[64], gb[32];
        rng_fill(&rng, wk, k, -1, 1);
        rng_fill(&rng, wu, u, -1, 1);
        rng_fill(&rng, wb, b, -1, 1);
        if (b)
            expect_error(recur_rnn_set_weights(r, wk, wu, NULL), RECUR_ERR_ARGUMENT, "bias");
        assert_int_equal(recur_rnn_set_weights(r, wk, wu, b ? wb : NULL), RECUR_OK);
        assert_int_equal(recur_rnn_get_weights(r, gk, gu, gb), RECUR_OK);
        assert_memory_equal(wk, gk, k * 4);
        assert_memory_equal(wu, gu, u * 4);
        if (b)
            assert_memory_equal(wb, gb, b * 4);
        recur_rnn_free(r);
    }
}

static void test_bad_forward_backward(void **state)
{
    (void)state;
    recur_rnn *g = make(RECUR_GRU, 2, 3, false, false);
    float x[2 * 4 * 2] = { 0 }, y[2 * 4 * 3], h[6];
    expect_error(recur_rnn_backward(g, NULL, NULL, NULL, NULL, NULL, NULL), RECUR_ERR_STATE,
                 "forward");
    expect_error(recur_rnn_forward(NULL, 2, 4, x, NULL, NULL, y, h, NULL), RECUR_ERR_ARGUMENT,
                 "NULL");
    expect_error(recur_rnn_forward(g, 2, 4, NULL, NULL, NULL, y, h, NULL), RECUR_ERR_ARGUMENT,
                 "NULL");
    expect_error(recur_rnn_forward(g, 0, 4, x, NULL, NULL, y, h, NULL), RECUR_ERR_SHAPE, "batch");
    expect_error(recur_rnn_forward(g, 2, -1, x, NULL, NULL, y, h, NULL), RECUR_ERR_SHAPE,
                 "timesteps");
    expect_error(recur_rnn_forward(g, 2, 4, x, NULL, h, y, h, NULL), RECUR_ERR_ARGUMENT, "LSTM");
    assert_int_equal(recur_rnn_forward(g, 2, 4, x, NULL, NULL, y, h, NULL), RECUR_OK);
    expect_error(recur_rnn_backward(g, y, NULL, h, NULL, NULL, NULL), RECUR_ERR_ARGUMENT, "LSTM");
    expect_error(recur_rnn_reserve(g, 0, 3), RECUR_ERR_ARGUMENT, "reserve");
    expect_error(recur_rnn_set_num_threads(g, -1), RECUR_ERR_ARGUMENT, "threads");
    size_t bytes = 0;
    assert_int_equal(recur_rnn_workspace_size(g, 2, 4, &bytes), RECUR_OK);
    assert_true(bytes > 0);
    recur_rnn_free(g);
}

/* Same inputs at 1, 2, 3, 8 and 16 threads (8 and 16 oversubscribed here, as many-core
 * servers run them): bitwise identical outputs and gradients, with the
 * recurrence split by batch rows or by hidden units (RECUR_SPLIT). H = 96 and 64 are whole
 * GEMM panels on every ISA, so the unit split really runs; B = 1 runs more threads than rows;
 * B = 9 and 20 make the small-layer weight gradients run in several batch-group blocks;
 * B = 16 and 24 give shards of whole groups, which a training plan lays out in slabs. */
static void run_across_threads(const char *split, int B, int T, int F, int H)
{
    const recur_cell cells[] = { RECUR_SIMPLE_RNN, RECUR_LSTM, RECUR_GRU, RECUR_GRU };
    for (int ci = 0; ci < 4; ci++) {
        float *ref[6] = { 0 };
        static const int thread_counts[] = { 1, 2, 3, 8, 16 };
        for (int ti = 0; ti < 5; ti++) {
            const int threads = thread_counts[ti];
            test_rng rng = { 99 };
            setenv("RECUR_SPLIT", split, 1);
            recur_rnn *r = make(cells[ci], F, H, false, ci == 3);
            unsetenv("RECUR_SPLIT");
            size_t nk, nu, nb;
            recur_rnn_weight_counts(r, &nk, &nu, &nb);
            float *k = malloc(nk * 4), *u = malloc(nu * 4), *b = malloc(nb * 4);
            float *x = malloc((size_t)B * T * F * 4), *dy = malloc((size_t)B * T * H * 4);
            rng_fill(&rng, k, nk, -0.3f, 0.3f);
            rng_fill(&rng, u, nu, -0.3f, 0.3f);
            rng_fill(&rng, b, nb, -0.3f, 0.3f);
            rng_fill(&rng, x, (size_t)B * T * F, -1, 1);
            rng_fill(&rng, dy, (size_t)B * T * H, -1, 1);
            assert_int_equal(recur_rnn_set_weights(r, k, u, b), RECUR_OK);
            assert_int_equal(recur_rnn_set_num_threads(r, threads), RECUR_OK);
            float *out[6] = { malloc((size_t)B * T * H * 4), malloc((size_t)B * T * F * 4),
                              malloc(nk * 4), malloc(nu * 4), malloc(nb * 4),
                              malloc((size_t)B * H * 4) };
            size_t n[6] = { (size_t)B * T * H, (size_t)B * T * F, nk, nu, nb, (size_t)B * H };
            assert_int_equal(recur_rnn_forward(r, B, T, x, NULL, NULL, out[0], NULL, NULL),
                             RECUR_OK);
            assert_int_equal(recur_rnn_backward(r, dy, NULL, NULL, out[1], out[5], NULL),
                             RECUR_OK);
            recur_rnn_get_grads(r, out[2], out[3], out[4]);
            for (int i = 0; i < 6; i++) {
                if (threads == 1)
                    ref[i] = out[i];
                else {
                    if (memcmp(ref[i], out[i], n[i] * 4) != 0)
                        fail_msg("cell %d, split %s, B=%d H=%d: output %d differs between 1 "
                                 "and %d threads", ci, split, B, H, i, threads);
                    free(out[i]);
                }
            }
            free(k); free(u); free(b); free(x); free(dy);
            recur_rnn_free(r);
        }
        for (int i = 0; i < 6; i++)
            free(ref[i]);
    }
}

static void test_deterministic_across_threads(void **state)
{
    (void)state;
    const char *splits[] = { "auto", "batch", "units" };
    for (int i = 0; i < 3; i++) {
        run_across_threads(splits[i], 7, 6, 19, 21);
        run_across_threads(splits[i], 5, 4, 13, 96);
        run_across_threads(splits[i], 1, 3, 5, 64);
        /* the small-layer weight gradients in blocks of 8 batch rows × 32 steps: 2 groups
         * (8 + 1 rows); 3 groups (8 + 8 + 4) × 3 step blocks (32 + 32 + 6), over 1-3
         * threads whose batch shards cut through groups */
        run_across_threads(splits[i], 9, 60, 19, 21);
        run_across_threads(splits[i], 9, 60, 3, 21);
        run_across_threads(splits[i], 20, 70, 3, 21);
        /* shards of whole groups, each in a slab of its own (B = 16 on 2 threads, 24 on 3),
         * with a wide and a narrow input */
        run_across_threads(splits[i], 16, 40, 19, 21);
        run_across_threads(splits[i], 16, 40, 1, 21);
        run_across_threads(splits[i], 24, 35, 11, 21);
        /* 16 threads with uneven shards of 2 and 3 rows, units split or not */
        run_across_threads(splits[i], 37, 12, 7, 64);
    }
}

#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
#include <xmmintrin.h>
static unsigned long fp_control(void) { return _mm_getcsr(); }
#else
static unsigned long fp_control(void)
{
    unsigned long v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}
#endif

/* Inside recur denormals are flushed to zero, as TensorFlow runs its kernels; the caller's
 * floating-point control register is untouched by every call, at 1 and 2 threads. */
static void test_denormals_flushed_caller_env_kept(void **state)
{
    (void)state;
    const float tiny = 1e-39f;   /* subnormal: FLT_MIN is 1.18e-38 */
    for (int threads = 1; threads <= 2; threads++) {
        recur_rnn_config cfg = { .cell = RECUR_SIMPLE_RNN, .input_size = 1, .units = 1,
                                 .activation = RECUR_ACT_LINEAR, .no_bias = true };
        recur_rnn *r;
        assert_int_equal(recur_rnn_create(&cfg, &r), RECUR_OK);
        const float k = 1.0f, u = 0.0f;
        assert_int_equal(recur_rnn_set_weights(r, &k, &u, NULL), RECUR_OK);
        assert_int_equal(recur_rnn_set_num_threads(r, threads), RECUR_OK);
        const float x[2] = { tiny, 0.5f }, dy[2] = { tiny, 1.0f };
        float y[2] = { -1, -1 }, dx[2] = { -1, -1 };
        const unsigned long before = fp_control();
        assert_int_equal(recur_rnn_forward(r, 1, 2, x, NULL, NULL, y, NULL, NULL), RECUR_OK);
        assert_int_equal(recur_rnn_backward(r, dy, NULL, NULL, dx, NULL, NULL), RECUR_OK);
        assert_int_equal(fp_control(), before);
        /* y = x·1 + h·0: the subnormal input reads as 0; the normal one passes */
        assert_true(y[0] == 0.0f && y[1] == 0.5f);
        assert_true(dx[0] == 0.0f && dx[1] == 1.0f);
        /* and out here subnormals still work */
        volatile float v = tiny;
        assert_true(v * 1.0f != 0.0f);
        recur_rnn_free(r);
    }
}
#endif

/* One layer's outputs and gradients for two threads' worth of shards, called at the top
 * level or from inside a parallel region of the caller's (nesting off: the layer's region
 * gets one thread, which then runs every shard in turn). The bits must not change. */
static void nested_or_not(recur_cell cell, bool reset_before, int F, bool inference,
                          bool nested, float *out)
{
    const int B = 16, T = 40, H = 21;
    recur_rnn *r = make(cell, F, H, false, reset_before);
    size_t nk, nu, nb;
    recur_rnn_weight_counts(r, &nk, &nu, &nb);
    test_rng rng = { 4321 };
    float *w = malloc((nk + nu + nb) * 4), *x = malloc((size_t)B * T * F * 4);
    float *dy = malloc((size_t)B * T * H * 4);
    rng_fill(&rng, w, nk + nu + nb, -0.3f, 0.3f);
    rng_fill(&rng, x, (size_t)B * T * F, -1, 1);
    rng_fill(&rng, dy, (size_t)B * T * H, -1, 1);
    assert_int_equal(recur_rnn_set_weights(r, w, w + nk, w + nk + nu), RECUR_OK);
    assert_int_equal(recur_rnn_set_num_threads(r, 2), RECUR_OK);
    assert_int_equal(recur_rnn_set_inference(r, inference), RECUR_OK);
    float *y = out, *dx = out + (size_t)B * T * H, *g = dx + (size_t)B * T * F;
    recur_status st[2] = { RECUR_OK, RECUR_OK };
#pragma omp parallel num_threads(2) if (nested)
    {
        if (omp_get_thread_num() == 0) {
            st[0] = recur_rnn_forward(r, B, T, x, NULL, NULL, y, NULL, NULL);
            if (!inference)
                st[1] = recur_rnn_backward(r, dy, NULL, NULL, dx, NULL, NULL);
        }
    }
    assert_int_equal(st[0], RECUR_OK);
    assert_int_equal(st[1], RECUR_OK);
    if (!inference)
        recur_rnn_get_grads(r, g, g + nk, g + nk + nu);
    free(w); free(x); free(dy);
    recur_rnn_free(r);
}

static void test_nested_parallel_region(void **state)
{
    (void)state;
    omp_set_max_active_levels(1);
    const size_t n = 16 * 40 * 21 + 16 * 40 * 19 + 4 * 21 * (19 + 21 + 2);
    float *a = calloc(n, 4), *b = calloc(n, 4);
    for (int ci = 0; ci < 4; ci++)
        for (int fi = 0; fi < 2; fi++)
            for (int inference = 0; inference < 2; inference++) {
                const recur_cell cell = ci == 0   ? RECUR_SIMPLE_RNN
                                        : ci == 1 ? RECUR_LSTM
                                                  : RECUR_GRU;
                const int F = fi ? 19 : 1;
                memset(a, 0, n * 4);
                memset(b, 0, n * 4);
                nested_or_not(cell, ci == 3, F, inference, false, a);
                nested_or_not(cell, ci == 3, F, inference, true, b);
                if (memcmp(a, b, n * 4) != 0)
                    fail_msg("cell %d, F=%d, inference %d: a call from inside a parallel region "
                             "gives other bits", ci, F, inference);
            }
    free(a);
    free(b);
}

static void test_bad_split_setting(void **state)
{
    (void)state;
    recur_rnn_config cfg = { .cell = RECUR_LSTM, .input_size = 3, .units = 4 };
    recur_rnn *r = (recur_rnn *)1;
    setenv("RECUR_SPLIT", "columns", 1);
    expect_error(recur_rnn_create(&cfg, &r), RECUR_ERR_ARGUMENT, "RECUR_SPLIT=columns");
    unsetenv("RECUR_SPLIT");
    assert_null(r);
}

/* Inference mode (chunked, nothing kept) gives the same bits as training mode, across
 * chunk boundaries, with go_backwards and initial states; backward is refused in it.
 * F = 1 is narrower than a GEMM tile on every ISA: each step is projected into one reused
 * slot of step rows; F = 6 is narrow on some ISAs and projected per chunk on others. */
static void test_inference_mode(void **state)
{
    (void)state;
    const struct { int B, T; } shapes[] = { { 40, 37 }, { 300, 9 }, { 3, 5 } };  /* 2, 3, 1 chunks */
    for (int ci = 0; ci < 4; ci++)
        for (int si = 0; si < 6; si++) {
            const int B = shapes[si % 3].B, T = shapes[si % 3].T, F = si < 3 ? 6 : 1, H = 9;
            recur_cell cell = ci == 0 ? RECUR_SIMPLE_RNN : ci == 1 ? RECUR_LSTM : RECUR_GRU;
            recur_rnn_config cfg = { .cell = cell, .input_size = F, .units = H,
                                     .reset_before = ci == 3, .go_backwards = si % 3 == 1 };
            recur_rnn *r;
            assert_int_equal(recur_rnn_create(&cfg, &r), RECUR_OK);
            size_t nk, nu, nb;
            recur_rnn_weight_counts(r, &nk, &nu, &nb);
            test_rng rng = { 1234 + (uint64_t)ci };
            float *w = malloc((nk + nu + nb) * 4), *x = malloc((size_t)B * T * F * 4);
            float *h0 = malloc((size_t)B * H * 4), *c0 = malloc((size_t)B * H * 4);
            rng_fill(&rng, w, nk + nu + nb, -0.4f, 0.4f);
            rng_fill(&rng, x, (size_t)B * T * F, -1, 1);
            rng_fill(&rng, h0, (size_t)B * H, -1, 1);
            rng_fill(&rng, c0, (size_t)B * H, -1, 1);
            assert_int_equal(recur_rnn_set_weights(r, w, w + nk, w + nk + nu), RECUR_OK);
            const bool lstm = cell == RECUR_LSTM;
            float *y[2], *hl[2], *cl[2];
            size_t ws[2];
            for (int mode = 0; mode < 2; mode++) {
                y[mode] = malloc((size_t)B * T * H * 4);
                hl[mode] = malloc((size_t)B * H * 4);
                cl[mode] = malloc((size_t)B * H * 4);
                assert_int_equal(recur_rnn_set_inference(r, mode == 1), RECUR_OK);
                assert_int_equal(recur_rnn_workspace_size(r, B, T, &ws[mode]), RECUR_OK);
                assert_int_equal(recur_rnn_forward(r, B, T, x, h0, lstm ? c0 : NULL, y[mode],
                                                   hl[mode], lstm ? cl[mode] : NULL), RECUR_OK);
            }
            if (memcmp(y[0], y[1], (size_t)B * T * H * 4) || memcmp(hl[0], hl[1], (size_t)B * H * 4) ||
                (lstm && memcmp(cl[0], cl[1], (size_t)B * H * 4)))
                fail_msg("cell %d, B=%d T=%d F=%d: inference differs from training", ci, B, T, F);
            if (T > 30 && !(ws[1] < ws[0]))
                fail_msg("cell %d: inference workspace %zu not below training %zu", ci, ws[1], ws[0]);
            assert_int_equal(recur_rnn_backward(r, y[1], NULL, NULL, NULL, NULL, NULL), RECUR_ERR_STATE);
            assert_non_null(strstr(recur_last_error(), "inference"));
            for (int mode = 0; mode < 2; mode++) {
                free(y[mode]); free(hl[mode]); free(cl[mode]);
            }
            free(w); free(x); free(h0); free(c0);
            recur_rnn_free(r);
        }
}

static void test_no_allocation_after_reserve(void **state)
{
    (void)state;
#ifdef COUNTING_ALLOCATIONS
    const int B = 9, T = 11, F = 5, H = 13;
    for (int ci = 0; ci < 4; ci++) {
        recur_cell cell = ci == 0 ? RECUR_SIMPLE_RNN : ci == 1 ? RECUR_LSTM : RECUR_GRU;
        long at_create = allocations;
        recur_rnn *r = make(cell, F, H, false, ci == 3);
        assert_true(allocations > at_create);   /* the counter does see the library */
        float *x = calloc((size_t)B * T * F, 4), *y = calloc((size_t)B * T * H, 4);
        float *dx = calloc((size_t)B * T * F, 4);
        assert_int_equal(recur_rnn_reserve(r, B, T), RECUR_OK);
        /* the first parallel region starts OpenMP's thread pool: not ours to count */
        assert_int_equal(recur_rnn_forward(r, 2, 3, x, NULL, NULL, y, NULL, NULL), RECUR_OK);
        long before = allocations;
        for (int rep = 0; rep < 3; rep++) {
            assert_int_equal(recur_rnn_forward(r, B - rep, T - rep, x, NULL, NULL, y, NULL, NULL),
                             RECUR_OK);
            assert_int_equal(recur_rnn_backward(r, y, NULL, NULL, dx, NULL, NULL), RECUR_OK);
        }
        assert_int_equal(allocations - before, 0);
        /* inference mode: every smaller batch and sequence fits what reserve planned */
        recur_rnn_set_inference(r, true);
        /* max batch 100 runs 10-step chunks (1000 rows); batch 93 runs 11 (1023 rows) */
        assert_int_equal(recur_rnn_reserve(r, 100, T), RECUR_OK);
        float *xi = calloc((size_t)100 * T * F, 4), *yi = calloc((size_t)100 * T * H, 4);
        before = allocations;
        for (int b = 1; b <= 100; b++)
            assert_int_equal(recur_rnn_forward(r, b, T, xi, NULL, NULL, yi, NULL, NULL),
                             RECUR_OK);
        assert_int_equal(allocations - before, 0);
        free(xi);
        free(yi);
        free(x); free(y); free(dx);
        recur_rnn_free(r);
    }
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_create),
        cmocka_unit_test(test_weight_shapes_and_round_trip),
        cmocka_unit_test(test_bad_forward_backward),
        cmocka_unit_test(test_deterministic_across_threads),
        cmocka_unit_test(test_nested_parallel_region),
        cmocka_unit_test(test_bad_split_setting),
#if defined(__x86_64__) || defined(__aarch64__)
        cmocka_unit_test(test_denormals_flushed_caller_env_kept),
#endif
        cmocka_unit_test(test_inference_mode),
        cmocka_unit_test(test_no_allocation_after_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
