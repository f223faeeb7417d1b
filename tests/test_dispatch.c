/* The dispatcher: full tables, RECUR_ISA honoured, impossible requests refused clearly. */
#include <stdlib.h>
#include <string.h>

#include "cpu/dispatch.h"
#include "test_util.h"

static void test_tables_have_no_empty_slot(void **state)
{
    (void)state;
    const recur_kernels *tables[RECUR_ISA_COUNT];
    int n = test_isas(tables);
    assert_true(n >= 1);
    assert_int_equal(tables[0]->isa, RECUR_ISA_SCALAR);
    for (int t = 0; t < n; t++) {
        /* every slot of the table, by name (a new slot is added here too) */
        const recur_kernels *k = tables[t];
        assert_true(k->mr > 0 && k->nr > 0);
        const struct { const char *name; const void *fn; } slots[] = {
            { "sgemm_ukr", (const void *)k->sgemm_ukr },
            { "sgemm_ukr_direct", (const void *)k->sgemm_ukr_direct },
            { "act_forward", (const void *)k->act_forward },
            { "act_backward", (const void *)k->act_backward },
            { "lstm_fwd", (const void *)k->lstm_fwd }, { "lstm_bwd", (const void *)k->lstm_bwd },
            { "gru_fwd", (const void *)k->gru_fwd }, { "gru_bwd", (const void *)k->gru_bwd },
            { "gru_rb_fwd1", (const void *)k->gru_rb_fwd1 },
            { "gru_rb_fwd2", (const void *)k->gru_rb_fwd2 },
            { "gru_rb_bwd1", (const void *)k->gru_rb_bwd1 },
            { "gru_rb_bwd2", (const void *)k->gru_rb_bwd2 },
            { "axpy", (const void *)k->axpy }, { "scale", (const void *)k->scale },
            { "sum_squares", (const void *)k->sum_squares }, { "dot", (const void *)k->dot },
            { "row_affine", (const void *)k->row_affine }, { "colsum", (const void *)k->colsum },
            { "clamp", (const void *)k->clamp }, { "adam_step", (const void *)k->adam_step },
        };
        for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
            if (slots[i].fn == NULL)
                fail_msg("%s: slot %s is empty", k->name, slots[i].name);
        assert_string_equal(k->name, recur_isa_to_name(k->isa));
    }
}

static void test_active_isa_matches_env(void **state)
{
    (void)state;
    const char *want = getenv("RECUR_ISA");
    const char *name = recur_isa_name();
    const char *const words[] = { "scalar", "avx2", "avx512", "neon" };
    int known = 0;
    for (int i = 0; i < 4; i++)
        known |= strcmp(name, words[i]) == 0;
    assert_true(known);
    recur_isa isa, asked;
    if (want && *want && (recur_isa_from_name(want, &asked) != RECUR_OK ||
                          !recur_isa_supported(asked))) {
        /* an impossible request: a clear error from every call that needs kernels */
        assert_int_equal(recur_isa_active(&isa), RECUR_ERR_ISA);
        assert_non_null(strstr(recur_last_error(), "RECUR_ISA"));
        recur_rnn_config cfg = { .cell = RECUR_LSTM, .input_size = 2, .units = 3 };
        recur_rnn *rnn = NULL;
        assert_int_equal(recur_rnn_create(&cfg, &rnn), RECUR_ERR_ISA);
        assert_null(rnn);
        assert_non_null(strstr(recur_last_error(), want));
    } else if (want && *want) {
        assert_int_equal(recur_isa_active(&isa), RECUR_OK);
        assert_string_equal(name, want);
    } else {
        /* unforced: the best ISA the machine runs */
        assert_int_equal(recur_isa_active(&isa), RECUR_OK);
        for (int i = isa + 1; i < RECUR_ISA_COUNT; i++)
            if (i != RECUR_ISA_NEON && isa != RECUR_ISA_NEON)
                assert_false(recur_isa_supported((recur_isa)i));
    }
    const char *f = recur_cpu_features();
    assert_true(strstr(f, "x86_64") != NULL || strstr(f, "aarch64") != NULL);
}

static void test_choose(void **state)
{
    (void)state;
    bool runnable[RECUR_ISA_COUNT] = { true, true, false, false };
    char msg[256];
    recur_isa out = RECUR_ISA_COUNT;
    assert_int_equal(recur_dispatch_choose(NULL, runnable, RECUR_ISA_AVX2, &out, msg, sizeof msg),
                     RECUR_OK);
    assert_int_equal(out, RECUR_ISA_AVX2);
    assert_int_equal(recur_dispatch_choose("scalar", runnable, RECUR_ISA_AVX2, &out, msg,
                                           sizeof msg), RECUR_OK);
    assert_int_equal(out, RECUR_ISA_SCALAR);
    assert_int_equal(recur_dispatch_choose("avx512", runnable, RECUR_ISA_AVX2, &out, msg,
                                           sizeof msg), RECUR_ERR_ISA);
    assert_non_null(strstr(msg, "avx512"));
    assert_non_null(strstr(msg, "best here: avx2"));
    assert_int_equal(recur_dispatch_choose("sse9", runnable, RECUR_ISA_AVX2, &out, msg,
                                           sizeof msg), RECUR_ERR_ISA);
    assert_non_null(strstr(msg, "not one of"));
}

static void test_force_and_names(void **state)
{
    (void)state;
    recur_isa isa, before;
    if (recur_isa_active(&before) != RECUR_OK)
        skip();   /* RECUR_ISA is deliberately impossible in this run */
    assert_int_equal(recur_isa_force(RECUR_ISA_SCALAR), RECUR_OK);
    assert_string_equal(recur_isa_name(), "scalar");
    for (int i = 0; i < RECUR_ISA_COUNT; i++)
        if (!recur_isa_supported((recur_isa)i)) {
            assert_int_equal(recur_isa_force((recur_isa)i), RECUR_ERR_ISA);
            assert_true(strlen(recur_last_error()) > 0);
        }
    assert_int_equal(recur_isa_force(before), RECUR_OK);
    assert_int_equal(recur_isa_from_name("avx2", &isa), RECUR_OK);
    assert_int_equal(isa, RECUR_ISA_AVX2);
    assert_int_equal(recur_isa_from_name("AVX2", &isa), RECUR_ERR_ARGUMENT);
    assert_string_equal(recur_isa_to_name((recur_isa)99), "unknown");
    assert_int_equal(recur_isa_force((recur_isa)99), RECUR_ERR_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_have_no_empty_slot),
        cmocka_unit_test(test_active_isa_matches_env),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_force_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
