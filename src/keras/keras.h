/* Internal: Keras files. archive.c reads and writes the containers (zip entries, HDF5 file
 * images, whole files), config_import.c turns a Keras model config into recur layers,
 * config_export.c the reverse, weights.c moves weights and optimizer variables between a
 * model's parameter block and HDF5, and keras_io.c holds the public calls. */
#ifndef RECUR_KERAS_INTERNAL_H
#define RECUR_KERAS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <hdf5.h>
#include <jansson.h>

#include <recur/recur.h>

#include "model/internal.h"

/* ---- containers (archive.c) ---- */
typedef enum { KERAS_FILE_OTHER, KERAS_FILE_ZIP, KERAS_FILE_HDF5 } keras_file_kind;
keras_file_kind keras_sniff(const unsigned char *p, size_t n);

/* The whole file at path (what: the calling function, for messages). */
recur_status keras_read_file(const char *path, const char *what, unsigned char **data,
                             size_t *n);
/* Entry `name` of a zip archive held in memory; its size is checked against what the
 * archive's compressed bytes can hold before anything is allocated. */
recur_status keras_zip_entry(const unsigned char *zip, size_t n, const char *name,
                             const char *path, unsigned char **out, size_t *out_n);
/* Write entries (names[i], data[i], sizes[i]) as a zip at path, atomically. */
recur_status keras_zip_write(const char *path, int count, const char *const *names,
                             const void *const *data, const size_t *sizes);

/* An HDF5 file held in memory, opened read-only (H5I_INVALID_HID: not HDF5). */
hid_t keras_h5_open_image(const unsigned char *p, size_t n);
/* A new HDF5 file in memory, and its bytes once written (malloc'ed, the caller frees). */
hid_t keras_h5_create_image(void);
recur_status keras_h5_image_bytes(hid_t file, unsigned char **out, size_t *n);

/* A string attribute (a scalar or an array; variable- or fixed-length strings) as a
 * NULL-ended list of malloc'ed strings; NULL when absent, not strings or damaged. */
char **keras_h5_strings(hid_t obj, const char *attr, int *count);
void keras_free_strings(char **list);
/* Work on a stranger's file, run in a child process (sandbox.c): it writes its result to
 * out and returns its status (its message through recur_fail, as anywhere). */
typedef recur_status (*keras_sandbox_work)(void *ctx, FILE *out);
/* work(ctx) in a child with a deadline that grows with file_bytes; on RECUR_OK its result
 * (malloc'ed) in *result. A crash or hang of the child is a RECUR_ERR_FORMAT naming what
 * and path; the caller's process is untouched either way. */
recur_status keras_sandboxed(keras_sandbox_work work, void *ctx, size_t file_bytes,
                             const char *what, const char *path, unsigned char **result,
                             size_t *result_n);

/* Whether the dataset at name exists with weight w's shape. */
bool keras_h5_fits(hid_t file, const char *name, const layer_weight *w);

/* HDF5 prints its error stack by default: quiet while recur reads a stranger's file. */
typedef struct {
    H5E_auto2_t func;
    void *data;
} keras_h5_quiet;
keras_h5_quiet keras_h5_silence(void);
void keras_h5_restore(keras_h5_quiet q);

/* ---- what a model's layers look like in Keras's files ---- */
/* Where a layer keeps its variables under its group in a Keras 3 weights file. */
typedef enum {
    KERAS_VARS_NONE,           /* no weights */
    KERAS_VARS_OWN,            /* vars/i: Dense, Embedding */
    KERAS_VARS_CELL,           /* cell/vars/i: SimpleRNN, LSTM, GRU */
    KERAS_VARS_WRAPPED,        /* layer/vars/i: TimeDistributed(Dense) */
    KERAS_VARS_BIDIRECTIONAL   /* forward_layer/cell/vars/i, then backward_layer/... */
} keras_vars;

typedef struct {
    char name[128];            /* Keras's layer name (the group of a legacy file) */
    char path[160];            /* its group in a Keras 3 weights file: layers/<snake>[_k] */
    keras_vars vars;
} keras_layer_info;

typedef struct {
    int n_layers;              /* recur's layers, in order (an InputLayer makes none) */
    keras_layer_info layers[MODEL_MAX_LAYERS];
    bool has_compile;          /* the file holds compile settings */
    recur_compile_opts copts;
} keras_model_info;

/* recur_model_load_keras on a file's bytes (path names it in messages). */
recur_status keras_load_bytes(const unsigned char *bytes, size_t n, const char *path,
                              recur_model **out);

/* ---- configs (config_import.c, config_export.c) ---- */
/* info->layers[i].path: layers/<snake> for the first layer of its class (snakes[i], Keras's
 * snake-case class name), then <snake>_1, _2, … — how Keras 3 names the groups. */
void keras_place(keras_model_info *info, int i, const char *const *snakes);
/* The Sequential model a Keras config describes (Keras 3's config.json, or a legacy file's
 * model_config), with the compile settings of compile (Keras 3's "compile_config" or a
 * legacy "training_config"; NULL: none). The layers are named and placed as info says.
 * weight_bytes: the size of the HDF5 file holding the weights; a config asking for more
 * weights than it can hold (4 bytes each) is refused before anything is allocated. */
recur_status keras_model_from_config(json_t *model, json_t *compile, size_t weight_bytes,
                                     const char *path, recur_model **out,
                                     keras_model_info *info);
/* Whether a file's model or layer name is an identifier-like name shorter than size, one
 * recur keeps (and shows in summaries); otherwise recur uses Keras's default. */
bool keras_plain_name(const char *name, size_t size);
/* The names Keras gives m's layers and the groups their weights take in Keras 3's files
 * (file >= 0: a Dense on a sequence whose group the file lacks is TimeDistributed(Dense)). */
void keras_describe(const recur_model *m, keras_model_info *info, hid_t file);
/* Keras 3's config.json for m (compile_config included when m is compiled). */
json_t *keras_config_of(const recur_model *m, const keras_model_info *info);

/* ---- weights (weights.c) ---- */
/* Every weight of m from a Keras 3 weights file laid out as info says, then the optimizer's
 * variables when the file holds them and m is compiled with that optimizer. */
recur_status keras_read_weights(hid_t file, recur_model *m, const keras_model_info *info,
                                const char *path);
/* The same from a legacy file's model_weights (and optimizer_weights) groups. */
recur_status keras_read_legacy_weights(hid_t file, recur_model *m, const keras_model_info *info,
                                       const char *path);
/* m's weights and optimizer variables into a Keras 3 weights file. */
recur_status keras_write_weights(hid_t file, const recur_model *m, const keras_model_info *info);

#endif
