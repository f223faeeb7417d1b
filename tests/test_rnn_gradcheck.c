/* Gradient checks of every recurrent layer configuration: the layer's analytic gradients
 * (float) against central finite differences of an independent double-precision reference
 * (ref_rnn.h), for every cell, every activation pair, both GRU forms, go_backwards, initial
 * states and no_bias, and under masks (post- and pre-padding, which take the ragged path,
 * arbitrary masks, rows with no real step, zero_output_for_mask); the forward outputs
 * against the same reference.
 *
 * Tolerances: forward 1e-5·(1+|v|) (float rounding through a few dozen operations);
 * gradients 1e-4·(1+|g|): float backward error (~1e-6 relative) plus the finite
 * difference's truncation error (h = 1e-5, O(h²) ≈ 1e-10) — an error in any formula or
 * index is orders of magnitude larger. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_rnn.h"
#include "rnn/engine.h"
#include "test_util.h"

typedef enum { MASK_NONE, MASK_POST, MASK_PRE, MASK_RANDOM } mask_kind;

typedef enum { DROP_NONE, DROP_STATES, DROP_BOTH } drop_kind;

typedef struct {
    ref_config c;
    bool has_h0, has_c0;
    bool weights_only;   /* finite differences of the weight gradients only (long inputs) */
    mask_kind mask;
    drop_kind drop;      /* recurrent dropout masks (and input ones), held fixed */
} gc_case;

typedef struct {
    size_t nx, ns, nk, nu, nb, ny;
    float *x, *h0, *c0, *kernel, *rec, *bias, *wy, *wh, *wc, *wl;
    unsigned char *mask;
    float *in_mask, *rec_mask;       /* dropout [B, G, F], [B, G, H], or NULL */
    double *in_mask_d, *rec_mask_d;  /* the same for the reference */
} gc_data;

/* Dropout masks as Keras draws them at rate 0.2: 0 or 1/0.8 = 1.25, exact in float. */
static void make_drop_mask(test_rng *r, size_t n, float **f, double **d)
{
    *f = malloc(sizeof(float) * n);
    *d = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++)
        (*d)[i] = (*f)[i] = rng_next(r) % 5 == 0 ? 0.0f : 1.25f;
}

/* A mask [B, T] in time order: padding after (post) or before (pre) a random length in
 * [0, T] (so some rows are empty and some full), or each step real with probability 0.7. */
static unsigned char *make_mask(mask_kind kind, int B, int T, test_rng *r)
{
    unsigned char *m = malloc((size_t)B * T);
    for (int b = 0; b < B; b++) {
        const int len = (int)(rng_next(r) % (uint64_t)(T + 1));
        for (int t = 0; t < T; t++)
            m[(size_t)b * T + t] = kind == MASK_POST ? t < len
                                   : kind == MASK_PRE ? t >= T - len
                                                      : (rng_next(r) % 10) < 7;
    }
    return m;
}

static float *rnd(test_rng *r, size_t n, float lo, float hi)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    rng_fill(r, p, n, lo, hi);
    return p;
}

static gc_data make_data(const ref_config *c, test_rng *r)
{
    gc_data d;
    const int G = ref_gates(c), GH = G * c->H;
    d.nx = (size_t)c->B * c->T * c->F;
    d.ns = (size_t)c->B * c->H;
    d.nk = (size_t)c->F * GH;
    d.nu = (size_t)c->H * GH;
    d.nb = (size_t)ref_bias_rows(c) * GH;
    d.ny = (size_t)c->B * c->T * c->H;
    d.x = rnd(r, d.nx, -1, 1);
    d.h0 = rnd(r, d.ns, -1, 1);
    d.c0 = rnd(r, d.ns, -1, 1);
    d.kernel = rnd(r, d.nk, -0.6f, 0.6f);
    d.rec = rnd(r, d.nu, -0.6f, 0.6f);
    d.bias = rnd(r, d.nb, -0.5f, 0.5f);
    d.wy = rnd(r, d.ny, -1, 1);
    d.wh = rnd(r, d.ns, -1, 1);
    d.wc = rnd(r, d.ns, -1, 1);
    d.wl = rnd(r, d.ns, -1, 1);
    d.mask = NULL;
    d.in_mask = d.rec_mask = NULL;
    d.in_mask_d = d.rec_mask_d = NULL;
    return d;
}

static void free_data(gc_data *d)
{
    free(d->x); free(d->h0); free(d->c0); free(d->kernel); free(d->rec); free(d->bias);
    free(d->wy); free(d->wh); free(d->wc); free(d->wl); free(d->mask);
    free(d->in_mask); free(d->rec_mask); free(d->in_mask_d); free(d->rec_mask_d);
}

static double *to_double(const float *p, size_t n)
{
    double *q = malloc((n ? n : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++)
        q[i] = p[i];
    return q;
}

/* L = Σ wy·y + Σ wh·h_last (+ Σ wc·c_last) (+ under a mask Σ wl·y_last, the last step's
 * output) of the double reference */
static double ref_loss(const gc_case *k, const gc_data *d, double *const p[6])
{
    ref_config cm = k->c;
    cm.mask = d->mask;
    cm.in_mask = d->in_mask_d;
    cm.rec_mask = d->rec_mask_d;
    const ref_config *c = &cm;
    double *y = malloc(sizeof(double) * d->ny), *hl = malloc(sizeof(double) * d->ns);
    double *cl = malloc(sizeof(double) * d->ns);
    ref_inputs in = { p[0], p[1], c->cell == RECUR_LSTM ? p[2] : NULL, p[3], p[4], p[5] };
    ref_forward(c, &in, y, hl, cl);
    double L = 0;
    for (size_t i = 0; i < d->ny; i++)
        L += d->wy[i] * y[i];
    for (size_t i = 0; i < d->ns; i++) {
        L += d->wh[i] * hl[i];
        if (c->cell == RECUR_LSTM)
            L += d->wc[i] * cl[i];
        if (d->mask)   /* y_last[b, j] = y[b, T−1, j] */
            L += d->wl[i] * y[((i / c->H) * c->T + c->T - 1) * c->H + i % c->H];
    }
    free(y); free(hl); free(cl);
    return L;
}

static recur_rnn *make_layer(const gc_case *k, const gc_data *d)
{
    recur_rnn_config cfg = { .cell = k->c.cell, .input_size = k->c.F, .units = k->c.H,
                             .activation = k->c.act, .recurrent_activation = k->c.rec_act,
                             .no_bias = k->c.no_bias, .reset_before = k->c.reset_before,
                             .go_backwards = k->c.go_backwards,
                             .zero_output_for_mask = k->c.zero_output };
    recur_rnn *rnn = NULL;
    assert_int_equal(recur_rnn_create(&cfg, &rnn), RECUR_OK);
    assert_int_equal(recur_rnn_set_weights(rnn, d->kernel, d->rec, k->c.no_bias ? NULL : d->bias),
                     RECUR_OK);
    if (k->drop != DROP_NONE) {
        assert_int_equal(recur_rnn_plan_dropout(rnn, k->drop == DROP_BOTH), RECUR_OK);
        recur_rnn_set_dropout(rnn, d->in_mask, d->rec_mask);
    }
    return rnn;
}

static const char *cell_name(const ref_config *c)
{
    return c->cell == RECUR_LSTM ? "lstm" : c->cell == RECUR_SIMPLE_RNN ? "rnn"
           : c->reset_before ? "gru(reset_before)" : "gru";
}

static void check_case(const gc_case *k, uint64_t seed)
{
    ref_config cm = k->c;
    const ref_config *c = &cm;
    const bool lstm = c->cell == RECUR_LSTM;
    test_rng r = { seed };
    gc_data d = make_data(c, &r);
    if (k->mask != MASK_NONE)
        d.mask = make_mask(k->mask, c->B, c->T, &r);
    cm.mask = d.mask;
    if (k->drop != DROP_NONE)
        make_drop_mask(&r, (size_t)c->B * ref_gates(c) * c->H, &d.rec_mask, &d.rec_mask_d);
    if (k->drop == DROP_BOTH)
        make_drop_mask(&r, (size_t)c->B * ref_gates(c) * c->F, &d.in_mask, &d.in_mask_d);
    cm.in_mask = d.in_mask_d;
    cm.rec_mask = d.rec_mask_d;
    recur_rnn *rnn = make_layer(k, &d);

    float *y = malloc(sizeof(float) * d.ny), *hl = malloc(sizeof(float) * d.ns);
    float *cl = malloc(sizeof(float) * d.ns), *yl = malloc(sizeof(float) * d.ns);
    const recur_rnn_fwd_io fio = { .x = d.x, .mask = d.mask, .h0 = k->has_h0 ? d.h0 : NULL,
                                   .c0 = k->has_c0 && lstm ? d.c0 : NULL, .y = y,
                                   .y_last = d.mask ? yl : NULL, .h_last = hl,
                                   .c_last = lstm ? cl : NULL };
    assert_int_equal(recur_rnn_forward_io(rnn, c->B, c->T, &fio), RECUR_OK);

    /* the double reference sees zeros where the layer was given NULL */
    if (!k->has_h0)
        memset(d.h0, 0, sizeof(float) * d.ns);
    if (!k->has_c0 || !lstm)
        memset(d.c0, 0, sizeof(float) * d.ns);
    double *p[6] = { to_double(d.x, d.nx), to_double(d.h0, d.ns), to_double(d.c0, d.ns),
                     to_double(d.kernel, d.nk), to_double(d.rec, d.nu), to_double(d.bias, d.nb) };
    {
        double *ry = malloc(sizeof(double) * d.ny), *rh = malloc(sizeof(double) * d.ns);
        double *rc = malloc(sizeof(double) * d.ns);
        ref_inputs in = { p[0], p[1], lstm ? p[2] : NULL, p[3], p[4], p[5] };
        ref_forward(c, &in, ry, rh, rc);
        for (size_t i = 0; i < d.ny; i++)
            if (!(fabs(y[i] - ry[i]) <= 1e-5 * (1 + fabs(ry[i]))))
                fail_msg("%s act=%d/%d mask=%d drop=%d F=%d H=%d: y[%zu] = %.8g, reference "
                         "%.8g", cell_name(c), c->act, c->rec_act, k->mask, k->drop, c->F, c->H,
                         i, y[i], ry[i]);
        for (size_t i = 0; i < d.ns; i++) {
            if (!(fabs(hl[i] - rh[i]) <= 1e-5 * (1 + fabs(rh[i]))))
                fail_msg("%s: h_last[%zu] = %.8g, reference %.8g", cell_name(c), i, hl[i], rh[i]);
            if (lstm && !(fabs(cl[i] - rc[i]) <= 1e-5 * (1 + fabs(rc[i]))))
                fail_msg("%s: c_last[%zu] = %.8g, reference %.8g", cell_name(c), i, cl[i], rc[i]);
            const double want = ry[((i / c->H) * c->T + c->T - 1) * c->H + i % c->H];
            if (d.mask && !(fabs(yl[i] - want) <= 1e-5 * (1 + fabs(want))))
                fail_msg("%s: y_last[%zu] = %.8g, reference %.8g", cell_name(c), i, yl[i], want);
        }
        free(ry); free(rh); free(rc);
    }

    float *dx = malloc(sizeof(float) * (d.nx ? d.nx : 1)), *dh0 = malloc(sizeof(float) * d.ns);
    float *dc0 = malloc(sizeof(float) * d.ns);
    float *dk = malloc(sizeof(float) * d.nk), *du = malloc(sizeof(float) * d.nu);
    float *db = malloc(sizeof(float) * (d.nb ? d.nb : 1));
    assert_int_equal(recur_rnn_zero_grads(rnn), RECUR_OK);
    const recur_rnn_bwd_io bio = { .dy = d.wy, .dy_last = d.mask ? d.wl : NULL, .dh_last = d.wh,
                                   .dc_last = lstm ? d.wc : NULL, .dx = dx, .dh0 = dh0,
                                   .dc0 = lstm ? dc0 : NULL };
    assert_int_equal(recur_rnn_backward_io(rnn, &bio), RECUR_OK);
    assert_int_equal(recur_rnn_get_grads(rnn, dk, du, c->no_bias ? NULL : db), RECUR_OK);

    const float *analytic[6] = { dx, dh0, dc0, dk, du, db };
    const size_t counts[6] = { d.nx, d.ns, lstm ? d.ns : 0, d.nk, d.nu, d.nb };
    const char *names[6] = { "dx", "dh0", "dc0", "dkernel", "drecurrent_kernel", "dbias" };
    const double eps = 1e-5;
    /* RECUR_TEST_QUICK (sanitizer and emulator runs): every 5th element of each array */
    const size_t stride = getenv("RECUR_TEST_QUICK") ? 5 : 1;
    for (int a = k->weights_only ? 3 : 0; a < 6; a++)
        for (size_t i = a % stride; i < counts[a]; i += stride) {
            double keep = p[a][i];
            p[a][i] = keep + eps;
            double lp = ref_loss(k, &d, p);
            p[a][i] = keep - eps;
            double lm = ref_loss(k, &d, p);
            p[a][i] = keep;
            double fd = (lp - lm) / (2 * eps);
            double an = analytic[a][i], tol = 1e-4 * (1 + fabs(fd));
            if (fabs(an - fd) <= tol)
                continue;
            /* On a kink of relu/hard_sigmoid (e.g. c = 0 exactly when c0 = 0 and
             * relu(z) = 0) the central difference averages two one-sided slopes; TF
             * and recur take one side (relu'(0) = 0). Accept a one-sided match there. */
            double l0 = ref_loss(k, &d, p), right = (lp - l0) / eps, left = (l0 - lm) / eps;
            bool kink = fabs(right - left) > 1e-3 * (1 + fabs(fd));
            if (kink && (fabs(an - right) <= 1e-3 * (1 + fabs(right)) ||
                         fabs(an - left) <= 1e-3 * (1 + fabs(left))))
                continue;
            fail_msg("%s act=%d rec_act=%d bwd=%d nobias=%d h0=%d mask=%d zero_out=%d "
                     "drop=%d B=%d T=%d F=%d H=%d: %s[%zu] = %.8g, finite difference %.8g "
                     "(left %.8g, right %.8g)", cell_name(c), c->act, c->rec_act,
                     c->go_backwards, c->no_bias, k->has_h0, k->mask, c->zero_output, k->drop,
                     c->B, c->T, c->F, c->H, names[a], i, an, fd, left, right);
        }

    /* backward consumed the forward: a second one is refused */
    assert_int_equal(recur_rnn_backward(rnn, d.wy, NULL, NULL, NULL, NULL, NULL), RECUR_ERR_STATE);

    for (int a = 0; a < 6; a++)
        free(p[a]);
    free(y); free(hl); free(cl); free(yl); free(dx); free(dh0); free(dc0); free(dk); free(du);
    free(db);
    recur_rnn_free(rnn);
    free_data(&d);
}

static const recur_activation all_acts[] = { RECUR_ACT_TANH, RECUR_ACT_SIGMOID, RECUR_ACT_RELU,
                                             RECUR_ACT_LINEAR, RECUR_ACT_HARD_SIGMOID };

static void run_cell(recur_cell cell, bool reset_before)
{
    const bool gated = cell != RECUR_SIMPLE_RNN;
    uint64_t seed = 1000 + (uint64_t)cell * 100 + reset_before;
    int n = 0;
    /* every activation pair, sizes and flags varying with the case number */
    for (int a = 0; a < 5; a++)
        for (int ra = 0; ra < (gated ? 5 : 1); ra++, n++) {
            gc_case k = { { cell, 1 + n % 3, 1 + (n * 2) % 5, 1 + n % 3, 1 + n % 4,
                            all_acts[a], gated ? all_acts[ra] : RECUR_ACT_SIGMOID,
                            n % 4 == 3, reset_before, n % 2 == 1, NULL, false, NULL, NULL },
                          n % 3 != 0, n % 3 == 1, false, MASK_NONE, DROP_NONE };
            check_case(&k, seed + (uint64_t)n);
        }
    /* every combination of the flags, Keras default activations, odd sizes */
    for (int flags = 0; flags < 16; flags++, n++) {
        gc_case k = { { cell, 3, 5, 2 + flags % 2, 3 + flags % 3, RECUR_ACT_TANH,
                        RECUR_ACT_SIGMOID, flags & 1, reset_before, (flags >> 1) & 1, NULL,
                        false, NULL, NULL },
                      (flags >> 2) & 1, (flags >> 3) & 1, false, MASK_NONE, DROP_NONE };
        check_case(&k, seed + (uint64_t)n);
    }
}

static void test_simple_rnn(void **s) { (void)s; run_cell(RECUR_SIMPLE_RNN, false); }
static void test_lstm(void **s) { (void)s; run_cell(RECUR_LSTM, false); }
static void test_gru_reset_after(void **s) { (void)s; run_cell(RECUR_GRU, false); }
static void test_gru_reset_before(void **s) { (void)s; run_cell(RECUR_GRU, true); }

/* Larger shapes than the kernels' tiles (H, F past one vector; B past one tile), so the
 * GEMM blocking and the thread shards are exercised by the finite differences too; and
 * B = 20, T = 40, so small layers sum their weight gradients over 3 batch groups × 2 step
 * blocks (narrow and wide inputs). */
static void test_larger_shapes(void **s)
{
    (void)s;
    const recur_cell cells[] = { RECUR_SIMPLE_RNN, RECUR_LSTM, RECUR_GRU, RECUR_GRU };
    for (int i = 0; i < 4; i++) {
        gc_case k = { { cells[i], 19, 17, 9, 3, RECUR_ACT_TANH, RECUR_ACT_SIGMOID, false,
                        i == 3, i == 1, NULL, false, NULL, NULL }, true, true, false, MASK_NONE,
                      DROP_NONE };
        check_case(&k, 77 + (uint64_t)i);
        for (int f = 2; f <= 9; f += 7) {
            gc_case g = { { cells[i], f, 3, 20, 40, RECUR_ACT_TANH, RECUR_ACT_SIGMOID, false,
                            i == 3, false, NULL, false, NULL, NULL }, true, true, true,
                          MASK_NONE, DROP_NONE };
            check_case(&g, 177 + (uint64_t)(i * 10 + f));
        }
    }
}

/* Masked layers: every cell and GRU form, each mask kind (post- and pre-padding are
 * ragged, the random one general), with and without zero_output_for_mask and
 * go_backwards, narrow and wide inputs; and a batch past one shard per thread. */
static void test_masked(void **s)
{
    (void)s;
    const recur_cell cells[] = { RECUR_SIMPLE_RNN, RECUR_LSTM, RECUR_GRU, RECUR_GRU };
    int n = 0;
    for (int i = 0; i < 4; i++)
        for (int kind = MASK_POST; kind <= MASK_RANDOM; kind++)
            for (int flags = 0; flags < 4; flags++, n++) {
                gc_case k = { { cells[i], flags & 1 ? 9 : 2, 3 + n % 3, 5, 6, RECUR_ACT_TANH,
                                RECUR_ACT_SIGMOID, n % 5 == 4, i == 3, (flags >> 1) & 1,
                                NULL, n % 3 == 1, NULL, NULL },
                              n % 2 == 0, n % 4 == 0, false, (mask_kind)kind, DROP_NONE };
                check_case(&k, 5000 + (uint64_t)n);
            }
    for (int i = 0; i < 4; i++)
        for (int kind = MASK_POST; kind <= MASK_RANDOM; kind++, n++) {
            gc_case k = { { cells[i], 9, 17, 20, 12, RECUR_ACT_TANH, RECUR_ACT_SIGMOID, false,
                            i == 3, kind == MASK_PRE, NULL, false, NULL, NULL }, true, true,
                          true, (mask_kind)kind, DROP_NONE };
            check_case(&k, 6000 + (uint64_t)n);
        }
}

/* Keras's recurrent dropout with fixed masks: every cell and GRU form, state masks alone
 * and with input masks, unmasked and under each mask kind (which then take the general
 * path), narrow and wide inputs, go_backwards and no_bias; and sizes past the GEMM tiles
 * and the thread shards. */
static void test_dropout(void **s)
{
    (void)s;
    const recur_cell cells[] = { RECUR_SIMPLE_RNN, RECUR_LSTM, RECUR_GRU, RECUR_GRU };
    int n = 0;
    for (int i = 0; i < 4; i++)
        for (int drop = DROP_STATES; drop <= DROP_BOTH; drop++)
            for (int kind = MASK_NONE; kind <= MASK_RANDOM; kind++, n++) {
                gc_case k = { { cells[i], n % 2 ? 9 : 2, 3 + n % 3, 4, 5, RECUR_ACT_TANH,
                                RECUR_ACT_SIGMOID, n % 5 == 4, i == 3, n % 3 == 1, NULL,
                                n % 4 == 2, NULL, NULL },
                              n % 2 == 0, n % 3 == 0, false, (mask_kind)kind,
                              (drop_kind)drop };
                check_case(&k, 7000 + (uint64_t)n);
            }
    for (int i = 0; i < 4; i++, n++) {
        gc_case k = { { cells[i], 19, 17, 20, 6, RECUR_ACT_TANH, RECUR_ACT_SIGMOID, false,
                        i == 3, i == 1, NULL, false, NULL, NULL }, true, true, true,
                      i % 2 ? MASK_RANDOM : MASK_NONE, DROP_BOTH };
        check_case(&k, 7000 + (uint64_t)n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_rnn),
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_gru_reset_after),
        cmocka_unit_test(test_gru_reset_before),
        cmocka_unit_test(test_larger_shapes),
        cmocka_unit_test(test_masked),
        cmocka_unit_test(test_dropout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
