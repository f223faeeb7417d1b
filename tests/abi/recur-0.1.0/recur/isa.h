/* recur — CPU features and the instruction set the kernels run on.
 *
 * The CPU is examined once (x86-64: CPUID leaves 1 and 7 and XGETBV, so an OS that does not
 * save the wide registers is respected; aarch64: NEON is baseline, HWCAP for the rest) and
 * the best supported ISA is chosen. The environment variable RECUR_ISA (scalar, avx2, avx512,
 * neon) forces a lower or equal ISA; naming one the machine cannot run makes every call that
 * needs kernels fail with RECUR_ERR_ISA and a message saying why. */
#ifndef RECUR_ISA_H
#define RECUR_ISA_H

#include <recur/export.h>
#include <recur/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RECUR_ISA_SCALAR = 0,   /* portable C, the reference every other ISA is tested against */
    RECUR_ISA_AVX2,         /* AVX2 + FMA */
    RECUR_ISA_AVX512,       /* AVX-512 F/BW/DQ/VL */
    RECUR_ISA_NEON,         /* AArch64 Advanced SIMD */
    RECUR_ISA_COUNT
} recur_isa;

/* The active ISA as one of "scalar", "avx2", "avx512", "neon". When RECUR_ISA asks for an
 * ISA the machine lacks, nothing is active and this names the best ISA the machine has. */
RECUR_API const char *recur_isa_name(void);

/* The ISA the kernels run on; RECUR_ERR_ISA (with a message) when RECUR_ISA is unusable. */
RECUR_API recur_status recur_isa_active(recur_isa *isa);

/* Whether this build has kernels for `isa` and this CPU and OS can run them. */
RECUR_API int recur_isa_supported(recur_isa isa);

/* Parse "scalar" / "avx2" / "avx512" / "neon"; RECUR_ERR_ARGUMENT for anything else. */
RECUR_API recur_status recur_isa_from_name(const char *name, recur_isa *isa);
RECUR_API const char *recur_isa_to_name(recur_isa isa);   /* "unknown" if out of range */

/* Switch the active ISA at run time (benchmarks, tests). Not thread-safe against
 * concurrent layer calls; RECUR_ERR_ISA if the machine cannot run it. */
RECUR_API recur_status recur_isa_force(recur_isa isa);

/* The CPU features detected, e.g. "x86_64 sse2 avx avx2 fma avx512f avx512bw avx512dq
 * avx512vl os-ymm os-zmm". Never NULL. */
RECUR_API const char *recur_cpu_features(void);

#ifdef __cplusplus
}
#endif
#endif
