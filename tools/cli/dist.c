/* The command line under mpirun: every rank runs the same command on the same files, fit
 * and evaluate are collective, and only rank 0 prints and writes. Started without mpirun it
 * never touches MPI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <recur/dist.h>

#include "cli.h"

static int rank, size = 1;
static bool joined;

/* Open MPI's launcher, or any PMIx one, tells its processes so. */
static bool under_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK");
}

bool cli_dist_start(int *argc, char ***argv)
{
    if (!under_mpirun())
        return true;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return cli_error("MPI_Init failed"), false;
    joined = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank != 0 && freopen("/dev/null", "w", stdout) == NULL)
        return cli_error("cannot silence the output of rank %d", rank), false;
    return true;
}

int cli_rank(void) { return rank; }
int cli_size(void) { return size; }

const char *cli_dist_description(void)
{
    static char text[MPI_MAX_LIBRARY_VERSION_STRING + 64];
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0;
    MPI_Get_library_version(version, &len);   /* callable before MPI_Init */
    version[strcspn(version, ",\n")] = '\0';
    snprintf(text, sizeof text, "%s (mpirun -np N recur fit ...; %d process%s now)", version,
             size, size == 1 ? "" : "es");
    return text;
}

bool cli_dist_attach(recur_model *m)
{
    if (size < 2)
        return true;
    if (recur_model_set_comm(m, MPI_COMM_WORLD) != RECUR_OK)
        return cli_error("%s", recur_last_error()), false;
    return true;
}

bool cli_dist_all_ok(bool ok)
{
    if (size < 2)
        return ok;
    int all = ok;
    MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all != 0;
}

int cli_dist_finish(int rc)
{
    if (!joined)
        return rc;
    if (size > 1) {
        int first = rc && cli_last_error[0] ? rank : size, worst = rc;
        MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (first < size && first != 0) {
            MPI_Bcast(cli_last_error, sizeof cli_last_error, MPI_CHAR, first, MPI_COMM_WORLD);
            if (rank == 0)
                fprintf(stderr, "recur: process %d of %d: %s\n", first, size, cli_last_error);
        }
        rc = worst;
    }
    fflush(stdout);
    MPI_Finalize();
    return rc;
}
