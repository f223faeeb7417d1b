/* Model files from strangers: thousands of mutated copies of real model files (bytes
 * changed, cut or inserted, the checksum then made right again, so the parser itself meets
 * them) each load as a model that works or fail with RECUR_ERR_FORMAT — never a crash, a
 * read out of bounds (the sanitizer build runs this too) or another status. The models
 * cover every layer kind, Bidirectional and dropout options, and stateful layers holding
 * states. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32.h"
#include "model/internal.h"
#include "test_util.h"

/* A small compiled model of spec k, trained a step (so the optimizer slots and stateful
 * states are filled), saved to path. */
static void save_model(int k, const char *path)
{
    recur_model *m;
    const int T = 5, F = k < 3 ? 1 : 2;
    assert_int_equal(recur_model_create(T, F, &m), RECUR_OK);
    recur_rnn_opts seq = { .return_sequences = true, .dropout = 0.2f };
    recur_rnn_opts st = { .stateful = true, .recurrent_dropout = 0.3f };
    switch (k) {
    case 0:
        assert_int_equal(recur_model_add_embedding(m, 9, 3, true), RECUR_OK);
        assert_int_equal(recur_model_add_bidirectional(m, RECUR_LSTM, 3, &seq, RECUR_MERGE_MUL),
                         RECUR_OK);
        assert_int_equal(recur_model_add_global_average_pooling1d(m), RECUR_OK);
        break;
    case 1:
        assert_int_equal(recur_model_add_embedding(m, 9, 3, false), RECUR_OK);
        assert_int_equal(recur_model_add_gru(m, 3, &st), RECUR_OK);
        break;
    case 2:
        assert_int_equal(recur_model_add_embedding(m, 9, 2, true), RECUR_OK);
        assert_int_equal(recur_model_add_dropout(m, 0.25f), RECUR_OK);
        assert_int_equal(recur_model_add_bidirectional(m, RECUR_GRU, 2, &st, RECUR_MERGE_SUM),
                         RECUR_OK);
        break;
    default:
        assert_int_equal(recur_model_add_masking(m, 0.0f), RECUR_OK);
        assert_int_equal(recur_model_add_simple_rnn(m, 3, &seq), RECUR_OK);
        assert_int_equal(recur_model_add_global_max_pooling1d(m), RECUR_OK);
        break;
    }
    assert_int_equal(recur_model_add_dense(m, 1, RECUR_ACT_SIGMOID), RECUR_OK);
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_BINARY_CROSSENTROPY };
    assert_int_equal(recur_model_compile(m, &c), RECUR_OK);
    float x[4 * 5 * 2], y[4] = { 0, 1, 1, 0 };
    for (int i = 0; i < 4 * T * F; i++)
        x[i] = (float)(1 + i % 8);   /* token ids, or features */
    assert_int_equal(recur_model_train_step(m, x, y, 4, NULL), RECUR_OK);
    assert_int_equal(recur_model_apply_gradients(m), RECUR_OK);
    assert_int_equal(recur_model_set_metadata(m, "fuzz"), RECUR_OK);
    assert_int_equal(recur_model_save(m, path), RECUR_OK);
    recur_model_free(m);
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 64);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* One mutation of the body (the bytes before the checksum), then a right checksum. */
static size_t mutate(test_rng *r, const unsigned char *src, size_t n, unsigned char *dst)
{
    size_t body = n - 4;
    memcpy(dst, src, body);
    switch (rng_next(r) % 4) {
    case 0:   /* a few bytes changed */
    case 1:
        for (int k = 1 + (int)(rng_next(r) % 4); k > 0; k--)
            dst[12 + rng_next(r) % (body - 12)] ^= (unsigned char)(1 + rng_next(r) % 255);
        break;
    case 2:   /* cut short */
        body = 12 + rng_next(r) % (body - 12);
        break;
    default: { /* bytes inserted */
        const size_t at = 12 + rng_next(r) % (body - 12), k = 1 + rng_next(r) % 8;
        memmove(dst + at + k, dst + at, body - at);
        for (size_t i = 0; i < k; i++)
            dst[at + i] = (unsigned char)rng_next(r);
        body += k;
    }
    }
    const uint32_t crc = recur_crc32(0, dst, body);
    memcpy(dst + body, &crc, 4);
    return body + 4;
}

static void test_mutated_model_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/recur_fuzz_XXXXXX", path[64], bad[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.recur", dir);
    snprintf(bad, sizeof bad, "%s/bad.recur", dir);
    test_rng r = { 4242 };
    const int per_model = getenv("RECUR_TEST_QUICK") ? 100 : 400;
    int loaded = 0, refused = 0;
    for (int k = 0; k < 4; k++) {
        save_model(k, path);
        size_t n;
        unsigned char *good = read_all(path, &n), *buf = malloc(n + 64);
        for (int i = 0; i < per_model; i++) {
            const size_t len = mutate(&r, good, n, buf);
            FILE *f = fopen(bad, "wb");
            fwrite(buf, 1, len, f);
            fclose(f);
            recur_model *m = NULL;
            const recur_status s = recur_model_load(bad, &m);
            if (s == RECUR_OK) {
                /* a model that loads must work: predict one sample of its input shape */
                int steps, units;
                assert_int_equal(recur_model_output_shape(m, &steps, &units), RECUR_OK);
                const size_t nx = (size_t)m->timesteps * m->features;
                const size_t ny = (size_t)(steps ? steps : 1) * units;
                if (nx <= 1u << 16 && ny <= 1u << 16) {   /* mutated shapes can be huge */
                    float *x = calloc(nx, sizeof(float)), *p = malloc(ny * sizeof(float));
                    const recur_status ps = recur_model_predict(m, x, 1, p);
                    assert_true(ps == RECUR_OK || ps == RECUR_ERR_ARGUMENT ||
                                ps == RECUR_ERR_SHAPE || ps == RECUR_ERR_NUMERIC ||
                                ps == RECUR_ERR_NO_MEMORY);
                    free(x);
                    free(p);
                }
                recur_model_free(m);
                loaded++;
            } else {
                if (s != RECUR_ERR_FORMAT)
                    fail_msg("model %d, mutation %d: status %d (%s)", k, i, (int)s,
                             recur_last_error());
                assert_null(m);
                refused++;
            }
        }
        free(good);
        free(buf);
    }
    printf("%d mutated files: %d loaded, %d refused with a format error\n", loaded + refused,
           loaded, refused);
    unlink(path);
    unlink(bad);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_mutated_model_files) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
