/* A recurrent direction: dropout and carried states around the engine.
 *
 * Dropout follows Keras 3's cells. Without recurrent_dropout a single input mask [B, F],
 * drawn once per batch, multiplies the input of every step; that is a product with the
 * input before the engine, and with its gradient after. With recurrent_dropout each gate
 * block has an input mask and a state mask of its own ([B, G, F], [B, G, H]; SimpleRNN one
 * of each), which the engine applies inside the recurrence (recur_rnn_set_dropout). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/util.h"
#include "layers/dropout.h"
#include "layers/rnn_direction.h"
#include "rnn/engine.h"

static int gate_blocks(recur_cell cell) { return cell == RECUR_LSTM ? 4 : cell == RECUR_GRU ? 3 : 1; }

recur_status rnn_direction_init(rnn_direction *d, const recur_rnn_config *cfg, int steps,
                                const recur_rnn_opts *o, int stream0)
{
    memset(d, 0, sizeof *d);
    recur_status s = recur_rnn_create_unbound(cfg, &d->rnn);
    if (s != RECUR_OK)
        return s;
    d->cell = cfg->cell;
    d->F = cfg->input_size;
    d->H = cfg->units;
    d->G = gate_blocks(cfg->cell);
    d->T = steps;
    d->dropout = o->dropout;
    d->recurrent_dropout = o->recurrent_dropout;
    d->stateful = o->stateful;
    d->stream0 = stream0;
    if (d->recurrent_dropout > 0.0f &&
        (s = recur_rnn_plan_dropout(d->rnn, d->dropout > 0.0f)) != RECUR_OK) {
        recur_rnn_free(d->rnn);
        d->rnn = NULL;
        return s;
    }
    return RECUR_OK;
}

void rnn_direction_free(rnn_direction *d)
{
    recur_rnn_free(d->rnn);
    recur_free_aligned(d->states);
    d->rnn = NULL;
    d->states = NULL;
}

/* Masks per gate block inside the engine (Keras implementation 1), or one input mask
 * applied outside it. */
static bool engine_dropout(const rnn_direction *d) { return d->recurrent_dropout > 0.0f; }

/* Scratch layout: input masks [B, G or 1, F] | state masks [B, G, H] | dropped x [B, T, F]. */
typedef struct {
    float *in, *rec, *xd;
} direction_scratch;

static size_t input_masks(const rnn_direction *d) { return engine_dropout(d) ? (size_t)d->G : 1; }

static direction_scratch carve(const rnn_direction *d, int batch, float *scratch)
{
    direction_scratch c = { NULL, NULL, NULL };
    float *p = scratch;
    if (d->dropout > 0.0f) {
        c.in = p;
        p += recur_round_floats((size_t)batch * input_masks(d) * d->F);
    }
    if (engine_dropout(d)) {
        c.rec = p;
        p += recur_round_floats((size_t)batch * d->G * d->H);
    } else if (d->dropout > 0.0f) {
        c.xd = p;
        p += recur_round_floats((size_t)batch * d->T * d->F);
    }
    return c;
}

size_t rnn_direction_scratch(const rnn_direction *d, int batch)
{
    size_t n = 0;
    if (d->dropout > 0.0f)
        n += recur_round_floats((size_t)batch * input_masks(d) * d->F);
    if (engine_dropout(d))
        n += recur_round_floats((size_t)batch * d->G * d->H);
    else if (d->dropout > 0.0f)
        n += recur_round_floats((size_t)batch * d->T * d->F);
    return n;
}

recur_status rnn_direction_reserve(rnn_direction *d, int batch, bool masked)
{
    recur_status s = recur_rnn_reserve_for(d->rnn, batch, d->T, masked);
    if (s != RECUR_OK || !d->stateful || batch <= d->state_cap)
        return s;
    /* [2][B, H] of h and [2][B, H] of c: what the states held so far moves along */
    const size_t per = (size_t)batch * d->H;
    float *p = recur_alloc_aligned(4 * per * sizeof(float));
    if (p == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "stateful layer: out of memory for the states");
    if (d->states && d->state_rows > 0) {
        const size_t old = (size_t)d->state_cap * d->H, held = (size_t)d->state_rows * d->H;
        memcpy(p + d->state_cur * per, d->states + d->state_cur * old, held * sizeof(float));
        memcpy(p + (2 + d->state_cur) * per, d->states + (2 + d->state_cur) * old,
               held * sizeof(float));
    }
    recur_free_aligned(d->states);
    d->states = p;
    d->state_cap = batch;
    return RECUR_OK;
}

void rnn_direction_reset(rnn_direction *d) { d->state_rows = 0; }

size_t rnn_direction_state_floats_per_row(const rnn_direction *d)
{
    return (size_t)d->H * (d->cell == RECUR_LSTM ? 2 : 1);
}

void rnn_direction_read_states(const rnn_direction *d, float *out)
{
    const size_t per = (size_t)d->state_cap * d->H, n = (size_t)d->state_rows * d->H;
    memcpy(out, d->states + d->state_cur * per, n * sizeof(float));
    if (d->cell == RECUR_LSTM)
        memcpy(out + n, d->states + (2 + d->state_cur) * per, n * sizeof(float));
}

recur_status rnn_direction_write_states(rnn_direction *d, int rows, const float *in)
{
    d->state_rows = 0;
    recur_status s = rnn_direction_reserve(d, rows, false);
    if (s != RECUR_OK)
        return s;
    const size_t per = (size_t)d->state_cap * d->H, n = (size_t)rows * d->H;
    memcpy(d->states + d->state_cur * per, in, n * sizeof(float));
    if (d->cell == RECUR_LSTM)
        memcpy(d->states + (2 + d->state_cur) * per, in + n, n * sizeof(float));
    d->state_rows = rows;
    return RECUR_OK;
}

/* Draw this batch's masks. */
static void draw_masks(const rnn_direction *d, const layer_fwd *f, const direction_scratch *c)
{
    const int threads = 1;   /* a few thousand draws: not worth a parallel region */
    if (c->in) {
        const recur_random_stream st = recur_random_stream_of(
            f->random.seed, layer_stream(&f->random, d->stream0 + RNN_STREAM_INPUT),
            f->random.iteration);
        const long long row = (long long)input_masks(d) * d->F;
        layer_dropout_factors(&st, d->dropout, f->random.first_row * row, f->batch * row,
                              threads, c->in);
    }
    if (c->rec) {
        const recur_random_stream st = recur_random_stream_of(
            f->random.seed, layer_stream(&f->random, d->stream0 + RNN_STREAM_RECURRENT),
            f->random.iteration);
        const long long row = (long long)d->G * d->H;
        layer_dropout_factors(&st, d->recurrent_dropout, f->random.first_row * row,
                              f->batch * row, threads, c->rec);
    }
}

/* xd[b, t, :] = x[b, t, :] ⊙ m[b, :] (or, with xd == x, dx in place). */
static void apply_input_mask(const rnn_direction *d, int batch, const float *x, const float *m,
                             float *xd)
{
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < d->T; t++) {
            const size_t row = ((size_t)b * d->T + t) * d->F;
            for (int j = 0; j < d->F; j++)
                xd[row + j] = x[row + j] * m[(size_t)b * d->F + j];
        }
}

/* The initial and final state arrays of this call (NULL: zeros, not kept). */
static recur_status state_arrays(rnn_direction *d, int batch, recur_rnn_fwd_io *io)
{
    if (!d->stateful)
        return RECUR_OK;
    if (d->state_rows > 0 && d->state_rows != batch)
        return recur_fail(RECUR_ERR_SHAPE,
                          "stateful layer: this call has %d rows but its states are for %d; a "
                          "stateful model keeps one batch size (reset its states to change it)",
                          batch, d->state_rows);
    const size_t per = (size_t)d->state_cap * d->H;
    const int cur = d->state_cur, next = 1 - cur;
    const bool lstm = d->cell == RECUR_LSTM;
    if (d->state_rows > 0) {
        io->h0 = d->states + cur * per;
        io->c0 = lstm ? d->states + (2 + cur) * per : NULL;
    }
    io->h_last = d->states + next * per;
    io->c_last = lstm ? d->states + (2 + next) * per : NULL;
    return RECUR_OK;
}

recur_status rnn_direction_forward(rnn_direction *d, const layer_fwd *f, rnn_outputs out,
                                   float *scratch)
{
    const direction_scratch c = carve(d, f->batch, scratch);
    recur_rnn_fwd_io io = { .x = f->x, .mask = f->mask, .y = out.y, .y_last = out.y_last,
                            .ld = out.ld, .reversed = out.reversed };
    recur_status s = state_arrays(d, f->batch, &io);
    if (s != RECUR_OK)
        return s;
    const bool drop = f->training && (d->dropout > 0.0f || d->recurrent_dropout > 0.0f);
    d->input_mask = drop && c.xd != NULL;
    d->engine_masks = drop && engine_dropout(d);
    if (drop)
        draw_masks(d, f, &c);
    if (d->input_mask) {
        apply_input_mask(d, f->batch, f->x, c.in, c.xd);
        io.x = c.xd;
    }
    recur_rnn_set_dropout(d->rnn, d->engine_masks ? c.in : NULL, d->engine_masks ? c.rec : NULL);
    if ((s = recur_rnn_forward_io(d->rnn, f->batch, d->T, &io)) != RECUR_OK)
        return s;
    if (d->stateful) {
        d->state_rows = f->batch;
        d->state_cur = 1 - d->state_cur;
    }
    return RECUR_OK;
}

recur_status rnn_direction_backward(rnn_direction *d, int batch, rnn_output_grads g, float *dx,
                                    float *scratch)
{
    const recur_rnn_bwd_io io = { .dy = g.dy, .dy_last = g.dy_last, .dx = dx, .ld = g.ld,
                                  .reversed = g.reversed };
    recur_status s = recur_rnn_backward_io(d->rnn, &io);
    if (s == RECUR_OK && dx && d->input_mask)
        apply_input_mask(d, batch, dx, carve(d, batch, scratch).in, dx);
    return s;
}
