/* libFuzzer: --model SPEC, the layer list of the command line, on sequences of 10 steps of 3
 * features and (for Embedding) a vocabulary of 50. Specs with a number above 512 are skipped:
 * an LSTM(60000) is a valid request for gigabytes, which would test the allocator, not the
 * grammar (the grammar's own 1..65536 bound is tested in test_cli.sh). */
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
    long run = 0;
    for (size_t i = 0; i < size; i++) {
        run = spec[i] >= '0' && spec[i] <= '9' ? (run > 512 ? run : run * 10 + spec[i] - '0') : 0;
        if (run > 512) {
            free(spec);
            return 0;
        }
    }
    recur_model *m = NULL;
    if (model_from_spec(spec, 10, 3, 50, &m))
        recur_model_free(m);
    free(spec);
    return 0;
}
