/* The .npy header: magic, version, length, then a Python dict literal with exactly the
 * keys 'descr', 'fortran_order' and 'shape' (numpy.lib.format). Pure: no files, so the fuzz
 * harness drives it directly. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "npy.h"

typedef struct {
    const char *p, *end;
    char *why;
    size_t why_size;
} cursor;

static bool fail(cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(cursor *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->why_size, fmt, ap);
    va_end(ap);
    return false;
}

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'))
        c->p++;
}

static bool take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted string without escapes (numpy writes none in these keys and values). */
static bool string(cursor *c, char *out, size_t size)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return fail(c, "the header has no quoted string where one belongs");
    const char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (n + 1 >= size || *c->p == '\\')
            return fail(c, "the header has an unexpected string");
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return fail(c, "the header has an unterminated string");
    c->p++;
    out[n] = '\0';
    return true;
}

static bool word(cursor *c, const char *w)
{
    skip_space(c);
    const size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
        c->p += n;
        return true;
    }
    return false;
}

static bool descr(cursor *c, npy_header *h)
{
    char d[16];
    if (!string(c, d, sizeof d))
        return false;
    /* '<f4', '>f8', '=f4' (native: little on every machine recur runs on), '|u1'; integers
     * hold token ids */
    const bool fl = strlen(d) == 3 && d[1] == 'f' && (d[2] == '4' || d[2] == '8');
    const bool in = strlen(d) == 3 && (d[1] == 'i' || d[1] == 'u') && strchr("1248", d[2]);
    if (!(fl || in) || !strchr("<>=|", d[0]))
        return fail(c, "dtype '%s' is not float32, float64 or an integer (convert with "
                    "x.astype('float32'))", d);
    h->kind = d[1];
    h->item = d[2] - '0';
    h->big_endian = d[0] == '>';
    return true;
}

static bool shape(cursor *c, npy_header *h)
{
    if (!take(c, '('))
        return fail(c, "the header's shape is not a tuple");
    h->rank = 0;
    long long count = 1;
    while (!take(c, ')')) {
        skip_space(c);
        long long v = 0;
        const char *start = c->p;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return fail(c, "the header's shape has a dimension too large");
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p == start)
            return fail(c, "the header's shape is not a tuple of whole numbers");
        if (h->rank == NPY_MAX_RANK)
            return fail(c, "the array has more than %d dimensions", NPY_MAX_RANK);
        if (v > 0 && count > INT64_MAX / 8 / v)
            return fail(c, "the header's shape has too many elements");
        count *= v;
        h->shape[h->rank++] = v;
        if (!take(c, ',') && !(skip_space(c), c->p < c->end && *c->p == ')'))
            return fail(c, "the header's shape is not a tuple of whole numbers");
    }
    return true;
}

static bool dict(cursor *c, npy_header *h)
{
    bool seen[3] = { false, false, false };
    if (!take(c, '{'))
        return fail(c, "the header is not a dict");
    while (!take(c, '}')) {
        char key[32];
        if (!string(c, key, sizeof key) || !take(c, ':'))
            return c->why[0] ? false : fail(c, "the header dict has no ':' after a key");
        int k = strcmp(key, "descr") == 0 ? 0 : strcmp(key, "fortran_order") == 0 ? 1
              : strcmp(key, "shape") == 0 ? 2 : -1;
        if (k < 0 || seen[k])
            return fail(c, "the header has %s key '%s'", k < 0 ? "an unknown" : "a repeated",
                        key);
        seen[k] = true;
        bool ok = k == 0 ? descr(c, h) : k == 2 ? shape(c, h) : true;
        if (k == 1) {
            if (word(c, "True"))
                h->fortran_order = true;
            else if (word(c, "False"))
                h->fortran_order = false;
            else
                ok = fail(c, "the header's fortran_order is not True or False");
        }
        if (!ok)
            return false;
        if (!take(c, ',')) {
            if (!take(c, '}'))
                return fail(c, "the header dict has no ',' or '}' after a value");
            break;
        }
    }
    if (!seen[0] || !seen[1] || !seen[2])
        return fail(c, "the header lacks '%s'", !seen[0] ? "descr" : !seen[1] ? "fortran_order"
                                                                    : "shape");
    if (h->fortran_order)
        return fail(c, "the array is in Fortran order; save it in C order "
                    "(numpy.ascontiguousarray)");
    return true;
}

bool npy_parse_header(const unsigned char *buf, size_t n, npy_header *h, char *why,
                      size_t why_size)
{
    memset(h, 0, sizeof *h);
    cursor c = { NULL, NULL, why, why_size };
    why[0] = '\0';
    if (n < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return fail(&c, "not a .npy file (no \\x93NUMPY magic)");
    const int major = buf[6];
    if (major < 1 || major > 3)
        return fail(&c, "unknown .npy version %d.%d", major, buf[7]);
    const size_t prefix = major == 1 ? 10 : 12;
    if (n < prefix)
        return fail(&c, "the file ends inside its header");
    size_t len = (size_t)buf[8] | (size_t)buf[9] << 8;
    if (major > 1)
        len |= (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    if (len > n - prefix)
        return fail(&c, "the file ends inside its header (%zu bytes announced)", len);
    c.p = (const char *)buf + prefix;
    c.end = c.p + len;
    h->data_offset = prefix + len;
    if (!dict(&c, h))
        return false;
    skip_space(&c);
    if (c.p != c.end)
        return fail(&c, "the header has text after its dict");
    return true;
}
