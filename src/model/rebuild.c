/* A model's layers and weights rebuilt for another sequence length, optionally stateful:
 * what Keras users do by hand to generate text one step at a time (the same layers with
 * stateful=True and a batch shape, then set_weights); or with its whole training state, for
 * a Keras model whose input length is left open. The layers are rebuilt from their config
 * records, as a model file rebuilds them. */
#include <string.h>

#include "core/error.h"
#include "model/internal.h"

/* Layer L of m appended to out, its recurrent copies stateful or not as asked. */
static recur_status copy_layer(recur_model *out, const layer *L, bool stateful)
{
    layer_config_writer w = { .len = 0 };
    L->ops->write_config(L, &w);
    /* the recurrent kinds carry states; a stateful one already says so in its record */
    if (stateful && L->ops->held_states && !L->stateful)
        layer_config_put_bool(&w, "stateful", true);
    layer_config_reader r;
    if (w.overflow || !layer_config_parse(&r, w.bytes, w.len))
        return recur_fail(RECUR_ERR_STATE, "recur_model_rebuild: a layer's settings do not "
                          "fit in a config record");
    for (int i = 0; i < r.n && !stateful; i++)
        if (strcmp(r.entries[i].key, "stateful") == 0 && r.entries[i].type == 'b')
            r.entries[i].value[0] = 0;
    return L->ops->from_config(out, &r);
}

recur_status recur_model_rebuild(const recur_model *m, int timesteps, bool stateful,
                                 recur_model **out)
{
    if (m == NULL || out == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_rebuild: NULL argument");
    *out = NULL;
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "recur_model_rebuild: compile the model first (its "
                          "weights exist from compile on)");
    recur_model *c;
    recur_status s = recur_model_create(timesteps, m->features, &c);
    if (s != RECUR_OK)
        return s;
    c->seed = m->seed;
    c->threads = m->threads;
    c->length_open = m->length_open;
    for (int i = 0; i < m->n_layers && s == RECUR_OK; i++)
        if ((s = copy_layer(c, m->layers[i], stateful)) == RECUR_OK) {
            memcpy(c->layers[i]->name, m->layers[i]->name, sizeof c->layers[i]->name);
            c->layers[i]->time_distributed = m->layers[i]->time_distributed;
        }
    memcpy(c->name, m->name, sizeof c->name);
    if (s == RECUR_OK && (s = recur_model_compile(c, &m->copts)) == RECUR_OK)
        c->compile_implicit = m->compile_implicit;
    if (s == RECUR_OK)
        s = recur_model_set_metadata(c, m->metadata);
    if (s != RECUR_OK) {
        recur_model_free(c);
        return s;
    }
    /* the same architecture: the same table, so the values copy as one block */
    memcpy(c->params, m->params, m->block_floats * sizeof(float));
    model_weights_changed(c);
    *out = c;
    return RECUR_OK;
}

recur_status recur_model_with_timesteps(const recur_model *m, int timesteps, recur_model **out)
{
    if (m == NULL || out == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_with_timesteps: NULL argument");
    *out = NULL;
    if (m->coll.size > 0)
        return recur_fail(RECUR_ERR_STATE, "recur_model_with_timesteps: the model is trained "
                          "by several processes");
    recur_model *c;
    recur_status s = recur_model_rebuild(m, timesteps, model_stateful(m), &c);
    if (s != RECUR_OK)
        return s;
    /* the optimizer's two slots follow the values in the block, laid out alike */
    memcpy(c->slot[0], m->slot[0], 2 * m->block_floats * sizeof(float));
    c->iterations = m->iterations;
    c->stateful_batch = m->stateful_batch;
    *out = c;
    return RECUR_OK;
}

recur_status recur_model_set_length_open(recur_model *m, bool open)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_length_open: model is NULL");
    m->length_open = open;
    return RECUR_OK;
}

bool recur_model_length_open(const recur_model *m)
{
    return m != NULL && m->length_open;
}
