/* libFuzzer: Keras's files (.keras zips, legacy .h5, by content) through recur's importer,
 * containers and all: the reading in its sandbox process (where HDF5's own failures stay),
 * the answer back in this one. A file that loads must summarise and export. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "keras/keras.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    recur_model *m = NULL;
    if (keras_load_bytes(data, size, "fuzz", &m) != RECUR_OK)
        return 0;
    static char summary[1 << 18];
    recur_model_summary(m, summary, sizeof summary);
    char path[64];
    snprintf(path, sizeof path, "/tmp/recur_fuzz_export_%d.keras", (int)getpid());
    if (recur_model_save_keras(m, path) == RECUR_OK)
        unlink(path);
    recur_model_free(m);
    return 0;
}
