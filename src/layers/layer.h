/* Internal: the layer interface. Every layer kind (src/layers/) fills one layer_ops
 * table; the model is a list of layers and calls only these operations, so it knows no kind
 * by name. Adding a kind is one new file plus one line in src/layers/registry.c.
 *
 * Life of a layer: its kind's add function (the public recur_model_add_*) checks the
 * arguments against the input shape and appends it built (out shape, mask policy, weight
 * shapes). compile binds every weight to the model's parameter and gradient blocks and calls
 * bind, then init_weights the first time. Per batch, the model hands forward and backward
 * their input, output and scratch buffers, all planned before the batch loop. */
#ifndef RECUR_LAYERS_LAYER_H
#define RECUR_LAYERS_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <recur/recur.h>

#include "layers/config.h"
#include "layers/init.h"
#include "simd/kernels.h"

/* The shape of one sample: steps 0 means no time axis ([features]). */
typedef struct {
    int steps, features;
} layer_shape;

static inline size_t layer_shape_size(layer_shape s)
{
    return (size_t)(s.steps ? s.steps : 1) * (size_t)s.features;
}

/* What happens to the mask at this layer (Keras compute_mask). */
typedef enum {
    MASK_NONE,                /* the output carries no mask (none came, or it is consumed) */
    MASK_PASS,                /* the output carries the input's mask */
    MASK_MAKE                 /* the layer computes a new mask [B, out.steps] */
} layer_mask_policy;

/* One weight, as Keras names and shapes it, bound to the model's blocks. */
typedef struct {
    const char *name;         /* Keras variable name: "kernel", "recurrent_kernel", ... */
    int rank, dims[2];
    float *w, *g;             /* values and gradients in the model's parameter blocks */
    /* A gradient summed from slices, one per occurrence (an Embedding's rows): Keras's
     * TensorFlow optimizers square and clip such a gradient per slice, so backward also
     * sums the squares of its slices into gsq. Set by the kind; gsq bound by the model. */
    bool sparse;
    float *gsq;
} layer_weight;

#define LAYER_MAX_WEIGHTS 8

typedef struct layer_ops layer_ops;

typedef struct layer {
    const layer_ops *ops;
    layer_shape in, out;
    bool mask_in;             /* a mask arrives with the input */
    layer_mask_policy mask;
    bool stateful;            /* carries states from call to call: a fixed batch size */
    char name[64];            /* a Keras file's name for the layer; "": Keras's default */
    bool time_distributed;    /* a Dense that was Keras's TimeDistributed(Dense): kept so */
    int n_weights;
    layer_weight weights[LAYER_MAX_WEIGHTS];
    const recur_kernels *kt;
} layer;

/* Where a training forward draws its random masks (dropout): streams keyed by the model's
 * seed, the optimizer step and the layer's position (src/core/philox.h), so a run is
 * reproducible bit for bit at any thread count, and a batch shared by several processes
 * draws the masks one process would. */
typedef struct {
    unsigned long long seed, iteration;
    int layer;
    int first_row;            /* the whole batch's row that the forward's row 0 is */
} layer_random;

/* Stream of purpose p (< LAYER_STREAMS) of the layer at position i. */
#define LAYER_STREAMS 16
static inline unsigned layer_stream(const layer_random *r, int purpose)
{
    return (unsigned)r->layer * LAYER_STREAMS + (unsigned)purpose;
}

/* One forward call over `batch` samples. */
typedef struct {
    int batch;
    bool training;            /* fit's forward: dropout is on (Keras training=True) */
    layer_random random;
    const float *x;           /* [B, in] */
    const uint8_t *mask;      /* [B, in.steps] or NULL */
    float *y;                 /* [B, out] */
    uint8_t *mask_out;        /* [B, out.steps] to fill under MASK_MAKE, else NULL */
    float *scratch;           /* scratch_floats(batch) floats, kept until backward */
    float *gemm_work;         /* RECUR_GEMM_WORK_FLOATS floats of GEMM packing space */
} layer_fwd;

/* One backward call, for the last forward (same buffers). */
typedef struct {
    int batch;
    const float *x, *y;       /* the forward's input and output */
    const uint8_t *mask, *mask_out;
    const float *dy;          /* [B, out]: dL/dy, or dL/dlogits when dy_is_logits */
    bool dy_is_logits;
    float clipvalue;          /* > 0: a sparse gradient's slices are clipped to ±clipvalue */
    float *dx;                /* [B, in], or NULL for the first layer */
    float *scratch, *gemm_work;
} layer_bwd;

struct layer_ops {
    const char *tag;          /* the kind in model files and --model specs: "lstm" */
    const char *keras_class;  /* "LSTM": summaries and Keras files */
    const char *keras_name;   /* Keras's default name stem: "lstm", "global_max_pooling1d" */

    /* Floats of per-batch scratch this layer keeps from forward to backward. NULL: none. */
    size_t (*scratch_floats)(const layer *L, int batch);
    /* Plan the layer's own working memory for batches up to `batch` in the current mode, so
     * no forward or backward of that size allocates. NULL: nothing to plan. */
    recur_status (*reserve)(layer *L, int batch);
    /* The weights' w and g pointers are set (compile): take them. NULL: nothing to do. */
    void (*bind)(layer *L);
    /* Keras's initializers, drawing from r in the order of the weights. */
    void (*init_weights)(layer *L, layer_rng *r);
    /* Check a first layer's raw input beyond finiteness (samples [first, first+n) of x);
     * NULL: any finite values. `what` names the calling function in the message. */
    recur_status (*check_input)(const layer *L, const float *x, int first, int n,
                                const char *what);

    recur_status (*forward)(layer *L, const layer_fwd *f);
    recur_status (*backward)(layer *L, const layer_bwd *b);

    /* The weights were changed in place (optimizer step, set_weight, load): rebuild what is
     * derived from them (packed copies). NULL: nothing is derived. */
    void (*weights_changed)(layer *L);
    /* Inference mode: nothing is kept for backward. NULL: no difference. */
    void (*set_inference)(layer *L, bool inference);
    void (*set_threads)(layer *L, int threads);     /* NULL: single-threaded */
    /* Stateful layers: forget the carried states; the rows they hold (0: none) and floats
     * per row; copy them out; put rows of them back (a model file's). NULL: no states. */
    void (*reset_states)(layer *L);
    int (*held_states)(const layer *L, size_t *per_row);
    void (*read_states)(const layer *L, float *out);
    recur_status (*write_states)(layer *L, int rows, const float *in);
    /* The pre-activation of the output and its activation when the loss may start from it
     * (a sigmoid or softmax Dense), else NULL. */
    const float *(*logits)(const layer *L, const float *scratch, recur_activation *act);

    /* The layer's settings as a config record (the model file), and the inverse: add a
     * layer of this kind to m from a record. */
    void (*write_config)(const layer *L, layer_config_writer *w);
    recur_status (*from_config)(recur_model *m, layer_config_reader *r);

    void (*destroy)(layer *L);   /* free what the layer owns, the layer itself included */
};

/* The kind whose tag is `tag`, or NULL (src/layers/registry.c). */
const layer_ops *layer_kind_by_tag(const char *tag);

/* Set weight i's name and shape (rank 1: [d0]; rank 2: [d0, d1]). */
void layer_set_weight(layer *L, int i, const char *name, int rank, int d0, int d1);
static inline size_t layer_weight_size(const layer_weight *w)
{
    return (size_t)w->dims[0] * (w->rank == 2 ? (size_t)w->dims[1] : 1);
}
size_t layer_param_count(const layer *L);

#endif
