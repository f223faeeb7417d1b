/* Saving and loading models: a versioned little-endian binary format (docs/model-format.md)
 * holding the input shape, one tagged config record per layer, the compile settings, the
 * weights with the optimizer's state, and metadata, closed by a CRC-32. Written to a
 * temporary file in the same directory, synced, then renamed, so a crash never leaves a
 * half-written model under the real name. Loading checks every length against the file
 * before reading and rebuilds the model through the public calls, so a truncated, corrupt
 * or foreign file is an error and an impossible architecture is refused as it would be when
 * built by hand. Version 1 files (recur 0.1) load too (src/model/io_v1.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32.h"
#include "core/error.h"
#include "model/io.h"

#define FORMAT_MAGIC "RECURMDL"
#define FORMAT_VERSION 2u
#define MAX_FILE_BYTES ((size_t)1 << 33)
#define MAX_TAG_BYTES 32

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct { FILE *f; uint32_t crc; bool ok; } writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->ok && fwrite(p, 1, n, w->f) != n)
        w->ok = false;
    w->crc = recur_crc32(w->crc, p, n);
}
static void put_i32(writer *w, int32_t v) { put(w, &v, 4); }
static void put_u64(writer *w, uint64_t v) { put(w, &v, 8); }
static void put_u8(writer *w, uint8_t v) { put(w, &v, 1); }

static void put_record(writer *w, const layer_config_writer *c)
{
    put_i32(w, (int32_t)c->len);
    put(w, c->bytes, c->len);
}

static void compile_record(const recur_compile_opts *o, layer_config_writer *c)
{
    layer_config_put_int(c, "optimizer", (int)o->optimizer);
    layer_config_put_int(c, "loss", (int)o->loss);
    layer_config_put_float(c, "learning_rate", o->learning_rate);
    layer_config_put_float(c, "beta_1", o->beta_1);
    layer_config_put_float(c, "beta_2", o->beta_2);
    layer_config_put_float(c, "epsilon", o->epsilon);
    layer_config_put_float(c, "momentum", o->momentum);
    layer_config_put_float(c, "rho", o->rho);
    layer_config_put_float(c, "clipnorm", o->clipnorm);
    layer_config_put_float(c, "clipvalue", o->clipvalue);
    layer_config_put_float(c, "global_clipnorm", o->global_clipnorm);
    layer_config_put_bool(c, "nesterov", o->nesterov);
    layer_config_put_int(c, "metrics", (int)o->metrics);
}

/* The states stateful layers carry: a count, then per layer holding some its index, rows,
 * float count and the floats. */
static void write_states(writer *w, const recur_model *m)
{
    int held = 0;
    size_t per;
    for (int i = 0; i < m->n_layers; i++)
        held += m->layers[i]->ops->held_states &&
                m->layers[i]->ops->held_states(m->layers[i], &per) > 0;
    put_i32(w, held);
    for (int i = 0; i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        const int rows = L->ops->held_states ? L->ops->held_states(L, &per) : 0;
        if (rows == 0)
            continue;
        const size_t n = (size_t)rows * per;
        float *buf = malloc(n * sizeof(float));
        if (buf == NULL) {
            w->ok = false;
            return;
        }
        L->ops->read_states(L, buf);
        put_i32(w, i);
        put_i32(w, rows);
        put_u64(w, n);
        put(w, buf, n * sizeof(float));
        free(buf);
    }
}

static void write_model(writer *w, const recur_model *m)
{
    put(w, FORMAT_MAGIC, 8);
    put_i32(w, (int32_t)FORMAT_VERSION);
    put_i32(w, m->timesteps);
    put_i32(w, m->features);
    put_u64(w, m->seed);
    put_i32(w, m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        const size_t tlen = strlen(L->ops->tag);
        put_u8(w, (uint8_t)tlen);
        put(w, L->ops->tag, tlen);
        layer_config_writer c = { .len = 0 };
        L->ops->write_config(L, &c);
        w->ok = w->ok && !c.overflow;
        put_record(w, &c);
    }
    layer_config_writer c = { .len = 0 };
    compile_record(&m->copts, &c);
    if (m->length_open)   /* only then: files without it stay readable by older libraries */
        layer_config_put_bool(&c, "length_open", true);
    put_record(w, &c);
    put_u64(w, (uint64_t)m->iterations);
    put_i32(w, m->n_weights);
    for (int k = 0; k < m->n_weights; k++) {
        const model_weight *W = &m->weights[k];
        put_u64(w, W->n);
        put(w, m->params + W->offset, W->n * sizeof(float));
        put(w, m->slot[0] + W->offset, W->n * sizeof(float));
        put(w, m->slot[1] + W->offset, W->n * sizeof(float));
    }
    const char *meta = recur_model_metadata(m);
    put_u64(w, strlen(meta));
    put(w, meta, strlen(meta));
    write_states(w, m);
}

bool model_write_stream(const recur_model *m, FILE *f)
{
    writer w = { f, 0, true };
    write_model(&w, m);
    const uint32_t crc = w.crc;
    return w.ok && fwrite(&crc, 1, 4, f) == 4;
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

bool model_read(model_reader *r, void *dst, size_t n)
{
    if (!r->ok || n > r->n - r->at) {
        r->ok = false;
        memset(dst, 0, n);
        return false;
    }
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return true;
}
int32_t model_read_i32(model_reader *r) { int32_t v; model_read(r, &v, 4); return v; }
uint64_t model_read_u64(model_reader *r) { uint64_t v; model_read(r, &v, 8); return v; }
float model_read_f32(model_reader *r) { float v; model_read(r, &v, 4); return v; }

recur_status model_file_error(const char *path, const char *why)
{
    return recur_fail(RECUR_ERR_FORMAT, "recur_model_load: %s: %s", path, why);
}

/* A config record: an i32 length, then its entries. */
static bool read_record(model_reader *r, layer_config_reader *c)
{
    const int32_t len = model_read_i32(r);
    if (!r->ok || len < 0 || len > LAYER_CONFIG_MAX_BYTES || (size_t)len > r->n - r->at) {
        r->ok = false;
        snprintf(c->error, sizeof c->error, "a config record is truncated or oversized");
        return false;
    }
    const bool ok = layer_config_parse(c, r->p + r->at, (size_t)len);
    r->at += (size_t)len;
    return ok;
}

static recur_status read_layers_v2(model_reader *r, recur_model *m, int n_layers)
{
    for (int i = 0; i < n_layers; i++) {
        char tag[MAX_TAG_BYTES + 1] = { 0 }, why[400];
        uint8_t tlen = 0;
        model_read(r, &tlen, 1);
        if (tlen == 0 || tlen > MAX_TAG_BYTES || !model_read(r, tag, tlen))
            return model_file_error(r->path, "truncated or malformed in the layer list");
        const layer_ops *ops = layer_kind_by_tag(tag);
        layer_config_reader c;
        if (ops == NULL || !read_record(r, &c)) {
            snprintf(why, sizeof why, "layer %d: %s", i,
                     ops ? c.error : "a kind of layer this library does not know");
            return model_file_error(r->path, why);
        }
        if (ops->from_config(m, &c) != RECUR_OK) {
            snprintf(why, sizeof why, "layer %d (%s) is invalid: %s", i, tag, recur_last_error());
            return model_file_error(r->path, why);
        }
    }
    return RECUR_OK;
}

static recur_status read_compile_v2(model_reader *r, recur_compile_opts *o, bool *length_open)
{
    layer_config_reader c;
    if (!read_record(r, &c))
        return model_file_error(r->path, c.error);
    o->optimizer = (recur_optimizer)layer_config_int(&c, "optimizer", 0);
    o->loss = (recur_loss)layer_config_int(&c, "loss", 0);
    o->learning_rate = layer_config_float(&c, "learning_rate", 0);
    o->beta_1 = layer_config_float(&c, "beta_1", 0);
    o->beta_2 = layer_config_float(&c, "beta_2", 0);
    o->epsilon = layer_config_float(&c, "epsilon", 0);
    o->momentum = layer_config_float(&c, "momentum", 0);
    o->rho = layer_config_float(&c, "rho", 0);
    o->clipnorm = layer_config_float(&c, "clipnorm", 0);
    o->clipvalue = layer_config_float(&c, "clipvalue", 0);
    o->global_clipnorm = layer_config_float(&c, "global_clipnorm", 0);
    o->nesterov = layer_config_bool(&c, "nesterov", false);
    o->metrics = (unsigned)layer_config_int(&c, "metrics", 0);
    *length_open = layer_config_bool(&c, "length_open", false);
    return layer_config_done(&c) ? RECUR_OK : model_file_error(r->path, c.error);
}

/* The weights and the optimizer's slots, into a compiled model. */
static recur_status read_weights(model_reader *r, recur_model *m)
{
    const int32_t nw = model_read_i32(r);
    if (r->ok && nw != m->n_weights)
        return model_file_error(r->path, "weight count does not match the architecture");
    for (int k = 0; k < nw; k++) {
        const model_weight *W = &m->weights[k];
        if (model_read_u64(r) != W->n && r->ok)
            return model_file_error(r->path, "a weight's size does not match the architecture");
        model_read(r, m->params + W->offset, W->n * sizeof(float));
        model_read(r, m->slot[0] + W->offset, W->n * sizeof(float));
        model_read(r, m->slot[1] + W->offset, W->n * sizeof(float));
    }
    return r->ok ? RECUR_OK : model_file_error(r->path, "truncated in the weights");
}

static recur_status read_metadata(model_reader *r, recur_model *m)
{
    uint64_t len = model_read_u64(r);
    if (!r->ok || len > r->n - r->at || len > ((uint64_t)1 << 20))
        return model_file_error(r->path, "truncated or oversized metadata");
    if (len == 0)
        return RECUR_OK;
    char *text = malloc(len + 1);
    if (text == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_load: out of memory");
    model_read(r, text, len);
    text[len] = '\0';
    recur_status s = strlen(text) != len ? model_file_error(r->path, "metadata holds a NUL byte")
                                         : recur_model_set_metadata(m, text);
    free(text);
    return s;
}

/* The stateful layers' states (absent in files from before they existed). */
static recur_status read_states(model_reader *r, recur_model *m)
{
    if (r->at == r->n)
        return RECUR_OK;
    const int32_t held = model_read_i32(r);
    if (!r->ok || held < 0 || held > m->n_layers)
        return model_file_error(r->path, "bad count of layers with states");
    int last = -1;
    for (int k = 0; k < held; k++) {
        const int32_t i = model_read_i32(r), rows = model_read_i32(r);
        const uint64_t n = model_read_u64(r);
        size_t per = 0;
        layer *L = r->ok && i > last && i < m->n_layers ? m->layers[i] : NULL;
        if (L == NULL || L->ops->held_states == NULL || !L->stateful)
            return model_file_error(r->path, "states for a layer that carries none");
        L->ops->held_states(L, &per);
        if (rows < 1 || per == 0 || n != (uint64_t)rows * per || n > (r->n - r->at) / 4)
            return model_file_error(r->path, "a layer's states do not match its shape");
        float *buf = malloc((size_t)n * sizeof(float));
        if (buf == NULL)
            return recur_fail(RECUR_ERR_NO_MEMORY, "recur_model_load: out of memory");
        model_read(r, buf, (size_t)n * sizeof(float));
        recur_status s = L->ops->write_states(L, rows, buf);
        free(buf);
        if (s != RECUR_OK)
            return s;
        last = i;
    }
    return RECUR_OK;
}

static recur_status parse_body(model_reader *r, recur_model *m, uint32_t version)
{
    const int32_t nl = model_read_i32(r);
    if (!r->ok || nl < 1 || nl > MODEL_MAX_LAYERS)
        return model_file_error(r->path, "bad layer count");
    recur_status s = version == 1 ? model_read_layers_v1(r, m, nl) : read_layers_v2(r, m, nl);
    if (s != RECUR_OK)
        return s;
    recur_compile_opts o = { 0 };
    bool length_open = false;
    if (version == 1) {
        if (model_read_i32(r) == 0 && r->ok)
            return model_file_error(r->path, "the model was saved before compile");
        model_read_compile_v1(r, &o);
    } else if ((s = read_compile_v2(r, &o, &length_open)) != RECUR_OK) {
        return s;
    }
    const uint64_t iterations = model_read_u64(r);
    if (!r->ok)
        return model_file_error(r->path, "truncated in the compile settings");
    if (recur_model_compile(m, &o) != RECUR_OK)
        return model_file_error(r->path, recur_last_error());
    if ((s = read_weights(r, m)) != RECUR_OK)
        return s;
    m->iterations = (long long)iterations;
    m->length_open = length_open;
    model_weights_changed(m);
    if ((s = read_metadata(r, m)) != RECUR_OK)
        return s;
    if (version >= 2 && (s = read_states(r, m)) != RECUR_OK)
        return s;
    return r->at == r->n ? RECUR_OK : model_file_error(r->path, "unexpected bytes after the model");
}

static recur_status parse(model_reader *r, recur_model **out)
{
    char magic[8];
    if (!model_read(r, magic, 8) || memcmp(magic, FORMAT_MAGIC, 8) != 0)
        return model_file_error(r->path, "not a recur model file (bad magic)");
    uint32_t version = (uint32_t)model_read_i32(r);
    if (version < 1 || version > FORMAT_VERSION)
        return recur_fail(RECUR_ERR_FORMAT, "recur_model_load: %s: format version %u, this "
                          "library reads versions 1 to %u", r->path, version, FORMAT_VERSION);
    int32_t T = model_read_i32(r), F = model_read_i32(r);
    uint64_t seed = model_read_u64(r);
    if (!r->ok)
        return model_file_error(r->path, "truncated in the header");
    recur_model *m;
    if (recur_model_create(T, F, &m) != RECUR_OK)
        return model_file_error(r->path, recur_last_error());
    m->seed = seed;
    m->loading = true;   /* every weight takes 12 bytes of the file: values and two slots */
    m->load_param_budget = (r->n - r->at) / 12;
    recur_status s = parse_body(r, m, version);
    m->loading = false;
    if (s != RECUR_OK) {
        recur_model_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}

/* A Keras file, by its signature: a zip (.keras) or an HDF5 file (.h5, .weights.h5). */
static bool is_keras_file(const unsigned char *p, size_t n)
{
    return (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) ||
           (n >= 8 && memcmp(p, "\x89HDF\r\n\x1a\n", 8) == 0);
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
        return model_file_error(path, "not a regular file of a plausible size");
    }
    size_t n = (size_t)st.st_size;
    if (n < 8 + 4 + 4) {
        fclose(f);
        return model_file_error(path, n == 0 ? "the file is empty" : "the file is too short");
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
    if (is_keras_file(buf, n)) {
        free(buf);
        return recur_model_load_keras(path, out);
    }
    const recur_status s = model_load_bytes(buf, n, path, out);
    free(buf);
    return s;
}

recur_status model_load_bytes(const unsigned char *buf, size_t n, const char *path,
                              recur_model **out)
{
    *out = NULL;
    if (n < 8 + 4 + 4)
        return model_file_error(path, n == 0 ? "the file is empty" : "the file is too short");
    uint32_t stored;
    memcpy(&stored, buf + n - 4, 4);
    if (memcmp(buf, FORMAT_MAGIC, 8) != 0)
        return model_file_error(path, "not a recur model file (bad magic)");
    if (recur_crc32(0, buf, n - 4) != stored)
        return model_file_error(path, "checksum mismatch: the file is truncated or corrupt");
    model_reader r = { buf, n - 4, 0, path, true };
    return parse(&r, out);
}
