/* Backward pass through time. Per step only the fused gate backward and dh_prev = dG · Uᵀ
 * run, split among threads as forward is (batch rows, or hidden units with a barrier per
 * step). The weight gradients dW = Xᵀ·dG, dU = H_prevᵀ·dG and the input gradient
 * dX = dG·Wᵀ are then each one GEMM over all T·B rows (small layers sum their weight
 * gradients in blocks instead, src/rnn/wgrad.c; a narrow input's dX is done row by row
 * inside the recurrence). dG overwrites the kept gates in place: step t's
 * activations are not needed once step t is done. In a sharded plan each shard runs its
 * recurrence and its dX on its own slab; only the blocked weight gradients meet.
 *
 * Under a mask the gradient of a masked step's output goes to the state it repeats (or
 * nowhere, before the first real step and under zero_output_for_mask), and a masked step
 * passes the carries through untouched: the general path computes every row, then puts
 * back the masked rows' carries and zeroes their dG; the ragged path steps only the active
 * rows. The weight gradients then sum the real steps in one fixed order
 * (src/rnn/wgrad_masked.c), so both paths give the same bits. */
#include <omp.h>
#include <string.h>

#include <recur/recur.h>

#include "core/error.h"
#include "cpu/fpenv.h"
#include "gemm/gemm.h"
#include "rnn/engine.h"
#include "rnn/internal.h"

/* dx[b, t] = dG_s[b] · Wᵀ for rows [b0, b1) of step s: F dot products per row. */
static void input_gradient_rows(const recur_rnn *r, int B, int T, int s, float *dx, int b0,
                                int b1)
{
    const int F = r->F, GH = r->G * r->H;
    const int t = r->cfg.go_backwards ? T - 1 - s : s;
    const float *dg0 = recur_rnn_row(r, RECUR_RGN_GATES, B, s, b0);
    for (int b = b0; b < b1; b++) {
        const float *dg = dg0 + (size_t)(b - b0) * GH;
        float *out = dx + ((size_t)recur_rnn_batch_row(r, b) * T + t) * F;
        for (int f = 0; f < F; f++)
            out[f] = r->kt->dot((size_t)GH, dg, r->kernel + (size_t)f * GH);
    }
}

static void act_backward_rows(const recur_kernels *kt, recur_activation act, int rows, int H,
                              int j0, int j1, const float *y, const float *dy, float *dx)
{
    if (j0 == 0 && j1 == H) {
        kt->act_backward((size_t)rows * H, act, y, dy, dx);
        return;
    }
    for (int b = 0; b < rows; b++) {
        size_t o = (size_t)b * H + j0;
        kt->act_backward((size_t)(j1 - j0), act, y + o, dy + o, dx + o);
    }
}

/* dh (units [j0, j1)) of rows [b0, b1) += the gradient of their step-s output: dy[b, s],
 * and dy_last at the last step; nothing where that output is zeros. */
static void add_output_gradients(const recur_rnn *r, int B, int T, int s, const float *dy,
                                 const float *dy_last, int b0, int b1, int j0, int j1)
{
    const int H = r->H;
    const float *last = s == T - 1 ? dy_last : NULL;
    if ((dy == NULL && last == NULL) || j1 <= j0)
        return;
    float *dh = recur_rnn_row(r, RECUR_RGN_DH, B, 0, b0);
    for (int p = b0; p < b1; p++) {
        if (recur_rnn_out_zero(r, p, s))
            continue;
        const size_t b = (size_t)recur_rnn_batch_row(r, p);
        const size_t t = (size_t)(r->dy_reversed ? T - 1 - s : s);
        float *dst = dh + (size_t)(p - b0) * H + j0;
        if (dy)
            r->kt->axpy((size_t)(j1 - j0), 1.0f, dy + (b * T + t) * r->dy_ld + j0, dst);
        if (last)
            r->kt->axpy((size_t)(j1 - j0), 1.0f, last + b * r->dy_ld + j0, dst);
    }
}

/* General mask, rows [b0, b1) whose step s is masked, units [j0, j1): their carries kept
 * aside before the step (save) or put back after it (!save). */
static void keep_masked_carries(const recur_rnn *r, int B, int s, int b0, int b1, int j0,
                                int j1, bool save)
{
    const size_t n = (size_t)(j1 - j0) * sizeof(float);
    const bool lstm = r->cfg.cell == RECUR_LSTM;
    for (int p = b0; p < b1; p++) {
        if (recur_rnn_real(r, p, s))
            continue;
        float *dh = recur_rnn_row(r, RECUR_RGN_DH, B, 0, p) + j0;
        float *kept = recur_rnn_row(r, RECUR_RGN_SAVE_DH, B, 0, p) + j0;
        memcpy(save ? kept : dh, save ? dh : kept, n);
        if (lstm) {
            float *dc = recur_rnn_row(r, RECUR_RGN_DC, B, 0, p) + j0;
            float *keptc = recur_rnn_row(r, RECUR_RGN_SAVE_DC, B, 0, p) + j0;
            memcpy(save ? keptc : dc, save ? dc : keptc, n);
        }
    }
}

/* General mask: the masked rows' dG (and GRU's dq) of step s are zero, units [j0, j1) of
 * gate blocks [q0, q1): they reach no weight, input or earlier state. */
static void zero_masked_gates(const recur_rnn *r, int B, int s, int b0, int b1, int j0, int j1,
                              int q0, int q1)
{
    const size_t n = (size_t)(j1 - j0) * sizeof(float);
    const bool rec = r->cfg.cell == RECUR_GRU && !r->split_u;
    for (int p = b0; p < b1; p++) {
        if (recur_rnn_real(r, p, s))
            continue;
        float *g = recur_rnn_row(r, RECUR_RGN_GATES, B, s, p);
        float *q = rec ? recur_rnn_row(r, RECUR_RGN_REC, B, s, p) : NULL;
        for (int blk = q0; blk < q1; blk++) {
            memset(g + (size_t)blk * r->H + j0, 0, n);
            if (q)
                memset(q + (size_t)blk * r->H + j0, 0, n);
        }
    }
}

/* Dropout: dh (+)= Σ_q (dsrc_q · U_qᵀ) ⊙ mask_q over the first `gates` gate blocks, for
 * `rows` rows from internal row p0 (each gate's product first into DDROP slot 1). */
static void dropped_state_gradient(const recur_rnn *r, int B, int p0, int rows, int gates,
                                   const float *dsrc, bool accumulate, float *dh)
{
    const int H = r->H, GH = r->G * r->H;
    float *t = recur_rnn_row(r, RECUR_RGN_DDROP, B, 1, p0);
    for (int q = 0; q < gates; q++) {
        recur_rnn_rec_gemm(r->kt, &(recur_rnn_step_product){
            .rows = rows, .H = H, .K = H, .blocks = 1, .j0 = 0, .j1 = H,
            .a = dsrc + (size_t)q * H, .lda = GH, .upk = r->drop.ut[q], .out = t, .ldo = H });
        recur_rnn_drop_add(r, p0, rows, q, t, dh, !accumulate && q == 0);
    }
}

/* Dropout, GRU reset_before, part 2 of its gate backward: the r gate's gradient from
 * drh ⊙ A_h (A_h = h_prev ⊙ mask_h, as forward used it) and dh += (drh ⊙ r) ⊙ mask_h. */
static void dropped_gru_rb_bwd2(const recur_rnn *r, int B, int s, int p0, int rows,
                                const recur_gru_rb_bwd_args *a)
{
    const int H = r->H, GH = r->G * r->H;
    const float *A = recur_rnn_row(r, RECUR_RGN_HDROP, B, s, p0);
    float *ah = recur_rnn_row(r, RECUR_RGN_DDROP, B, 0, p0);
    float *t = recur_rnn_row(r, RECUR_RGN_DDROP, B, 1, p0);
    for (int i = 0; i < rows; i++)
        memcpy(ah + (size_t)i * H, A + (size_t)i * GH + 2 * H, (size_t)H * sizeof(float));
    memset(t, 0, (size_t)rows * H * sizeof(float));
    recur_gru_rb_bwd_args a2 = *a;
    a2.h_prev = ah;
    a2.dh_prev = t;
    r->kt->gru_rb_bwd2(&a2);
    recur_rnn_drop_add(r, p0, rows, 2, t, (float *)a->dh_prev, false);
}

/* Steps T-1 … 0. On exit the carries hold dh0 (and dc0). With a unit split each step
 * meets a barrier between the gate backward (which fills this thread's columns of dG) and
 * dh_prev = dG · Uᵀ (which reads all of them). */
static void recurrence_backward(const recur_rnn *r, int B, int T, const float *dy,
                                const float *dy_last, const recur_rnn_share *sh, float *dx_rows)
{
    const recur_kernels *kt = r->kt;
    const int H = r->H, GH = r->G * r->H, b0 = sh->b0;
    const int j0 = sh->j0, j1 = sh->j1, W = j1 - j0;
    const bool general = r->mk.on && !r->mk.ragged;
    const recur_activation act = r->cfg.activation, ract = r->cfg.recurrent_activation;
    float *dh = recur_rnn_row(r, RECUR_RGN_DH, B, 0, b0);     /* gradient reaching h_s */
    float *dc = recur_rnn_row(r, RECUR_RGN_DC, B, 0, b0);
    float *drh = recur_rnn_row(r, RECUR_RGN_DRH, B, 0, b0);
    const recur_rnn_walk wg = recur_rnn_walk_of(r, RECUR_RGN_GATES, B, b0);
    const recur_rnn_walk wh = recur_rnn_walk_of(r, RECUR_RGN_HSEQ, B, b0);
    const recur_rnn_walk wc = recur_rnn_walk_of(r, RECUR_RGN_CSEQ, B, b0);
    const recur_rnn_walk wtc = recur_rnn_walk_of(r, RECUR_RGN_TC, B, b0);
    const recur_rnn_walk wq = recur_rnn_walk_of(r, RECUR_RGN_REC, B, b0);
    const bool drop = recur_rnn_dropping(r);   /* never with a unit split or ragged rows */
    for (int s = T - 1; s >= 0; s--) {
        const int rows = recur_rnn_active_rows(r, B, sh->b0, sh->b1, s);
        const bool mine = rows > 0 && W > 0;
        float *g = recur_rnn_at(wg, s);
        const float *hp = recur_rnn_at(wh, s);
        const float *h = recur_rnn_at(wh, s + 1);
        /* every row of the thread: an inactive ragged row's repeated output still counts */
        add_output_gradients(r, B, T, s, dy, dy_last, sh->b0, sh->b1, j0, j1);
        if (general)
            keep_masked_carries(r, B, s, sh->b0, sh->b1, j0, j1, true);
        /* the gate backward on this thread's units; `dsrc` is what multiplies Uᵀ */
        const float *dsrc = g;
        bool acc = false;
        switch (r->cfg.cell) {
        case RECUR_SIMPLE_RNN:
            if (mine)
                act_backward_rows(kt, act, rows, H, j0, j1, h, dh, g);
            break;
        case RECUR_LSTM:
            if (mine) {
                recur_lstm_bwd_args a = {
                    .rows = rows, .units = W, .layout_units = H, .act = act, .rec_act = ract,
                    .gates = g + j0, .c_prev = recur_rnn_at(wc, s) + j0,
                    .c = recur_rnn_at(wc, s + 1) + j0, .dh = dh + j0, .dc = dc + j0,
                    .act_c = recur_rnn_at(wtc, s) + j0 };
                kt->lstm_bwd(&a);
            }
            break;
        case RECUR_GRU:
            if (!r->split_u) {
                float *q = recur_rnn_at(wq, s);
                if (mine) {
                    recur_gru_bwd_args a = { .rows = rows, .units = W, .layout_units = H,
                                             .act = act, .rec_act = ract, .gates = g + j0,
                                             .rec = q + j0, .h_prev = hp + j0, .dh = dh + j0,
                                             .dh_prev = dh + j0 };
                    kt->gru_bwd(&a);
                }
                dsrc = q;
                acc = true;
            } else {
                recur_gru_rb_bwd_args a = { .rows = rows, .units = W, .layout_units = H,
                                            .act = act, .rec_act = ract, .gates = g + j0,
                                            .h_prev = hp + j0, .dh = dh + j0, .drh = drh + j0,
                                            .dh_prev = dh + j0 };
                if (mine)
                    kt->gru_rb_bwd1(&a);
                if (general)   /* dG_h is read across units next */
                    zero_masked_gates(r, B, s, sh->b0, sh->b1, j0, j1, 2, 3);
                if (sh->barrier) {
#pragma omp barrier   /* drh = dG_h · U_hᵀ reads every unit of dG_h */
                }
                if (mine) {
                    recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                        .rows = rows, .H = H, .K = H, .blocks = 1, .j0 = j0, .j1 = j1,
                        .a = g + 2 * H, .lda = GH, .upk = r->uht_pk, .out = drh, .ldo = H });
                    if (drop)
                        dropped_gru_rb_bwd2(r, B, s, b0, rows, &a);
                    else
                        kt->gru_rb_bwd2(&a);
                }
                if (general)
                    zero_masked_gates(r, B, s, sh->b0, sh->b1, j0, j1, 0, 2);
                /* then dh_prev += dG_zr · U_zrᵀ */
                acc = true;
            }
            break;
        }
        if (general && !r->split_u)
            zero_masked_gates(r, B, s, sh->b0, sh->b1, j0, j1, 0, r->G);
        if (sh->barrier) {
#pragma omp barrier   /* dh_prev = dG · Uᵀ reads every unit of dG */
        }
        if (mine && drop) {
            dropped_state_gradient(r, B, b0, rows, r->split_u ? 2 : r->G, dsrc, acc, dh);
        } else if (mine) {
            const int K = r->split_u ? 2 * H : GH;
            recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                .rows = rows, .H = H, .K = K, .blocks = 1, .j0 = j0, .j1 = j1, .a = dsrc,
                .lda = GH, .upk = r->ut_pk, .out = dh, .ldo = H, .accumulate = acc });
        }
        if (general)
            keep_masked_carries(r, B, s, sh->b0, sh->b1, j0, j1, false);
        if (dx_rows)
            input_gradient_rows(r, B, T, s, dx_rows, sh->b0, sh->b0 + rows);
    }
}

/* dU[:, j0:j1] += the recurrent weight product over all rows: h_prevᵀ · dG (dq for GRU
 * reset_after; for reset_before the h columns use (r ⊙ h_prev)). dU is [H, GH]. */
static void rec_weight_product(const recur_rnn *r, int rows, int j0, int j1, float *work)
{
    const recur_kernels *kt = r->kt;
    const int H = r->H, GH = r->G * r->H;
    const float *ws = r->ws, *dg = ws + r->plan.rgn[RECUR_RGN_GATES].off;
    const float *hprev = ws + r->plan.rgn[RECUR_RGN_HSEQ].off;
    float *out = r->drec_kernel;
    if (r->cfg.cell == RECUR_GRU && !r->split_u) {
        recur_sgemm(kt, H, j1 - j0, rows, hprev, H, true, ws + r->plan.rgn[RECUR_RGN_REC].off + j0,
                    GH, false, out + j0, GH, true, work);
    } else if (r->split_u) {
        /* dU_zr from h_prev, dU_h from r ⊙ h_prev; columns split at 2H */
        int z0 = j0, z1 = j1 < 2 * H ? j1 : 2 * H;
        if (z1 > z0)
            recur_sgemm(kt, H, z1 - z0, rows, hprev, H, true, dg + z0, GH, false, out + z0, GH,
                        true, work);
        int h0 = j0 > 2 * H ? j0 : 2 * H;
        if (j1 > h0)
            recur_sgemm(kt, H, j1 - h0, rows, ws + r->plan.rgn[RECUR_RGN_RH].off, H, true,
                        dg + h0, GH, false, out + h0, GH, true, work);
    } else {
        recur_sgemm(kt, H, j1 - j0, rows, hprev, H, true, dg + j0, GH, false, out + j0, GH, true,
                    work);
    }
}

/* Columns [j0, j1) of the weight gradients, accumulated; one GEMM each over all T·B rows in
 * time-major order (large layers, one shard: small ones sum theirs in blocks,
 * src/rnn/wgrad.c). */
static void weight_gradients(recur_rnn *r, int B, int T, int j0, int j1, float *work)
{
    const recur_kernels *kt = r->kt;
    const int F = r->F, GH = r->G * r->H, rows = T * B, w = j1 - j0;
    const float *ws = r->ws, *xt = ws + r->plan.rgn[RECUR_RGN_XT].off;
    const float *dg = ws + r->plan.rgn[RECUR_RGN_GATES].off;
    if (w <= 0)
        return;
    /* dW[F, GH] += xtᵀ · dG (under input dropout masks, gate by gate with dU); for a narrow
     * input, weighted column sums (a GEMM tile would be mostly padding), rows in order so
     * the sums do not depend on threads */
    if (recur_rnn_dropping(r))
        recur_rnn_drop_weight_products(r, rows, j0, j1, work);
    else
        rec_weight_product(r, rows, j0, j1, work);
    if (r->plan.x_masked) {
        /* dW came with the gate-wise products */
    } else if (recur_rnn_narrow_input(r)) {
        for (int f = 0; f < F; f++)
            kt->colsum((size_t)rows, (size_t)w, dg + j0, (size_t)GH, xt + f, (size_t)F, 0, 0,
                       r->dkernel + (size_t)f * GH + j0);
    } else {
        recur_sgemm(kt, F, w, rows, xt, F, true, dg + j0, GH, false, r->dkernel + j0, GH, true,
                    work);
    }
    if (r->bias_rows > 0) {
        /* db += column sums, rows in a fixed order so results do not depend on threads */
        kt->colsum((size_t)rows, (size_t)w, dg + j0, (size_t)GH, NULL, 0, 0, 0, r->dbias + j0);
        if (r->bias_rows == 2)
            kt->colsum((size_t)rows, (size_t)w, ws + r->plan.rgn[RECUR_RGN_REC].off + j0,
                       (size_t)GH, NULL, 0, 0, 0, r->dbias + GH + j0);
    }
}

/* dX of `rows` contiguous rows from step s, batch row b (rows run on through the batch and
 * into the next steps of the same shard): dxt = dG · Wᵀ (into the xt region, no longer
 * needed), then scattered back to the batch-major, possibly reversed, user layout; a
 * narrow input's rows go straight to dx, as the recurrence writes them under a batch
 * split. */
static void input_gradient(recur_rnn *r, int B, int T, float *dx, int s, int b, int rows,
                           float *work)
{
    const int F = r->F, GH = r->G * r->H;
    const bool narrow = recur_rnn_narrow_input(r);
    int lo, hi;
    recur_rnn_shard(&r->plan, B, b, &lo, &hi);
    if (rows <= 0)
        return;
    if (r->plan.x_masked) {   /* input dropout: gate by gate */
        recur_rnn_drop_input_gradient(r, B, T, dx, s, b, rows, work);
        return;
    }
    float *dxt = recur_rnn_row(r, RECUR_RGN_XT, B, s, b);
    if (!narrow)
        recur_sgemm_packed(r->kt, rows, F, GH, recur_rnn_row(r, RECUR_RGN_GATES, B, s, b), GH,
                           false, r->wt_pk, dxt, F, false, work);
    for (int i = 0; i < rows; i++) {
        if (narrow) {
            /* F dot products per row instead of an NR-wide tile, straight into dx */
            input_gradient_rows(r, B, T, s, dx, b, b + 1);
        } else {
            const int t = r->cfg.go_backwards ? T - 1 - s : s;
            memcpy(dx + ((size_t)b * T + t) * F, dxt + (size_t)i * F, (size_t)F * sizeof(float));
        }
        if (++b == hi) {
            b = lo;
            s++;
        }
    }
}

/* Ragged: dX of rows [b0, b1) (one shard's or one thread's), their active rows step by
 * step (dxt = dG · Wᵀ into the xt region, which dW has read by now, then to dx in batch
 * order; a narrow input's came in the recurrence), and zeros at their inactive steps. */
static void ragged_input_gradient(recur_rnn *r, int B, int T, float *dx, int b0, int b1,
                                  float *work)
{
    const int F = r->F, GH = r->G * r->H;
    const bool narrow = recur_rnn_narrow_input(r);
    for (int s = 0; s < T && !narrow; s++) {
        const int rows = recur_rnn_active_rows(r, B, b0, b1, s);
        if (rows == 0)
            continue;
        const int t = r->cfg.go_backwards ? T - 1 - s : s;
        float *dxt = recur_rnn_row(r, RECUR_RGN_XT, B, s, b0);
        recur_sgemm_packed(r->kt, rows, F, GH, recur_rnn_row(r, RECUR_RGN_GATES, B, s, b0), GH,
                           false, r->wt_pk, dxt, F, false, work);
        for (int i = 0; i < rows; i++)
            memcpy(dx + ((size_t)recur_rnn_batch_row(r, b0 + i) * T + t) * F,
                   dxt + (size_t)i * F, (size_t)F * sizeof(float));
    }
    for (int p = b0; p < b1; p++)
        for (int s = 0; s < T; s++)
            if (!recur_rnn_real(r, p, s)) {
                const int t = r->cfg.go_backwards ? T - 1 - s : s;
                memset(dx + ((size_t)recur_rnn_batch_row(r, p) * T + t) * F, 0,
                       (size_t)F * sizeof(float));
            }
}

/* dh0 (and dc0) of rows [b0, b1), one shard's, from the carries, in batch order. */
static void write_state_gradients(const recur_rnn *r, int B, int b0, int b1, float *dh0,
                                  float *dc0)
{
    const size_t n = (size_t)r->H * sizeof(float);
    for (int p = b0; p < b1; p++) {
        const size_t b = (size_t)recur_rnn_batch_row(r, p);
        if (dh0)
            memcpy(dh0 + b * r->H, recur_rnn_row(r, RECUR_RGN_DH, B, 0, p), n);
        if (dc0)
            memcpy(dc0 + b * r->H, recur_rnn_row(r, RECUR_RGN_DC, B, 0, p), n);
    }
}

/* The carries of rows [b0, b1), one shard's, seeded with dh_last (and dc_last). */
static void seed_carries(const recur_rnn *r, int B, int b0, int b1, const float *dh_last,
                         const float *dc_last)
{
    recur_rnn_seed_rows(r, RECUR_RGN_DH, B, 0, b0, b1, dh_last);
    if (r->cfg.cell == RECUR_LSTM)
        recur_rnn_seed_rows(r, RECUR_RGN_DC, B, 0, b0, b1, dc_last);
}

typedef struct {
    const float *dy, *dy_last, *dh_last, *dc_last;
    float *dx, *dh0, *dc0;
} backward_io;

/* One shard of a sharded plan through every step, on its own (a narrow input's dX too). */
static void backward_shard(recur_rnn *r, int B, int T, int k, const backward_io *io)
{
    recur_rnn_share sh = { .j0 = 0, .j1 = r->H, .barrier = false };
    recur_split_range(B, 1, k, r->plan.shards, &sh.b0, &sh.b1);
    seed_carries(r, B, sh.b0, sh.b1, io->dh_last, io->dc_last);
    recurrence_backward(r, B, T, io->dy, io->dy_last, &sh,
                        recur_rnn_narrow_input(r) ? io->dx : NULL);
    write_state_gradients(r, B, sh.b0, sh.b1, io->dh0, io->dc0);
}

/* Gate columns for thread tid: in units of 8, not whole panels (200 gate columns split
 * 96/104, not 128/72; per-column sums and products do not depend on where the split
 * falls). */
static void my_columns(const recur_rnn *r, int tid, int n, int *j0, int *j1)
{
    recur_split_range(r->G * r->H, 8, tid, n, j0, j1);
}

/* One thread's part of a one-shard plan. */
static void backward_thread(recur_rnn *r, int B, int T, int tid, int n, const backward_io *io,
                            float *work)
{
    int b0, b1, j0, j1, r0, r1;
    recur_split_range(B, 1, tid, n, &b0, &b1);
    recur_rnn_share sh;
    recur_rnn_share_of(r, B, tid, n, &sh);
    /* narrow input, batch split: dX of this thread's rows, step by step (NULL: a separate
     * pass over all rows at the end) */
    float *dx_rows = recur_rnn_narrow_input(r) && !sh.barrier ? io->dx : NULL;
    seed_carries(r, B, b0, b1, io->dh_last, io->dc_last);
    if (sh.barrier) {
#pragma omp barrier   /* every thread reads all rows of the carries */
    }
    recurrence_backward(r, B, T, io->dy, io->dy_last, &sh, dx_rows);
    if (sh.barrier) {
#pragma omp barrier   /* dh0 rows are complete only when every slice is */
    }
    write_state_gradients(r, B, b0, b1, io->dh0, io->dc0);
#pragma omp barrier
    my_columns(r, tid, n, &j0, &j1);
    if (r->plan.wgrad_blocked)
        recur_rnn_block_gradients(r, B, T, tid, n, &sh, work);
    else if (r->mk.on)
        recur_rnn_gathered_gradients(r, tid, n, work);
    else
        weight_gradients(r, B, T, j0, j1, work);
    if (io->dx && r->mk.on && r->mk.ragged) {
#pragma omp barrier   /* dX is written over xt, which every thread's dW reads */
        ragged_input_gradient(r, B, T, io->dx, b0, b1, work);
    } else if (io->dx && !dx_rows) {
#pragma omp barrier
        recur_split_range(T * B, r->kt->mr, tid, n, &r0, &r1);
        input_gradient(r, B, T, io->dx, r0 / B, r0 % B, r1 - r0, work);
    }
}

/* A sharded plan: every shard's recurrence on its own, then the weight gradients (the
 * blocks of the shards a thread ran, or under a mask the gathered rows by columns), then a
 * wide input's dX, written over xt once dW has read it. */
static void backward_shards(recur_rnn *r, int B, int T, int tid, int n, const backward_io *io,
                            float *work)
{
    const bool ragged = r->mk.on && r->mk.ragged;
    for (int k = tid; k < r->plan.shards; k += n)
        backward_shard(r, B, T, k, io);
    if (r->mk.on) {
#pragma omp barrier   /* the gathered rows come from every shard */
        recur_rnn_gathered_gradients(r, tid, n, work);
#pragma omp barrier   /* dX, next, is written over xt, which dW reads */
    } else {
        /* the same thread sums the blocks of its shards: no barrier before */
        recur_rnn_share sh;
        recur_rnn_share_of(r, B, tid, n, &sh);
        recur_rnn_block_gradients(r, B, T, tid, n, &sh, work);
    }
    for (int k = tid; k < r->plan.shards && io->dx; k += n) {
        int b0, b1;   /* the shard's slab is T·(b1 − b0) contiguous rows */
        recur_split_range(B, 1, k, r->plan.shards, &b0, &b1);
        if (ragged)
            ragged_input_gradient(r, B, T, io->dx, b0, b1, work);
        else if (!recur_rnn_narrow_input(r))
            input_gradient(r, B, T, io->dx, 0, b0, T * (b1 - b0), work);
    }
}

recur_status recur_rnn_backward_io(recur_rnn *rnn, const recur_rnn_bwd_io *bio)
{
    if (rnn == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_backward: rnn is NULL");
    if (rnn->inference)
        return recur_fail(RECUR_ERR_STATE, "recur_rnn_backward: the layer is in inference mode "
                          "(recur_rnn_set_inference(rnn, false) before a training forward)");
    if (!rnn->have_forward)
        return recur_fail(RECUR_ERR_STATE,
                          "recur_rnn_backward: no forward to differentiate (call forward first; "
                          "each forward allows one backward)");
    if (rnn->cfg.cell != RECUR_LSTM && (bio->dc_last || bio->dc0))
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_backward: dc_last/dc0 given but the cell is not an LSTM");
    const int B = rnn->batch, T = rnn->steps, nthr = rnn->nthreads;
    rnn->have_forward = false;   /* dG overwrites the kept activations */
    rnn->dy_ld = (size_t)(bio->ld ? bio->ld : rnn->H);
    rnn->dy_reversed = bio->reversed;
    if (rnn->mk.on)
        recur_rnn_gather_rows(rnn);
    const backward_io io = { bio->dy, bio->dy_last, bio->dh_last, bio->dc_last, bio->dx,
                             bio->dh0, bio->dc0 };

#pragma omp parallel num_threads(nthr)
    {
        const recur_fpenv fpenv = recur_fpenv_flush_denormals();
        const int tid = omp_get_thread_num(), n = omp_get_num_threads();
        float *work = rnn->ws + rnn->plan.gemm + (size_t)tid * rnn->plan.gemm_floats;
        if (rnn->plan.shards > 1)
            backward_shards(rnn, B, T, tid, n, &io, work);
        else
            backward_thread(rnn, B, T, tid, n, &io, work);
        recur_fpenv_restore(fpenv);
    }
    return RECUR_OK;
}

recur_status recur_rnn_backward(recur_rnn *rnn, const float *dy, const float *dh_last,
                                const float *dc_last, float *dx, float *dh0, float *dc0)
{
    const recur_rnn_bwd_io io = { .dy = dy, .dh_last = dh_last, .dc_last = dc_last, .dx = dx,
                                  .dh0 = dh0, .dc0 = dc0 };
    return recur_rnn_backward_io(rnn, &io);
}
