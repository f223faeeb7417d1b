/* The runtime dispatcher: detect once, fill one table per ISA (scalar first, then the ISA's
 * own kernels on top), pick the best the machine runs unless RECUR_ISA says otherwise. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <recur/recur.h>

#include "simd/kernels.h"
#include "cpu/cpu.h"
#include "cpu/dispatch.h"
#include "core/error.h"

static const char *const isa_names[RECUR_ISA_COUNT] = { "scalar", "avx2", "avx512", "neon" };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static recur_cpu_info cpu;
static recur_kernels tables[RECUR_ISA_COUNT];
static bool built[RECUR_ISA_COUNT];       /* compiled in and runnable here */
static recur_isa best;
static _Atomic int active = -1;           /* -1: RECUR_ISA was unusable */
static char init_error[256];

static void build_tables(void)
{
    recur_cpu_detect(&cpu);
    for (int i = 0; i < RECUR_ISA_COUNT; i++)
        recur_kernels_fill_scalar(&tables[i]);
    built[RECUR_ISA_SCALAR] = true;
    best = RECUR_ISA_SCALAR;
#ifdef RECUR_HAVE_AVX2
    if (cpu.avx2) {
        recur_kernels_fill_avx2(&tables[RECUR_ISA_AVX2]);
        built[RECUR_ISA_AVX2] = true;
        best = RECUR_ISA_AVX2;
    }
#endif
#ifdef RECUR_HAVE_AVX512
    if (cpu.avx512) {
        recur_kernels_fill_avx512(&tables[RECUR_ISA_AVX512]);
        built[RECUR_ISA_AVX512] = true;
        best = RECUR_ISA_AVX512;
    }
#endif
#ifdef RECUR_HAVE_NEON
    if (cpu.neon) {
        recur_kernels_fill_neon(&tables[RECUR_ISA_NEON]);
        built[RECUR_ISA_NEON] = true;
        best = RECUR_ISA_NEON;
    }
#endif
}

recur_status recur_dispatch_choose(const char *request, const bool runnable[RECUR_ISA_COUNT],
                                   recur_isa best_isa, recur_isa *out, char *msg, size_t msg_size)
{
    if (request == NULL || request[0] == '\0') {
        *out = best_isa;
        return RECUR_OK;
    }
    recur_isa want;
    if (recur_isa_from_name(request, &want) != RECUR_OK) {
        snprintf(msg, msg_size, "RECUR_ISA='%s' is not one of scalar, avx2, avx512, neon",
                 request);
        return RECUR_ERR_ISA;
    }
    if (!runnable[want]) {
        snprintf(msg, msg_size,
                 "RECUR_ISA=%s: this build or this CPU/OS cannot run %s kernels (best here: %s)",
                 request, request, isa_names[best_isa]);
        return RECUR_ERR_ISA;
    }
    *out = want;
    return RECUR_OK;
}

static void init(void)
{
    build_tables();
    recur_isa chosen;
    if (recur_dispatch_choose(getenv("RECUR_ISA"), built, best, &chosen, init_error,
                              sizeof init_error) == RECUR_OK)
        atomic_store(&active, (int)chosen);
}

recur_status recur_kernels_for(recur_isa isa, const recur_kernels **out)
{
    pthread_once(&once, init);
    if ((int)isa < 0 || isa >= RECUR_ISA_COUNT)
        return recur_fail(RECUR_ERR_ARGUMENT, "ISA %d is out of range", (int)isa);
    if (!built[isa])
        return recur_fail(RECUR_ERR_ISA, "%s kernels are not available here (best: %s)",
                          isa_names[isa], isa_names[best]);
    *out = &tables[isa];
    return RECUR_OK;
}

recur_status recur_kernels_active(const recur_kernels **out)
{
    pthread_once(&once, init);
    int a = atomic_load(&active);
    if (a < 0)
        return recur_fail(RECUR_ERR_ISA, "%s", init_error);
    *out = &tables[a];
    return RECUR_OK;
}

const char *recur_isa_name(void)
{
    pthread_once(&once, init);
    int a = atomic_load(&active);
    return isa_names[a < 0 ? (int)best : a];
}

recur_status recur_isa_active(recur_isa *isa)
{
    const recur_kernels *k = NULL;
    if (isa == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_isa_active: isa is NULL");
    recur_status s = recur_kernels_active(&k);
    if (s == RECUR_OK)
        *isa = k->isa;
    return s;
}

int recur_isa_supported(recur_isa isa)
{
    pthread_once(&once, init);
    return (int)isa >= 0 && isa < RECUR_ISA_COUNT && built[isa];
}

recur_status recur_isa_from_name(const char *name, recur_isa *isa)
{
    if (name == NULL || isa == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_isa_from_name: NULL argument");
    for (int i = 0; i < RECUR_ISA_COUNT; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            *isa = (recur_isa)i;
            return RECUR_OK;
        }
    return recur_fail(RECUR_ERR_ARGUMENT, "'%s' is not one of scalar, avx2, avx512, neon", name);
}

const char *recur_isa_to_name(recur_isa isa)
{
    return (int)isa >= 0 && isa < RECUR_ISA_COUNT ? isa_names[isa] : "unknown";
}

recur_status recur_isa_force(recur_isa isa)
{
    const recur_kernels *k;
    recur_status s = recur_kernels_for(isa, &k);
    if (s == RECUR_OK)
        atomic_store(&active, (int)isa);
    return s;
}

const recur_cpu_info *recur_cpu_info_detected(void)
{
    pthread_once(&once, init);
    return &cpu;
}

const char *recur_cpu_features(void)
{
    pthread_once(&once, init);
    return cpu.features;
}
