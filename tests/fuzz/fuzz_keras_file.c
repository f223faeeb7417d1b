/* libFuzzer: Keras's files (.keras zips, legacy .h5, by content) through recur's importer,
 * containers and all. A file that loads must summarise and export; loaded or not, no HDF5
 * object may stay open. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "keras/keras.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    recur_model *m = NULL;
    const recur_status s = keras_load_bytes(data, size, "fuzz", &m);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        abort();   /* an HDF5 file, group, dataset or attribute left open */
    if (s != RECUR_OK)
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
