/* Reading a mask before a forward. Keras semantics need, per row, where its real steps
 * start and how many there are (outputs before the first real step are zeros); the general
 * path also keeps the mask itself. When every row's real steps are one run starting at the
 * first step processed (post-padding) or ending at the last (pre-padding), the batch is
 * ragged: rows are sorted by length, longest first, and dealt to the shards in turn, so at
 * every step each shard's active rows are its first ones and the time loop runs only
 * those, with the work spread evenly over the threads. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rnn/internal.h"

size_t recur_rnn_mask_floats(int batch, int steps, int shards)
{
    const size_t bytes = (size_t)batch * (size_t)steps;
    const size_t ints = 6 * (size_t)batch + (size_t)(shards + 1) * (size_t)steps + 1;
    return recur_round_floats((bytes + 3) / 4) + recur_round_floats(ints);
}

bool recur_rnn_mask_padded(const uint8_t *mask, int batch, int steps)
{
    for (size_t i = 0; i < (size_t)batch * (size_t)steps; i++)
        if (mask[i] == 0)
            return true;
    return false;
}

/* Row b's real steps in the direction of processing: first (T if none), count, and whether
 * they are one run. */
static void row_run(const uint8_t *mask, int T, bool backwards, int b, int *first, int *count,
                    bool *one_run)
{
    int f = T, n = 0, last = -1;
    for (int s = 0; s < T; s++) {
        const int t = backwards ? T - 1 - s : s;
        if (mask[(size_t)b * T + t]) {
            f = f < s ? f : s;
            last = s;
            n++;
        }
    }
    *first = f;
    *count = n;
    *one_run = n == 0 || last - f + 1 == n;
}

/* Ragged order: batch rows by real steps, longest first (ties in batch order), dealt to the
 * shards in turn; the active counts per shard and step. */
static void deal_rows(recur_rnn *r, int B, int T, const int *first, const int *count)
{
    recur_rnn_mask *mk = &r->mk;
    const int S = r->plan.shards;
    int *order = mk->slot;   /* scratch for the sort; slot is filled after */
    int *at = mk->active + (size_t)S * T;   /* T + 1 counters */
    /* counting sort on T − count: stable, linear in B and T */
    memset(at, 0, sizeof(int) * (size_t)(T + 1));
    for (int b = 0; b < B; b++)
        at[T - count[b]]++;
    for (int k = 0, sum = 0; k <= T; k++) {
        const int n = at[k];
        at[k] = sum;
        sum += n;
    }
    for (int b = 0; b < B; b++)
        order[at[T - count[b]]++] = b;
    for (int i = 0; i < B; i++) {
        int lo, hi;
        recur_split_range(B, 1, i % S, S, &lo, &hi);
        mk->perm[lo + i / S] = order[i];
    }
    memset(mk->active, 0, sizeof(int) * (size_t)S * T);
    for (int k = 0; k < S; k++) {
        int lo, hi;
        recur_split_range(B, 1, k, S, &lo, &hi);
        for (int p = lo; p < hi; p++) {
            const int b = mk->perm[p];
            mk->first[p] = first[b];
            mk->count[p] = count[b];
            for (int s = first[b]; s < first[b] + count[b]; s++)
                mk->active[(size_t)k * T + s]++;
        }
    }
    for (int p = 0; p < B; p++)
        mk->slot[mk->perm[p]] = p;
}

void recur_rnn_mask_prepare(recur_rnn *r, int B, int T, const uint8_t *mask)
{
    recur_rnn_mask *mk = &r->mk;
    memset(mk, 0, sizeof *mk);
    if (mask == NULL)
        return;
    uint8_t *real = (uint8_t *)(r->ws + r->plan.mask);
    int *ints = (int *)(r->ws + r->plan.mask + recur_round_floats(((size_t)B * T + 3) / 4));
    mk->perm = ints;
    mk->slot = ints + B;
    mk->first = ints + 2 * B;
    mk->count = ints + 3 * B;
    int *first_b = ints + 4 * B, *count_b = ints + 5 * B;   /* per batch row */
    mk->active = ints + 6 * B;
    const bool backwards = r->cfg.go_backwards;
    bool padded = false, runs = true, post = true, pre = true;
    for (int b = 0; b < B; b++) {
        bool one_run;
        row_run(mask, T, backwards, b, &first_b[b], &count_b[b], &one_run);
        padded |= count_b[b] < T;
        runs &= one_run;
        post &= count_b[b] == 0 || first_b[b] == 0;
        pre &= count_b[b] == 0 || first_b[b] + count_b[b] == T;
    }
    if (!padded)
        return;   /* every step real: the unmasked path, bit for bit */
    mk->on = true;
    mk->zero_output = r->cfg.zero_output_for_mask;
    /* dropout computes every row: its masked operands are not kept in the ragged order */
    mk->ragged = runs && (post || pre) && !r->plan.unit_split && !r->ragged_off &&
                 !recur_rnn_dropping(r);
    if (mk->ragged) {
        deal_rows(r, B, T, first_b, count_b);
        return;
    }
    for (int p = 0; p < B; p++) {
        mk->perm[p] = mk->slot[p] = p;
        mk->first[p] = first_b[p];
        mk->count[p] = count_b[p];
        for (int s = 0; s < T; s++)
            real[(size_t)p * T + s] = mask[(size_t)p * T + (backwards ? T - 1 - s : s)] != 0;
    }
    mk->real = real;
}
