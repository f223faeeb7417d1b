/* Flag parsing: every flag is --name value (or a bare --name for booleans); values are
 * checked here so each command reads typed values with one call. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char cli_last_error[512];

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cli_last_error, sizeof cli_last_error, fmt, ap);
    va_end(ap);
    if (cli_rank() == 0)   /* under mpirun the others' messages go through rank 0 */
        fprintf(stderr, "recur: %s\n", cli_last_error);
    return 1;
}

/* The last occurrence wins, as in most command lines; earlier ones count as used. */
static int find(cli_args *a, const char *name)
{
    int at = -1;
    for (int i = 0; i < a->argc; i++)
        if (strncmp(a->argv[i], "--", 2) == 0 && strcmp(a->argv[i] + 2, name) == 0) {
            if (at >= 0 && at + 1 < a->argc && strncmp(a->argv[at + 1], "--", 2) != 0)
                a->used[at + 1] = true;
            a->used[i] = true;
            at = i;
        }
    return at;
}

bool arg_str(cli_args *a, const char *name, const char **out)
{
    int i = find(a, name);
    if (i < 0)
        return true;
    if (i + 1 >= a->argc || strncmp(a->argv[i + 1], "--", 2) == 0) {
        cli_error("--%s needs a value", name);
        return false;
    }
    a->used[i + 1] = true;
    *out = a->argv[i + 1];
    return true;
}

bool arg_int(cli_args *a, const char *name, int lo, int hi, int *out)
{
    const char *v = NULL;
    if (!arg_str(a, name, &v))
        return false;
    if (v == NULL)
        return true;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < lo || x > hi) {
        cli_error("--%s: '%s' is not a whole number in [%d, %d]", name, v, lo, hi);
        return false;
    }
    *out = (int)x;
    return true;
}

bool arg_float(cli_args *a, const char *name, double lo, double hi, double *out)
{
    const char *v = NULL;
    if (!arg_str(a, name, &v))
        return false;
    if (v == NULL)
        return true;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || *end || end == v || !isfinite(x) || x < lo || x > hi) {
        cli_error("--%s: '%s' is not a number in [%g, %g]", name, v, lo, hi);
        return false;
    }
    *out = x;
    return true;
}

bool arg_flag(cli_args *a, const char *name) { return find(a, name) >= 0; }

bool args_all_used(const cli_args *a)
{
    for (int i = 0; i < a->argc; i++)
        if (!a->used[i]) {
            if (strncmp(a->argv[i], "--", 2) == 0)
                cli_error("unknown flag %s (see --help)", a->argv[i]);
            else
                cli_error("unexpected argument '%s' (flags take the form --name value)",
                          a->argv[i]);
            return false;
        }
    return true;
}
