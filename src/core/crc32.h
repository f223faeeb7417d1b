/* Internal: CRC-32 (IEEE 802.3, as zlib computes it). */
#ifndef RECUR_CORE_CRC32_H
#define RECUR_CORE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc of p[0:n) continuing from `crc` (0 to start). Safe from any thread. */
uint32_t recur_crc32(uint32_t crc, const void *p, size_t n);

#endif
