/* The kernel table: every operation the layers run in their inner loops, one function
 * pointer each. recur_kernels_fill_scalar() fills every slot; each ISA's translation unit
 * then overlays the slots it implements, so no slot is ever empty.
 *
 * Conventions: row-major float32. The GEMM micro-kernels take B as packed panels and A
 * packed or in place (see src/gemm/gemm.h); the gate kernels work on one time step of `rows`
 * batch rows whose gate blocks are contiguous: gates [rows, G·H], states [rows, H]. A
 * kernel may be given a slice of hidden units [j0, j0 + units) of a layout with
 * H = layout_units: the caller offsets every pointer by j0 (rec_bias too), and the kernel
 * keeps H for all strides. */
#ifndef RECUR_SIMD_KERNELS_H
#define RECUR_SIMD_KERNELS_H

#include <stddef.h>

#include <recur/isa.h>
#include <recur/rnn.h>

/* LSTM step forward. gates in: preactivations x·W + b + h·U; out: activated i, f, g, o,
 * kept for backward. c = f⊙c_prev + i⊙g, h = o⊙act(c); act(c) also into act_c when given
 * (training keeps it, so backward does not compute it again). */
typedef struct {
    int rows, units;
    recur_activation act, rec_act;     /* resolved: never RECUR_ACT_DEFAULT */
    float *gates;                      /* [rows, 4H] */
    const float *c_prev;               /* [rows, H] */
    float *c, *h;                      /* [rows, H] */
    int layout_units;                  /* H of the layout (gate block offset, state row
                                        * stride); 0: = units. Larger for a column slice */
    float *act_c;                      /* [rows, H] or NULL */
} recur_lstm_fwd_args;

/* LSTM step backward. gates in: activated gates; out: gradients of the preactivations.
 * dh: gradient reaching h_t (from y_t and from step t+1). dc in: gradient reaching c_t
 * from step t+1; out: gradient reaching c_prev. act(c) is read from act_c when given (the
 * forward kept it), else computed from c. */
typedef struct {
    int rows, units;
    recur_activation act, rec_act;
    float *gates;                      /* [rows, 4H] */
    const float *c_prev, *c;           /* [rows, H]; c unused with act_c */
    const float *dh;                   /* [rows, H] */
    float *dc;                         /* [rows, H] */
    int layout_units;                  /* H of the layout (gate block offset, state row
                                        * stride); 0: = units. Larger for a column slice */
    const float *act_c;                /* [rows, H] or NULL */
} recur_lstm_bwd_args;

/* GRU step forward, reset_after (Keras default):
 *   z = σ(gx_z + rh_z), r = σ(gx_r + rh_r), hh = act(gx_h + r ⊙ rh_h),
 *   h = z ⊙ h_prev + (1 − z) ⊙ hh
 * gates: in gx = x·W + b_in; out z, r, hh. rec: in h_prev·U; with rec_bias, out the same
 * plus rec_bias (kept for backward); without, read only (the caller's GEMM added b_rec). */
typedef struct {
    int rows, units;
    recur_activation act, rec_act;
    float *gates;                      /* [rows, 3H] */
    float *rec;                        /* [rows, 3H] */
    const float *rec_bias;             /* [3H] or NULL */
    const float *h_prev;               /* [rows, H] */
    float *h;                          /* [rows, H] */
    int layout_units;                  /* H of the layout (gate block offset, state row
                                        * stride); 0: = units. Larger for a column slice */
} recur_gru_fwd_args;

/* GRU step backward, reset_after. gates: in z, r, hh; out dgx (grad of x·W + b_in).
 * rec: in h_prev·U + b_rec; out dgh (grad of h_prev·U + b_rec).
 * dh_prev gets the direct path dh ⊙ z (the U path is a GEMM the caller adds). */
typedef struct {
    int rows, units;
    recur_activation act, rec_act;
    float *gates;                      /* [rows, 3H] */
    float *rec;                        /* [rows, 3H] */
    const float *h_prev, *dh;          /* [rows, H] */
    float *dh_prev;                    /* [rows, H]; may alias dh */
    int layout_units;                  /* H of the layout (gate block offset, state row
                                        * stride); 0: = units. Larger for a column slice */
} recur_gru_bwd_args;

/* GRU reset_before (Keras reset_after=False), split around the GEMM (r ⊙ h_prev)·U_h.
 * part 1: gates[:, 0:2H] in gx + h_prev·U_zr, out z, r; rh = r ⊙ h_prev.
 * part 2: gates[:, 2H:3H] in gx_h + rh·U_h, out hh; h = z ⊙ h_prev + (1 − z) ⊙ hh. */
typedef struct {
    int rows, units;
    recur_activation act, rec_act;
    float *gates;                      /* [rows, 3H] */
    const float *h_prev;               /* [rows, H] */
    float *rh;                         /* [rows, H]: part 1 writes, kept for backward */
    float *h;                          /* [rows, H]: part 2 writes */
    int layout_units;                  /* H of the layout (gate block offset, state row
                                        * stride); 0: = units. Larger for a column slice */
} recur_gru_rb_fwd_args;

/* GRU reset_before backward.
 * part 1: from z, hh, h_prev, dh: gates z slot ← dz_pre, h slot ← dhh_pre; dh_prev ← dh ⊙ z.
 * The caller then computes drh = dhh_pre · U_hᵀ.
 * part 2: gates r slot ← (drh ⊙ h_prev) σ'(r); dh_prev += drh ⊙ r. */
typedef struct {
    int rows, units;
    recur_activation act, rec_act;
    float *gates;                      /* [rows, 3H] */
    const float *h_prev, *dh;          /* [rows, H] */
    const float *drh;                  /* [rows, H]: part 2 only */
    float *dh_prev;                    /* [rows, H]; may alias dh in part 1 */
    int layout_units;                  /* H of the layout (gate block offset, state row
                                        * stride); 0: = units. Larger for a column slice */
} recur_gru_rb_bwd_args;

typedef struct recur_kernels {
    recur_isa isa;
    const char *name;

    /* GEMM micro-kernel on packed panels: C[m,n] (+)= Ap[kc, MR]ᵀ-panel · Bp[kc, NR]-panel,
     * m ≤ mr, n ≤ nr; ap holds kc groups of mr floats, bp kc groups of nr floats. Without
     * accumulate, a non-NULL bias[0:n] is added to every row (C = A·B + bias). */
    int mr, nr;
    void (*sgemm_ukr)(int kc, const float *ap, const float *bp, float *c, int ldc,
                      int m, int n, int accumulate, const float *bias);
    /* The same with A unpacked: m rows of a row-major matrix, lda floats apart. */
    void (*sgemm_ukr_direct)(int kc, const float *a, int lda, const float *bp, float *c,
                             int ldc, int m, int n, int accumulate, const float *bias);

    /* Element-wise activations: y = act(x); dx = dy ⊙ act'(x) written from y = act(x). */
    void (*act_forward)(size_t n, recur_activation act, const float *x, float *y);
    void (*act_backward)(size_t n, recur_activation act, const float *y, const float *dy,
                         float *dx);

    void (*lstm_fwd)(const recur_lstm_fwd_args *a);
    void (*lstm_bwd)(const recur_lstm_bwd_args *a);
    void (*gru_fwd)(const recur_gru_fwd_args *a);
    void (*gru_bwd)(const recur_gru_bwd_args *a);
    void (*gru_rb_fwd1)(const recur_gru_rb_fwd_args *a);
    void (*gru_rb_fwd2)(const recur_gru_rb_fwd_args *a);
    void (*gru_rb_bwd1)(const recur_gru_rb_bwd_args *a);
    void (*gru_rb_bwd2)(const recur_gru_rb_bwd_args *a);

    /* Vector helpers for optimizers and reductions. */
    void (*axpy)(size_t n, float alpha, const float *x, float *y);       /* y += αx */
    void (*scale)(size_t n, float alpha, float *x);                      /* x *= α */
    double (*sum_squares)(size_t n, const float *x);                     /* Σ x² */
    float (*dot)(size_t n, const float *x, const float *y);             /* Σ x·y */
    /* out[r·ldo + j] = bias[j] + Σ_{f<nx} x[r·ldx + f]·w[f·ldw + j] for rows r < rows;
     * bias NULL means 0 */
    void (*row_affine)(size_t rows, size_t n, int nx, const float *x, size_t ldx,
                       const float *w, size_t ldw, const float *bias, float *out, size_t ldo);
    /* out[j] += Σ_r w[r·ldw] · a[r·lda + j], rows in order; w NULL means weights 1. With
     * grp > 0 logical row r is row (r / grp)·gstride + r % grp (grp 0: contiguous) */
    void (*colsum)(size_t rows, size_t cols, const float *a, size_t lda, const float *w,
                   size_t ldw, size_t grp, size_t gstride, float *out);
    void (*clamp)(size_t n, float lo, float hi, float *x);               /* x ← clip(x) */
    /* Adam/AdamW-style moment update and step, Keras 3 rule:
     * m += (1-β1)(g-m); v += (1-β2)(g²-v); w -= lr_t · m / (√v + ε). With gsq (not NULL)
     * v takes gsq in place of g²: a gradient summed from slices, whose squares Keras's
     * TensorFlow optimizers sum per slice. */
    void (*adam_step)(size_t n, float lr_t, float beta_1, float beta_2, float epsilon,
                      const float *g, const float *gsq, float *m, float *v, float *w);
} recur_kernels;

/* Fill every slot with the scalar reference. */
void recur_kernels_fill_scalar(recur_kernels *k);
/* Overlay an ISA's kernels; each lives in its own translation unit built with its flags. */
void recur_kernels_fill_avx2(recur_kernels *k);
void recur_kernels_fill_avx512(recur_kernels *k);
void recur_kernels_fill_neon(recur_kernels *k);

/* The table of one ISA (tests and benchmarks compare ISAs side by side);
 * RECUR_ERR_ISA if this build or machine cannot run it. */
recur_status recur_kernels_for(recur_isa isa, const recur_kernels **out);
/* The active table; RECUR_ERR_ISA (message set) if RECUR_ISA asked for the impossible. */
recur_status recur_kernels_active(const recur_kernels **out);

#endif
