/* Internal: the dispatcher's decision, separated from the environment so tests can drive it. */
#ifndef RECUR_DISPATCH_H
#define RECUR_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <recur/isa.h>

/* Decide the active ISA from a RECUR_ISA value (NULL or "" = best). On failure writes a
 * message to msg and returns RECUR_ERR_ISA. */
recur_status recur_dispatch_choose(const char *request, const bool runnable[RECUR_ISA_COUNT],
                                   recur_isa best_isa, recur_isa *out, char *msg, size_t msg_size);

#endif
