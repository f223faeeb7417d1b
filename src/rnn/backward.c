/* Backward pass through time. Per step only the fused gate backward and dh_prev = dG · Uᵀ
 * run, split among threads as forward is (batch rows, or hidden units with a barrier per
 * step). The weight gradients dW = Xᵀ·dG, dU = H_prevᵀ·dG and the input gradient
 * dX = dG·Wᵀ are then each one GEMM over all T·B rows (small layers sum their weight
 * gradients in blocks instead, src/rnn/wgrad.c; a narrow input's dX is done row by row
 * inside the recurrence). dG overwrites the kept gates in place: step t's
 * activations are not needed once step t is done. In a sharded plan each shard runs its
 * recurrence and its dX on its own slab; only the blocked weight gradients meet. */
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
        for (int f = 0; f < F; f++)
            dx[((size_t)b * T + t) * F + f] = r->kt->dot((size_t)GH, dg,
                                                         r->kernel + (size_t)f * GH);
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

/* Steps T-1 … 0. On exit the carries hold dh0 (and dc0). With a unit split each step
 * meets a barrier between the gate backward (which fills this thread's columns of dG) and
 * dh_prev = dG · Uᵀ (which reads all of them). */
static void recurrence_backward(const recur_rnn *r, int B, int T, const float *dy,
                                const recur_rnn_share *sh, float *dx_rows)
{
    const recur_kernels *kt = r->kt;
    const int H = r->H, GH = r->G * r->H, b0 = sh->b0, rows = sh->b1 - sh->b0;
    const int j0 = sh->j0, j1 = sh->j1, W = j1 - j0;
    const bool mine = rows > 0 && W > 0;
    const recur_activation act = r->cfg.activation, ract = r->cfg.recurrent_activation;
    float *dh = recur_rnn_row(r, RECUR_RGN_DH, B, 0, b0);     /* gradient reaching h_s */
    float *dc = recur_rnn_row(r, RECUR_RGN_DC, B, 0, b0);
    float *drh = recur_rnn_row(r, RECUR_RGN_DRH, B, 0, b0);
    const recur_rnn_walk wg = recur_rnn_walk_of(r, RECUR_RGN_GATES, B, b0);
    const recur_rnn_walk wh = recur_rnn_walk_of(r, RECUR_RGN_HSEQ, B, b0);
    const recur_rnn_walk wc = recur_rnn_walk_of(r, RECUR_RGN_CSEQ, B, b0);
    const recur_rnn_walk wtc = recur_rnn_walk_of(r, RECUR_RGN_TC, B, b0);
    const recur_rnn_walk wq = recur_rnn_walk_of(r, RECUR_RGN_REC, B, b0);
    for (int s = T - 1; s >= 0; s--) {
        float *g = recur_rnn_at(wg, s);
        const float *hp = recur_rnn_at(wh, s);
        const float *h = recur_rnn_at(wh, s + 1);
        if (mine && dy)
            for (int b = 0; b < rows; b++)
                kt->axpy((size_t)W, 1.0f, dy + ((size_t)(b0 + b) * T + s) * H + j0,
                         dh + (size_t)b * H + j0);
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
                if (sh->barrier) {
#pragma omp barrier   /* drh = dG_h · U_hᵀ reads every unit of dG_h */
                }
                if (mine) {
                    recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                        .rows = rows, .H = H, .K = H, .blocks = 1, .j0 = j0, .j1 = j1,
                        .a = g + 2 * H, .lda = GH, .upk = r->uht_pk, .out = drh, .ldo = H });
                    kt->gru_rb_bwd2(&a);
                }
                /* then dh_prev += dG_zr · U_zrᵀ */
                acc = true;
            }
            break;
        }
        if (sh->barrier) {
#pragma omp barrier   /* dh_prev = dG · Uᵀ reads every unit of dG */
        }
        if (mine) {
            const int K = r->split_u ? 2 * H : GH;
            recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                .rows = rows, .H = H, .K = K, .blocks = 1, .j0 = j0, .j1 = j1, .a = dsrc,
                .lda = GH, .upk = r->ut_pk, .out = dh, .ldo = H, .accumulate = acc });
        }
        if (dx_rows)
            input_gradient_rows(r, B, T, s, dx_rows, sh->b0, sh->b1);
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
    /* dW[F, GH] += xtᵀ · dG; for a narrow input, weighted column sums (a GEMM tile would be
     * mostly padding), rows in order so the sums do not depend on threads */
    if (recur_rnn_narrow_input(r)) {
        for (int f = 0; f < F; f++)
            kt->colsum((size_t)rows, (size_t)w, dg + j0, (size_t)GH, xt + f, (size_t)F, 0, 0,
                       r->dkernel + (size_t)f * GH + j0);
    } else {
        recur_sgemm(kt, F, w, rows, xt, F, true, dg + j0, GH, false, r->dkernel + j0, GH, true,
                    work);
    }
    rec_weight_product(r, rows, j0, j1, work);
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

/* dh0 (and dc0) of batch rows [b0, b1), one shard's, from the carries. */
static void write_state_gradients(const recur_rnn *r, int B, int b0, int b1, float *dh0,
                                  float *dc0)
{
    const size_t n = (size_t)(b1 - b0) * r->H * sizeof(float);
    if (dh0)
        memcpy(dh0 + (size_t)b0 * r->H, recur_rnn_row(r, RECUR_RGN_DH, B, 0, b0), n);
    if (dc0)
        memcpy(dc0 + (size_t)b0 * r->H, recur_rnn_row(r, RECUR_RGN_DC, B, 0, b0), n);
}

/* The carries of batch rows [b0, b1), one shard's, seeded with dh_last (and dc_last). */
static void seed_carries(const recur_rnn *r, int B, int b0, int b1, const float *dh_last,
                         const float *dc_last)
{
    recur_rnn_seed_rows(r, RECUR_RGN_DH, B, b0, b1, dh_last);
    if (r->cfg.cell == RECUR_LSTM)
        recur_rnn_seed_rows(r, RECUR_RGN_DC, B, b0, b1, dc_last);
}

typedef struct {
    const float *dy, *dh_last, *dc_last;
    float *dx, *dh0, *dc0;
} backward_io;

/* One shard of a sharded plan through every step, on its own (a narrow input's dX too). */
static void backward_shard(recur_rnn *r, int B, int T, int k, const backward_io *io)
{
    recur_rnn_share sh = { .j0 = 0, .j1 = r->H, .barrier = false };
    recur_split_range(B, 1, k, r->plan.shards, &sh.b0, &sh.b1);
    seed_carries(r, B, sh.b0, sh.b1, io->dh_last, io->dc_last);
    recurrence_backward(r, B, T, io->dy, &sh, recur_rnn_narrow_input(r) ? io->dx : NULL);
    write_state_gradients(r, B, sh.b0, sh.b1, io->dh0, io->dc0);
}

/* One thread's part of a one-shard plan. */
static void backward_thread(recur_rnn *r, int B, int T, int tid, int n, const backward_io *io,
                            float *work)
{
    const int GH = r->G * r->H;
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
    recurrence_backward(r, B, T, io->dy, &sh, dx_rows);
    if (sh.barrier) {
#pragma omp barrier   /* dh0 rows are complete only when every slice is */
    }
    write_state_gradients(r, B, b0, b1, io->dh0, io->dc0);
#pragma omp barrier
    if (r->plan.wgrad_blocked) {
        recur_rnn_block_gradients(r, B, T, tid, n, &sh, work);
    } else {
        /* columns in units of 8, not whole panels: 200 gate columns split 96/104, not
         * 128/72 (per-column sums and products do not depend on where the split falls) */
        recur_split_range(GH, 8, tid, n, &j0, &j1);
        weight_gradients(r, B, T, j0, j1, work);
    }
    if (io->dx && !dx_rows) {
#pragma omp barrier
        recur_split_range(T * B, r->kt->mr, tid, n, &r0, &r1);
        input_gradient(r, B, T, io->dx, r0 / B, r0 % B, r1 - r0, work);
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
    if (bio->dy_last && bio->dh_last)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_backward: give dy_last or dh_last, "
                          "not both");
    const int B = rnn->batch, T = rnn->steps, nthr = rnn->nthreads;
    rnn->have_forward = false;   /* dG overwrites the kept activations */
    /* without a mask the last output is the last state */
    const backward_io io = { bio->dy, bio->dh_last ? bio->dh_last : bio->dy_last, bio->dc_last,
                             bio->dx, bio->dh0, bio->dc0 };

#pragma omp parallel num_threads(nthr)
    {
        const recur_fpenv fpenv = recur_fpenv_flush_denormals();
        const int tid = omp_get_thread_num(), n = omp_get_num_threads();
        float *work = rnn->ws + rnn->plan.gemm + (size_t)tid * rnn->plan.gemm_floats;
        if (rnn->plan.shards > 1) {
            /* one shard a thread; fewer threads than planned (a nested region) take turns */
            for (int k = tid; k < rnn->plan.shards; k += n)
                backward_shard(rnn, B, T, k, &io);
            /* the same thread sums the blocks of its shards: no barrier before */
            recur_rnn_share sh;
            recur_rnn_share_of(rnn, B, tid, n, &sh);
            recur_rnn_block_gradients(rnn, B, T, tid, n, &sh, work);
            /* a wide input's dX last: it is written over xt, which dW has read by now */
            for (int k = tid; k < rnn->plan.shards && io.dx && !recur_rnn_narrow_input(rnn);
                 k += n) {
                int b0, b1;   /* the shard's slab is T·(b1 − b0) contiguous rows */
                recur_split_range(B, 1, k, rnn->plan.shards, &b0, &b1);
                input_gradient(rnn, B, T, io.dx, 0, b0, T * (b1 - b0), work);
            }
        } else {
            backward_thread(rnn, B, T, tid, n, &io, work);
        }
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
