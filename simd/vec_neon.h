/* Vector vocabulary, AArch64 Advanced SIMD: 4 lanes; SLEEF's advsimd build (tanh 3.5-ulp). */
#ifndef RECUR_VEC_NEON_H
#define RECUR_VEC_NEON_H

#include <arm_neon.h>
#include <sleef.h>
#include <string.h>

typedef float32x4_t vf;
#define VF_LANES 4
#define SGEMM_MR 8      /* 8×8 tile: 16 accumulators of 32 q registers */
#define SGEMM_NR 8

static inline vf vf_zero(void) { return vdupq_n_f32(0.0f); }
static inline vf vf_set1(float x) { return vdupq_n_f32(x); }
static inline vf vf_loadu(const float *p) { return vld1q_f32(p); }
static inline void vf_storeu(float *p, vf v) { vst1q_f32(p, v); }
static inline vf vf_load_part(const float *p, int n)
{
    float t[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
    memcpy(t, p, (size_t)n * sizeof(float));
    return vld1q_f32(t);
}
static inline void vf_store_part(float *p, vf v, int n)
{
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, (size_t)n * sizeof(float));
}
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vf_max(vf a, vf b) { return vmaxq_f32(a, b); }
static inline vf vf_min(vf a, vf b) { return vminq_f32(a, b); }
static inline vf vf_sqrt(vf a) { return vsqrtq_f32(a); }
static inline vf vf_tanh(vf a) { return Sleef_tanhf4_u35advsimd(a); }
static inline vf vf_exp(vf a) { return Sleef_expf4_u10advsimd(a); }
static inline vf vf_select_gt(vf a, vf b, vf x, vf y) { return vbslq_f32(vcgtq_f32(a, b), x, y); }
static inline float vf_reduce_add(vf a) { return vaddvq_f32(a); }

#endif
