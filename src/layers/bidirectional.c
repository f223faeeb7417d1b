/* Bidirectional(SimpleRNN | LSTM | GRU, merge_mode): a forward and a backward copy of the
 * cell (src/layers/rnn_direction.c), as Keras builds them: the backward copy has
 * go_backwards, both output zeros at masked steps when they return sequences (and repeat
 * the last real output otherwise, Keras forcing zero_output_for_mask = return_sequences),
 * the backward copy's sequence is flipped back to time order, then the two are merged.
 *
 * The copies are independent until the merge: on two threads each runs on one at the same
 * time (no barrier between their steps), otherwise one after the other on all of them.
 * Under concat (the default) each copy writes its half of the output in place, the
 * backward copy in reversed time order, and reads its half of the gradient likewise; the
 * other merges go through outputs of their own. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "core/error.h"
#include "core/util.h"
#include "layers/layer.h"
#include "layers/rnn_direction.h"
#include "model/internal.h"
#include "rnn/engine.h"

typedef struct {
    layer base;
    recur_cell cell;
    int units;
    recur_rnn_opts opts;          /* as given: go_backwards false */
    recur_merge_mode merge;
    rnn_direction dir[2];         /* forward, backward */
    int per_dir;                  /* weights of one copy */
    int threads;                  /* the layer's share of the model's threads */
    bool concurrent;              /* the copies run side by side */
} bidi_layer;

/* The 0.2 layout of recur_rnn_opts: every field up to stateful. */
#define RNN_OPTS_SIZE_0_2 (offsetof(recur_rnn_opts, stateful) + sizeof(bool))

/* Under concat each copy writes its half of the layer's output in place. */
static bool in_place(const bidi_layer *B) { return B->merge == RECUR_MERGE_CONCAT; }

/* Steps of each copy's output: T with return_sequences, else 1 (the last). */
static int out_steps(const bidi_layer *B) { return B->opts.return_sequences ? B->base.in.steps : 1; }

/* Scratch: each copy's own, then (merges other than concat) each copy's output [B, S, H],
 * kept for the merge's backward, and their gradients; then the backward copy's dx. */
typedef struct {
    float *dir[2], *y[2], *dy[2], *dx_back;
} bidi_scratch;

static size_t copy_outputs(const bidi_layer *B, int batch)
{
    return in_place(B) ? 0 : recur_round_floats((size_t)batch * out_steps(B) * B->units);
}

static bidi_scratch carve(const bidi_layer *B, int batch, float *p)
{
    bidi_scratch c;
    for (int k = 0; k < 2; k++) {
        c.dir[k] = p;
        p += recur_round_floats(rnn_direction_scratch(&B->dir[k], batch));
    }
    const size_t ys = copy_outputs(B, batch);
    for (int k = 0; k < 4; k++)
        (k < 2 ? c.y : c.dy)[k % 2] = ys ? p + (size_t)k * ys : NULL;
    c.dx_back = p + 4 * ys;
    return c;
}

static size_t bidi_scratch_floats(const layer *L, int batch)
{
    const bidi_layer *B = (const bidi_layer *)L;
    return recur_round_floats(rnn_direction_scratch(&B->dir[0], batch)) +
           recur_round_floats(rnn_direction_scratch(&B->dir[1], batch)) +
           4 * copy_outputs(B, batch) + (size_t)batch * layer_shape_size(L->in);
}

static recur_status bidi_reserve(layer *L, int batch)
{
    bidi_layer *B = (bidi_layer *)L;
    recur_status s = rnn_direction_reserve(&B->dir[0], batch, L->mask_in);
    return s != RECUR_OK ? s : rnn_direction_reserve(&B->dir[1], batch, L->mask_in);
}

static void bidi_bind(layer *L)
{
    bidi_layer *B = (bidi_layer *)L;
    for (int k = 0; k < 2; k++)
        rnn_direction_bind(&B->dir[k], L->weights + k * B->per_dir, B->per_dir);
}

static void bidi_init(layer *L, layer_rng *r)
{
    bidi_layer *B = (bidi_layer *)L;
    for (int k = 0; k < 2; k++)
        rnn_init_weights(&B->dir[k], &B->opts, L->weights + k * B->per_dir, B->per_dir, r);
}

/* Run job(B, k, arg) for both copies, side by side or in turn; the first failure wins. The
 * message of a failure on a worker thread is set again on the calling one. */
typedef recur_status (*copy_job)(bidi_layer *B, int k, const void *arg);
static recur_status run_copies(bidi_layer *B, copy_job job, const void *arg)
{
    recur_status st[2] = { RECUR_OK, RECUR_OK };
    char msg[2][512] = { "", "" };
    if (B->concurrent) {
#pragma omp parallel num_threads(2)
        {
            /* one copy a thread; if the runtime gives fewer threads, they take turns */
            for (int k = omp_get_thread_num(); k < 2; k += omp_get_num_threads()) {
                st[k] = job(B, k, arg);
                if (st[k] != RECUR_OK)
                    snprintf(msg[k], sizeof msg[k], "%s", recur_last_error());
            }
        }
        if (st[0] != RECUR_OK || st[1] != RECUR_OK) {
            const int k = st[0] != RECUR_OK ? 0 : 1;
            return recur_fail(st[k], "%s", msg[k]);
        }
        return RECUR_OK;
    }
    for (int k = 0; k < 2; k++)
        if ((st[k] = job(B, k, arg)) != RECUR_OK)
            return st[k];
    return RECUR_OK;
}

typedef struct {
    const layer_fwd *f;
    bidi_scratch c;
} fwd_arg;

/* Where copy k writes (and reads its gradient): its half of the layer's output under
 * concat, rows 2H apart, the backward copy's in time order; else an array of its own. */
static int copy_ld(const bidi_layer *B) { return in_place(B) ? 2 * B->units : B->units; }

static rnn_outputs copy_out(const bidi_layer *B, int k, float *y, const bidi_scratch *c)
{
    float *at = in_place(B) ? y + (size_t)k * B->units : c->y[k];
    const bool seq = B->opts.return_sequences;
    return (rnn_outputs){ .y = seq ? at : NULL, .y_last = seq ? NULL : at, .ld = copy_ld(B),
                          .reversed = in_place(B) && k == 1 };
}

static rnn_output_grads copy_grads(const bidi_layer *B, int k, const float *dy,
                                   const bidi_scratch *c)
{
    const float *at = in_place(B) ? dy + (size_t)k * B->units : c->dy[k];
    const bool seq = B->opts.return_sequences;
    return (rnn_output_grads){ .dy = seq ? at : NULL, .dy_last = seq ? NULL : at,
                               .ld = copy_ld(B), .reversed = in_place(B) && k == 1 };
}

static recur_status forward_copy(bidi_layer *B, int k, const void *arg)
{
    const fwd_arg *a = arg;
    return rnn_direction_forward(&B->dir[k], a->f, copy_out(B, k, a->f->y, &a->c), a->c.dir[k]);
}

/* y = merge(yf, flip(yb)) for sum, mul, ave (concat wrote y in place): the backward
 * copy's output s belongs to time step S − 1 − s. */
static void merge_forward(const bidi_layer *B, int batch, const bidi_scratch *c, float *y)
{
    const int S = out_steps(B), H = B->units;
    for (int b = 0; b < batch; b++)
        for (int s = 0; s < S; s++) {
            const float *yf = c->y[0] + ((size_t)b * S + s) * H;
            const float *yb = c->y[1] + ((size_t)b * S + (S - 1 - s)) * H;
            float *out = y + ((size_t)b * S + s) * H;
            switch (B->merge) {
            case RECUR_MERGE_CONCAT:
                break;
            case RECUR_MERGE_SUM:
                for (int j = 0; j < H; j++)
                    out[j] = yf[j] + yb[j];
                break;
            case RECUR_MERGE_MUL:
                for (int j = 0; j < H; j++)
                    out[j] = yf[j] * yb[j];
                break;
            case RECUR_MERGE_AVE:
                for (int j = 0; j < H; j++)
                    out[j] = (yf[j] + yb[j]) / 2.0f;
                break;
            }
        }
}

/* The copies' output gradients from dy for sum, mul, ave (concat's copies read their halves
 * of dy in place), the backward copy's flipped to its own order. */
static void merge_backward(const bidi_layer *B, int batch, const bidi_scratch *c, const float *dy)
{
    const int S = out_steps(B), H = B->units;
    for (int b = 0; b < batch; b++)
        for (int s = 0; s < S; s++) {
            const size_t of = ((size_t)b * S + s) * H, ob = ((size_t)b * S + (S - 1 - s)) * H;
            const float *g = dy + of;
            float *df = c->dy[0] + of, *db = c->dy[1] + ob;
            const float *yf = c->y[0] + of, *yb = c->y[1] + ob;
            for (int j = 0; j < H; j++)
                switch (B->merge) {
                case RECUR_MERGE_CONCAT: break;
                case RECUR_MERGE_SUM: df[j] = db[j] = g[j]; break;
                case RECUR_MERGE_MUL: df[j] = g[j] * yb[j]; db[j] = g[j] * yf[j]; break;
                case RECUR_MERGE_AVE: df[j] = db[j] = g[j] / 2.0f; break;
                }
        }
}

static recur_status bidi_forward(layer *L, const layer_fwd *f)
{
    bidi_layer *B = (bidi_layer *)L;
    const fwd_arg a = { f, carve(B, f->batch, f->scratch) };
    recur_status s = run_copies(B, forward_copy, &a);
    if (s == RECUR_OK && !in_place(B))
        merge_forward(B, f->batch, &a.c, f->y);
    return s;
}

typedef struct {
    const layer_bwd *b;
    bidi_scratch c;
} bwd_arg;

static recur_status backward_copy(bidi_layer *B, int k, const void *arg)
{
    const bwd_arg *a = arg;
    float *dx = a->b->dx == NULL ? NULL : k == 0 ? a->b->dx : a->c.dx_back;
    return rnn_direction_backward(&B->dir[k], a->b->batch, copy_grads(B, k, a->b->dy, &a->c),
                                  dx, a->c.dir[k]);
}

static recur_status bidi_backward(layer *L, const layer_bwd *b)
{
    bidi_layer *B = (bidi_layer *)L;
    const bwd_arg a = { b, carve(B, b->batch, b->scratch) };
    if (!in_place(B))
        merge_backward(B, b->batch, &a.c, b->dy);
    recur_status s = run_copies(B, backward_copy, &a);
    if (s == RECUR_OK && b->dx)
        L->kt->axpy((size_t)b->batch * layer_shape_size(L->in), 1.0f, a.c.dx_back, b->dx);
    return s;
}

static void bidi_weights_changed(layer *L)
{
    bidi_layer *B = (bidi_layer *)L;
    for (int k = 0; k < 2; k++)
        recur_rnn_weights_changed(B->dir[k].rnn);
}

static void bidi_set_inference(layer *L, bool on)
{
    bidi_layer *B = (bidi_layer *)L;
    for (int k = 0; k < 2; k++)
        recur_rnn_set_inference(B->dir[k].rnn, on);
}

/* Side by side when each copy gets one thread of two, or when nested parallel regions are
 * allowed (then each gets half); otherwise in turn on all threads. RECUR_BIDIRECTIONAL=
 * serial|concurrent overrides (for measuring the two). */
static void bidi_set_threads(layer *L, int threads)
{
    bidi_layer *B = (bidi_layer *)L;
    B->threads = threads > 0 ? threads : recur_default_threads();
    const char *env = getenv("RECUR_BIDIRECTIONAL");
    bool side = B->threads == 2 || (B->threads > 2 && omp_get_max_active_levels() > 1);
    if (env && strcmp(env, "serial") == 0)
        side = false;
    else if (env && strcmp(env, "concurrent") == 0)
        side = B->threads >= 2;
    B->concurrent = side;
    const int each = side ? B->threads / 2 : B->threads;
    for (int k = 0; k < 2; k++)
        recur_rnn_set_num_threads(B->dir[k].rnn, each);
}

static void bidi_reset_states(layer *L)
{
    bidi_layer *B = (bidi_layer *)L;
    for (int k = 0; k < 2; k++)
        rnn_direction_reset(&B->dir[k]);
}

static int bidi_held_states(const layer *L, size_t *per_row)
{
    const bidi_layer *B = (const bidi_layer *)L;
    *per_row = 2 * rnn_direction_state_floats_per_row(&B->dir[0]);
    return B->opts.stateful ? B->dir[0].state_rows : 0;
}

/* the forward copy's states, then the backward copy's */
static void bidi_read_states(const layer *L, float *out)
{
    const bidi_layer *B = (const bidi_layer *)L;
    rnn_direction_read_states(&B->dir[0], out);
    rnn_direction_read_states(&B->dir[1], out + (size_t)B->dir[0].state_rows *
                                                    rnn_direction_state_floats_per_row(&B->dir[0]));
}

static recur_status bidi_write_states(layer *L, int rows, const float *in)
{
    bidi_layer *B = (bidi_layer *)L;
    recur_status s = rnn_direction_write_states(&B->dir[0], rows, in);
    return s != RECUR_OK ? s
                         : rnn_direction_write_states(
                               &B->dir[1], rows,
                               in + (size_t)rows * rnn_direction_state_floats_per_row(&B->dir[0]));
}

static void bidi_write_config(const layer *L, layer_config_writer *w)
{
    const bidi_layer *B = (const bidi_layer *)L;
    layer_config_put_int(w, "cell", (int)B->cell);
    layer_config_put_int(w, "merge_mode", (int)B->merge);
    rnn_opts_write(w, B->cell, B->units, &B->opts);
}

static recur_status bidi_from_config(recur_model *m, layer_config_reader *r)
{
    const recur_cell cell = (recur_cell)layer_config_int(r, "cell", RECUR_LSTM);
    const recur_merge_mode merge = (recur_merge_mode)layer_config_int(r, "merge_mode",
                                                                      RECUR_MERGE_CONCAT);
    recur_rnn_opts o;
    int units;
    rnn_opts_read(r, cell, &units, &o);
    if (!layer_config_done(r))
        return recur_fail(RECUR_ERR_FORMAT, "%s", r->error);
    return recur_model_add_bidirectional_sized(m, cell, units, &o, merge, sizeof o);
}

static void bidi_destroy(layer *L)
{
    bidi_layer *B = (bidi_layer *)L;
    for (int k = 0; k < 2; k++)
        rnn_direction_free(&B->dir[k]);
    free(B);
}

const layer_ops layer_bidirectional_ops = {
    .tag = "bidirectional", .keras_class = "Bidirectional", .keras_name = "bidirectional",
    .scratch_floats = bidi_scratch_floats, .reserve = bidi_reserve, .bind = bidi_bind,
    .init_weights = bidi_init, .forward = bidi_forward, .backward = bidi_backward,
    .weights_changed = bidi_weights_changed, .set_inference = bidi_set_inference,
    .set_threads = bidi_set_threads, .reset_states = bidi_reset_states,
    .held_states = bidi_held_states, .read_states = bidi_read_states,
    .write_states = bidi_write_states,
    .write_config = bidi_write_config, .from_config = bidi_from_config,
    .destroy = bidi_destroy,
};

static recur_status check_args(recur_cell cell, recur_merge_mode merge, const recur_rnn_opts *o,
                               int units, const char *what)
{
    if (cell != RECUR_SIMPLE_RNN && cell != RECUR_LSTM && cell != RECUR_GRU)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: Bidirectional wraps a recurrent layer "
                          "(SimpleRNN, LSTM or GRU); cell %d is none of them", what, (int)cell);
    if ((int)merge < RECUR_MERGE_CONCAT || merge > RECUR_MERGE_AVE)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: unknown merge mode %d", what, (int)merge);
    if (units < 1)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: units must be >= 1, got %d", what, units);
    if (o->go_backwards)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: the wrapped layer must not go backwards "
                          "(its backward copy does; Keras refuses the same)", what);
    return RECUR_OK;
}

recur_status recur_model_add_bidirectional_sized(recur_model *m, recur_cell cell, int units,
                                                 const recur_rnn_opts *o,
                                                 recur_merge_mode merge, size_t o_size)
{
    const char *what = "recur_model_add_bidirectional";
    recur_status s = model_check_can_add(m, what);
    if (s != RECUR_OK)
        return s;
    recur_rnn_opts opts;
    if ((s = rnn_opts_take(&opts, o, o_size, what)) != RECUR_OK ||
        (s = check_args(cell, merge, &opts, units, what)) != RECUR_OK)
        return s;
    const layer_shape in = model_shape_before(m, m->n_layers);
    if (in.steps == 0)
        return recur_fail(RECUR_ERR_SHAPE,
                          "%s: a recurrent layer needs a sequence, but layer %d returns one "
                          "vector per sample (set return_sequences on it)", what, m->n_layers - 1);
    if ((s = model_check_param_budget(m, 2 * rnn_weight_floats(cell, in.features, units, &opts),
                                      what)) != RECUR_OK)
        return s;
    bidi_layer *B = calloc(1, sizeof *B);
    if (B == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    B->cell = cell;
    B->units = units;
    B->opts = opts;
    B->merge = merge;
    for (int k = 0; k < 2; k++) {
        recur_rnn_opts copy = opts;
        copy.go_backwards = k == 1;
        copy.zero_output_for_mask = opts.return_sequences;   /* as Keras forces it */
        const recur_rnn_config cfg = rnn_config_of(cell, in.features, units, &copy);
        if ((s = rnn_direction_init(&B->dir[k], &cfg, in.steps, &copy, k * RNN_STREAMS)) !=
            RECUR_OK) {
            if (k == 1)
                rnn_direction_free(&B->dir[0]);
            free(B);
            return s;
        }
    }
    layer *L = &B->base;
    L->ops = &layer_bidirectional_ops;
    L->in = in;
    const int width = merge == RECUR_MERGE_CONCAT ? 2 * units : units;
    L->out = (layer_shape){ opts.return_sequences ? in.steps : 0, width };
    L->mask_in = model_mask_before(m, m->n_layers);
    L->mask = L->mask_in && opts.return_sequences ? MASK_PASS : MASK_NONE;
    L->stateful = opts.stateful;
    B->per_dir = rnn_set_weights(L, 0, cell, in.features, units, &opts);
    rnn_set_weights(L, B->per_dir, cell, in.features, units, &opts);
    bidi_set_threads(L, m->threads);
    model_append(m, L);
    return RECUR_OK;
}

/* The entry point for callers that do not pass a size (through a pointer, or from another
 * language): it reads the 0.2 layout. */
#undef recur_model_add_bidirectional
RECUR_API recur_status recur_model_add_bidirectional(recur_model *m, recur_cell cell, int units,
                                                     const recur_rnn_opts *o,
                                                     recur_merge_mode merge);
recur_status recur_model_add_bidirectional(recur_model *m, recur_cell cell, int units,
                                           const recur_rnn_opts *o, recur_merge_mode merge)
{
    return recur_model_add_bidirectional_sized(m, cell, units, o, merge, RNN_OPTS_SIZE_0_2);
}
