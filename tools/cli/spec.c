/* Model specs: comma-separated layers, each TYPE:UNITS[:OPTION]...
 *   TYPE    lstm | gru | rnn | dense
 *   OPTION  an activation (tanh relu sigmoid linear hard_sigmoid softmax), rec=ACTIVATION,
 *           return_sequences (or seq), go_backwards, no_bias, reset_before */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_act(const char *s)
{
    const char *names[] = { "", "tanh", "sigmoid", "relu", "linear", "hard_sigmoid", "softmax" };
    for (int i = 1; i < 7; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

bool model_from_spec(const char *spec, int T, int F, recur_model **out)
{
    recur_model *m;
    if (recur_model_create(T, F, &m) != RECUR_OK)
        return cli_error("--model: %s", recur_last_error()), false;
    char *copy = strdup(spec), *save = NULL;
    int index = 0;
    for (char *layer = strtok_r(copy, ",", &save); layer; layer = strtok_r(NULL, ",", &save)) {
        index++;
        char text[128];
        snprintf(text, sizeof text, "%s", layer);
        char *inner = NULL, *type = strtok_r(layer, ":", &inner), *units_s = strtok_r(NULL, ":", &inner);
        char *end = NULL;
        long units = units_s ? strtol(units_s, &end, 10) : 0;
        if (!units_s || *end || units < 1 || units > 65536) {
            cli_error("--model: layer %d '%s': expected TYPE:UNITS with UNITS a whole number "
                      "from 1 to 65536", index, text);
            goto fail;
        }
        recur_rnn_opts o = { 0 };
        int dense_act = RECUR_ACT_LINEAR;
        for (char *opt = strtok_r(NULL, ":", &inner); opt; opt = strtok_r(NULL, ":", &inner)) {
            int a = parse_act(strncmp(opt, "rec=", 4) == 0 ? opt + 4 : opt);
            if (strncmp(opt, "rec=", 4) == 0 && a > 0)
                o.recurrent_activation = (recur_activation)a;
            else if (a > 0)
                o.activation = (recur_activation)(dense_act = a);
            else if (strcmp(opt, "return_sequences") == 0 || strcmp(opt, "seq") == 0)
                o.return_sequences = true;
            else if (strcmp(opt, "go_backwards") == 0)
                o.go_backwards = true;
            else if (strcmp(opt, "no_bias") == 0)
                o.no_bias = true;
            else if (strcmp(opt, "reset_before") == 0)
                o.reset_before = true;
            else {
                cli_error("--model: layer %d '%s': unknown option '%s'", index, text, opt);
                goto fail;
            }
        }
        recur_status s;
        if (strcmp(type, "dense") == 0)
            s = recur_model_add_dense(m, (int)units, (recur_activation)dense_act);
        else if (strcmp(type, "lstm") == 0)
            s = recur_model_add_lstm(m, (int)units, &o);
        else if (strcmp(type, "gru") == 0)
            s = recur_model_add_gru(m, (int)units, &o);
        else if (strcmp(type, "rnn") == 0 || strcmp(type, "simple_rnn") == 0)
            s = recur_model_add_simple_rnn(m, (int)units, &o);
        else {
            cli_error("--model: layer %d '%s': unknown type '%s' (lstm, gru, rnn, dense)", index,
                      text, type);
            goto fail;
        }
        if (s != RECUR_OK) {
            cli_error("--model: layer %d '%s': %s", index, text, recur_last_error());
            goto fail;
        }
    }
    if (index == 0) {
        cli_error("--model: no layers in '%s'", spec);
        goto fail;
    }
    free(copy);
    *out = m;
    return true;
fail:
    free(copy);
    recur_model_free(m);
    return false;
}
