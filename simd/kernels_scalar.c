/* The scalar kernels (portable C, the reference). */
#include "vec_scalar.h"
#include "kernel_bodies.h"

void recur_kernels_fill_scalar(recur_kernels *k)
{
    k->isa = RECUR_ISA_SCALAR;
    k->name = "scalar";
    kernel_bodies_fill(k);
}
