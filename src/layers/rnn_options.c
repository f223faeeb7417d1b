/* What SimpleRNN, LSTM, GRU and Bidirectional share: their options, weights, initializers
 * and config entries. */
#include <string.h>

#include "core/abi.h"
#include "core/error.h"
#include "layers/dropout.h"
#include "layers/rnn_direction.h"
#include "rnn/engine.h"

static int gate_blocks(recur_cell cell) { return cell == RECUR_LSTM ? 4 : cell == RECUR_GRU ? 3 : 1; }

recur_rnn_config rnn_config_of(recur_cell cell, int features, int units, const recur_rnn_opts *o)
{
    return (recur_rnn_config){ .cell = cell, .input_size = features, .units = units,
                               .activation = o->activation,
                               .recurrent_activation = o->recurrent_activation,
                               .no_bias = o->no_bias, .reset_before = o->reset_before,
                               .go_backwards = o->go_backwards,
                               .zero_output_for_mask = o->zero_output_for_mask };
}

recur_status rnn_opts_take(recur_rnn_opts *out, const recur_rnn_opts *o, size_t o_size,
                           const char *what)
{
    memset(out, 0, sizeof *out);
    if (o)
        recur_abi_copy(out, sizeof *out, o, o_size);
    if (out->activation == RECUR_ACT_DEFAULT)
        out->activation = RECUR_ACT_TANH;
    if (out->recurrent_activation == RECUR_ACT_DEFAULT)
        out->recurrent_activation = RECUR_ACT_SIGMOID;
    if (!layer_dropout_rate_ok(out->dropout) || !layer_dropout_rate_ok(out->recurrent_dropout))
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "%s: dropout and recurrent_dropout must be in [0, 1), got %g and %g",
                          what, (double)out->dropout, (double)out->recurrent_dropout);
    return RECUR_OK;
}

size_t rnn_weight_floats(recur_cell cell, int features, int units, const recur_rnn_opts *o)
{
    const size_t GH = (size_t)gate_blocks(cell) * units;
    const size_t bias = o->no_bias ? 0 : cell == RECUR_GRU && !o->reset_before ? 2 : 1;
    return GH * ((size_t)features + (size_t)units + bias);
}

int rnn_set_weights(layer *L, int first, recur_cell cell, int features, int units,
                    const recur_rnn_opts *o)
{
    const int GH = gate_blocks(cell) * units;
    layer_set_weight(L, first, "kernel", 2, features, GH);
    layer_set_weight(L, first + 1, "recurrent_kernel", 2, units, GH);
    if (o->no_bias)
        return 2;
    if (cell == RECUR_GRU && !o->reset_before)
        layer_set_weight(L, first + 2, "bias", 2, 2, GH);   /* input side, recurrent side */
    else
        layer_set_weight(L, first + 2, "bias", 1, GH, 0);
    return 3;
}

void rnn_direction_bind(rnn_direction *d, const layer_weight *w, int count)
{
    const bool bias = count == 3;
    recur_rnn_bind(d->rnn, w[0].w, w[1].w, bias ? w[2].w : NULL, w[0].g, w[1].g,
                   bias ? w[2].g : NULL);
}

/* Keras: glorot_uniform kernel, orthogonal recurrent kernel, zero bias with the LSTM
 * forget gate's at 1 (unit_forget_bias). */
void rnn_init_weights(const rnn_direction *d, const recur_rnn_opts *o, layer_weight *w,
                      int count, layer_rng *r)
{
    const int H = d->H, GH = d->G * d->H;
    init_glorot_uniform(r, w[0].w, d->F, GH);
    if (!init_orthogonal(r, w[1].w, H, GH))
        init_glorot_uniform(r, w[1].w, H, GH);   /* no memory for QR: a usable start */
    if (count == 3) {
        memset(w[2].w, 0, sizeof(float) * layer_weight_size(&w[2]));
        if (d->cell == RECUR_LSTM && !o->no_unit_forget_bias)
            for (int j = 0; j < H; j++)
                w[2].w[H + j] = 1.0f;
    }
}

void rnn_opts_write(layer_config_writer *w, recur_cell cell, int units, const recur_rnn_opts *o)
{
    layer_config_put_int(w, "units", units);
    layer_config_put_int(w, "activation", (int)o->activation);
    layer_config_put_int(w, "recurrent_activation", (int)o->recurrent_activation);
    layer_config_put_bool(w, "return_sequences", o->return_sequences);
    layer_config_put_bool(w, "go_backwards", o->go_backwards);
    layer_config_put_bool(w, "use_bias", !o->no_bias);
    if (cell == RECUR_GRU)
        layer_config_put_bool(w, "reset_after", !o->reset_before);
    if (cell == RECUR_LSTM)
        layer_config_put_bool(w, "unit_forget_bias", !o->no_unit_forget_bias);
    layer_config_put_bool(w, "zero_output_for_mask", o->zero_output_for_mask);
    /* written only when set, so a model without them still loads in 0.2 libraries */
    if (o->dropout > 0.0f)
        layer_config_put_float(w, "dropout", o->dropout);
    if (o->recurrent_dropout > 0.0f)
        layer_config_put_float(w, "recurrent_dropout", o->recurrent_dropout);
    if (o->stateful)
        layer_config_put_bool(w, "stateful", true);
}

void rnn_opts_read(layer_config_reader *r, recur_cell cell, int *units, recur_rnn_opts *o)
{
    memset(o, 0, sizeof *o);
    *units = layer_config_int(r, "units", 0);
    o->activation = (recur_activation)layer_config_int(r, "activation", RECUR_ACT_TANH);
    o->recurrent_activation = (recur_activation)layer_config_int(r, "recurrent_activation",
                                                                 RECUR_ACT_SIGMOID);
    o->return_sequences = layer_config_bool(r, "return_sequences", false);
    o->go_backwards = layer_config_bool(r, "go_backwards", false);
    o->no_bias = !layer_config_bool(r, "use_bias", true);
    if (cell == RECUR_GRU)
        o->reset_before = !layer_config_bool(r, "reset_after", true);
    if (cell == RECUR_LSTM)
        o->no_unit_forget_bias = !layer_config_bool(r, "unit_forget_bias", true);
    o->zero_output_for_mask = layer_config_bool(r, "zero_output_for_mask", false);
    o->dropout = layer_config_float(r, "dropout", 0.0f);
    o->recurrent_dropout = layer_config_float(r, "recurrent_dropout", 0.0f);
    o->stateful = layer_config_bool(r, "stateful", false);
}
