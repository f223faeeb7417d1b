/* recur's model files: save, load and resume give the same bits, damaged files fail with a
 * clear error and no model, and a file of format version 1 (recur 0.1) still loads. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/internal.h"
#include "test_util.h"

/* Two epochs straight, or one, save, load and one more: the same bits; metadata survives;
 * saving over a file leaves no temporary beside it. */
static void test_save_load_resume(void **state)
{
    (void)state;
    char dir[] = "/tmp/recur_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/model.recur", dir);
    const int n = 40;
    float x[40 * 6 * 3], y[40 * 2], p1[40 * 2], p2[40 * 2];
    test_rng r = { 3 };
    rng_fill(&r, x, sizeof x / 4, -1, 1);
    rng_fill(&r, y, sizeof y / 4, -1, 1);
    recur_fit_opts one = { .epochs = 1, .batch_size = 8, .seed = 5 };

    /* A: two epochs straight. B: one epoch, save, load, one more. Identical bits. */
    recur_model *a = test_small_model(), *b = test_small_model();
    assert_int_equal(recur_model_fit(a, x, y, n, &one), RECUR_OK);
    one.seed = 6;
    assert_int_equal(recur_model_fit(a, x, y, n, &one), RECUR_OK);
    one.seed = 5;
    assert_int_equal(recur_model_fit(b, x, y, n, &one), RECUR_OK);
    assert_int_equal(recur_model_set_metadata(b, "task=forecast\nmean=3.5\n"), RECUR_OK);
    assert_int_equal(recur_model_save(b, path), RECUR_OK);
    recur_model *c;
    assert_int_equal(recur_model_load(path, &c), RECUR_OK);
    assert_string_equal(recur_model_metadata(c), "task=forecast\nmean=3.5\n");
    assert_int_equal(recur_model_predict(b, x, n, p1), RECUR_OK);
    assert_int_equal(recur_model_predict(c, x, n, p2), RECUR_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    one.seed = 6;
    assert_int_equal(recur_model_fit(c, x, y, n, &one), RECUR_OK);
    float wa[4096], wc[4096];
    const size_t nw = test_model_weights(a, wa, 4096);
    assert_int_equal(test_model_weights(c, wc, 4096), nw);
    assert_memory_equal(wa, wc, sizeof(float) * nw);   /* only what was written */

    /* overwrite in place: no temporary file is left behind */
    assert_int_equal(recur_model_save(c, path), RECUR_OK);
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 1);
    unlink(path);
    rmdir(dir);
    recur_model_free(a);
    recur_model_free(b);
    recur_model_free(c);
}

/* Damaged files, a newer format version and unusable paths: each a clear error and no
 * model, never a crash. */
static void test_corrupt_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/recur_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/model.recur", dir);
    recur_model *c = test_small_model();
    assert_int_equal(recur_model_save(c, path), RECUR_OK);
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size);
    assert_int_equal(fread(bytes, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad.recur", dir);
    struct { long len; long flip; const char *needle; } cases[] = {
        { 0, -1, "empty" }, { 10, -1, "short" }, { size - 9, -1, "checksum" },
        { size, size / 2, "checksum" }, { size, 3, "magic" }, { size, size - 1, "checksum" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fp = fopen(bad, "wb");
        unsigned char *copy = malloc((size_t)size);
        memcpy(copy, bytes, (size_t)size);
        if (cases[i].flip >= 0)
            copy[cases[i].flip] ^= 0x5a;
        fwrite(copy, 1, (size_t)cases[i].len, fp);
        fclose(fp);
        free(copy);
        recur_model *z = (recur_model *)0x1;
        assert_int_equal(recur_model_load(bad, &z), RECUR_ERR_FORMAT);
        assert_null(z);
        if (strstr(recur_last_error(), cases[i].needle) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, recur_last_error(), cases[i].needle);
    }
    /* a well-formed file of a newer format version: valid checksum, refused by version */
    {
        unsigned char *v2 = malloc((size_t)size);
        memcpy(v2, bytes, (size_t)size);
        v2[8] = 3;   /* version, little-endian i32 after the 8-byte magic */
        uint32_t crc = 0xffffffffu;   /* CRC-32 (IEEE), computed here independently */
        for (long i = 0; i < size - 4; i++) {
            crc ^= v2[i];
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
        crc = ~crc;
        memcpy(v2 + size - 4, &crc, 4);
        fp = fopen(bad, "wb");
        fwrite(v2, 1, (size_t)size, fp);
        fclose(fp);
        free(v2);
        recur_model *z2;
        assert_int_equal(recur_model_load(bad, &z2), RECUR_ERR_FORMAT);
        if (strstr(recur_last_error(), "version 3") == NULL)
            fail_msg("'%s' does not name the version", recur_last_error());
    }
    recur_model *z;
    assert_int_equal(recur_model_load("/nonexistent/model.recur", &z), RECUR_ERR_IO);
    assert_int_equal(recur_model_load(dir, &z), RECUR_ERR_FORMAT);
    assert_int_equal(recur_model_save(c, "/nonexistent/dir/m.recur"), RECUR_ERR_IO);
    free(bytes);
    unlink(bad);
    unlink(path);
    rmdir(dir);
    recur_model_free(c);
}

/* A file written by recur 0.1 (format version 1, tools/gen_model_v1.c at 3f23e8b): it loads,
 * predicts what 0.1 predicted, and saves again in the current format. */
static void test_load_version_1(void **state)
{
    (void)state;
    recur_model *m;
    assert_int_equal(recur_model_load(RECUR_TEST_DATA_DIR "/legacy/model_v1.recur", &m), RECUR_OK);
    assert_int_equal(recur_model_num_layers(m), 4);
    assert_string_equal(recur_model_metadata(m), "written by recur 0.1.0 (format version 1)\n");
    float x[20 * 18], p[20 * 3], want[60];
    for (int i = 0; i < 20 * 18; i++)
        x[i] = sinf(0.37f * i) * 0.8f;
    FILE *fp = fopen(RECUR_TEST_DATA_DIR "/legacy/model_v1_predictions.txt", "r");
    assert_non_null(fp);
    char line[128];
    assert_non_null(fgets(line, sizeof line, fp));   /* the comment line */
    for (int i = 0; i < 60; i++)
        assert_int_equal(fscanf(fp, "%f", &want[i]), 1);
    fclose(fp);
    assert_int_equal(recur_model_predict(m, x, 20, p), RECUR_OK);
    for (int i = 0; i < 60; i++)
        if (!(fabsf(p[i] - want[i]) <= 1e-5f))
            fail_msg("prediction %d: %.9g, recur 0.1 gave %.9g", i, p[i], want[i]);
    char dir[] = "/tmp/recur_v1_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/again.recur", dir);
    assert_int_equal(recur_model_save(m, path), RECUR_OK);
    recur_model *again;
    assert_int_equal(recur_model_load(path, &again), RECUR_OK);
    float q[20 * 3];
    assert_int_equal(recur_model_predict(again, x, 20, q), RECUR_OK);
    assert_memory_equal(p, q, sizeof p);
    unlink(path);
    rmdir(dir);
    recur_model_free(again);
    recur_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load_resume),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_load_version_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
