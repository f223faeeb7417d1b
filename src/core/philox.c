/* Philox4x32-10: ten rounds of two 32×32→64-bit multiplies mixing the counter, with the
 * key bumped by Weyl constants between rounds (the constants are the paper's). */
#include "core/philox.h"

enum {
    PHILOX_M0 = 0xD2511F53u, PHILOX_M1 = 0xCD9E8D57u,
    PHILOX_W0 = 0x9E3779B9u, PHILOX_W1 = 0xBB67AE85u,
};

void recur_philox4x32(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        const uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

recur_random_stream recur_random_stream_of(unsigned long long seed, uint32_t stream,
                                           unsigned long long iteration)
{
    return (recur_random_stream){ .key = { (uint32_t)seed, (uint32_t)(seed >> 32) },
                                  .stream = stream, .iteration_lo = (uint32_t)iteration,
                                  .iteration_hi = (uint32_t)(iteration >> 32) };
}

/* Counter of the block holding elements 4q … 4q + 3: (q, stream, iteration). Element
 * indices stay below 2^34, so q fits one word. */
void recur_dropout_factors(const recur_random_stream *st, long long e0, long long n, float rate,
                           float *out)
{
    const float keep = 1.0f / (1.0f - rate);
    long long e = e0;
    const long long end = e0 + n;
    while (e < end) {
        const uint32_t ctr[4] = { (uint32_t)(e >> 2), st->stream, st->iteration_lo,
                                  st->iteration_hi };
        uint32_t bits[4];
        recur_philox4x32(st->key, ctr, bits);
        for (int i = (int)(e & 3); i < 4 && e < end; i++, e++) {
            const float u = (float)(bits[i] >> 8) * 0x1p-24f;   /* 24 bits: exact in a float */
            *out++ = u < rate ? 0.0f : keep;
        }
    }
}
