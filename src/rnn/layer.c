/* The recurrent layer object: configuration, weights (Keras layout + packed copies),
 * gradients, and the workspace plan. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <recur/recur.h>

#include "core/error.h"
#include "gemm/gemm.h"
#include "rnn/internal.h"
#include "rnn/engine.h"
#include "core/abi.h"
#include "core/util.h"

static void pack_weights(recur_rnn *r);

static int gate_blocks(recur_cell cell) { return cell == RECUR_LSTM ? 4 : cell == RECUR_GRU ? 3 : 1; }

/* Element-wise activations only: softmax spans a row and belongs to Dense layers. */
static bool valid_act(recur_activation a)
{
    return (int)a >= 0 && a < RECUR_ACT_COUNT && a != RECUR_ACT_SOFTMAX;
}

/* The 0.1 layout of recur_rnn_config: its fields up to go_backwards (docs/ABI.md). */
#define RNN_CONFIG_SIZE_0_1 (offsetof(recur_rnn_config, go_backwards) + sizeof(bool))

static recur_status check_config(const recur_rnn_config *cfg)
{
    if (cfg->cell != RECUR_SIMPLE_RNN && cfg->cell != RECUR_LSTM && cfg->cell != RECUR_GRU)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_create: unknown cell %d", (int)cfg->cell);
    if (cfg->input_size < 1 || cfg->units < 1)
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_create: input_size and units must be >= 1 (got %d, %d)",
                          cfg->input_size, cfg->units);
    if (!valid_act(cfg->activation) || !valid_act(cfg->recurrent_activation))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_create: unknown activation %d/%d",
                          (int)cfg->activation, (int)cfg->recurrent_activation);
    if (cfg->reset_before && cfg->cell != RECUR_GRU)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_create: reset_before is for GRU only");
    const int G = gate_blocks(cfg->cell);
    /* Keep every count below 2^31 so int leading dimensions cannot overflow. */
    if ((long long)cfg->units * G * (cfg->input_size > cfg->units ? cfg->input_size : cfg->units)
        > (1LL << 30))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_create: layer too large (F=%d, H=%d)",
                          cfg->input_size, cfg->units);
    return RECUR_OK;
}

/* The layer with its packed copies; Keras-layout weights and gradients in a block of its
 * own when `own`, else bound later (recur_rnn_bind). */
static recur_status create(const recur_rnn_config *cfg, bool own, recur_rnn **out)
{
    recur_status s = check_config(cfg);
    if (s != RECUR_OK)
        return s;
    const recur_kernels *kt;
    if ((s = recur_kernels_active(&kt)) != RECUR_OK)
        return s;
    recur_rnn_split split;
    if ((s = recur_rnn_parse_split(getenv("RECUR_SPLIT"), &split)) != RECUR_OK)
        return s;

    recur_rnn *r = calloc(1, sizeof *r);
    if (r == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_rnn_create: out of memory");
    r->cfg = *cfg;
    r->split = split;
    const char *ragged = getenv("RECUR_RAGGED");
    r->ragged_off = ragged && strcmp(ragged, "off") == 0;
    if (r->cfg.activation == RECUR_ACT_DEFAULT)
        r->cfg.activation = RECUR_ACT_TANH;
    if (r->cfg.recurrent_activation == RECUR_ACT_DEFAULT)
        r->cfg.recurrent_activation = RECUR_ACT_SIGMOID;
    r->kt = kt;
    r->F = cfg->input_size;
    r->H = cfg->units;
    r->G = gate_blocks(cfg->cell);
    r->bias_rows = cfg->no_bias ? 0 : (cfg->cell == RECUR_GRU && !cfg->reset_before) ? 2 : 1;
    r->split_u = cfg->cell == RECUR_GRU && cfg->reset_before;

    const size_t GH = (size_t)r->G * r->H;
    size_t n_w = recur_round_floats(recur_packed_b_floats(kt, r->F, (int)GH));
    size_t n_wt = recur_round_floats(recur_packed_b_floats(kt, (int)GH, r->F));
    int ucols = r->split_u ? 2 * r->H : (int)GH;
    size_t n_u = recur_round_floats(recur_packed_b_floats(kt, r->H, ucols));
    size_t n_ut = recur_round_floats(recur_packed_b_floats(kt, ucols, r->H));
    size_t n_uh = r->split_u ? recur_round_floats(recur_packed_b_floats(kt, r->H, r->H)) : 0;
    const size_t sizes[] = { n_w, n_wt, n_u, n_ut, n_uh, n_uh };
    float **slots[] = { &r->w_pk, &r->wt_pk, &r->u_pk, &r->ut_pk, &r->uh_pk, &r->uht_pk };
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        total += sizes[i];
    float *p = recur_alloc_aligned(total * sizeof(float));
    if (p == NULL) {
        free(r);
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_rnn_create: cannot allocate %zu bytes",
                          total * sizeof(float));
    }
    r->packed = p;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *slots[i] = sizes[i] ? p : NULL;
        p += sizes[i];
    }
    if (own) {
        size_t nk, nu, nb;
        recur_rnn_weight_counts(r, &nk, &nu, &nb);
        nk = recur_round_floats(nk);
        nu = recur_round_floats(nu);
        nb = recur_round_floats(nb);
        float *w = recur_alloc_aligned(2 * (nk + nu + nb) * sizeof(float));
        if (w == NULL) {
            recur_rnn_free(r);
            return recur_fail(RECUR_ERR_NO_MEMORY, "recur_rnn_create: cannot allocate the "
                              "weights");
        }
        r->own = w;
        /* weights start at zero; packing them keeps every path defined before set_weights */
        recur_rnn_bind(r, w, w + nk, nb ? w + nk + nu : NULL, w + nk + nu + nb,
                       w + 2 * nk + nu + nb, nb ? w + 2 * (nk + nu) + nb : NULL);
    }
    *out = r;
    return RECUR_OK;
}

recur_status recur_rnn_create_sized(const recur_rnn_config *cfg, size_t cfg_size,
                                    recur_rnn **out)
{
    if (out == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_create: out is NULL");
    *out = NULL;
    if (cfg == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_create: cfg is NULL");
    recur_rnn_config c;
    recur_abi_copy(&c, sizeof c, cfg, cfg_size);
    return create(&c, true, out);
}

#undef recur_rnn_create
RECUR_API recur_status recur_rnn_create(const recur_rnn_config *cfg, recur_rnn **out);
recur_status recur_rnn_create(const recur_rnn_config *cfg, recur_rnn **out)
{
    return recur_rnn_create_sized(cfg, RNN_CONFIG_SIZE_0_1, out);
}

recur_status recur_rnn_create_unbound(const recur_rnn_config *cfg, recur_rnn **out)
{
    *out = NULL;
    return create(cfg, false, out);
}

void recur_rnn_bind(recur_rnn *r, float *kernel, float *rec, float *bias, float *dkernel,
                    float *drec, float *dbias)
{
    r->kernel = kernel;
    r->rec_kernel = rec;
    r->bias = r->bias_rows ? bias : NULL;
    r->dkernel = dkernel;
    r->drec_kernel = drec;
    r->dbias = r->bias_rows ? dbias : NULL;
    pack_weights(r);
    r->have_forward = false;
}

void recur_rnn_free(recur_rnn *rnn)
{
    if (rnn == NULL)
        return;
    recur_free_aligned(rnn->packed);
    recur_free_aligned(rnn->drop.block);
    recur_free_aligned(rnn->own);
    recur_free_aligned(rnn->ws);
    free(rnn);
}

recur_status recur_rnn_weight_counts(const recur_rnn *rnn, size_t *kernel,
                                     size_t *recurrent_kernel, size_t *bias)
{
    if (rnn == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_weight_counts: rnn is NULL");
    size_t GH = (size_t)rnn->G * rnn->H;
    if (kernel)
        *kernel = (size_t)rnn->F * GH;
    if (recurrent_kernel)
        *recurrent_kernel = (size_t)rnn->H * GH;
    if (bias)
        *bias = (size_t)rnn->bias_rows * GH;
    return RECUR_OK;
}

/* Pack W, Wᵀ, U, Uᵀ from the Keras-layout copies: once per weight change, never per step. */
static void pack_weights(recur_rnn *r)
{
    const recur_kernels *kt = r->kt;
    const int F = r->F, H = r->H, GH = r->G * r->H;
    recur_pack_b(kt, F, GH, r->kernel, GH, false, r->w_pk);
    recur_pack_b(kt, GH, F, r->kernel, GH, true, r->wt_pk);
    if (!r->split_u) {
        recur_pack_b(kt, H, GH, r->rec_kernel, GH, false, r->u_pk);
        recur_pack_b(kt, GH, H, r->rec_kernel, GH, true, r->ut_pk);
    } else {
        recur_pack_b(kt, H, 2 * H, r->rec_kernel, GH, false, r->u_pk);
        recur_pack_b(kt, 2 * H, H, r->rec_kernel, GH, true, r->ut_pk);
        recur_pack_b(kt, H, H, r->rec_kernel + 2 * H, GH, false, r->uh_pk);
        recur_pack_b(kt, H, H, r->rec_kernel + 2 * H, GH, true, r->uht_pk);
    }
    recur_rnn_pack_dropout(r);
}

recur_status recur_rnn_set_weights(recur_rnn *rnn, const float *kernel,
                                   const float *recurrent_kernel, const float *bias)
{
    if (rnn == NULL || kernel == NULL || recurrent_kernel == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_set_weights: NULL rnn or weights");
    if (rnn->bias_rows > 0 && bias == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_set_weights: bias is NULL but the layer uses a bias");
    size_t nk, nu, nb;
    recur_rnn_weight_counts(rnn, &nk, &nu, &nb);
    memmove(rnn->kernel, kernel, nk * sizeof(float));
    memmove(rnn->rec_kernel, recurrent_kernel, nu * sizeof(float));
    if (nb)
        memmove(rnn->bias, bias, nb * sizeof(float));
    pack_weights(rnn);
    rnn->have_forward = false;
    return RECUR_OK;
}

recur_status recur_rnn_get_weights(const recur_rnn *rnn, float *kernel, float *recurrent_kernel,
                                   float *bias)
{
    if (rnn == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_get_weights: rnn is NULL");
    size_t nk, nu, nb;
    recur_rnn_weight_counts(rnn, &nk, &nu, &nb);
    if (kernel)
        memcpy(kernel, rnn->kernel, nk * sizeof(float));
    if (recurrent_kernel)
        memcpy(recurrent_kernel, rnn->rec_kernel, nu * sizeof(float));
    if (bias && nb)
        memcpy(bias, rnn->bias, nb * sizeof(float));
    return RECUR_OK;
}

recur_status recur_rnn_get_grads(const recur_rnn *rnn, float *dkernel, float *drecurrent_kernel,
                                 float *dbias)
{
    if (rnn == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_get_grads: rnn is NULL");
    size_t nk, nu, nb;
    recur_rnn_weight_counts(rnn, &nk, &nu, &nb);
    if (dkernel)
        memcpy(dkernel, rnn->dkernel, nk * sizeof(float));
    if (drecurrent_kernel)
        memcpy(drecurrent_kernel, rnn->drec_kernel, nu * sizeof(float));
    if (dbias && nb)
        memcpy(dbias, rnn->dbias, nb * sizeof(float));
    return RECUR_OK;
}

recur_status recur_rnn_zero_grads(recur_rnn *rnn)
{
    if (rnn == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_zero_grads: rnn is NULL");
    size_t nk, nu, nb;
    recur_rnn_weight_counts(rnn, &nk, &nu, &nb);
    memset(rnn->dkernel, 0, nk * sizeof(float));
    memset(rnn->drec_kernel, 0, nu * sizeof(float));
    if (nb)
        memset(rnn->dbias, 0, nb * sizeof(float));
    return RECUR_OK;
}

recur_status recur_rnn_set_num_threads(recur_rnn *rnn, int threads)
{
    if (rnn == NULL || threads < 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_set_num_threads: bad argument");
    rnn->threads = threads;
    return RECUR_OK;
}

/* ---- workspace plan ---------------------------------------------------------------------- */

/* Steps per chunk in inference mode: enough rows (chunk·B ≈ 1024) for an efficient input
 * GEMM, few enough that memory does not grow with T. The chunks are made equal, so no
 * short last chunk runs a small, inefficient GEMM (T = 50 at 16 steps: 13+13+13+11, not
 * 16+16+16+2). */
static int inference_chunk(int batch, int steps)
{
    int c = 1024 / batch;
    c = c < 4 ? 4 : c;
    if (c >= steps)
        return steps;
    const int nchunks = (steps + c - 1) / c;
    return (steps + nchunks - 1) / nchunks;
}

/* Floats between one shard's slab and the next: beyond the reach of a core's stream
 * prefetcher running off the end of its own rows (measured on lstm_fwd, 16 rows × 256
 * units a thread: a 256 B gap left the second thread 1.4x slower, 512 B 4%, 1 KB 0%). */
#define SHARD_GAP_FLOATS 256

/* Shards when threads own batch rows and every pass over the rows can go shard by shard:
 * the recurrence, inference's input projection, and in training the small layers' blocked
 * weight gradients, whose batch groups must then not straddle two shards. A large
 * layer's weight gradients run one GEMM over all rows in time-major order, and a unit split
 * gives every thread all rows: one shard. */
static int shard_count(const recur_rnn *r, int batch, int threads, const recur_rnn_plan *p)
{
    if (threads < 2 || batch < threads || p->unit_split)
        return 1;
    /* masked weight gradients gather their rows from wherever they are (wgrad_masked.c) */
    if (r->inference || p->masked)
        return threads;
    if (!p->wgrad_blocked)
        return 1;
    for (int k = 1; k < threads; k++) {
        int lo, hi;
        recur_split_range(batch, 1, k, threads, &lo, &hi);
        if (lo % RECUR_RNN_WGRAD_GROUP != 0)
            return 1;
    }
    return threads;
}

/* Region g: `steps` steps of the batch's rows of `width` floats, from *at on: one block,
 * or a slab per shard with a gap after each; an unused region takes no space. */
static void step_region(recur_rnn_plan *p, recur_rnn_rgn g, size_t steps, size_t width,
                        int batch, bool used, size_t *at)
{
    recur_rnn_region *rg = &p->rgn[g];
    const size_t bmax = (size_t)((batch + p->shards - 1) / p->shards);
    rg->width = (int)width;
    rg->steps = (int)steps;
    rg->slab = !used ? 0
               : p->shards == 1 ? steps * (size_t)batch * width
                                : recur_round_floats(steps * bmax * width) + SHARD_GAP_FLOATS;
    rg->off = *at;
    *at += recur_round_floats(rg->slab * (size_t)p->shards);
}

void recur_rnn_make_plan(const recur_rnn *r, int batch, int steps, int threads, bool masked,
                         bool dropout, recur_rnn_plan *p)
{
    const int chunk = r->inference ? inference_chunk(batch, steps) : steps;
    const size_t B = (size_t)batch, T = (size_t)chunk, H = (size_t)r->H;
    const size_t GH = (size_t)r->G * H;
    const bool gru_ra = r->cfg.cell == RECUR_GRU && !r->cfg.reset_before;
    const bool train = !r->inference;
    size_t at = 0;
    p->chunk = chunk;
    p->unit_split = recur_rnn_unit_split(r, batch, threads);
    p->dropout = dropout && train;
    p->x_masked = p->dropout && r->drop.inputs;
    p->x_width = p->x_masked ? r->G * r->F : r->F;
    const bool narrow = r->F < r->kt->mr && !p->x_masked;
    /* Narrow-input inference under a batch split projects each step's rows just before
     * the step and keeps nothing: one slot of step rows, reused, stays in L1 (one slot per
     * chunk step was written back and forth to L2 every step). */
    p->step_slots = r->inference && narrow && !p->unit_split ? 1 : chunk;
    p->masked = masked;
    p->wgrad_blocked = train && !masked && recur_rnn_wgrad_blocked(r);
    p->shards = shard_count(r, batch, threads, p);
    const size_t S = (size_t)p->step_slots;
    const bool lstm = r->cfg.cell == RECUR_LSTM;
    step_region(p, RECUR_RGN_XT, S, (size_t)p->x_width, batch, true, &at);
    step_region(p, RECUR_RGN_GATES, S, GH, batch, true, &at);
    step_region(p, RECUR_RGN_REC, S, GH, batch, gru_ra, &at);      /* kept for backward */
    step_region(p, RECUR_RGN_RH, S, H, batch, r->split_u, &at);    /* kept for backward */
    step_region(p, RECUR_RGN_HSEQ, T + 1, H, batch, true, &at);
    step_region(p, RECUR_RGN_CSEQ, T + 1, H, batch, lstm, &at);
    step_region(p, RECUR_RGN_TC, T, H, batch, train && lstm, &at);   /* kept for backward */
    step_region(p, RECUR_RGN_DH, 1, H, batch, train, &at);
    step_region(p, RECUR_RGN_DC, 1, H, batch, train && lstm, &at);
    step_region(p, RECUR_RGN_DRH, 1, H, batch, train && r->split_u, &at);
    step_region(p, RECUR_RGN_FINAL_H, 1, H, batch, masked, &at);
    step_region(p, RECUR_RGN_FINAL_C, 1, H, batch, masked && lstm, &at);
    step_region(p, RECUR_RGN_SAVE_DH, 1, H, batch, masked && train, &at);
    step_region(p, RECUR_RGN_SAVE_DC, 1, H, batch, masked && train && lstm, &at);
    step_region(p, RECUR_RGN_HDROP, T, GH, batch, p->dropout, &at);
    step_region(p, RECUR_RGN_DDROP, 2, H, batch, p->dropout, &at);
#define REGION(field, n) do { p->field = at; at += recur_round_floats(n); } while (0)
    REGION(mask, masked ? recur_rnn_mask_floats(batch, steps, p->shards) : 0);
    REGION(gather, masked && train ? recur_rnn_gather_floats(r, batch, steps) : 0);
    /* per-thread GEMM packing space for the largest GEMM this plan runs (per-step GEMMs
     * read A in place and need none; narrow inputs skip the input GEMMs) */
    const recur_kernels *kt = r->kt;
    const int rows_all = (int)(T * B), iF = r->F, iH = r->H, iGH = (int)GH;
    size_t work = 0;
    if (!narrow)
        work = recur_gemm_work_floats(kt, rows_all, iGH, iF, false, true);   /* xt · W */
    if (train) {
        size_t w;
        if (!narrow) {
            w = recur_gemm_work_floats(kt, iF, iGH, rows_all, true, false);   /* dW */
            work = w > work ? w : work;
            w = recur_gemm_work_floats(kt, rows_all, iF, iGH, false, true);   /* dX */
            work = w > work ? w : work;
        }
        w = recur_gemm_work_floats(kt, iH, iGH, rows_all, true, false);       /* dU */
        work = w > work ? w : work;
    }
    p->gemm_floats = recur_round_floats(work);
    /* small layers sum their weight gradients in blocks where the rows are (rnn_wgrad.c);
     * threads that share the blocks keep each block's partial sums */
    p->wpart_floats = p->wgrad_blocked && threads > 1
                          ? recur_rnn_wgrad_part_floats(r, batch, chunk) : 0;
    REGION(wpart, p->wpart_floats);
    REGION(gemm, (size_t)threads * p->gemm_floats);
#undef REGION
    p->total = at;
}

/* At least `floats` of workspace (a forward kept in it is lost when it moves). */
static recur_status grow_workspace(recur_rnn *r, size_t floats)
{
    if (r->ws != NULL && floats <= r->cap_floats)
        return RECUR_OK;
    float *ws = recur_alloc_aligned(floats * sizeof(float));
    if (ws == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_rnn: cannot allocate %zu bytes of "
                          "workspace", floats * sizeof(float));
    recur_free_aligned(r->ws);
    r->ws = ws;
    r->cap_floats = floats;
    r->have_forward = false;
    return RECUR_OK;
}

recur_status recur_rnn_ensure_workspace(recur_rnn *r, int batch, int steps, int threads,
                                        bool masked)
{
    recur_rnn_plan need;
    recur_rnn_make_plan(r, batch, steps, threads, masked, recur_rnn_dropping(r), &need);
    recur_status s = grow_workspace(r, need.total);
    if (s == RECUR_OK)
        r->plan = need;   /* regions laid out for this shape, inside the capacity */
    return s;
}

recur_status recur_rnn_set_inference(recur_rnn *rnn, bool inference)
{
    if (rnn == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_set_inference: rnn is NULL");
    rnn->inference = inference;
    rnn->have_forward = false;
    return RECUR_OK;
}

recur_status recur_rnn_reserve(recur_rnn *rnn, int max_batch, int max_timesteps)
{
    return recur_rnn_reserve_for(rnn, max_batch, max_timesteps, true);
}

recur_status recur_rnn_reserve_for(recur_rnn *rnn, int max_batch, int max_timesteps, bool masked)
{
    if (rnn == NULL || max_batch < 1 || max_timesteps < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_reserve: need rnn and sizes >= 1");
    /* The inference chunk length depends on the batch, so a smaller batch can need a little
     * more of some region: plan for the largest need over every batch up to max_batch (the
     * plan grows with T, so max_timesteps covers shorter sequences), with and without a
     * mask when masks may come. */
    size_t most = 0;
    for (int b = 1; b <= max_batch; b++)
        for (int with_mask = 0; with_mask <= (int)masked; with_mask++)
            for (int drop = 0; drop <= (int)recur_rnn_drop_planned(rnn); drop++) {
                recur_rnn_plan p;
                recur_rnn_make_plan(rnn, b, max_timesteps, recur_rnn_threads_for(rnn, b),
                                    with_mask, drop, &p);
                most = p.total > most ? p.total : most;
            }
    return grow_workspace(rnn, most);
}

recur_status recur_rnn_workspace_size(const recur_rnn *rnn, int batch, int timesteps,
                                      size_t *bytes)
{
    if (rnn == NULL || bytes == NULL || batch < 1 || timesteps < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_rnn_workspace_size: bad argument");
    recur_rnn_plan p;
    recur_rnn_make_plan(rnn, batch, timesteps, recur_rnn_threads_for(rnn, batch), false, false, &p);
    *bytes = p.total * sizeof(float);
    return RECUR_OK;
}

void recur_rnn_seed_rows(const recur_rnn *r, recur_rnn_rgn g, int batch, int s, int b0, int b1,
                         const float *src)
{
    const size_t w = (size_t)r->plan.rgn[g].width;
    float *dst = recur_rnn_row(r, g, batch, s, b0);
    if (src == NULL) {
        memset(dst, 0, (size_t)(b1 - b0) * w * sizeof(float));
    } else if (!(r->mk.on && r->mk.ragged)) {
        memcpy(dst, src + (size_t)b0 * w, (size_t)(b1 - b0) * w * sizeof(float));
    } else {
        for (int p = b0; p < b1; p++)   /* the ragged rows are in their own order */
            memcpy(dst + (size_t)(p - b0) * w, src + (size_t)r->mk.perm[p] * w, w * sizeof(float));
    }
}

void recur_split_range(int n, int unit, int tid, int nthr, int *lo, int *hi)
{
    int units = (n + unit - 1) / unit;
    int per = units / nthr, extra = units % nthr;
    int u0 = tid * per + (tid < extra ? tid : extra);
    int u1 = u0 + per + (tid < extra ? 1 : 0);
    *lo = u0 * unit < n ? u0 * unit : n;
    *hi = u1 * unit < n ? u1 * unit : n;
}

void recur_rnn_weights_changed(recur_rnn *rnn)
{
    pack_weights(rnn);
    rnn->have_forward = false;
}
