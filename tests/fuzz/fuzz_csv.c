/* libFuzzer: the command line's CSV reader, and every cell as a number. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/recur_fuzz_csv_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    csv_table t;
    const bool read = csv_read(path, &t);
    unlink(path);   /* the reader takes a path; nothing is left in /tmp when the run ends */
    if (read) {
        double v;
        for (int r = 0; r < t.rows; r++)
            for (int c = 0; c < t.cols; c++)
                csv_number(&t, r, c, &v);
        csv_column(&t, "1", "--column");
        csv_column(&t, "label", "--label-column");
        csv_free(&t);
    }
    return 0;
}
