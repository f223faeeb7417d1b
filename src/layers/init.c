/* Keras's default initializers (src/layers/init.h). */
#include <math.h>
#include <stdlib.h>

#include "layers/init.h"

layer_rng layer_rng_seeded(unsigned long long seed)
{
    return (layer_rng){ seed ^ 0x5eed5eed5eedULL };
}

static unsigned long long next_u64(layer_rng *r)   /* splitmix64 */
{
    unsigned long long z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform01(layer_rng *r) { return (double)(next_u64(r) >> 11) * 0x1.0p-53; }

static double normal(layer_rng *r)                 /* Box–Muller */
{
    double u = uniform01(r), v = uniform01(r);
    return sqrt(-2.0 * log(u > 0 ? u : 0x1.0p-53)) * cos(2.0 * M_PI * v);
}

void init_glorot_uniform(layer_rng *r, float *w, int fan_in, int fan_out)
{
    double limit = sqrt(6.0 / (fan_in + fan_out));
    for (size_t i = 0; i < (size_t)fan_in * fan_out; i++)
        w[i] = (float)((2.0 * uniform01(r) - 1.0) * limit);
}

void init_uniform(layer_rng *r, float *w, long long n, float lo, float hi)
{
    for (long long i = 0; i < n; i++)
        w[i] = (float)(lo + (hi - lo) * uniform01(r));
}

/* QR of a normal [max, min] matrix by modified Gram–Schmidt (R's diagonal comes out
 * positive, the sign fix Keras applies), transposed when rows < cols. */
bool init_orthogonal(layer_rng *r, float *w, int rows, int cols)
{
    int n = rows > cols ? rows : cols, k = rows < cols ? rows : cols;
    double *a = malloc(sizeof(double) * (size_t)n * k);   /* column j at a + j*n */
    if (a == NULL)
        return false;
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
    return true;
}
