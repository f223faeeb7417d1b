/* Forward pass: one hoisted input GEMM over all T·B rows (a narrow input is instead
 * projected at each step by the thread that owns the rows, one row_affine call), then per
 * time step only the recurrent GEMM against the pre-packed U and one fused gate kernel.
 * Each thread owns a batch shard through all time steps, so steps need no
 * synchronisation.
 * With a unit split (src/rnn_parallel.c) threads own hidden-unit slices instead and meet
 * at a barrier after every step.
 * In inference mode the same runs chunk by chunk (plan.chunk steps at a time), carrying
 * h (and c) from the last slot of one chunk to slot 0 of the next. */
#include <omp.h>
#include <string.h>

#include <recur/recur.h>

#include "error.h"
#include "fpenv.h"
#include "gemm.h"
#include "rnn_internal.h"

/* Rows [row0, row1) (row = s·B + b) of the chunk starting at step s0, stored from row
 * `dst` of xt on: xt[s, b] = x[b, t(s0 + s)], and for a narrow input also their gates =
 * bias + xt · W in one row_affine call (a GEMM with K = F would only move C in and out). */
static void stage_rows(const recur_rnn *r, int B, int T, int s0, size_t row0, size_t row1,
                       size_t dst, const float *x)
{
    const int F = r->F, GH = r->G * r->H;
    float *xt = r->ws + r->plan.xt + dst * F;
    int s = s0 + (int)(row0 / (size_t)B), b = (int)(row0 % (size_t)B);
    for (size_t row = row0; row < row1; row++) {
        const int t = r->cfg.go_backwards ? T - 1 - s : s;
        const float *src = x + ((size_t)b * T + t) * F;
        float *out = xt + (row - row0) * F;
        if (F <= 16)   /* a narrow row: a memcpy call would cost more than the copy */
            for (int f = 0; f < F; f++)
                out[f] = src[f];
        else
            memcpy(out, src, (size_t)F * sizeof(float));
        if (++b == B) {
            b = 0;
            s++;
        }
    }
    if (recur_rnn_narrow_input(r) && row1 > row0)
        r->kt->row_affine(row1 - row0, (size_t)GH, F, xt, (size_t)F, r->kernel, (size_t)GH,
                          r->bias_rows > 0 ? r->bias : NULL, r->ws + r->plan.gates + dst * GH,
                          (size_t)GH);
}

/* Rows [r0, r1) of the chunk starting at step s0: gates = bias + xt · W, one GEMM over the
 * rows unless the input is narrow. */
static void input_projection(const recur_rnn *r, int B, int T, int s0, const float *x, int r0,
                             int r1, float *work)
{
    const int F = r->F, GH = r->G * r->H;
    const float *xt = r->ws + r->plan.xt;
    float *gates = r->ws + r->plan.gates;
    stage_rows(r, B, T, s0, (size_t)r0, (size_t)r1, (size_t)r0, x);
    if (recur_rnn_narrow_input(r))
        return;
    if (r->bias_rows > 0)
        recur_sgemm_packed_bias(r->kt, r1 - r0, GH, F, xt + (size_t)r0 * F, F, r->w_pk, r->bias,
                                gates + (size_t)r0 * GH, GH, work);
    else
        recur_sgemm_packed(r->kt, r1 - r0, GH, F, xt + (size_t)r0 * F, F, false, r->w_pk,
                           gates + (size_t)r0 * GH, GH, false, work);
}

/* Element-wise activation of units [j0, j1) of `rows` rows with row stride H. */
static void act_rows(const recur_kernels *kt, recur_activation act, int rows, int H, int j0,
                     int j1, const float *x, float *y)
{
    if (j0 == 0 && j1 == H) {
        kt->act_forward((size_t)rows * H, act, x, y);
        return;
    }
    for (int b = 0; b < rows; b++)
        kt->act_forward((size_t)(j1 - j0), act, x + (size_t)b * H + j0, y + (size_t)b * H + j0);
}

/* `steps` time steps of the chunk starting at s0. own_inputs (narrow input, batch split):
 * project this thread's rows step by step, so no other thread is ever waited for. */
static void recurrence(const recur_rnn *r, int B, int T, int s0, int steps, const float *x,
                       const recur_rnn_share *sh, bool own_inputs)
{
    const recur_kernels *kt = r->kt;
    const int H = r->H, GH = r->G * r->H, b0 = sh->b0, rows = sh->b1 - sh->b0;
    const int j0 = sh->j0, j1 = sh->j1, W = j1 - j0;
    const bool mine = rows > 0 && W > 0;
    const recur_activation act = r->cfg.activation, ract = r->cfg.recurrent_activation;
    float *ws = r->ws;
    for (int s = 0; s < steps; s++) {
        const size_t srow = recur_rnn_step_row(r, B, s) + (size_t)b0;   /* xt, gates, rec, rh */
        float *g = ws + r->plan.gates + srow * GH;
        const float *hp = ws + r->plan.hseq + ((size_t)s * B + b0) * H;
        float *h = ws + r->plan.hseq + ((size_t)(s + 1) * B + b0) * H;
        if (own_inputs)   /* narrow: this step's rows of this thread, xt and gates */
            stage_rows(r, B, T, s0, (size_t)s * B + sh->b0, (size_t)s * B + sh->b1, srow, x);
        switch (r->cfg.cell) {
        case RECUR_SIMPLE_RNN:
            if (mine) {
                recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                    .rows = rows, .H = H, .K = H, .blocks = 1, .j0 = j0, .j1 = j1, .a = hp,
                    .lda = H, .upk = r->u_pk, .out = g, .ldo = H, .accumulate = true });
                /* h (= act output) is kept as the gate value too: backward reads act'(h) */
                act_rows(kt, act, rows, H, j0, j1, g, h);
            }
            break;
        case RECUR_LSTM:
            if (mine) {
                recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                    .rows = rows, .H = H, .K = H, .blocks = 4, .j0 = j0, .j1 = j1, .a = hp,
                    .lda = H, .upk = r->u_pk, .out = g, .ldo = GH, .accumulate = true });
                recur_lstm_fwd_args a = {
                    .rows = rows, .units = W, .layout_units = H, .act = act, .rec_act = ract,
                    .gates = g + j0,
                    .c_prev = ws + r->plan.cseq + ((size_t)s * B + b0) * H + j0,
                    .c = ws + r->plan.cseq + ((size_t)(s + 1) * B + b0) * H + j0, .h = h + j0 };
                kt->lstm_fwd(&a);
            }
            break;
        case RECUR_GRU:
            if (!r->split_u) {
                if (mine) {
                    float *q = ws + r->plan.rec + srow * GH;
                    /* q = h_prev·U + b_rec: the bias added in the GEMM's epilogue */
                    recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                        .rows = rows, .H = H, .K = H, .blocks = 3, .j0 = j0, .j1 = j1,
                        .a = hp, .lda = H, .upk = r->u_pk, .out = q, .ldo = GH,
                        .bias = r->bias_rows == 2 ? r->bias + GH : NULL });
                    recur_gru_fwd_args a = {
                        .rows = rows, .units = W, .layout_units = H, .act = act,
                        .rec_act = ract, .gates = g + j0, .rec = q + j0, .rec_bias = NULL,
                        .h_prev = hp + j0, .h = h + j0 };
                    kt->gru_fwd(&a);
                }
            } else {
                float *rh = ws + r->plan.rh + srow * H;
                recur_gru_rb_fwd_args a = { .rows = rows, .units = W, .layout_units = H,
                                            .act = act, .rec_act = ract, .gates = g + j0,
                                            .h_prev = hp + j0, .rh = rh + j0, .h = h + j0 };
                if (mine) {
                    recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                        .rows = rows, .H = H, .K = H, .blocks = 2, .j0 = j0, .j1 = j1,
                        .a = hp, .lda = H, .upk = r->u_pk, .out = g, .ldo = GH,
                        .accumulate = true });
                    kt->gru_rb_fwd1(&a);
                }
                if (sh->barrier) {
#pragma omp barrier   /* (r ⊙ h_prev) · U_h needs every unit of rh */
                }
                if (mine) {
                    recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                        .rows = rows, .H = H, .K = H, .blocks = 1, .j0 = j0, .j1 = j1,
                        .a = rh, .lda = H, .upk = r->uh_pk, .out = g + 2 * H, .ldo = GH,
                        .accumulate = true });
                    kt->gru_rb_fwd2(&a);
                }
            }
            break;
        }
        if (sh->barrier) {
#pragma omp barrier   /* the next step's GEMM reads every unit of h */
        }
    }
}

/* y[b, s0 + s] = h of chunk step s; on the last chunk also the final states. */
static void write_outputs(const recur_rnn *r, int B, int T, int s0, int steps, int b0, int b1,
                          float *y, float *h_last, float *c_last)
{
    const int H = r->H;
    const float *hseq = r->ws + r->plan.hseq;
    const size_t row = (size_t)H * sizeof(float);
    for (int b = b0; b < b1; b++) {
        if (y)
            for (int s = 0; s < steps; s++)
                memcpy(y + ((size_t)b * T + s0 + s) * H, hseq + ((size_t)(s + 1) * B + b) * H, row);
        if (s0 + steps < T)
            continue;
        if (h_last)
            memcpy(h_last + (size_t)b * H, hseq + ((size_t)steps * B + b) * H, row);
        if (c_last)
            memcpy(c_last + (size_t)b * H, r->ws + r->plan.cseq + ((size_t)steps * B + b) * H, row);
    }
}

/* The state after a chunk becomes slot 0 of the next one. */
static void carry_state(const recur_rnn *r, int B, int steps, int b0, int b1)
{
    const size_t n = (size_t)(b1 - b0) * r->H * sizeof(float);
    const size_t from = ((size_t)steps * B + b0) * r->H, to = (size_t)b0 * r->H;
    memcpy(r->ws + r->plan.hseq + to, r->ws + r->plan.hseq + from, n);
    if (r->cfg.cell == RECUR_LSTM)
        memcpy(r->ws + r->plan.cseq + to, r->ws + r->plan.cseq + from, n);
}

recur_status recur_rnn_forward(recur_rnn *rnn, int batch, int timesteps, const float *x,
                               const float *h0, const float *c0, float *y, float *h_last,
                               float *c_last)
{
    if (rnn == NULL || x == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_forward: rnn and x must not be NULL");
    if (batch < 1 || timesteps < 1)
        return recur_fail(RECUR_ERR_SHAPE,
                          "recur_rnn_forward: batch and timesteps must be >= 1 (got %d, %d)",
                          batch, timesteps);
    if ((long long)batch * timesteps * rnn->G * rnn->H > (1LL << 31) - 1 ||
        (long long)batch * timesteps * rnn->F > (1LL << 31) - 1)
        return recur_fail(RECUR_ERR_SHAPE, "recur_rnn_forward: batch×timesteps too large");
    if (rnn->cfg.cell != RECUR_LSTM && (c0 || c_last))
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_forward: c0/c_last given but the cell is not an LSTM");
    const int nthr = recur_rnn_threads_for(rnn, batch);
    recur_status s = recur_rnn_ensure_workspace(rnn, batch, timesteps, nthr);
    if (s != RECUR_OK)
        return s;
    const int B = batch, T = timesteps, H = rnn->H, chunk = rnn->plan.chunk;

#pragma omp parallel num_threads(nthr)
    {
        const recur_fpenv fpenv = recur_fpenv_flush_denormals();
        const int tid = omp_get_thread_num(), n = omp_get_num_threads();
        float *work = rnn->ws + rnn->plan.gemm + (size_t)tid * rnn->plan.gemm_floats;
        int b0, b1;
        recur_split_range(B, 1, tid, n, &b0, &b1);
        recur_rnn_share sh;
        recur_rnn_share_of(rnn, B, tid, n, &sh);
        const bool own_inputs = recur_rnn_narrow_input(rnn) && !sh.barrier;
        recur_rnn_seed_rows(rnn->ws + rnn->plan.hseq, h0, H, b0, b1);
        if (rnn->cfg.cell == RECUR_LSTM)
            recur_rnn_seed_rows(rnn->ws + rnn->plan.cseq, c0, H, b0, b1);
        for (int s0 = 0; s0 < T; s0 += chunk) {
            const int steps = T - s0 < chunk ? T - s0 : chunk;
            if (!own_inputs) {
                int r0, r1;
                recur_split_range(steps * B, rnn->kt->mr, tid, n, &r0, &r1);
                input_projection(rnn, B, T, s0, x, r0, r1, work);
#pragma omp barrier
            }
            recurrence(rnn, B, T, s0, steps, x, &sh, own_inputs);
            /* a unit split ends each step with a barrier, so all of h is ready here */
            if (b1 > b0) {
                write_outputs(rnn, B, T, s0, steps, b0, b1, y, h_last, c_last);
                if (s0 + steps < T)
                    carry_state(rnn, B, steps, b0, b1);
            }
            if (s0 + steps < T && !own_inputs) {
#pragma omp barrier   /* the next chunk's projection overwrites this chunk's gates */
            }
        }
        recur_fpenv_restore(fpenv);
    }
    rnn->have_forward = !rnn->inference;
    rnn->batch = B;
    rnn->steps = T;
    rnn->nthreads = nthr;
    return RECUR_OK;
}
