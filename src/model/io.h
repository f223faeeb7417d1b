/* Internal: reading model files (docs/model-format.md). Every read is checked against what
 * remains of the file; a failed read leaves `ok` false and reads zeros from then on. */
#ifndef RECUR_MODEL_IO_H
#define RECUR_MODEL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/internal.h"

typedef struct {
    const unsigned char *p;
    size_t n, at;
    const char *path;
    bool ok;
} model_reader;

bool model_read(model_reader *r, void *dst, size_t n);
int32_t model_read_i32(model_reader *r);
uint64_t model_read_u64(model_reader *r);
float model_read_f32(model_reader *r);

/* RECUR_ERR_FORMAT "recur_model_load: PATH: why". */
recur_status model_file_error(const char *path, const char *why);

/* Version 1's layer list (six integers a layer), added to m. */
recur_status model_read_layers_v1(model_reader *r, recur_model *m, int n_layers);
/* Version 1's compile settings (fixed fields), into o. */
void model_read_compile_v1(model_reader *r, recur_compile_opts *o);

#endif
