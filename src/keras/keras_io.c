/* The Keras file calls. A file is recognised by its content: a zip is a Keras 3 `.keras`
 * (config.json + model.weights.h5), an HDF5 file with a model_config attribute a legacy
 * `.h5`, and one without it a weights file. Everything is read into memory first and
 * parsed there; a model is handed out only when all of it loaded. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "keras/keras.h"

/* Larger configs than this are not models recur could build. */
#define MAX_CONFIG_BYTES ((size_t)64 << 20)

static recur_status parse_json(const char *text, size_t n, const char *path, const char *what,
                               json_t **out)
{
    json_error_t err;
    *out = n <= MAX_CONFIG_BYTES ? json_loadb(text, n, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (*out == NULL)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: %s is not valid JSON "
                          "(line %d, column %d: %s)", path, what,
                          n <= MAX_CONFIG_BYTES ? err.line : 0,
                          n <= MAX_CONFIG_BYTES ? err.column : 0,
                          n <= MAX_CONFIG_BYTES ? err.text : "too large");
    return RECUR_OK;
}

/* Compile m as the file says; when it says nothing, with recur's defaults (Adam, MSE) only
 * to plan the block recur's weights live in: such a model predicts, and must be compiled
 * before it trains or evaluates, as in Keras. */
static recur_status compile_as(recur_model *m, const keras_model_info *info, const char *path)
{
    const recur_compile_opts dflt = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    recur_status s = recur_model_compile(m, info->has_compile ? &info->copts : &dflt);
    if (s != RECUR_OK)
        return recur_fail(s, "recur_model_load_keras: %s: the compile settings do not fit the "
                          "model: %s", path, recur_last_error());
    m->compile_implicit = !info->has_compile;
    return RECUR_OK;
}

/* A built model, compiled, its weights read by `read`. */
typedef recur_status (*weights_reader)(hid_t, recur_model *, const keras_model_info *,
                                       const char *);
static recur_status finish(recur_model *m, const keras_model_info *info, hid_t h5,
                           weights_reader read, const char *path, recur_model **out)
{
    recur_status s = compile_as(m, info, path);
    if (s == RECUR_OK)
        s = read(h5, m, info, path);
    if (s != RECUR_OK) {
        recur_model_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}

static recur_status load_dot_keras(const unsigned char *zip, size_t n, const char *path,
                                   recur_model **out)
{
    unsigned char *cfg_text = NULL, *h5_bytes = NULL;
    size_t cfg_n = 0, h5_n = 0;
    json_t *root = NULL;
    recur_status s = keras_zip_entry(zip, n, "config.json", path, &cfg_text, &cfg_n);
    if (s == RECUR_OK)
        s = keras_zip_entry(zip, n, "model.weights.h5", path, &h5_bytes, &h5_n);
    if (s == RECUR_OK)
        s = parse_json((const char *)cfg_text, cfg_n, path, "config.json", &root);
    hid_t h5 = H5I_INVALID_HID;
    if (s == RECUR_OK && (h5 = keras_h5_open_image(h5_bytes, h5_n)) < 0)
        s = recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: model.weights.h5 is not "
                       "a readable HDF5 file", path);
    recur_model *m = NULL;
    keras_model_info info;
    if (s == RECUR_OK)
        s = keras_model_from_config(root, json_object_get(root, "compile_config"), h5_n, path,
                                    &m, &info);
    if (s == RECUR_OK)
        s = finish(m, &info, h5, keras_read_weights, path, out);
    if (h5 >= 0)
        H5Fclose(h5);
    json_decref(root);
    free(cfg_text);
    free(h5_bytes);
    return s;
}

/* A JSON attribute of a legacy file (NULL result when absent). */
static recur_status json_attr(hid_t file, const char *attr, const char *path, json_t **out)
{
    *out = NULL;
    int count = 0;
    char **text = keras_h5_strings(file, attr, &count);
    recur_status s = RECUR_OK;
    if (text && count == 1)
        s = parse_json(text[0], strlen(text[0]), path, attr, out);
    else if (text == NULL && H5Aexists(file, attr) > 0)
        s = recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the %s attribute is not "
                       "a readable string (a damaged file)", path, attr);
    keras_free_strings(text);
    return s;
}

static recur_status load_legacy(hid_t h5, size_t bytes, const char *path, recur_model **out)
{
    json_t *model = NULL, *training = NULL;
    recur_status s = json_attr(h5, "model_config", path, &model);
    if (s == RECUR_OK && model == NULL)
        s = recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: an HDF5 file without a "
                       "model_config: a weights file (load it into a model with "
                       "recur_model_load_keras_weights)", path);
    if (s == RECUR_OK)
        s = json_attr(h5, "training_config", path, &training);
    recur_model *m = NULL;
    keras_model_info info;
    if (s == RECUR_OK)
        s = keras_model_from_config(model, training, bytes, path, &m, &info);
    if (s == RECUR_OK)
        s = finish(m, &info, h5, keras_read_legacy_weights, path, out);
    json_decref(model);
    json_decref(training);
    return s;
}

recur_status recur_model_load_keras(const char *path, recur_model **out)
{
    const char *what = "recur_model_load_keras";
    if (out == NULL || path == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: NULL argument", what);
    *out = NULL;
    unsigned char *bytes;
    size_t n;
    recur_status s = keras_read_file(path, what, &bytes, &n);
    if (s != RECUR_OK)
        return s;
    s = keras_load_bytes(bytes, n, path, out);
    free(bytes);
    return s;
}

/* What a Keras import keeps beyond recur's model file: the names, TimeDistributed, whether
 * the file had compile settings, a stateful model's batch size. */
typedef struct {
    int32_t compile_implicit, stateful_batch, n_layers;
    char name[64];
} keras_extras;

static bool write_extras(const recur_model *m, FILE *f)
{
    keras_extras e = { m->compile_implicit, m->stateful_batch, m->n_layers, { 0 } };
    memcpy(e.name, m->name, sizeof e.name);
    bool ok = fwrite(&e, sizeof e, 1, f) == 1;
    for (int i = 0; ok && i < m->n_layers; i++) {
        const uint8_t td = m->layers[i]->time_distributed;
        ok = fwrite(m->layers[i]->name, sizeof m->layers[i]->name, 1, f) == 1 &&
             fwrite(&td, 1, 1, f) == 1;
    }
    return ok;
}

/* The extras at the front of p into m; false when they do not fit it. */
static bool read_extras(const unsigned char *p, size_t n, recur_model *m, size_t *used)
{
    keras_extras e;
    const size_t per = sizeof m->layers[0]->name + 1;
    if (n < sizeof e)
        return false;
    memcpy(&e, p, sizeof e);
    if (e.n_layers != m->n_layers || n - sizeof e < (size_t)e.n_layers * per)
        return false;
    m->compile_implicit = e.compile_implicit != 0;
    m->stateful_batch = e.stateful_batch;
    memcpy(m->name, e.name, sizeof m->name);
    m->name[sizeof m->name - 1] = '\0';
    for (int i = 0; i < m->n_layers; i++) {
        const unsigned char *at = p + sizeof e + (size_t)i * per;
        memcpy(m->layers[i]->name, at, sizeof m->layers[i]->name);
        m->layers[i]->name[sizeof m->layers[i]->name - 1] = '\0';
        m->layers[i]->time_distributed = at[sizeof m->layers[i]->name] != 0;
    }
    *used = sizeof e + (size_t)e.n_layers * per;
    return true;
}

typedef struct {
    const unsigned char *bytes;
    size_t n;
    const char *path;
    recur_model *m;     /* load_keras_weights: the model the weights go into */
} keras_job;

static recur_status load_in_process(const unsigned char *bytes, size_t n, const char *path,
                                    recur_model **out);

/* In the sandbox: the import, sent back as a recur model file after its extras. */
static recur_status load_work(void *ctx, FILE *out)
{
    const keras_job *j = ctx;
    recur_model *m = NULL;
    recur_status s = load_in_process(j->bytes, j->n, j->path, &m);
    if (s == RECUR_OK && !(write_extras(m, out) && model_write_stream(m, out)))
        s = recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_load_keras: out of memory");
    recur_model_free(m);
    return s;
}

/* The sandbox's answer (extras, then a recur model file) as a model. */
static recur_status model_from_answer(const unsigned char *p, size_t n, const char *path,
                                      recur_model **out)
{
    keras_extras e;
    const size_t per = sizeof e.name + 1;
    if (n < sizeof e || (memcpy(&e, p, sizeof e), e.n_layers < 0) ||
        (size_t)e.n_layers > (n - sizeof e) / per)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the reading process's "
                          "answer is malformed", path);
    const size_t skip = sizeof e + (size_t)e.n_layers * per;
    size_t used = 0;
    recur_status s = model_load_bytes(p + skip, n - skip, path, out);
    if (s == RECUR_OK && !read_extras(p, n, *out, &used)) {
        recur_model_free(*out);
        *out = NULL;
        s = recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the reading process's "
                       "answer is malformed", path);
    }
    return s;
}

recur_status keras_load_bytes(const unsigned char *bytes, size_t n, const char *path,
                              recur_model **out)
{
    *out = NULL;
    keras_job job = { bytes, n, path, NULL };
    unsigned char *result = NULL;
    size_t result_n = 0;
    recur_status s = keras_sandboxed(load_work, &job, n, "recur_model_load_keras", path,
                                     &result, &result_n);
    if (s == RECUR_OK)
        s = model_from_answer(result, result_n, path, out);
    free(result);
    return s;
}

static recur_status load_in_process(const unsigned char *bytes, size_t n, const char *path,
                                    recur_model **out)
{
    const char *what = "recur_model_load_keras";
    recur_status s;
    *out = NULL;
    const keras_h5_quiet quiet = keras_h5_silence();
    switch (keras_sniff(bytes, n)) {
    case KERAS_FILE_ZIP:
        s = load_dot_keras(bytes, n, path, out);
        break;
    case KERAS_FILE_HDF5: {
        const hid_t h5 = keras_h5_open_image(bytes, n);
        s = h5 < 0 ? recur_fail(RECUR_ERR_FORMAT, "%s: %s: a damaged HDF5 file", what, path)
                   : load_legacy(h5, n, path, out);
        if (h5 >= 0)
            H5Fclose(h5);
        break;
    }
    default:
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s is not a Keras file (neither a .keras zip nor "
                       "an HDF5 .h5)", what, path);
    }
    keras_h5_restore(quiet);
    return s;
}

/* For a legacy weights group: the Keras layer names that hold weights, in order, given to
 * m's layers with weights in order (as Keras 2 loads weights by order). */
static recur_status legacy_names(hid_t h5, const recur_model *m, keras_model_info *info,
                                 const char *path)
{
    const hid_t g = H5Gopen2(h5, "model_weights", H5P_DEFAULT);
    int n = 0, next = 0;
    char **names = g >= 0 ? keras_h5_strings(g, "layer_names", &n) : NULL;
    recur_status s = names ? RECUR_OK
                           : recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras_weights: %s: "
                                        "model_weights has no layer_names", path);
    for (int i = 0; s == RECUR_OK && i < m->n_layers; i++) {
        if (m->layers[i]->n_weights == 0)
            continue;
        while (next < n) {   /* the next named layer that has weights */
            int k = 0;
            const hid_t lg = H5Gopen2(g, names[next], H5P_DEFAULT);
            char **w = lg >= 0 ? keras_h5_strings(lg, "weight_names", &k) : NULL;
            keras_free_strings(w);
            if (lg >= 0)
                H5Gclose(lg);
            if (k > 0)
                break;
            next++;
        }
        if (next == n)
            s = recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras_weights: %s: the file has "
                           "weights for fewer layers than the model", path);
        else
            snprintf(info->layers[i].name, sizeof info->layers[i].name, "%s", names[next++]);
    }
    keras_free_strings(names);
    if (g >= 0)
        H5Gclose(g);
    return s;
}

/* In the sandbox: the weights file read into the child's copy of the model, sent back as
 * the step count and the parameter block's values and optimizer slots. */
static recur_status weights_work(void *ctx, FILE *out)
{
    const keras_job *j = ctx;
    const char *what = "recur_model_load_keras_weights";
    recur_model *m = j->m;
    unsigned char *inner = NULL;
    size_t inner_n = 0;
    recur_status s = RECUR_OK;
    const keras_file_kind kind = keras_sniff(j->bytes, j->n);
    if (kind == KERAS_FILE_ZIP)
        s = keras_zip_entry(j->bytes, j->n, "model.weights.h5", j->path, &inner, &inner_n);
    else if (kind != KERAS_FILE_HDF5)
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s is not a Keras weights file", what, j->path);
    const keras_h5_quiet quiet = keras_h5_silence();
    hid_t h5 = H5I_INVALID_HID;
    if (s == RECUR_OK && (h5 = keras_h5_open_image(inner ? inner : j->bytes,
                                                   inner ? inner_n : j->n)) < 0)
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s: a damaged HDF5 file", what, j->path);
    keras_model_info info;
    if (s == RECUR_OK) {
        keras_describe(m, &info, h5);
        const bool legacy = H5Lexists(h5, "model_weights", H5P_DEFAULT) > 0;
        if (legacy)
            s = legacy_names(h5, m, &info, j->path);
        if (s == RECUR_OK)
            s = legacy ? keras_read_legacy_weights(h5, m, &info, j->path)
                       : keras_read_weights(h5, m, &info, j->path);
    }
    if (h5 >= 0)
        H5Fclose(h5);
    keras_h5_restore(quiet);
    free(inner);
    const int64_t steps = m->iterations;
    if (s == RECUR_OK &&
        !(fwrite(&steps, 8, 1, out) == 1 &&
          fwrite(m->params, sizeof(float), m->block_floats, out) == m->block_floats &&
          fwrite(m->slot[0], sizeof(float), 2 * m->block_floats, out) == 2 * m->block_floats))
        s = recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    return s;
}

recur_status recur_model_load_keras_weights(recur_model *m, const char *path)
{
    const char *what = "recur_model_load_keras_weights";
    if (m == NULL || path == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: NULL argument", what);
    if (m->n_layers == 0)
        return recur_fail(RECUR_ERR_STATE, "%s: the model has no layers", what);
    unsigned char *bytes;
    size_t n;
    recur_status s = keras_read_file(path, what, &bytes, &n);
    if (s != RECUR_OK)
        return s;
    const recur_compile_opts dflt = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    if (!m->compiled &&   /* the weights need their block; Keras would still ask for a compile */
        (s = recur_model_compile(m, &dflt)) == RECUR_OK)
        m->compile_implicit = true;
    keras_job job = { bytes, n, path, m };
    unsigned char *result = NULL;
    size_t result_n = 0;
    if (s == RECUR_OK)
        s = keras_sandboxed(weights_work, &job, n, what, path, &result, &result_n);
    /* the model changes only when everything was read: all or nothing */
    if (s == RECUR_OK && result_n != 8 + 3 * m->block_floats * sizeof(float))
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s: the reading process's answer is malformed",
                       what, path);
    if (s == RECUR_OK) {
        int64_t steps;
        memcpy(&steps, result, 8);
        m->iterations = steps;
        memcpy(m->params, result + 8, m->block_floats * sizeof(float));
        memcpy(m->slot[0], result + 8 + m->block_floats * sizeof(float),
               2 * m->block_floats * sizeof(float));
        model_weights_changed(m);
    }
    free(result);
    free(bytes);
    return s;
}

recur_status recur_model_save_keras(const recur_model *m, const char *path)
{
    const char *what = "recur_model_save_keras";
    if (m == NULL || path == NULL || path[0] == '\0')
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: NULL model or empty path", what);
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "%s: compile the model first (its weights exist "
                          "from compile on)", what);
    if (model_stateful(m) && m->stateful_batch == 0)
        return recur_fail(RECUR_ERR_STATE, "%s: a stateful model's batch size is not known yet "
                          "(Keras fixes it in the file): run the model on a batch first", what);
    keras_model_info info;
    keras_describe(m, &info, H5I_INVALID_HID);
    json_t *config = keras_config_of(m, &info);
    char *cfg_text = config ? json_dumps(config, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) : NULL;
    char meta[160];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(meta, sizeof meta, "{\"keras_version\": \"3.15.1\", \"date_saved\": "
             "\"%04d-%02d-%02d@%02d:%02d:%02d\", \"saved_by\": \"recur %s\"}",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             recur_version());
    const keras_h5_quiet quiet = keras_h5_silence();
    unsigned char *h5_bytes = NULL;
    size_t h5_n = 0;
    const hid_t h5 = keras_h5_create_image();
    recur_status s = cfg_text == NULL ? recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what)
                     : h5 < 0 ? recur_fail(RECUR_ERR_IO, "%s: HDF5 could not make a file", what)
                              : keras_write_weights(h5, m, &info);
    if (s == RECUR_OK)
        s = keras_h5_image_bytes(h5, &h5_bytes, &h5_n);
    if (h5 >= 0)
        H5Fclose(h5);
    keras_h5_restore(quiet);
    if (s == RECUR_OK) {
        const char *names[3] = { "metadata.json", "config.json", "model.weights.h5" };
        const void *data[3] = { meta, cfg_text, h5_bytes };
        const size_t sizes[3] = { strlen(meta), strlen(cfg_text), h5_n };
        s = keras_zip_write(path, 3, names, data, sizes);
    }
    free(h5_bytes);
    free(cfg_text);
    json_decref(config);
    return s;
}
