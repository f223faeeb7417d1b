/* recur — data-parallel training over any group of processes.
 *
 * A model given a collective trains as one of `size` processes: every process calls
 * recur_model_fit (or evaluate) with the same full arrays and the same options, takes its
 * own rows of each global batch, and the processes sum their gradients before every
 * optimizer step, so their weights stay identical. recur/dist.h builds one over MPI; any
 * other transport fits the same three operations. */
#ifndef RECUR_COLLECTIVE_H
#define RECUR_COLLECTIVE_H

#include <stddef.h>

#include <recur/export.h>
#include <recur/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct recur_model recur_model;

/* Each operation is called by every process in the same order, and returns NULL when done
 * or a message saying why not (owned by ctx, kept until the next call). */
typedef struct recur_collective {
    int rank, size;               /* this process, of 0 .. size-1 */
    void *ctx;
    /* values[0..n) replaced by their sum over every process */
    const char *(*sum_floats)(void *ctx, float *values, size_t n);
    const char *(*sum_doubles)(void *ctx, double *values, size_t n);
    /* bytes[0..n) replaced by those of process `root` */
    const char *(*broadcast)(void *ctx, int root, void *bytes, size_t n);
    /* Called once when the model is freed or given another collective. May be NULL. */
    void (*release)(void *ctx);
} recur_collective;

/* From now on fit and evaluate are collective over c (a copy is kept; c == NULL: the model
 * trains alone again). fit starts by checking that every process has the same model and
 * options (an error on every process otherwise) and taking rank 0's weights and optimizer
 * state. predict stays local. A stateful model cannot be shared. */
RECUR_API recur_status recur_model_set_collective_sized(recur_model *m,
                                                        const recur_collective *c,
                                                        size_t c_size);
#define recur_model_set_collective(m, c) \
    recur_model_set_collective_sized((m), (c), sizeof(recur_collective))

#ifdef __cplusplus
}
#endif
#endif
