/* Status strings and the per-thread last-error message. */
#include <stdarg.h>
#include <stdio.h>

#include <recur/recur.h>

#include "core/error.h"

static _Thread_local char last_error[512];

const char *recur_status_str(recur_status s)
{
    switch (s) {
    case RECUR_OK: return "ok";
    case RECUR_ERR_ARGUMENT: return "invalid argument";
    case RECUR_ERR_SHAPE: return "shape mismatch";
    case RECUR_ERR_STATE: return "call out of order";
    case RECUR_ERR_NO_MEMORY: return "out of memory";
    case RECUR_ERR_ISA: return "instruction set not available";
    case RECUR_ERR_IO: return "input/output error";
    case RECUR_ERR_FORMAT: return "bad file format";
    case RECUR_ERR_NUMERIC: return "non-finite number";
    }
    return "unknown status";
}

const char *recur_last_error(void) { return last_error; }

recur_status recur_set_last_error(recur_status s, const char *message)
{
    return recur_fail(s, "%s", message ? message : "");
}

void recur_clear_error(void) { last_error[0] = '\0'; }

recur_status recur_fail(recur_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

const char *recur_version(void) { return "0.1.0"; }
