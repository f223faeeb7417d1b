/* Vector vocabulary, AVX-512 F/BW/DQ/VL: 16 lanes, masked tails; SLEEF's AVX-512F build
 * (tanh 3.5-ulp: the 1-ulp one cost 23% of an LSTM training step at H=50; exp 1-ulp). */
#ifndef RECUR_VEC_AVX512_H
#define RECUR_VEC_AVX512_H

#include <immintrin.h>
#include <sleef.h>

typedef __m512 vf;
#define VF_LANES 16
#define SGEMM_MR 8      /* 8×32 tile: 16 accumulators, 2 B vectors, broadcast operands */
#define SGEMM_NR 32

static inline __mmask16 vf_tail_mask(int n) { return (__mmask16)((1u << n) - 1u); }
static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_storeu(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_load_part(const float *p, int n) { return _mm512_maskz_loadu_ps(vf_tail_mask(n), p); }
static inline void vf_store_part(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, vf_tail_mask(n), v); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_sqrt(vf a) { return _mm512_sqrt_ps(a); }
static inline vf vf_tanh(vf a) { return Sleef_tanhf16_u35avx512f(a); }
static inline vf vf_exp(vf a) { return Sleef_expf16_u10avx512f(a); }
static inline vf vf_select_gt(vf a, vf b, vf x, vf y)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), y, x);
}
static inline float vf_reduce_add(vf a) { return _mm512_reduce_add_ps(a); }

/* A narrow vector (a ymm register) for a GEMM tile's last few columns: 8 lanes cost half a
 * zmm's FMA work, where a zmm would multiply mostly zero padding. */
typedef __m256 vq;
#define VQ_LANES 8
static inline __mmask8 vq_tail_mask(int n) { return (__mmask8)((1u << n) - 1u); }
static inline vq vq_zero(void) { return _mm256_setzero_ps(); }
static inline vq vq_set1(float x) { return _mm256_set1_ps(x); }
static inline vq vq_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline vq vq_load_part(const float *p, int n) { return _mm256_maskz_loadu_ps(vq_tail_mask(n), p); }
static inline void vq_store_part(float *p, vq v, int n) { _mm256_mask_storeu_ps(p, vq_tail_mask(n), v); }
static inline vq vq_add(vq a, vq b) { return _mm256_add_ps(a, b); }
static inline vq vq_fma(vq a, vq b, vq c) { return _mm256_fmadd_ps(a, b, c); }

#endif
