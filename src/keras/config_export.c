/* A recur model as Keras 3's config.json: a Sequential of an InputLayer and the layers,
 * each with the settings Keras's constructor takes, read from the layer's own config record
 * (the one model files store), named as Keras names them; plus compile_config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "keras/keras.h"

static const char *const activation_names[] = { "linear", "tanh", "sigmoid", "relu", "linear",
                                                "hard_sigmoid", "softmax" };

static const char *activation_name(int a)
{
    return a >= 0 && a < RECUR_ACT_COUNT ? activation_names[a] : "linear";
}

/* f as the shortest decimal that reads back as f: 0.9, not 0.899999976. Keras computes
 * some of its optimizer's arithmetic (1 - beta_1) in double from the number it reads, so the
 * decimal a Keras user would have written gives Keras's own steps. */
static json_t *json_float32(float f)
{
    char text[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)f);
        if ((float)strtod(text, NULL) == f)
            break;
    }
    return json_real(strtod(text, NULL));
}

/* A serialized Keras object: {module, class_name, config, registered_name}. */
static json_t *keras_object(const char *module, const char *cls, json_t *config)
{
    return json_pack("{s:s, s:s, s:o, s:n}", "module", module, "class_name", cls, "config",
                     config, "registered_name");
}

/* [batch, T, F], [batch, T] (token ids) or [batch, F] (no time axis); batch 0: None, and
 * T None when the length is open. */
static json_t *shape_json(int batch, int T, int F, bool ids, bool open)
{
    json_t *b = batch ? json_integer(batch) : json_null();
    if (!ids && T == 0)
        return json_pack("[o, i]", b, F);
    json_t *t = open ? json_null() : json_integer(T);
    return ids ? json_pack("[o, o]", b, t) : json_pack("[o, o, i]", b, t, F);
}

/* What every layer config holds first. */
static json_t *base_config(const char *name)
{
    return json_pack("{s:s, s:b, s:s}", "name", name, "trainable", 1, "dtype", "float32");
}

static json_t *rnn_config(layer_config_reader *r, const char *name, bool gru, bool lstm,
                          bool go_backwards, bool zero_output, bool stateful)
{
    json_t *c = base_config(name);
    json_object_set_new(c, "units", json_integer(layer_config_int(r, "units", 1)));
    json_object_set_new(c, "activation",
                        json_string(activation_name(layer_config_int(r, "activation", 1))));
    if (gru || lstm)   /* SimpleRNN has none, and Keras refuses the argument */
        json_object_set_new(c, "recurrent_activation", json_string(activation_name(
                                                           layer_config_int(r, "recurrent_activation", 2))));
    json_object_set_new(c, "use_bias", json_boolean(layer_config_bool(r, "use_bias", true)));
    json_object_set_new(c, "return_sequences",
                        json_boolean(layer_config_bool(r, "return_sequences", false)));
    json_object_set_new(c, "return_state", json_false());
    json_object_set_new(c, "go_backwards", json_boolean(go_backwards));
    json_object_set_new(c, "stateful", json_boolean(stateful));
    json_object_set_new(c, "zero_output_for_mask", json_boolean(zero_output));
    json_object_set_new(c, "dropout", json_float32(layer_config_float(r, "dropout", 0)));
    json_object_set_new(c, "recurrent_dropout",
                        json_float32(layer_config_float(r, "recurrent_dropout", 0)));
    if (lstm)
        json_object_set_new(c, "unit_forget_bias",
                            json_boolean(layer_config_bool(r, "unit_forget_bias", true)));
    if (gru)
        json_object_set_new(c, "reset_after", json_boolean(layer_config_bool(r, "reset_after",
                                                                              true)));
    return c;
}

static const char *cell_class(int cell)
{
    return cell == RECUR_LSTM ? "LSTM" : cell == RECUR_GRU ? "GRU" : "SimpleRNN";
}

/* Layer L's Keras config from its record; its Keras class in *cls. */
static json_t *layer_config(const layer *L, layer_config_reader *r, const char *name)
{
    const char *tag = L->ops->tag;
    const bool stateful = L->stateful;
    if (strcmp(tag, "simple_rnn") == 0 || strcmp(tag, "lstm") == 0 || strcmp(tag, "gru") == 0)
        return rnn_config(r, name, tag[0] == 'g', tag[0] == 'l',
                          layer_config_bool(r, "go_backwards", false),
                          layer_config_bool(r, "zero_output_for_mask", false), stateful);
    if (strcmp(tag, "bidirectional") == 0) {
        const int cell = layer_config_int(r, "cell", RECUR_LSTM);
        static const char *const merges[] = { "concat", "sum", "mul", "ave" };
        const int merge = layer_config_int(r, "merge_mode", 0);
        const bool seq = layer_config_bool(r, "return_sequences", false);
        const char *cls = cell_class(cell);
        char fwd[160], bwd[160], inner[64];
        snprintf(inner, sizeof inner, "%s", cell == RECUR_LSTM ? "lstm"
                                            : cell == RECUR_GRU ? "gru" : "simple_rnn");
        snprintf(fwd, sizeof fwd, "forward_%s", inner);
        snprintf(bwd, sizeof bwd, "backward_%s", inner);
        json_t *c = base_config(name);
        json_object_set_new(c, "merge_mode", json_string(merges[merge & 3]));
        json_object_set_new(c, "layer", keras_object("keras.layers", cls,
                                                     rnn_config(r, fwd, cell == RECUR_GRU,
                                                                cell == RECUR_LSTM, false, seq,
                                                                stateful)));
        json_object_set_new(c, "backward_layer",
                            keras_object("keras.layers", cls,
                                         rnn_config(r, bwd, cell == RECUR_GRU,
                                                    cell == RECUR_LSTM, true, seq, stateful)));
        return c;
    }
    json_t *c = base_config(name);
    if (strcmp(tag, "dense") == 0) {
        json_object_set_new(c, "units", json_integer(layer_config_int(r, "units", 1)));
        json_object_set_new(c, "activation",
                            json_string(activation_name(layer_config_int(r, "activation", 4))));
        json_object_set_new(c, "use_bias", json_true());
    } else if (strcmp(tag, "embedding") == 0) {
        json_object_set_new(c, "input_dim", json_integer(layer_config_int(r, "input_dim", 1)));
        json_object_set_new(c, "output_dim", json_integer(layer_config_int(r, "output_dim", 1)));
        json_object_set_new(c, "mask_zero", json_boolean(layer_config_bool(r, "mask_zero",
                                                                            false)));
    } else if (strcmp(tag, "masking") == 0) {
        json_object_set_new(c, "mask_value", json_float32(layer_config_float(r, "mask_value", 0)));
    } else if (strcmp(tag, "dropout") == 0) {
        json_object_set_new(c, "rate", json_float32(layer_config_float(r, "rate", 0)));
    } else if (strcmp(tag, "gap") == 0 || strcmp(tag, "gmp") == 0) {
        json_object_set_new(c, "data_format", json_string("channels_last"));
        json_object_set_new(c, "keepdims", json_false());
    }
    return c;
}

static json_t *compile_config(const recur_compile_opts *o)
{
    static const char *const losses[] = { "", "mean_squared_error", "mean_absolute_error",
                                          "binary_crossentropy", "categorical_crossentropy",
                                          "sparse_categorical_crossentropy", "huber" };
    json_t *oc;
    const char *cls;
    if (o->optimizer == RECUR_SGD) {
        cls = "SGD";
        oc = json_pack("{s:s, s:o, s:o, s:b}", "name", "SGD", "learning_rate",
                       json_float32(o->learning_rate), "momentum", json_float32(o->momentum), "nesterov",
                       o->nesterov);
    } else if (o->optimizer == RECUR_RMSPROP) {
        cls = "RMSprop";
        oc = json_pack("{s:s, s:o, s:o, s:o, s:o, s:b}", "name", "rmsprop", "learning_rate",
                       json_float32(o->learning_rate), "rho", json_float32(o->rho), "momentum",
                       json_float32(o->momentum), "epsilon", json_float32(o->epsilon),
                       "centered", 0);
    } else {
        cls = "Adam";
        oc = json_pack("{s:s, s:o, s:o, s:o, s:o, s:b}", "name", "adam", "learning_rate",
                       json_float32(o->learning_rate), "beta_1", json_float32(o->beta_1),
                       "beta_2", json_float32(o->beta_2), "epsilon", json_float32(o->epsilon),
                       "amsgrad", 0);
    }
    const float clips[] = { o->clipnorm, o->clipvalue, o->global_clipnorm };
    const char *clip_names[] = { "clipnorm", "clipvalue", "global_clipnorm" };
    for (int i = 0; i < 3; i++)
        json_object_set_new(oc, clip_names[i], clips[i] > 0 ? json_float32(clips[i]) : json_null());
    json_t *metrics = json_array();
    if (o->metrics & RECUR_METRIC_ACCURACY)
        json_array_append_new(metrics, json_string("accuracy"));
    if (o->metrics & RECUR_METRIC_MAE)
        json_array_append_new(metrics, json_string("mae"));
    if (o->metrics & RECUR_METRIC_MSE)
        json_array_append_new(metrics, json_string("mse"));
    return json_pack("{s:o, s:s, s:n, s:o, s:n, s:b, s:i, s:b}", "optimizer",
                     keras_object("keras.optimizers", cls, oc), "loss", losses[o->loss],
                     "loss_weights", "metrics", metrics, "weighted_metrics", "run_eagerly", 0,
                     "steps_per_execution", 1, "jit_compile", 0);
}

void keras_describe(const recur_model *m, keras_model_info *info, hid_t file)
{
    memset(info, 0, sizeof *info);
    const char *snakes[MODEL_MAX_LAYERS];
    for (int i = 0; i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        snakes[i] = L->time_distributed ? "time_distributed" : L->ops->keras_name;
        keras_place(info, i, snakes);
        keras_layer_info *li = &info->layers[i];
        snprintf(li->name, sizeof li->name, "%s", li->path + strlen("layers/"));
        li->vars = L->n_weights == 0 ? KERAS_VARS_NONE
                   : strcmp(L->ops->tag, "bidirectional") == 0 ? KERAS_VARS_BIDIRECTIONAL
                   : L->ops->held_states ? KERAS_VARS_CELL
                   : L->time_distributed ? KERAS_VARS_WRAPPED : KERAS_VARS_OWN;
        /* a Dense on a sequence is Keras's Dense or TimeDistributed(Dense): the file says,
         * by a TimeDistributed group in its place holding a kernel of its shape */
        if (file >= 0 && strcmp(L->ops->tag, "dense") == 0 && L->in.steps > 0 &&
            !L->time_distributed) {
            keras_layer_info td = *li;
            snakes[i] = "time_distributed";
            keras_place(info, i, snakes);
            char kernel[200];
            snprintf(kernel, sizeof kernel, "%s/layer/vars/0", info->layers[i].path);
            if (keras_h5_fits(file, kernel, &L->weights[0])) {
                snprintf(li->name, sizeof li->name, "%s", li->path + strlen("layers/"));
                li->vars = KERAS_VARS_WRAPPED;
            } else {
                snakes[i] = L->ops->keras_name;
                *li = td;
            }
        }
        if (L->name[0])
            snprintf(li->name, sizeof li->name, "%s", L->name);
    }
    info->n_layers = m->n_layers;
}

json_t *keras_config_of(const recur_model *m, const keras_model_info *info)
{
    const bool ids = m->n_layers > 0 && strcmp(m->layers[0]->ops->tag, "embedding") == 0;
    const int batch = model_stateful(m) ? m->stateful_batch : 0;   /* Keras needs it fixed */
    json_t *layers = json_array();
    json_t *input = base_config("input_layer");
    json_object_del(input, "trainable");
    json_object_set_new(input, "sparse", json_false());
    json_array_append_new(layers, keras_object("keras.layers", "InputLayer", input));
    for (int i = 0; i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        const keras_layer_info *li = &info->layers[i];
        layer_config_writer w = { .len = 0 };
        L->ops->write_config(L, &w);
        layer_config_reader r;
        layer_config_parse(&r, w.bytes, w.len);
        json_t *obj = keras_object("keras.layers", L->ops->keras_class,
                                   layer_config(L, &r, li->name));
        if (L->time_distributed) {   /* the Dense inside Keras's wrapper */
            json_t *wrapper = base_config(li->name);
            json_object_set_new(json_object_get(obj, "config"), "name", json_string("dense"));
            json_object_set_new(wrapper, "layer", obj);
            obj = keras_object("keras.layers", "TimeDistributed", wrapper);
        }
        json_t *in = shape_json(batch, L->in.steps, L->in.features, ids && i == 0,
                                m->length_open);
        json_object_set_new(obj, "build_config", json_pack("{s:o}", "input_shape", in));
        json_array_append_new(layers, obj);
    }
    json_object_set_new(input, "batch_shape", shape_json(batch, m->timesteps, m->features, ids,
                                                         m->length_open));
    json_object_set_new(input, "dtype", json_string(ids ? "int32" : "float32"));
    json_t *config = json_pack("{s:s, s:b, s:s, s:o}", "name", m->name[0] ? m->name : "sequential", "trainable", 1,
                               "dtype", "float32", "layers", layers);
    json_t *root = keras_object("keras", "Sequential", config);
    json_object_set_new(root, "build_config",
                        json_pack("{s:O}", "input_shape", json_object_get(input, "batch_shape")));
    if (m->compiled && !m->compile_implicit)
        json_object_set_new(root, "compile_config", compile_config(&m->copts));
    return root;
}
