/* Internal: the Sequential model. */
#ifndef RECUR_MODEL_INTERNAL_H
#define RECUR_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <recur/recur.h>

#include "simd/kernels.h"

typedef enum { LAYER_RNN = 1, LAYER_DENSE } layer_kind;

typedef struct {
    layer_kind kind;
    int units;
    recur_cell cell;               /* RNN */
    recur_rnn_opts opts;           /* RNN, defaults resolved */
    recur_activation activation;   /* Dense, resolved */
    int in_steps, in_features;     /* in_steps 0: no time axis */
    int out_steps, out_features;
    recur_rnn *rnn;                /* RNN: owns its weights and workspace */
    float *kernel, *bias, *dkernel, *dbias;   /* Dense, in the model's parameter block */
    float *out, *dout, *pre;       /* per batch: [B, steps?, features]; pre: Dense logits */
} model_layer;

/* One entry of get_weights(): where the values and gradients live. */
typedef struct {
    float *w, *g;
    size_t n;
    int rank, dims[2];
    int layer;
    float *slot[2];                /* optimizer state (Adam m, v; SGD momentum; RMSprop v, m) */
} model_weight;

#define MODEL_MAX_LAYERS 64
#define MODEL_MAX_WEIGHTS (3 * MODEL_MAX_LAYERS)

struct recur_model {
    int timesteps, features;
    int n_layers;
    model_layer layers[MODEL_MAX_LAYERS];
    const recur_kernels *kt;
    int threads;
    unsigned long long seed;

    bool compiled, initialized;
    recur_compile_opts copts;      /* defaults resolved */
    long long iterations;          /* optimizer steps taken */
    int n_weights;
    model_weight weights[MODEL_MAX_WEIGHTS];
    void *params;                  /* Dense weights and gradients, optimizer slots */

    /* per-batch buffers, sized for cap_batch rows */
    void *acts;
    int cap_batch;
    float *xb, *yb, *gemm_work;
    double *grad_scratch;

    char *metadata;                /* NULL or a NUL-terminated string */
    recur_epoch_log *history;
    int history_len, history_cap;
};

/* Keras's output width per sample (features × steps). */
size_t recur_model_output_size(const recur_model *m);
/* Switch every recurrent layer between training and inference (no kept activations). */
void recur_model_set_inference(recur_model *m, bool inference);
/* Prepare per-batch buffers for batch rows in the layers' current mode (allocates only when
 * something grows). */
recur_status recur_model_ensure_batch(recur_model *m, int batch);
/* Forward a batch already in m->xb; leaves outputs in the last layer's out. */
recur_status recur_model_forward_batch(recur_model *m, int batch);
/* Loss of the last forward against y (batch rows); when grad, also the gradients of every
 * weight (zeroed first) by backpropagation. */
recur_status recur_model_loss_and_grads(recur_model *m, int batch, const float *y, bool grad,
                                        double *loss);
/* Apply one optimizer step to every weight from its gradient, then repack. */
void recur_model_apply_gradients(recur_model *m);
/* Per-batch metric sums for the metric bits; counts elements or rows as Keras does. */
void recur_model_metric_sums(const recur_model *m, int batch, const float *y, double *sums,
                             double *counts);
/* Fill the weight table (Keras get_weights() order) once every layer's storage exists. */
void recur_model_build_weight_table(recur_model *m);
/* Weight initializers. */
void recur_model_init_weights(recur_model *m);
/* Re-pack an RNN layer's weights after they changed in place. */
void recur_rnn_weights_changed(recur_rnn *rnn);
/* Pointers to an RNN layer's Keras-layout weights and gradients. */
void recur_rnn_weight_views(recur_rnn *rnn, float **kernel, float **rec, float **bias,
                            float **dkernel, float **drec, float **dbias);

#endif
