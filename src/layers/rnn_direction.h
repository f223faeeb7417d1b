/* Internal: one direction of a recurrent model layer — the engine (src/rnn/) with what Keras's
 * RNN layer adds around its cell: dropout in training and states carried from call to call
 * (stateful). SimpleRNN/LSTM/GRU layers hold one, Bidirectional two. */
#ifndef RECUR_LAYERS_RNN_DIRECTION_H
#define RECUR_LAYERS_RNN_DIRECTION_H

#include <stdbool.h>
#include <stddef.h>

#include <recur/recur.h>

#include "layers/layer.h"

typedef struct {
    recur_rnn *rnn;
    recur_cell cell;
    int F, H, G, T;
    float dropout, recurrent_dropout;
    bool stateful;
    int stream0;               /* its first random stream of the layer's (see below) */
    /* stateful: [2][B, H] of h, then of c, each read as the initial states and written as
     * the final ones in turn; rows held (0: none yet, zeros) */
    float *states;
    int state_cap, state_rows, state_cur;
    /* the last forward's dropout, for backward */
    bool input_mask, engine_masks;
} rnn_direction;

/* Streams a direction draws from: stream0 + these. */
enum { RNN_STREAM_INPUT = 0, RNN_STREAM_RECURRENT = 1, RNN_STREAMS = 2 };

/* The engine for cfg (weights bound later) and the options the direction applies. */
recur_status rnn_direction_init(rnn_direction *d, const recur_rnn_config *cfg, int steps,
                                const recur_rnn_opts *o, int stream0);
void rnn_direction_free(rnn_direction *d);

/* Floats of scratch a forward keeps for its backward (dropout masks, the dropped input). */
size_t rnn_direction_scratch(const rnn_direction *d, int batch);
/* Plan the engine and the states for batches up to `batch`. */
recur_status rnn_direction_reserve(rnn_direction *d, int batch, bool masked);

/* Where a direction's outputs go: y [B, T, ·] and/or y_last [B, ·] (either NULL), rows ld
 * floats apart (0: H), y in reversed time order when `reversed` (the engine's recur_rnn_fwd_io). */
typedef struct {
    float *y, *y_last;
    int ld;
    bool reversed;
} rnn_outputs;

/* Their gradients, laid out as the outputs were. */
typedef struct {
    const float *dy, *dy_last;
    int ld;
    bool reversed;
} rnn_output_grads;

/* x [B, T, F] (mask [B, T] or NULL) → the outputs. */
recur_status rnn_direction_forward(rnn_direction *d, const layer_fwd *f, rnn_outputs out,
                                   float *scratch);
/* The last forward's gradients → dx [B, T, F] (NULL: not wanted); weight gradients
 * accumulate. */
recur_status rnn_direction_backward(rnn_direction *d, int batch, rnn_output_grads g, float *dx,
                                    float *scratch);

/* Forget the carried states. */
void rnn_direction_reset(rnn_direction *d);
/* The carried states as rows × per_row floats: h [rows, H], then (LSTM) c [rows, H]. */
size_t rnn_direction_state_floats_per_row(const rnn_direction *d);
void rnn_direction_read_states(const rnn_direction *d, float *out);
recur_status rnn_direction_write_states(rnn_direction *d, int rows, const float *in);

#endif

/* ---- what the recurrent kinds share (src/layers/rnn_options.c) ---- */
/* The engine configuration for a cell of `units` over `features` inputs with options o
 * (activations resolved to Keras's defaults). */
recur_rnn_config rnn_config_of(recur_cell cell, int features, int units, const recur_rnn_opts *o);
/* o copied from the caller's struct of o_size bytes (NULL: defaults), activations resolved;
 * then checked: rates in [0, 1). */
recur_status rnn_opts_take(recur_rnn_opts *out, const recur_rnn_opts *o, size_t o_size,
                           const char *what);
/* Floats of a direction's weights, for the parameter budget. */
size_t rnn_weight_floats(recur_cell cell, int features, int units, const recur_rnn_opts *o);
/* A direction's weights as L->weights[first…] (Keras order: kernel, recurrent_kernel,
 * bias); returns how many. */
int rnn_set_weights(layer *L, int first, recur_cell cell, int features, int units,
                    const recur_rnn_opts *o);
/* Bind the direction's engine to weights w[0…] (count 2 or 3). */
void rnn_direction_bind(rnn_direction *d, const layer_weight *w, int count);
/* Keras's initializers for one direction's weights w[0…]. */
void rnn_init_weights(const rnn_direction *d, const recur_rnn_opts *o, layer_weight *w,
                      int count, layer_rng *r);
/* The options as config entries, and back (absent keys: Keras defaults). */
void rnn_opts_write(layer_config_writer *w, recur_cell cell, int units, const recur_rnn_opts *o);
void rnn_opts_read(layer_config_reader *r, recur_cell cell, int *units, recur_rnn_opts *o);
