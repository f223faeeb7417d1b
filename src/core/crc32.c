/* CRC-32 with its table built once, under pthread_once, so concurrent first calls (two
 * threads saving models) never read a half-built table. */
#include <pthread.h>

#include "core/crc32.h"

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

uint32_t recur_crc32(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&table_once, build_table);
    const unsigned char *b = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
