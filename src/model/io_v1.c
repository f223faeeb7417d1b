/* Reading version 1 model files (recur 0.1): a fixed record of six integers per layer and
 * fixed compile fields. Kept so every model saved before the layer records still loads. */
#include <stdio.h>

#include "core/error.h"
#include "model/io.h"

enum { V1_RECURRENT = 1, V1_DENSE = 2 };

recur_status model_read_layers_v1(model_reader *r, recur_model *m, int n_layers)
{
    for (int i = 0; i < n_layers; i++) {
        int32_t kind = model_read_i32(r), units = model_read_i32(r), cell = model_read_i32(r);
        int32_t act = model_read_i32(r), ract = model_read_i32(r), flags = model_read_i32(r);
        if (!r->ok)
            return model_file_error(r->path, "truncated in the layer list");
        recur_status s = RECUR_ERR_FORMAT;
        if (kind == V1_DENSE) {
            s = recur_model_add_dense(m, units, (recur_activation)act);
        } else if (kind == V1_RECURRENT && (flags & ~0x1f) == 0) {
            recur_rnn_opts o = { .activation = (recur_activation)act,
                                 .recurrent_activation = (recur_activation)ract,
                                 .return_sequences = flags & 1, .go_backwards = flags & 2,
                                 .no_bias = flags & 4, .reset_before = flags & 8,
                                 .no_unit_forget_bias = flags & 16 };
            s = cell == RECUR_SIMPLE_RNN ? recur_model_add_simple_rnn(m, units, &o)
                : cell == RECUR_LSTM     ? recur_model_add_lstm(m, units, &o)
                : cell == RECUR_GRU      ? recur_model_add_gru(m, units, &o)
                                         : RECUR_ERR_FORMAT;
        }
        if (s != RECUR_OK) {
            char why[400];
            snprintf(why, sizeof why, "layer %d is invalid (%s)", i,
                     s == RECUR_ERR_FORMAT ? "unknown kind or flags" : recur_last_error());
            return model_file_error(r->path, why);
        }
    }
    return RECUR_OK;
}

void model_read_compile_v1(model_reader *r, recur_compile_opts *o)
{
    o->optimizer = (recur_optimizer)model_read_i32(r);
    o->loss = (recur_loss)model_read_i32(r);
    float *f[] = { &o->learning_rate, &o->beta_1, &o->beta_2, &o->epsilon, &o->momentum,
                   &o->rho, &o->clipnorm, &o->clipvalue, &o->global_clipnorm };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = model_read_f32(r);
    o->nesterov = model_read_i32(r) != 0;
    o->metrics = (unsigned)model_read_i32(r);
}
