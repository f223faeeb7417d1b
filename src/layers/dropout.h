/* Internal: dropout masks as the Dropout layer and the recurrent layers' dropout draw
 * them. */
#ifndef RECUR_LAYERS_DROPOUT_H
#define RECUR_LAYERS_DROPOUT_H

#include <stdbool.h>

#include "core/philox.h"

/* Elements [first, first+n) of the stream as dropout factors (0 or 1 / (1 − rate)), shared
 * among `threads` threads; the values do not depend on them. */
void layer_dropout_factors(const recur_random_stream *st, float rate, long long first,
                           long long n, int threads, float *out);
/* Keras accepts rates in [0, 1]; 1 drops everything, which trains nothing: refused. */
bool layer_dropout_rate_ok(float rate);

#endif
