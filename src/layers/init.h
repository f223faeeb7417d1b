/* Internal: Keras's default initializers over one seeded stream, so a model's seed
 * reproduces its weights. The stream differs from Keras's: same distributions, not the same
 * draws. */
#ifndef RECUR_LAYERS_INIT_H
#define RECUR_LAYERS_INIT_H

#include <stdbool.h>

typedef struct {
    unsigned long long s;
} layer_rng;

/* The stream of a model seeded with `seed`. */
layer_rng layer_rng_seeded(unsigned long long seed);

/* Keras GlorotUniform on a [fan_in, fan_out] kernel: uniform in ±√(6 / (fan_in + fan_out)). */
void init_glorot_uniform(layer_rng *r, float *w, int fan_in, int fan_out);
/* Keras Orthogonal on [rows, cols]: orthonormal rows or columns. false when out of memory
 * (nothing written). */
bool init_orthogonal(layer_rng *r, float *w, int rows, int cols);
/* Keras RandomUniform(lo, hi). */
void init_uniform(layer_rng *r, float *w, long long n, float lo, float hi);

#endif
