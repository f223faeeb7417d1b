#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static const uint32_t sentinel = 0x7fc0dead;   /* a NaN with a payload nobody writes */

guarded guarded_alloc(size_t n, int misalign)
{
    guarded g;
    g.n = n;
    size_t total = n + 2 * GUARD + 16;
    g.base = aligned_alloc(64, ((total * sizeof(float)) + 63) & ~(size_t)63);
    assert_non_null(g.base);
    for (size_t i = 0; i < total; i++)
        memcpy(&g.base[i], &sentinel, sizeof sentinel);
    g.p = g.base + GUARD + misalign;
    for (size_t i = 0; i < n; i++)
        g.p[i] = 0.0f;
    return g;
}

int guard_ok(const guarded *g)
{
    for (float *q = g->base; q < g->p; q++)
        if (memcmp(q, &sentinel, sizeof sentinel) != 0)
            return 0;
    for (size_t i = 0; i < GUARD; i++)
        if (memcmp(&g->p[g->n + i], &sentinel, sizeof sentinel) != 0)
            return 0;
    return 1;
}

void guarded_free(guarded *g) { free(g->base); g->base = g->p = NULL; }

int test_isas(const recur_kernels *tables[RECUR_ISA_COUNT])
{
    int n = 0;
    for (int i = 0; i < RECUR_ISA_COUNT; i++) {
        const recur_kernels *k;
        if (recur_kernels_for((recur_isa)i, &k) == RECUR_OK)
            tables[n++] = k;
    }
    return n;
}

void expect_error_at(recur_status got, recur_status want, const char *needle, const char *file,
                     int line)
{
    if (got != want)
        fail_msg("%s:%d: status %d, expected %d (%s)", file, line, (int)got, (int)want,
                 recur_last_error());
    if (strstr(recur_last_error(), needle) == NULL)
        fail_msg("%s:%d: message \"%s\" lacks \"%s\"", file, line, recur_last_error(), needle);
}

recur_model *test_small_model(void)
{
    recur_model *m;
    assert_int_equal(recur_model_create(6, 3, &m), RECUR_OK);
    recur_rnn_opts seq = { .return_sequences = true };
    assert_int_equal(recur_model_add_gru(m, 7, &seq), RECUR_OK);
    assert_int_equal(recur_model_add_lstm(m, 5, NULL), RECUR_OK);
    assert_int_equal(recur_model_add_dense(m, 2, RECUR_ACT_DEFAULT), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE,
                             .metrics = RECUR_METRIC_MAE };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    return m;
}

void test_small_data(uint64_t seed, float *x, float *y)
{
    test_rng r = { seed };
    rng_fill(&r, x, 50 * 18, -1, 1);
    rng_fill(&r, y, 50 * 2, -1, 1);
}

size_t test_model_weights(recur_model *m, float *out, size_t cap)
{
    size_t at = 0;
    for (int w = 0; w < recur_model_num_weights(m); w++) {
        int rank, d[2];
        recur_model_weight_shape(m, w, &rank, d);
        size_t n = (size_t)d[0] * (rank == 2 ? (size_t)d[1] : 1);
        assert_true(at + n <= cap);
        assert_int_equal(recur_model_get_weight(m, w, out + at, n), RECUR_OK);
        at += n;
    }
    return at;
}
