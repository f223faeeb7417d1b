/* Internal: the Sequential model, a list of layers (src/layers/layer.h).
 *
 * Memory, planned up front:
 * - the parameter block, sized at compile by one table (the weights in get_weights()
 *   order) that also points every layer weight into it: values | gradients | squares |
 *   optimizer slot 0 | slot 1, the values, gradients and slots in one layout, the squares
 *   (of sparse gradients' slices, Embedding's) right after the gradients, so a clip, an
 *   optimizer step or a sum across processes is one pass over one array;
 * - the batch block, sized for the largest batch a call will run: the input batch, the
 *   targets, and per layer its output, the gradient reaching it, its scratch and its mask. */
#ifndef RECUR_MODEL_INTERNAL_H
#define RECUR_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <recur/collective.h>
#include <recur/recur.h>

#include "layers/layer.h"
#include "simd/kernels.h"

#define MODEL_MAX_LAYERS 64
#define MODEL_MAX_WEIGHTS (LAYER_MAX_WEIGHTS * MODEL_MAX_LAYERS)

/* One entry of get_weights(): layer `layer`'s weight `index`, n floats at `offset` in
 * every region of the parameter block; a sparse weight's squared slices at sq_offset of
 * the squares region. */
typedef struct {
    int layer, index;
    size_t n, offset;
    bool sparse;
    size_t sq_offset;
} model_weight;

/* Per layer, the batch buffers of the current plan. */
typedef struct {
    float *y, *dy, *scratch;      /* [B, out], [B, out], scratch_floats(B) */
    uint8_t *mask_buf;            /* [B, out.steps] under MASK_MAKE */
    const uint8_t *mask;          /* the mask leaving the layer: NULL, the input's, or mask_buf */
} model_acts;

struct recur_model {
    char name[64];                 /* a Keras file's model name; "": "sequential" */
    int timesteps, features;
    bool length_open;              /* Keras's input length None: the buffers are planned for
                                    * `timesteps`, files record the length as open */
    int n_layers;
    layer *layers[MODEL_MAX_LAYERS];
    const recur_kernels *kt;
    int threads;
    unsigned long long seed;

    bool compiled, initialized;
    bool compile_implicit;         /* compiled only to hold weights: a Keras file without
                                    * compile settings, which Keras must compile to train */
    recur_compile_opts copts;      /* defaults resolved */
    long long iterations;          /* optimizer steps taken */
    bool inference;                /* predict/evaluate: no dropout, nothing kept for backward */
    int stateful_batch;            /* a stateful model's batch: its last forward's rows, or a
                                    * Keras file's fixed batch size; 0 while unknown */

    int n_weights;
    model_weight weights[MODEL_MAX_WEIGHTS];
    float *block;                  /* the parameter block */
    size_t block_floats, sq_floats;  /* floats of each region; of the squares region */
    float *params, *grads, *sq, *slot[2];

    void *batch_block;             /* per-batch buffers for cap_batch rows */
    int cap_batch;
    float *xb, *yb, *gemm_work;
    model_acts acts[MODEL_MAX_LAYERS];

    /* While a file is loaded: the weights its remaining bytes can hold, so a forged
     * architecture is refused before anything is allocated for it. */
    bool loading;
    size_t load_param_budget;

    recur_collective coll;         /* size 0: trained alone */
    int batch_first_row;           /* the row of the whole batch that the forward's first
                                    * row is (a process's share): dropout's masks follow it */
    double loss_weight;            /* what the last loss averaged over: its rows, or its
                                    * unmasked steps (0: all masked) */

    char *metadata;                /* NULL or a NUL-terminated string */
    recur_epoch_log *history;
    int history_len, history_cap;
};

/* ---- building (model.c) ---- */
/* The shape and mask entering layer `index` (index = n_layers: the model's output). */
layer_shape model_shape_before(const recur_model *m, int index);
bool model_mask_before(const recur_model *m, int index);
/* Checks common to every recur_model_add_* (model not compiled, room for a layer). */
recur_status model_check_can_add(const recur_model *m, const char *what);
/* A layer about to be added holds `params` weights: while loading a file, refuse it when
 * the file cannot hold them. */
recur_status model_check_param_budget(recur_model *m, size_t params, const char *what);
/* Some layer carries states from call to call. */
bool model_stateful(const recur_model *m);
/* m as a recur model file (checksum included) written to f; false on a write error. */
bool model_write_stream(const recur_model *m, FILE *f);
/* A recur model file's bytes (path names it in messages): recur_model_load after the read. */
recur_status model_load_bytes(const unsigned char *buf, size_t n, const char *path,
                              recur_model **out);
/* Layer i's name: its own (from a Keras file) or Keras's default, the kind's stem then _1,
 * _2, ... for later layers of the kind. */
void model_layer_name(const recur_model *m, int i, char *buf, size_t size);
/* Appends a built layer (ownership passes to the model). */
void model_append(recur_model *m, layer *L);

/* ---- the output (model.c) ---- */
const layer *model_last(const recur_model *m);
/* Keras's output width per sample (features × steps). */
size_t recur_model_output_size(const recur_model *m);

/* ---- the per-batch pass (batch.c) ---- */
/* Switch every layer between training and inference (nothing kept for backward). */
void recur_model_set_inference(recur_model *m, bool inference);
/* Plan every buffer for `batch` rows in the layers' current mode (allocates only when
 * something grows). */
recur_status recur_model_ensure_batch(recur_model *m, int batch);
/* Forward a batch x [batch, T, F] (m->xb, or any array already checked); the output is in
 * the last layer's acts. */
recur_status recur_model_forward_batch(recur_model *m, const float *x, int batch);
/* Loss of the last forward (of x) against y; when grad, also every gradient (zeroed
 * first). */
recur_status recur_model_loss_and_grads(recur_model *m, const float *x, int batch,
                                        const float *y, bool grad, double *loss);
/* The mask the loss and metrics use: the last layer's, when its output is a sequence. */
const uint8_t *model_output_mask(const recur_model *m);

/* ---- loss and metrics (loss.c, metrics.c) ---- */
/* Whether the loss starts from the last layer's logits (Keras TF backend). */
const float *model_loss_logits(const recur_model *m);
/* Loss over the batch and its gradient with respect to the output (or the logits), with
 * Keras's sum_over_batch_size reduction and its mask weighting; sets m->loss_weight. */
double model_loss(recur_model *m, int batch, const float *y, float *grad);
/* Per-batch metric sums for the metric bits; counts as Keras weights them. */
void recur_model_metric_sums(const recur_model *m, int batch, const float *y, double *sums,
                             double *counts);

/* ---- weights (weights.c, compile.c, optimizer.c) ---- */
static inline float *model_weight_values(const recur_model *m, int i)
{
    return m->params + m->weights[i].offset;
}
/* The layers' weights changed in place: each layer rebuilds what it derives from them. */
void model_weights_changed(recur_model *m);
/* Clip and step every weight (compile's optimizer), then model_weights_changed. */
void model_optimizer_step(recur_model *m);

#endif
