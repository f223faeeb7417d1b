/* libFuzzer: --model SPEC, the layer list of the command line, on sequences of 10 steps of 3
 * features and (for Embedding) a vocabulary of 50. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    if (spec == NULL)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    recur_model *m = NULL;
    if (model_from_spec(spec, 10, 3, 50, &m))
        recur_model_free(m);
    free(spec);
    return 0;
}
