/* The Keras file calls. A file is recognised by its content: a zip is a Keras 3 `.keras`
 * (config.json + model.weights.h5), an HDF5 file with a model_config attribute a legacy
 * `.h5`, and one without it a weights file. Everything is read into memory first and
 * parsed there; a model is handed out only when all of it loaded. */
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

recur_status keras_load_bytes(const unsigned char *bytes, size_t n, const char *path,
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

recur_status recur_model_load_keras_weights(recur_model *m, const char *path)
{
    const char *what = "recur_model_load_keras_weights";
    if (m == NULL || path == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: NULL argument", what);
    if (m->n_layers == 0)
        return recur_fail(RECUR_ERR_STATE, "%s: the model has no layers", what);
    unsigned char *bytes, *inner = NULL;
    size_t n, inner_n = 0;
    recur_status s = keras_read_file(path, what, &bytes, &n);
    if (s != RECUR_OK)
        return s;
    const keras_file_kind kind = keras_sniff(bytes, n);
    if (kind == KERAS_FILE_ZIP)
        s = keras_zip_entry(bytes, n, "model.weights.h5", path, &inner, &inner_n);
    else if (kind != KERAS_FILE_HDF5)
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s is not a Keras weights file", what, path);
    const keras_h5_quiet quiet = keras_h5_silence();
    hid_t h5 = H5I_INVALID_HID;
    if (s == RECUR_OK && (h5 = keras_h5_open_image(inner ? inner : bytes,
                                                   inner ? inner_n : n)) < 0)
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s: a damaged HDF5 file", what, path);
    const recur_compile_opts dflt = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE };
    if (s == RECUR_OK && !m->compiled &&   /* the weights need their block; Keras would */
        (s = recur_model_compile(m, &dflt)) == RECUR_OK)   /* still ask for a compile */
        m->compile_implicit = true;
    /* all or nothing: the weights, optimizer slots and step count come back on failure */
    float *saved = s == RECUR_OK ? malloc(3 * m->block_floats * sizeof(float)) : NULL;
    const long long iterations = m->iterations;
    if (s == RECUR_OK && saved == NULL)
        s = recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    keras_model_info info;
    if (s == RECUR_OK) {
        memcpy(saved, m->params, m->block_floats * sizeof(float));
        memcpy(saved + m->block_floats, m->slot[0], 2 * m->block_floats * sizeof(float));
        keras_describe(m, &info, h5);
        const bool legacy = H5Lexists(h5, "model_weights", H5P_DEFAULT) > 0;
        if (legacy)
            s = legacy_names(h5, m, &info, path);
        if (s == RECUR_OK)
            s = legacy ? keras_read_legacy_weights(h5, m, &info, path)
                       : keras_read_weights(h5, m, &info, path);
        if (s != RECUR_OK) {
            memcpy(m->params, saved, m->block_floats * sizeof(float));
            memcpy(m->slot[0], saved + m->block_floats, 2 * m->block_floats * sizeof(float));
            m->iterations = iterations;
            model_weights_changed(m);
        }
    }
    free(saved);
    if (h5 >= 0)
        H5Fclose(h5);
    keras_h5_restore(quiet);
    free(inner);
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
