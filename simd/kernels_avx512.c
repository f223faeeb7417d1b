/* The avx512 kernels (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl). */
#include "vec_avx512.h"
#include "kernel_bodies.h"

void recur_kernels_fill_avx512(recur_kernels *k)
{
    k->isa = RECUR_ISA_AVX512;
    k->name = "avx512";
    kernel_bodies_fill(k);
}
