/* Vector helpers (axpy, scale, Σx², Σxy, column sums, row affine maps, clamp, Adam step) on every ISA against double
 * references, on tail sizes, misaligned, with guards. Tolerance: one or two roundings per
 * element (2 FLT_EPSILON relative); Σx² is a float sum of ≤ 1024-term blocks: (b+1)·ε·Σ. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static const int sizes[] = { 1, 2, 3, 5, 6, 7, 13, 14, 15, 16, 17, 31, 33, 64, 100, 257,
                             1023, 1025, 5000 };   /* every tail of 8 lanes */
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

static void near(const char *what, const char *isa, size_t n, double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s %s n=%zu: %.9g, want %.9g", what, isa, n, got, want);
}

static void test_helpers(void **state)
{
    (void)state;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 77 };
    for (int si = 0; si < NSIZES; si++) {
        size_t n = (size_t)sizes[si];
        guarded x = guarded_alloc(n, 1), y = guarded_alloc(n, 3);
        guarded m = guarded_alloc(n, 2), v = guarded_alloc(n, 5), w = guarded_alloc(n, 7);
        float *x0 = malloc(n * 4), *y0 = malloc(n * 4), *m0 = malloc(n * 4), *v0 = malloc(n * 4);
        float *w0 = malloc(n * 4);
        rng_fill(&rng, x0, n, -2, 2);
        rng_fill(&rng, y0, n, -2, 2);
        rng_fill(&rng, m0, n, -1, 1);
        rng_fill(&rng, v0, n, 0, 1);
        rng_fill(&rng, w0, n, -1, 1);
        for (int t = 0; t < nt; t++) {
            const recur_kernels *k = tables[t];
            memcpy(x.p, x0, n * 4);
            memcpy(y.p, y0, n * 4);
            k->axpy(n, 0.75f, x.p, y.p);
            for (size_t i = 0; i < n; i++)
                near("axpy", k->name, n, y.p[i], 0.75 * x0[i] + y0[i], 4 * FLT_EPSILON);
            k->scale(n, -1.5f, x.p);
            for (size_t i = 0; i < n; i++)
                near("scale", k->name, n, x.p[i], -1.5 * x0[i], 2 * FLT_EPSILON * fabs(x0[i]));
            double ss = 0, sa = 0;
            for (size_t i = 0; i < n; i++)
                ss += (double)y0[i] * y0[i];
            sa = ss;
            near("sum_squares", k->name, n, k->sum_squares(n, y0), ss, 1025 * FLT_EPSILON * sa);
            double xy = 0, xya = 0;
            for (size_t i = 0; i < n; i++) {
                xy += (double)x0[i] * y0[i];
                xya += fabs((double)x0[i] * y0[i]);
            }
            /* lane sums of ⌈n/lanes⌉ terms, then a reduction: under (n + 16)·ε·Σ|xy| */
            near("dot", k->name, n, k->dot(n, x0, y0), xy, (double)(n + 16) * FLT_EPSILON * xya);
            memcpy(x.p, x0, n * 4);
            k->clamp(n, -0.5f, 0.25f, x.p);
            for (size_t i = 0; i < n; i++)
                near("clamp", k->name, n, x.p[i], fmin(fmax(x0[i], -0.5), 0.25), 0);
            for (int sq = 0; sq < 2; sq++) {   /* v from g², then from given squares (y0²) */
                memcpy(m.p, m0, n * 4);
                memcpy(v.p, v0, n * 4);
                memcpy(w.p, w0, n * 4);
                float *gsq = NULL;
                if (sq) {
                    gsq = malloc(n * 4);
                    for (size_t i = 0; i < n; i++)
                        gsq[i] = y0[i] * y0[i];
                }
                k->adam_step(n, 0.01f, 0.9f, 0.999f, 1e-7f, x0, gsq, m.p, v.p, w.p);
                for (size_t i = 0; i < n; i++) {
                    double g = x0[i], g2 = sq ? (double)gsq[i] : g * g;
                    double mm = m0[i] + (g - m0[i]) * (1 - 0.9f);
                    double vv = v0[i] + (g2 - v0[i]) * (1 - 0.999f);
                    double ww = w0[i] - 0.01f * mm / (sqrt(vv) + 1e-7f);
                    near("adam m", k->name, n, m.p[i], mm, 8 * FLT_EPSILON);
                    near("adam v", k->name, n, v.p[i], vv, 8 * FLT_EPSILON * (1 + vv));
                    near("adam w", k->name, n, w.p[i], ww, 1e-5 * 0.01 * (1 + fabs(mm / (sqrt(vv) + 1e-7))) + 4 * FLT_EPSILON);
                }
                free(gsq);
            }
        }
        assert_true(guard_ok(&x) && guard_ok(&y) && guard_ok(&m) && guard_ok(&v) && guard_ok(&w));
        guarded_free(&x); guarded_free(&y); guarded_free(&m); guarded_free(&v); guarded_free(&w);
        free(x0); free(y0); free(m0); free(v0); free(w0);
    }
}

/* colsum over awkward row and column counts, with and without row weights, rows
 * contiguous or in groups (3 rows of every 5: the mapping the weight gradients use for one
 * batch group across time steps), into a non-zero out; a float sum of `rows` terms:
 * (rows + 2)·ε·Σ|terms|. */
static void test_colsum(void **state)
{
    (void)state;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 4242 };
    static const int rs[] = { 1, 2, 7, 33, 300 }, cs[] = { 1, 3, 16, 17, 63, 64, 65, 200 };
    for (int ri = 0; ri < 5; ri++)
        for (int ci = 0; ci < 8; ci++)
            for (int mode = 0; mode < 4; mode++) {
                const bool weighted = mode & 1, grouped = mode & 2;
                const size_t grp = grouped ? 3 : 0, gstride = grouped ? 5 : 0;
                const size_t rows = (size_t)rs[ri], cols = (size_t)cs[ci], lda = cols + 5;
                const size_t phys = grouped ? (rows + grp - 1) / grp * gstride : rows;
                const size_t ldw = 3;
                float *a = malloc(phys * lda * 4), *w = malloc(phys * ldw * 4);
                float *o0 = malloc(cols * 4);
                rng_fill(&rng, a, phys * lda, -1, 1);
                rng_fill(&rng, w, phys * ldw, -2, 2);
                rng_fill(&rng, o0, cols, -1, 1);
                for (int t = 0; t < nt; t++) {
                    guarded o = guarded_alloc(cols, 1);
                    memcpy(o.p, o0, cols * 4);
                    tables[t]->colsum(rows, cols, a, lda, weighted ? w + 1 : NULL, ldw, grp,
                                      gstride, o.p);
                    for (size_t j = 0; j < cols; j++) {
                        double want = o0[j], mag = fabs(o0[j]);
                        for (size_t r = 0; r < rows; r++) {
                            size_t p = grouped ? r / grp * gstride + r % grp : r;
                            double wt = weighted ? (double)w[p * ldw + 1] : 1.0;
                            double term = wt * a[p * lda + j];
                            want += term;
                            mag += fabs(term);
                        }
                        near("colsum", tables[t]->name, rows * 1000 + cols, o.p[j], want,
                             (double)(rows + 2) * FLT_EPSILON * mag);
                    }
                    assert_true(guard_ok(&o));
                    guarded_free(&o);
                }
                free(a); free(w); free(o0);
            }
}

/* row_affine: bias plus a short weighted sum of rows, for 1 and 5 rows (inputs and outputs
 * with row strides), with and without bias. The float result is an FMA chain of nx+1
 * terms: (nx + 2)·ε·Σ|terms|. */
static void test_row_affine(void **state)
{
    (void)state;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 777 };
    static const int ns[] = { 1, 3, 16, 17, 50, 200, 257 };
    for (int ni = 0; ni < 7; ni++)
        for (int nx = 1; nx <= 7; nx += 3)
            for (int mode = 0; mode < 4; mode++) {
                const bool with_bias = mode & 1;
                const size_t rows = mode & 2 ? 5 : 1, ldx = 9;
                const size_t n = (size_t)ns[ni], ldw = n + 3, ldo = n + 2;
                float x[5 * 9], *w = malloc(ldw * 7 * 4), *bias = malloc(n * 4);
                rng_fill(&rng, x, 5 * 9, -1, 1);
                rng_fill(&rng, w, ldw * 7, -1, 1);
                rng_fill(&rng, bias, n, -1, 1);
                for (int t = 0; t < nt; t++) {
                    guarded o = guarded_alloc(rows * ldo, 3);
                    tables[t]->row_affine(rows, n, nx, x, ldx, w, ldw, with_bias ? bias : NULL,
                                          o.p, ldo);
                    for (size_t r = 0; r < rows; r++)
                        for (size_t j = 0; j < n; j++) {
                            double want = with_bias ? bias[j] : 0.0, mag = fabs(want);
                            for (int f = 0; f < nx; f++) {
                                double term = (double)x[r * ldx + f] * w[(size_t)f * ldw + j];
                                want += term;
                                mag += fabs(term);
                            }
                            near("row_affine", tables[t]->name, n, o.p[r * ldo + j], want,
                                 (nx + 2) * FLT_EPSILON * mag);
                        }
                    assert_true(guard_ok(&o));
                    guarded_free(&o);
                }
                free(w); free(bias);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_helpers),
                                        cmocka_unit_test(test_colsum),
                                        cmocka_unit_test(test_row_affine) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
