/* Layer config records: writing, parsing and typed look-ups (src/layers/config.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "layers/config.h"

static void put(layer_config_writer *w, const char *key, char type, const void *value)
{
    const size_t klen = strlen(key);
    if (klen > 63 || w->len + 1 + klen + 1 + 4 > LAYER_CONFIG_MAX_BYTES) {
        w->overflow = true;
        return;
    }
    w->bytes[w->len++] = (unsigned char)klen;
    memcpy(w->bytes + w->len, key, klen);
    w->len += klen;
    w->bytes[w->len++] = (unsigned char)type;
    const size_t vlen = type == 'b' ? 1 : 4;
    memcpy(w->bytes + w->len, value, vlen);   /* the formats are little-endian hosts only */
    w->len += vlen;
}

void layer_config_put_int(layer_config_writer *w, const char *key, int value)
{
    int32_t v = value;
    put(w, key, 'i', &v);
}

void layer_config_put_float(layer_config_writer *w, const char *key, float value)
{
    put(w, key, 'f', &value);
}

void layer_config_put_bool(layer_config_writer *w, const char *key, bool value)
{
    unsigned char v = value ? 1 : 0;
    put(w, key, 'b', &v);
}

bool layer_config_parse(layer_config_reader *r, const unsigned char *bytes, size_t len)
{
    memset(r, 0, sizeof *r);
    for (size_t at = 0; at < len;) {
        const size_t klen = bytes[at++];
        if (klen == 0 || klen > 63 || len - at < klen + 1) {
            snprintf(r->error, sizeof r->error, "a malformed key in the layer's config");
            return false;
        }
        if (r->n == LAYER_CONFIG_MAX_ENTRIES) {
            snprintf(r->error, sizeof r->error, "more than %d settings in the layer's config",
                     LAYER_CONFIG_MAX_ENTRIES);
            return false;
        }
        layer_config_entry *e = &r->entries[r->n++];
        memcpy(e->key, bytes + at, klen);
        e->key[klen] = '\0';
        at += klen;
        e->type = (char)bytes[at++];
        const size_t vlen = e->type == 'b' ? 1 : (e->type == 'i' || e->type == 'f') ? 4 : 0;
        if (vlen == 0 || len - at < vlen || memchr(e->key, '\0', klen)) {
            snprintf(r->error, sizeof r->error, "setting '%.63s' is malformed", e->key);
            return false;
        }
        memcpy(e->value, bytes + at, vlen);
        at += vlen;
        for (int i = 0; i + 1 < r->n; i++)
            if (strcmp(r->entries[i].key, e->key) == 0) {
                snprintf(r->error, sizeof r->error, "setting '%s' appears twice", e->key);
                return false;
            }
    }
    return true;
}

static layer_config_entry *find(layer_config_reader *r, const char *key, char type)
{
    for (int i = 0; i < r->n; i++) {
        layer_config_entry *e = &r->entries[i];
        if (strcmp(e->key, key) != 0)
            continue;
        e->used = true;
        if (e->type == type)
            return e;
        if (r->error[0] == '\0')
            snprintf(r->error, sizeof r->error, "setting '%s' has the wrong type", key);
        return NULL;
    }
    return NULL;
}

int layer_config_int(layer_config_reader *r, const char *key, int dflt)
{
    const layer_config_entry *e = find(r, key, 'i');
    int32_t v = dflt;
    if (e)
        memcpy(&v, e->value, 4);
    return v;
}

float layer_config_float(layer_config_reader *r, const char *key, float dflt)
{
    const layer_config_entry *e = find(r, key, 'f');
    float v = dflt;
    if (e)
        memcpy(&v, e->value, 4);
    return v;
}

bool layer_config_bool(layer_config_reader *r, const char *key, bool dflt)
{
    const layer_config_entry *e = find(r, key, 'b');
    return e ? e->value[0] != 0 : dflt;
}

bool layer_config_done(layer_config_reader *r)
{
    if (r->error[0])
        return false;
    for (int i = 0; i < r->n; i++)
        if (!r->entries[i].used) {
            snprintf(r->error, sizeof r->error, "unknown setting '%s' (a file from a newer "
                     "recur?)", r->entries[i].key);
            return false;
        }
    return true;
}
