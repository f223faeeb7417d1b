/* BLIS-style blocked SGEMM driver around the ISA's register micro-kernel. */
#include <string.h>

#include "gemm/gemm.h"

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* Rows of the K dimension in groups (recur_sgemm_tn_grouped): logical row q is stored at
 * row (q / grp)·gstride + q % grp. grp = 0: rows are contiguous. Or gathered
 * (recur_sgemm_tn_gather): row q of A at arows[q], of B at brows[q]. */
typedef struct {
    int grp, gstride;
    const float *const *arows, *const *brows;
    int acol, bcol;            /* gathered: the first column taken of each row */
} k_rows;
static const k_rows contiguous = { 0, 0, NULL, NULL, 0, 0 };

/* Logical rows [q, q + run) are stored contiguously from row *stored; run ≤ left. The
 * packing loops copy whole runs, so grouping costs one division per group, not per row. */
static inline int k_run(k_rows r, int q, int left, size_t *stored)
{
    if (r.arows) {   /* gathered: every row on its own */
        *stored = (size_t)q;
        return 1;
    }
    if (r.grp == 0) {
        *stored = (size_t)q;
        return left;
    }
    const int in = q % r.grp;
    *stored = (size_t)(q / r.grp) * (size_t)r.gstride + (size_t)in;
    return min_int(r.grp - in, left);
}

/* n floats; a whole panel row (n = NR of some ISA) as a fixed-size copy the compiler
 * inlines, not a memcpy call per 16 floats. */
static inline void copy_row(float *dst, const float *src, int n)
{
    switch (n) {
    case 32: memcpy(dst, src, 32 * sizeof(float)); break;
    case 16: memcpy(dst, src, 16 * sizeof(float)); break;
    case 8: memcpy(dst, src, 8 * sizeof(float)); break;
    case 4: memcpy(dst, src, 4 * sizeof(float)); break;
    default: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    }
}

size_t recur_packed_b_floats(const recur_kernels *kt, int k, int n)
{
    size_t panels = (size_t)(n + kt->nr - 1) / (size_t)kt->nr;
    return panels * (size_t)kt->nr * (size_t)k;
}

/* op(B)[k0:k0+kc, j0:j0+nc] → panels of kc×NR. kr maps the rows of a plain B. */
static void pack_b_block(int nr, int kc, int nc, const float *b, int ldb, bool trans_b,
                         k_rows kr, int k0, int j0, float *dst)
{
    for (int jp = 0; jp < nc; jp += nr) {
        int w = min_int(nr, nc - jp);
        float *panel = dst + (size_t)jp * kc;
        if (!trans_b) {
            for (int k = 0; k < kc;) {
                size_t stored;
                const int run = k_run(kr, k0 + k, kc - k, &stored);
                for (int t = 0; t < run; t++, k++) {
                    const float *src = kr.brows ? kr.brows[stored] + kr.bcol + j0 + jp
                                                : b + (stored + (size_t)t) * ldb + j0 + jp;
                    float *row = panel + (size_t)k * nr;
                    copy_row(row, src, w);
                    for (int j = w; j < nr; j++)
                        row[j] = 0.0f;
                }
            }
        } else {
            for (int j = 0; j < nr; j++) {
                if (j < w) {
                    const float *src = b + (size_t)(j0 + jp + j) * ldb + k0;
                    for (int k = 0; k < kc; k++)
                        panel[(size_t)k * nr + j] = src[k];
                } else {
                    for (int k = 0; k < kc; k++)
                        panel[(size_t)k * nr + j] = 0.0f;
                }
            }
        }
    }
}

const float *recur_packed_b_at(const recur_kernels *kt, const float *packed, int k, int n,
                              int pc, int col)
{
    const size_t panels = (size_t)(n + kt->nr - 1) / (size_t)kt->nr;
    const int kc = min_int(RECUR_GEMM_KC, k - pc);
    return packed + (size_t)pc * panels * (size_t)kt->nr +
           (size_t)(col / kt->nr) * (size_t)kc * (size_t)kt->nr;
}

void recur_pack_b(const recur_kernels *kt, int k, int n, const float *b, int ldb, bool trans_b,
                  float *packed)
{
    for (int pc = 0; pc < k; pc += RECUR_GEMM_KC)
        pack_b_block(kt->nr, min_int(RECUR_GEMM_KC, k - pc), n, b, ldb, trans_b, contiguous, pc,
                     0, (float *)recur_packed_b_at(kt, packed, k, n, pc, 0));
}

/* op(A)[i0:i0+mc, k0:k0+kc] → panels of kc×MR (MR row values per k), zero-padded rows.
 * Only a transposed A is packed; a plain one is read in place by sgemm_ukr_direct. */
static void pack_a_block(int mr, int mc, int kc, const float *a, int lda, k_rows kr, int i0,
                         int k0, float *dst)
{
    for (int ip = 0; ip < mc; ip += mr) {
        int h = min_int(mr, mc - ip);
        float *panel = dst + (size_t)ip * kc;
        /* MR floats per k: a loop (for MR = 8 a fixed-size copy the compiler inlines), not
         * a memcpy call per 32 bytes */
        for (int k = 0; k < kc;) {
            size_t stored;
            const int run = k_run(kr, k0 + k, kc - k, &stored);
            const float *src = kr.arows ? kr.arows[stored] + kr.acol + i0 + ip
                                        : a + stored * lda + i0 + ip;
            float *col = panel + (size_t)k * mr;
            if (h == 8 && mr == 8)   /* the common case as fixed-size copies */
                for (int t = 0; t < run; t++)
                    memcpy(col + (size_t)t * 8, src + (size_t)t * lda, 8 * sizeof(float));
            else
                for (int t = 0; t < run; t++) {
                    for (int i = 0; i < h; i++)
                        col[(size_t)t * mr + i] = src[(size_t)t * lda + i];
                    for (int i = h; i < mr; i++)
                        col[(size_t)t * mr + i] = 0.0f;
                }
            k += run;
        }
    }
}

/* The packed A block: at most MC rows (whole MR panels) by KC. */
static size_t a_block_floats(const recur_kernels *kt, int m, int k)
{
    int rows = min_int(m, (RECUR_GEMM_MC / kt->mr) * kt->mr);
    rows = (rows + kt->mr - 1) / kt->mr * kt->mr;
    return (size_t)rows * (size_t)min_int(k, RECUR_GEMM_KC);
}

size_t recur_gemm_work_floats(const recur_kernels *kt, int m, int n, int k, bool trans_a,
                              bool packed_b)
{
    if (m <= 0 || n <= 0 || k <= 0)
        return 0;
    size_t need = trans_a ? a_block_floats(kt, m, k) : 0;
    if (!packed_b) {
        int cols = min_int(n, RECUR_GEMM_NC);
        cols = (cols + kt->nr - 1) / kt->nr * kt->nr;
        need += (size_t)min_int(k, RECUR_GEMM_KC) * (size_t)cols;
    }
    return need;
}

static void zero_or_keep(int m, int n, float *c, int ldc, bool accumulate)
{
    if (accumulate)
        return;
    for (int i = 0; i < m; i++)
        memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
}

/* An empty C, or k = 0 (C zeroed, or kept when accumulating): nothing to multiply. */
static bool no_product(int m, int n, int k, float *c, int ldc, bool accumulate)
{
    if (m <= 0 || n <= 0)
        return true;
    if (k > 0)
        return false;
    zero_or_keep(m, n, c, ldc, accumulate);
    return true;
}

/* The shared loop nest. When packed_b is given it holds all of op(B) as ⌈n/NR⌉ panels of
 * k×NR; otherwise B blocks are packed into work as they are needed. Each A micro-panel
 * (MR×KC, 8 KB: the broadcast operand) stays in L1 while the B micro-panels of the block
 * stream past it from L2; the other order kept a 32 KB B panel in a 48 KB L1 beside the
 * streaming A and trained 3% slower (LSTM M2, L2). */
static void gemm_loops(const recur_kernels *kt, int m, int n, int k, const float *a, int lda,
                       bool trans_a, const float *b, int ldb, bool trans_b, k_rows kr,
                       const float *packed_b, float *c, int ldc, bool accumulate,
                       const float *bias, float *work)
{
    if (no_product(m, n, k, c, ldc, accumulate))
        return;
    const int mr = kt->mr, nr = kt->nr;
    const int mc_max = (RECUR_GEMM_MC / mr) * mr;
    float *apack = work;
    float *bpack = work + (trans_a ? a_block_floats(kt, m, k) : 0);

    for (int jc = 0; jc < n; jc += RECUR_GEMM_NC) {
        int nc = min_int(RECUR_GEMM_NC, n - jc);
        for (int pc = 0; pc < k; pc += RECUR_GEMM_KC) {
            int kc = min_int(RECUR_GEMM_KC, k - pc);
            bool acc = accumulate || pc > 0;
            const float *bblock;
            size_t panel_stride;
            if (packed_b) {
                panel_stride = (size_t)kc * nr;
                bblock = recur_packed_b_at(kt, packed_b, k, n, pc, jc);
            } else {
                pack_b_block(nr, kc, nc, b, ldb, trans_b, kr, pc, jc, bpack);
                panel_stride = (size_t)kc * nr;
                bblock = bpack;
            }
            for (int ic = 0; ic < m; ic += mc_max) {
                int mc = min_int(mc_max, m - ic);
                if (trans_a)
                    pack_a_block(mr, mc, kc, a, lda, kr, ic, pc, apack);
                for (int ir = 0; ir < mc; ir += mr) {
                    const int h = min_int(mr, mc - ir);
                    for (int jr = 0; jr < nc; jr += nr) {
                        const float *bp = bblock + (size_t)(jr / nr) * panel_stride;
                        const float *bt = bias && pc == 0 ? bias + jc + jr : NULL;
                        int w = min_int(nr, nc - jr);
                        float *ct = c + (size_t)(ic + ir) * ldc + jc + jr;
                        if (trans_a)
                            kt->sgemm_ukr(kc, apack + (size_t)ir * kc, bp, ct, ldc, h, w, acc, bt);
                        else
                            kt->sgemm_ukr_direct(kc, a + (size_t)(ic + ir) * lda + pc, lda, bp, ct,
                                                 ldc, h, w, acc, bt);
                    }
                }
            }
        }
    }
}

void recur_sgemm(const recur_kernels *kt, int m, int n, int k, const float *a, int lda,
                 bool trans_a, const float *b, int ldb, bool trans_b, float *c, int ldc,
                 bool accumulate, float *work)
{
    gemm_loops(kt, m, n, k, a, lda, trans_a, b, ldb, trans_b, contiguous, NULL, c, ldc, accumulate,
               NULL, work);
}

void recur_sgemm_tn_grouped(const recur_kernels *kt, int m, int n, int k, const float *a,
                            int lda, const float *b, int ldb, int grp, int gstride, float *c,
                            int ldc, bool accumulate, float *work)
{
    const k_rows kr = { grp, gstride, NULL, NULL, 0, 0 };
    gemm_loops(kt, m, n, k, a, lda, true, b, ldb, false, kr, NULL, c, ldc, accumulate, NULL,
               work);
}

void recur_sgemm_tn_gather(const recur_kernels *kt, int m, int n, int k,
                           const float *const *arows, int a_col, const float *const *brows,
                           int b_col, float *c, int ldc, bool accumulate, float *work)
{
    const k_rows kr = { 0, 0, arows, brows, a_col, b_col };
    gemm_loops(kt, m, n, k, NULL, 0, true, NULL, 0, false, kr, NULL, c, ldc, accumulate, NULL,
               work);
}

void recur_sgemm_packed(const recur_kernels *kt, int m, int n, int k, const float *a, int lda,
                        bool trans_a, const float *packed_b, float *c, int ldc, bool accumulate,
                        float *work)
{
    gemm_loops(kt, m, n, k, a, lda, trans_a, NULL, 0, false, contiguous, packed_b, c, ldc,
               accumulate, NULL, work);
}

void recur_sgemm_packed_bias(const recur_kernels *kt, int m, int n, int k, const float *a,
                             int lda, const float *packed_b, const float *bias, float *c,
                             int ldc, float *work)
{
    if (k <= 0) {   /* no product: every row is the bias */
        for (int i = 0; i < m && n > 0; i++)
            memcpy(c + (size_t)i * ldc, bias, (size_t)n * sizeof(float));
        return;
    }
    gemm_loops(kt, m, n, k, a, lda, false, NULL, 0, false, contiguous, packed_b, c, ldc, false,
               bias, work);
}

static void direct_loops(const recur_kernels *kt, int m, int n, int k, const float *a, int lda,
                         const float *packed_b, int packed_n, int j0, const float *bias,
                         float *c, int ldc, bool accumulate)
{
    const int mr = kt->mr, nr = kt->nr;
    const int mc_max = (RECUR_GEMM_MC / mr) * mr;
    for (int pc = 0; pc < k; pc += RECUR_GEMM_KC) {
        int kc = min_int(RECUR_GEMM_KC, k - pc);
        bool acc = accumulate || pc > 0;
        const float *bblock = recur_packed_b_at(kt, packed_b, k, packed_n, pc, j0);
        for (int ic = 0; ic < m; ic += mc_max) {
            int mc = min_int(mc_max, m - ic);
            for (int jr = 0; jr < n; jr += nr) {
                const float *bp = bblock + (size_t)(jr / nr) * kc * nr;
                int w = min_int(nr, n - jr);
                const float *bt = bias && !acc ? bias + jr : NULL;
                for (int ir = ic; ir < ic + mc; ir += mr)
                    kt->sgemm_ukr_direct(kc, a + (size_t)ir * lda + pc, lda, bp,
                                         c + (size_t)ir * ldc + jr, ldc, min_int(mr, m - ir),
                                         w, acc, bt);
            }
        }
    }
}

void recur_sgemm_direct(const recur_kernels *kt, int m, int n, int k, const float *a, int lda,
                        const float *packed_b, int packed_n, int j0, float *c, int ldc,
                        bool accumulate)
{
    if (no_product(m, n, k, c, ldc, accumulate))
        return;
    direct_loops(kt, m, n, k, a, lda, packed_b, packed_n, j0, NULL, c, ldc, accumulate);
}

void recur_sgemm_direct_bias(const recur_kernels *kt, int m, int n, int k, const float *a,
                             int lda, const float *packed_b, int packed_n, int j0,
                             const float *bias, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {   /* no product: every row is the bias */
        for (int i = 0; i < m; i++)
            memcpy(c + (size_t)i * ldc, bias, (size_t)n * sizeof(float));
        return;
    }
    direct_loops(kt, m, n, k, a, lda, packed_b, packed_n, j0, bias, c, ldc, false);
}
