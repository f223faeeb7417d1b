/* A double-precision reference of a whole recurrent layer, straight from the Keras 3
 * cell definitions (keras/src/layers/rnn/{simple_rnn,lstm,gru}.py), independent of the
 * library's kernels. Used for finite-difference gradient checks. */
#ifndef RECUR_TEST_REF_RNN_H
#define RECUR_TEST_REF_RNN_H

#include <stdlib.h>
#include <string.h>

#include "ref_cells.h"

typedef struct {
    recur_cell cell;
    int F, H, B, T;
    recur_activation act, rec_act;   /* resolved */
    bool no_bias, reset_before, go_backwards;
    /* Keras masking (keras/src/backend/tensorflow/rnn.py): mask [B, T] in time order, read
     * in the direction of processing; a masked step keeps the states and outputs the
     * previous output (zeros at first), or zeros with zero_output. NULL: no mask. */
    const unsigned char *mask;
    bool zero_output;
    /* Keras 3's dropout with recurrent_dropout (its cells' implementation 1): per batch row
     * and gate block q, the input times in_mask[b, q] ([B, G, F]) in gate q's input product
     * and the previous state times rec_mask[b, q] ([B, G, H]) in gate q's recurrent product
     * (GRU reset_before: r ⊙ (h ⊙ rec_mask[b, 2])); the state itself unmasked. NULL: none. */
    const double *in_mask, *rec_mask;
} ref_config;

static inline int ref_gates(const ref_config *c) { return c->cell == RECUR_LSTM ? 4 : c->cell == RECUR_GRU ? 3 : 1; }
static inline int ref_bias_rows(const ref_config *c)
{
    return c->no_bias ? 0 : (c->cell == RECUR_GRU && !c->reset_before) ? 2 : 1;
}

/* Parameters and inputs in double, Keras layout. h0/c0 may be NULL (zeros). */
typedef struct {
    const double *x, *h0, *c0, *kernel, *rec, *bias;
} ref_inputs;

/* y [B,T,H] (processing order, as Keras returns it), h_last, c_last [B,H] (c_last ignored
 * unless LSTM). */
static void ref_forward(const ref_config *c, const ref_inputs *in, double *y, double *h_last,
                        double *c_last)
{
    const int F = c->F, H = c->H, G = ref_gates(c), GH = G * H;
    double *h = calloc((size_t)H, sizeof(double)), *cs = calloc((size_t)H, sizeof(double));
    double *zx = malloc(sizeof(double) * GH), *zh = malloc(sizeof(double) * GH);
    double *hn = malloc(sizeof(double) * H), *rh = malloc(sizeof(double) * H);
    double *out = malloc(sizeof(double) * H), *cn = malloc(sizeof(double) * H);
    for (int b = 0; b < c->B; b++) {
        for (int j = 0; j < H; j++) {
            h[j] = in->h0 ? in->h0[b * H + j] : 0.0;
            cs[j] = in->c0 ? in->c0[b * H + j] : 0.0;
            out[j] = 0.0;   /* Keras's prev_output before the first step */
        }
        for (int s = 0; s < c->T; s++) {
            int t = c->go_backwards ? c->T - 1 - s : s;
            const bool real = c->mask == NULL || c->mask[(size_t)b * c->T + t];
            memcpy(cn, cs, sizeof(double) * H);
            const double *xt = in->x + ((size_t)b * c->T + t) * F;
            for (int g = 0; g < GH; g++) {
                double a = 0, r = 0;
                const size_t q = (size_t)b * G + (size_t)(g / H);   /* gate block's mask row */
                for (int f = 0; f < F; f++)
                    a += xt[f] * (c->in_mask ? c->in_mask[q * F + f] : 1.0) *
                         in->kernel[f * GH + g];
                for (int k = 0; k < H; k++)
                    r += h[k] * (c->rec_mask ? c->rec_mask[q * H + k] : 1.0) *
                         in->rec[k * GH + g];
                if (!c->no_bias)
                    a += in->bias[g];
                if (!c->no_bias && ref_bias_rows(c) == 2)
                    r += in->bias[GH + g];
                zx[g] = a;
                zh[g] = r;
            }
            if (c->cell == RECUR_SIMPLE_RNN) {
                for (int j = 0; j < H; j++)
                    hn[j] = ref_act(zx[j] + zh[j], c->act);
            } else if (c->cell == RECUR_LSTM) {
                for (int j = 0; j < H; j++) {
                    double i = ref_act(zx[j] + zh[j], c->rec_act);
                    double f = ref_act(zx[H + j] + zh[H + j], c->rec_act);
                    double g = ref_act(zx[2 * H + j] + zh[2 * H + j], c->act);
                    double o = ref_act(zx[3 * H + j] + zh[3 * H + j], c->rec_act);
                    cn[j] = f * cs[j] + i * g;
                    hn[j] = o * ref_act(cn[j], c->act);
                }
            } else if (!c->reset_before) {
                for (int j = 0; j < H; j++) {
                    double z = ref_act(zx[j] + zh[j], c->rec_act);
                    double r = ref_act(zx[H + j] + zh[H + j], c->rec_act);
                    double hh = ref_act(zx[2 * H + j] + r * zh[2 * H + j], c->act);
                    hn[j] = z * h[j] + (1 - z) * hh;
                }
            } else {
                /* reset before: hh = act(x·W_h + b_h + (r ⊙ h)·U_h) */
                for (int j = 0; j < H; j++)
                    rh[j] = ref_act(zx[H + j] + zh[H + j], c->rec_act) * h[j] *
                            (c->rec_mask ? c->rec_mask[((size_t)b * G + 2) * H + j] : 1.0);
                for (int j = 0; j < H; j++) {
                    double z = ref_act(zx[j] + zh[j], c->rec_act), u = 0;
                    for (int k = 0; k < H; k++)
                        u += rh[k] * in->rec[k * GH + 2 * H + j];
                    double hh = ref_act(zx[2 * H + j] + u, c->act);
                    hn[j] = z * h[j] + (1 - z) * hh;
                }
            }
            if (real) {
                memcpy(h, hn, sizeof(double) * H);
                memcpy(cs, cn, sizeof(double) * H);
                memcpy(out, hn, sizeof(double) * H);
            } else if (c->zero_output) {
                memset(out, 0, sizeof(double) * H);
            }
            if (y)
                memcpy(y + ((size_t)b * c->T + s) * H, out, sizeof(double) * H);
        }
        if (h_last)
            memcpy(h_last + (size_t)b * H, h, sizeof(double) * H);
        if (c_last && c->cell == RECUR_LSTM)
            memcpy(c_last + (size_t)b * H, cs, sizeof(double) * H);
    }
    free(h); free(cs); free(zx); free(zh); free(hn); free(rh); free(out); free(cn);
}

#endif
