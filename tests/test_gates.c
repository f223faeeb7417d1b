/* The fused gate kernels (LSTM, GRU reset_after, GRU reset_before, element-wise
 * activations), forward and backward, on every ISA against double-precision formulas, for
 * every pair of activations and H over awkward sizes (vector tails).
 *
 * Tolerance 1e-5·max(1, |ref|): each output is at most ~10 float operations on inputs of
 * magnitude ≤ 3, including ≤ 1-ulp (SLEEF u10, libm) transcendentals, which bounds the
 * error near 10·2⁻²³ ≈ 1.2e-6 relative; any indexing or formula slip is O(0.1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_cells.h"
#include "test_util.h"

static const int units[] = { 1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 100, 257 };
#define NUNITS ((int)(sizeof units / sizeof units[0]))
static const recur_activation acts[] = { RECUR_ACT_TANH, RECUR_ACT_SIGMOID, RECUR_ACT_RELU,
                                         RECUR_ACT_LINEAR, RECUR_ACT_HARD_SIGMOID };
#define NACTS 5

/* Every buffer is misaligned by two floats and fenced by guard words, checked on free. */
#define MAX_LIVE 64
static guarded live[MAX_LIVE];
static void *gmalloc(size_t bytes)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i].base == NULL) {
            /* 8 bytes past a 64-byte line: unaligned for every vector, legal for double */
            live[i] = guarded_alloc((bytes + 7) / sizeof(float), 2);
            return live[i].p;
        }
    fail_msg("too many live buffers");
    return NULL;
}
static void gfree(void *p)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i].base && (void *)live[i].p == p) {
            if (!guard_ok(&live[i]))
                fail_msg("a kernel wrote outside its buffer");
            guarded_free(&live[i]);
            return;
        }
}
#define malloc gmalloc
#define free gfree

static void expect_close(const char *what, const char *isa, int H, int ai, int ri,
                         const float *got, const double *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double tol = 1e-5 * fmax(1.0, fabs(want[i]));
        if (!(fabs(got[i] - want[i]) <= tol))
            fail_msg("%s %s H=%d act=%d rec_act=%d: [%zu] = %.9g, want %.9g", what, isa, H,
                     (int)acts[ai], (int)acts[ri], i, got[i], want[i]);
    }
}

/* All buffers of one case; rows × H states, rows × G·H gates. */
typedef struct {
    int rows, H, G;
    float *g_pre, *q_pre, *c_prev, *h_prev, *dh, *dc_in, *drh;
    float *bias;
} case_data;

static case_data make_case(test_rng *rng, int rows, int H, int G)
{
    case_data d = { rows, H, G, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
    size_t ng = (size_t)rows * G * H, ns = (size_t)rows * H;
    d.g_pre = malloc(ng * sizeof(float));
    d.q_pre = malloc(ng * sizeof(float));
    d.c_prev = malloc(ns * sizeof(float));
    d.h_prev = malloc(ns * sizeof(float));
    d.dh = malloc(ns * sizeof(float));
    d.dc_in = malloc(ns * sizeof(float));
    d.drh = malloc(ns * sizeof(float));
    d.bias = malloc((size_t)G * H * sizeof(float));
    rng_fill(rng, d.g_pre, ng, -3.0f, 3.0f);
    rng_fill(rng, d.q_pre, ng, -2.0f, 2.0f);
    rng_fill(rng, d.c_prev, ns, -2.0f, 2.0f);
    rng_fill(rng, d.h_prev, ns, -1.0f, 1.0f);
    rng_fill(rng, d.dh, ns, -1.0f, 1.0f);
    rng_fill(rng, d.dc_in, ns, -1.0f, 1.0f);
    rng_fill(rng, d.drh, ns, -1.0f, 1.0f);
    rng_fill(rng, d.bias, (size_t)G * H, -0.5f, 0.5f);
    return d;
}

static void free_case(case_data *d)
{
    free(d->g_pre); free(d->q_pre); free(d->c_prev); free(d->h_prev);
    free(d->dh); free(d->dc_in); free(d->drh); free(d->bias);
}

static float *copy_f(const float *x, size_t n)
{
    float *y = malloc(n * sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

static void check_lstm(const recur_kernels *kt, const case_data *d, int ai, int ri)
{
    const int rows = d->rows, H = d->H;
    const recur_activation act = acts[ai], ract = acts[ri];
    size_t ng = (size_t)rows * 4 * H, ns = (size_t)rows * H;
    float *g = copy_f(d->g_pre, ng), *c = malloc(ns * 4), *h = malloc(ns * 4);
    float *tc = malloc(ns * 4);   /* act(c), kept for backward */
    recur_lstm_fwd_args fa = { rows, H, act, ract, g, d->c_prev, c, h, 0, tc };
    kt->lstm_fwd(&fa);
    double *wg = malloc(ng * 8), *wc = malloc(ns * 8), *wh = malloc(ns * 8);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < H; j++) {
            const float *p = d->g_pre + (size_t)r * 4 * H;
            double i = ref_act(p[j], ract), f = ref_act(p[H + j], ract);
            double gg = ref_act(p[2 * H + j], act), o = ref_act(p[3 * H + j], ract);
            double cv = f * d->c_prev[(size_t)r * H + j] + i * gg;
            double *q = wg + (size_t)r * 4 * H;
            q[j] = i; q[H + j] = f; q[2 * H + j] = gg; q[3 * H + j] = o;
            wc[(size_t)r * H + j] = cv;
            wh[(size_t)r * H + j] = o * ref_act(cv, act);
        }
    expect_close("lstm_fwd gates", kt->name, H, ai, ri, g, wg, ng);
    expect_close("lstm_fwd c", kt->name, H, ai, ri, c, wc, ns);
    expect_close("lstm_fwd h", kt->name, H, ai, ri, h, wh, ns);
    double *wtc = malloc(ns * 8);
    for (size_t s = 0; s < ns; s++)
        wtc[s] = ref_act(wc[s], act);
    expect_close("lstm_fwd act(c)", kt->name, H, ai, ri, tc, wtc, ns);
    {   /* inference keeps no act(c): the same bits */
        float *g0 = copy_f(d->g_pre, ng), *c0 = malloc(ns * 4), *h0 = malloc(ns * 4);
        recur_lstm_fwd_args fi = { rows, H, act, ract, g0, d->c_prev, c0, h0, 0, NULL };
        kt->lstm_fwd(&fi);
        if (memcmp(g0, g, ng * 4) || memcmp(c0, c, ns * 4) || memcmp(h0, h, ns * 4))
            fail_msg("%s lstm_fwd %d/%d: keeping act(c) changes the bits", kt->name, ai, ri);
        free(g0); free(c0); free(h0);
    }

    /* backward from the kernel's own forward outputs: with act(c) kept, and computing it
     * again from c, which must give the same bits */
    float *dc = copy_f(d->dc_in, ns);
    float *ga = copy_f(g, ng), *g2 = copy_f(g, ng), *dc2 = copy_f(d->dc_in, ns);
    recur_lstm_bwd_args ba = { rows, H, act, ract, g, d->c_prev, NULL, d->dh, dc, 0, tc };
    kt->lstm_bwd(&ba);
    recur_lstm_bwd_args bc = { rows, H, act, ract, g2, d->c_prev, c, d->dh, dc2, 0, NULL };
    kt->lstm_bwd(&bc);
    if (memcmp(g, g2, ng * 4) || memcmp(dc, dc2, ns * 4))
        fail_msg("%s lstm_bwd: act(c) kept and act(c) computed give other bits", kt->name);
    double *wdc = malloc(ns * 8);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < H; j++) {
            const float *p = ga + (size_t)r * 4 * H;
            size_t s = (size_t)r * H + j;
            double i = p[j], f = p[H + j], gg = p[2 * H + j], o = p[3 * H + j];
            double tc = ref_act(c[s], act), dhv = d->dh[s];
            double dcv = d->dc_in[s] + dhv * o * ref_dact(tc, act);
            double *q = wg + (size_t)r * 4 * H;
            q[j] = dcv * gg * ref_dact(i, ract);
            q[H + j] = dcv * d->c_prev[s] * ref_dact(f, ract);
            q[2 * H + j] = dcv * i * ref_dact(gg, act);
            q[3 * H + j] = dhv * tc * ref_dact(o, ract);
            wdc[s] = dcv * f;
        }
    expect_close("lstm_bwd dgates", kt->name, H, ai, ri, g, wg, ng);
    expect_close("lstm_bwd dc_prev", kt->name, H, ai, ri, dc, wdc, ns);
    free(g); free(c); free(h); free(wg); free(wc); free(wh); free(dc); free(ga); free(wdc);
    free(tc); free(wtc); free(g2); free(dc2);
}

static void check_gru(const recur_kernels *kt, const case_data *d, int ai, int ri, bool with_bias)
{
    const int rows = d->rows, H = d->H;
    const recur_activation act = acts[ai], ract = acts[ri];
    size_t ng = (size_t)rows * 3 * H, ns = (size_t)rows * H;
    float *g = copy_f(d->g_pre, ng), *q = copy_f(d->q_pre, ng), *h = malloc(ns * 4);
    recur_gru_fwd_args fa = { rows, H, act, ract, g, q, with_bias ? d->bias : NULL, d->h_prev, h, 0 };
    kt->gru_fwd(&fa);
    double *wg = malloc(ng * 8), *wq = malloc(ng * 8), *wh = malloc(ns * 8);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < H; j++) {
            const float *p = d->g_pre + (size_t)r * 3 * H, *pq = d->q_pre + (size_t)r * 3 * H;
            double qz = pq[j], qr = pq[H + j], qh = pq[2 * H + j];
            if (with_bias) {
                qz += d->bias[j]; qr += d->bias[H + j]; qh += d->bias[2 * H + j];
            }
            double z = ref_act(p[j] + qz, ract), rr = ref_act(p[H + j] + qr, ract);
            double hh = ref_act(p[2 * H + j] + rr * qh, act);
            size_t s = (size_t)r * H + j;
            double *o = wg + (size_t)r * 3 * H, *oq = wq + (size_t)r * 3 * H;
            o[j] = z; o[H + j] = rr; o[2 * H + j] = hh;
            oq[j] = qz; oq[H + j] = qr; oq[2 * H + j] = qh;
            wh[s] = z * d->h_prev[s] + (1 - z) * hh;
        }
    expect_close("gru_fwd gates", kt->name, H, ai, ri, g, wg, ng);
    expect_close("gru_fwd rec", kt->name, H, ai, ri, q, wq, ng);
    expect_close("gru_fwd h", kt->name, H, ai, ri, h, wh, ns);

    float *ga = copy_f(g, ng), *qa = copy_f(q, ng), *dhp = malloc(ns * 4);
    recur_gru_bwd_args ba = { rows, H, act, ract, g, q, d->h_prev, d->dh, dhp, 0 };
    kt->gru_bwd(&ba);
    double *wdhp = malloc(ns * 8);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < H; j++) {
            const float *p = ga + (size_t)r * 3 * H, *pq = qa + (size_t)r * 3 * H;
            size_t s = (size_t)r * H + j;
            double z = p[j], rr = p[H + j], hh = p[2 * H + j], dhv = d->dh[s];
            double dz = dhv * (d->h_prev[s] - hh) * ref_dact(z, ract);
            double dhh = dhv * (1 - z) * ref_dact(hh, act);
            double dr = dhh * pq[2 * H + j] * ref_dact(rr, ract);
            double *o = wg + (size_t)r * 3 * H, *oq = wq + (size_t)r * 3 * H;
            o[j] = dz; o[H + j] = dr; o[2 * H + j] = dhh;
            oq[j] = dz; oq[H + j] = dr; oq[2 * H + j] = dhh * rr;
            wdhp[s] = dhv * z;
        }
    expect_close("gru_bwd dgx", kt->name, H, ai, ri, g, wg, ng);
    expect_close("gru_bwd dgh", kt->name, H, ai, ri, q, wq, ng);
    expect_close("gru_bwd dh_prev", kt->name, H, ai, ri, dhp, wdhp, ns);
    free(g); free(q); free(h); free(wg); free(wq); free(wh); free(ga); free(qa); free(dhp);
    free(wdhp);
}

static void check_gru_rb(const recur_kernels *kt, const case_data *d, int ai, int ri)
{
    const int rows = d->rows, H = d->H;
    const recur_activation act = acts[ai], ract = acts[ri];
    size_t ng = (size_t)rows * 3 * H, ns = (size_t)rows * H;
    float *g = copy_f(d->g_pre, ng), *rh = malloc(ns * 4), *h = malloc(ns * 4);
    recur_gru_rb_fwd_args fa = { rows, H, act, ract, g, d->h_prev, rh, h, 0 };
    kt->gru_rb_fwd1(&fa);
    kt->gru_rb_fwd2(&fa);   /* the h preactivation slot is taken as already complete */
    double *wg = malloc(ng * 8), *wrh = malloc(ns * 8), *wh = malloc(ns * 8);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < H; j++) {
            const float *p = d->g_pre + (size_t)r * 3 * H;
            size_t s = (size_t)r * H + j;
            double z = ref_act(p[j], ract), rr = ref_act(p[H + j], ract);
            double hh = ref_act(p[2 * H + j], act);
            double *o = wg + (size_t)r * 3 * H;
            o[j] = z; o[H + j] = rr; o[2 * H + j] = hh;
            wrh[s] = rr * d->h_prev[s];
            wh[s] = z * d->h_prev[s] + (1 - z) * hh;
        }
    expect_close("gru_rb_fwd gates", kt->name, H, ai, ri, g, wg, ng);
    expect_close("gru_rb_fwd rh", kt->name, H, ai, ri, rh, wrh, ns);
    expect_close("gru_rb_fwd h", kt->name, H, ai, ri, h, wh, ns);

    float *ga = copy_f(g, ng), *dhp = malloc(ns * 4);
    recur_gru_rb_bwd_args ba = { rows, H, act, ract, g, d->h_prev, d->dh, d->drh, dhp, 0 };
    kt->gru_rb_bwd1(&ba);
    kt->gru_rb_bwd2(&ba);
    double *wdhp = malloc(ns * 8);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < H; j++) {
            const float *p = ga + (size_t)r * 3 * H;
            size_t s = (size_t)r * H + j;
            double z = p[j], rr = p[H + j], hh = p[2 * H + j], dhv = d->dh[s];
            double *o = wg + (size_t)r * 3 * H;
            o[j] = dhv * (d->h_prev[s] - hh) * ref_dact(z, ract);
            o[H + j] = d->drh[s] * d->h_prev[s] * ref_dact(rr, ract);
            o[2 * H + j] = dhv * (1 - z) * ref_dact(hh, act);
            wdhp[s] = dhv * z + d->drh[s] * rr;
        }
    expect_close("gru_rb_bwd dgates", kt->name, H, ai, ri, g, wg, ng);
    expect_close("gru_rb_bwd dh_prev", kt->name, H, ai, ri, dhp, wdhp, ns);
    free(g); free(rh); free(h); free(wg); free(wrh); free(wh); free(ga); free(dhp); free(wdhp);
}

static void check_act(const recur_kernels *kt, const case_data *d, int ai)
{
    const size_t n = (size_t)d->rows * d->H;
    float *y = malloc(n * 4), *dx = malloc(n * 4);
    double *wy = malloc(n * 8), *wdx = malloc(n * 8);
    kt->act_forward(n, acts[ai], d->g_pre, y);
    kt->act_backward(n, acts[ai], y, d->dh, dx);
    for (size_t i = 0; i < n; i++) {
        wy[i] = ref_act(d->g_pre[i], acts[ai]);
        wdx[i] = d->dh[i] * ref_dact(y[i], acts[ai]);
    }
    expect_close("act_forward", kt->name, d->H, ai, ai, y, wy, n);
    expect_close("act_backward", kt->name, d->H, ai, ai, dx, wdx, n);
    free(y); free(dx); free(wy); free(wdx);
}

/* ---- column slices: a kernel given units [j0, j0+w) of a layout with H units -------------
 * (layout_units = H, every pointer offset by j0) must reproduce the full kernel's values in
 * the slice bit for bit and leave every other column untouched. */
typedef struct {
    float *in, *full, *part;   /* inputs; after the full-width run; after the slice run */
    int blocks;                /* row stride = blocks·H */
} slice_buf;

static slice_buf sbuf(const float *src, int rows, int blocks, int H)
{
    size_t n = (size_t)rows * blocks * H;
    slice_buf b = { copy_f(src, n), copy_f(src, n), copy_f(src, n), blocks };
    return b;
}

static void sbuf_check(const char *what, const char *isa, slice_buf *b, int rows, int H, int j0,
                       int w)
{
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < b->blocks * H; k++) {
            size_t i = (size_t)r * b->blocks * H + k;
            bool inside = k % H >= j0 && k % H < j0 + w;
            float want = inside ? b->full[i] : b->in[i];
            if (memcmp(&b->part[i], &want, sizeof want) != 0)
                fail_msg("%s %s H=%d slice [%d,%d): row %d col %d = %.9g, want %.9g (%s)", what,
                         isa, H, j0, j0 + w, r, k, b->part[i], want,
                         inside ? "slice value differs" : "outside the slice was written");
        }
    free(b->in); free(b->full); free(b->part);
}

static void check_slices(const recur_kernels *kt, const case_data *d, recur_activation act,
                         int j0, int w)
{
    const int rows = d->rows, H = d->H;
    const recur_activation ract = RECUR_ACT_SIGMOID;
    const char *n = kt->name;
    {   /* LSTM forward, then backward from the forward's outputs */
        slice_buf g = sbuf(d->g_pre, rows, 4, H), c = sbuf(d->dc_in, rows, 1, H),
                  h = sbuf(d->dh, rows, 1, H);
        recur_lstm_fwd_args f = { rows, H, act, ract, g.full, d->c_prev, c.full, h.full, 0,
                                  NULL };
        kt->lstm_fwd(&f);
        recur_lstm_fwd_args p = { rows, w, act, ract, g.part + j0, d->c_prev + j0, c.part + j0,
                                  h.part + j0, H, NULL };
        kt->lstm_fwd(&p);
        float *acts_full = copy_f(g.full, (size_t)rows * 4 * H);
        float *cells = copy_f(c.full, (size_t)rows * H);
        sbuf_check("lstm_fwd gates", n, &g, rows, H, j0, w);
        sbuf_check("lstm_fwd c", n, &c, rows, H, j0, w);
        sbuf_check("lstm_fwd h", n, &h, rows, H, j0, w);
        slice_buf dg = sbuf(acts_full, rows, 4, H), dc = sbuf(d->dc_in, rows, 1, H);
        recur_lstm_bwd_args fb = { rows, H, act, ract, dg.full, d->c_prev, cells, d->dh,
                                   dc.full, 0, NULL };
        kt->lstm_bwd(&fb);
        recur_lstm_bwd_args pb = { rows, w, act, ract, dg.part + j0, d->c_prev + j0,
                                   cells + j0, d->dh + j0, dc.part + j0, H, NULL };
        kt->lstm_bwd(&pb);
        sbuf_check("lstm_bwd dgates", n, &dg, rows, H, j0, w);
        sbuf_check("lstm_bwd dc", n, &dc, rows, H, j0, w);
        free(acts_full); free(cells);
    }
    {   /* GRU reset_after */
        slice_buf g = sbuf(d->g_pre, rows, 3, H), q = sbuf(d->q_pre, rows, 3, H),
                  h = sbuf(d->dh, rows, 1, H);
        recur_gru_fwd_args f = { rows, H, act, ract, g.full, q.full, d->bias, d->h_prev,
                                 h.full, 0 };
        kt->gru_fwd(&f);
        recur_gru_fwd_args p = { rows, w, act, ract, g.part + j0, q.part + j0, d->bias + j0,
                                 d->h_prev + j0, h.part + j0, H };
        kt->gru_fwd(&p);
        float *ga = copy_f(g.full, (size_t)rows * 3 * H), *qa = copy_f(q.full, (size_t)rows * 3 * H);
        sbuf_check("gru_fwd gates", n, &g, rows, H, j0, w);
        sbuf_check("gru_fwd rec", n, &q, rows, H, j0, w);
        sbuf_check("gru_fwd h", n, &h, rows, H, j0, w);
        slice_buf dg = sbuf(ga, rows, 3, H), dq = sbuf(qa, rows, 3, H),
                  dhp = sbuf(d->drh, rows, 1, H);
        recur_gru_bwd_args fb = { rows, H, act, ract, dg.full, dq.full, d->h_prev, d->dh,
                                  dhp.full, 0 };
        kt->gru_bwd(&fb);
        recur_gru_bwd_args pb = { rows, w, act, ract, dg.part + j0, dq.part + j0,
                                  d->h_prev + j0, d->dh + j0, dhp.part + j0, H };
        kt->gru_bwd(&pb);
        sbuf_check("gru_bwd dgx", n, &dg, rows, H, j0, w);
        sbuf_check("gru_bwd dgh", n, &dq, rows, H, j0, w);
        sbuf_check("gru_bwd dh_prev", n, &dhp, rows, H, j0, w);
        free(ga); free(qa);
    }
    {   /* GRU reset_before, both parts */
        slice_buf g = sbuf(d->g_pre, rows, 3, H), rh = sbuf(d->dc_in, rows, 1, H),
                  h = sbuf(d->dh, rows, 1, H);
        recur_gru_rb_fwd_args f = { rows, H, act, ract, g.full, d->h_prev, rh.full, h.full, 0 };
        kt->gru_rb_fwd1(&f);
        kt->gru_rb_fwd2(&f);
        recur_gru_rb_fwd_args p = { rows, w, act, ract, g.part + j0, d->h_prev + j0,
                                    rh.part + j0, h.part + j0, H };
        kt->gru_rb_fwd1(&p);
        kt->gru_rb_fwd2(&p);
        float *ga = copy_f(g.full, (size_t)rows * 3 * H);
        sbuf_check("gru_rb_fwd gates", n, &g, rows, H, j0, w);
        sbuf_check("gru_rb_fwd rh", n, &rh, rows, H, j0, w);
        sbuf_check("gru_rb_fwd h", n, &h, rows, H, j0, w);
        slice_buf dg = sbuf(ga, rows, 3, H), dhp = sbuf(d->c_prev, rows, 1, H);
        recur_gru_rb_bwd_args fb = { rows, H, act, ract, dg.full, d->h_prev, d->dh, d->drh,
                                     dhp.full, 0 };
        kt->gru_rb_bwd1(&fb);
        kt->gru_rb_bwd2(&fb);
        recur_gru_rb_bwd_args pb = { rows, w, act, ract, dg.part + j0, d->h_prev + j0,
                                     d->dh + j0, d->drh + j0, dhp.part + j0, H };
        kt->gru_rb_bwd1(&pb);
        kt->gru_rb_bwd2(&pb);
        sbuf_check("gru_rb_bwd dgates", n, &dg, rows, H, j0, w);
        sbuf_check("gru_rb_bwd dh_prev", n, &dhp, rows, H, j0, w);
        free(ga);
    }
}

static void test_column_slices(void **s)
{
    (void)s;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 0x5eedULL };
    static const int hs[] = { 3, 17, 64, 100, 257 };
    for (int u = 0; u < 5; u++) {
        const int H = hs[u];
        case_data d = make_case(&rng, 3, H, 4);
        /* slices at the start, the end, and inside, misaligned for every vector width */
        const int cuts[][2] = { { 0, H / 2 > 0 ? H / 2 : 1 }, { H / 2, H - H / 2 }, { 1, H - 2 } };
        for (int t = 0; t < nt; t++)
            for (int c = 0; c < 3; c++)
                if (cuts[c][1] > 0) {   /* act: a SLEEF call, and inline */
                    check_slices(tables[t], &d, RECUR_ACT_TANH, cuts[c][0], cuts[c][1]);
                    check_slices(tables[t], &d, RECUR_ACT_RELU, cuts[c][0], cuts[c][1]);
                }
        free_case(&d);
    }
}

enum which { LSTM, GRU, GRU_NOBIAS, GRU_RB, ACT };

static void run(enum which w)
{
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int nt = test_isas(tables);
    test_rng rng = { 0xabcdef12345ULL + (uint64_t)w };
    const int G = w == LSTM ? 4 : w == ACT ? 1 : 3;
    /* 40 rows: kernels that work across rows see more than one vector's worth of them */
    static const int nrows[] = { 1, 3, 40 };
    for (int u = 0; u < NUNITS; u++)
        for (int ri0 = 0; ri0 < 3; ri0++) {
            const int rows = nrows[ri0];
            case_data d = make_case(&rng, rows, units[u], G);
            for (int t = 0; t < nt; t++)
                for (int ai = 0; ai < NACTS; ai++)
                    for (int ri = 0; ri < NACTS; ri++) {
                        if (w == LSTM) check_lstm(tables[t], &d, ai, ri);
                        else if (w == GRU) check_gru(tables[t], &d, ai, ri, true);
                        else if (w == GRU_NOBIAS) check_gru(tables[t], &d, ai, ri, false);
                        else if (w == GRU_RB) check_gru_rb(tables[t], &d, ai, ri);
                        else if (ri == 0) check_act(tables[t], &d, ai);
                    }
            free_case(&d);
        }
}

static void test_lstm(void **s) { (void)s; run(LSTM); }
static void test_gru(void **s) { (void)s; run(GRU); }
static void test_gru_no_rec_bias(void **s) { (void)s; run(GRU_NOBIAS); }
static void test_gru_reset_before(void **s) { (void)s; run(GRU_RB); }
static void test_activations(void **s) { (void)s; run(ACT); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_gru_no_rec_bias),
        cmocka_unit_test(test_gru_reset_before),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_column_slices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
