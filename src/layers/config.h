/* Internal: a layer's settings as a config record, the extensible part of a model file.
 *
 * A record is a list of entries, each a key (u8 length, then the bytes), a type byte and a
 * little-endian value: 'i' i32, 'f' f32, 'b' one byte 0/1. A kind writes the keys it has;
 * a reader takes each key it knows, uses its default where a key is absent (so a key added
 * later leaves older files loadable), and refuses a record with a key it does not know (a
 * newer writer's setting that would otherwise be silently dropped). */
#ifndef RECUR_LAYERS_CONFIG_H
#define RECUR_LAYERS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define LAYER_CONFIG_MAX_BYTES 1024
#define LAYER_CONFIG_MAX_ENTRIES 32

typedef struct {
    unsigned char bytes[LAYER_CONFIG_MAX_BYTES];
    size_t len;
    bool overflow;
} layer_config_writer;

void layer_config_put_int(layer_config_writer *w, const char *key, int value);
void layer_config_put_float(layer_config_writer *w, const char *key, float value);
void layer_config_put_bool(layer_config_writer *w, const char *key, bool value);

typedef struct {
    char key[64];
    char type;
    unsigned char value[4];
    bool used;
} layer_config_entry;

typedef struct {
    layer_config_entry entries[LAYER_CONFIG_MAX_ENTRIES];
    int n;
    char error[160];          /* the first problem, "" if none */
} layer_config_reader;

/* Parse a record; false (with r->error) if it is malformed. */
bool layer_config_parse(layer_config_reader *r, const unsigned char *bytes, size_t len);
/* The value of key, or dflt when absent; a value of another type sets r->error. */
int layer_config_int(layer_config_reader *r, const char *key, int dflt);
float layer_config_float(layer_config_reader *r, const char *key, float dflt);
bool layer_config_bool(layer_config_reader *r, const char *key, bool dflt);
/* After the kind has taken its keys: false (with r->error) on a type error or a key nobody
 * took. */
bool layer_config_done(layer_config_reader *r);

#endif
