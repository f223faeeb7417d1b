/* FMA peak loop, avx2. */
#include "../simd/vec_avx2.h"
#include "peak_body.h"

double recur_bench_peak_avx2(long iters, float seed) { return peak_fma_loop(iters, seed); }
