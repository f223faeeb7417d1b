/* The kernels, written once against the vector vocabulary (vf_*, VF_LANES, SGEMM_MR/NR);
 * the GEMM micro-kernels in kernel_gemm.h, which this file includes. Each ISA's translation
 * unit includes its vocabulary, then this file, and exports one function that overlays
 * these static kernels onto the table. Including it twice in one translation unit is an
 * error. */
#ifndef RECUR_KERNEL_BODIES_H
#define RECUR_KERNEL_BODIES_H

#include <stddef.h>

#include "kernels.h"

/* Load/store n ≤ VF_LANES floats; short ones zero-fill and never touch memory past p+n. */
static inline vf ld(const float *p, int n) { return n == VF_LANES ? vf_loadu(p) : vf_load_part(p, n); }
static inline void st(float *p, vf v, int n)
{
    if (n == VF_LANES)
        vf_storeu(p, v);
    else
        vf_store_part(p, v, n);
}

/* σ(x) = 1 / (1 + e^(−x)); e^(−x) overflows to +inf for x < −88, giving exactly 0. */
static inline vf vf_sigmoid(vf x)
{
    const vf one = vf_set1(1.0f);
    return vf_div(one, vf_add(one, vf_exp(vf_sub(vf_zero(), x))));
}

static inline vf act_vec(vf x, recur_activation act)
{
    switch (act) {
    case RECUR_ACT_TANH: return vf_tanh(x);
    case RECUR_ACT_SIGMOID: return vf_sigmoid(x);
    case RECUR_ACT_RELU: return vf_max(x, vf_zero());
    case RECUR_ACT_HARD_SIGMOID: /* Keras 3: relu6(x + 3) / 6 */
        return vf_div(vf_min(vf_max(vf_add(x, vf_set1(3.0f)), vf_zero()), vf_set1(6.0f)),
                      vf_set1(6.0f));
    default: return x;
    }
}

/* act'(x) expressed through y = act(x), so backward needs only the kept outputs. */
static inline vf act_grad_vec(vf y, recur_activation act)
{
    const vf one = vf_set1(1.0f), zero = vf_zero();
    switch (act) {
    case RECUR_ACT_TANH: return vf_sub(one, vf_mul(y, y));
    case RECUR_ACT_SIGMOID: return vf_mul(y, vf_sub(one, y));
    case RECUR_ACT_RELU: return vf_select_gt(y, zero, one, zero);
    case RECUR_ACT_HARD_SIGMOID: /* slope 1/6 strictly inside (0, 1), as relu6's gradient */
        return vf_select_gt(y, zero, vf_select_gt(one, y, vf_set1(1.0f / 6.0f), zero), zero);
    default: return one;
    }
}

#include "kernel_gemm.h"   /* sgemm_ukr, sgemm_ukr_direct: they use ld and st */

/* ---- element-wise activations ------------------------------------------------------------ */
/* y = act(x) for n floats, the activation chosen once outside the loop: each SLEEF call
 * then has no vector live across it (every ymm/zmm register is caller-saved, so a value
 * held over a call is spilled and reloaded), and the calls of consecutive vectors overlap. */
static void act_forward(size_t n, recur_activation act, const float *x, float *y)
{
#define ACT_LOOP(EXPR)                                                                        \
    for (size_t j = 0; j < n; j += VF_LANES) {                                                \
        const int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;                           \
        const vf v = ld(x + j, cnt);                                                          \
        st(y + j, EXPR, cnt);                                                                 \
    }
    switch (act) {
    case RECUR_ACT_TANH: ACT_LOOP(vf_tanh(v)) break;
    case RECUR_ACT_SIGMOID: ACT_LOOP(vf_sigmoid(v)) break;
    case RECUR_ACT_RELU: ACT_LOOP(vf_max(v, vf_zero())) break;
    default: ACT_LOOP(act_vec(v, act)) break;
    }
#undef ACT_LOOP
}

static void act_backward(size_t n, recur_activation act, const float *y, const float *dy,
                         float *dx)
{
    for (size_t j = 0; j < n; j += VF_LANES) {
        int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;
        st(dx + j, vf_mul(ld(dy + j, cnt), act_grad_vec(ld(y + j, cnt), act)), cnt);
    }
}

/* ---- LSTM: gates i, f, g(c), o -------------------------------------------------------------- */
/* tanh and sigmoid are SLEEF calls; the others are a few instructions inline. */
static inline int act_is_call(recur_activation act)
{
    return act == RECUR_ACT_TANH || act == RECUR_ACT_SIGMOID;
}

/* One row's g = act(g), c = f⊙c_prev + i⊙g, tc = act(c), h = o⊙tc in one pass, for an
 * activation without a call (i, f and o already activated); act constant where inlined. */
static inline __attribute__((always_inline)) void
lstm_cell_inline(int W, int H, recur_activation act, float *g, const float *cp, float *c,
                 float *tc, float *h)
{
    for (int j = 0; j < W; j += VF_LANES) {
        const int n = W - j < VF_LANES ? W - j : VF_LANES;
        const vf gg = act_vec(ld(g + 2 * H + j, n), act);
        st(g + 2 * H + j, gg, n);
        const vf cv = vf_add(vf_mul(ld(g + H + j, n), ld(cp + j, n)), vf_mul(ld(g + j, n), gg));
        st(c + j, cv, n);
        const vf t = act_vec(cv, act);
        if (tc)
            st(tc + j, t, n);
        st(h + j, vf_mul(ld(g + 3 * H + j, n), t), n);
    }
}

/* Per row: each gate block activated in place by its own loop (i and f, adjacent and
 * sharing an activation, as one run of 2H when the row is whole: one partial vector, not
 * two), then c = f⊙c_prev + i⊙g, then h = o⊙act(c). Loops of one operation keep no vector
 * live across the transcendental calls, and their iterations are independent, so the calls
 * overlap. With an inline activation (relu: the tutorial's LSTM) g, c, act(c) and h are one
 * pass instead of four. */
static void lstm_fwd(const recur_lstm_fwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 4 * H;
        const float *cp = a->c_prev + (size_t)r * H;
        float *c = a->c + (size_t)r * H, *h = a->h + (size_t)r * H;
        if (W == H) {
            act_forward((size_t)2 * H, a->rec_act, g, g);
        } else {
            act_forward((size_t)W, a->rec_act, g, g);
            act_forward((size_t)W, a->rec_act, g + H, g + H);
        }
        act_forward((size_t)W, a->rec_act, g + 3 * H, g + 3 * H);
        float *kept = a->act_c ? a->act_c + (size_t)r * H : NULL;
        if (a->act == RECUR_ACT_RELU) {
            lstm_cell_inline(W, H, RECUR_ACT_RELU, g, cp, c, kept, h);
            continue;
        }
        if (!act_is_call(a->act)) {
            lstm_cell_inline(W, H, a->act, g, cp, c, kept, h);
            continue;
        }
        act_forward((size_t)W, a->act, g + 2 * H, g + 2 * H);
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf fc = vf_mul(ld(g + H + j, n), ld(cp + j, n));
            st(c + j, vf_add(fc, vf_mul(ld(g + j, n), ld(g + 2 * H + j, n))), n);
        }
        /* act(c) goes to act_c when kept, else through h, which o then scales in place */
        float *tc = kept ? kept : h;
        act_forward((size_t)W, a->act, c, tc);
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            st(h + j, vf_mul(ld(g + 3 * H + j, n), ld(tc + j, n)), n);
        }
    }
}

static void lstm_bwd(const recur_lstm_bwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 4 * H;
        const float *cp = a->c_prev + (size_t)r * H;
        const float *c = a->act_c ? a->act_c + (size_t)r * H : a->c + (size_t)r * H;
        const float *dh = a->dh + (size_t)r * H;
        float *dc = a->dc + (size_t)r * H;
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf i = ld(g + j, n), f = ld(g + H + j, n), gg = ld(g + 2 * H + j, n);
            vf o = ld(g + 3 * H + j, n), dhv = ld(dh + j, n);
            vf tc = a->act_c ? ld(c + j, n) : act_vec(ld(c + j, n), a->act);
            vf dcv = vf_add(ld(dc + j, n), vf_mul(vf_mul(dhv, o), act_grad_vec(tc, a->act)));
            vf d_o = vf_mul(dhv, tc);
            st(g + j, vf_mul(vf_mul(dcv, gg), act_grad_vec(i, a->rec_act)), n);
            st(g + H + j, vf_mul(vf_mul(dcv, ld(cp + j, n)), act_grad_vec(f, a->rec_act)), n);
            st(g + 2 * H + j, vf_mul(vf_mul(dcv, i), act_grad_vec(gg, a->act)), n);
            st(g + 3 * H + j, vf_mul(d_o, act_grad_vec(o, a->rec_act)), n);
            st(dc + j, vf_mul(dcv, f), n);
        }
    }
}

/* ---- GRU, reset_after: gates z, r, h ---------------------------------------------------------- */
static void gru_fwd(const recur_gru_fwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    const vf one = vf_set1(1.0f);
    /* Two passes, each over all rows: z and r (independent across rows and units, so many
     * sigmoid chains overlap), then hh, which needs r. With whole rows z and r are one run
     * of 2H units: 100 units take 7 vectors, not 2 × 4. (lstm_fwd makes its two passes row
     * by row: over all rows it measured slower at 50 units.) */
    const int zr_runs = W == H ? 1 : 2, zr_len = W == H ? 2 * W : W;
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 3 * H, *q = a->rec + (size_t)r * 3 * H;
        for (int run = 0; run < zr_runs; run++) {
            const size_t o = (size_t)run * H;
            for (int j = 0; j < zr_len; j += VF_LANES) {
                int n = zr_len - j < VF_LANES ? zr_len - j : VF_LANES;
                vf qv = ld(q + o + j, n);
                if (a->rec_bias) {
                    qv = vf_add(qv, ld(a->rec_bias + o + j, n));
                    st(q + o + j, qv, n);
                }
                st(g + o + j, act_vec(vf_add(ld(g + o + j, n), qv), a->rec_act), n);
            }
        }
    }
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 3 * H, *q = a->rec + (size_t)r * 3 * H;
        const float *hp = a->h_prev + (size_t)r * H;
        float *h = a->h + (size_t)r * H;
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf qh = ld(q + 2 * H + j, n);
            if (a->rec_bias) {
                qh = vf_add(qh, ld(a->rec_bias + 2 * H + j, n));
                st(q + 2 * H + j, qh, n);
            }
            vf z = ld(g + j, n), rr = ld(g + H + j, n);
            vf hh = act_vec(vf_add(ld(g + 2 * H + j, n), vf_mul(rr, qh)), a->act);
            st(g + 2 * H + j, hh, n);
            st(h + j, vf_add(vf_mul(z, ld(hp + j, n)), vf_mul(vf_sub(one, z), hh)), n);
        }
    }
}

static void gru_bwd(const recur_gru_bwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    const vf one = vf_set1(1.0f);
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 3 * H, *q = a->rec + (size_t)r * 3 * H;
        const float *hp = a->h_prev + (size_t)r * H, *dh = a->dh + (size_t)r * H;
        float *dhp = a->dh_prev + (size_t)r * H;
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf z = ld(g + j, n), rr = ld(g + H + j, n), hh = ld(g + 2 * H + j, n);
            vf qh = ld(q + 2 * H + j, n), dhv = ld(dh + j, n), hpv = ld(hp + j, n);
            vf dz = vf_mul(vf_mul(dhv, vf_sub(hpv, hh)), act_grad_vec(z, a->rec_act));
            vf dhh = vf_mul(vf_mul(dhv, vf_sub(one, z)), act_grad_vec(hh, a->act));
            vf dr = vf_mul(vf_mul(dhh, qh), act_grad_vec(rr, a->rec_act));
            st(g + j, dz, n);
            st(g + H + j, dr, n);
            st(g + 2 * H + j, dhh, n);
            st(q + j, dz, n);
            st(q + H + j, dr, n);
            st(q + 2 * H + j, vf_mul(dhh, rr), n);
            st(dhp + j, vf_mul(dhv, z), n);
        }
    }
}

/* ---- GRU, reset_before --------------------------------------------------------------------- */
static void gru_rb_fwd1(const recur_gru_rb_fwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 3 * H, *rh = a->rh + (size_t)r * H;
        const float *hp = a->h_prev + (size_t)r * H;
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf z = act_vec(ld(g + j, n), a->rec_act);
            vf rr = act_vec(ld(g + H + j, n), a->rec_act);
            st(g + j, z, n);
            st(g + H + j, rr, n);
            st(rh + j, vf_mul(rr, ld(hp + j, n)), n);
        }
    }
}

static void gru_rb_fwd2(const recur_gru_rb_fwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    const vf one = vf_set1(1.0f);
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 3 * H, *h = a->h + (size_t)r * H;
        const float *hp = a->h_prev + (size_t)r * H;
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf z = ld(g + j, n);
            vf hh = act_vec(ld(g + 2 * H + j, n), a->act);
            st(g + 2 * H + j, hh, n);
            st(h + j, vf_add(vf_mul(z, ld(hp + j, n)), vf_mul(vf_sub(one, z), hh)), n);
        }
    }
}

static void gru_rb_bwd1(const recur_gru_rb_bwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    const vf one = vf_set1(1.0f);
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 3 * H, *dhp = a->dh_prev + (size_t)r * H;
        const float *hp = a->h_prev + (size_t)r * H, *dh = a->dh + (size_t)r * H;
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf z = ld(g + j, n), hh = ld(g + 2 * H + j, n), dhv = ld(dh + j, n);
            vf dz = vf_mul(vf_mul(dhv, vf_sub(ld(hp + j, n), hh)), act_grad_vec(z, a->rec_act));
            vf dhh = vf_mul(vf_mul(dhv, vf_sub(one, z)), act_grad_vec(hh, a->act));
            st(g + j, dz, n);
            st(g + 2 * H + j, dhh, n);
            st(dhp + j, vf_mul(dhv, z), n);
        }
    }
}

static void gru_rb_bwd2(const recur_gru_rb_bwd_args *a)
{
    const int W = a->units, H = a->layout_units ? a->layout_units : W;
    for (int r = 0; r < a->rows; r++) {
        float *g = a->gates + (size_t)r * 3 * H, *dhp = a->dh_prev + (size_t)r * H;
        const float *hp = a->h_prev + (size_t)r * H, *drh = a->drh + (size_t)r * H;
        for (int j = 0; j < W; j += VF_LANES) {
            int n = W - j < VF_LANES ? W - j : VF_LANES;
            vf rr = ld(g + H + j, n), d = ld(drh + j, n);
            st(g + H + j, vf_mul(vf_mul(d, ld(hp + j, n)), act_grad_vec(rr, a->rec_act)), n);
            st(dhp + j, vf_add(ld(dhp + j, n), vf_mul(d, rr)), n);
        }
    }
}

/* ---- vector helpers ------------------------------------------------------------------------ */
static void axpy(size_t n, float alpha, const float *x, float *y)
{
    const vf av = vf_set1(alpha);
    for (size_t j = 0; j < n; j += VF_LANES) {
        int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;
        st(y + j, vf_fma(av, ld(x + j, cnt), ld(y + j, cnt)), cnt);
    }
}

static void scale(size_t n, float alpha, float *x)
{
    const vf av = vf_set1(alpha);
    for (size_t j = 0; j < n; j += VF_LANES) {
        int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;
        st(x + j, vf_mul(av, ld(x + j, cnt)), cnt);
    }
}

/* out[r·ldo + j] = bias[j] + Σ_f x[r·ldx + f]·w[f·ldw + j] for f < nx (bias NULL: 0), each
 * vector of bias and W loaded once for all rows: the input projection of a thread's rows
 * when F is narrower than a GEMM tile. */
static void row_affine(size_t rows, size_t n, int nx, const float *x, size_t ldx,
                       const float *w, size_t ldw, const float *bias, float *out, size_t ldo)
{
    for (size_t j = 0; j < n; j += VF_LANES) {
        int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;
        const vf b = bias ? ld(bias + j, cnt) : vf_zero();
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * ldx;
            vf acc = b;
            for (int f = 0; f < nx; f++)
                acc = vf_fma(vf_set1(xr[f]), ld(w + (size_t)f * ldw + j, cnt), acc);
            st(out + r * ldo + j, acc, cnt);
        }
    }
}

/* Σ x·y in float lanes, then across lanes: the input gradient when F is narrower than a
 * GEMM tile. */
static float dot(size_t n, const float *x, const float *y)
{
    vf acc = vf_zero();
    for (size_t j = 0; j < n; j += VF_LANES) {
        int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;
        acc = vf_fma(ld(x + j, cnt), ld(y + j, cnt), acc);
    }
    return vf_reduce_add(acc);
}

/* One strip of colsum: nv vectors of columns from a[0] (a constant: the accumulators stay in
 * registers, the loop has no branch), the last one `last` lanes wide. */
static inline __attribute__((always_inline)) void
colsum_strip(size_t rows, const float *a, size_t lda, const float *w, size_t ldw, size_t grp,
             size_t gstride, float *out, const int nv, int last)
{
    vf acc[8];
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
        acc[v] = vf_zero();
    for (size_t g0 = 0, base = 0; g0 < rows; g0 += grp, base += gstride) {
        const size_t in = rows - g0 < grp ? rows - g0 : grp;
        for (size_t i = 0; i < in; i++) {
            const float *row = a + (base + i) * lda;
            const vf wr = vf_set1(w[(base + i) * ldw]);
#pragma GCC unroll 8
            for (int v = 0; v < nv - 1; v++)
                acc[v] = vf_fma(wr, vf_loadu(row + v * VF_LANES), acc[v]);
            acc[nv - 1] = vf_fma(wr, ld(row + (nv - 1) * VF_LANES, last), acc[nv - 1]);
        }
    }
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) {
        const int cnt = v == nv - 1 ? last : VF_LANES;
        st(out + v * VF_LANES, vf_add(ld(out + v * VF_LANES, cnt), acc[v]), cnt);
    }
}

/* out[j] += Σ_r w[r·ldw] · a[r·lda + j] over rows in order (w NULL: weights 1), columns in
 * strips of 8, 4 or 1 vectors held in registers: each column's sum has one order however
 * the columns are split among threads or into strips. 8 independent accumulators cover the
 * FMA latency (4 would leave half the FMA issue idle). Bias and narrow-input weight
 * gradients. Rows may come in groups (grp > 0): logical row r is row
 * (r / grp)·gstride + r % grp, for one batch group's rows across time steps. */
static void colsum(size_t rows, size_t cols, const float *a, size_t lda, const float *w,
                   size_t ldw, size_t grp, size_t gstride, float *out)
{
    static const float one = 1.0f;
    if (grp == 0 || grp >= rows) {
        grp = rows;
        gstride = rows;
    }
    if (rows == 0)
        return;
    if (w == NULL) {   /* weights 1: the same FMA, so both forms round alike */
        w = &one;
        ldw = 0;
    }
    size_t j = 0;
    for (; j + 8 * VF_LANES <= cols; j += 8 * VF_LANES)
        colsum_strip(rows, a + j, lda, w, ldw, grp, gstride, out + j, 8, VF_LANES);
    if (j + 4 * VF_LANES <= cols) {
        colsum_strip(rows, a + j, lda, w, ldw, grp, gstride, out + j, 4, VF_LANES);
        j += 4 * VF_LANES;
    }
    for (; j < cols; j += VF_LANES) {
        const int cnt = cols - j < VF_LANES ? (int)(cols - j) : VF_LANES;
        colsum_strip(rows, a + j, lda, w, ldw, grp, gstride, out + j, 1, cnt);
    }
}

/* Σ x²: float lanes over blocks of 1024 values, blocks summed in double, so the error
 * stays near a 1024-term float sum whatever n is. */
static double sum_squares(size_t n, const float *x)
{
    double total = 0.0;
    for (size_t b = 0; b < n; b += 1024) {
        size_t e = n - b < 1024 ? n : b + 1024;
        vf acc = vf_zero();
        for (size_t j = b; j < e; j += VF_LANES) {
            int cnt = e - j < VF_LANES ? (int)(e - j) : VF_LANES;
            vf v = ld(x + j, cnt);
            acc = vf_fma(v, v, acc);
        }
        total += (double)vf_reduce_add(acc);
    }
    return total;
}

static void clamp(size_t n, float lo, float hi, float *x)
{
    const vf l = vf_set1(lo), h = vf_set1(hi);
    for (size_t j = 0; j < n; j += VF_LANES) {
        int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;
        st(x + j, vf_min(vf_max(ld(x + j, cnt), l), h), cnt);
    }
}

/* Keras's Adam on n weights; the second moment from g² (gsq NULL) or from gsq, the
 * per-occurrence squares of a gradient summed from slices (an Embedding's). */
static inline __attribute__((always_inline)) void
adam_body(size_t n, float lr_t, float beta_1, float beta_2, float epsilon, const float *g,
          const float *gsq, float *m, float *v, float *w)
{
    const vf b1 = vf_set1(1.0f - beta_1), b2 = vf_set1(1.0f - beta_2);
    const vf lr = vf_set1(lr_t), eps = vf_set1(epsilon);
    for (size_t j = 0; j < n; j += VF_LANES) {
        int cnt = n - j < VF_LANES ? (int)(n - j) : VF_LANES;
        vf gv = ld(g + j, cnt), mv = ld(m + j, cnt), vv = ld(v + j, cnt);
        vf sq = gsq ? ld(gsq + j, cnt) : vf_mul(gv, gv);
        mv = vf_add(mv, vf_mul(vf_sub(gv, mv), b1));
        vv = vf_add(vv, vf_mul(vf_sub(sq, vv), b2));
        vf step = vf_div(vf_mul(mv, lr), vf_add(vf_sqrt(vv), eps));
        st(m + j, mv, cnt);
        st(v + j, vv, cnt);
        st(w + j, vf_sub(ld(w + j, cnt), step), cnt);
    }
}

static void adam_step(size_t n, float lr_t, float beta_1, float beta_2, float epsilon,
                      const float *g, const float *gsq, float *m, float *v, float *w)
{
    if (gsq)
        adam_body(n, lr_t, beta_1, beta_2, epsilon, g, gsq, m, v, w);
    else
        adam_body(n, lr_t, beta_1, beta_2, epsilon, g, NULL, m, v, w);
}

static void kernel_bodies_fill(recur_kernels *k)
{
    k->mr = SGEMM_MR;
    k->nr = SGEMM_NR;
    k->sgemm_ukr = sgemm_ukr;
    k->sgemm_ukr_direct = sgemm_ukr_direct;
    k->act_forward = act_forward;
    k->act_backward = act_backward;
    k->lstm_fwd = lstm_fwd;
    k->lstm_bwd = lstm_bwd;
    k->gru_fwd = gru_fwd;
    k->gru_bwd = gru_bwd;
    k->gru_rb_fwd1 = gru_rb_fwd1;
    k->gru_rb_fwd2 = gru_rb_fwd2;
    k->gru_rb_bwd1 = gru_rb_bwd1;
    k->gru_rb_bwd2 = gru_rb_bwd2;
    k->axpy = axpy;
    k->scale = scale;
    k->sum_squares = sum_squares;
    k->dot = dot;
    k->row_affine = row_affine;
    k->colsum = colsum;
    k->clamp = clamp;
    k->adam_step = adam_step;
}

#endif
