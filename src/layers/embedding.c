/* Embedding: token ids [B, T, 1] (floats holding whole numbers) → rows of the embeddings
 * matrix [B, T, output_dim]. With mask_zero, id 0 is padding and the layer makes the mask.
 * The gradient is dense, as Keras's optimizers apply it: every row of the matrix takes an
 * optimizer step, and an id repeated in a batch sums its rows' gradients. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "layers/layer.h"
#include "model/internal.h"

typedef struct {
    layer base;
    int input_dim, output_dim;
    bool mask_zero;
} embedding_layer;

static void embedding_init(layer *L, layer_rng *r)
{
    const embedding_layer *e = (const embedding_layer *)L;
    init_uniform(r, L->weights[0].w, (long long)e->input_dim * e->output_dim, -0.05f, 0.05f);
}

static recur_status embedding_check_input(const layer *L, const float *x, int first, int n,
                                          const char *what)
{
    const embedding_layer *e = (const embedding_layer *)L;
    const int T = L->in.steps;
    for (long long i = (long long)first * T; i < ((long long)first + n) * T; i++) {
        const float v = x[i];
        if (!(v >= 0.0f && v < (float)e->input_dim) || v != floorf(v))
            return recur_fail(RECUR_ERR_ARGUMENT, "%s: sample %lld, step %lld holds %g, not a "
                              "token id (a whole number in [0, %d))", what, i / T, i % T,
                              (double)v, e->input_dim);
    }
    return RECUR_OK;
}

static recur_status embedding_forward(layer *L, const layer_fwd *f)
{
    const embedding_layer *e = (const embedding_layer *)L;
    const size_t rows = (size_t)f->batch * (size_t)L->in.steps, D = (size_t)e->output_dim;
    const float *table = L->weights[0].w;
    for (size_t r = 0; r < rows; r++) {
        const size_t id = (size_t)f->x[r];   /* checked when the data came in */
        memcpy(f->y + r * D, table + id * D, D * sizeof(float));
        if (f->mask_out)
            f->mask_out[r] = id != 0;
    }
    return RECUR_OK;
}

/* dE[id] += dy row and dE²[id] += its squares, each occurrence's row clipped first under
 * clipvalue, as Keras's TensorFlow optimizers take the slices of a gathered gradient; rows
 * in order (a fixed summation order whatever the threads). */
static recur_status embedding_backward(layer *L, const layer_bwd *b)
{
    const embedding_layer *e = (const embedding_layer *)L;
    const size_t rows = (size_t)b->batch * (size_t)L->in.steps, D = (size_t)e->output_dim;
    const float c = b->clipvalue;
    float *grad = L->weights[0].g, *sq = L->weights[0].gsq;
    for (size_t r = 0; r < rows; r++) {
        const float *dy = b->dy + r * D;
        const size_t at = (size_t)b->x[r] * D;
        for (size_t j = 0; j < D; j++) {
            const float v = c > 0 ? fminf(fmaxf(dy[j], -c), c) : dy[j];
            grad[at + j] += v;
            sq[at + j] += v * v;
        }
    }
    return RECUR_OK;
}

static void embedding_write_config(const layer *L, layer_config_writer *w)
{
    const embedding_layer *e = (const embedding_layer *)L;
    layer_config_put_int(w, "input_dim", e->input_dim);
    layer_config_put_int(w, "output_dim", e->output_dim);
    layer_config_put_bool(w, "mask_zero", e->mask_zero);
}

static recur_status embedding_from_config(recur_model *m, layer_config_reader *r)
{
    int in = layer_config_int(r, "input_dim", 0), out = layer_config_int(r, "output_dim", 0);
    bool mask_zero = layer_config_bool(r, "mask_zero", false);
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_embedding(m, in, out, mask_zero);
}

static void embedding_destroy(layer *L) { free(L); }

const layer_ops layer_embedding_ops = {
    .tag = "embedding", .keras_class = "Embedding", .keras_name = "embedding",
    .init_weights = embedding_init, .check_input = embedding_check_input,
    .forward = embedding_forward, .backward = embedding_backward,
    .write_config = embedding_write_config, .from_config = embedding_from_config,
    .destroy = embedding_destroy,
};

recur_status recur_model_add_embedding(recur_model *m, int input_dim, int output_dim,
                                       bool mask_zero)
{
    const char *what = "recur_model_add_embedding";
    recur_status s = model_check_can_add(m, what);
    if (s != RECUR_OK)
        return s;
    if (m->n_layers != 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: an Embedding must be the first layer (it "
                          "reads token ids), but the model has %d layer(s)", what, m->n_layers);
    if (m->features != 1)
        return recur_fail(RECUR_ERR_SHAPE, "%s: an Embedding reads one token id per step: "
                          "create the model with 1 feature, not %d", what, m->features);
    if (input_dim < 1 || output_dim < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: input_dim and output_dim must be >= 1 "
                          "(got %d, %d)", what, input_dim, output_dim);
    if ((long long)input_dim * output_dim > (1LL << 30) || input_dim > (1 << 24))
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: a %d x %d table is too large", what,
                          input_dim, output_dim);
    if ((s = model_check_param_budget(m, (size_t)input_dim * output_dim, what)) != RECUR_OK)
        return s;
    embedding_layer *e = calloc(1, sizeof *e);
    if (e == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    e->input_dim = input_dim;
    e->output_dim = output_dim;
    e->mask_zero = mask_zero;
    layer *L = &e->base;
    L->ops = &layer_embedding_ops;
    L->in = model_shape_before(m, 0);
    L->out = (layer_shape){ L->in.steps, output_dim };
    L->mask = mask_zero ? MASK_MAKE : MASK_NONE;
    layer_set_weight(L, 0, "embeddings", 2, input_dim, output_dim);
    L->weights[0].sparse = true;
    model_append(m, L);
    return RECUR_OK;
}
