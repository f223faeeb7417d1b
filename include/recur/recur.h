/* recur — fast recurrent neural networks on the CPU, with Keras semantics.
 * The one header to include. */
#ifndef RECUR_RECUR_H
#define RECUR_RECUR_H

#include <recur/export.h>
#include <recur/status.h>
#include <recur/isa.h>
#include <recur/rnn.h>
#include <recur/model.h>
#include <recur/collective.h>
#include <recur/keras.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0" */
RECUR_API const char *recur_version(void);

#ifdef __cplusplus
}
#endif
#endif
