/* Internal: a model trained by several processes (recur/collective.h). Every function
 * here is a no-op returning RECUR_OK, or the identity share, for a model trained alone. */
#ifndef RECUR_MODEL_COLLECTIVE_H
#define RECUR_MODEL_COLLECTIVE_H

#include <recur/collective.h>

#include "model/internal.h"

static inline bool model_shared(const recur_model *m)
{
    return m->coll.size > 1;
}

/* This process's rows [first, first+count) of a global batch of `rows`: contiguous shares,
 * the first rows % size processes one row more. */
void model_share(const recur_model *m, int rows, int *first, int *count);
/* The largest share of a batch of `rows`. */
int model_share_cap(const recur_model *m, int rows);
/* An error on every process unless all have the same model and passed the same call
 * values (n_call values: data shapes, options). */
recur_status model_check_same(const recur_model *m, const long long *call, int n_call,
                              const char *what);
/* Every process takes rank 0's weights, optimizer slots and step count. */
recur_status model_take_rank0_state(recur_model *m, const char *what);
/* stats[0..n) summed over the processes, in place. */
recur_status model_sum_stats(const recur_model *m, double *stats, int n, const char *what);
/* The gradients of this process's share, scaled by `share` (its part of the global loss's
 * denominator; the squared slices by its square), summed over the processes: the whole
 * batch's gradients. */
recur_status model_sum_gradients(recur_model *m, double share, const char *what);
/* Every process's status: the lowest-ranked failure's, with its message, on all. */
recur_status model_agree_status(const recur_model *m, recur_status mine, const char *what);
/* Release the collective (recur_model_free). */
void model_collective_release(recur_model *m);

#endif
