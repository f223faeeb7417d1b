/* Internal: what the model's recurrent layer (src/layers/recurrent.c) uses of the engine
 * beyond the public layer API: weights bound to the model's blocks, and the last output
 * of a masked sequence. */
#ifndef RECUR_RNN_ENGINE_H
#define RECUR_RNN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <recur/rnn.h>

/* A layer with no weight storage of its own: recur_rnn_bind must come before any other
 * call. cfg is a whole current recur_rnn_config. */
recur_status recur_rnn_create_unbound(const recur_rnn_config *cfg, recur_rnn **out);
/* Use these Keras-layout arrays (weight_counts sizes) for the weights and their
 * gradients, then pack. */
void recur_rnn_bind(recur_rnn *r, float *kernel, float *rec, float *bias, float *dkernel,
                    float *drec, float *dbias);
/* The weights changed in place: pack them again. */
void recur_rnn_weights_changed(recur_rnn *r);

/* One forward: as recur_rnn_forward_masked, plus y_last [B,H], the output of the last step
 * processed as Keras returns it without return_sequences (under a mask the last real
 * step's output, or zeros), when not NULL. The outputs may sit inside a wider array (a
 * Bidirectional layer's concatenation): y's rows and y_last's are ld floats apart (0: H),
 * and with reversed y holds output s at time T − 1 − s (back in time order for a layer
 * that went backwards). */
typedef struct {
    const float *x;
    const uint8_t *mask;
    const float *h0, *c0;
    float *y, *y_last, *h_last, *c_last;
    int ld;
    bool reversed;
} recur_rnn_fwd_io;
recur_status recur_rnn_forward_io(recur_rnn *r, int batch, int timesteps,
                                  const recur_rnn_fwd_io *io);

/* One backward of the last forward: as recur_rnn_backward, plus dy_last [B,H], the gradient
 * of y_last; dy and dy_last laid out as the forward's y and y_last (ld, reversed). */
typedef struct {
    const float *dy, *dy_last, *dh_last, *dc_last;
    float *dx, *dh0, *dc0;
    int ld;
    bool reversed;
} recur_rnn_bwd_io;
recur_status recur_rnn_backward_io(recur_rnn *r, const recur_rnn_bwd_io *io);

/* Keras 3's dropout with recurrent_dropout (its cells' implementation 1), for the next
 * forward and its backward: per batch row b and gate block q, the input of every step is
 * multiplied by in_masks[b, q] ([B, G, F]; NULL: none) before gate q's input product, and
 * the previous state by rec_masks[b, q] ([B, G, H]) before gate q's recurrent product; the
 * state itself (GRU's blend, LSTM's carry) is not masked. Both arrays are read until the
 * backward is done. NULL, NULL: no dropout. */
void recur_rnn_set_dropout(recur_rnn *r, const float *in_masks, const float *rec_masks);
/* Make the layer ready for recur_rnn_set_dropout (per-gate weight packings, the plan's
 * room for masked operands); `inputs`: input masks come with every set of state masks. */
recur_status recur_rnn_plan_dropout(recur_rnn *r, bool inputs);

/* recur_rnn_reserve, also for masked calls when `masked`. */
recur_status recur_rnn_reserve_for(recur_rnn *r, int max_batch, int max_timesteps, bool masked);

#endif
