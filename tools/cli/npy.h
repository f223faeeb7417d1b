/* NumPy .npy arrays, memory-mapped: the file is never read whole, so training data larger
 * than memory streams through the page cache. float32 maps as it is; float64, integers
 * (token ids) and big-endian data are converted once, piece by piece, into an unlinked
 * temporary file that is mapped in its place. The format: numpy.lib.format (versions 1.0, 2.0 and 3.0). */
#ifndef RECUR_CLI_NPY_H
#define RECUR_CLI_NPY_H

#include <stdbool.h>
#include <stddef.h>

#define NPY_MAX_RANK 8

/* What a header says. */
typedef struct {
    char kind;                    /* 'f' float, 'i' signed, 'u' unsigned integer */
    int item;                     /* bytes per element: 4 or 8 (floats), 1, 2, 4 or 8 */
    bool big_endian, fortran_order;
    int rank;
    long long shape[NPY_MAX_RANK];
    size_t data_offset;           /* where the elements start */
} npy_header;

/* Parses the header at the start of buf (n bytes: at least the header). On failure, false
 * with the reason in why. Checks the magic, version, dict syntax and keys, and that the
 * dtype is a float of 4 or 8 bytes or an integer, C order, and the element count fits. */
bool npy_parse_header(const unsigned char *buf, size_t n, npy_header *h, char *why,
                      size_t why_size);

typedef struct {
    const float *data;            /* count floats, C order */
    int rank;
    long long shape[NPY_MAX_RANK];
    long long count;
    void *map;                    /* for npy_close */
    size_t map_size;
} npy_array;

/* Maps path (float32 in place, float64 or big-endian converted); false after a message
 * naming the file. */
bool npy_open(const char *path, npy_array *a);
void npy_close(npy_array *a);
/* Writes a float32 .npy of the given shape, atomically (the name appears complete or not
 * at all); false after a message. */
bool npy_write(const char *path, const float *data, int rank, const long long *shape);

#endif
