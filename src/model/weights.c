/* The weights in Keras get_weights() order: shapes, reading and writing them, and the
 * gradient block between a train step and the optimizer step. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "model/internal.h"

int recur_model_num_weights(const recur_model *m)
{
    return m && m->compiled ? m->n_weights : 0;
}

static recur_status weight_index(const recur_model *m, int i, const char *what)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: model is NULL", what);
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "%s: compile the model first", what);
    if (i < 0 || i >= m->n_weights)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: weight %d out of range [0, %d)", what, i,
                          m->n_weights);
    return RECUR_OK;
}

static const layer_weight *desc(const recur_model *m, int i)
{
    return &m->layers[m->weights[i].layer]->weights[m->weights[i].index];
}

recur_status recur_model_weight_shape(const recur_model *m, int i, int *rank, int dims[2])
{
    recur_status s = weight_index(m, i, "recur_model_weight_shape");
    if (s != RECUR_OK)
        return s;
    if (rank == NULL || dims == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_weight_shape: NULL argument");
    *rank = desc(m, i)->rank;
    dims[0] = desc(m, i)->dims[0];
    dims[1] = desc(m, i)->dims[1];
    return RECUR_OK;
}

static recur_status check_count(const recur_model *m, int i, size_t count, const void *data,
                                const char *what)
{
    if (data == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: data is NULL", what);
    if (count != m->weights[i].n)
        return recur_fail(RECUR_ERR_SHAPE, "%s: weight %d has %zu values, got %zu", what, i,
                          m->weights[i].n, count);
    return RECUR_OK;
}

recur_status recur_model_set_weight(recur_model *m, int i, const float *data, size_t count)
{
    const char *what = "recur_model_set_weight";
    recur_status s = weight_index(m, i, what);
    if (s == RECUR_OK)
        s = check_count(m, i, count, data, what);
    if (s != RECUR_OK)
        return s;
    for (size_t k = 0; k < count; k++)
        if (!isfinite(data[k]))
            return recur_fail(RECUR_ERR_NUMERIC, "%s: value %zu is not finite", what, k);
    memcpy(model_weight_values(m, i), data, count * sizeof(float));
    layer *L = m->layers[m->weights[i].layer];
    if (L->ops->weights_changed)
        L->ops->weights_changed(L);
    return RECUR_OK;
}

recur_status recur_model_get_weight(const recur_model *m, int i, float *data, size_t count)
{
    const char *what = "recur_model_get_weight";
    recur_status s = weight_index(m, i, what);
    if (s == RECUR_OK)
        s = check_count(m, i, count, data, what);
    if (s != RECUR_OK)
        return s;
    memcpy(data, model_weight_values(m, i), count * sizeof(float));
    return RECUR_OK;
}

recur_status recur_model_get_gradient(const recur_model *m, int i, float *data, size_t count)
{
    const char *what = "recur_model_get_gradient";
    recur_status s = weight_index(m, i, what);
    if (s == RECUR_OK)
        s = check_count(m, i, count, data, what);
    if (s != RECUR_OK)
        return s;
    memcpy(data, m->grads + m->weights[i].offset, count * sizeof(float));
    return RECUR_OK;
}

recur_status recur_model_gradient_block(recur_model *m, float **grads, size_t *count)
{
    if (m == NULL || grads == NULL || count == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_gradient_block: NULL argument");
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "recur_model_gradient_block: compile the model first");
    *grads = m->grads;
    *count = m->block_floats + m->sq_floats;
    return RECUR_OK;
}

void model_weights_changed(recur_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops->weights_changed)
            m->layers[i]->ops->weights_changed(m->layers[i]);
}
