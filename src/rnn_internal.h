/* Internal: the recurrent layer's state and memory plan.
 *
 * Internally every sequence is time-major, so the rows of one time step are contiguous and
 * each thread's batch shard is one block: xt [T,B,F], gates [T,B,G·H], hseq [T+1,B,H]
 * (slot 0 is h0), cseq [T+1,B,H] (LSTM). Step s of the internal sequence reads x[:, T-1-s]
 * when go_backwards, and writes y[:, s], which is Keras's output order. */
#ifndef RECUR_RNN_INTERNAL_H
#define RECUR_RNN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <recur/rnn.h>

#include "../simd/kernels.h"

/* Offsets (in floats) of the workspace regions for one (batch, timesteps, threads).
 * The per-step regions hold `chunk` steps: all T in training mode, fewer in inference. */
typedef struct {
    int chunk;
    int step_slots;            /* steps xt, gates, rec and rh hold: chunk, or 1 when each
                                * step is projected and consumed at once and nothing is
                                * kept (narrow-input inference under a batch split) */
    bool unit_split;           /* threads own hidden-unit slices, not batch rows */
    size_t gemm_floats;        /* per thread: GEMM packing space (recur_gemm_work_floats) */
    bool wgrad_blocked;        /* small layers: weight gradients in blocks summed by the
                                * threads owning their rows (src/rnn_wgrad.c); otherwise one
                                * GEMM over all rows, columns split among threads */
    size_t wpart_floats;       /* per-block partials when threads > 1 share those blocks */
    size_t xt, gates, rec, rh, hseq, cseq, dh, dc, drh, wpart, gemm, total;
} recur_rnn_plan;

/* How the recurrence is divided among threads (src/rnn_parallel.c); RECUR_SPLIT overrides. */
typedef enum { RECUR_SPLIT_AUTO, RECUR_SPLIT_BATCH, RECUR_SPLIT_UNITS } recur_rnn_split;

struct recur_rnn {
    recur_rnn_config cfg;      /* defaults resolved */
    int F, H, G;               /* input size, units, gate blocks */
    int bias_rows;             /* 0 (no bias), 1, or 2 (GRU reset_after) */
    bool split_u;              /* GRU reset_before: U_zr and U_h are separate GEMMs */
    const recur_kernels *kt;
    int threads;               /* 0: OpenMP default */
    recur_rnn_split split;

    /* parameters: one block holding weights, gradients and packed copies */
    void *params;
    float *kernel, *rec_kernel, *bias;        /* Keras layout */
    float *dkernel, *drec_kernel, *dbias;
    float *w_pk, *wt_pk;       /* W [F, GH] and Wᵀ [GH, F] packed as GEMM B operands */
    float *u_pk, *ut_pk;       /* U [H, GH] and Uᵀ [GH, H]; split_u: the z,r columns only */
    float *uh_pk, *uht_pk;     /* split_u: U_h [H, H] and U_hᵀ */

    /* workspace: grows to the largest plan seen, then stays */
    float *ws;
    size_t cap_floats;
    recur_rnn_plan plan;
    bool inference;            /* forward keeps no activations */

    /* the last forward, for backward */
    bool have_forward;
    int batch, steps, nthreads;
};

void recur_rnn_make_plan(const recur_rnn *rnn, int batch, int steps, int threads,
                         recur_rnn_plan *plan);
recur_status recur_rnn_ensure_workspace(recur_rnn *rnn, int batch, int steps, int threads);
int recur_rnn_threads_for(const recur_rnn *rnn, int batch);
recur_status recur_rnn_parse_split(const char *value, recur_rnn_split *out);
bool recur_rnn_unit_split(const recur_rnn *rnn, int batch, int threads);

/* One thread's share of a recurrence: batch rows [b0, b1) × hidden units [j0, j1). With a
 * unit split every thread has all rows and meets the others at a barrier after each step. */
typedef struct {
    int b0, b1, j0, j1;
    bool barrier;
} recur_rnn_share;
void recur_rnn_share_of(const recur_rnn *rnn, int batch, int tid, int nthreads,
                        recur_rnn_share *sh);

/* F narrower than a GEMM row tile: the input products run as row updates and dots. */
static inline bool recur_rnn_narrow_input(const recur_rnn *r) { return r->F < r->kt->mr; }

/* Row, in xt, gates, rec and rh, of batch row 0 of step s of the chunk. */
static inline size_t recur_rnn_step_row(const recur_rnn *r, int batch, int s)
{
    return r->plan.step_slots == 1 ? 0 : (size_t)s * (size_t)batch;
}

/* One step's recurrent product for units [j0, j1) of each of `blocks` gate blocks:
 * out[rows, q·H + j] (+)= A · U[:, q·H + j] (+ bias[q·H + j] when not accumulating),
 * A row-major (rows × K, lda apart, read in place), U packed by recur_pack_b
 * (K × blocks·H). A slice (not [0, H)) needs H and j0 multiples of NR. */
typedef struct {
    int rows, H, K, blocks, j0, j1;
    const float *a;
    int lda;
    const float *upk;
    float *out;
    int ldo;
    bool accumulate;
    const float *bias;         /* [blocks·H], or NULL; only without accumulate */
} recur_rnn_step_product;
void recur_rnn_rec_gemm(const recur_kernels *kt, const recur_rnn_step_product *p);

/* Small layers' weight gradients (src/rnn_wgrad.c), in blocks of one batch group of this
 * many rows over a run of time steps, each summed by the thread that owns those rows. */
#define RECUR_RNN_WGRAD_GROUP 8
bool recur_rnn_wgrad_blocked(const recur_rnn *rnn);
/* Floats of the per-block partial sums for this batch and step count. */
size_t recur_rnn_wgrad_part_floats(const recur_rnn *rnn, int batch, int steps);
/* Adds this backward's dU, dW and db to the gradients: called by every thread of the
 * backward's parallel region (it has a barrier when the blocks are shared). */
void recur_rnn_block_gradients(recur_rnn *rnn, int batch, int steps, int tid, int nthreads,
                               const recur_rnn_share *sh, float *work);

/* Rows [b0, b1) of a [batch, H] state: copied from src, or zeros when src is NULL (h0, c0,
 * and the gradients that seed backward). */
void recur_rnn_seed_rows(float *dst, const float *src, int H, int b0, int b1);

/* [lo, hi) of `n` items for thread `tid` of `nthr`, in whole multiples of `unit` where possible. */
void recur_split_range(int n, int unit, int tid, int nthr, int *lo, int *hi);

#endif
