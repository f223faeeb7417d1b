/* The containers of Keras files: whole files read once, zip entries (libzip) read from and
 * written to memory, and HDF5 files held in memory (HDF5's core driver with file images), so
 * nothing half-written ever lands under a user's file name. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "core/error.h"
#include "keras/keras.h"

/* Keras files worth reading stay far below this. */
#define MAX_KERAS_FILE_BYTES ((size_t)1 << 34)

keras_file_kind keras_sniff(const unsigned char *p, size_t n)
{
    if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
        return KERAS_FILE_ZIP;
    if (n >= 8 && memcmp(p, "\x89HDF\r\n\x1a\n", 8) == 0)
        return KERAS_FILE_HDF5;
    return KERAS_FILE_OTHER;
}

recur_status keras_read_file(const char *path, const char *what, unsigned char **data,
                             size_t *n)
{
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return recur_fail(RECUR_ERR_IO, "%s: cannot open %s: %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (size_t)st.st_size > MAX_KERAS_FILE_BYTES) {
        fclose(f);
        return recur_fail(RECUR_ERR_FORMAT, "%s: %s: not a regular, non-empty file of a "
                          "plausible size", what, path);
    }
    *n = (size_t)st.st_size;
    *data = malloc(*n);
    if (*data == NULL) {
        fclose(f);
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory for %s", what, path);
    }
    const size_t got = fread(*data, 1, *n, f);
    fclose(f);
    if (got != *n) {
        free(*data);
        *data = NULL;
        return recur_fail(RECUR_ERR_IO, "%s: cannot read %s", what, path);
    }
    return RECUR_OK;
}

recur_status keras_zip_entry(const unsigned char *zip, size_t n, const char *name,
                             const char *path, unsigned char **out, size_t *out_n)
{
    *out = NULL;
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(zip, n, 0, &err);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &err) : NULL;
    if (za == NULL) {
        recur_status s = recur_fail(RECUR_ERR_FORMAT, "%s: not a readable zip archive (%s)",
                                    path, zip_error_strerror(&err));
        zip_source_free(src);
        zip_error_fini(&err);
        return s;
    }
    zip_error_fini(&err);
    zip_stat_t st;
    recur_status s = RECUR_OK;
    zip_stat_init(&st);
    if (zip_stat(za, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        !(st.valid & ZIP_STAT_COMP_SIZE)) {
        s = recur_fail(RECUR_ERR_FORMAT, "%s: the archive has no %s (not a Keras 3 .keras "
                       "file)", path, name);
    } else if (st.size > MAX_KERAS_FILE_BYTES ||
               st.size > (zip_uint64_t)1100 * st.comp_size + 4096) {
        /* deflate packs at most ~1030:1: a bigger claim is a forgery */
        s = recur_fail(RECUR_ERR_FORMAT, "%s: %s claims %llu bytes from %llu compressed", path,
                       name, (unsigned long long)st.size, (unsigned long long)st.comp_size);
    } else {
        *out_n = (size_t)st.size;
        *out = malloc(*out_n + 1);   /* + 1: a text entry can be NUL-ended */
        zip_file_t *zf = *out ? zip_fopen(za, name, 0) : NULL;
        const zip_int64_t got = zf ? zip_fread(zf, *out, st.size) : -1;
        if (zf)
            zip_fclose(zf);
        if (got < 0 || (zip_uint64_t)got != st.size) {
            s = *out ? recur_fail(RECUR_ERR_FORMAT, "%s: cannot read %s from the archive "
                                  "(corrupt or truncated)", path, name)
                     : recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory for %s", path, name);
            free(*out);
            *out = NULL;
        } else {
            (*out)[*out_n] = '\0';
        }
    }
    zip_discard(za);
    return s;
}

/* Make the file at path durable before it is renamed into place. */
static bool sync_file(const char *path)
{
    const int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    const bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

recur_status keras_zip_write(const char *path, int count, const char *const *names,
                             const void *const *data, const size_t *sizes)
{
    const size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (tmp == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_save_keras: out of memory");
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    const int fd = mkstemp(tmp);
    if (fd < 0) {
        recur_status s = recur_fail(RECUR_ERR_IO, "recur_model_save_keras: cannot create a file "
                                    "beside %s: %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    fchmod(fd, 0644);
    close(fd);
    int zerr = 0;
    zip_t *za = zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    bool ok = za != NULL;
    for (int i = 0; ok && i < count; i++) {
        zip_source_t *src = zip_source_buffer(za, data[i], sizes[i], 0);
        const zip_int64_t at = src ? zip_file_add(za, names[i], src, ZIP_FL_ENC_UTF_8) : -1;
        if (at < 0)
            zip_source_free(src);
        ok = at >= 0 && zip_set_file_compression(za, (zip_uint64_t)at, ZIP_CM_DEFLATE, 0) == 0;
    }
    if (za && !ok)
        zip_discard(za);
    ok = ok && zip_close(za) == 0 && sync_file(tmp) && rename(tmp, path) == 0;
    recur_status s = RECUR_OK;
    if (!ok) {
        s = recur_fail(RECUR_ERR_IO, "recur_model_save_keras: cannot write %s", path);
        unlink(tmp);
    }
    free(tmp);
    return s;
}

/* Each in-memory file a name of its own: HDF5 tells open files apart by name. */
static void image_name(char *buf, size_t size)
{
    static atomic_long counter;
    snprintf(buf, size, "recur-keras-image-%ld", atomic_fetch_add(&counter, 1));
}

hid_t keras_h5_open_image(const unsigned char *p, size_t n)
{
    char name[64];
    image_name(name, sizeof name);
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return H5I_INVALID_HID;
    hid_t f = H5I_INVALID_HID;
    if (H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 && H5Pset_file_image(fapl, (void *)p, n) >= 0)
        f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    return f;
}

hid_t keras_h5_create_image(void)
{
    char name[64];
    image_name(name, sizeof name);
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return H5I_INVALID_HID;
    hid_t f = H5I_INVALID_HID;
    if (H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0)   /* 0: no file on disk behind it */
        f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    return f;
}

recur_status keras_h5_image_bytes(hid_t file, unsigned char **out, size_t *n)
{
    *out = NULL;
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
        return recur_fail(RECUR_ERR_IO, "recur_model_save_keras: HDF5 could not write the "
                          "weights");
    const ssize_t size = H5Fget_file_image(file, NULL, 0);
    if (size <= 0)
        return recur_fail(RECUR_ERR_IO, "recur_model_save_keras: HDF5 gave no file image");
    *out = malloc((size_t)size);
    if (*out == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_save_keras: out of memory");
    if (H5Fget_file_image(file, *out, (size_t)size) != size) {
        free(*out);
        *out = NULL;
        return recur_fail(RECUR_ERR_IO, "recur_model_save_keras: HDF5 gave a short image");
    }
    *n = (size_t)size;
    return RECUR_OK;
}

keras_h5_quiet keras_h5_silence(void)
{
    keras_h5_quiet q = { NULL, NULL };
    H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return q;
}

void keras_h5_restore(keras_h5_quiet q) { H5Eset_auto2(H5E_DEFAULT, q.func, q.data); }
