/* Forward pass: one hoisted input GEMM over all T·B rows (a narrow input is instead
 * projected at each step by the thread that owns the rows, one row_affine call), then per
 * time step only the recurrent GEMM against the pre-packed U and one fused gate kernel.
 * Each thread owns a batch shard through all time steps, so steps need no
 * synchronisation; in a sharded plan (src/rnn/internal.h) each shard also projects its own
 * rows, into a slab of its own, and runs start to end without ever meeting another.
 * With a unit split (src/rnn/parallel.c) threads own hidden-unit slices instead and meet
 * at a barrier after every step.
 * In inference mode the same runs chunk by chunk (plan.chunk steps at a time), carrying
 * h (and c) from the last slot of one chunk to slot 0 of the next.
 *
 * Under a mask (src/rnn/mask.c) the general path computes every row and then puts back the
 * state of each row whose step is masked; the ragged path projects and steps only the
 * active rows, the first ones of each shard, and a row's state after its last real step
 * is kept aside (FINAL) for the outputs that repeat it. */
#include <omp.h>
#include <string.h>

#include <recur/recur.h>

#include "core/error.h"
#include "cpu/fpenv.h"
#include "gemm/gemm.h"
#include "rnn/engine.h"
#include "rnn/internal.h"

/* Rows [b0, b1) of chunk step s (one shard's, contiguous): xt = x[b, t(s0 + s)] of each
 * row's batch row b, and for a narrow input also their gates = bias + xt · W in one
 * row_affine call (a GEMM with K = F would only move C in and out). */
static void stage_rows(const recur_rnn *r, int B, int T, int s0, int s, int b0, int b1,
                       const float *x)
{
    const int F = r->F, GH = r->G * r->H, XW = r->plan.x_width;
    const int t = r->cfg.go_backwards ? T - 1 - (s0 + s) : s0 + s;
    float *xt = recur_rnn_row(r, RECUR_RGN_XT, B, s, b0);
    for (int b = b0; b < b1; b++) {
        const int row = recur_rnn_batch_row(r, b);
        const float *src = x + ((size_t)row * T + t) * F;
        float *out = xt + (size_t)(b - b0) * XW;
        if (r->plan.x_masked)   /* input dropout: a masked copy per gate */
            recur_rnn_drop_stage(r, row, src, out);
        else if (F <= 16)   /* a narrow row: a memcpy call would cost more than the copy */
            for (int f = 0; f < F; f++)
                out[f] = src[f];
        else
            memcpy(out, src, (size_t)F * sizeof(float));
    }
    if (recur_rnn_narrow_input(r) && b1 > b0)
        r->kt->row_affine((size_t)(b1 - b0), (size_t)GH, F, xt, (size_t)F, r->kernel,
                          (size_t)GH, r->bias_rows > 0 ? r->bias : NULL,
                          recur_rnn_row(r, RECUR_RGN_GATES, B, s, b0), (size_t)GH);
}

/* gates = bias + xt · W for `rows` contiguous rows starting at chunk step s, batch row b. */
static void project_rows(const recur_rnn *r, int B, int s, int b, int rows, float *work)
{
    const int F = r->F, GH = r->G * r->H;
    const float *xt = recur_rnn_row(r, RECUR_RGN_XT, B, s, b);
    float *gates = recur_rnn_row(r, RECUR_RGN_GATES, B, s, b);
    if (r->plan.x_masked)
        recur_rnn_drop_project(r, rows, xt, gates, work);
    else if (r->bias_rows > 0)
        recur_sgemm_packed_bias(r->kt, rows, GH, F, xt, F, r->w_pk, r->bias, gates, GH, work);
    else
        recur_sgemm_packed(r->kt, rows, GH, F, xt, F, false, r->w_pk, gates, GH, false, work);
}

/* A one-shard plan's rows [r0, r1) (row = s·B + b) of the chunk starting at step s0, staged
 * step by step, then one GEMM over them unless the input is narrow. */
static void input_projection(const recur_rnn *r, int B, int T, int s0, const float *x, int r0,
                             int r1, float *work)
{
    for (int row = r0; row < r1;) {
        const int s = row / B, b = row % B, e = r1 - s * B < B ? r1 - s * B : B;
        stage_rows(r, B, T, s0, s, b, e, x);
        row = s * B + e;
    }
    if (!recur_rnn_narrow_input(r) && r1 > r0)
        project_rows(r, B, r0 / B, r0 % B, r1 - r0, work);
}

/* A shard's own rows of every step of the chunk: staged step by step, then one GEMM over
 * its slab (steps × (b1 − b0) contiguous rows). */
static void shard_projection(const recur_rnn *r, int B, int T, int s0, int steps, int b0,
                             int b1, const float *x, float *work)
{
    for (int s = 0; s < steps; s++)
        stage_rows(r, B, T, s0, s, b0, b1, x);
    if (!recur_rnn_narrow_input(r))
        project_rows(r, B, 0, b0, steps * (b1 - b0), work);
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

/* Ragged: rows [b0 + before, b0 + now) start their real steps at chunk step s (pre-
 * padding): their previous state is h0 (c0). */
static void seed_joining_rows(const recur_rnn *r, int B, int s, int b0, int before, int now,
                              const float *h0, const float *c0)
{
    recur_rnn_seed_rows(r, RECUR_RGN_HSEQ, B, s, b0 + before, b0 + now, h0);
    if (r->cfg.cell == RECUR_LSTM)
        recur_rnn_seed_rows(r, RECUR_RGN_CSEQ, B, s, b0 + before, b0 + now, c0);
}

/* General mask: rows [b0, b1) whose step S is masked keep their state (units [j0, j1)). */
static void keep_masked_states(const recur_rnn *r, int B, int s, int S, int b0, int b1, int j0,
                               int j1)
{
    const size_t n = (size_t)(j1 - j0) * sizeof(float);
    for (int p = b0; p < b1; p++) {
        if (recur_rnn_real(r, p, S))
            continue;
        memcpy(recur_rnn_row(r, RECUR_RGN_HSEQ, B, s + 1, p) + j0,
               recur_rnn_row(r, RECUR_RGN_HSEQ, B, s, p) + j0, n);
        if (r->cfg.cell == RECUR_LSTM)
            memcpy(recur_rnn_row(r, RECUR_RGN_CSEQ, B, s + 1, p) + j0,
                   recur_rnn_row(r, RECUR_RGN_CSEQ, B, s, p) + j0, n);
    }
}

typedef struct {
    const float *x, *h0, *c0;
    float *y, *y_last, *h_last, *c_last;
    size_t ld;                 /* floats from one output row to the next */
    bool reversed;             /* y[:, T − 1 − s] holds output s */
} forward_io;

/* Dropout: the recurrent products of the first `gates` gate blocks for `rows` rows from
 * internal row p0, each from the previous state times that gate's mask (A [rows, G·H],
 * kept for the weight gradients): out[:, q·H:(q+1)·H] (+)= A_q · U_q (+ rec_bias_q). */
static void dropped_products(const recur_rnn *r, int p0, int rows, int gates, const float *hp,
                             float *A, float *out, const float *rec_bias, bool accumulate)
{
    const int H = r->H, GH = r->G * r->H;
    recur_rnn_drop_states(r, p0, rows, hp, A);
    for (int q = 0; q < gates; q++)
        recur_rnn_rec_gemm(r->kt, &(recur_rnn_step_product){
            .rows = rows, .H = H, .K = H, .blocks = 1, .j0 = 0, .j1 = H,
            .a = A + (size_t)q * H, .lda = GH, .upk = r->drop.u[q], .out = out + (size_t)q * H,
            .ldo = GH, .accumulate = accumulate,
            .bias = rec_bias ? rec_bias + (size_t)q * H : NULL });
}

/* `steps` time steps of the chunk starting at s0. own_inputs (a narrow input under a batch
 * split, or a ragged batch): project this thread's rows step by step, so no other thread
 * is ever waited for (and a ragged batch projects only its active rows). */
static void recurrence(const recur_rnn *r, int B, int T, int s0, int steps, const forward_io *io,
                       const recur_rnn_share *sh, bool own_inputs, float *work)
{
    const recur_kernels *kt = r->kt;
    const int H = r->H, GH = r->G * r->H, b0 = sh->b0;
    const int j0 = sh->j0, j1 = sh->j1, W = j1 - j0;
    const bool ragged = r->mk.on && r->mk.ragged, general = r->mk.on && !ragged;
    int before = s0 > 0 ? recur_rnn_active_rows(r, B, sh->b0, sh->b1, s0 - 1) : 0;
    const recur_activation act = r->cfg.activation, ract = r->cfg.recurrent_activation;
    const recur_rnn_walk wg = recur_rnn_walk_of(r, RECUR_RGN_GATES, B, b0);
    const recur_rnn_walk wh = recur_rnn_walk_of(r, RECUR_RGN_HSEQ, B, b0);
    const recur_rnn_walk wc = recur_rnn_walk_of(r, RECUR_RGN_CSEQ, B, b0);
    const recur_rnn_walk wtc = recur_rnn_walk_of(r, RECUR_RGN_TC, B, b0);
    const bool keep_tc = !r->inference;   /* act(c) is kept for backward */
    const recur_rnn_walk wq = recur_rnn_walk_of(r, RECUR_RGN_REC, B, b0);
    const recur_rnn_walk wrh = recur_rnn_walk_of(r, RECUR_RGN_RH, B, b0);
    const bool drop = recur_rnn_dropping(r);   /* never with a unit split or ragged rows */
    const recur_rnn_walk whd = recur_rnn_walk_of(r, RECUR_RGN_HDROP, B, b0);
    for (int s = 0; s < steps; s++) {
        const int rows = recur_rnn_active_rows(r, B, sh->b0, sh->b1, s0 + s);
        const bool mine = rows > 0 && W > 0;
        float *g = recur_rnn_at(wg, s);
        const float *hp = recur_rnn_at(wh, s);
        float *h = recur_rnn_at(wh, s + 1);
        if (ragged && rows > before)
            seed_joining_rows(r, B, s, b0, before, rows, io->h0, io->c0);
        before = rows;
        if (own_inputs) {   /* this step's rows of this thread, xt and gates */
            stage_rows(r, B, T, s0, s, b0, b0 + rows, io->x);
            if (!recur_rnn_narrow_input(r) && rows > 0)
                project_rows(r, B, s, b0, rows, work);
        }
        float *A = drop ? recur_rnn_at(whd, s) : NULL;   /* the masked previous states */
        switch (r->cfg.cell) {
        case RECUR_SIMPLE_RNN:
            if (mine && drop) {
                dropped_products(r, b0, rows, 1, hp, A, g, NULL, true);
                act_rows(kt, act, rows, H, j0, j1, g, h);
            } else if (mine) {
                recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                    .rows = rows, .H = H, .K = H, .blocks = 1, .j0 = j0, .j1 = j1, .a = hp,
                    .lda = H, .upk = r->u_pk, .out = g, .ldo = H, .accumulate = true });
                /* h (= act output) is kept as the gate value too: backward reads act'(h) */
                act_rows(kt, act, rows, H, j0, j1, g, h);
            }
            break;
        case RECUR_LSTM:
            if (mine) {
                if (drop)
                    dropped_products(r, b0, rows, 4, hp, A, g, NULL, true);
                else
                    recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                        .rows = rows, .H = H, .K = H, .blocks = 4, .j0 = j0, .j1 = j1,
                        .a = hp, .lda = H, .upk = r->u_pk, .out = g, .ldo = GH,
                        .accumulate = true });
                recur_lstm_fwd_args a = {
                    .rows = rows, .units = W, .layout_units = H, .act = act, .rec_act = ract,
                    .gates = g + j0,
                    .c_prev = recur_rnn_at(wc, s) + j0, .c = recur_rnn_at(wc, s + 1) + j0,
                    .h = h + j0, .act_c = keep_tc ? recur_rnn_at(wtc, s) + j0 : NULL };
                kt->lstm_fwd(&a);
            }
            break;
        case RECUR_GRU:
            if (!r->split_u) {
                if (mine) {
                    float *q = recur_rnn_at(wq, s);
                    /* q = h_prev·U + b_rec: the bias added in the GEMM's epilogue */
                    const float *rec_bias = r->bias_rows == 2 ? r->bias + GH : NULL;
                    if (drop)
                        dropped_products(r, b0, rows, 3, hp, A, q, rec_bias, false);
                    else
                        recur_rnn_rec_gemm(kt, &(recur_rnn_step_product){
                            .rows = rows, .H = H, .K = H, .blocks = 3, .j0 = j0, .j1 = j1,
                            .a = hp, .lda = H, .upk = r->u_pk, .out = q, .ldo = GH,
                            .bias = rec_bias });
                    recur_gru_fwd_args a = {
                        .rows = rows, .units = W, .layout_units = H, .act = act,
                        .rec_act = ract, .gates = g + j0, .rec = q + j0, .rec_bias = NULL,
                        .h_prev = hp + j0, .h = h + j0 };
                    kt->gru_fwd(&a);
                }
            } else {
                float *rh = recur_rnn_at(wrh, s);
                recur_gru_rb_fwd_args a = { .rows = rows, .units = W, .layout_units = H,
                                            .act = act, .rec_act = ract, .gates = g + j0,
                                            .h_prev = hp + j0, .rh = rh + j0, .h = h + j0 };
                if (mine && drop) {
                    /* z and r from their masked states; rh = r ⊙ (h_prev ⊙ mask_h) */
                    dropped_products(r, b0, rows, 2, hp, A, g, NULL, true);
                    float *ah = recur_rnn_row(r, RECUR_RGN_DDROP, B, 0, b0);
                    for (int i = 0; i < rows; i++)
                        memcpy(ah + (size_t)i * H, A + (size_t)i * GH + 2 * H,
                               (size_t)H * sizeof(float));
                    recur_gru_rb_fwd_args a1 = a;
                    a1.h_prev = ah;
                    kt->gru_rb_fwd1(&a1);
                } else if (mine) {
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
        if (general)
            keep_masked_states(r, B, s, s0 + s, sh->b0, sh->b1, j0, j1);
        if (sh->barrier) {
#pragma omp barrier   /* the next step's GEMM reads every unit of h */
        }
    }
}

/* The output row of step S of internal row p (chunk step s = S − s0), as Keras has it
 * under a mask: zeros before the first real step (or at a masked step with
 * zero_output_for_mask), else the state after the last real step so far. NULL: zeros. */
static const float *output_row(const recur_rnn *r, int B, int s, int S, int p)
{
    if (recur_rnn_out_zero(r, p, S))
        return NULL;
    if (r->mk.on && r->mk.ragged && S >= r->mk.first[p] + r->mk.count[p])
        return recur_rnn_row(r, RECUR_RGN_FINAL_H, B, 0, p);
    return recur_rnn_row(r, RECUR_RGN_HSEQ, B, s + 1, p);
}

static void put_row(float *dst, const float *src, size_t bytes)
{
    if (src)
        memcpy(dst, src, bytes);
    else
        memset(dst, 0, bytes);
}

/* Ragged: a row whose last real step falls in this chunk keeps its state in FINAL. */
static void keep_final_states(const recur_rnn *r, int B, int s0, int steps, int p)
{
    const int end = r->mk.first[p] + r->mk.count[p];   /* steps of the row, up to its last */
    if (r->mk.count[p] == 0 || end <= s0 || end > s0 + steps)
        return;
    const size_t n = (size_t)r->H * sizeof(float);
    memcpy(recur_rnn_row(r, RECUR_RGN_FINAL_H, B, 0, p),
           recur_rnn_row(r, RECUR_RGN_HSEQ, B, end - s0, p), n);
    if (r->cfg.cell == RECUR_LSTM)
        memcpy(recur_rnn_row(r, RECUR_RGN_FINAL_C, B, 0, p),
               recur_rnn_row(r, RECUR_RGN_CSEQ, B, end - s0, p), n);
}

/* y[b, s0 + s] for chunk step s of rows [b0, b1), b each row's batch row; on the last chunk
 * also the last output and the final states. */
static void write_outputs(const recur_rnn *r, int B, int T, int s0, int steps, int b0, int b1,
                          const forward_io *io)
{
    const int H = r->H;
    const size_t row = (size_t)H * sizeof(float);
    const bool ragged = r->mk.on && r->mk.ragged, last_chunk = s0 + steps >= T;
    for (int p = b0; p < b1; p++) {
        const size_t b = (size_t)recur_rnn_batch_row(r, p);
        if (ragged)
            keep_final_states(r, B, s0, steps, p);
        for (int s = 0; io->y && s < steps; s++) {
            const size_t t = (size_t)(io->reversed ? T - 1 - (s0 + s) : s0 + s);
            put_row(io->y + (b * T + t) * io->ld, output_row(r, B, s, s0 + s, p), row);
        }
        if (!last_chunk)
            continue;
        if (io->y_last)
            put_row(io->y_last + b * io->ld, output_row(r, B, steps - 1, T - 1, p), row);
        const recur_rnn_rgn hg = ragged ? RECUR_RGN_FINAL_H : RECUR_RGN_HSEQ;
        const recur_rnn_rgn cg = ragged ? RECUR_RGN_FINAL_C : RECUR_RGN_CSEQ;
        const int slot = ragged ? 0 : steps;
        if (io->h_last)
            memcpy(io->h_last + b * H, recur_rnn_row(r, hg, B, slot, p), row);
        if (io->c_last)
            memcpy(io->c_last + b * H, recur_rnn_row(r, cg, B, slot, p), row);
    }
}

/* The state of batch rows [b0, b1) (one shard's) after a chunk becomes slot 0 of the next. */
static void carry_state(const recur_rnn *r, int B, int steps, int b0, int b1)
{
    const size_t n = (size_t)(b1 - b0) * r->H * sizeof(float);
    memcpy(recur_rnn_row(r, RECUR_RGN_HSEQ, B, 0, b0),
           recur_rnn_row(r, RECUR_RGN_HSEQ, B, steps, b0), n);
    if (r->cfg.cell == RECUR_LSTM)
        memcpy(recur_rnn_row(r, RECUR_RGN_CSEQ, B, 0, b0),
               recur_rnn_row(r, RECUR_RGN_CSEQ, B, steps, b0), n);
}

/* h0 (and c0) of rows [b0, b1), one shard's, into slot 0; a ragged row that has no real
 * step keeps them as its final state. */
static void seed_states(const recur_rnn *r, int B, int b0, int b1, const float *h0,
                        const float *c0)
{
    const bool lstm = r->cfg.cell == RECUR_LSTM;
    recur_rnn_seed_rows(r, RECUR_RGN_HSEQ, B, 0, b0, b1, h0);
    if (lstm)
        recur_rnn_seed_rows(r, RECUR_RGN_CSEQ, B, 0, b0, b1, c0);
    if (r->mk.on && r->mk.ragged) {
        recur_rnn_seed_rows(r, RECUR_RGN_FINAL_H, B, 0, b0, b1, h0);
        if (lstm)
            recur_rnn_seed_rows(r, RECUR_RGN_FINAL_C, B, 0, b0, b1, c0);
    }
}

/* One shard of a sharded plan from the first step to the last, on its own. */
static void forward_shard(const recur_rnn *r, int B, int T, int k, const forward_io *io,
                          float *work)
{
    recur_rnn_share sh = { .j0 = 0, .j1 = r->H, .barrier = false };
    recur_split_range(B, 1, k, r->plan.shards, &sh.b0, &sh.b1);
    const bool own_inputs = recur_rnn_narrow_input(r) || (r->mk.on && r->mk.ragged);
    seed_states(r, B, sh.b0, sh.b1, io->h0, io->c0);
    for (int s0 = 0; s0 < T; s0 += r->plan.chunk) {
        const int steps = T - s0 < r->plan.chunk ? T - s0 : r->plan.chunk;
        if (!own_inputs)
            shard_projection(r, B, T, s0, steps, sh.b0, sh.b1, io->x, work);
        recurrence(r, B, T, s0, steps, io, &sh, own_inputs, work);
        write_outputs(r, B, T, s0, steps, sh.b0, sh.b1, io);
        if (s0 + steps < T)
            carry_state(r, B, steps, sh.b0, sh.b1);
    }
}

/* One thread's part of a one-shard plan: every thread projects a share of each chunk's
 * rows, then runs its batch rows (or, with a unit split, its units) through the chunk. */
static void forward_thread(const recur_rnn *r, int B, int T, int tid, int n,
                           const forward_io *io, float *work)
{
    int b0, b1;
    recur_split_range(B, 1, tid, n, &b0, &b1);
    recur_rnn_share sh;
    recur_rnn_share_of(r, B, tid, n, &sh);
    const bool own_inputs = (recur_rnn_narrow_input(r) && !sh.barrier) ||
                            (r->mk.on && r->mk.ragged);
    seed_states(r, B, b0, b1, io->h0, io->c0);
    for (int s0 = 0; s0 < T; s0 += r->plan.chunk) {
        const int steps = T - s0 < r->plan.chunk ? T - s0 : r->plan.chunk;
        if (!own_inputs) {
            int r0, r1;
            recur_split_range(steps * B, r->kt->mr, tid, n, &r0, &r1);
            input_projection(r, B, T, s0, io->x, r0, r1, work);
#pragma omp barrier
        }
        recurrence(r, B, T, s0, steps, io, &sh, own_inputs, work);
        /* a unit split ends each step with a barrier, so all of h is ready here */
        if (b1 > b0) {
            write_outputs(r, B, T, s0, steps, b0, b1, io);
            if (s0 + steps < T)
                carry_state(r, B, steps, b0, b1);
        }
        if (s0 + steps < T && !own_inputs) {
#pragma omp barrier   /* the next chunk's projection overwrites this chunk's gates */
        }
    }
}

recur_status recur_rnn_forward_io(recur_rnn *rnn, int batch, int timesteps,
                                  const recur_rnn_fwd_io *fio)
{
    if (rnn == NULL || fio->x == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_forward: rnn and x must not be NULL");
    if (batch < 1 || timesteps < 1)
        return recur_fail(RECUR_ERR_SHAPE,
                          "recur_rnn_forward: batch and timesteps must be >= 1 (got %d, %d)",
                          batch, timesteps);
    if ((long long)batch * timesteps * rnn->G * rnn->H > (1LL << 31) - 1 ||
        (long long)batch * timesteps * rnn->F > (1LL << 31) - 1)
        return recur_fail(RECUR_ERR_SHAPE, "recur_rnn_forward: batch×timesteps too large");
    if (rnn->cfg.cell != RECUR_LSTM && (fio->c0 || fio->c_last))
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_forward: c0/c_last given but the cell is not an LSTM");
    const int nthr = recur_rnn_threads_for(rnn, batch);
    /* a mask without padding takes the unmasked path, bit for bit */
    const bool padded = fio->mask && recur_rnn_mask_padded(fio->mask, batch, timesteps);
    recur_status s = recur_rnn_ensure_workspace(rnn, batch, timesteps, nthr, padded);
    if (s != RECUR_OK)
        return s;
    rnn->have_forward = false;
    rnn->batch = batch;
    rnn->steps = timesteps;
    rnn->nthreads = nthr;
    recur_rnn_mask_prepare(rnn, batch, timesteps, padded ? fio->mask : NULL);
    const forward_io io = { fio->x, fio->h0, fio->c0, fio->y, fio->y_last, fio->h_last,
                            fio->c_last, (size_t)(fio->ld ? fio->ld : rnn->H), fio->reversed };

#pragma omp parallel num_threads(nthr)
    {
        const recur_fpenv fpenv = recur_fpenv_flush_denormals();
        const int tid = omp_get_thread_num(), n = omp_get_num_threads();
        float *work = rnn->ws + rnn->plan.gemm + (size_t)tid * rnn->plan.gemm_floats;
        if (rnn->plan.shards > 1) {
            /* one shard a thread; fewer threads than planned (a nested region) take turns */
            for (int k = tid; k < rnn->plan.shards; k += n)
                forward_shard(rnn, batch, timesteps, k, &io, work);
        } else {
            forward_thread(rnn, batch, timesteps, tid, n, &io, work);
        }
        recur_fpenv_restore(fpenv);
    }
    rnn->have_forward = !rnn->inference;
    return RECUR_OK;
}

recur_status recur_rnn_forward_masked(recur_rnn *rnn, int batch, int timesteps, const float *x,
                                      const uint8_t *mask, const float *h0, const float *c0,
                                      float *y, float *h_last, float *c_last)
{
    const recur_rnn_fwd_io io = { .x = x, .mask = mask, .h0 = h0, .c0 = c0, .y = y,
                                  .h_last = h_last, .c_last = c_last };
    return recur_rnn_forward_io(rnn, batch, timesteps, &io);
}

recur_status recur_rnn_forward(recur_rnn *rnn, int batch, int timesteps, const float *x,
                               const float *h0, const float *c0, float *y, float *h_last,
                               float *c_last)
{
    const recur_rnn_fwd_io io = { .x = x, .h0 = h0, .c0 = c0, .y = y, .h_last = h_last,
                                  .c_last = c_last };
    return recur_rnn_forward_io(rnn, batch, timesteps, &io);
}
