/* Model specs: comma-separated layers, each NAME[:FIELD]...
 *   lstm|gru|rnn:UNITS[:OPTION]...  OPTION: an activation (tanh relu sigmoid linear
 *                                   hard_sigmoid), rec=ACTIVATION, return_sequences (or
 *                                   seq), go_backwards, no_bias, reset_before (GRU),
 *                                   zero_output (masked steps output zeros), stateful,
 *                                   dropout=RATE, recurrent_dropout=RATE
 *   bidirectional:lstm|gru|rnn:UNITS[:OPTION]...  the same options (not go_backwards) and
 *                                   merge=concat|sum|mul|ave (default concat)
 *   dense:UNITS[:ACTIVATION]        ACTIVATION also softmax; UNITS `vocab`: the vocabulary
 *   embedding:DIM[:mask_zero]       first layer, over --tokens ids (input_dim: the vocabulary)
 *   masking[:VALUE]                 VALUE a number, default 0
 *   dropout:RATE                    Keras Dropout
 *   gap | gmp                       global average / max pooling over time
 * Exactly this grammar: an empty layer, an unknown or repeated option, or two activations
 * is an error naming the layer and the field. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_FIELDS 12

static int parse_act(const char *s)
{
    const char *names[] = { "", "tanh", "sigmoid", "relu", "linear", "hard_sigmoid", "softmax" };
    for (int i = 1; i < 7; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* One layer's text split at ':' into fields (no field may be empty). */
typedef struct {
    int index;                 /* 1-based, for messages */
    char text[128];            /* as given */
    char buf[128];             /* the fields, NUL-ended in place */
    char *field[MAX_FIELDS];
    int n;
} layer_text;

static bool layer_error(const layer_text *l, const char *what)
{
    return cli_error("--model: layer %d '%s': %s", l->index, l->text, what), false;
}

static bool units_of(const layer_text *l, const char *what, int *units)
{
    char *end;
    errno = 0;
    long v = l->n > 1 ? strtol(l->field[1], &end, 10) : 0;
    if (l->n < 2 || errno || *end || v < 1 || v > 65536) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected %s:%s with a whole number from 1 to 65536",
                 l->field[0], what);
        return layer_error(l, msg);
    }
    *units = (int)v;
    return true;
}

/* A rate in [0, 1) after "name=" in opt; false (with a message) otherwise. */
static bool rate_of(const layer_text *l, const char *opt, float *out)
{
    char *end;
    errno = 0;
    const double v = strtod(strchr(opt, '=') + 1, &end);
    if (errno || *end || end == strchr(opt, '=') + 1 || !(v >= 0.0 && v < 1.0)) {
        char msg[160];
        snprintf(msg, sizeof msg, "'%s': a rate must be a number in [0, 1)", opt);
        return layer_error(l, msg);
    }
    *out = (float)v;
    return true;
}

static const char *const merges[] = { "concat", "sum", "mul", "ave" };

/* The options of a recurrent layer from field `first` on; merge= only for Bidirectional. */
static bool rnn_options(const layer_text *l, int first, bool bidirectional, recur_rnn_opts *o,
                        recur_merge_mode *merge)
{
    /* act, rec, seq, bwd, no_bias, reset_before, zero_output, stateful, dropout,
     * recurrent_dropout, merge */
    bool seen[11] = { false };
    static const char *const flags[] = { "return_sequences", "go_backwards", "no_bias",
                                         "reset_before", "zero_output", "stateful" };
    for (int i = first; i < l->n; i++) {
        const char *opt = l->field[i];
        const bool rec = strncmp(opt, "rec=", 4) == 0;
        const int a = parse_act(rec ? opt + 4 : opt);
        int which = rec ? 1 : a > 0 ? 0 : -1;
        if (a == RECUR_ACT_SOFTMAX)
            return layer_error(l, "softmax is for dense layers");
        for (int f = 0; f < 6 && which < 0; f++)
            if (strcmp(opt, flags[f]) == 0 || (f == 0 && strcmp(opt, "seq") == 0))
                which = 2 + f;
        if (which < 0 && strncmp(opt, "dropout=", 8) == 0)
            which = 8;
        if (which < 0 && strncmp(opt, "recurrent_dropout=", 18) == 0)
            which = 9;
        if (which < 0 && bidirectional && strncmp(opt, "merge=", 6) == 0)
            which = 10;
        if (which < 0 || (rec && a <= 0)) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown option '%s'", opt);
            return layer_error(l, msg);
        }
        if (seen[which]) {
            char msg[160];
            snprintf(msg, sizeof msg, "option '%s' %s", opt,
                     which == 0 ? "is a second activation" : "is given twice");
            return layer_error(l, msg);
        }
        seen[which] = true;
        switch (which) {
        case 0: o->activation = (recur_activation)a; break;
        case 1: o->recurrent_activation = (recur_activation)a; break;
        case 2: o->return_sequences = true; break;
        case 3: o->go_backwards = true; break;
        case 4: o->no_bias = true; break;
        case 5: o->reset_before = true; break;
        case 6: o->zero_output_for_mask = true; break;
        case 7: o->stateful = true; break;
        case 8: if (!rate_of(l, opt, &o->dropout)) return false; break;
        case 9: if (!rate_of(l, opt, &o->recurrent_dropout)) return false; break;
        default: {
            int k = 0;
            while (k < 4 && strcmp(opt + 6, merges[k]) != 0)
                k++;
            if (k == 4)
                return layer_error(l, "merge= takes concat, sum, mul or ave");
            *merge = (recur_merge_mode)k;
        }
        }
    }
    return true;
}

static int cell_of(const char *kind)
{
    return strcmp(kind, "lstm") == 0   ? RECUR_LSTM
           : strcmp(kind, "gru") == 0 ? RECUR_GRU
           : strcmp(kind, "rnn") == 0 || strcmp(kind, "simple_rnn") == 0 ? RECUR_SIMPLE_RNN
                                                                          : 0;
}

/* lstm|gru|rnn:UNITS[:OPTION]..., or bidirectional:CELL:UNITS[:OPTION]... */
static bool add_recurrent(recur_model *m, const layer_text *l)
{
    const bool bi = strcmp(l->field[0], "bidirectional") == 0;
    layer_text shifted = *l;   /* bidirectional: the wrapped layer's fields */
    if (bi) {
        if (l->n < 2 || cell_of(l->field[1]) == 0)
            return layer_error(l, "expected bidirectional:lstm|gru|rnn:UNITS[:OPTION]...");
        for (int i = 1; i < l->n; i++)
            shifted.field[i - 1] = l->field[i];
        shifted.n = l->n - 1;
    }
    int units;
    if (!units_of(&shifted, "UNITS", &units))
        return false;
    recur_rnn_opts o = { 0 };
    recur_merge_mode merge = RECUR_MERGE_CONCAT;
    if (!rnn_options(&shifted, 2, bi, &o, &merge))
        return false;
    const char *kind = shifted.field[0];
    const recur_cell cell = (recur_cell)cell_of(kind);
    if (o.reset_before && cell != RECUR_GRU)
        return layer_error(l, "reset_before is for gru layers");
    if (bi && o.go_backwards)
        return layer_error(l, "a bidirectional layer's backward copy goes backwards already");
    recur_status s = bi ? recur_model_add_bidirectional(m, cell, units, &o, merge)
                     : cell == RECUR_LSTM ? recur_model_add_lstm(m, units, &o)
                     : cell == RECUR_GRU  ? recur_model_add_gru(m, units, &o)
                                          : recur_model_add_simple_rnn(m, units, &o);
    return s == RECUR_OK || layer_error(l, recur_last_error());
}

static bool add_layer(recur_model *m, const layer_text *l, int vocab_size)
{
    const char *kind = l->field[0];
    recur_status s;
    if (cell_of(kind) || strcmp(kind, "bidirectional") == 0)
        return add_recurrent(m, l);
    if (strcmp(kind, "dense") == 0) {
        int units, act = RECUR_ACT_LINEAR;
        if (l->n > 1 && strcmp(l->field[1], "vocab") == 0) {
            if (vocab_size == 0)
                return layer_error(l, "dense:vocab needs a vocabulary (--tokens)");
            units = vocab_size;
        } else if (!units_of(l, "UNITS[:ACTIVATION]", &units)) {
            return false;
        }
        if (l->n > 3 || (l->n == 3 && (act = parse_act(l->field[2])) < 0))
            return layer_error(l, "a dense layer takes one activation (tanh, sigmoid, relu, "
                               "linear, hard_sigmoid, softmax) and nothing else");
        s = recur_model_add_dense(m, units, (recur_activation)act);
    } else if (strcmp(kind, "embedding") == 0) {
        int dim;
        if (!units_of(l, "DIM[:mask_zero]", &dim))
            return false;
        if (l->n > 3 || (l->n == 3 && strcmp(l->field[2], "mask_zero") != 0))
            return layer_error(l, "an embedding takes DIM and optionally mask_zero");
        if (vocab_size == 0)
            return layer_error(l, "an embedding reads token ids: give --text-column with "
                               "--tokens word|char");
        s = recur_model_add_embedding(m, vocab_size, dim, l->n == 3);
    } else if (strcmp(kind, "masking") == 0) {
        char *end;
        double v = l->n == 2 ? strtod(l->field[1], &end) : 0.0;
        if (l->n > 2 || (l->n == 2 && (*end || !isfinite(v))))
            return layer_error(l, "masking takes one number, the mask value");
        s = recur_model_add_masking(m, (float)v);
    } else if (strcmp(kind, "dropout") == 0) {
        char *end;
        double v = l->n == 2 ? strtod(l->field[1], &end) : -1.0;
        if (l->n != 2 || *end || !(v >= 0.0 && v < 1.0))
            return layer_error(l, "dropout takes one rate in [0, 1)");
        s = recur_model_add_dropout(m, (float)v);
    } else if (strcmp(kind, "gap") == 0 || strcmp(kind, "gmp") == 0) {
        if (l->n > 1)
            return layer_error(l, "a pooling layer takes no options");
        s = kind[1] == 'a' ? recur_model_add_global_average_pooling1d(m)
                           : recur_model_add_global_max_pooling1d(m);
    } else {
        return layer_error(l, "unknown layer (lstm, gru, rnn, bidirectional, dense, embedding, "
                              "masking, dropout, gap, gmp)");
    }
    return s == RECUR_OK || layer_error(l, recur_last_error());
}

/* Split layer `index` (its text in t) at ':' into l; false on an empty field. */
static bool split_layer(const char *t, size_t len, int index, layer_text *l)
{
    l->index = index;
    l->n = 0;
    snprintf(l->text, sizeof l->text, "%.*s", (int)len, t);
    if (len >= sizeof l->text)
        return layer_error(l, "too long");
    memcpy(l->buf, l->text, sizeof l->buf);
    for (char *p = l->buf;;) {
        char *colon = strchr(p, ':');
        if (colon)
            *colon = '\0';
        if (*p == '\0')
            return layer_error(l, "an empty field");
        if (l->n == MAX_FIELDS)
            return layer_error(l, "too many fields");
        l->field[l->n++] = p;
        if (!colon)
            return true;
        p = colon + 1;
    }
}

bool model_from_spec(const char *spec, int T, int F, int vocab_size, recur_model **out)
{
    recur_model *m;
    if (recur_model_create(T, F, &m) != RECUR_OK)
        return cli_error("--model: %s", recur_last_error()), false;
    int index = 0;
    for (const char *p = spec;; index++) {
        const char *comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        layer_text l;
        if (len == 0) {
            cli_error("--model: layer %d is empty in '%s'", index + 1, spec);
            goto fail;
        }
        if (!split_layer(p, len, index + 1, &l) || !add_layer(m, &l, vocab_size))
            goto fail;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = m;
    return true;
fail:
    recur_model_free(m);
    return false;
}
