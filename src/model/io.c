/* Saving and loading models: a versioned little-endian binary format (docs/model-format.md)
 * holding the architecture, compile settings, weights and optimizer state, closed by a
 * CRC-32. Written to a temporary file in the same directory, synced, then renamed, so a
 * crash never leaves a half-written model under the real name. Loading checks every length
 * against the file before reading, so a truncated, corrupt or foreign file is an error. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "model/internal.h"

#define FORMAT_MAGIC "RECURMDL"
#define FORMAT_VERSION 1u
#define MAX_FILE_BYTES ((size_t)1 << 33)

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    if (table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct { FILE *f; uint32_t crc; bool ok; } writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->ok && fwrite(p, 1, n, w->f) != n)
        w->ok = false;
    w->crc = crc32_update(w->crc, p, n);
}
static void put_i32(writer *w, int32_t v) { put(w, &v, 4); }
static void put_u64(writer *w, uint64_t v) { put(w, &v, 8); }
static void put_f32(writer *w, float v) { put(w, &v, 4); }

static void write_model(writer *w, const recur_model *m)
{
    put(w, FORMAT_MAGIC, 8);
    put_i32(w, (int32_t)FORMAT_VERSION);
    put_i32(w, m->timesteps);
    put_i32(w, m->features);
    put_u64(w, m->seed);
    put_i32(w, m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const model_layer *L = &m->layers[i];
        put_i32(w, L->kind);
        put_i32(w, L->units);
        put_i32(w, L->kind == LAYER_RNN ? (int32_t)L->cell : 0);
        put_i32(w, L->kind == LAYER_RNN ? (int32_t)L->opts.activation : (int32_t)L->activation);
        put_i32(w, L->kind == LAYER_RNN ? (int32_t)L->opts.recurrent_activation : 0);
        int32_t flags = L->kind == LAYER_RNN
                            ? (L->opts.return_sequences << 0) | (L->opts.go_backwards << 1) |
                                  (L->opts.no_bias << 2) | (L->opts.reset_before << 3) |
                                  (L->opts.no_unit_forget_bias << 4)
                            : 0;
        put_i32(w, flags);
    }
    put_i32(w, m->compiled);
    if (m->compiled) {
        const recur_compile_opts *o = &m->copts;
        put_i32(w, o->optimizer);
        put_i32(w, o->loss);
        const float f[] = { o->learning_rate, o->beta_1, o->beta_2, o->epsilon, o->momentum,
                            o->rho, o->clipnorm, o->clipvalue, o->global_clipnorm };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            put_f32(w, f[i]);
        put_i32(w, o->nesterov);
        put_i32(w, (int32_t)o->metrics);
        put_u64(w, (uint64_t)m->iterations);
        put_i32(w, m->n_weights);
        for (int k = 0; k < m->n_weights; k++) {
            const model_weight *W = &m->weights[k];
            put_u64(w, W->n);
            put(w, W->w, W->n * sizeof(float));
            put(w, W->slot[0], W->n * sizeof(float));
            put(w, W->slot[1], W->n * sizeof(float));
        }
    }
    const char *meta = recur_model_metadata(m);
    put_u64(w, strlen(meta));
    put(w, meta, strlen(meta));
}

recur_status recur_model_save(const recur_model *m, const char *path)
{
    if (m == NULL || path == NULL || path[0] == '\0')
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_save: NULL model or empty path");
    if (m->n_layers == 0)
        return recur_fail(RECUR_ERR_STATE, "recur_model_save: the model has no layers");
    if (!m->compiled)
        return recur_fail(RECUR_ERR_STATE, "recur_model_save: compile the model first (its "
                          "weights exist from compile on)");
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (tmp == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_save: out of memory");
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        recur_status s = recur_fail(RECUR_ERR_IO, "recur_model_save: cannot create a file "
                                    "beside %s: %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    fchmod(fd, 0644);   /* mkstemp's 0600 would surprise whoever reads the model next */
    writer w = { fdopen(fd, "wb"), 0, true };
    if (w.f == NULL) {
        close(fd);
        unlink(tmp);
        free(tmp);
        return recur_fail(RECUR_ERR_IO, "recur_model_save: %s", strerror(errno));
    }
    write_model(&w, m);
    uint32_t crc = w.crc;
    if (w.ok && fwrite(&crc, 1, 4, w.f) != 4)
        w.ok = false;
    if (w.ok && fflush(w.f) != 0)
        w.ok = false;
    if (w.ok && fsync(fileno(w.f)) != 0)
        w.ok = false;
    int err = errno;
    if (fclose(w.f) != 0)
        w.ok = false;
    if (!w.ok || rename(tmp, path) != 0) {
        err = w.ok ? errno : err;
        unlink(tmp);
        free(tmp);
        return recur_fail(RECUR_ERR_IO, "recur_model_save: cannot write %s: %s", path,
                          strerror(err));
    }
    free(tmp);
    return RECUR_OK;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct { const unsigned char *p; size_t n, at; const char *path; bool ok; } reader;

static bool take(reader *r, void *dst, size_t n)
{
    if (!r->ok || n > r->n - r->at) {
        r->ok = false;
        return false;
    }
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return true;
}
static int32_t get_i32(reader *r) { int32_t v = 0; take(r, &v, 4); return v; }
static uint64_t get_u64(reader *r) { uint64_t v = 0; take(r, &v, 8); return v; }
static float get_f32(reader *r) { float v = 0; take(r, &v, 4); return v; }

static recur_status bad(const char *path, const char *what)
{
    return recur_fail(RECUR_ERR_FORMAT, "recur_model_load: %s: %s", path, what);
}

static recur_status parse(reader *r, recur_model **out)
{
    char magic[8];
    if (!take(r, magic, 8) || memcmp(magic, FORMAT_MAGIC, 8) != 0)
        return bad(r->path, "not a recur model file (bad magic)");
    uint32_t version = (uint32_t)get_i32(r);
    if (version != FORMAT_VERSION)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load: %s: format version %u, this "
                          "library reads version %u", r->path, version, FORMAT_VERSION);
    int32_t T = get_i32(r), F = get_i32(r);
    uint64_t seed = get_u64(r);
    int32_t nl = get_i32(r);
    if (!r->ok || nl < 1 || nl > MODEL_MAX_LAYERS)
        return bad(r->path, "bad layer count");
    recur_model *m;
    recur_status s = recur_model_create(T, F, &m);
    if (s != RECUR_OK)
        return bad(r->path, recur_last_error());
    m->seed = seed;
    for (int i = 0; i < nl && s == RECUR_OK; i++) {
        int32_t kind = get_i32(r), units = get_i32(r), cell = get_i32(r), act = get_i32(r);
        int32_t ract = get_i32(r), flags = get_i32(r);
        if (!r->ok) {
            s = bad(r->path, "truncated in the layer list");
            break;
        }
        if (kind == LAYER_DENSE) {
            s = recur_model_add_dense(m, units, (recur_activation)act);
        } else if (kind == LAYER_RNN && (flags & ~0x1f) == 0) {
            recur_rnn_opts o = { .activation = (recur_activation)act,
                                 .recurrent_activation = (recur_activation)ract,
                                 .return_sequences = flags & 1, .go_backwards = flags & 2,
                                 .no_bias = flags & 4, .reset_before = flags & 8,
                                 .no_unit_forget_bias = flags & 16 };
            s = cell == RECUR_SIMPLE_RNN ? recur_model_add_simple_rnn(m, units, &o)
                : cell == RECUR_LSTM     ? recur_model_add_lstm(m, units, &o)
                : cell == RECUR_GRU      ? recur_model_add_gru(m, units, &o)
                                         : RECUR_ERR_FORMAT;
        } else {
            s = RECUR_ERR_FORMAT;
        }
        if (s != RECUR_OK) {
            char why[300];
            snprintf(why, sizeof why, "layer %d is invalid (%s)", i, recur_last_error());
            s = bad(r->path, why);
        }
    }
    int32_t compiled = s == RECUR_OK ? get_i32(r) : 0;
    if (s == RECUR_OK && compiled) {
        recur_compile_opts o = { 0 };
        o.optimizer = (recur_optimizer)get_i32(r);
        o.loss = (recur_loss)get_i32(r);
        float *f[] = { &o.learning_rate, &o.beta_1, &o.beta_2, &o.epsilon, &o.momentum, &o.rho,
                       &o.clipnorm, &o.clipvalue, &o.global_clipnorm };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            *f[i] = get_f32(r);
        o.nesterov = get_i32(r) != 0;
        o.metrics = (unsigned)get_i32(r);
        uint64_t iterations = get_u64(r);
        if (!r->ok)
            s = bad(r->path, "truncated in the compile settings");
        else if (recur_model_compile(m, &o) != RECUR_OK)
            s = bad(r->path, recur_last_error());
        int32_t nw = s == RECUR_OK ? get_i32(r) : 0;
        if (s == RECUR_OK && nw != m->n_weights)
            s = bad(r->path, "weight count does not match the architecture");
        for (int k = 0; k < nw && s == RECUR_OK; k++) {
            model_weight *W = &m->weights[k];
            if (get_u64(r) != W->n || !take(r, W->w, W->n * 4) || !take(r, W->slot[0], W->n * 4) ||
                !take(r, W->slot[1], W->n * 4))
                s = bad(r->path, r->ok ? "a weight's size does not match the architecture"
                                       : "truncated in the weights");
        }
        if (s == RECUR_OK) {
            m->iterations = (long long)iterations;
            for (int i = 0; i < m->n_layers; i++)
                if (m->layers[i].rnn)
                    recur_rnn_weights_changed(m->layers[i].rnn);
        }
    } else if (s == RECUR_OK) {
        s = bad(r->path, "the model was saved before compile");
    }
    if (s == RECUR_OK) {
        uint64_t len = get_u64(r);
        if (!r->ok || len > r->n - r->at || len > ((uint64_t)1 << 20)) {
            s = bad(r->path, "truncated or oversized metadata");
        } else if (len) {
            char *text = malloc(len + 1);
            if (text == NULL) {
                s = recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_load: out of memory");
            } else {
                take(r, text, len);
                text[len] = '\0';
                if (strlen(text) != len)
                    s = bad(r->path, "metadata holds a NUL byte");
                else
                    s = recur_model_set_metadata(m, text);
                free(text);
            }
        }
    }
    if (s == RECUR_OK && r->at != r->n)
        s = bad(r->path, "unexpected bytes after the model");
    if (s != RECUR_OK) {
        recur_model_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}

recur_status recur_model_load(const char *path, recur_model **out)
{
    if (out == NULL || path == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_load: NULL argument");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return recur_fail(RECUR_ERR_IO, "recur_model_load: cannot open %s: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (size_t)st.st_size > MAX_FILE_BYTES) {
        fclose(f);
        return bad(path, "not a regular file of a plausible size");
    }
    size_t n = (size_t)st.st_size;
    if (n < 8 + 4 + 4) {
        fclose(f);
        return bad(path, n == 0 ? "the file is empty" : "the file is too short");
    }
    unsigned char *buf = malloc(n);
    if (buf == NULL) {
        fclose(f);
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_load: out of memory");
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) {
        free(buf);
        return recur_fail(RECUR_ERR_IO, "recur_model_load: cannot read %s", path);
    }
    recur_status s;
    uint32_t stored;
    memcpy(&stored, buf + n - 4, 4);
    if (memcmp(buf, FORMAT_MAGIC, 8) != 0)
        s = bad(path, "not a recur model file (bad magic)");
    else if (crc32_update(0, buf, n - 4) != stored)
        s = bad(path, "checksum mismatch: the file is truncated or corrupt");
    else {
        reader r = { buf, n - 4, 0, path, true };
        s = parse(&r, out);
    }
    free(buf);
    return s;
}
