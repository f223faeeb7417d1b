/* recur — Keras model files in and out: Keras 3's `.keras` (a zip of config.json,
 * metadata.json and model.weights.h5), `.weights.h5` (Keras 3 save_weights) and the legacy
 * `.h5` of tf.keras 2.x (model.save('x.h5')).
 *
 * Sequential models of the layers recur has load with their options, the compile settings
 * when the file holds them (a model comes back compiled, as Keras's load_model gives it)
 * and the optimizer's state, so training continues where Keras stopped. A file that holds
 * anything recur cannot run exactly (another layer class, an option recur lacks, a
 * regularizer, a Functional graph with branches) is refused with a message naming it.
 * Without HDF5, libzip and jansson at build time these calls return RECUR_ERR_FORMAT,
 * saying so. Declared through <recur/recur.h>. */
#ifndef RECUR_KERAS_H
#define RECUR_KERAS_H

#include <recur/export.h>
#include <recur/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct recur_model recur_model;

/* A `.keras` or legacy `.h5` model file, recognised by its content (zip or HDF5). */
RECUR_API recur_status recur_model_load_keras(const char *path, recur_model **out);
/* A `.weights.h5` (or the weights of a `.keras` or legacy `.h5`) into m, whose layers must be
 * the file's, layer by layer, compiled or not; the file's optimizer variables load into a
 * model compiled with the same optimizer. */
RECUR_API recur_status recur_model_load_keras_weights(recur_model *m, const char *path);
/* A `.keras` file that Keras 3 loads with keras.models.load_model: the layers, the weights,
 * the compile settings and the optimizer's state, written atomically. */
RECUR_API recur_status recur_model_save_keras(const recur_model *m, const char *path);

#ifdef __cplusplus
}
#endif
#endif
