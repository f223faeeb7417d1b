/* Weight gradients of small layers, computed where the data already is.
 *
 * After a batch-split backward each thread holds dG, h_prev and x of its own batch rows in
 * its caches. Splitting the weight-gradient sums by gate columns (as large layers do) makes
 * every thread read the other threads' rows, and the next forward then has to take those
 * lines back: for the seed's layers that traffic cost more than the sums themselves.
 *
 * So the rows are cut into blocks of one batch group (RECUR_RNN_WGRAD_GROUP rows) over a
 * run of time steps (at most one GEMM K block of rows), each block's dU, dW and db are
 * summed by the thread that owns the group's rows, and the blocks' partial sums are added
 * to the gradients in a fixed block order. The blocks and that order depend only on the
 * batch and step counts, so the bits do not depend on the thread count; one thread adds
 * each block straight into the gradients in the same order, which gives the same bits (a
 * block's sum starts from zero in registers either way, and is then added). */
#include <string.h>

#include "gemm/gemm.h"
#include "rnn/internal.h"

/* Time steps per block: one batch group's rows over them fill one GEMM K block (a block
 * the GEMM split further would be added in a different order by one thread than by many). */
enum { WGRAD_STEPS = RECUR_GEMM_KC / RECUR_RNN_WGRAD_GROUP };
_Static_assert(RECUR_GEMM_KC >= RECUR_RNN_WGRAD_GROUP, "one step of a group must fit a K block");

static int groups_of(int batch)
{
    return (batch + RECUR_RNN_WGRAD_GROUP - 1) / RECUR_RNN_WGRAD_GROUP;
}

static int step_blocks_of(int steps) { return (steps + WGRAD_STEPS - 1) / WGRAD_STEPS; }

bool recur_rnn_wgrad_blocked(const recur_rnn *r)
{
    if (recur_rnn_drop_planned(r))
        return false;   /* dropout's gate-wise products run in one pass over all rows */
    /* the partials must stay small: 64 Ki floats of products per block */
    const size_t wide_f = r->F < r->kt->mr ? 0 : (size_t)r->F;
    return ((size_t)r->H + wide_f) * (size_t)r->G * (size_t)r->H <= 65536;
}

size_t recur_rnn_wgrad_part_floats(const recur_rnn *r, int batch, int steps)
{
    const size_t per = (size_t)(r->H + r->F + r->bias_rows) * (size_t)(r->G * r->H);
    return (size_t)groups_of(batch) * (size_t)step_blocks_of(steps) * per;
}

/* One block: steps [s0, s1) of batch group g, into dU [H, GH], dW [F, GH], db [bias_rows,
 * GH]. Partials (accumulate false) are overwritten; otherwise the sums are added. */
static void block_sums(const recur_rnn *r, int B, int g, int s0, int s1, float *du, float *dw,
                       float *db, bool accumulate, float *work)
{
    const recur_kernels *kt = r->kt;
    const int F = r->F, H = r->H, GH = r->G * r->H;
    const int b0 = g * RECUR_RNN_WGRAD_GROUP;
    const int grp = B - b0 < RECUR_RNN_WGRAD_GROUP ? B - b0 : RECUR_RNN_WGRAD_GROUP;
    const int K = (s1 - s0) * grp;
    /* rows grp at a time, a step apart: B rows, or the shard's in a sharded plan (a group
     * never straddles two shards) */
    const int gstride = recur_rnn_step_rows(r, B, b0);
    const float *dg = recur_rnn_row(r, RECUR_RGN_GATES, B, s0, b0);
    const float *hp = recur_rnn_row(r, RECUR_RGN_HSEQ, B, s0, b0);
    const float *xt = recur_rnn_row(r, RECUR_RGN_XT, B, s0, b0);
    const float *q = recur_rnn_row(r, RECUR_RGN_REC, B, s0, b0);
    if (!accumulate) {   /* the column sums add to what is there */
        memset(db, 0, (size_t)r->bias_rows * GH * sizeof(float));
        if (recur_rnn_narrow_input(r))
            memset(dw, 0, (size_t)F * GH * sizeof(float));
    }
    /* dU = h_prevᵀ · dG (GRU reset_after: · dq; reset_before: the h columns from r ⊙ h_prev) */
    if (r->cfg.cell == RECUR_GRU && !r->split_u) {
        recur_sgemm_tn_grouped(kt, H, GH, K, hp, H, q, GH, grp, gstride, du, GH, accumulate,
                               work);
    } else if (r->split_u) {
        recur_sgemm_tn_grouped(kt, H, 2 * H, K, hp, H, dg, GH, grp, gstride, du, GH,
                               accumulate, work);
        recur_sgemm_tn_grouped(kt, H, H, K, recur_rnn_row(r, RECUR_RGN_RH, B, s0, b0), H,
                               dg + 2 * H, GH, grp, gstride, du + 2 * H, GH, accumulate, work);
    } else {
        recur_sgemm_tn_grouped(kt, H, GH, K, hp, H, dg, GH, grp, gstride, du, GH, accumulate,
                               work);
    }
    /* dW = xtᵀ · dG; a narrow input as weighted column sums (a GEMM tile would be padding) */
    if (recur_rnn_narrow_input(r)) {
        for (int f = 0; f < F; f++)
            kt->colsum((size_t)K, (size_t)GH, dg, (size_t)GH, xt + f, (size_t)F, (size_t)grp,
                       (size_t)gstride, dw + (size_t)f * GH);
    } else {
        recur_sgemm_tn_grouped(kt, F, GH, K, xt, F, dg, GH, grp, gstride, dw, GH, accumulate,
                               work);
    }
    if (r->bias_rows > 0) {
        kt->colsum((size_t)K, (size_t)GH, dg, (size_t)GH, NULL, 0, (size_t)grp,
                   (size_t)gstride, db);
        if (r->bias_rows == 2)
            kt->colsum((size_t)K, (size_t)GH, q, (size_t)GH, NULL, 0, (size_t)grp,
                       (size_t)gstride, db + GH);
    }
}

/* The batch groups of rows [lo, hi), which start on a group. */
static void groups_in(int lo, int hi, int *g0, int *g1)
{
    *g0 = lo / RECUR_RNN_WGRAD_GROUP;
    *g1 = (hi + RECUR_RNN_WGRAD_GROUP - 1) / RECUR_RNN_WGRAD_GROUP;
}

/* The batch groups thread tid sums in a one-shard plan: those whose first row is in its
 * batch rows (a unit split has no batch rows: the groups are divided evenly). */
static void my_groups(const recur_rnn *r, int B, int tid, int n, const recur_rnn_share *sh,
                      int *g0, int *g1)
{
    if (sh->barrier) {
        recur_split_range(groups_of(B), 1, tid, n, g0, g1);
        return;
    }
    int lo, hi;
    recur_split_range(B, 1, tid, n, &lo, &hi);
    *g0 = (lo + RECUR_RNN_WGRAD_GROUP - 1) / RECUR_RNN_WGRAD_GROUP;
    *g1 = (hi + RECUR_RNN_WGRAD_GROUP - 1) / RECUR_RNN_WGRAD_GROUP;
}

/* The blocks of batch groups [g0, g1), every step block: into their partials (part), or
 * added straight into the gradients in block order (part NULL). */
static void sum_groups(recur_rnn *r, int B, int T, int g0, int g1, float *part, float *work)
{
    const int GH = r->G * r->H, nsb = step_blocks_of(T);
    const size_t nu = (size_t)r->H * GH, nw = (size_t)r->F * GH;
    const size_t per = nu + nw + (size_t)r->bias_rows * GH;
    for (int g = g0; g < g1; g++)
        for (int sb = 0; sb < nsb; sb++) {
            const int s0 = sb * WGRAD_STEPS, s1 = s0 + WGRAD_STEPS < T ? s0 + WGRAD_STEPS : T;
            if (part) {
                float *p = part + ((size_t)g * nsb + sb) * per;
                block_sums(r, B, g, s0, s1, p, p + nu, p + nu + nw, false, work);
            } else {
                block_sums(r, B, g, s0, s1, r->drec_kernel, r->dkernel, r->dbias, true, work);
            }
        }
}

void recur_rnn_block_gradients(recur_rnn *r, int B, int T, int tid, int n,
                               const recur_rnn_share *sh, float *work)
{
    const int nsb = step_blocks_of(T);
    float *part = r->ws + r->plan.wpart;
    if (n < 2 || r->plan.wpart_floats == 0) {   /* not shared: thread 0 adds every block */
        if (tid == 0)
            sum_groups(r, B, T, 0, groups_of(B), NULL, work);
        return;
    }
    if (r->plan.shards > 1) {   /* the groups of the shards this thread ran */
        for (int k = tid; k < r->plan.shards; k += n) {
            int lo, hi, g0, g1;
            recur_split_range(B, 1, k, r->plan.shards, &lo, &hi);
            groups_in(lo, hi, &g0, &g1);
            sum_groups(r, B, T, g0, g1, part, work);
        }
    } else {
        int g0, g1;
        my_groups(r, B, tid, n, sh, &g0, &g1);
        sum_groups(r, B, T, g0, g1, part, work);
    }
#pragma omp barrier   /* every block's partials are written */
    recur_rnn_add_partials(r, part, (size_t)groups_of(B) * (size_t)nsb, tid, n);
}

void recur_rnn_add_partials(recur_rnn *r, const float *part, size_t nblk, int tid, int n)
{
    const int H = r->H, F = r->F, GH = r->G * r->H;
    const size_t nu = (size_t)H * GH, nw = (size_t)F * GH, nb = (size_t)r->bias_rows * GH;
    const size_t per = nu + nw + nb;
    /* each thread adds a slice of the elements, over all blocks in block order */
    int e0, e1;
    recur_split_range((int)per, 16, tid, n, &e0, &e1);
    float *const dst[3] = { r->drec_kernel, r->dkernel, r->dbias };
    const size_t start[3] = { 0, nu, nu + nw }, end[3] = { nu, nu + nw, per };
    for (size_t k = 0; k < nblk; k++) {
        const float *pk = part + k * per;
        for (int d = 0; d < 3; d++) {
            size_t a = (size_t)e0 > start[d] ? (size_t)e0 : start[d];
            size_t b = (size_t)e1 < end[d] ? (size_t)e1 : end[d];
            if (b > a)
                r->kt->axpy(b - a, 1.0f, pk + a, dst[d] + (a - start[d]));
        }
    }
}
