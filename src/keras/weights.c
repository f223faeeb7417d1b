/* Weights and optimizer variables between a model's parameter block and HDF5.
 *
 * Keras 3 (model.weights.h5 in a .keras, and .weights.h5): each layer's group holds
 * vars/0, vars/1, … in get_weights() order (recurrent layers under cell/, Bidirectional's
 * copies under forward_layer/cell/ and backward_layer/cell/, TimeDistributed's layer under
 * layer/); optimizer/vars/0 is the step count, vars/1 the learning rate, then the slots:
 * Adam's momentum and velocity per weight in turn, SGD's momentum per weight, RMSprop's
 * velocities, then its momentums.
 * Legacy tf.keras 2.x files: model_weights/<layer name> lists its datasets in its
 * weight_names attribute, and optimizer_weights/ lists the step count and the slots, which
 * are told apart by their names and assigned to the weights in order. Every dataset's shape
 * is checked against the weight it fills before it is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "keras/keras.h"

/* ---- reading ---- */

/* The dataset at name, shaped as weight W, into dst (as float32). */
static recur_status read_weight(hid_t file, const char *name, const layer_weight *w, float *dst,
                                const char *path)
{
    const hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0)
        return recur_fail(RECUR_ERR_FORMAT, "%s: no dataset %s", path, name);
    const hid_t space = H5Dget_space(d), type = H5Dget_type(d);
    hsize_t dims[2] = { 0, 0 };
    const int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    const bool shaped = rank == w->rank && rank <= 2 &&
                        H5Sget_simple_extent_dims(space, dims, NULL) == rank &&
                        dims[0] == (hsize_t)w->dims[0] &&
                        (rank == 1 || dims[1] == (hsize_t)w->dims[1]);
    const bool real = type >= 0 && H5Tget_class(type) == H5T_FLOAT;
    recur_status s = RECUR_OK;
    if (!shaped || !real)
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s is not a %s of shape (%d%s%s) as recur's %s "
                       "weight is", path, name, real ? "dataset" : "float dataset", w->dims[0],
                       w->rank == 2 ? ", " : ",", w->rank == 2 ? "…" : "", w->name);
    else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
        s = recur_fail(RECUR_ERR_FORMAT, "%s: cannot read %s", path, name);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(d);
    return s;
}

bool keras_h5_fits(hid_t file, const char *name, const layer_weight *w)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return false;
    const hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t space = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = { 0, 0 };
    const int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    const bool fits = rank == w->rank && rank >= 1 && rank <= 2 &&
                      H5Sget_simple_extent_dims(space, dims, NULL) == rank &&
                      dims[0] == (hsize_t)w->dims[0] &&
                      (rank == 1 || dims[1] == (hsize_t)w->dims[1]);
    if (space >= 0)
        H5Sclose(space);
    if (d >= 0)
        H5Dclose(d);
    return fits;
}

/* Weight k of layer li in a Keras 3 file. */
static void keras3_name(const keras_layer_info *li, int k, int count, char *buf, size_t size)
{
    switch (li->vars) {
    case KERAS_VARS_CELL:
        snprintf(buf, size, "%s/cell/vars/%d", li->path, k);
        break;
    case KERAS_VARS_WRAPPED:
        snprintf(buf, size, "%s/layer/vars/%d", li->path, k);
        break;
    case KERAS_VARS_BIDIRECTIONAL:
        snprintf(buf, size, "%s/%s_layer/cell/vars/%d", li->path,
                 k < count / 2 ? "forward" : "backward", k % (count / 2));
        break;
    default:
        snprintf(buf, size, "%s/vars/%d", li->path, k);
    }
}

/* Slots per weight of m's optimizer, and whether RMSprop's come as all velocities first. */
static int slots_of(const recur_model *m)
{
    switch (m->copts.optimizer) {
    case RECUR_ADAM: return 2;
    case RECUR_SGD: return m->copts.momentum > 0 ? 1 : 0;
    case RECUR_RMSPROP: return m->copts.momentum > 0 ? 2 : 1;
    }
    return 0;
}

/* optimizer/vars/index of slot s of weight w (Keras 3's order). */
static int slot_var(const recur_model *m, int w, int s)
{
    return m->copts.optimizer == RECUR_ADAM ? 2 + 2 * w + s : 2 + s * m->n_weights + w;
}

static long long count_links(hid_t file, const char *group)
{
    H5G_info_t gi;
    if (H5Lexists(file, group, H5P_DEFAULT) <= 0 || H5Gget_info_by_name(file, group, &gi,
                                                                        H5P_DEFAULT) < 0)
        return -1;
    return (long long)gi.nlinks;
}

static recur_status read_step_count(hid_t file, const char *name, recur_model *m,
                                    const char *path)
{
    const hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0)
        return recur_fail(RECUR_ERR_FORMAT, "%s: no %s", path, name);
    const hid_t space = H5Dget_space(d);
    long long it = -1;
    const bool ok = space >= 0 && H5Sget_simple_extent_npoints(space) == 1 &&
                    H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, &it) >= 0 &&
                    it >= 0;
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(d);
    if (!ok)
        return recur_fail(RECUR_ERR_FORMAT, "%s: %s is not a step count", path, name);
    m->iterations = it;
    return RECUR_OK;
}

/* The optimizer's variables of a Keras 3 file, when m is compiled with an optimizer whose
 * variables they are (their count tells). */
static recur_status read_optimizer(hid_t file, recur_model *m, const char *path)
{
    const long long n = count_links(file, "optimizer/vars");
    if (n < 0 || !m->compiled || n != 2 + (long long)slots_of(m) * m->n_weights)
        return RECUR_OK;
    recur_status s = read_step_count(file, "optimizer/vars/0", m, path);
    for (int w = 0; s == RECUR_OK && w < m->n_weights; w++)
        for (int k = 0; s == RECUR_OK && k < slots_of(m); k++) {
            char name[64];
            snprintf(name, sizeof name, "optimizer/vars/%d", slot_var(m, w, k));
            const model_weight *W = &m->weights[w];
            s = read_weight(file, name, &m->layers[W->layer]->weights[W->index],
                            m->slot[k] + W->offset, path);
        }
    return s;
}

recur_status keras_read_weights(hid_t file, recur_model *m, const keras_model_info *info,
                                const char *path)
{
    if (info->n_layers != m->n_layers)
        return recur_fail(RECUR_ERR_FORMAT, "%s: %d layers in the file, %d in the model", path,
                          info->n_layers, m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        const keras_layer_info *li = &info->layers[i];
        if (L->n_weights > 0 && H5Lexists(file, li->path, H5P_DEFAULT) <= 0)
            return recur_fail(RECUR_ERR_FORMAT, "%s: layer %d (%s) has no weights in the file "
                              "(no group %s)", path, i, li->name, li->path);
        for (int k = 0; k < L->n_weights; k++) {
            char name[256];
            keras3_name(li, k, L->n_weights, name, sizeof name);
            recur_status s = read_weight(file, name, &L->weights[k], L->weights[k].w, path);
            if (s != RECUR_OK)
                return s;
        }
    }
    recur_status s = read_optimizer(file, m, path);
    model_weights_changed(m);
    return s;
}

/* ---- legacy files ---- */

char **keras_h5_strings(hid_t obj, const char *attr, int *count)
{
    *count = 0;
    if (H5Aexists(obj, attr) <= 0)
        return NULL;
    const hid_t a = H5Aopen(obj, attr, H5P_DEFAULT);
    const hid_t type = a >= 0 ? H5Aget_type(a) : -1, space = a >= 0 ? H5Aget_space(a) : -1;
    const hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    char **out = NULL;
    if (type >= 0 && H5Tget_class(type) == H5T_STRING && n >= 0 && n <= 100000 &&
        (out = calloc((size_t)n + 1, sizeof *out)) != NULL) {
        hid_t mem = H5Tcopy(H5T_C_S1);
        bool ok;
        if (H5Tis_variable_str(type) > 0) {
            H5Tset_size(mem, H5T_VARIABLE);
            ok = H5Aread(a, mem, out) >= 0;   /* in the sandbox: HDF5 may loop here */
            for (hssize_t i = 0; ok && i < n; i++) {   /* HDF5's strings, copied to ours */
                char *s = out[i] ? strdup(out[i]) : strdup("");
                H5free_memory(out[i]);
                out[i] = s;
                ok = s != NULL;
            }
        } else {
            const size_t len = H5Tget_size(type);
            char *buf = len && len < 4096 ? calloc((size_t)n, len + 1) : NULL;
            H5Tset_size(mem, len + 1);
            H5Tset_strpad(mem, H5T_STR_NULLTERM);
            ok = buf && H5Aread(a, mem, buf) >= 0;
            for (hssize_t i = 0; ok && i < n; i++)
                ok = (out[i] = strndup(buf + (size_t)i * (len + 1), len)) != NULL;
            free(buf);
        }
        H5Tclose(mem);
        if (!ok) {
            for (hssize_t i = 0; i < n; i++)
                free(out[i]);
            free(out);
            out = NULL;
        } else {
            *count = (int)n;
        }
    }
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (a >= 0)
        H5Aclose(a);
    return out;
}

void keras_free_strings(char **list)
{
    for (int i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

/* Which slot a legacy optimizer weight is, by its name (tf.keras 2: …/m:0, …/v:0,
 * …/momentum:0, …/rms:0; Keras 3: …_momentum, …_velocity): 0 or 1, -1 for the step count
 * and the learning rate, -2 for a name recur does not know. */
static int slot_by_name(const recur_model *m, const char *name)
{
    if (strstr(name, "iter") || strstr(name, "learning_rate"))
        return -1;
    const bool adam = m->copts.optimizer == RECUR_ADAM;
    if (strstr(name, "/m:") || strstr(name, "/m/") || (adam && strstr(name, "momentum")))
        return 0;
    if (strstr(name, "/v:") || strstr(name, "/v/") || strstr(name, "velocity") ||
        strstr(name, "/rms"))
        return m->copts.optimizer == RECUR_SGD ? 0 : adam ? 1 : 0;
    if (strstr(name, "momentum"))
        return m->copts.optimizer == RECUR_SGD ? 0 : 1;
    return -2;
}

/* Legacy optimizer weights: each slot's entries assigned to the weights in order. */
static recur_status read_legacy_optimizer(hid_t file, recur_model *m, const char *path)
{
    if (!m->compiled || H5Lexists(file, "optimizer_weights", H5P_DEFAULT) <= 0)
        return RECUR_OK;
    const hid_t g = H5Gopen2(file, "optimizer_weights", H5P_DEFAULT);
    int n = 0, next[2] = { 0, 0 };
    char **names = g >= 0 ? keras_h5_strings(g, "weight_names", &n) : NULL;
    recur_status s = RECUR_OK;
    for (int i = 0; names && i < n && s == RECUR_OK; i++) {
        const int k = slot_by_name(m, names[i]);
        if (k == -1 && strstr(names[i], "iter")) {
            s = read_step_count(g, names[i], m, path);
        } else if (k >= 0 && k < slots_of(m) && next[k] < m->n_weights) {
            const model_weight *W = &m->weights[next[k]++];
            s = read_weight(g, names[i], &m->layers[W->layer]->weights[W->index],
                            m->slot[k] + W->offset, path);
        } else if (k != -1) {
            s = recur_fail(RECUR_ERR_FORMAT, "%s: optimizer weight %s does not fit the model's "
                           "optimizer", path, names[i]);
        }
    }
    /* none at all: an optimizer that never stepped (its state starts fresh) */
    for (int k = 0; s == RECUR_OK && names && k < slots_of(m) && next[0] + next[1] > 0; k++)
        if (next[k] != m->n_weights)
            s = recur_fail(RECUR_ERR_FORMAT, "%s: the optimizer weights hold %d of the %d "
                           "weights' slots", path, next[k], m->n_weights);
    keras_free_strings(names);
    if (g >= 0)
        H5Gclose(g);
    return s;
}

recur_status keras_read_legacy_weights(hid_t file, recur_model *m, const keras_model_info *info,
                                       const char *path)
{
    const hid_t root = H5Gopen2(file, "model_weights", H5P_DEFAULT);
    if (root < 0)
        return recur_fail(RECUR_ERR_FORMAT, "%s: no model_weights group", path);
    recur_status s = RECUR_OK;
    for (int i = 0; i < m->n_layers && s == RECUR_OK; i++) {
        const layer *L = m->layers[i];
        const char *name = info->layers[i].name;
        if (L->n_weights == 0)
            continue;
        const hid_t g = H5Lexists(root, name, H5P_DEFAULT) > 0 ? H5Gopen2(root, name, H5P_DEFAULT)
                                                               : -1;
        int n = 0;
        char **names = g >= 0 ? keras_h5_strings(g, "weight_names", &n) : NULL;
        if (names == NULL || n != L->n_weights)
            s = recur_fail(RECUR_ERR_FORMAT, "%s: layer '%s' has %d weights in the file, %d in "
                           "recur's %s", path, name, names ? n : 0, L->n_weights,
                           L->ops->keras_class);
        for (int k = 0; s == RECUR_OK && k < n; k++)
            s = read_weight(g, names[k], &L->weights[k], L->weights[k].w, path);
        keras_free_strings(names);
        if (g >= 0)
            H5Gclose(g);
    }
    H5Gclose(root);
    if (s == RECUR_OK)
        s = read_legacy_optimizer(file, m, path);
    model_weights_changed(m);
    return s;
}

/* ---- writing (Keras 3's layout) ---- */

/* Create every group of a path (a/b/c) that does not exist yet, and name the vars groups
 * as Keras does (an attribute `name`). */
static bool make_groups(hid_t file, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        const bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (H5Lexists(file, buf, H5P_DEFAULT) <= 0) {
                const hid_t g = H5Gcreate2(file, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                if (g < 0)
                    return false;
                H5Gclose(g);
            }
            if (end)
                return true;
            *p = '/';
        }
    }
}

static bool write_dataset(hid_t file, const char *name, int rank, const hsize_t *dims,
                          hid_t type, const void *data)
{
    const hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    const hid_t d = space >= 0 ? H5Dcreate2(file, name, type == H5T_NATIVE_LLONG
                                                            ? H5T_STD_I64LE : H5T_IEEE_F32LE,
                                            space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    const bool ok = d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return ok;
}

static bool write_weight(hid_t file, const char *name, const layer_weight *w, const float *v)
{
    const hsize_t dims[2] = { (hsize_t)w->dims[0], (hsize_t)w->dims[1] };
    return write_dataset(file, name, w->rank, dims, H5T_NATIVE_FLOAT, v);
}

/* The groups a layer of this kind has in Keras's files, weights or not. */
static bool layer_groups(hid_t file, const keras_layer_info *li)
{
    char p[256];
    snprintf(p, sizeof p, "%s/vars", li->path);
    bool ok = make_groups(file, p);
    const char *subs[2] = { li->vars == KERAS_VARS_CELL ? "cell/vars"
                            : li->vars == KERAS_VARS_WRAPPED ? "layer/vars"
                            : li->vars == KERAS_VARS_BIDIRECTIONAL ? "forward_layer/cell/vars"
                                                                   : NULL,
                            li->vars == KERAS_VARS_BIDIRECTIONAL ? "backward_layer/cell/vars"
                                                                 : NULL };
    for (int k = 0; k < 2 && ok && subs[k]; k++) {
        snprintf(p, sizeof p, "%s/%s", li->path, subs[k]);
        ok = make_groups(file, p);
    }
    if (ok && li->vars == KERAS_VARS_BIDIRECTIONAL) {
        snprintf(p, sizeof p, "%s/forward_layer/vars", li->path);
        ok = make_groups(file, p);
        snprintf(p, sizeof p, "%s/backward_layer/vars", li->path);
        ok = ok && make_groups(file, p);
    }
    return ok;
}

static bool write_optimizer(hid_t file, const recur_model *m)
{
    if (!make_groups(file, "optimizer/vars"))
        return false;
    const long long it = m->iterations;
    const float lr = m->copts.learning_rate;
    bool ok = write_dataset(file, "optimizer/vars/0", 0, NULL, H5T_NATIVE_LLONG, &it) &&
              write_dataset(file, "optimizer/vars/1", 0, NULL, H5T_NATIVE_FLOAT, &lr);
    for (int w = 0; ok && w < m->n_weights; w++)
        for (int k = 0; ok && k < slots_of(m); k++) {
            char name[64];
            snprintf(name, sizeof name, "optimizer/vars/%d", slot_var(m, w, k));
            const model_weight *W = &m->weights[w];
            ok = write_weight(file, name, &m->layers[W->layer]->weights[W->index],
                              m->slot[k] + W->offset);
        }
    return ok;
}

recur_status keras_write_weights(hid_t file, const recur_model *m, const keras_model_info *info)
{
    bool ok = make_groups(file, "vars");
    for (int i = 0; ok && i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        const keras_layer_info *li = &info->layers[i];
        ok = layer_groups(file, li);
        for (int k = 0; ok && k < L->n_weights; k++) {
            char name[256];
            keras3_name(li, k, L->n_weights, name, sizeof name);
            ok = write_weight(file, name, &L->weights[k], L->weights[k].w);
        }
    }
    if (ok && m->compiled && !m->compile_implicit)
        ok = write_optimizer(file, m);
    return ok ? RECUR_OK : recur_fail(RECUR_ERR_IO, "recur_model_save_keras: HDF5 could not "
                                      "write the weights");
}
