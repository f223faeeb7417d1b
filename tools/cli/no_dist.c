/* The command line built without MPI: always one process. */
#include "cli.h"

bool cli_dist_start(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return true;
}

int cli_rank(void) { return 0; }
const char *cli_dist_description(void) { return "not built (no MPI found at build time)"; }
int cli_size(void) { return 1; }
bool cli_dist_attach(recur_model *m) { return (void)m, true; }
bool cli_dist_all_ok(bool ok) { return ok; }
int cli_dist_finish(int rc) { return rc; }
