/* Internal: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11), a counter-based generator: the random bits of element e are a function of
 * (key, counter) alone, so any thread can make any element's draw and a stream is the same
 * however its elements are shared among threads. */
#ifndef RECUR_CORE_PHILOX_H
#define RECUR_CORE_PHILOX_H

#include <stdint.h>

/* Four 32-bit words of random bits for one 128-bit counter under a 64-bit key. */
void recur_philox4x32(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4]);

/* A stream of uniform floats: element e of stream (seed, stream, iteration). */
typedef struct {
    uint32_t key[2];
    uint32_t stream, iteration_lo, iteration_hi;
} recur_random_stream;

recur_random_stream recur_random_stream_of(unsigned long long seed, uint32_t stream,
                                           unsigned long long iteration);

/* Dropout factors of elements [e0, e0 + n) of the stream: 0 where an element is dropped
 * (its uniform draw in [0, 1) is below rate), 1 / (1 − rate) where it is kept. */
void recur_dropout_factors(const recur_random_stream *st, long long e0, long long n, float rate,
                           float *out);

#endif
