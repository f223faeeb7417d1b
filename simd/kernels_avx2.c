/* The avx2 kernels (compiled with -mavx2 -mfma). */
#include "vec_avx2.h"
#include "kernel_bodies.h"

void recur_kernels_fill_avx2(recur_kernels *k)
{
    k->isa = RECUR_ISA_AVX2;
    k->name = "avx2";
    kernel_bodies_fill(k);
}
