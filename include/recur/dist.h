/* recur — data-parallel training over MPI (the recur_mpi library; link it with MPI).
 *
 *   MPI_Init(&argc, &argv);
 *   recur_model_set_comm(m, MPI_COMM_WORLD);
 *   recur_model_fit(m, x, y, n, &opts);   // every rank: the same full x, y, n and opts
 *   ...
 *   recur_model_free(m);                  // before MPI_Finalize
 *   MPI_Finalize();
 *
 * After recur_model_set_comm (before or after compile), recur_model_fit and
 * recur_model_evaluate are collective over comm: every rank passes the same full arrays (n
 * is the global count; a memory map of one file costs nothing) and takes its own rows of
 * each global batch of batch_size rows (the first batch_size % size ranks one row more).
 * The ranks' gradients are summed with MPI_Allreduce and every rank takes the same step, so
 * the weights stay identical; fit starts from rank 0's weights and optimizer state. The
 * losses, metrics and history are the whole batch's, the same on every rank, and equal to
 * one process's up to the order of the sums. predict stays local to each rank.
 *
 * recur duplicates comm (its messages never meet the caller's) and sets MPI_ERRORS_RETURN on
 * the duplicate, so an MPI failure is a recur error status, never an abort. */
#ifndef RECUR_DIST_H
#define RECUR_DIST_H

#include <mpi.h>

#include <recur/recur.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Makes fit and evaluate collective over comm. Collective itself:
 * every rank of comm calls it. MPI_COMM_NULL: the model trains alone again. */
RECUR_API recur_status recur_model_set_comm(recur_model *m, MPI_Comm comm);

#ifdef __cplusplus
}
#endif
#endif
