#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void *recur_alloc_aligned(size_t bytes)
{
    if (bytes == 0)
        bytes = RECUR_ALIGN;
    size_t rounded = (bytes + RECUR_ALIGN - 1) & ~(size_t)(RECUR_ALIGN - 1);
    if (rounded < bytes)
        return NULL;
    void *p = aligned_alloc(RECUR_ALIGN, rounded);
    if (p)
        memset(p, 0, rounded);
    return p;
}

void recur_free_aligned(void *p) { free(p); }

int recur_default_threads(void) { return omp_get_max_threads(); }
