/* recur — status codes and error reporting.
 * Every fallible call returns a recur_status; the detail of the calling thread's last
 * failure (what was wrong, which argument) is in recur_last_error(). */
#ifndef RECUR_STATUS_H
#define RECUR_STATUS_H

#include <recur/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RECUR_OK = 0,
    RECUR_ERR_ARGUMENT,     /* NULL pointer, size out of range, unknown enum value */
    RECUR_ERR_SHAPE,        /* shapes that do not agree with the layer or model */
    RECUR_ERR_STATE,        /* call out of order, e.g. backward before forward */
    RECUR_ERR_NO_MEMORY,    /* an allocation failed */
    RECUR_ERR_ISA,          /* RECUR_ISA names an ISA this CPU/OS cannot run */
    RECUR_ERR_IO,           /* a file could not be read or written */
    RECUR_ERR_FORMAT,       /* a file is truncated, corrupt or of another format/version */
    RECUR_ERR_NUMERIC       /* NaN or Inf where finite numbers are required */
} recur_status;

/* A short fixed description of a status ("invalid argument", ...). Never NULL. */
RECUR_API const char *recur_status_str(recur_status s);

/* The message of this thread's last failed call, "" if none. Never NULL. */
RECUR_API const char *recur_last_error(void);
/* For libraries built on recur (recur_mpi): records `message` as this thread's last error
 * and returns s. */
RECUR_API recur_status recur_set_last_error(recur_status s, const char *message);

#ifdef __cplusplus
}
#endif
#endif
