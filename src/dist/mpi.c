/* recur_model_set_comm: the model's collective (recur/collective.h) over an MPI
 * communicator. Its own library, so the core never links MPI. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <recur/dist.h>

typedef struct {
    MPI_Comm comm;                /* recur's duplicate of the caller's */
    char message[MPI_MAX_ERROR_STRING + 64];
} mpi_collective;

static const char *mpi_failed(mpi_collective *c, const char *call, int code)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error code %d", code);
    snprintf(c->message, sizeof c->message, "%s failed: %s", call, text);
    return c->message;
}

/* MPI counts are ints: large arrays go in pieces. */
#define MPI_PIECE ((size_t)1 << 30)

static const char *sum(void *ctx, void *values, size_t n, MPI_Datatype type, size_t item)
{
    mpi_collective *c = ctx;
    for (size_t at = 0; at < n; at += MPI_PIECE) {
        const size_t k = n - at < MPI_PIECE ? n - at : MPI_PIECE;
        int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)values + at * item, (int)k, type, MPI_SUM,
                               c->comm);
        if (rc != MPI_SUCCESS)
            return mpi_failed(c, "MPI_Allreduce", rc);
    }
    return NULL;
}

static const char *sum_floats(void *ctx, float *values, size_t n)
{
    return sum(ctx, values, n, MPI_FLOAT, sizeof(float));
}

static const char *sum_doubles(void *ctx, double *values, size_t n)
{
    return sum(ctx, values, n, MPI_DOUBLE, sizeof(double));
}

static const char *broadcast(void *ctx, int root, void *bytes, size_t n)
{
    mpi_collective *c = ctx;
    for (size_t at = 0; at < n; at += MPI_PIECE) {
        const size_t k = n - at < MPI_PIECE ? n - at : MPI_PIECE;
        int rc = MPI_Bcast((char *)bytes + at, (int)k, MPI_BYTE, root, c->comm);
        if (rc != MPI_SUCCESS)
            return mpi_failed(c, "MPI_Bcast", rc);
    }
    return NULL;
}

static void release(void *ctx)
{
    mpi_collective *c = ctx;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)   /* after MPI_Finalize the communicator is gone with MPI */
        MPI_Comm_free(&c->comm);
    free(c);
}

static recur_status mpi_status(int code, const char *call)
{
    char text[MPI_MAX_ERROR_STRING], message[MPI_MAX_ERROR_STRING + 64];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error code %d", code);
    snprintf(message, sizeof message, "recur_model_set_comm: %s failed: %s", call, text);
    return recur_set_last_error(RECUR_ERR_IO, message);
}

recur_status recur_model_set_comm(recur_model *m, MPI_Comm comm)
{
    if (m == NULL)
        return recur_set_last_error(RECUR_ERR_ARGUMENT, "recur_model_set_comm: model is NULL");
    if (comm == MPI_COMM_NULL)
        return recur_model_set_collective(m, NULL);
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized)
        return recur_set_last_error(RECUR_ERR_STATE, "recur_model_set_comm: call MPI_Init "
                                    "first");
    mpi_collective *c = calloc(1, sizeof *c);
    if (c == NULL)
        return recur_set_last_error(RECUR_ERR_NO_MEMORY, "recur_model_set_comm: out of memory");
    int rc = MPI_Comm_dup(comm, &c->comm);
    if (rc != MPI_SUCCESS) {
        free(c);
        return mpi_status(rc, "MPI_Comm_dup");
    }
    recur_collective k = { .ctx = c, .sum_floats = sum_floats, .sum_doubles = sum_doubles,
                           .broadcast = broadcast, .release = release };
    if ((rc = MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN)) != MPI_SUCCESS ||
        (rc = MPI_Comm_rank(c->comm, &k.rank)) != MPI_SUCCESS ||
        (rc = MPI_Comm_size(c->comm, &k.size)) != MPI_SUCCESS) {
        release(c);
        return mpi_status(rc, "setting up the communicator");
    }
    const recur_status s = recur_model_set_collective(m, &k);
    if (s != RECUR_OK)
        release(c);
    return s;
}
