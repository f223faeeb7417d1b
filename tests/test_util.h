/* Shared test helpers: deterministic random numbers, guarded buffers, ISA iteration. */
#ifndef RECUR_TEST_UTIL_H
#define RECUR_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <recur/recur.h>

#include "simd/kernels.h"

/* xorshift64*: the same stream on every platform, so failures reproduce. */
typedef struct { uint64_t s; } test_rng;
static inline uint64_t rng_next(test_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}
static inline float rng_uniform(test_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)((rng_next(r) >> 40) * (1.0 / 16777216.0));
}
static inline void rng_fill(test_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(r, lo, hi);
}

/* A buffer of n floats starting `misalign` floats past a 64-byte boundary, with GUARD floats
 * of a sentinel pattern on both sides; guard_ok() says whether anything wrote outside. */
#define GUARD 32
typedef struct { float *base, *p; size_t n; } guarded;
guarded guarded_alloc(size_t n, int misalign);
int guard_ok(const guarded *g);
void guarded_free(guarded *g);

/* A call that must fail with status `want` and a message containing `needle`. */
#define expect_error(got, want, needle) expect_error_at((got), (want), (needle), __FILE__, __LINE__)
void expect_error_at(recur_status got, recur_status want, const char *needle, const char *file,
                     int line);

/* A small compiled model for inputs [batch, 6, 3]: GRU(7, return_sequences) → LSTM(5) →
 * Dense(2), Adam, mse, mae; and 50 samples for it, x [50, 6, 3] and y [50, 2], uniform in
 * [-1, 1]. */
recur_model *test_small_model(void);
void test_small_data(uint64_t seed, float *x, float *y);
/* Every weight of m, in get_weights order, into out (at most cap floats); how many. */
size_t test_model_weights(recur_model *m, float *out, size_t cap);

/* The ISAs this machine can run, scalar first. Returns the count. */
int test_isas(const recur_kernels *tables[RECUR_ISA_COUNT]);

#endif
