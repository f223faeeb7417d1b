/* The GEMM micro-kernels of kernel_bodies.h, written once against the vector vocabulary:
 * the register tiles every product in src/gemm/ runs on. Not a header of its own: included
 * by kernel_bodies.h, after its vocabulary and ld/st, once per ISA translation unit. */
#ifndef RECUR_KERNEL_GEMM_H
#define RECUR_KERNEL_GEMM_H

#define SGEMM_NV (SGEMM_NR / VF_LANES)

/* ---- GEMM micro-kernel: C[m,n] (+)= Σ_k ap[k][0:MR] ⊗ bp[k][0:NR] ---------------------- */
/* How far ahead (in k) the B panel is prefetched: B streams from L2/L3 on the first tile of
 * each panel (a recurrent weight matrix rarely fits L2), and 16 steps cover that latency. */
#define SGEMM_PREFETCH_K 16

/* A element (i, k) is a[i·rs + k·ks]: packed panels (rs = 1, ks = MR) or rows of a plain
 * row-major matrix (rs = lda, ks = 1). Rows past `arows` repeat the last valid row, so a
 * plain matrix is never read past its end; their results are not stored. The tile is `mr`
 * rows by nv vectors (constants at each call: SGEMM_MR and SGEMM_NV, or half of either
 * for a tile whose rows or columns fit in half, so its padding is not multiplied); panels
 * keep their MR and NR strides. */
static inline __attribute__((always_inline)) void
sgemm_body(int kc, const float *restrict a, size_t rs, size_t ks, int arows,
           const float *restrict bp, float *restrict c, int ldc, int m, int n, int accumulate,
           const float *restrict bias, const int mr, const int nv)
{
    vf acc[SGEMM_MR][SGEMM_NV];
    const float *ar[SGEMM_MR];
#pragma GCC unroll 32
    for (int i = 0; i < mr; i++) {
        ar[i] = a + (size_t)(i < arows ? i : arows - 1) * rs;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            acc[i][v] = vf_zero();
    }
    /* The C tile is touched once, at the end; its rows are often a power-of-two apart
     * (ldc = 4H), so they collide in L1 sets and would miss. Start fetching them now. */
    for (int i = 0; i < m; i++) {
        __builtin_prefetch(c + (size_t)i * ldc, 1, 3);
        __builtin_prefetch(c + (size_t)i * ldc + n - 1, 1, 3);
    }

#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        vf b[SGEMM_NV];
#pragma GCC unroll 8
        for (int v = 0; v < nv * VF_LANES; v += 16)
            __builtin_prefetch(bp + SGEMM_PREFETCH_K * SGEMM_NR + v, 0, 3);
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            b[v] = vf_loadu(bp + v * VF_LANES);
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            vf av = vf_set1(ar[i][(size_t)k * ks]);
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++)
                acc[i][v] = vf_fma(av, b[v], acc[i][v]);
        }
        bp += SGEMM_NR;
    }

    if (m == mr && n == nv * VF_LANES) {   /* full tile: straight-line, no masks */
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            float *ci = c + (size_t)i * ldc;
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++) {
                vf r = acc[i][v];
                if (accumulate)
                    r = vf_add(r, vf_loadu(ci + v * VF_LANES));
                else if (bias)
                    r = vf_add(r, vf_loadu(bias + v * VF_LANES));
                vf_storeu(ci + v * VF_LANES, r);
            }
        }
        return;
    }
    for (int i = 0; i < m; i++) {
        float *ci = c + (size_t)i * ldc;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            int col = v * VF_LANES;
            if (col >= n)
                break;
            int cnt = n - col < VF_LANES ? n - col : VF_LANES;
            vf r = acc[i][v];
            if (accumulate)
                r = vf_add(r, ld(ci + col, cnt));
            else if (bias)
                r = vf_add(r, ld(bias + col, cnt));
            st(ci + col, r, cnt);
        }
    }
}

#ifdef VQ_LANES
/* A tile whose n columns fit one narrow vector (VQ_LANES, a vocabulary's optional
 * half-width register): as sgemm_body with one vq per row. */
static inline __attribute__((always_inline)) void
sgemm_body_narrow(int kc, const float *restrict a, size_t rs, size_t ks, int arows,
                  const float *restrict bp, float *restrict c, int ldc, int m, int n,
                  int accumulate, const float *restrict bias, const int mr)
{
    vq acc[SGEMM_MR];
    const float *ar[SGEMM_MR];
#pragma GCC unroll 32
    for (int i = 0; i < mr; i++) {
        ar[i] = a + (size_t)(i < arows ? i : arows - 1) * rs;
        acc[i] = vq_zero();
    }
    for (int i = 0; i < m; i++)
        __builtin_prefetch(c + (size_t)i * ldc, 1, 3);
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        __builtin_prefetch(bp + SGEMM_PREFETCH_K * SGEMM_NR, 0, 3);
        const vq b = vq_loadu(bp);
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++)
            acc[i] = vq_fma(vq_set1(ar[i][(size_t)k * ks]), b, acc[i]);
        bp += SGEMM_NR;
    }
    for (int i = 0; i < m; i++) {
        float *ci = c + (size_t)i * ldc;
        vq r = acc[i];
        if (accumulate)
            r = vq_add(r, vq_load_part(ci, n));
        else if (bias)
            r = vq_add(r, vq_load_part(bias, n));
        vq_store_part(ci, r, n);
    }
}
#endif

/* One tile of `mr` rows (a constant): the body as wide as its n columns need, so a last
 * panel of a few columns does not multiply its zero padding: half the vectors when n fits
 * in half, and with a narrow vector (VQ_LANES) one narrow register, or half the vectors
 * plus one narrow register. A narrow part reads its columns of the same packed panel,
 * NR/2 further on. */
static inline __attribute__((always_inline)) void
sgemm_tile(int kc, const float *restrict a, size_t rs, size_t ks, int arows,
           const float *restrict bp, float *restrict c, int ldc, int m, int n, int accumulate,
           const float *restrict bias, const int mr)
{
#if SGEMM_NV % 2 == 0
#ifdef VQ_LANES
    if (n <= VQ_LANES) {
        sgemm_body_narrow(kc, a, rs, ks, arows, bp, c, ldc, m, n, accumulate, bias, mr);
        return;
    }
    if (n > SGEMM_NR / 2 && n <= SGEMM_NR / 2 + VQ_LANES) {
        const int h = SGEMM_NR / 2;
        sgemm_body(kc, a, rs, ks, arows, bp, c, ldc, m, h, accumulate, bias, mr, SGEMM_NV / 2);
        sgemm_body_narrow(kc, a, rs, ks, arows, bp + h, c + h, ldc, m, n - h, accumulate,
                          bias ? bias + h : NULL, mr);
        return;
    }
#endif
    if (n <= SGEMM_NR / 2) {
        sgemm_body(kc, a, rs, ks, arows, bp, c, ldc, m, n, accumulate, bias, mr, SGEMM_NV / 2);
        return;
    }
#endif
    sgemm_body(kc, a, rs, ks, arows, bp, c, ldc, m, n, accumulate, bias, mr, SGEMM_NV);
}

/* A last panel of a few rows takes the smallest tile that holds them: half the rows, or
 * (MR a multiple of 3) two thirds, else all MR. AVX2's 6-row tile leaves 4 of a thread's 16
 * batch rows (batch 32 on 2 threads), which a 6-row tile would multiply with 2 padding rows
 * every step; the 4×16 tile still has the 8 independent accumulators FMA latency needs. */
#if SGEMM_MR % 3 == 0
#define SGEMM_TILE_TWO_THIRDS(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias)               \
    else if ((m) <= 2 * SGEMM_MR / 3)                                                          \
        sgemm_tile(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias, 2 * SGEMM_MR / 3);
#else
#define SGEMM_TILE_TWO_THIRDS(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias)
#endif
#if SGEMM_MR % 2 == 0
#define SGEMM_TILE(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias)                          \
    do {                                                                                       \
        if ((m) <= SGEMM_MR / 2)                                                               \
            sgemm_tile(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias, SGEMM_MR / 2);       \
        SGEMM_TILE_TWO_THIRDS(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias)               \
        else                                                                                   \
            sgemm_tile(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias, SGEMM_MR);           \
    } while (0)
#else
#define SGEMM_TILE(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias)                          \
    sgemm_tile(kc, a, rs, ks, arows, bp, c, ldc, m, n, acc, bias, SGEMM_MR)
#endif

/* A packed: kc groups of MR floats (rows past m are zero padding). */
static void sgemm_ukr(int kc, const float *restrict ap, const float *restrict bp,
                      float *restrict c, int ldc, int m, int n, int accumulate,
                      const float *restrict bias)
{
    SGEMM_TILE(kc, ap, 1, SGEMM_MR, SGEMM_MR, bp, c, ldc, m, n, accumulate, bias);
}

/* A read in place: m rows of a row-major matrix, lda apart, from column a[0]. Saves packing
 * an A whose MR rows stay in L1 while the B panels stream past (h_{t-1}, dG_t, x). */
static void sgemm_ukr_direct(int kc, const float *restrict a, int lda, const float *restrict bp,
                             float *restrict c, int ldc, int m, int n, int accumulate,
                             const float *restrict bias)
{
    SGEMM_TILE(kc, a, (size_t)lda, 1, m, bp, c, ldc, m, n, accumulate, bias);
}

#endif
