/* An FMA throughput loop written against the vector vocabulary: 12 independent chains,
 * enough to cover FMA latency × ports on every target here. Returns the flops executed. */
#ifndef RECUR_PEAK_BODY_H
#define RECUR_PEAK_BODY_H

static double peak_fma_loop(long iters, float seed)
{
    vf a0 = vf_set1(seed), a1 = vf_set1(seed + 1), a2 = vf_set1(seed + 2), a3 = vf_set1(seed + 3);
    vf a4 = vf_set1(seed + 4), a5 = vf_set1(seed + 5), a6 = vf_set1(seed + 6);
    vf a7 = vf_set1(seed + 7), a8 = vf_set1(seed + 8), a9 = vf_set1(seed + 9);
    vf a10 = vf_set1(seed + 10), a11 = vf_set1(seed + 11);
    const vf m = vf_set1(0.999999f), c = vf_set1(1e-7f);
    for (long i = 0; i < iters; i++) {
        a0 = vf_fma(a0, m, c); a1 = vf_fma(a1, m, c); a2 = vf_fma(a2, m, c);
        a3 = vf_fma(a3, m, c); a4 = vf_fma(a4, m, c); a5 = vf_fma(a5, m, c);
        a6 = vf_fma(a6, m, c); a7 = vf_fma(a7, m, c); a8 = vf_fma(a8, m, c);
        a9 = vf_fma(a9, m, c); a10 = vf_fma(a10, m, c); a11 = vf_fma(a11, m, c);
    }
    vf s = vf_add(vf_add(vf_add(a0, a1), vf_add(a2, a3)), vf_add(vf_add(a4, a5), vf_add(a6, a7)));
    s = vf_add(s, vf_add(vf_add(a8, a9), vf_add(a10, a11)));
    volatile float sink = vf_reduce_add(s);
    (void)sink;
    return (double)iters * 12.0 * 2.0 * VF_LANES;
}

#endif
