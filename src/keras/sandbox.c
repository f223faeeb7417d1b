/* Parsing a stranger's HDF5 file in a child process. HDF5 1.10 (Debian 12's) is not safe on
 * damaged files: tests/fuzz/fuzz_keras_file found it looping forever on a damaged global
 * heap and overflowing a heap buffer while it iterates an object header. recur cannot fix
 * HDF5, so it keeps HDF5's failures out of the caller's process: the work runs in a child
 * (fork), writes its result to a memory stream, and sends its status, message and result
 * through a pipe; the parent waits with a deadline and kills the child when it passes. A
 * crash or a hang of HDF5 becomes a format error; the caller's process and model are
 * untouched. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "keras/keras.h"

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

/* The child: the work's status (i32), message (u32 length, bytes), result (u64 length,
 * bytes), then exit without running the parent's exit handlers. */
static void child(int fd, keras_sandbox_work work, void *ctx)
{
    /* a crash ends the child, whatever handlers the application installed (a handler that
     * longjmps or carries on would run the application's code in the child) */
    const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE };
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], SIG_DFL);
    char *result = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&result, &n);
    int32_t status = mem ? (int32_t)work(ctx, mem) : (int32_t)RECUR_ERR_NO_MEMORY;
    if (mem && fclose(mem) != 0 && status == RECUR_OK)
        status = RECUR_ERR_NO_MEMORY;
    const char *msg = status == RECUR_OK ? "" : mem ? recur_last_error() : "out of memory";
    const uint32_t msg_n = (uint32_t)strlen(msg);
    const uint64_t result_n = status == RECUR_OK ? n : 0;
    const bool ok = write_all(fd, &status, 4) && write_all(fd, &msg_n, 4) &&
                    write_all(fd, msg, msg_n) && write_all(fd, &result_n, 8) &&
                    write_all(fd, result ? result : "", result_n);
    _exit(ok ? 0 : 1);
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Everything the child writes until it closes the pipe, by the deadline (NULL: late, or
 * out of memory). */
static unsigned char *read_until_eof(int fd, long long deadline_ms, size_t *len, bool *late)
{
    size_t cap = 1 << 16, at = 0;
    unsigned char *buf = malloc(cap);
    const long long deadline = now_ms() + deadline_ms;
    *late = false;
    while (buf) {
        const long long left = deadline - now_ms();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        const int r = left > 0 ? poll(&p, 1, (int)(left < 1 << 30 ? left : 1 << 30)) : 0;
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

/* The child's status and message, and its result moved to the front of buf. */
static recur_status unpack(unsigned char *buf, size_t len, size_t *result_n)
{
    int32_t status;
    uint32_t msg_n;
    uint64_t n;
    if (len < 8)
        return recur_fail(RECUR_ERR_FORMAT, "the reading process gave no answer");
    memcpy(&status, buf, 4);
    memcpy(&msg_n, buf + 4, 4);
    if (len - 8 < msg_n || len - 8 - msg_n < 8)
        return recur_fail(RECUR_ERR_FORMAT, "the reading process's answer is cut short");
    memcpy(&n, buf + 8 + msg_n, 8);
    if (len - 16 - msg_n != n)
        return recur_fail(RECUR_ERR_FORMAT, "the reading process's answer is cut short");
    if (status != RECUR_OK) {
        char *msg = strndup((const char *)buf + 8, msg_n);
        recur_status s = recur_fail((recur_status)status, "%s", msg ? msg : "?");
        free(msg);
        return s;
    }
    memmove(buf, buf + 16 + msg_n, (size_t)n);
    *result_n = (size_t)n;
    return RECUR_OK;
}

recur_status keras_sandboxed(keras_sandbox_work work, void *ctx, size_t file_bytes,
                             const char *what, const char *path, unsigned char **result,
                             size_t *result_n)
{
    *result = NULL;
    *result_n = 0;
    /* far beyond what HDF5 takes on a real file of this size */
    const long long deadline_ms = 10000 + (long long)(file_bytes >> 20) * 200;
    int fds[2];
    if (pipe(fds) != 0)
        return recur_fail(RECUR_ERR_IO, "%s: %s: cannot make a pipe: %s", what, path,
                          strerror(errno));
    fflush(NULL);   /* nothing buffered is written twice by the child */
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return recur_fail(RECUR_ERR_IO, "%s: %s: cannot start a process to read the file: %s",
                          what, path, strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], work, ctx);
    }
    close(fds[1]);
    size_t len = 0;
    bool late = false;
    unsigned char *buf = read_until_eof(fds[0], deadline_ms, &len, &late);
    close(fds[0]);
    if (buf == NULL)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (buf == NULL)
        return late ? recur_fail(RECUR_ERR_FORMAT, "%s: %s: HDF5 did not finish reading the "
                                 "file in %lld s (a damaged file)", what, path,
                                 deadline_ms / 1000)
                    : recur_fail(RECUR_ERR_NO_MEMORY, "%s: %s: out of memory", what, path);
    if (WIFSIGNALED(status)) {
        free(buf);
        return recur_fail(RECUR_ERR_FORMAT, "%s: %s: HDF5 crashed reading the file (signal "
                          "%d): a damaged file", what, path, WTERMSIG(status));
    }
    const recur_status s = unpack(buf, len, result_n);
    if (s == RECUR_OK)
        *result = buf;
    else
        free(buf);
    return s;
}
