/* The command line's NumPy input (--x X.npy --y Y.npy): mapped arrays, their held-out
 * part, the report on it and predictions written as .npy or CSV. */
#ifndef RECUR_CLI_ARRAYS_H
#define RECUR_CLI_ARRAYS_H

#include "cli.h"
#include "npy.h"

typedef struct {
    npy_array x, y;               /* x [n, T, F]; y [n, ...] (absent for predict) */
    int n, T, F;
    size_t y_size;                /* floats of y per sample */
    int n_train;                  /* the first n_train samples train; the rest test */
} arrays;

/* Maps x (and y unless ypath is NULL) and checks their shapes; the last test_split of the
 * samples is held out. false after a message naming the file. */
bool arrays_open(const char *xpath, const char *ypath, double test_split, arrays *d);
void arrays_close(arrays *d);
const float *arrays_x(const arrays *d, int first);   /* sample first's row of x */
const float *arrays_y(const arrays *d, int first);
/* x's samples fit the model (a model of open length is replaced by its copy for x's length)
 * and y's width matches the model's output (class indices for a sparse loss). */
bool arrays_check_model(recur_model **m, const arrays *d, const char *xpath, const char *ypath);
/* "WHAT: N samples, loss L, METRIC V" for samples [first, first+n); an exit status. */
int arrays_report(recur_model *m, const arrays *d, int first, int n, const char *what);
/* Predictions of every sample of x to out (.npy, else CSV); an exit status. */
int arrays_predict(recur_model *m, const arrays *d, const char *out);

#endif
