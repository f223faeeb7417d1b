/* How a layer's recurrence is divided among threads, and the per-step recurrent GEMM that
 * both divisions share.
 *
 * Batch split: each thread owns a block of batch rows through every step; no barrier, but
 * each thread streams all of U every step and its GEMM has only B/threads rows.
 * Unit split: each thread owns a slice of hidden units (its columns of every gate) for all
 * rows; U is streamed once per step in total and the GEMM keeps all B rows, at the price of
 * one barrier per step (the next step needs every unit of h). */
#include <stdlib.h>
#include <string.h>

#include "cpu/dispatch.h"
#include "core/error.h"
#include "gemm/gemm.h"
#include "rnn/internal.h"
#include "core/util.h"

recur_status recur_rnn_parse_split(const char *value, recur_rnn_split *out)
{
    if (value == NULL || value[0] == '\0' || strcmp(value, "auto") == 0)
        *out = RECUR_SPLIT_AUTO;
    else if (strcmp(value, "batch") == 0)
        *out = RECUR_SPLIT_BATCH;
    else if (strcmp(value, "units") == 0)
        *out = RECUR_SPLIT_UNITS;
    else
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "RECUR_SPLIT=%s: expected batch, units or auto", value);
    return RECUR_OK;
}

/* Slices start on packed-panel boundaries, so H must be whole panels, one or more each. */
static bool units_possible(const recur_rnn *r, int threads)
{
    return threads > 1 && r->H % r->kt->nr == 0 && r->H / r->kt->nr >= threads;
}

/* `auto` splits by units when batch shards would be under this many row tiles. Measured on
 * the benchmark shapes (AVX-512, 2 threads, H >= 256):
 * - Intel Xeon: units won by 8-25% for LSTM and GRU at B = 16 and 32 (shards of 1-2
 *   tiles), and ranged from 16% slower to 3% faster at B = 64: under 4 tiles.
 * - AMD Zen 4 (family 19h): batch won by 2-21% at B = 16 and 32 for every cell (its
 *   CCX-local L3 streams all of U to each core each step fast enough), and units won
 *   only at B = 4 and 8, where a batch shard is under one tile and its GEMM mostly padding.
 *   Slices of one row also sit side by side there, and each core's stream prefetcher
 *   pulls the start of its neighbour's slice: the neighbour's gate kernel measured up to
 *   1.6x slower for it. So: under 1 tile on Zen (family 17h and later). */
static int unit_split_shard_tiles(void)
{
    const recur_cpu_info *cpu = recur_cpu_info_detected();
    return cpu->vendor == RECUR_CPU_VENDOR_AMD && cpu->family >= 0x17 ? 1 : 4;
}

bool recur_rnn_unit_split(const recur_rnn *r, int batch, int threads)
{
    if (!units_possible(r, threads) || recur_rnn_drop_planned(r))
        return false;   /* dropout's masked operands are made per batch row */
    switch (r->split) {
    case RECUR_SPLIT_BATCH: return false;
    case RECUR_SPLIT_UNITS: return true;
    default:
        /* A SimpleRNN step is a quarter of an LSTM's, so the barrier weighs more: it
         * gained only at H = 1024. */
        return r->H >= 256 && batch < unit_split_shard_tiles() * r->kt->mr * threads &&
               (r->G > 1 || r->H >= 1024);
    }
}

int recur_rnn_threads_for(const recur_rnn *r, int batch)
{
    int t = r->threads > 0 ? r->threads : recur_default_threads();
    if (t < 1)
        t = 1;
    /* more threads than rows only helps when they split units instead */
    if (t > batch && !recur_rnn_unit_split(r, batch, t))
        t = batch;
    return t;
}

void recur_rnn_share_of(const recur_rnn *r, int batch, int tid, int nthreads,
                        recur_rnn_share *sh)
{
    if (r->plan.unit_split && nthreads > 1) {
        sh->b0 = 0;
        sh->b1 = batch;
        recur_split_range(r->H, r->kt->nr, tid, nthreads, &sh->j0, &sh->j1);
        sh->barrier = true;
    } else {
        recur_split_range(batch, 1, tid, nthreads, &sh->b0, &sh->b1);
        sh->j0 = 0;
        sh->j1 = r->H;
        sh->barrier = false;
    }
}

/* Columns [col, col + w) of the step product. */
static void product_columns(const recur_kernels *kt, const recur_rnn_step_product *p, int col,
                            int w)
{
    const int n = p->blocks * p->H;   /* the packing's columns */
    if (p->bias && !p->accumulate)
        recur_sgemm_direct_bias(kt, p->rows, w, p->K, p->a, p->lda, p->upk, n, col,
                                p->bias + col, p->out + col, p->ldo);
    else
        recur_sgemm_direct(kt, p->rows, w, p->K, p->a, p->lda, p->upk, n, col, p->out + col,
                           p->ldo, p->accumulate);
}

void recur_rnn_rec_gemm(const recur_kernels *kt, const recur_rnn_step_product *p)
{
    if (p->j0 == 0 && p->j1 == p->H) {
        product_columns(kt, p, 0, p->blocks * p->H);
        return;
    }
    for (int q = 0; q < p->blocks; q++)
        product_columns(kt, p, q * p->H + p->j0, p->j1 - p->j0);
}
