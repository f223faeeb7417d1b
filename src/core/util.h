/* Internal: aligned allocation and small helpers. */
#ifndef RECUR_UTIL_H
#define RECUR_UTIL_H

#include <stddef.h>

#define RECUR_ALIGN 64

/* 64-byte aligned, zeroed; NULL on failure or overflow. Free with recur_free_aligned. */
void *recur_alloc_aligned(size_t bytes);
void recur_free_aligned(void *p);

/* Round a count of floats up so every region starts on a 64-byte boundary. */
static inline size_t recur_round_floats(size_t n) { return (n + 15) & ~(size_t)15; }

/* Threads OpenMP would use by default. */
int recur_default_threads(void);

#endif
