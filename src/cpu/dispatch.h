/* Internal: the dispatcher's decision, separated from the environment so tests can drive it. */
#ifndef RECUR_DISPATCH_H
#define RECUR_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <recur/isa.h>

#include "cpu/cpu.h"

/* Decide the active ISA from a RECUR_ISA value (NULL or "" = best). On failure writes a
 * message to msg and returns RECUR_ERR_ISA. */
recur_status recur_dispatch_choose(const char *request, const bool runnable[RECUR_ISA_COUNT],
                                   recur_isa best_isa, recur_isa *out, char *msg, size_t msg_size);

/* What the CPU detection found: vendor and family for the engine's tuning choices. */
const recur_cpu_info *recur_cpu_info_detected(void);

#endif
