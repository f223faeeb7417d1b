/* Counting the test's allocations, to prove a loop allocates nothing: include once, in
 * the test's own file (it defines malloc and friends). Not under AddressSanitizer, which
 * owns malloc: there COUNTING_ALLOCATIONS stays undefined. */
#ifndef RECUR_TEST_ALLOC_COUNT_H
#define RECUR_TEST_ALLOC_COUNT_H

#include <stddef.h>

#ifndef __SANITIZE_ADDRESS__
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static _Atomic long allocations;
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { allocations++; return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n)
{
    allocations++;
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12;
}
#define COUNTING_ALLOCATIONS 1
#endif

#endif
