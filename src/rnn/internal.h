/* Internal: the recurrent layer's state and memory plan.
 *
 * Internally every sequence is time-major: xt [T,B,F], gates [T,B,G·H], hseq [T+1,B,H]
 * (slot 0 is h0), cseq [T+1,B,H] (LSTM). Step s of the internal sequence reads x[:, T-1-s]
 * when go_backwards, and writes y[:, s], which is Keras's output order.
 *
 * A step-indexed region is laid out in one of two ways (recur_rnn_row finds a row):
 * - one shard: the rows of step s are rows [s·B, s·B + B), and each thread's batch rows
 *   sit beside the other threads' in every step;
 * - sharded (threads own batch rows and nothing needs all rows in order): each batch shard
 *   has a slab of its own, its rows of step s at s·(b1 − b0), slabs 1 KB apart. A thread
 *   then never writes a cache line, or the start of a line stream, that another thread
 *   writes: with the rows side by side, one core's stream prefetcher pulled the start of
 *   the next thread's rows every step, and the seed's layers ran up to 2x slower on two
 *   threads than as two independent half batches. */
#ifndef RECUR_RNN_INTERNAL_H
#define RECUR_RNN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <recur/rnn.h>

#include "simd/kernels.h"

/* The step-indexed regions of the workspace. */
typedef enum {
    RECUR_RGN_XT,              /* [steps, B, F]    the input, time-major */
    RECUR_RGN_GATES,           /* [steps, B, G·H]  preactivations, then activations, then dG */
    RECUR_RGN_REC,             /* [steps, B, G·H]  GRU reset_after: h·U + b_rec */
    RECUR_RGN_RH,              /* [steps, B, H]    GRU reset_before: r ⊙ h_prev */
    RECUR_RGN_HSEQ,            /* [steps + 1, B, H] */
    RECUR_RGN_CSEQ,            /* [steps + 1, B, H] LSTM */
    RECUR_RGN_TC,              /* [steps, B, H]    LSTM training: act(c) of each step */
    RECUR_RGN_DH,              /* [B, H] the backward's carries */
    RECUR_RGN_DC,
    RECUR_RGN_DRH,
    RECUR_RGN_FINAL_H,         /* [B, H] masked: a row's state after its last real step */
    RECUR_RGN_FINAL_C,
    RECUR_RGN_SAVE_DH,         /* [B, H] masked backward: the carries of masked rows */
    RECUR_RGN_SAVE_DC,
    RECUR_RGN_HDROP,           /* [steps, B, G·H]  dropout: h_prev ⊙ mask of each gate */
    RECUR_RGN_DDROP,           /* [2, B, H] dropout: GRU's A_h, and one gate's dh part */
    RECUR_RGN_COUNT
} recur_rnn_rgn;

typedef struct {
    size_t off;                /* floats from the workspace start */
    size_t slab;               /* floats from one shard's slab to the next */
    int width, steps;          /* floats per row; steps held (1: one slot, reused) */
} recur_rnn_region;

/* Offsets (in floats) of the workspace regions for one (batch, timesteps, threads).
 * The per-step regions hold `chunk` steps: all T in training mode, fewer in inference. */
typedef struct {
    int chunk;
    int step_slots;            /* steps xt, gates, rec and rh hold: chunk, or 1 when each
                                * step is projected and consumed at once and nothing is
                                * kept (narrow-input inference under a batch split) */
    bool unit_split;           /* threads own hidden-unit slices, not batch rows */
    int shards;                /* 1, or the batch shards with slabs of their own */
    size_t gemm_floats;        /* per thread: GEMM packing space (recur_gemm_work_floats) */
    bool wgrad_blocked;        /* small layers: weight gradients in blocks summed by the
                                * threads owning their rows (src/rnn/wgrad.c); otherwise one
                                * GEMM over all rows, columns split among threads */
    size_t wpart_floats;       /* per-block partials when threads > 1 share those blocks */
    bool masked;               /* planned for masks: their tables, and (training) the
                                * gathered rows of the weight gradients (src/rnn/mask.c) */
    bool dropout;              /* planned for dropout masks (src/rnn/dropout.c) */
    bool x_masked;             /* input dropout masks: xt holds a masked copy per gate */
    int x_width;               /* floats per xt row: F, or G·F with input masks */
    recur_rnn_region rgn[RECUR_RGN_COUNT];
    size_t wpart, mask, gather, gemm, total;
} recur_rnn_plan;

/* The mask of the last forward, in the direction of processing (src/rnn/mask.c). Rows are
 * internal rows p; perm maps them to batch rows (identity unless ragged). */
typedef struct {
    bool on;                   /* the batch has padding: a masked path runs */
    bool ragged;               /* every row's real steps are one run and the active rows
                                * are a prefix of each shard's rows at every step */
    bool zero_output;          /* masked steps output zeros (cfg.zero_output_for_mask) */
    const uint8_t *real;       /* general: [B, T], 1 where step s of row p is real */
    int *perm, *slot;          /* internal row → batch row, and back */
    int *first, *count;        /* per internal row: first real step (T if none), real steps */
    int *active;               /* ragged: [shards, T] active rows of shard k at step s */
} recur_rnn_mask;

/* The real (step, row) pairs of a masked backward in the order every masked weight
 * gradient sums them: step by step, batch rows in order (src/rnn/wgrad_masked.c). */
typedef struct {
    long long n;
    const float **xt, **h, **rh, **g, **q;
} recur_rnn_gathered;

/* Keras 3's recurrent dropout (src/rnn/dropout.c): per batch row, a mask per gate block
 * for the previous state in that gate's recurrent product, and optionally one per gate for
 * the input. The products run gate by gate on packings of each gate's columns. */
typedef struct {
    bool planned, inputs;      /* masks may come (and input masks): the packings exist */
    float *block;              /* the packings below */
    float *u[4], *ut[4];       /* U_q [H, H] and U_qᵀ packed */
    float *w[4], *wt[4];       /* W_q [F, H] and W_qᵀ [H, F] packed (inputs) */
    const float *in, *rec;     /* this forward's masks [B, G, F], [B, G, H], or NULL */
} recur_rnn_dropout;

/* How the recurrence is divided among threads (src/rnn/parallel.c); RECUR_SPLIT overrides. */
typedef enum { RECUR_SPLIT_AUTO, RECUR_SPLIT_BATCH, RECUR_SPLIT_UNITS } recur_rnn_split;

struct recur_rnn {
    recur_rnn_config cfg;      /* defaults resolved */
    int F, H, G;               /* input size, units, gate blocks */
    int bias_rows;             /* 0 (no bias), 1, or 2 (GRU reset_after) */
    bool split_u;              /* GRU reset_before: U_zr and U_h are separate GEMMs */
    const recur_kernels *kt;
    int threads;               /* 0: OpenMP default */
    recur_rnn_split split;
    bool ragged_off;           /* RECUR_RAGGED=off: padded batches take the general path */

    /* weights and gradients in Keras layout: the layer's own block (own), or the model's */
    void *own;
    float *kernel, *rec_kernel, *bias;
    float *dkernel, *drec_kernel, *dbias;
    void *packed;              /* the packed copies below */
    float *w_pk, *wt_pk;       /* W [F, GH] and Wᵀ [GH, F] packed as GEMM B operands */
    float *u_pk, *ut_pk;       /* U [H, GH] and Uᵀ [GH, H]; split_u: the z,r columns only */
    float *uh_pk, *uht_pk;     /* split_u: U_h [H, H] and U_hᵀ */

    /* workspace: grows to the largest plan seen, then stays */
    float *ws;
    size_t cap_floats;
    recur_rnn_plan plan;
    bool inference;            /* forward keeps no activations */

    recur_rnn_dropout drop;

    /* the layout of this backward's dy and dy_last (recur_rnn_bwd_io) */
    size_t dy_ld;
    bool dy_reversed;

    /* the last forward, for backward */
    bool have_forward;
    int batch, steps, nthreads;
    recur_rnn_mask mk;
    recur_rnn_gathered gather;
};

void recur_rnn_make_plan(const recur_rnn *rnn, int batch, int steps, int threads, bool masked,
                         bool dropout, recur_rnn_plan *plan);
recur_status recur_rnn_ensure_workspace(recur_rnn *rnn, int batch, int steps, int threads,
                                        bool masked);

/* ---- masks (src/rnn/mask.c) ---- */
/* Whether a mask [B, T] masks any step. */
bool recur_rnn_mask_padded(const uint8_t *mask, int batch, int steps);
/* Floats of the mask tables for this shape. */
size_t recur_rnn_mask_floats(int batch, int steps, int shards);
/* Read the caller's mask [B, T] (NULL: none) into r->mk for the planned layout: whether it
 * has padding, whether it is ragged, the row order and the per-row runs. */
void recur_rnn_mask_prepare(recur_rnn *r, int batch, int steps, const uint8_t *mask);

/* Whether step s (processing order) of internal row p is real. */
static inline bool recur_rnn_real(const recur_rnn *r, int p, int s)
{
    const recur_rnn_mask *mk = &r->mk;
    if (!mk->on)
        return true;
    if (mk->ragged)
        return s >= mk->first[p] && s < mk->first[p] + mk->count[p];
    return mk->real[(size_t)p * r->steps + s] != 0;
}

/* Whether the output of step s of row p is zeros: before its first real step, or at a
 * masked step with zero_output_for_mask. */
static inline bool recur_rnn_out_zero(const recur_rnn *r, int p, int s)
{
    const recur_rnn_mask *mk = &r->mk;
    return mk->on && (s < mk->first[p] || (mk->zero_output && !recur_rnn_real(r, p, s)));
}

/* Ragged: the rows of shard k active at step s, the first ones of the shard. */
static inline int recur_rnn_active(const recur_rnn *r, int k, int s, int shard_rows)
{
    return r->mk.on && r->mk.ragged ? r->mk.active[(size_t)k * r->steps + s] : shard_rows;
}

/* The batch row of internal row p. */
static inline int recur_rnn_batch_row(const recur_rnn *r, int p)
{
    return r->mk.on && r->mk.ragged ? r->mk.perm[p] : p;
}

/* ---- masked weight gradients (src/rnn/wgrad_masked.c) ---- */
/* Floats of the gathered row lists for this shape (training). */
size_t recur_rnn_gather_floats(const recur_rnn *r, int batch, int steps);
/* List the real (step, row) pairs of the last forward; before the backward's parallel
 * region. */
void recur_rnn_gather_rows(recur_rnn *r);
/* dU, dW and db from the gathered rows; called by every thread tid of n (with a barrier
 * inside for small layers). The sums depend on neither. */
void recur_rnn_gathered_gradients(recur_rnn *r, int tid, int n, float *work);
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

/* F narrower than a GEMM row tile: the input products run as row updates and dots (not
 * under input dropout masks, whose products run gate by gate). */
static inline bool recur_rnn_narrow_input(const recur_rnn *r)
{
    return r->F < r->kt->mr && !r->plan.x_masked;
}

/* ---- dropout (src/rnn/dropout.c) ---- */
/* This training forward (and its backward) applies dropout masks. */
static inline bool recur_rnn_dropping(const recur_rnn *r)
{
    return !r->inference && r->drop.rec != NULL;
}
/* Training with dropout planned: the plan keeps to what the dropout products support (a
 * batch split, every row computed, weight gradients in one pass). */
static inline bool recur_rnn_drop_planned(const recur_rnn *r)
{
    return r->drop.planned && !r->inference;
}
/* Pack each gate's columns of the current weights (after every weight change). */
void recur_rnn_pack_dropout(recur_rnn *r);
/* A[i, q·H + j] = hp[i, j] · mask[b, q, j] for `rows` rows from internal row p0 (hp and A
 * with row strides H and G·H). */
void recur_rnn_drop_states(const recur_rnn *r, int p0, int rows, const float *hp, float *A);
/* dh[i, j] (+)= t[i, j] · mask[b, q, j] for `rows` rows from internal row p0 (first: =). */
void recur_rnn_drop_add(const recur_rnn *r, int p0, int rows, int q, const float *t, float *dh,
                        bool first);
/* xt row of batch row b: its G copies of x, each times the gate's input mask. */
void recur_rnn_drop_stage(const recur_rnn *r, int b, const float *x, float *out);
/* gates[rows, G·H] = bias + Σ_q xt_q · W_q for rows of G·F floats. */
void recur_rnn_drop_project(const recur_rnn *r, int rows, const float *xt, float *gates,
                            float *work);
/* The weight products of dropout's gate-wise operands over `rows` time-major rows, columns
 * [j0, j1): dU from the masked states (GRU reset_before's h gate from r ⊙ h_prev, as
 * without dropout), dW from the masked inputs when input masks came. */
void recur_rnn_drop_weight_products(const recur_rnn *r, int rows, int j0, int j1, float *work);
/* dX of `rows` contiguous rows starting at step s, row p (one shard's, running on through
 * the steps): Σ_q (dG_q · W_qᵀ) ⊙ mask_q, each gate's product first into its xt slice. */
void recur_rnn_drop_input_gradient(recur_rnn *r, int B, int T, float *dx, int s, int p,
                                   int rows, float *work);

/* The batch shard holding row b: its index, and its rows [*lo, *hi). One shard holds all. */
static inline int recur_rnn_shard(const recur_rnn_plan *p, int batch, int b, int *lo, int *hi)
{
    if (p->shards <= 1) {
        *lo = 0;
        *hi = batch;
        return 0;
    }
    /* the inverse of recur_split_range(batch, 1, k, shards) */
    const int per = batch / p->shards, extra = batch % p->shards;
    const int k = b < extra * (per + 1) ? b / (per + 1) : extra + (b - extra * (per + 1)) / per;
    *lo = k * per + (k < extra ? k : extra);
    *hi = *lo + per + (k < extra ? 1 : 0);
    return k;
}

/* Row b (a batch row) of step s in region g. The rows of one shard at one step are
 * contiguous; recur_rnn_step_rows of them lie between step s and s + 1. A one-slot region
 * holds every step in slot 0. */
static inline float *recur_rnn_row(const recur_rnn *r, recur_rnn_rgn g, int batch, int s, int b)
{
    const recur_rnn_region *rg = &r->plan.rgn[g];
    int lo, hi;
    const int k = recur_rnn_shard(&r->plan, batch, b, &lo, &hi);
    const size_t step = rg->steps == 1 ? 0 : (size_t)s;
    return r->ws + rg->off + (size_t)k * rg->slab +
           (step * (size_t)(hi - lo) + (size_t)(b - lo)) * (size_t)rg->width;
}

/* Of rows [b0, b1) (inside one shard), how many are active at step s: all, or under a
 * ragged mask those among the shard's first active ones. */
static inline int recur_rnn_active_rows(const recur_rnn *r, int batch, int b0, int b1, int s)
{
    if (!(r->mk.on && r->mk.ragged) || b1 <= b0)
        return b1 - b0;
    int lo, hi;
    const int k = recur_rnn_shard(&r->plan, batch, b0, &lo, &hi);
    const int end = lo + recur_rnn_active(r, k, s, hi - lo);
    return end < b0 ? 0 : (end < b1 ? end : b1) - b0;
}

/* Rows between one step and the next in the shard holding batch row b. */
static inline int recur_rnn_step_rows(const recur_rnn *r, int batch, int b)
{
    int lo, hi;
    recur_rnn_shard(&r->plan, batch, b, &lo, &hi);
    return hi - lo;
}

/* Row b of step 0 of region g and the floats from a step to the next (0 in a one-slot
 * region): for walking one shard's rows step by step without recomputing the shard. */
typedef struct {
    float *p;
    size_t step;
} recur_rnn_walk;
static inline recur_rnn_walk recur_rnn_walk_of(const recur_rnn *r, recur_rnn_rgn g, int batch,
                                               int b)
{
    const recur_rnn_region *rg = &r->plan.rgn[g];
    recur_rnn_walk w = { recur_rnn_row(r, g, batch, 0, b), 0 };
    if (rg->steps > 1)
        w.step = (size_t)recur_rnn_step_rows(r, batch, b) * (size_t)rg->width;
    return w;
}
static inline float *recur_rnn_at(recur_rnn_walk w, int s) { return w.p + (size_t)s * w.step; }

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

/* Small layers' weight gradients (src/rnn/wgrad.c), in blocks of one batch group of this
 * many rows over a run of time steps, each summed by the thread that owns those rows. */
#define RECUR_RNN_WGRAD_GROUP 8
bool recur_rnn_wgrad_blocked(const recur_rnn *rnn);
/* Floats of the per-block partial sums for this batch and step count. */
size_t recur_rnn_wgrad_part_floats(const recur_rnn *rnn, int batch, int steps);
/* Adds this backward's dU, dW and db to the gradients: called by every thread of the
 * backward's parallel region (it has a barrier when the blocks are shared). With shards,
 * thread tid sums the groups of shards tid, tid + nthreads, … */
void recur_rnn_block_gradients(recur_rnn *rnn, int batch, int steps, int tid, int nthreads,
                               const recur_rnn_share *sh, float *work);

/* Adds per-block partial sums [nblk][dU | dW | db] to the gradients in block order, each
 * thread tid of n a slice of the elements (called by all n). */
void recur_rnn_add_partials(recur_rnn *r, const float *part, size_t nblk, int tid, int n);

/* Rows [b0, b1) (one shard's) of step s of region g: copied from the batch-major src (in
 * the ragged row order), or zeros when src is NULL (h0, c0, and the gradients that seed
 * backward). */
void recur_rnn_seed_rows(const recur_rnn *r, recur_rnn_rgn g, int batch, int s, int b0, int b1,
                         const float *src);

/* [lo, hi) of `n` items for thread `tid` of `nthr`, in whole multiples of `unit` where possible. */
void recur_split_range(int n, int unit, int tid, int nthr, int *lo, int *hi);

#endif
