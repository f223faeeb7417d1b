/* recur — recurrent layers (SimpleRNN, LSTM, GRU) with backpropagation through time.
 *
 * Semantics are Keras 3's (keras/src/layers/rnn/). Weights are in Keras layout, row-major
 * float32, with the x·kernel convention, G gate blocks of H columns each:
 *   kernel            [F, G·H]
 *   recurrent_kernel  [H, G·H]
 *   bias              [G·H], or [2, G·H] for GRU with reset_after (the Keras default):
 *                     row 0 input side, row 1 recurrent side
 * with G = 1 (SimpleRNN), 4 (LSTM: i, f, c, o), 3 (GRU: z, r, h).
 *
 * Sequences are batch-major, [B, T, ·], as Keras passes them. */
#ifndef RECUR_RNN_H
#define RECUR_RNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <recur/export.h>
#include <recur/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RECUR_ACT_DEFAULT = 0,      /* the Keras default for that slot */
    RECUR_ACT_TANH,
    RECUR_ACT_SIGMOID,
    RECUR_ACT_RELU,
    RECUR_ACT_LINEAR,
    RECUR_ACT_HARD_SIGMOID,     /* Keras 3: clip(x/6 + 1/2, 0, 1) */
    RECUR_ACT_SOFTMAX,          /* Dense layers only: over the last axis */
    RECUR_ACT_COUNT
} recur_activation;

typedef enum { RECUR_SIMPLE_RNN = 1, RECUR_LSTM, RECUR_GRU } recur_cell;

/* A zero-initialised field means the Keras default. The struct only grows at the end
 * (docs/ABI.md): recur_rnn_create passes the size this header gives it. */
typedef struct {
    recur_cell cell;
    int input_size;             /* F */
    int units;                  /* H */
    recur_activation activation;            /* default tanh */
    recur_activation recurrent_activation;  /* default sigmoid (LSTM, GRU) */
    bool no_bias;               /* Keras use_bias=False */
    bool reset_before;          /* GRU: Keras reset_after=False */
    bool go_backwards;
    /* since 0.2 */
    bool zero_output_for_mask;  /* masked steps output zeros instead of the previous output */
} recur_rnn_config;

typedef struct recur_rnn recur_rnn;

/* cfg_size: sizeof(recur_rnn_config) as the caller was compiled; the recur_rnn_create
 * macro fills it in. */
RECUR_API recur_status recur_rnn_create_sized(const recur_rnn_config *cfg, size_t cfg_size,
                                              recur_rnn **out);
#define recur_rnn_create(cfg, out) recur_rnn_create_sized((cfg), sizeof(recur_rnn_config), (out))
RECUR_API void recur_rnn_free(recur_rnn *rnn);

/* Element counts of kernel, recurrent_kernel and bias (0 when no_bias). Any may be NULL. */
RECUR_API recur_status recur_rnn_weight_counts(const recur_rnn *rnn, size_t *kernel,
                                               size_t *recurrent_kernel, size_t *bias);

/* Keras layout; bias may be NULL when no_bias. Weights are copied and packed once here. */
RECUR_API recur_status recur_rnn_set_weights(recur_rnn *rnn, const float *kernel,
                                             const float *recurrent_kernel, const float *bias);
RECUR_API recur_status recur_rnn_get_weights(const recur_rnn *rnn, float *kernel,
                                             float *recurrent_kernel, float *bias);

/* Plan memory for batches up to max_batch and sequences up to max_timesteps, masked or
 * not, so that later forward/backward calls within those sizes never allocate. Optional:
 * forward grows the plan itself when it meets a larger shape. */
RECUR_API recur_status recur_rnn_reserve(recur_rnn *rnn, int max_batch, int max_timesteps);

/* Bytes of working memory (activations kept for backward, per-thread scratch) that a
 * forward/backward of this shape needs, weights and gradients not included. */
RECUR_API recur_status recur_rnn_workspace_size(const recur_rnn *rnn, int batch, int timesteps,
                                                size_t *bytes);

/* Inference mode: forward keeps no activations for backward. The sequence is processed in
 * chunks of steps (each chunk's input projection one GEMM), so working memory no longer
 * grows with T; outputs are bitwise identical to training mode. backward is refused until
 * inference mode is switched off again. Off by default. */
RECUR_API recur_status recur_rnn_set_inference(recur_rnn *rnn, bool inference);

/* Threads used by this layer (default: OpenMP's maximum). 0 restores the default. */
RECUR_API recur_status recur_rnn_set_num_threads(recur_rnn *rnn, int threads);

/* x [B,T,F]; h0, c0 [B,H] or NULL for zeros; y [B,T,H] (Keras order, also for go_backwards:
   y[:, s] is the output after s+1 steps) or NULL; h_last, c_last [B,H] or NULL.
   c0 and c_last are for LSTM only and must be NULL otherwise. Keeps what backward needs. */
RECUR_API recur_status recur_rnn_forward(recur_rnn *rnn, int batch, int timesteps,
                                         const float *x, const float *h0, const float *c0,
                                         float *y, float *h_last, float *c_last);

/* As recur_rnn_forward, over padded sequences. mask [B,T], row-major: nonzero = the step
 * is real, 0 = masked; NULL = no mask. Keras semantics: a masked step leaves h (and c)
 * unchanged; its output row repeats the previous step's output (zeros before the first
 * real step, whatever h0 is), or is zeros when cfg.zero_output_for_mask is set. With
 * go_backwards the mask is read in the direction of processing, as Keras does.
 * backward uses the mask of the last forward.
 * When every row's real steps are one run that starts at the first step processed (post-
 * padding) or ends at the last (pre-padding), the time loop works only on the rows still
 * active at each step; other masks compute every row and keep the masked rows' states.
 * Both give the same bits. */
RECUR_API recur_status recur_rnn_forward_masked(recur_rnn *rnn, int batch, int timesteps,
                                                const float *x, const uint8_t *mask,
                                                const float *h0, const float *c0,
                                                float *y, float *h_last, float *c_last);

/* Gradients for the last forward: dy [B,T,H], dh_last, dc_last [B,H], any may be NULL (zero).
   Writes dx [B,T,F], dh0, dc0 [B,H] (each may be NULL) and ACCUMULATES weight gradients. */
RECUR_API recur_status recur_rnn_backward(recur_rnn *rnn, const float *dy, const float *dh_last,
                                          const float *dc_last, float *dx, float *dh0,
                                          float *dc0);

/* Accumulated weight gradients, in the layout of the weights. dbias may be NULL when no_bias. */
RECUR_API recur_status recur_rnn_get_grads(const recur_rnn *rnn, float *dkernel,
                                           float *drecurrent_kernel, float *dbias);
RECUR_API recur_status recur_rnn_zero_grads(recur_rnn *rnn);

#ifdef __cplusplus
}
#endif
#endif
