/* The neon kernels (AArch64 Advanced SIMD). */
#include "vec_neon.h"
#include "kernel_bodies.h"

void recur_kernels_fill_neon(recur_kernels *k)
{
    k->isa = RECUR_ISA_NEON;
    k->name = "neon";
    kernel_bodies_fill(k);
}
