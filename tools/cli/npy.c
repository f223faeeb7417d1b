/* Opening .npy files as mapped float32 arrays, and writing them atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "npy.h"

/* Headers are short (numpy pads them to 64 bytes; a long shape needs a few hundred). */
#define HEADER_READ 65536

static bool read_header(const char *path, int fd, size_t file_size, npy_header *h)
{
    unsigned char *buf = malloc(HEADER_READ);
    if (buf == NULL)
        return cli_error("out of memory"), false;
    const size_t want = file_size < HEADER_READ ? file_size : HEADER_READ;
    const ssize_t got = pread(fd, buf, want, 0);
    char why[200];
    bool ok = got == (ssize_t)want && npy_parse_header(buf, want, h, why, sizeof why);
    free(buf);
    if (!ok)
        return cli_error("%s: %s", path, got == (ssize_t)want ? why : strerror(errno)), false;
    return true;
}

static float element(const unsigned char *p, const npy_header *h)
{
    unsigned char b[8];
    for (int i = 0; i < h->item; i++)
        b[i] = h->big_endian ? p[h->item - 1 - i] : p[i];
    uint64_t u = 0;
    for (int i = h->item - 1; i >= 0; i--)   /* little-endian bytes, widened */
        u = u << 8 | b[i];
    if (h->kind == 'f') {
        float f;
        double d;
        if (h->item == 4)
            return memcpy(&f, b, 4), f;
        return memcpy(&d, b, 8), (float)d;
    }
    if (h->kind == 'u')
        return (float)u;
    const int bits = 8 * h->item;   /* sign-extend */
    const int64_t v = bits == 64 ? (int64_t)u : (int64_t)(u << (64 - bits)) >> (64 - bits);
    return (float)v;
}

/* The elements as float32 in an unlinked temporary file, converted a piece at a time;
 * its descriptor, or -1 after a message. */
static int converted_copy(const char *path, const unsigned char *src, long long count,
                          const npy_header *h)
{
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char name[4096];
    snprintf(name, sizeof name, "%s/recur-npy-XXXXXX", dir);
    int fd = mkstemp(name);
    if (fd < 0)
        return cli_error("%s: cannot create a temporary file in %s to convert it to float32: "
                         "%s", path, dir, strerror(errno)), -1;
    unlink(name);   /* gone when closed */
    enum { PIECE = 1 << 16 };
    float *piece = malloc(PIECE * sizeof(float));
    bool ok = piece != NULL;
    for (long long at = 0; ok && at < count; at += PIECE) {
        const long long k = count - at < PIECE ? count - at : PIECE;
        for (long long i = 0; i < k; i++)
            piece[i] = element(src + (size_t)(at + i) * (size_t)h->item, h);
        ok = write(fd, piece, (size_t)k * sizeof(float)) == (ssize_t)(k * (long long)sizeof(float));
    }
    free(piece);
    if (!ok) {
        close(fd);
        return cli_error("%s: cannot convert it to float32 in %s: %s", path, dir,
                         strerror(errno)), -1;
    }
    return fd;
}

static bool map_converted(const char *path, const void *whole, const npy_header *h,
                          npy_array *a)
{
    const int fd = converted_copy(path, (const unsigned char *)whole + h->data_offset,
                                  a->count, h);
    if (fd < 0)
        return false;
    a->map_size = (size_t)a->count * sizeof(float);
    void *p = a->map_size ? mmap(NULL, a->map_size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
    close(fd);
    if (a->map_size && p == MAP_FAILED)
        return cli_error("%s: cannot map its float32 copy: %s", path, strerror(errno)), false;
    a->map = p;
    a->data = p;
    return true;
}

bool npy_open(const char *path, npy_array *a)
{
    memset(a, 0, sizeof *a);
    const int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return cli_error("%s: cannot open: %s", path, strerror(errno)), false;
    }
    npy_header h;
    if (!read_header(path, fd, (size_t)st.st_size, &h)) {
        close(fd);
        return false;
    }
    a->rank = h.rank;
    a->count = 1;
    for (int i = 0; i < h.rank; i++)
        a->shape[i] = h.shape[i], a->count *= h.shape[i];
    const uint64_t want = h.data_offset + (uint64_t)a->count * (uint64_t)h.item;
    if ((uint64_t)st.st_size != want) {
        close(fd);
        return cli_error("%s: %lld bytes, but its header (%lld elements of %d bytes) needs "
                         "%llu", path, (long long)st.st_size, a->count, h.item,
                         (unsigned long long)want), false;
    }
    void *whole = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (whole == MAP_FAILED)
        return cli_error("%s: cannot map: %s", path, strerror(errno)), false;
    const bool as_is = h.kind == 'f' && h.item == 4 && !h.big_endian &&
                       h.data_offset % sizeof(float) == 0;
    if (as_is) {   /* training reads it in shuffled rows: the kernel's default read-ahead */
        a->map = whole;
        a->map_size = (size_t)st.st_size;
        a->data = (const float *)((const unsigned char *)whole + h.data_offset);
        return true;
    }
    /* converted in order: the kernel reads ahead and drops the pages behind */
    madvise(whole, (size_t)st.st_size, MADV_SEQUENTIAL);
    const bool ok = map_converted(path, whole, &h, a);
    munmap(whole, (size_t)st.st_size);
    return ok;
}

void npy_close(npy_array *a)
{
    if (a->map && a->map_size)
        munmap(a->map, a->map_size);
    memset(a, 0, sizeof *a);
}

bool npy_write(const char *path, const float *data, int rank, const long long *shape)
{
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    long long count = 1;
    for (int i = 0; i < rank; i++) {
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", shape[i],
                      i + 1 < rank ? " " : "");
        count *= shape[i];
    }
    if (rank > 1)   /* Python writes (3,) for one dimension, (3, 4) for two */
        n--;
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    /* version 1.0: 10 bytes, then the dict padded with spaces and a newline to 64 bytes */
    const int total = (10 + n + 1 + 63) / 64 * 64, len = total - 10;
    unsigned char head[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(len & 255),
                               (unsigned char)(len >> 8) };
    atomic_file af;
    if (!atomic_open(&af, path))
        return false;
    fwrite(head, 1, sizeof head, af.f);
    fprintf(af.f, "%s%*s\n", dict, len - n - 1, "");
    fwrite(data, sizeof(float), (size_t)count, af.f);
    return atomic_commit(&af);
}
