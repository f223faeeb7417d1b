/* A Keras model config as recur layers: Keras 3's config.json and the legacy model_config
 * of tf.keras 2.x files (the same layer configs, with small differences in the input shape
 * and the dtype). Every option recur runs is taken; an option that would change what the
 * model computes and that recur lacks is refused by name, never dropped. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "keras/keras.h"

typedef struct {
    const char *path;          /* the file, for messages */
    const char *layer;         /* the Keras layer being read */
    const char *cls;
} import_ctx;

static recur_status bad(const import_ctx *c, const char *fmt, const char *detail)
{
    char what[256];
    snprintf(what, sizeof what, fmt, detail);
    return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: layer '%s' (%s): %s",
                      c->path, c->layer ? c->layer : "?", c->cls ? c->cls : "?", what);
}

/* ---- typed reads of a layer config ---- */
static bool get_bool(json_t *cfg, const char *key, bool dflt)
{
    json_t *v = json_object_get(cfg, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static double get_number(json_t *cfg, const char *key, double dflt)
{
    json_t *v = json_object_get(cfg, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *get_string(json_t *cfg, const char *key)
{
    return json_string_value(json_object_get(cfg, key));
}

/* units and the like: a whole number in [1, 2^24]. */
static recur_status get_count(const import_ctx *c, json_t *cfg, const char *key, int *out)
{
    json_t *v = json_object_get(cfg, key);
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 24))
        return bad(c, "'%s' is not a whole number from 1 to 2^24", key);
    *out = (int)json_integer_value(v);
    return RECUR_OK;
}

static recur_status activation_of(const import_ctx *c, json_t *cfg, const char *key,
                                  recur_activation dflt, bool softmax_ok, recur_activation *out)
{
    static const char *const names[] = { NULL, "tanh", "sigmoid", "relu", "linear",
                                         "hard_sigmoid", "softmax" };
    json_t *v = json_object_get(cfg, key);
    if (v == NULL || json_is_null(v)) {
        *out = dflt;
        return RECUR_OK;
    }
    const char *s = json_string_value(v);
    for (int a = 1; s && a < RECUR_ACT_COUNT; a++)
        if (strcmp(s, names[a]) == 0 && (softmax_ok || a != RECUR_ACT_SOFTMAX)) {
            *out = (recur_activation)a;
            return RECUR_OK;
        }
    char what[160];
    snprintf(what, sizeof what, "%s '%s' (recur has tanh, sigmoid, relu, linear, hard_sigmoid%s)",
             key, s ? s : "(not a name)", softmax_ok ? ", softmax" : "");
    return bad(c, "%s", what);
}

/* Settings that change training or the numbers and that recur does not have. */
static recur_status refuse_extras(const import_ctx *c, json_t *cfg)
{
    static const char *const must_be_null[] = {
        "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
        "activity_regularizer", "embeddings_regularizer", "kernel_constraint",
        "recurrent_constraint", "bias_constraint", "embeddings_constraint", "noise_shape",
        "lora_rank", "quantization_config",
    };
    for (size_t i = 0; i < sizeof must_be_null / sizeof must_be_null[0]; i++) {
        json_t *v = json_object_get(cfg, must_be_null[i]);
        if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0))
            return bad(c, "%s is set; recur has none", must_be_null[i]);
    }
    if (!get_bool(cfg, "trainable", true))
        return bad(c, "%s", "trainable=False (a frozen layer) is not supported");
    /* the float32 policy: Keras 3 writes a DTypePolicy object, Keras 2 a name */
    json_t *dt = json_object_get(cfg, "dtype");
    const char *dtype = json_is_string(dt) ? json_string_value(dt)
                        : json_is_object(dt) ? get_string(json_object_get(dt, "config"), "name")
                                             : "float32";
    if (dtype == NULL || strcmp(dtype, "float32") != 0)
        return bad(c, "dtype policy '%s': recur computes in float32", dtype ? dtype : "?");
    return RECUR_OK;
}

/* ---- the layer kinds ---- */
static recur_status rnn_opts_of(const import_ctx *c, json_t *cfg, recur_cell cell,
                                recur_rnn_opts *o, int *units)
{
    recur_status s = refuse_extras(c, cfg);
    if (s != RECUR_OK || (s = get_count(c, cfg, "units", units)) != RECUR_OK)
        return s;
    if (get_bool(cfg, "return_state", false))
        return bad(c, "%s", "return_state=True gives several outputs; recur's layers give one");
    if (get_bool(cfg, "time_major", false))
        return bad(c, "%s", "time_major=True is not supported");
    memset(o, 0, sizeof *o);
    if ((s = activation_of(c, cfg, "activation", RECUR_ACT_TANH, false, &o->activation)) ||
        (s = activation_of(c, cfg, "recurrent_activation", RECUR_ACT_SIGMOID, false,
                           &o->recurrent_activation)))
        return s;
    o->return_sequences = get_bool(cfg, "return_sequences", false);
    o->go_backwards = get_bool(cfg, "go_backwards", false);
    o->no_bias = !get_bool(cfg, "use_bias", true);
    o->stateful = get_bool(cfg, "stateful", false);
    o->zero_output_for_mask = get_bool(cfg, "zero_output_for_mask", false);
    o->dropout = (float)get_number(cfg, "dropout", 0.0);
    o->recurrent_dropout = (float)get_number(cfg, "recurrent_dropout", 0.0);
    if (cell == RECUR_LSTM)
        o->no_unit_forget_bias = !get_bool(cfg, "unit_forget_bias", true);
    if (cell == RECUR_GRU)
        o->reset_before = !get_bool(cfg, "reset_after", true);
    return RECUR_OK;
}

static recur_cell cell_of(const char *cls)
{
    return strcmp(cls, "LSTM") == 0 ? RECUR_LSTM
           : strcmp(cls, "GRU") == 0 ? RECUR_GRU
           : strcmp(cls, "SimpleRNN") == 0 ? RECUR_SIMPLE_RNN : 0;
}

static recur_status add_recurrent(recur_model *m, const import_ctx *c, json_t *cfg)
{
    const recur_cell cell = cell_of(c->cls);
    recur_rnn_opts o;
    int units = 0;
    recur_status s = rnn_opts_of(c, cfg, cell, &o, &units);
    if (s != RECUR_OK)
        return s;
    s = cell == RECUR_LSTM ? recur_model_add_lstm(m, units, &o)
        : cell == RECUR_GRU ? recur_model_add_gru(m, units, &o)
                            : recur_model_add_simple_rnn(m, units, &o);
    return s == RECUR_OK ? s : bad(c, "%s", recur_last_error());
}

/* Bidirectional: recur builds the backward copy itself, so a backward_layer in the file
 * must be the mirror of the forward one. */
static recur_status add_bidirectional(recur_model *m, const import_ctx *c, json_t *cfg)
{
    json_t *inner = json_object_get(cfg, "layer");
    const char *cls = get_string(inner, "class_name");
    json_t *icfg = json_object_get(inner, "config");
    const recur_cell cell = cls ? cell_of(cls) : 0;
    if (cell == 0 || !json_is_object(icfg))
        return bad(c, "wraps '%s'; recur's Bidirectional wraps SimpleRNN, LSTM or GRU",
                   cls ? cls : "(nothing)");
    const char *merge = get_string(cfg, "merge_mode");
    static const char *const merges[] = { "concat", "sum", "mul", "ave" };
    int k = 0;
    while (merge && k < 4 && strcmp(merge, merges[k]) != 0)
        k++;
    if (merge == NULL || k == 4)
        return bad(c, "merge_mode '%s': recur merges with concat, sum, mul or ave",
                   merge ? merge : "None");
    recur_rnn_opts o, ob;
    int units = 0, units_b = 0;
    recur_status s = rnn_opts_of(c, icfg, cell, &o, &units);
    if (s != RECUR_OK)
        return s;
    json_t *back = json_object_get(cfg, "backward_layer");
    if (json_is_object(back)) {
        const char *bcls = get_string(back, "class_name");
        if (!bcls || strcmp(bcls, cls) != 0 ||
            rnn_opts_of(c, json_object_get(back, "config"), cell, &ob, &units_b) != RECUR_OK ||
            units_b != units || ob.go_backwards == o.go_backwards ||
            ob.activation != o.activation || ob.recurrent_activation != o.recurrent_activation ||
            ob.no_bias != o.no_bias || ob.dropout != o.dropout ||
            ob.recurrent_dropout != o.recurrent_dropout || ob.reset_before != o.reset_before)
            return bad(c, "%s", "its backward_layer is not the mirror of its forward layer");
    }
    o.go_backwards = false;
    o.zero_output_for_mask = false;   /* Bidirectional sets it */
    s = recur_model_add_bidirectional(m, cell, units, &o, (recur_merge_mode)k);
    return s == RECUR_OK ? s : bad(c, "%s", recur_last_error());
}

static recur_status add_dense(recur_model *m, const import_ctx *c, json_t *cfg)
{
    int units = 0;
    recur_activation act = RECUR_ACT_LINEAR;
    recur_status s = refuse_extras(c, cfg);
    if (s != RECUR_OK || (s = get_count(c, cfg, "units", &units)) != RECUR_OK ||
        (s = activation_of(c, cfg, "activation", RECUR_ACT_LINEAR, true, &act)) != RECUR_OK)
        return s;
    if (!get_bool(cfg, "use_bias", true))
        return bad(c, "%s", "use_bias=False on Dense is not supported");
    s = recur_model_add_dense(m, units, act == RECUR_ACT_DEFAULT ? RECUR_ACT_LINEAR : act);
    return s == RECUR_OK ? s : bad(c, "%s", recur_last_error());
}

static recur_status add_time_distributed(recur_model *m, const import_ctx *c, json_t *cfg)
{
    json_t *inner = json_object_get(cfg, "layer");
    const char *cls = get_string(inner, "class_name");
    if (cls == NULL || strcmp(cls, "Dense") != 0)
        return bad(c, "wraps '%s'; recur runs TimeDistributed(Dense)", cls ? cls : "nothing");
    recur_status s = add_dense(m, c, json_object_get(inner, "config"));
    if (s == RECUR_OK)
        m->layers[m->n_layers - 1]->time_distributed = true;
    return s;
}

static recur_status add_embedding(recur_model *m, const import_ctx *c, json_t *cfg)
{
    int in_dim = 0, out_dim = 0;
    recur_status s = refuse_extras(c, cfg);
    if (s != RECUR_OK || (s = get_count(c, cfg, "input_dim", &in_dim)) != RECUR_OK ||
        (s = get_count(c, cfg, "output_dim", &out_dim)) != RECUR_OK)
        return s;
    s = recur_model_add_embedding(m, in_dim, out_dim, get_bool(cfg, "mask_zero", false));
    return s == RECUR_OK ? s : bad(c, "%s", recur_last_error());
}

static recur_status add_masking(recur_model *m, const import_ctx *c, json_t *cfg)
{
    recur_status s = refuse_extras(c, cfg);
    if (s == RECUR_OK && (s = recur_model_add_masking(m, (float)get_number(cfg, "mask_value", 0))))
        return bad(c, "%s", recur_last_error());
    return s;
}

static recur_status add_dropout(recur_model *m, const import_ctx *c, json_t *cfg)
{
    recur_status s = refuse_extras(c, cfg);
    if (s == RECUR_OK && (s = recur_model_add_dropout(m, (float)get_number(cfg, "rate", -1))))
        return bad(c, "%s", recur_last_error());
    return s;
}

static recur_status add_pooling(recur_model *m, const import_ctx *c, json_t *cfg)
{
    const char *fmt = get_string(cfg, "data_format");
    if (fmt && strcmp(fmt, "channels_last") != 0)
        return bad(c, "data_format '%s': recur pools channels_last", fmt);
    if (get_bool(cfg, "keepdims", false))
        return bad(c, "%s", "keepdims=True is not supported");
    recur_status s = refuse_extras(c, cfg);
    if (s != RECUR_OK)
        return s;
    s = strstr(c->cls, "Average") ? recur_model_add_global_average_pooling1d(m)
                                  : recur_model_add_global_max_pooling1d(m);
    return s == RECUR_OK ? s : bad(c, "%s", recur_last_error());
}

typedef recur_status (*layer_import)(recur_model *m, const import_ctx *c, json_t *cfg);

static const struct {
    const char *cls, *snake;
    keras_vars vars;
    layer_import add;
} kinds[] = {
    { "SimpleRNN", "simple_rnn", KERAS_VARS_CELL, add_recurrent },
    { "LSTM", "lstm", KERAS_VARS_CELL, add_recurrent },
    { "GRU", "gru", KERAS_VARS_CELL, add_recurrent },
    { "Bidirectional", "bidirectional", KERAS_VARS_BIDIRECTIONAL, add_bidirectional },
    { "Dense", "dense", KERAS_VARS_OWN, add_dense },
    { "TimeDistributed", "time_distributed", KERAS_VARS_WRAPPED, add_time_distributed },
    { "Embedding", "embedding", KERAS_VARS_OWN, add_embedding },
    { "Masking", "masking", KERAS_VARS_NONE, add_masking },
    { "Dropout", "dropout", KERAS_VARS_NONE, add_dropout },
    { "GlobalAveragePooling1D", "global_average_pooling1d", KERAS_VARS_NONE, add_pooling },
    { "GlobalMaxPooling1D", "global_max_pooling1d", KERAS_VARS_NONE, add_pooling },
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* ---- the model ---- */

bool keras_plain_name(const char *name, size_t size)
{
    if (name == NULL || name[0] == '\0' || strlen(name) >= size)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-./", *p))
            return false;
    return true;
}

/* [batch, T, F] or [batch, T] (token ids) from a shape array, batch None or a count (0 for
 * None), T a count or None (an open length: T = 1, *open set); false if it is neither. */
static bool shape_of(json_t *shape, int *batch, int *T, int *F, bool *open)
{
    const size_t n = json_array_size(shape);
    if (n != 2 && n != 3)
        return false;
    json_t *t = json_array_get(shape, 1), *f = n == 3 ? json_array_get(shape, 2) : NULL;
    *open = json_is_null(t);
    if ((!*open && (!json_is_integer(t) || json_integer_value(t) < 1 ||
                    json_integer_value(t) > 1000000)) ||
        (f && (!json_is_integer(f) || json_integer_value(f) < 1 ||
               json_integer_value(f) > 1000000)))
        return false;
    json_t *b = json_array_get(shape, 0);
    if (!json_is_null(b) && (!json_is_integer(b) || json_integer_value(b) < 1 ||
                             json_integer_value(b) > 1000000))
        return false;
    *batch = json_is_null(b) ? 0 : (int)json_integer_value(b);
    *T = *open ? 1 : (int)json_integer_value(t);
    *F = f ? (int)json_integer_value(f) : 1;
    return true;
}

/* The input shape: an InputLayer's batch_shape (Keras 3) or batch_input_shape (Keras 2), a
 * first layer's batch_input_shape, the Sequential's build_input_shape, or the first layer's
 * build_config. */
static recur_status input_shape(json_t *config, json_t *layers, const char *path, int *batch,
                                int *T, int *F, bool *open)
{
    json_t *first = json_object_get(json_array_get(layers, 0), "config");
    json_t *candidates[] = {
        json_object_get(first, "batch_shape"), json_object_get(first, "batch_input_shape"),
        json_object_get(config, "build_input_shape"),
        json_object_get(json_object_get(json_array_get(layers, 0), "build_config"),
                        "input_shape"),
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        json_t *s = candidates[i];
        if (s == NULL || json_is_null(s))
            continue;
        if (shape_of(s, batch, T, F, open))
            return RECUR_OK;
        char *text = json_dumps(s, JSON_COMPACT);
        recur_status st = recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: input shape "
                                     "%s: recur needs (batch, timesteps[, features]), timesteps a "
                                     "count or None",
                                     path, text ? text : "?");
        free(text);
        return st;
    }
    return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the model has no input "
                      "shape (build it, or start it with an Input, before saving)", path);
}

void keras_place(keras_model_info *info, int i, const char *const *snakes)
{
    int before = 0;
    for (int k = 0; k < i; k++)
        before += strcmp(snakes[k], snakes[i]) == 0;
    if (before)
        snprintf(info->layers[i].path, sizeof info->layers[i].path, "layers/%s_%d", snakes[i],
                 before);
    else
        snprintf(info->layers[i].path, sizeof info->layers[i].path, "layers/%s", snakes[i]);
}

static recur_status add_layers(recur_model *m, json_t *layers, const char *path,
                               keras_model_info *info)
{
    const char *snakes[MODEL_MAX_LAYERS];
    for (size_t i = 0; i < json_array_size(layers); i++) {
        json_t *L = json_array_get(layers, i);
        import_ctx c = { path, get_string(json_object_get(L, "config"), "name"),
                         get_string(L, "class_name") };
        if (c.cls && strcmp(c.cls, "InputLayer") == 0)
            continue;
        size_t k = 0;
        while (c.cls && k < N_KINDS && strcmp(c.cls, kinds[k].cls) != 0)
            k++;
        if (c.cls == NULL || k == N_KINDS)
            return bad(&c, "%s", "a layer class recur does not run (it runs SimpleRNN, LSTM, GRU, "
                       "Bidirectional, Dense, TimeDistributed(Dense), Embedding, Masking, Dropout, "
                       "GlobalAveragePooling1D, GlobalMaxPooling1D, InputLayer)");
        const int at = recur_model_num_layers(m);
        recur_status s = kinds[k].add(m, &c, json_object_get(L, "config"));
        if (s != RECUR_OK)
            return s;
        keras_layer_info *li = &info->layers[at];
        snprintf(li->name, sizeof li->name, "%s", c.layer ? c.layer : kinds[k].snake);
        if (keras_plain_name(c.layer, sizeof m->layers[at]->name))
            snprintf(m->layers[at]->name, sizeof m->layers[at]->name, "%s", c.layer);
        li->vars = kinds[k].vars;
        snakes[at] = kinds[k].snake;
        keras_place(info, at, snakes);
        info->n_layers = at + 1;
    }
    return RECUR_OK;
}

/* ---- compile settings ---- */
static recur_status optimizer_of(json_t *opt, const char *path, recur_compile_opts *o)
{
    const char *cls = json_is_string(opt) ? json_string_value(opt) : get_string(opt, "class_name");
    json_t *cfg = json_object_get(opt, "config");
    const char *name = cls && strncmp(cls, "Custom>", 7) == 0 ? cls + 7 : cls;
    if (name == NULL)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the optimizer has no "
                          "class", path);
    if (strcasecmp(name, "adam") == 0)
        o->optimizer = RECUR_ADAM;
    else if (strcasecmp(name, "sgd") == 0)
        o->optimizer = RECUR_SGD;
    else if (strcasecmp(name, "rmsprop") == 0)
        o->optimizer = RECUR_RMSPROP;
    else
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: optimizer '%s': recur "
                          "has Adam, SGD and RMSprop", path, name);
    json_t *lr = json_object_get(cfg, "learning_rate");
    if (lr && !json_is_number(lr))
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: a learning-rate "
                          "schedule is not supported (only a constant rate)", path);
    const char *must_be_off[] = { "amsgrad", "centered", "use_ema" };
    for (size_t i = 0; i < 3; i++)
        if (get_bool(cfg, must_be_off[i], false))
            return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the optimizer's "
                              "%s is not supported", path, must_be_off[i]);
    json_t *wd = json_object_get(cfg, "weight_decay");
    if (wd && !json_is_null(wd) && get_number(cfg, "weight_decay", 0) != 0)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the optimizer's "
                          "weight_decay is not supported", path);
    o->learning_rate = (float)get_number(cfg, "learning_rate", get_number(cfg, "lr", 0));
    o->beta_1 = (float)get_number(cfg, "beta_1", 0);
    o->beta_2 = (float)get_number(cfg, "beta_2", 0);
    o->epsilon = (float)get_number(cfg, "epsilon", 0);
    o->momentum = (float)get_number(cfg, "momentum", 0);
    o->rho = (float)get_number(cfg, "rho", 0);
    o->nesterov = get_bool(cfg, "nesterov", false);
    o->clipnorm = (float)get_number(cfg, "clipnorm", 0);
    o->clipvalue = (float)get_number(cfg, "clipvalue", 0);
    o->global_clipnorm = (float)get_number(cfg, "global_clipnorm", 0);
    return RECUR_OK;
}

static recur_status loss_of(json_t *loss, const char *path, recur_compile_opts *o)
{
    static const struct { const char *name; recur_loss loss; } names[] = {
        { "mse", RECUR_LOSS_MSE }, { "mean_squared_error", RECUR_LOSS_MSE },
        { "MeanSquaredError", RECUR_LOSS_MSE }, { "mae", RECUR_LOSS_MAE },
        { "mean_absolute_error", RECUR_LOSS_MAE }, { "MeanAbsoluteError", RECUR_LOSS_MAE },
        { "binary_crossentropy", RECUR_LOSS_BINARY_CROSSENTROPY },
        { "BinaryCrossentropy", RECUR_LOSS_BINARY_CROSSENTROPY },
        { "categorical_crossentropy", RECUR_LOSS_CATEGORICAL_CROSSENTROPY },
        { "CategoricalCrossentropy", RECUR_LOSS_CATEGORICAL_CROSSENTROPY },
        { "sparse_categorical_crossentropy", RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY },
        { "SparseCategoricalCrossentropy", RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY },
        { "huber", RECUR_LOSS_HUBER }, { "huber_loss", RECUR_LOSS_HUBER },
        { "Huber", RECUR_LOSS_HUBER },
    };
    const char *name = json_is_string(loss) ? json_string_value(loss)
                                            : get_string(loss, "class_name");
    json_t *cfg = json_object_get(loss, "config");
    if (get_bool(cfg, "from_logits", false) || get_number(cfg, "label_smoothing", 0) != 0 ||
        get_number(cfg, "delta", 1.0) != 1.0)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: loss '%s' with "
                          "from_logits, label_smoothing or another Huber delta is not "
                          "supported", path, name ? name : "?");
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            o->loss = names[i].loss;
            return RECUR_OK;
        }
    return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: loss '%s': recur has mse, "
                      "mae, huber and the binary, categorical and sparse categorical "
                      "cross-entropies", path, name ? name : "(not one loss)");
}

/* Keras 3: ["accuracy", ...] or metric objects; tf.keras 2: a list per output of
 * MeanMetricWrapper objects named in their config. */
static recur_status metrics_of(json_t *metrics, const char *path, recur_compile_opts *o)
{
    for (size_t i = 0; i < json_array_size(metrics); i++) {
        json_t *v = json_array_get(metrics, i);
        if (json_is_array(v)) {   /* one output's list */
            recur_status s = metrics_of(v, path, o);
            if (s != RECUR_OK)
                return s;
            continue;
        }
        const char *name = json_is_string(v) ? json_string_value(v) : get_string(v, "class_name");
        if (name && strcmp(name, "MeanMetricWrapper") == 0)
            name = get_string(json_object_get(v, "config"), "name");
        if (name && (strcmp(name, "accuracy") == 0 || strcmp(name, "acc") == 0 ||
                     strstr(name, "Accuracy")))
            o->metrics |= RECUR_METRIC_ACCURACY;
        else if (name && (strcmp(name, "mae") == 0 || strcmp(name, "MeanAbsoluteError") == 0 ||
                          strcmp(name, "mean_absolute_error") == 0))
            o->metrics |= RECUR_METRIC_MAE;
        else if (name && (strcmp(name, "mse") == 0 || strcmp(name, "MeanSquaredError") == 0 ||
                          strcmp(name, "mean_squared_error") == 0))
            o->metrics |= RECUR_METRIC_MSE;
        else
            return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: metric '%s': recur "
                              "reports accuracy, mae and mse", path, name ? name : "?");
    }
    return RECUR_OK;
}

/* Keras 3's compile_config ({optimizer, loss, metrics}) or a legacy training_config
 * ({optimizer_config, loss, metrics}). */
static recur_status compile_of(json_t *compile, const char *path, recur_compile_opts *o)
{
    memset(o, 0, sizeof *o);
    json_t *opt = json_object_get(compile, "optimizer");
    if (opt == NULL)
        opt = json_object_get(compile, "optimizer_config");
    recur_status s = optimizer_of(opt, path, o);
    if (s == RECUR_OK)
        s = loss_of(json_object_get(compile, "loss"), path, o);
    if (s == RECUR_OK)
        s = metrics_of(json_object_get(compile, "metrics"), path, o);
    return s;
}

recur_status keras_model_from_config(json_t *model, json_t *compile, size_t weight_bytes,
                                     const char *path, recur_model **out,
                                     keras_model_info *info)
{
    *out = NULL;
    memset(info, 0, sizeof *info);
    const char *cls = get_string(model, "class_name");
    json_t *config = json_object_get(model, "config");
    json_t *layers = json_object_get(config, "layers");
    if (cls == NULL || strcmp(cls, "Sequential") != 0 || !json_is_array(layers))
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: a %s model; recur "
                          "loads Sequential models", path, cls ? cls : "non-Keras");
    if (json_array_size(layers) > MODEL_MAX_LAYERS)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: more than %d layers",
                          path, MODEL_MAX_LAYERS);
    int batch = 0, T = 0, F = 0;
    bool open = false;
    recur_status s = input_shape(config, layers, path, &batch, &T, &F, &open);
    if (s != RECUR_OK)
        return s;
    recur_model *m;
    if ((s = recur_model_create(T, F, &m)) != RECUR_OK)
        return s;
    m->length_open = open;
    m->loading = true;
    m->load_param_budget = weight_bytes / sizeof(float);
    s = add_layers(m, layers, path, info);
    m->loading = false;
    if (s == RECUR_OK && info->n_layers == 0)
        s = recur_fail(RECUR_ERR_FORMAT, "recur_model_load_keras: %s: the model has no layers",
                       path);
    /* an uncompiled Keras model writes no compile settings, or an empty object */
    if (s == RECUR_OK && json_is_object(compile) && json_object_size(compile) > 0) {
        info->has_compile = true;
        s = compile_of(compile, path, &info->copts);
    }
    if (s != RECUR_OK) {
        recur_model_free(m);
        return s;
    }
    m->stateful_batch = model_stateful(m) ? batch : 0;
    const char *name = get_string(config, "name");
    if (keras_plain_name(name, sizeof m->name))
        snprintf(m->name, sizeof m->name, "%s", name);
    *out = m;
    return RECUR_OK;
}
