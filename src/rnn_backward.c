/* Backward pass through time. Per step only the fused gate backward and dh_prev = dG · Uᵀ
 * run, batch-sharded like forward. The weight gradients dW = Xᵀ·dG, dU = H_prevᵀ·dG and the
 * input gradient dX = dG·Wᵀ are then each one GEMM over all T·B rows. dG overwrites the
 * kept gates in place: step t's activations are not needed once step t is done. */
#include <omp.h>
#include <string.h>

#include <recur/recur.h>

#include "error.h"
#include "gemm.h"
#include "rnn_internal.h"

static void seed_carry(float *dst, const float *src, int H, int b0, int b1)
{
    for (int b = b0; b < b1; b++) {
        if (src)
            memcpy(dst + (size_t)b * H, src + (size_t)b * H, (size_t)H * sizeof(float));
        else
            memset(dst + (size_t)b * H, 0, (size_t)H * sizeof(float));
    }
}

/* Steps T-1 … 0 for batch rows [b0, b1). On exit the carries hold dh0 (and dc0). */
static void recurrence_backward(const recur_rnn *r, int B, int T, const float *dy, int b0,
                                int b1, float *work)
{
    const recur_kernels *kt = r->kt;
    const int H = r->H, GH = r->G * r->H, rows = b1 - b0;
    const recur_activation act = r->cfg.activation, ract = r->cfg.recurrent_activation;
    float *ws = r->ws;
    float *dh = ws + r->plan.dh + (size_t)b0 * H;      /* gradient reaching h_s */
    for (int s = T - 1; s >= 0; s--) {
        if (dy)
            for (int b = b0; b < b1; b++)
                kt->axpy((size_t)H, 1.0f, dy + ((size_t)b * T + s) * H, dh + (size_t)(b - b0) * H);
        float *g = ws + r->plan.gates + ((size_t)s * B + b0) * GH;
        const float *hp = ws + r->plan.hseq + ((size_t)s * B + b0) * H;
        const float *h = ws + r->plan.hseq + ((size_t)(s + 1) * B + b0) * H;
        switch (r->cfg.cell) {
        case RECUR_SIMPLE_RNN:
            kt->act_backward((size_t)rows * H, act, h, dh, g);
            recur_sgemm_packed(kt, rows, H, GH, g, GH, false, r->ut_pk, dh, H, false, work);
            break;
        case RECUR_LSTM: {
            recur_lstm_bwd_args a = {
                .rows = rows, .units = H, .act = act, .rec_act = ract, .gates = g,
                .c_prev = ws + r->plan.cseq + ((size_t)s * B + b0) * H,
                .c = ws + r->plan.cseq + ((size_t)(s + 1) * B + b0) * H, .dh = dh,
                .dc = ws + r->plan.dc + (size_t)b0 * H };
            kt->lstm_bwd(&a);
            recur_sgemm_packed(kt, rows, H, GH, g, GH, false, r->ut_pk, dh, H, false, work);
            break;
        }
        case RECUR_GRU:
            if (!r->split_u) {
                float *q = ws + r->plan.rec + ((size_t)s * B + b0) * GH;
                recur_gru_bwd_args a = { .rows = rows, .units = H, .act = act, .rec_act = ract,
                                         .gates = g, .rec = q, .h_prev = hp, .dh = dh,
                                         .dh_prev = dh };
                kt->gru_bwd(&a);
                recur_sgemm_packed(kt, rows, H, GH, q, GH, false, r->ut_pk, dh, H, true, work);
            } else {
                float *drh = ws + r->plan.drh + (size_t)b0 * H;
                recur_gru_rb_bwd_args a = { .rows = rows, .units = H, .act = act,
                                            .rec_act = ract, .gates = g, .h_prev = hp,
                                            .dh = dh, .drh = drh, .dh_prev = dh };
                kt->gru_rb_bwd1(&a);
                recur_sgemm_packed(kt, rows, H, H, g + 2 * H, GH, false, r->uht_pk, drh, H,
                                   false, work);
                kt->gru_rb_bwd2(&a);
                recur_sgemm_packed(kt, rows, H, 2 * H, g, GH, false, r->ut_pk, dh, H, true, work);
            }
            break;
        }
    }
}

/* Columns [j0, j1) of the weight gradients, accumulated; one GEMM each over all T·B rows. */
static void weight_gradients(recur_rnn *r, int B, int T, int j0, int j1, float *work)
{
    const recur_kernels *kt = r->kt;
    const int F = r->F, H = r->H, GH = r->G * r->H, rows = T * B, w = j1 - j0;
    const float *ws = r->ws, *xt = ws + r->plan.xt, *dg = ws + r->plan.gates;
    const float *hprev = ws + r->plan.hseq;   /* rows 0 … T·B-1 are h_{s-1} of every row */
    if (w <= 0)
        return;
    /* dW[F, GH] += xtᵀ · dG */
    recur_sgemm(kt, F, w, rows, xt, F, true, dg + j0, GH, false, r->dkernel + j0, GH, true, work);
    if (r->cfg.cell == RECUR_GRU && !r->split_u) {
        const float *dq = ws + r->plan.rec;
        recur_sgemm(kt, H, w, rows, hprev, H, true, dq + j0, GH, false, r->drec_kernel + j0, GH,
                    true, work);
    } else if (r->split_u) {
        /* dU_zr += hprevᵀ · dG_zr, dU_h += (r ⊙ hprev)ᵀ · dG_h; columns split at 2H */
        int z0 = j0, z1 = j1 < 2 * H ? j1 : 2 * H;
        if (z1 > z0)
            recur_sgemm(kt, H, z1 - z0, rows, hprev, H, true, dg + z0, GH, false,
                        r->drec_kernel + z0, GH, true, work);
        int h0 = j0 > 2 * H ? j0 : 2 * H;
        if (j1 > h0)
            recur_sgemm(kt, H, j1 - h0, rows, ws + r->plan.rh, H, true, dg + h0, GH, false,
                        r->drec_kernel + h0, GH, true, work);
    } else {
        recur_sgemm(kt, H, w, rows, hprev, H, true, dg + j0, GH, false, r->drec_kernel + j0, GH,
                    true, work);
    }
    if (r->bias_rows > 0) {
        /* db += column sums, rows in a fixed order so results do not depend on threads */
        for (int row = 0; row < rows; row++)
            kt->axpy((size_t)w, 1.0f, dg + (size_t)row * GH + j0, r->dbias + j0);
        if (r->bias_rows == 2)
            for (int row = 0; row < rows; row++)
                kt->axpy((size_t)w, 1.0f, ws + r->plan.rec + (size_t)row * GH + j0,
                         r->dbias + GH + j0);
    }
}

/* Rows [r0, r1) of dX: dxt = dG · Wᵀ (into the xt region, no longer needed), then scattered
 * back to the batch-major, possibly reversed, user layout. */
static void input_gradient(recur_rnn *r, int B, int T, float *dx, int r0, int r1, float *work)
{
    const int F = r->F, GH = r->G * r->H;
    float *dxt = r->ws + r->plan.xt;
    const float *dg = r->ws + r->plan.gates;
    if (r1 <= r0)
        return;
    recur_sgemm_packed(r->kt, r1 - r0, F, GH, dg + (size_t)r0 * GH, GH, false, r->wt_pk,
                       dxt + (size_t)r0 * F, F, false, work);
    for (int row = r0; row < r1; row++) {
        int s = row / B, b = row % B;
        int t = r->cfg.go_backwards ? T - 1 - s : s;
        memcpy(dx + ((size_t)b * T + t) * F, dxt + (size_t)row * F, (size_t)F * sizeof(float));
    }
}

recur_status recur_rnn_backward(recur_rnn *rnn, const float *dy, const float *dh_last,
                                const float *dc_last, float *dx, float *dh0, float *dc0)
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
    if (rnn->cfg.cell != RECUR_LSTM && (dc_last || dc0))
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_backward: dc_last/dc0 given but the cell is not an LSTM");
    const int B = rnn->batch, T = rnn->steps, H = rnn->H, GH = rnn->G * rnn->H;
    const int nthr = rnn->nthreads;
    rnn->have_forward = false;   /* dG overwrites the kept activations */

#pragma omp parallel num_threads(nthr)
    {
        const int tid = omp_get_thread_num(), n = omp_get_num_threads();
        float *work = rnn->ws + rnn->plan.gemm + (size_t)tid * RECUR_GEMM_WORK_FLOATS;
        int b0, b1, j0, j1, r0, r1;
        recur_split_range(B, 1, tid, n, &b0, &b1);
        seed_carry(rnn->ws + rnn->plan.dh, dh_last, H, b0, b1);
        if (rnn->cfg.cell == RECUR_LSTM)
            seed_carry(rnn->ws + rnn->plan.dc, dc_last, H, b0, b1);
        if (b1 > b0) {
            recurrence_backward(rnn, B, T, dy, b0, b1, work);
            for (int b = b0; b < b1; b++) {
                if (dh0)
                    memcpy(dh0 + (size_t)b * H, rnn->ws + rnn->plan.dh + (size_t)b * H,
                           (size_t)H * sizeof(float));
                if (dc0)
                    memcpy(dc0 + (size_t)b * H, rnn->ws + rnn->plan.dc + (size_t)b * H,
                           (size_t)H * sizeof(float));
            }
        }
#pragma omp barrier
        recur_split_range(GH, rnn->kt->nr, tid, n, &j0, &j1);
        weight_gradients(rnn, B, T, j0, j1, work);
        if (dx) {
#pragma omp barrier
            recur_split_range(T * B, rnn->kt->mr, tid, n, &r0, &r1);
            input_gradient(rnn, B, T, dx, r0, r1, work);
        }
    }
    return RECUR_OK;
}
