/* Every layer kind, by the tag model files and --model specs name it. A new kind adds one
 * line here. */
#include <string.h>

#include "layers/layer.h"

extern const layer_ops layer_dense_ops, layer_simple_rnn_ops, layer_lstm_ops, layer_gru_ops,
    layer_embedding_ops, layer_masking_ops, layer_global_average_pooling1d_ops,
    layer_global_max_pooling1d_ops, layer_dropout_ops, layer_bidirectional_ops;

static const layer_ops *const kinds[] = {
    &layer_dense_ops,
    &layer_simple_rnn_ops,
    &layer_lstm_ops,
    &layer_gru_ops,
    &layer_embedding_ops,
    &layer_masking_ops,
    &layer_global_average_pooling1d_ops,
    &layer_global_max_pooling1d_ops,
    &layer_dropout_ops,
    &layer_bidirectional_ops,
};

const layer_ops *layer_kind_by_tag(const char *tag)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i]->tag, tag) == 0)
            return kinds[i];
    return NULL;
}

void layer_set_weight(layer *L, int i, const char *name, int rank, int d0, int d1)
{
    layer_weight *w = &L->weights[i];
    w->name = name;
    w->rank = rank;
    w->dims[0] = d0;
    w->dims[1] = rank == 2 ? d1 : 0;
    w->w = w->g = w->gsq = NULL;
    w->sparse = false;
    if (i >= L->n_weights)
        L->n_weights = i + 1;
}

size_t layer_param_count(const layer *L)
{
    size_t n = 0;
    for (int i = 0; i < L->n_weights; i++)
        n += layer_weight_size(&L->weights[i]);
    return n;
}
