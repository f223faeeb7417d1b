/* Variable-length string attributes, read in a child process with a time limit. HDF5 keeps
 * such strings in a "global heap", and HDF5 1.10 (Debian 12's) loops forever on a heap whose
 * object sizes are damaged (found by tests/fuzz/fuzz_keras_file). A load must fail on a bad
 * file, never hang, so the read that can loop runs where it can be stopped: the child reads
 * the strings and writes them to a pipe as (u32 length, bytes); the parent reads them with a
 * deadline and kills the child when it passes. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "keras/keras.h"

/* Far beyond any real attribute (microseconds), short of a user's patience. */
#define DEADLINE_MS 5000

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        const ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static void child(int fd, hid_t attr, hid_t mem, size_t n)
{
    char **s = calloc(n ? n : 1, sizeof *s);
    bool ok = s && H5Aread(attr, mem, s) >= 0;
    for (size_t i = 0; ok && i < n; i++) {
        const uint32_t len = s[i] ? (uint32_t)strlen(s[i]) : 0;
        ok = write_all(fd, &len, 4) && write_all(fd, s[i] ? s[i] : "", len);
    }
    _exit(ok ? 0 : 1);
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Everything the child writes until it closes the pipe, by the deadline. */
static unsigned char *read_until_eof(int fd, size_t *len, bool *late)
{
    size_t cap = 4096, at = 0;
    unsigned char *buf = malloc(cap);
    const long long deadline = now_ms() + DEADLINE_MS;
    *late = false;
    while (buf) {
        const long long left = deadline - now_ms();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        const int r = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *late = r == 0;
            break;
        }
        if (at == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                break;
            buf = bigger;
        }
        const ssize_t got = read(fd, buf + at, cap - at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            *len = at;
            return buf;   /* end of file: the child is done */
        }
        at += (size_t)got;
    }
    free(buf);
    return NULL;
}

/* The pipe's (length, bytes) records as n malloc'ed strings in out. */
static bool unpack(const unsigned char *buf, size_t len, size_t n, char **out)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t k;
        if (len - at < 4)
            return false;
        memcpy(&k, buf + at, 4);
        at += 4;
        if (len - at < k || (out[i] = strndup((const char *)buf + at, k)) == NULL)
            return false;
        at += k;
    }
    return at == len;
}

recur_status keras_h5_vlen_strings(hid_t attr, hid_t mem, size_t n, char **out)
{
    int fds[2];
    if (pipe(fds) != 0)
        return recur_fail(RECUR_ERR_IO, "cannot make a pipe: %s", strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return recur_fail(RECUR_ERR_IO, "cannot start a process: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], attr, mem, n);
    }
    close(fds[1]);
    size_t len = 0;
    bool late = false;
    unsigned char *buf = read_until_eof(fds[0], &len, &late);
    close(fds[0]);
    if (buf == NULL)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const bool ok = buf && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                    unpack(buf, len, n, out);
    free(buf);
    if (ok)
        return RECUR_OK;
    for (size_t i = 0; i < n; i++) {
        free(out[i]);
        out[i] = NULL;
    }
    if (late)
        return recur_fail(RECUR_ERR_FORMAT, "HDF5 did not finish reading it in %d s",
                          DEADLINE_MS / 1000);
    return recur_fail(RECUR_ERR_FORMAT, "HDF5 could not read it");
}
