/* Keras's default initializers: glorot_uniform kernels, orthogonal recurrent kernels, zero
 * biases (LSTM forget gate 1 with unit_forget_bias), from a seeded generator so a seed
 * reproduces the same model. The stream differs from Keras's: same distributions, not the
 * same draws. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

typedef struct { unsigned long long s; } init_rng;

static unsigned long long next_u64(init_rng *r)   /* splitmix64 */
{
    unsigned long long z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform01(init_rng *r) { return (double)(next_u64(r) >> 11) * 0x1.0p-53; }

static double normal(init_rng *r)                 /* Box–Muller */
{
    double u = uniform01(r), v = uniform01(r);
    return sqrt(-2.0 * log(u > 0 ? u : 0x1.0p-53)) * cos(2.0 * M_PI * v);
}

/* limit = √(6 / (fan_in + fan_out)) on a [fan_in, fan_out] kernel */
static void glorot_uniform(init_rng *r, float *w, int fan_in, int fan_out)
{
    double limit = sqrt(6.0 / (fan_in + fan_out));
    for (size_t i = 0; i < (size_t)fan_in * fan_out; i++)
        w[i] = (float)((2.0 * uniform01(r) - 1.0) * limit);
}

/* Keras Orthogonal on [rows, cols]: QR of a normal [max, min] matrix, Q's signs fixed by
 * diag(R) (modified Gram–Schmidt gives R's diagonal positive already), transposed when
 * rows < cols, so the result has orthonormal rows or columns. */
static int orthogonal(init_rng *r, float *w, int rows, int cols)
{
    int n = rows > cols ? rows : cols, k = rows < cols ? rows : cols;
    double *a = malloc(sizeof(double) * (size_t)n * k);   /* column j at a + j*n */
    if (a == NULL)
        return -1;
    for (size_t i = 0; i < (size_t)n * k; i++)
        a[i] = normal(r);
    for (int j = 0; j < k; j++) {
        double *cj = a + (size_t)j * n;
        for (int p = 0; p < j; p++) {
            const double *cp = a + (size_t)p * n;
            double d = 0;
            for (int i = 0; i < n; i++)
                d += cp[i] * cj[i];
            for (int i = 0; i < n; i++)
                cj[i] -= d * cp[i];
        }
        double norm = 0;
        for (int i = 0; i < n; i++)
            norm += cj[i] * cj[i];
        norm = sqrt(norm);
        for (int i = 0; i < n; i++)
            cj[i] = norm > 0 ? cj[i] / norm : 0.0;
    }
    /* q is [n, k] with q[i][j] = a[j*n + i]; the weight is q [rows=n, cols=k] or qᵀ */
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            w[(size_t)i * cols + j] = (float)(rows >= cols ? a[(size_t)j * n + i]
                                                           : a[(size_t)i * n + j]);
    free(a);
    return 0;
}

void recur_model_init_weights(recur_model *m)
{
    init_rng r = { m->seed ^ 0x5eed5eed5eedULL };
    for (int i = 0; i < m->n_layers; i++) {
        model_layer *L = &m->layers[i];
        if (L->kind == LAYER_DENSE) {
            glorot_uniform(&r, L->kernel, L->in_features, L->units);
            memset(L->bias, 0, sizeof(float) * L->units);
            continue;
        }
        float *k, *u, *b, *dk, *du, *db;
        recur_rnn_weight_views(L->rnn, &k, &u, &b, &dk, &du, &db);
        int G = L->cell == RECUR_LSTM ? 4 : L->cell == RECUR_GRU ? 3 : 1, H = L->units;
        glorot_uniform(&r, k, L->in_features, G * H);
        if (orthogonal(&r, u, H, G * H) != 0)
            glorot_uniform(&r, u, H, G * H);   /* no memory for QR: still a usable start */
        if (!L->opts.no_bias) {
            size_t nb = (size_t)G * H * (L->cell == RECUR_GRU && !L->opts.reset_before ? 2 : 1);
            memset(b, 0, sizeof(float) * nb);
            if (L->cell == RECUR_LSTM && !L->opts.no_unit_forget_bias)
                for (int j = 0; j < H; j++)
                    b[H + j] = 1.0f;
        }
        recur_rnn_weights_changed(L->rnn);
    }
}
