/* Internal: denormals flushed to zero for the duration of a compute call.
 *
 * TensorFlow runs every CPU kernel with denormals flushed (FTZ + DAZ), so Keras users get
 * that behaviour; an FMA with a denormal operand also costs a microcode assist of ~100
 * cycles, and late in training gradients do underflow into that range (measured: an epoch
 * of the seed's GRU 1026 -> 587 ms). Each compute entry point, and each OpenMP thread in it,
 * sets the mode on entry and restores the caller's on return, so the caller's
 * floating-point environment is never changed. */
#ifndef RECUR_FPENV_H
#define RECUR_FPENV_H

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
typedef unsigned int recur_fpenv;
#define RECUR_MXCSR_FTZ_DAZ 0x8040u   /* flush-to-zero (bit 15), denormals-are-zero (bit 6) */
static inline recur_fpenv recur_fpenv_flush_denormals(void)
{
    recur_fpenv saved = _mm_getcsr();
    _mm_setcsr(saved | RECUR_MXCSR_FTZ_DAZ);
    return saved;
}
static inline void recur_fpenv_restore(recur_fpenv saved) { _mm_setcsr(saved); }
#elif defined(__aarch64__)
typedef unsigned long recur_fpenv;
static inline recur_fpenv recur_fpenv_flush_denormals(void)
{
    recur_fpenv saved;
    __asm__ volatile("mrs %0, fpcr" : "=r"(saved));
    __asm__ volatile("msr fpcr, %0" : : "r"(saved | (1ul << 24)));   /* FZ */
    return saved;
}
static inline void recur_fpenv_restore(recur_fpenv saved)
{
    __asm__ volatile("msr fpcr, %0" : : "r"(saved));
}
#else
typedef int recur_fpenv;
static inline recur_fpenv recur_fpenv_flush_denormals(void) { return 0; }
static inline void recur_fpenv_restore(recur_fpenv saved) { (void)saved; }
#endif

#endif
