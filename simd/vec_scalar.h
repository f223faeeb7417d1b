/* Vector vocabulary, scalar: one lane. The reference every ISA is tested against. */
#ifndef RECUR_VEC_SCALAR_H
#define RECUR_VEC_SCALAR_H

#include <math.h>

typedef float vf;
#define VF_LANES 1
#define SGEMM_MR 4
#define SGEMM_NR 4

static inline vf vf_zero(void) { return 0.0f; }
static inline vf vf_set1(float x) { return x; }
static inline vf vf_loadu(const float *p) { return *p; }
static inline void vf_storeu(float *p, vf v) { *p = v; }
static inline vf vf_load_part(const float *p, int n) { return n > 0 ? *p : 0.0f; }
static inline void vf_store_part(float *p, vf v, int n) { if (n > 0) *p = v; }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_div(vf a, vf b) { return a / b; }
static inline vf vf_fma(vf a, vf b, vf c) { return a * b + c; }  /* no FMA unit assumed */
static inline vf vf_max(vf a, vf b) { return a > b ? a : b; }
static inline vf vf_min(vf a, vf b) { return a < b ? a : b; }
static inline vf vf_sqrt(vf a) { return sqrtf(a); }
static inline vf vf_tanh(vf a) { return tanhf(a); }
static inline vf vf_exp(vf a) { return expf(a); }
static inline vf vf_select_gt(vf a, vf b, vf x, vf y) { return a > b ? x : y; }
static inline float vf_reduce_add(vf a) { return a; }

#endif
