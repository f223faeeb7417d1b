/* libFuzzer: recur's model file format (recur_model_load after the read). The input's last
 * four bytes are replaced by its checksum, so mutations reach the parser instead of stopping
 * at the checksum. A file that loads must also summarise and predict, so a forged
 * architecture that passes the reader cannot hide behind it. */
#include <stdint.h>
#include <stdlib.h>

#include <string.h>

#include "core/crc32.h"
#include "model/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    unsigned char *file = malloc(size);
    if (file == NULL)
        return 0;
    memcpy(file, data, size);
    const uint32_t crc = recur_crc32(0, file, size - 4);
    memcpy(file + size - 4, &crc, 4);
    recur_model *m = NULL;
    const recur_status s = model_load_bytes(file, size, "fuzz", &m);
    free(file);
    if (s != RECUR_OK)
        return 0;
    static char summary[1 << 18];
    recur_model_summary(m, summary, sizeof summary);
    int steps, units;
    recur_model_output_shape(m, &steps, &units);
    const size_t in = (size_t)m->timesteps * m->features, out = (size_t)(steps ? steps : 1) * units;
    if (in <= (1u << 16) && out <= (1u << 16)) {   /* one row of zeros (ids 0 for Embedding) */
        float *x = calloc(in, sizeof(float)), *y = calloc(out, sizeof(float));
        if (x && y)
            recur_model_predict(m, x, 1, y);
        free(x);
        free(y);
    }
    recur_model_free(m);
    return 0;
}
