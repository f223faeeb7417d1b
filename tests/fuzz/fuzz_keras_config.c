/* libFuzzer: a Keras model config (config.json, or a legacy file's model_config with its
 * training_config under "compile_config") into recur layers and compile settings — the
 * importer's own code, without the containers around it. */
#include <stdint.h>

#include "keras/keras.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (root == NULL)
        return 0;
    recur_model *m = NULL;
    keras_model_info info;
    if (keras_model_from_config(root, json_object_get(root, "compile_config"), (size_t)1 << 22,
                                "fuzz", &m, &info) == RECUR_OK) {
        if (info.has_compile)
            recur_model_compile(m, &info.copts);
        json_t *back = keras_config_of(m, &info);
        json_decref(back);
        recur_model_free(m);
    }
    json_decref(root);
    return 0;
}
