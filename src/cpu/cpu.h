/* Internal: what the CPU and OS support. Compiled without any ISA flags, so detection
 * itself can never execute an instruction the machine lacks. */
#ifndef RECUR_CPU_H
#define RECUR_CPU_H

#include <stdbool.h>

typedef enum {
    RECUR_CPU_VENDOR_OTHER,
    RECUR_CPU_VENDOR_INTEL,
    RECUR_CPU_VENDOR_AMD
} recur_cpu_vendor;

typedef struct {
    bool avx2;      /* AVX2 + FMA + AVX, and the OS saves YMM state */
    bool avx512;    /* AVX-512 F/BW/DQ/VL, and the OS saves ZMM and opmask state */
    bool neon;      /* AArch64 Advanced SIMD */
    recur_cpu_vendor vendor;
    unsigned family;   /* x86: CPUID display family (base + extended), e.g. 0x19 for Zen 4 */
    char features[256];
} recur_cpu_info;

void recur_cpu_detect(recur_cpu_info *info);

#endif
