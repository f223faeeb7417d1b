/* Output files appear whole or not at all: write a temporary file beside the target, sync
 * it, rename it over the target. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

bool atomic_open(atomic_file *af, const char *path)
{
    size_t n = strlen(path) + 16;
    af->path = path;
    af->tmp = malloc(n);
    af->f = NULL;
    if (af->tmp == NULL)
        return cli_error("out of memory"), false;
    snprintf(af->tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        cli_error("%s: cannot create: %s", path, strerror(errno));
        free(af->tmp);
        af->tmp = NULL;
        return false;
    }
    fchmod(fd, 0644);
    af->f = fdopen(fd, "w");
    if (af->f == NULL) {
        close(fd);
        atomic_abort(af);
        return cli_error("%s: cannot write", path), false;
    }
    return true;
}

bool atomic_commit(atomic_file *af)
{
    bool ok = fflush(af->f) == 0 && fsync(fileno(af->f)) == 0 && !ferror(af->f);
    ok = fclose(af->f) == 0 && ok;
    af->f = NULL;
    if (!ok || rename(af->tmp, af->path) != 0) {
        cli_error("%s: cannot write: %s", af->path, strerror(errno));
        atomic_abort(af);
        return false;
    }
    free(af->tmp);
    af->tmp = NULL;
    return true;
}

void atomic_abort(atomic_file *af)
{
    if (af->f)
        fclose(af->f);
    if (af->tmp) {
        unlink(af->tmp);
        free(af->tmp);
    }
    af->f = NULL;
    af->tmp = NULL;
}
