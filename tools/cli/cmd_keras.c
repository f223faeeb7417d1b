/* recur import, recur export: models between Keras's files and recur's. */
#include <string.h>

#include "cli.h"

/* The command's one positional argument, first: the model file. */
static bool model_argument(cli_args *a, const char *cmd, const char **path)
{
    if (a->argc < 1 || strncmp(a->argv[0], "--", 2) == 0)
        return cli_error("%s: the first argument is the model file (see recur %s --help)", cmd,
                         cmd), false;
    a->used[0] = true;
    *path = a->argv[0];
    return true;
}

static void describe(const recur_model *m, const char *verb, const char *from, const char *to)
{
    size_t params = 0;
    for (int w = 0; w < recur_model_num_weights(m); w++) {
        int rank, dims[2];
        if (recur_model_weight_shape(m, w, &rank, dims) == RECUR_OK)
            params += (size_t)dims[0] * (rank == 2 ? (size_t)dims[1] : 1);
    }
    printf("%s %s -> %s: %d layers, %zu parameters\n", verb, from, to,
           recur_model_num_layers(m), params);
}

int cmd_import(cli_args *a)
{
    const char *in = NULL, *out = NULL;
    if (!model_argument(a, "import", &in) || !arg_str(a, "save", &out) || !args_all_used(a))
        return 1;
    if (out == NULL)
        return cli_error("import: --save MODEL.recur is required");
    recur_model *m = NULL;
    if (recur_model_load_keras(in, &m) != RECUR_OK)
        return cli_error("%s", recur_last_error());
    int rc = 0;
    if (recur_model_save(m, out) != RECUR_OK)
        rc = cli_error("%s", recur_last_error());
    else
        describe(m, "imported", in, out);
    recur_model_free(m);
    return rc;
}

int cmd_export(cli_args *a)
{
    const char *in = NULL, *out = NULL;
    if (!model_argument(a, "export", &in) || !arg_str(a, "out", &out) || !args_all_used(a))
        return 1;
    if (out == NULL)
        return cli_error("export: --out MODEL.keras is required");
    recur_model *m = NULL;
    if (recur_model_load(in, &m) != RECUR_OK)
        return cli_error("%s", recur_last_error());
    int rc = 0;
    if (recur_model_save_keras(m, out) != RECUR_OK) {
        rc = cli_error("%s", recur_last_error());
    } else {
        describe(m, "exported", in, out);
        if (recur_model_metadata(m)[0])
            printf("note: the command line's data settings (scaling, vocabulary, window) stay "
                   "in %s; a Keras file has no place for them\n", in);
    }
    recur_model_free(m);
    return rc;
}
