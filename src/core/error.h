/* Internal: setting the thread's last error. */
#ifndef RECUR_ERROR_H
#define RECUR_ERROR_H

#include <recur/status.h>

/* Record a printf-style message for recur_last_error() and return `s`, so a failing
 * check reads: return recur_fail(RECUR_ERR_ARGUMENT, "units must be ≥ 1, got %d", u); */
recur_status recur_fail(recur_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void recur_clear_error(void);

#endif
