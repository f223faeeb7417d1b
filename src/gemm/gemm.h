/* Internal: single-threaded SGEMM on the kernel table's micro-kernel.
 *
 *   C[m,n] (+)= op(A)[m,k] · op(B)[k,n]      row-major, leading dimensions in floats
 *   op(A) = A or Aᵀ (trans_a: A is stored [k, m]); likewise op(B).
 *
 * Blocking is BLIS's: B in KC×NC blocks split into NR-wide panels, A in MC×KC blocks of
 * MR-row micro-panels, an MR×NR micro-kernel in registers. A plain A is read in place; only
 * a transposed A is packed. Weights that are used many times are packed once
 * (recur_pack_b) and passed to recur_sgemm_packed. The caller owns the
 * packing workspace (recur_gemm_work_floats, at most RECUR_GEMM_WORK_FLOATS floats per
 * thread), so nothing is allocated. */
#ifndef RECUR_GEMM_H
#define RECUR_GEMM_H

#include <stdbool.h>
#include <stddef.h>

#include "simd/kernels.h"

#ifndef RECUR_GEMM_KC
#define RECUR_GEMM_KC 256
#endif
#ifndef RECUR_GEMM_MC
#define RECUR_GEMM_MC 144   /* a multiple of every MR (4, 6, 8) */
#endif
#ifndef RECUR_GEMM_NC
#define RECUR_GEMM_NC 1024  /* a multiple of every NR (4, 8, 16, 32) */
#endif
#define RECUR_GEMM_WORK_FLOATS ((size_t)RECUR_GEMM_MC * RECUR_GEMM_KC + \
                                (size_t)RECUR_GEMM_KC * RECUR_GEMM_NC)

/* Workspace floats one recur_sgemm (packed_b false) or recur_sgemm_packed (true) call of
 * this shape needs: never more than RECUR_GEMM_WORK_FLOATS, far less for small shapes, and
 * none for a plain A times a packed B (A is read in place). */
size_t recur_gemm_work_floats(const recur_kernels *kt, int m, int n, int k, bool trans_a,
                              bool packed_b);

/* Floats that recur_pack_b writes for a k×n operand: ⌈n/NR⌉ panels of k×NR. */
size_t recur_packed_b_floats(const recur_kernels *kt, int k, int n);

/* Pack op(B)[k,n] as the driver reads it: for each block of KC rows (the last one shorter)
 * all ⌈n/NR⌉ panels of those rows, each kc×NR floats, zero-padded on the right. A block is
 * one contiguous run, so the panels the micro-kernels stream stay spread over every cache
 * set: panels k×NR apart (k = 512 or more) fell on a quarter or half of L2's sets and
 * evicted each other. */
void recur_pack_b(const recur_kernels *kt, int k, int n, const float *b, int ldb, bool trans_b,
                  float *packed);

/* Where the panel holding column col (a multiple of NR) starts, in the KC block of rows
 * that begins at row pc (a multiple of KC), in a k×n packing. */
const float *recur_packed_b_at(const recur_kernels *kt, const float *packed, int k, int n,
                              int pc, int col);

void recur_sgemm(const recur_kernels *kt, int m, int n, int k,
                 const float *a, int lda, bool trans_a,
                 const float *b, int ldb, bool trans_b,
                 float *c, int ldc, bool accumulate, float *work);

/* C[m,n] (+)= Aᵀ·B with A stored [k, m] and B [k, n], their k rows taken in groups: logical
 * row q is row (q / grp)·gstride + q % grp of both (grp rows of one time step's batch
 * group, gstride = the batch). The products of a time-major sequence over some of its
 * batch rows, without gathering them first; equal to recur_sgemm on the gathered rows. */
void recur_sgemm_tn_grouped(const recur_kernels *kt, int m, int n, int k, const float *a,
                            int lda, const float *b, int ldb, int grp, int gstride, float *c,
                            int ldc, bool accumulate, float *work);

/* C[m,n] (+)= Σ_q arows[q][a_col : a_col+m]ᵀ · brows[q][b_col : b_col+n] over q < k: the
 * products over rows gathered from anywhere (a masked layer's real steps), summed in the
 * order of the lists in blocks of RECUR_GEMM_KC, exactly as recur_sgemm sums the same rows
 * stored one after the other. */
void recur_sgemm_tn_gather(const recur_kernels *kt, int m, int n, int k,
                           const float *const *arows, int a_col, const float *const *brows,
                           int b_col, float *c, int ldc, bool accumulate, float *work);

/* As recur_sgemm with B already packed by recur_pack_b for exactly this k and n. */
void recur_sgemm_packed(const recur_kernels *kt, int m, int n, int k,
                        const float *a, int lda, bool trans_a, const float *packed_b,
                        float *c, int ldc, bool accumulate, float *work);

/* C[m,n] = A·B + bias (bias[n] added to every row, after the product, as x·W + b), B packed:
 * the input projection without first copying the bias into every row of C. */
void recur_sgemm_packed_bias(const recur_kernels *kt, int m, int n, int k, const float *a,
                             int lda, const float *packed_b, const float *bias, float *c,
                             int ldc, float *work);

/* C[m,n] (+)= A·B[:, j0:j0+n] with A read in place (row-major, not transposed) and B a
 * k×packed_n packing by recur_pack_b; j0 is a multiple of NR. For an A used once and small
 * enough to stay in cache (one time step's h or dG): no packing, no workspace, the same
 * results bit for bit. */
void recur_sgemm_direct(const recur_kernels *kt, int m, int n, int k, const float *a, int lda,
                        const float *packed_b, int packed_n, int j0, float *c, int ldc,
                        bool accumulate);

/* C[m,n] = A·B[:, j0:j0+n] + bias[0:n] (added to every row, in the epilogue), as
 * recur_sgemm_direct otherwise. */
void recur_sgemm_direct_bias(const recur_kernels *kt, int m, int n, int k, const float *a,
                             int lda, const float *packed_b, int packed_n, int j0,
                             const float *bias, float *c, int ldc);

#endif
