/* SGEMM on every ISA against a double-precision reference, on awkward sizes, with
 * misaligned pointers, leading dimensions wider than the matrices, guard bytes around C,
 * and both overwrite and accumulate.
 *
 * Tolerance: a float dot product of length k accumulated with FMAs has error at most
 * γ_k·Σ|a_i b_i| with γ_k ≈ k·2⁻²⁴; we allow (k+1)·FLT_EPSILON = 2(k+1)·2⁻²⁴ times
 * (Σ|a_i b_i| + |c₀|), twice the bound, so any real indexing bug (an O(1) error) fails. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"
#include "test_util.h"

static const int sizes[] = { 1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 100, 257 };
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

enum form { NN_PACKED, NT, TN, NN, DIRECT, PACKED_BIAS, TN_GROUPED, DIRECT_BIAS };
static const char *const form_names[] = { "A·B (packed B)", "A·Bᵀ", "Aᵀ·B", "A·B",
                                          "A·B (A in place, B packed, two column ranges)",
                                          "A·B + bias (packed B)",
                                          "Aᵀ·B, k rows 3 of every 5",
                                          "A·B + bias (A in place, B packed, two column ranges)" };
/* TN_GROUPED: logical k row q is stored row (q / 3)·5 + q % 3 of A and B */
enum { GRP = 3, GSTRIDE = 5 };
static int stored_row(enum form f, int q)
{
    return f == TN_GROUPED ? q / GRP * GSTRIDE + q % GRP : q;
}

static int quick(void) { return getenv("RECUR_TEST_QUICK") != NULL; }

static void check_one(const recur_kernels *const *tables, int ntables, enum form f, int m, int n,
                      int k, test_rng *rng)
{
    const bool ta = f == TN || f == TN_GROUPED, tb = f == NT;
    const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    const int krows = f == TN_GROUPED ? (k + GRP - 1) / GRP * GSTRIDE : k;
    const int arows = ta ? krows : m, brows = tb ? n : krows;
    const bool with_bias = f == PACKED_BIAS || f == DIRECT_BIAS;
    const bool accumulate = !with_bias && ((m + n + k) & 1) != 0;
    guarded a = guarded_alloc((size_t)arows * lda, 1);
    guarded b = guarded_alloc((size_t)brows * ldb, 3);
    rng_fill(rng, a.p, a.n, -1.0f, 1.0f);
    rng_fill(rng, b.p, b.n, -1.0f, 1.0f);
    float *c0 = malloc(sizeof(float) * (size_t)m * ldc);
    double *ref = malloc(sizeof(double) * (size_t)m * n);
    double *mag = malloc(sizeof(double) * (size_t)m * n);
    rng_fill(rng, c0, (size_t)m * ldc, -1.0f, 1.0f);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0, sa = 0.0;
            for (int q = 0; q < k; q++) {
                const int p = stored_row(f, q);
                double av = ta ? a.p[(size_t)p * lda + i] : a.p[(size_t)i * lda + p];
                double bv = tb ? b.p[(size_t)j * ldb + p] : b.p[(size_t)p * ldb + j];
                s += av * bv;
                sa += fabs(av * bv);
            }
            double c = accumulate ? c0[(size_t)i * ldc + j]
                       : with_bias ? c0[(size_t)(m - 1) * ldc + j] : 0.0;
            ref[(size_t)i * n + j] = s + c;
            mag[(size_t)i * n + j] = sa + fabs(c);
        }

    for (int t = 0; t < ntables; t++) {
        const recur_kernels *kt = tables[t];
        /* exactly the workspace recur_gemm_work_floats asks for, fenced by guard words */
        size_t nwork = recur_gemm_work_floats(kt, m, n, k, ta,
                                              f == NN_PACKED || f == PACKED_BIAS);
        assert_true(nwork <= RECUR_GEMM_WORK_FLOATS);
        guarded wk = guarded_alloc(nwork > 0 ? nwork : 1, 0);
        float *work = wk.p;
        guarded c = guarded_alloc((size_t)m * ldc, 2);
        memcpy(c.p, c0, sizeof(float) * (size_t)m * ldc);
        /* B packed once (the packed forms), and the bias: C0's last row, copied (C is
         * overwritten) */
        float *pb = NULL, *bias = NULL;
        if (f == NN_PACKED || f == PACKED_BIAS || f == DIRECT || f == DIRECT_BIAS) {
            size_t np = recur_packed_b_floats(kt, k, n);
            pb = aligned_alloc(64, ((np * sizeof(float)) + 63) & ~(size_t)63);
            recur_pack_b(kt, k, n, b.p, ldb, false, pb);
        }
        if (with_bias) {
            bias = malloc(sizeof(float) * (size_t)n);
            memcpy(bias, c0 + (size_t)(m - 1) * ldc, sizeof(float) * (size_t)n);
        }
        /* the direct forms: columns [0, split) and [split, n), the second from a panel
         * inside the packing */
        const int split = (n / kt->nr / 2) * kt->nr;
        if (f == NN_PACKED) {
            recur_sgemm_packed(kt, m, n, k, a.p, lda, false, pb, c.p, ldc, accumulate, work);
        } else if (f == PACKED_BIAS) {
            recur_sgemm_packed_bias(kt, m, n, k, a.p, lda, pb, bias, c.p, ldc, work);
        } else if (f == DIRECT) {
            recur_sgemm_direct(kt, m, split, k, a.p, lda, pb, n, 0, c.p, ldc, accumulate);
            recur_sgemm_direct(kt, m, n - split, k, a.p, lda, pb, n, split, c.p + split, ldc,
                               accumulate);
        } else if (f == DIRECT_BIAS) {
            recur_sgemm_direct_bias(kt, m, split, k, a.p, lda, pb, n, 0, bias, c.p, ldc);
            recur_sgemm_direct_bias(kt, m, n - split, k, a.p, lda, pb, n, split, bias + split,
                                    c.p + split, ldc);
        } else if (f == TN_GROUPED) {
            recur_sgemm_tn_grouped(kt, m, n, k, a.p, lda, b.p, ldb, GRP, GSTRIDE, c.p, ldc,
                                   accumulate, work);
        } else {
            recur_sgemm(kt, m, n, k, a.p, lda, ta, b.p, ldb, tb, c.p, ldc, accumulate, work);
        }
        free(pb);
        free(bias);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double got = c.p[(size_t)i * ldc + j], want = ref[(size_t)i * n + j];
                double tol = (k + 1) * FLT_EPSILON * mag[(size_t)i * n + j] + 1e-30;
                if (!(fabs(got - want) <= tol))
                    fail_msg("%s %s m=%d n=%d k=%d acc=%d: C[%d,%d] = %.9g, want %.9g (tol %.3g)",
                             kt->name, form_names[f], m, n, k, accumulate, i, j, got, want, tol);
            }
            /* the padding between rows (ldc > n) must be untouched */
            for (int j = n; j < ldc && i + 1 < m; j++)
                if (memcmp(&c.p[(size_t)i * ldc + j], &c0[(size_t)i * ldc + j], sizeof(float)))
                    fail_msg("%s %s m=%d n=%d k=%d: wrote C[%d,%d] in the row padding",
                             kt->name, form_names[f], m, n, k, i, j);
        }
        if (!guard_ok(&c))
            fail_msg("%s %s m=%d n=%d k=%d: wrote outside C", kt->name, form_names[f], m, n, k);
        if (!guard_ok(&wk))
            fail_msg("%s %s m=%d n=%d k=%d: used more workspace than recur_gemm_work_floats",
                     kt->name, form_names[f], m, n, k);
        guarded_free(&c);
        guarded_free(&wk);
    }
    assert_true(guard_ok(&a) && guard_ok(&b));
    free(ref);
    free(mag);
    free(c0);
    guarded_free(&a);
    guarded_free(&b);
}

static void run_form(enum form f)
{
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 0x9e3779b97f4a7c15ULL + (uint64_t)f };
    int step = quick() ? 2 : 1;
    for (int i = 0; i < NSIZES; i += step)
        for (int j = 0; j < NSIZES; j += step)
            for (int p = 0; p < NSIZES; p += step)
                check_one(tables, nt, f, sizes[i], sizes[j], sizes[p], &rng);
}

static void test_nn_packed(void **state) { (void)state; run_form(NN_PACKED); }
static void test_nt(void **state) { (void)state; run_form(NT); }
static void test_tn(void **state) { (void)state; run_form(TN); }
static void test_direct(void **state) { (void)state; run_form(DIRECT); }
static void test_packed_bias(void **state) { (void)state; run_form(PACKED_BIAS); }
static void test_tn_grouped(void **state) { (void)state; run_form(TN_GROUPED); }
static void test_direct_bias(void **state) { (void)state; run_form(DIRECT_BIAS); }

/* Sizes that cross the cache blocks (KC = 256, MC = 144, NC = 1024). */
static void test_block_edges(void **state)
{
    (void)state;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 12345 };
    check_one(tables, nt, NN_PACKED, 150, 1030, 520, &rng);
    check_one(tables, nt, TN, 145, 1100, 300, &rng);
    check_one(tables, nt, NT, 290, 40, 513, &rng);
    check_one(tables, nt, NN, 5, 2049, 3, &rng);
    check_one(tables, nt, DIRECT, 150, 1030, 520, &rng);
    check_one(tables, nt, PACKED_BIAS, 150, 1030, 520, &rng);
    check_one(tables, nt, TN_GROUPED, 145, 1100, 300, &rng);
    check_one(tables, nt, DIRECT_BIAS, 150, 1030, 520, &rng);
}

/* The grouped product must give recur_sgemm's bits on the same rows gathered one after the
 * other, across a K block edge (gemm.h promises it: a small layer's weight gradient is
 * then the same sum whichever rows it is read from). */
static void test_tn_grouped_bits(void **state)
{
    (void)state;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 4242 };
    static const int shapes[][3] = { { 50, 200, 300 }, { 7, 33, 17 }, { 16, 50, 257 } };
    for (int si = 0; si < 3; si++) {
        const int m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
        const int krows = (k + GRP - 1) / GRP * GSTRIDE;
        float *a = malloc(sizeof(float) * (size_t)krows * m);
        float *b = malloc(sizeof(float) * (size_t)krows * n);
        float *ag = malloc(sizeof(float) * (size_t)k * m);
        float *bg = malloc(sizeof(float) * (size_t)k * n);
        float *c1 = malloc(sizeof(float) * (size_t)m * n);
        float *c2 = malloc(sizeof(float) * (size_t)m * n);
        rng_fill(&rng, a, (size_t)krows * m, -1.0f, 1.0f);
        rng_fill(&rng, b, (size_t)krows * n, -1.0f, 1.0f);
        for (int q = 0; q < k; q++) {
            const size_t p = (size_t)stored_row(TN_GROUPED, q);
            memcpy(ag + (size_t)q * m, a + p * m, sizeof(float) * (size_t)m);
            memcpy(bg + (size_t)q * n, b + p * n, sizeof(float) * (size_t)n);
        }
        for (int t = 0; t < nt; t++) {
            float *work = malloc(sizeof(float) * recur_gemm_work_floats(tables[t], m, n, k, true,
                                                                        false));
            rng_fill(&rng, c1, (size_t)m * n, -1.0f, 1.0f);
            memcpy(c2, c1, sizeof(float) * (size_t)m * n);
            recur_sgemm(tables[t], m, n, k, ag, m, true, bg, n, false, c1, n, true, work);
            recur_sgemm_tn_grouped(tables[t], m, n, k, a, m, b, n, GRP, GSTRIDE, c2, n, true,
                                   work);
            if (memcmp(c1, c2, sizeof(float) * (size_t)m * n) != 0)
                fail_msg("%s m=%d n=%d k=%d: grouped product differs from the gathered one",
                         tables[t]->name, m, n, k);
            free(work);
        }
        free(a); free(b); free(ag); free(bg); free(c1); free(c2);
    }
}

/* k = 0: C is zeroed (overwrite) or left alone (accumulate); with a bias, every row of C
 * is the bias. */
static void test_k_zero(void **state)
{
    (void)state;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    float work[1];
    for (int t = 0; t < nt; t++) {
        float c[6] = { 1, 2, 3, 4, 5, 6 };
        recur_sgemm(tables[t], 2, 3, 0, NULL, 1, false, NULL, 1, false, c, 3, true, work);
        assert_true(c[5] == 6.0f);
        recur_sgemm(tables[t], 2, 3, 0, NULL, 1, false, NULL, 1, false, c, 3, false, work);
        for (int i = 0; i < 6; i++)
            assert_true(c[i] == 0.0f);
        const float bias[3] = { 7, 8, 9 };
        recur_sgemm_direct_bias(tables[t], 2, 3, 0, NULL, 1, NULL, 3, 0, bias, c, 3);
        for (int i = 0; i < 6; i++)
            assert_true(c[i] == bias[i % 3]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_packed),
        cmocka_unit_test(test_nt),
        cmocka_unit_test(test_tn),
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_packed_bias),
        cmocka_unit_test(test_tn_grouped),
        cmocka_unit_test(test_tn_grouped_bits),
        cmocka_unit_test(test_direct_bias),
        cmocka_unit_test(test_block_edges),
        cmocka_unit_test(test_k_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
