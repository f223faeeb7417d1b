/* FMA peak loop, avx512. */
#include "../simd/vec_avx512.h"
#include "peak_body.h"

double recur_bench_peak_avx512(long iters, float seed) { return peak_fma_loop(iters, seed); }
