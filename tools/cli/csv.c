/* A small CSV reader: header line, ',' separators, optional double quotes ("" inside quotes
 * is a quote), \n or \r\n line ends. Every problem is reported as FILE:LINE:COL. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, 2 * cap + 1);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (buf == NULL || err) {
        free(buf);
        cli_error("%s: cannot read the file", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool csv_read(const char *path, csv_table *t)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    size_t len;
    t->buf = read_all(path, &len);
    if (t->buf == NULL)
        return false;
    if (len == 0) {
        cli_error("%s: the file is empty", path);
        csv_free(t);
        return false;
    }
    if (memchr(t->buf, '\0', len)) {
        cli_error("%s: binary data (a NUL byte) in a CSV file", path);
        csv_free(t);
        return false;
    }
    size_t cap = 1024, count = 0;
    t->cells = malloc(cap * sizeof(char *));
    int line = 1, fields_in_row = 0, expected = -1;
    char *p = t->buf;
    while (*p) {
        /* one field */
        if (count == cap) {
            char **bigger = realloc(t->cells, 2 * cap * sizeof(char *));
            if (bigger == NULL) {
                csv_free(t);
                return cli_error("%s: out of memory", path), false;
            }
            t->cells = bigger;
            cap *= 2;
        }
        char *start = p, *w = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') {
                    cli_error("%s:%d: a quoted field is not closed", path, line);
                    csv_free(t);
                    return false;
                }
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                w = ++p;
        }
        char sep = *p;
        if (sep && sep != ',' && sep != '\n' && sep != '\r') {
            cli_error("%s:%d: unexpected character after a quoted field", path, line);
            csv_free(t);
            return false;
        }
        if (sep == '\r' && p[1] == '\n')
            p++;
        if (sep)
            p++;
        *w = '\0';   /* terminates the field; p has already moved past its separator */
        t->cells[count++] = start;
        fields_in_row++;
        if (sep != ',') {   /* end of a row */
            if (fields_in_row == 1 && start[0] == '\0') {
                count--;    /* a blank line */
            } else if (expected < 0) {
                expected = fields_in_row;
            } else if (fields_in_row != expected) {
                cli_error("%s:%d: %d fields, but the header has %d", path, line, fields_in_row,
                          expected);
                csv_free(t);
                return false;
            }
            fields_in_row = 0;
            line++;
        }
    }
    if (fields_in_row > 0 && fields_in_row != expected && expected >= 0) {
        cli_error("%s:%d: %d fields, but the header has %d", path, line, fields_in_row, expected);
        csv_free(t);
        return false;
    }
    if (expected < 1 || count / (size_t)expected < 2) {
        cli_error("%s: needs a header line and at least one data row", path);
        csv_free(t);
        return false;
    }
    t->cols = expected;
    t->rows = (int)(count / (size_t)expected) - 1;
    t->header = t->cells;
    t->cells += expected;
    return true;
}

void csv_free(csv_table *t)
{
    free(t->header ? t->header : t->cells);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

int csv_column(const csv_table *t, const char *name, const char *flag)
{
    for (int c = 0; c < t->cols; c++)
        if (strcmp(t->header[c], name) == 0)
            return c;
    char *end;
    long k = strtol(name, &end, 10);
    if (*name && !*end && k >= 1 && k <= t->cols)
        return (int)k - 1;
    cli_error("--%s: %s has no column '%s' (columns: %d)", flag, t->path, name, t->cols);
    return -1;
}

bool csv_number(const csv_table *t, int row, int col, double *out)
{
    const char *s = t->cells[(size_t)row * t->cols + col];
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (*s == '\0' || *end || errno == ERANGE || !isfinite(v)) {
        cli_error("%s:%d:%d: '%s' in column '%s' is not a finite number", t->path, row + 2,
                  col + 1, s, t->header[col]);
        return false;
    }
    if (fabs(v) > FLT_MAX) {   /* the models compute in float */
        cli_error("%s:%d:%d: '%s' in column '%s' is beyond the float range (±%.4g)", t->path,
                  row + 2, col + 1, s, t->header[col], (double)FLT_MAX);
        return false;
    }
    *out = v;
    return true;
}
