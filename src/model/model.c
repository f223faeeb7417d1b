/* The Sequential model: the layer list, shapes between layers, threads, summary, history,
 * metadata, and freeing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/util.h"
#include "model/collective.h"
#include "model/internal.h"

recur_status recur_model_create(int timesteps, int features, recur_model **out)
{
    if (out == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_create: out is NULL");
    *out = NULL;
    if (timesteps < 1 || features < 1)
        return recur_fail(RECUR_ERR_ARGUMENT,
                          "recur_model_create: input shape (%d, %d) must be positive",
                          timesteps, features);
    if ((long long)timesteps * features > (1LL << 30))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_create: input shape (%d, %d) is "
                          "too large", timesteps, features);
    const recur_kernels *kt;
    recur_status s = recur_kernels_active(&kt);
    if (s != RECUR_OK)
        return s;
    recur_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_create: out of memory");
    m->timesteps = timesteps;
    m->features = features;
    m->kt = kt;
    *out = m;
    return RECUR_OK;
}

layer_shape model_shape_before(const recur_model *m, int index)
{
    if (index == 0)
        return (layer_shape){ m->timesteps, m->features };
    return m->layers[index - 1]->out;
}

bool model_mask_before(const recur_model *m, int index)
{
    return index > 0 && m->layers[index - 1]->mask != MASK_NONE;
}

recur_status model_check_can_add(const recur_model *m, const char *what)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: model is NULL", what);
    if (m->compiled)
        return recur_fail(RECUR_ERR_STATE, "%s: the model is already compiled", what);
    if (m->n_layers >= MODEL_MAX_LAYERS)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: at most %d layers", what, MODEL_MAX_LAYERS);
    return RECUR_OK;
}

recur_status model_check_param_budget(recur_model *m, size_t params, const char *what)
{
    if (!m->loading)
        return RECUR_OK;
    if (params > m->load_param_budget)
        return recur_fail(RECUR_ERR_FORMAT, "%s: the layer has %zu weights, more than the rest "
                          "of the file holds", what, params);
    m->load_param_budget -= params;
    return RECUR_OK;
}

bool model_stateful(const recur_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->stateful)
            return true;
    return false;
}

void model_append(recur_model *m, layer *L)
{
    L->kt = m->kt;
    if (m->threads > 0 && L->ops->set_threads)
        L->ops->set_threads(L, m->threads);
    m->layers[m->n_layers++] = L;
}

const layer *model_last(const recur_model *m) { return m->layers[m->n_layers - 1]; }

recur_status recur_model_set_seed(recur_model *m, unsigned long long seed)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_seed: model is NULL");
    m->seed = seed;
    return RECUR_OK;
}

recur_status recur_model_set_name(recur_model *m, int layer, const char *name)
{
    if (m == NULL || name == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_name: model or name is NULL");
    if (layer < -1 || layer >= m->n_layers)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_name: layer %d out of range "
                          "[-1, %d)", layer, m->n_layers);
    char *dst = layer < 0 ? m->name : m->layers[layer]->name;
    const size_t size = layer < 0 ? sizeof m->name : sizeof m->layers[layer]->name;
    /* Keras files store names as HDF5 group names and JSON strings: keep them plain */
    if (strlen(name) >= size)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_name: \"%.80s\" is longer "
                          "than %zu bytes", name, size - 1);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.", *p))
            return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_name: \"%s\" has a "
                              "character other than letters, digits, '_', '-' and '.'", name);
    snprintf(dst, size, "%s", name);
    return RECUR_OK;
}

recur_status recur_model_reset_states(recur_model *m)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_reset_states: model is NULL");
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops->reset_states)
            m->layers[i]->ops->reset_states(m->layers[i]);
    return RECUR_OK;
}

recur_status recur_model_set_num_threads(recur_model *m, int threads)
{
    if (m == NULL || threads < 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_num_threads: bad argument");
    m->threads = threads;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops->set_threads)
            m->layers[i]->ops->set_threads(m->layers[i], threads);
    return RECUR_OK;
}

int recur_model_num_layers(const recur_model *m) { return m ? m->n_layers : 0; }

recur_status recur_model_output_shape(const recur_model *m, int *steps, int *features)
{
    if (m == NULL || steps == NULL || features == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_output_shape: NULL argument");
    if (m->n_layers == 0)
        return recur_fail(RECUR_ERR_STATE, "recur_model_output_shape: the model has no layers");
    *steps = model_last(m)->out.steps;
    *features = model_last(m)->out.features;
    return RECUR_OK;
}

recur_status recur_model_input_shape(const recur_model *m, int *timesteps, int *features)
{
    if (m == NULL || timesteps == NULL || features == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_input_shape: NULL argument");
    *timesteps = m->timesteps;
    *features = m->features;
    return RECUR_OK;
}

size_t recur_model_output_size(const recur_model *m)
{
    return layer_shape_size(model_last(m)->out);
}

/* ---- history ---------------------------------------------------------------------------- */

/* The 0.1 layout of recur_epoch_log: its fields up to seconds (docs/ABI.md). */
#define EPOCH_LOG_SIZE_0_1 (offsetof(recur_epoch_log, seconds) + sizeof(double))

int recur_model_history_length(const recur_model *m) { return m ? m->history_len : 0; }

recur_status recur_model_history_sized(const recur_model *m, int epoch, recur_epoch_log *log,
                                       size_t log_size)
{
    if (m == NULL || log == NULL || epoch < 0 || epoch >= m->history_len)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_history: no epoch %d", epoch);
    memcpy(log, &m->history[epoch], log_size < sizeof *log ? log_size : sizeof *log);
    return RECUR_OK;
}

#undef recur_model_history
RECUR_API recur_status recur_model_history(const recur_model *m, int epoch, recur_epoch_log *log);
recur_status recur_model_history(const recur_model *m, int epoch, recur_epoch_log *log)
{
    return recur_model_history_sized(m, epoch, log, EPOCH_LOG_SIZE_0_1);
}

void recur_model_free(recur_model *m)
{
    if (m == NULL)
        return;
    model_collective_release(m);
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i]->ops->destroy(m->layers[i]);
    recur_free_aligned(m->block);
    recur_free_aligned(m->batch_block);
    free(m->history);
    free(m->metadata);
    free(m);
}

recur_status recur_model_set_metadata(recur_model *m, const char *text)
{
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_metadata: model is NULL");
    size_t n = text ? strlen(text) : 0;
    if (n > ((size_t)1 << 20))
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_set_metadata: %zu bytes is over 1 MiB", n);
    char *copy = NULL;
    if (n) {
        copy = malloc(n + 1);
        if (copy == NULL)
            return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_set_metadata: out of memory");
        memcpy(copy, text, n + 1);
    }
    free(m->metadata);
    m->metadata = copy;
    return RECUR_OK;
}

const char *recur_model_metadata(const recur_model *m)
{
    return m && m->metadata ? m->metadata : "";
}
