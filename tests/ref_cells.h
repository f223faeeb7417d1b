/* Double-precision reference formulas for the gate kernels, written independently of the
 * vector code (straight from the Keras 3 cell definitions). */
#ifndef RECUR_TEST_REF_CELLS_H
#define RECUR_TEST_REF_CELLS_H

#include <math.h>

#include <recur/rnn.h>

static inline double ref_act(double x, recur_activation a)
{
    switch (a) {
    case RECUR_ACT_TANH: return tanh(x);
    case RECUR_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RECUR_ACT_RELU: return x > 0 ? x : 0.0;
    case RECUR_ACT_HARD_SIGMOID: return fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
    default: return x;
    }
}

/* d act / dx at the x whose output is y */
static inline double ref_dact(double y, recur_activation a)
{
    switch (a) {
    case RECUR_ACT_TANH: return 1.0 - y * y;
    case RECUR_ACT_SIGMOID: return y * (1.0 - y);
    case RECUR_ACT_RELU: return y > 0 ? 1.0 : 0.0;
    case RECUR_ACT_HARD_SIGMOID: return (y > 0 && y < 1) ? 1.0 / 6.0 : 0.0;
    default: return 1.0;
    }
}

#endif
