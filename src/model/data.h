/* Internal: what fit, evaluate, predict and the train step check of the caller's arrays
 * before any work, so a bad value is reported with its place and nothing is half-done. */
#ifndef RECUR_MODEL_DATA_H
#define RECUR_MODEL_DATA_H

#include <stddef.h>

#include "model/internal.h"

/* Target values per sample: class indices (one per output step) or full outputs. */
size_t model_target_size(const recur_model *m);
/* x [n, T, F] finite (and what the first layer accepts, e.g. token ids); y (may be NULL)
 * finite, class indices in range for sparse losses. `what` names the caller. */
recur_status model_check_data(const recur_model *m, const float *x, const float *y, int n,
                              const char *what);
/* The same for fit and evaluate: a model trained by several processes checks each
 * process's slice of the rows there (so none reads the others' rows), and every process
 * returns the first failing one's status and message. */
recur_status model_check_data_shared(const recur_model *m, const float *x, const float *y,
                                     int n, const char *what);

#endif
