/* Weight gradients of a masked backward, summed over the real steps only.
 *
 * The rows are gathered from wherever the layout keeps them (the general path's batch
 * order, or the ragged path's rows sorted by length and dealt to shards) into one list in a
 * fixed order: step by step, batch rows in order. Every sum runs down that list in blocks of
 * one GEMM K block, so the bits depend on the mask alone: not on the path, the row order,
 * the shards or the thread count. Threads split the gate columns, which does not change any
 * column's sum. */
#include "gemm/gemm.h"
#include "rnn/internal.h"

size_t recur_rnn_gather_floats(const recur_rnn *r, int batch, int steps)
{
    const size_t lists = 3 + (r->cfg.cell == RECUR_GRU ? 1 : 0);   /* xt, h, g, and q or rh */
    const size_t pointers = lists * (size_t)batch * (size_t)steps;
    return pointers * sizeof(float *) / sizeof(float) + 16;
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
    long long n = 0;
    for (int s = 0; s < T; s++)
        for (int b = 0; b < B; b++) {
            const int p = r->mk.slot[b];
            if (!recur_rnn_real(r, p, s))
                continue;
            gl->xt[n] = recur_rnn_row(r, RECUR_RGN_XT, B, s, p);
            gl->h[n] = recur_rnn_row(r, RECUR_RGN_HSEQ, B, s, p);
            gl->g[n] = recur_rnn_row(r, RECUR_RGN_GATES, B, s, p);
            if (gl->q)
                gl->q[n] = recur_rnn_row(r, RECUR_RGN_REC, B, s, p);
            if (gl->rh)
                gl->rh[n] = recur_rnn_row(r, RECUR_RGN_RH, B, s, p);
            n++;
        }
    gl->n = n;
}

/* Columns [j0, j1) of the sums one pass over the rows gives, rows in list order: db (and
 * GRU's recurrent-side db from dq) and, for a narrow input, dW[f] += x_f · dG (a GEMM
 * tile of F < MR rows would be mostly padding, and would pack dG a second time). */
static void row_sums(const recur_rnn *r, int j0, int j1, bool narrow)
{
    const recur_kernels *kt = r->kt;
    const recur_rnn_gathered *gl = &r->gather;
    const int GH = r->G * r->H, F = r->F;
    const size_t w = (size_t)(j1 - j0);
    for (long long q = 0; q < gl->n; q++) {
        const float *g = gl->g[q] + j0;
        if (r->bias_rows > 0)
            kt->axpy(w, 1.0f, g, r->dbias + j0);
        if (r->bias_rows == 2)
            kt->axpy(w, 1.0f, gl->q[q] + j0, r->dbias + GH + j0);
        for (int f = 0; narrow && f < F; f++)
            kt->axpy(w, gl->xt[q][f], g, r->dkernel + (size_t)f * GH + j0);
    }
}

void recur_rnn_gathered_gradients(recur_rnn *r, int j0, int j1, float *work)
{
    const recur_kernels *kt = r->kt;
    const recur_rnn_gathered *gl = &r->gather;
    const int H = r->H, GH = r->G * r->H, w = j1 - j0, k = (int)gl->n;
    if (w <= 0 || k == 0)
        return;
    const bool narrow = recur_rnn_narrow_input(r);
    /* dW[F, GH] += xtᵀ · dG (a narrow input's with the row sums below) */
    if (!narrow)
        recur_sgemm_tn_gather(kt, r->F, w, k, gl->xt, 0, gl->g, j0, r->dkernel + j0, GH, true,
                              work);
    /* dU[H, GH] += h_prevᵀ · dG; GRU reset_after: · dq; reset_before: the h columns from
     * r ⊙ h_prev */
    if (gl->q) {
        recur_sgemm_tn_gather(kt, H, w, k, gl->h, 0, gl->q, j0, r->drec_kernel + j0, GH, true,
                              work);
    } else if (gl->rh) {
        const int z1 = j1 < 2 * H ? j1 : 2 * H, h0 = j0 > 2 * H ? j0 : 2 * H;
        if (z1 > j0)
            recur_sgemm_tn_gather(kt, H, z1 - j0, k, gl->h, 0, gl->g, j0, r->drec_kernel + j0,
                                  GH, true, work);
        if (j1 > h0)
            recur_sgemm_tn_gather(kt, H, j1 - h0, k, gl->rh, 0, gl->g, h0,
                                  r->drec_kernel + h0, GH, true, work);
    } else {
        recur_sgemm_tn_gather(kt, H, w, k, gl->h, 0, gl->g, j0, r->drec_kernel + j0, GH, true,
                              work);
    }
    row_sums(r, j0, j1, narrow);
}
