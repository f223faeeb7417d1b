/* FMA peak loop, scalar. */
#include "../simd/vec_scalar.h"
#include "peak_body.h"

double recur_bench_peak_scalar(long iters, float seed) { return peak_fma_loop(iters, seed); }
