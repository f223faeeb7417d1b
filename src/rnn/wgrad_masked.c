/* Weight gradients of a masked backward, summed over the real steps only.
 *
 * The rows are gathered from wherever the layout keeps them (the general path's batch
 * order, or the ragged path's rows sorted by length and dealt to shards) into one list in a
 * fixed order: step by step, batch rows in order. Every sum runs down that list in blocks of
 * one GEMM K block (RECUR_GEMM_KC rows), each block summed from zero and added in list
 * order, so the bits depend on the mask alone: not on the path, the row order, the shards
 * or the thread count.
 *
 * Large layers split the gate columns among the threads (a GEMM over the list adds its K
 * blocks to C in that order). Small layers (those whose weight gradients the unmasked
 * engine sums in blocks, wgrad.c) split the blocks instead: one thread sums a block into a
 * partial of its own, and the partials are then added in block order, which is the same
 * arithmetic without every thread packing every row. */
#include <string.h>

#include "gemm/gemm.h"
#include "rnn/internal.h"

/* Pointers per gathered row: xt, h, dG, and GRU's dq or r ⊙ h. */
static size_t list_floats(const recur_rnn *r, int batch, int steps)
{
    const size_t lists = 3 + (r->cfg.cell == RECUR_GRU ? 1 : 0);
    return lists * (size_t)batch * (size_t)steps * sizeof(float *) / sizeof(float) + 16;
}

static size_t block_floats(const recur_rnn *r)
{
    return (size_t)(r->H + r->F + r->bias_rows) * (size_t)(r->G * r->H);
}

static int blocks_of(long long rows) { return (int)((rows + RECUR_GEMM_KC - 1) / RECUR_GEMM_KC); }

size_t recur_rnn_gather_floats(const recur_rnn *r, int batch, int steps)
{
    const size_t partials = recur_rnn_wgrad_blocked(r)
                                ? (size_t)blocks_of((long long)batch * steps) * block_floats(r)
                                : 0;
    return list_floats(r, batch, steps) + partials;
}

void recur_rnn_gather_rows(recur_rnn *r)
{
    const int B = r->batch, T = r->steps;
    const size_t cap = (size_t)B * T;
    recur_rnn_gathered *gl = &r->gather;
    const float **base = (const float **)(r->ws + r->plan.gather);
    gl->xt = base;
    gl->h = base + cap;
    gl->g = base + 2 * cap;
    gl->q = r->cfg.cell == RECUR_GRU && !r->split_u ? base + 3 * cap : NULL;
    gl->rh = r->split_u ? base + 3 * cap : NULL;
    const bool drop = recur_rnn_dropping(r);
    long long n = 0;
    for (int s = 0; s < T; s++)
        for (int b = 0; b < B; b++) {
            const int p = r->mk.slot[b];
            if (!recur_rnn_real(r, p, s))
                continue;
            gl->xt[n] = recur_rnn_row(r, RECUR_RGN_XT, B, s, p);
            /* under dropout the recurrent products' operands are the masked states */
            gl->h[n] = recur_rnn_row(r, drop ? RECUR_RGN_HDROP : RECUR_RGN_HSEQ, B, s, p);
            gl->g[n] = recur_rnn_row(r, RECUR_RGN_GATES, B, s, p);
            if (gl->q)
                gl->q[n] = recur_rnn_row(r, RECUR_RGN_REC, B, s, p);
            if (gl->rh)
                gl->rh[n] = recur_rnn_row(r, RECUR_RGN_RH, B, s, p);
            n++;
        }
    gl->n = n;
}

/* Dropout: products() gate by gate, each gate's columns from its own operands: A_q at
 * column q·H of the gathered HDROP rows (GRU reset_before's h gate: r ⊙ A_h), and under
 * input masks x_q at column q·F of the xt rows. */
static void gate_products(const recur_rnn *r, long long q0, long long q1, int j0, int j1,
                          float *du, float *dw, bool accumulate, float *work)
{
    const recur_kernels *kt = r->kt;
    const recur_rnn_gathered *gl = &r->gather;
    const int F = r->F, H = r->H, GH = r->G * r->H, k = (int)(q1 - q0);
    const bool gatewise_x = r->plan.x_masked;
    const float *const *dr = gl->q ? gl->q : gl->g;   /* GRU reset_after: dq */
    for (int q = 0; q < r->G; q++) {
        const int c0 = j0 > q * H ? j0 : q * H, c1 = j1 < (q + 1) * H ? j1 : (q + 1) * H;
        if (c1 <= c0)
            continue;
        if (gl->rh && q == 2)
            recur_sgemm_tn_gather(kt, H, c1 - c0, k, gl->rh + q0, 0, gl->g + q0, c0, du + c0,
                                  GH, accumulate, work);
        else
            recur_sgemm_tn_gather(kt, H, c1 - c0, k, gl->h + q0, q * H, dr + q0, c0, du + c0,
                                  GH, accumulate, work);
        if (gatewise_x || !recur_rnn_narrow_input(r))
            recur_sgemm_tn_gather(kt, F, c1 - c0, k, gl->xt + q0, gatewise_x ? q * F : 0,
                                  gl->g + q0, c0, dw + c0, GH, accumulate, work);
    }
}

/* Rows [q0, q1) of the list into columns [j0, j1) of du [H, GH], dw [F, GH], db
 * [bias_rows, GH], added (accumulate) or from zero. The GEMMs; a narrow input's dW and the
 * biases, rows in order, come from row_sums. */
static void products(const recur_rnn *r, long long q0, long long q1, int j0, int j1, float *du,
                     float *dw, bool accumulate, float *work)
{
    const recur_kernels *kt = r->kt;
    const recur_rnn_gathered *gl = &r->gather;
    const int H = r->H, GH = r->G * r->H, w = j1 - j0, k = (int)(q1 - q0);
    if (recur_rnn_dropping(r)) {
        gate_products(r, q0, q1, j0, j1, du, dw, accumulate, work);
        return;
    }
    /* dW[F, GH] += xtᵀ · dG */
    if (!recur_rnn_narrow_input(r))
        recur_sgemm_tn_gather(kt, r->F, w, k, gl->xt + q0, 0, gl->g + q0, j0, dw + j0, GH,
                              accumulate, work);
    /* dU[H, GH] += h_prevᵀ · dG; GRU reset_after: · dq; reset_before: the h columns from
     * r ⊙ h_prev */
    if (gl->q) {
        recur_sgemm_tn_gather(kt, H, w, k, gl->h + q0, 0, gl->q + q0, j0, du + j0, GH,
                              accumulate, work);
    } else if (gl->rh) {
        const int z1 = j1 < 2 * H ? j1 : 2 * H, h0 = j0 > 2 * H ? j0 : 2 * H;
        if (z1 > j0)
            recur_sgemm_tn_gather(kt, H, z1 - j0, k, gl->h + q0, 0, gl->g + q0, j0, du + j0,
                                  GH, accumulate, work);
        if (j1 > h0)
            recur_sgemm_tn_gather(kt, H, j1 - h0, k, gl->rh + q0, 0, gl->g + q0, h0, du + h0,
                                  GH, accumulate, work);
    } else {
        recur_sgemm_tn_gather(kt, H, w, k, gl->h + q0, 0, gl->g + q0, j0, du + j0, GH,
                              accumulate, work);
    }
}

/* Columns [j0, j1) of the sums one pass over rows [q0, q1) gives, in order: db (and GRU's
 * recurrent-side db from dq) and, for a narrow input, dW[f] += x_f · dG (a GEMM tile of
 * F < MR rows would be mostly padding, and would pack dG a second time). */
static void row_sums(const recur_rnn *r, long long q0, long long q1, int j0, int j1, float *dw,
                     float *db)
{
    const recur_kernels *kt = r->kt;
    const recur_rnn_gathered *gl = &r->gather;
    const int GH = r->G * r->H, F = r->F;
    const bool narrow = recur_rnn_narrow_input(r);
    const size_t w = (size_t)(j1 - j0);
    for (long long q = q0; q < q1; q++) {
        const float *g = gl->g[q] + j0;
        if (r->bias_rows > 0)
            kt->axpy(w, 1.0f, g, db + j0);
        if (r->bias_rows == 2)
            kt->axpy(w, 1.0f, gl->q[q] + j0, db + GH + j0);
        for (int f = 0; narrow && f < F; f++)
            kt->axpy(w, gl->xt[q][f], g, dw + (size_t)f * GH + j0);
    }
}

void recur_rnn_gathered_gradients(recur_rnn *r, int tid, int n, float *work)
{
    const int GH = r->G * r->H;
    const long long rows = r->gather.n;
    if (!recur_rnn_wgrad_blocked(r)) {
        /* columns in units of 8, as the unmasked backward splits them */
        int j0, j1;
        recur_split_range(GH, 8, tid, n, &j0, &j1);
        if (j1 > j0 && rows > 0) {
            products(r, 0, rows, j0, j1, r->drec_kernel, r->dkernel, true, work);
            row_sums(r, 0, rows, j0, j1, r->dkernel, r->dbias);
        }
        return;
    }
    const int nblk = blocks_of(rows);
    const size_t per = block_floats(r), nu = (size_t)r->H * GH, nw = (size_t)r->F * GH;
    float *part = r->ws + r->plan.gather + list_floats(r, r->batch, r->steps);
    int k0, k1;
    recur_split_range(nblk, 1, tid, n, &k0, &k1);
    for (int k = k0; k < k1; k++) {
        const long long q0 = (long long)k * RECUR_GEMM_KC;
        const long long q1 = q0 + RECUR_GEMM_KC < rows ? q0 + RECUR_GEMM_KC : rows;
        float *pk = part + (size_t)k * per;
        memset(pk + nu, 0, (per - nu) * sizeof(float));   /* the row sums add to it */
        products(r, q0, q1, 0, GH, pk, pk + nu, false, work);
        row_sums(r, q0, q1, 0, GH, pk + nu, pk + nu + nw);
    }
    if (n > 1) {
#pragma omp barrier   /* every block's partials are written */
    }
    recur_rnn_add_partials(r, part, (size_t)nblk, tid, n);
}
