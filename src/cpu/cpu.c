/* CPU feature detection: CPUID + XGETBV on x86-64, HWCAP on AArch64. */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"

static void add_feature(recur_cpu_info *info, const char *name)
{
    size_t used = strlen(info->features);
    snprintf(info->features + used, sizeof info->features - used, "%s%s", used ? " " : "", name);
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void)
{
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

void recur_cpu_detect(recur_cpu_info *info)
{
    memset(info, 0, sizeof *info);
    add_feature(info, "x86_64");
    unsigned int a, b, c, d;
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        char vendor[13];
        memcpy(vendor, &b, 4);
        memcpy(vendor + 4, &d, 4);
        memcpy(vendor + 8, &c, 4);
        vendor[12] = '\0';
        info->vendor = strcmp(vendor, "GenuineIntel") == 0   ? RECUR_CPU_VENDOR_INTEL
                       : strcmp(vendor, "AuthenticAMD") == 0 ? RECUR_CPU_VENDOR_AMD
                                                             : RECUR_CPU_VENDOR_OTHER;
    }
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    info->family = (a >> 8) & 0xf;
    if (info->family == 0xf)
        info->family += (a >> 20) & 0xff;
    bool sse2 = d & (1u << 26), fma = c & (1u << 12), osxsave = c & (1u << 27);
    bool avx = c & (1u << 28);
    if (sse2)
        add_feature(info, "sse2");
    if (avx)
        add_feature(info, "avx");
    if (fma)
        add_feature(info, "fma");

    /* The OS must have enabled saving of XMM|YMM (XCR0 bits 1, 2) and, for AVX-512, of the
     * opmask and both ZMM halves (bits 5, 6, 7); otherwise the registers would be lost on a
     * context switch even though CPUID advertises them. */
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool os_ymm = (xcr0 & 0x6) == 0x6, os_zmm = (xcr0 & 0xe6) == 0xe6;

    unsigned int max_leaf = __get_cpuid_max(0, NULL);
    bool avx2 = false, f = false, dq = false, bw = false, vl = false, bf16 = false;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        avx2 = b & (1u << 5);
        f = b & (1u << 16);
        dq = b & (1u << 17);
        bw = b & (1u << 30);
        vl = b & (1u << 31);
        unsigned int max_sub = a;
        if (max_sub >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            bf16 = a & (1u << 5);
        }
    }
    if (avx2)
        add_feature(info, "avx2");
    if (f)
        add_feature(info, "avx512f");
    if (bw)
        add_feature(info, "avx512bw");
    if (dq)
        add_feature(info, "avx512dq");
    if (vl)
        add_feature(info, "avx512vl");
    if (bf16)
        add_feature(info, "avx512_bf16");
    if (os_ymm)
        add_feature(info, "os-ymm");
    if (os_zmm)
        add_feature(info, "os-zmm");

    info->avx2 = avx && avx2 && fma && os_ymm;
    info->avx512 = info->avx2 && f && bw && dq && vl && os_zmm;
}

#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1 << 10)
#endif
#ifndef HWCAP_SVE
#define HWCAP_SVE (1 << 22)
#endif

void recur_cpu_detect(recur_cpu_info *info)
{
    memset(info, 0, sizeof *info);
    add_feature(info, "aarch64");
    unsigned long hw = getauxval(AT_HWCAP);
    /* Advanced SIMD is part of the AArch64 baseline; HWCAP only confirms it. */
    info->neon = true;
    add_feature(info, "asimd");
    if (hw & HWCAP_ASIMDHP)
        add_feature(info, "asimdhp");
    if (hw & HWCAP_SVE)
        add_feature(info, "sve");
}

#else
void recur_cpu_detect(recur_cpu_info *info)
{
    memset(info, 0, sizeof *info);
    add_feature(info, "generic");
}
#endif
