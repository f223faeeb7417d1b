/* The Keras file calls of a library built without HDF5, libzip and jansson: each says so. */
#include <recur/recur.h>

#include "core/error.h"

static recur_status without(const char *what)
{
    return recur_fail(RECUR_ERR_FORMAT, "%s: this recur was built without Keras file support "
                      "(it needs libhdf5-dev, libzip-dev and libjansson-dev at build time)", what);
}

recur_status recur_model_load_keras(const char *path, recur_model **out)
{
    (void)path;
    if (out)
        *out = NULL;
    return without("recur_model_load_keras");
}

recur_status recur_model_load_keras_weights(recur_model *m, const char *path)
{
    (void)m;
    (void)path;
    return without("recur_model_load_keras_weights");
}

recur_status recur_model_save_keras(const recur_model *m, const char *path)
{
    (void)m;
    (void)path;
    return without("recur_model_save_keras");
}
