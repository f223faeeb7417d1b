/* The command line's .npy reader and writer against files numpy wrote
 * (tools/gen_npy_fixtures.py → tests/data/npy), and damaged headers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tools/cli/npy.h"

static char path_buf[4096];
static const char *fixture(const char *name)
{
    snprintf(path_buf, sizeof path_buf, "%s/npy/%s.npy", RECUR_TEST_DATA_DIR, name);
    return path_buf;
}

/* Every fixture holds (i - 5) * 0.5 (floats), i - 5 (signed) or i (unsigned). */
static void expect_values(const char *name, int rank, const long long *shape, double step,
                          double offset)
{
    npy_array a;
    assert_true(npy_open(fixture(name), &a));
    assert_int_equal(a.rank, rank);
    long long count = 1;
    for (int i = 0; i < rank; i++) {
        assert_int_equal(a.shape[i], shape[i]);
        count *= shape[i];
    }
    assert_int_equal(a.count, count);
    for (long long i = 0; i < count; i++)
        assert_float_equal(a.data[i], (i - offset) * step, 0);
    npy_close(&a);
}

static void test_numpy_files(void **state)
{
    (void)state;
    const long long s234[] = { 2, 3, 4 }, s34[] = { 3, 4 }, s7[] = { 7 };
    expect_values("f4_2x3x4", 3, s234, 0.5, 5);
    expect_values("f4_2x3x4_v2", 3, s234, 0.5, 5);
    expect_values("f4_2x3x4_v3", 3, s234, 0.5, 5);
    expect_values("f8_2x3x4", 3, s234, 0.5, 5);     /* converted */
    expect_values("f4be_2x3x4", 3, s234, 0.5, 5);   /* byte-swapped */
    expect_values("i1_3x4", 2, s34, 1, 5);          /* negatives sign-extended */
    expect_values("i2be_3x4", 2, s34, 1, 5);
    expect_values("i8_3x4", 2, s34, 1, 5);
    expect_values("u1_3x4", 2, s34, 1, 0);
    expect_values("f4_7", 1, s7, 0.5, 5);
    const long long s03[] = { 0, 3 };
    expect_values("empty_0x3", 2, s03, 0.5, 5);
}

static void expect_refused(const char *name)
{
    npy_array a;
    assert_false(npy_open(fixture(name), &a));
}

static void test_refused_files(void **state)
{
    (void)state;
    expect_refused("fortran_3x4");
    expect_refused("c8_3");
    expect_refused("no_such_file");
    /* a file cut short of what its header announces */
    char cut[] = "/tmp/recur-npy-cut-XXXXXX";
    int fd = mkstemp(cut);
    assert_true(fd >= 0);
    FILE *in = fopen(fixture("f4_2x3x4"), "rb");
    unsigned char buf[224];
    assert_int_equal(fread(buf, 1, sizeof buf, in), sizeof buf);
    fclose(in);
    assert_int_equal(write(fd, buf, sizeof buf - 4), (ssize_t)(sizeof buf - 4));
    close(fd);
    npy_array a;
    assert_false(npy_open(cut, &a));
    unlink(cut);
}

/* npy_write gives numpy's own bytes, and reads back. */
static void test_write_matches_numpy(void **state)
{
    (void)state;
    const float v[6] = { -2.5f, -2.0f, -1.5f, -1.0f, -0.5f, 0.0f };
    const long long shape[2] = { 2, 3 };
    char out[] = "/tmp/recur-npy-out-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    assert_true(npy_write(out, v, 2, shape));
    unsigned char ours[4096], theirs[4096];
    FILE *a = fopen(out, "rb"), *b = fopen(fixture("f4_2x3"), "rb");
    size_t na = fread(ours, 1, sizeof ours, a), nb = fread(theirs, 1, sizeof theirs, b);
    fclose(a);
    fclose(b);
    unlink(out);
    assert_int_equal(na, nb);
    assert_memory_equal(ours, theirs, na);
}

/* A header as text after the magic, version 1.0. */
static bool parse(const char *dict, npy_header *h, char *why, size_t why_size)
{
    unsigned char buf[512] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0 };
    const size_t len = strlen(dict);
    buf[8] = (unsigned char)(len & 255), buf[9] = (unsigned char)(len >> 8);
    memcpy(buf + 10, dict, len);
    return npy_parse_header(buf, 10 + len, h, why, why_size);
}

static void expect_header_error(const char *dict, const char *needle)
{
    npy_header h;
    char why[200];
    assert_false(parse(dict, &h, why, sizeof why));
    if (strstr(why, needle) == NULL)
        fail_msg("header %s: message '%s' lacks '%s'", dict, why, needle);
}

static void test_headers(void **state)
{
    (void)state;
    npy_header h;
    char why[200];
    assert_true(parse("{\"shape\":(3,4),\"fortran_order\":False,\"descr\":\"<f4\"}\n", &h, why,
                      sizeof why));
    assert_int_equal(h.rank, 2);
    assert_int_equal(h.shape[1], 4);
    assert_true(parse("{'descr': '<f8', 'fortran_order': False, 'shape': (), }   \n", &h, why,
                      sizeof why));
    assert_int_equal(h.rank, 0);
    expect_header_error("{'descr': '<f4', 'fortran_order': False}", "lacks 'shape'");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
                        "unknown key");
    expect_header_error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                        "'shape': (2,)}", "repeated key");
    expect_header_error("{'descr': '<U5', 'fortran_order': False, 'shape': (2,)}",
                        "is not float32");
    expect_header_error("{'descr': 'O', 'fortran_order': False, 'shape': (2,)}",
                        "is not float32");
    expect_header_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}",
                        "Fortran order");
    expect_header_error("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}",
                        "True or False");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x)}",
                        "whole numbers");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}",
                        "more than 8");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (99999999999, 99999999999)}", "too many elements");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (99999999999999999999,)}", "too large");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} extra",
                        "text after");
    expect_header_error("{'descr: '<f4'", "");
    expect_header_error("[1, 2]", "not a dict");
    unsigned char bad[16] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 4, 0, 2, 0 };
    assert_false(npy_parse_header(bad, sizeof bad, &h, why, sizeof why));
    assert_non_null(strstr(why, "unknown .npy version 4"));
    bad[6] = 1, bad[8] = 200;   /* announces more than there is */
    assert_false(npy_parse_header(bad, sizeof bad, &h, why, sizeof why));
    assert_non_null(strstr(why, "ends inside its header"));
    assert_false(npy_parse_header((const unsigned char *)"PK\3\4 not npy", 13, &h, why,
                                  sizeof why));
    assert_non_null(strstr(why, "magic"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_files),
        cmocka_unit_test(test_refused_files),
        cmocka_unit_test(test_write_matches_numpy),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
