/* FMA peak loop, neon. */
#include "../simd/vec_neon.h"
#include "peak_body.h"

double recur_bench_peak_neon(long iters, float seed) { return peak_fma_loop(iters, seed); }
