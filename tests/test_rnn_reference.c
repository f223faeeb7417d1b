/* Recurrent layers against reference values computed independently in float64 by PyTorch
 * (tools/gen_rnn_reference.py → tests/data/rnn_reference.txt): PyTorch's own nn.LSTM,
 * nn.GRU and nn.RNN where they express the Keras cell, the Keras formulas otherwise.
 * Forward outputs, last states, and every gradient, on every ISA this machine runs.
 *
 * Tolerance |got − want| ≤ 5e-6·(1 + |want|) + 1e-6·scale, where scale is the largest
 * |value| of that array: float32 arithmetic with K-term sums (K ≤ F·T·B ≈ 1000) carries
 * relative error ~K·6e-8 on the sums that form gradients; the worst seen is 6e-7 (the test
 * prints it); a formula error is O(0.1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define MAX_ARRAYS 24

typedef struct {
    char name[64], source[16];
    recur_rnn_config cfg;
    int B, T, has_h0, has_c0;
    int n_arrays;
    char names[MAX_ARRAYS][64];
    size_t counts[MAX_ARRAYS];
    double *values[MAX_ARRAYS];
} ref_case;

static recur_activation parse_act(const char *s)
{
    const char *names[] = { "", "tanh", "sigmoid", "relu", "linear", "hard_sigmoid" };
    for (int i = 1; i < 6; i++)
        if (strcmp(s, names[i]) == 0)
            return (recur_activation)i;
    fail_msg("unknown activation %s in the reference file", s);
    return RECUR_ACT_DEFAULT;
}

static const double *arr(const ref_case *c, const char *name, size_t want_count)
{
    for (int i = 0; i < c->n_arrays; i++)
        if (strcmp(c->names[i], name) == 0) {
            if (c->counts[i] != want_count)
                fail_msg("%s: %s has %zu values, expected %zu", c->name, name, c->counts[i],
                         want_count);
            return c->values[i];
        }
    fail_msg("%s: no array %s", c->name, name);
    return NULL;
}

static float *to_float(const double *v, size_t n)
{
    float *f = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        f[i] = (float)v[i];
    return f;
}

/* Read the next case; 0 at end of file. */
static int read_case(FILE *fp, ref_case *c)
{
    char word[64];
    memset(c, 0, sizeof *c);
    while (fscanf(fp, "%63s", word) == 1) {
        if (word[0] == '#') {
            int ch;
            while ((ch = fgetc(fp)) != '\n' && ch != EOF) {
            }
            continue;
        }
        if (strcmp(word, "case") == 0) {
            assert_int_equal(fscanf(fp, "%63s", c->name), 1);
        } else if (strcmp(word, "config") == 0) {
            char cell[16], act[16], ract[16];
            int nb, rb, gb, F, H;
            assert_int_equal(fscanf(fp, "%15s %15s %15s %d %d %d %d %d %d %d %d %d %15s", cell,
                                    act, ract, &nb, &rb, &gb, &c->B, &c->T, &F, &H, &c->has_h0,
                                    &c->has_c0, c->source), 13);
            c->cfg.cell = strcmp(cell, "lstm") == 0 ? RECUR_LSTM
                          : strcmp(cell, "gru") == 0 ? RECUR_GRU : RECUR_SIMPLE_RNN;
            c->cfg.activation = parse_act(act);
            c->cfg.recurrent_activation = parse_act(ract);
            c->cfg.no_bias = nb;
            c->cfg.reset_before = rb;
            c->cfg.go_backwards = gb;
            c->cfg.input_size = F;
            c->cfg.units = H;
        } else if (strcmp(word, "end") == 0) {
            return 1;
        } else {
            assert_true(c->n_arrays < MAX_ARRAYS);
            int i = c->n_arrays++;
            snprintf(c->names[i], sizeof c->names[i], "%s", word);
            assert_int_equal(fscanf(fp, "%zu", &c->counts[i]), 1);
            c->values[i] = malloc((c->counts[i] ? c->counts[i] : 1) * sizeof(double));
            for (size_t k = 0; k < c->counts[i]; k++)
                assert_int_equal(fscanf(fp, "%lf", &c->values[i][k]), 1);
        }
    }
    return 0;
}

static void free_case(ref_case *c)
{
    for (int i = 0; i < c->n_arrays; i++)
        free(c->values[i]);
}

static double worst;   /* largest |got − want| / (1 + |want|) seen, reported at the end */

static void compare(const ref_case *c, const char *isa, const char *what, const float *got,
                    const double *want, size_t n)
{
    double scale = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double tol = 5e-6 * (1 + fabs(want[i])) + 1e-6 * scale;
        worst = fmax(worst, fabs(got[i] - want[i]) / (1 + fabs(want[i])));
        if (!(fabs(got[i] - want[i]) <= tol))
            fail_msg("%s [%s, %s]: %s[%zu] = %.9g, reference %.9g", c->name, isa, c->source,
                     what, i, got[i], want[i]);
    }
}

static void run_case(const ref_case *c, const char *isa)
{
    const recur_rnn_config *cfg = &c->cfg;
    const int B = c->B, T = c->T, F = cfg->input_size, H = cfg->units;
    const bool lstm = cfg->cell == RECUR_LSTM;
    recur_rnn *rnn = NULL;
    assert_int_equal(recur_rnn_create(cfg, &rnn), RECUR_OK);
    size_t nk, nu, nb;
    recur_rnn_weight_counts(rnn, &nk, &nu, &nb);
    const size_t nx = (size_t)B * T * F, ns = (size_t)B * H, ny = (size_t)B * T * H;
    float *x = to_float(arr(c, "x", nx), nx), *h0 = to_float(arr(c, "h0", ns), ns);
    float *c0 = to_float(arr(c, "c0", ns), ns);
    float *k = to_float(arr(c, "kernel", nk), nk);
    float *u = to_float(arr(c, "recurrent_kernel", nu), nu);
    float *b = to_float(arr(c, "bias", nb), nb);
    float *wy = to_float(arr(c, "wy", ny), ny), *wh = to_float(arr(c, "wh", ns), ns);
    float *wc = to_float(arr(c, "wc", ns), ns);
    assert_int_equal(recur_rnn_set_weights(rnn, k, u, nb ? b : NULL), RECUR_OK);

    float *y = malloc(ny * 4), *hl = malloc(ns * 4), *cl = malloc(ns * 4);
    assert_int_equal(recur_rnn_forward(rnn, B, T, x, c->has_h0 ? h0 : NULL,
                                       lstm && c->has_c0 ? c0 : NULL, y, hl, lstm ? cl : NULL),
                     RECUR_OK);
    compare(c, isa, "y", y, arr(c, "y", ny), ny);
    compare(c, isa, "h_last", hl, arr(c, "h_last", ns), ns);
    if (lstm)
        compare(c, isa, "c_last", cl, arr(c, "c_last", ns), ns);

    float *dx = malloc(nx * 4), *dh0 = malloc(ns * 4), *dc0 = malloc(ns * 4);
    float *dk = malloc(nk * 4), *du = malloc(nu * 4), *db = malloc((nb ? nb : 1) * 4);
    /* gradients accumulate: start from a known non-zero value, then subtract it */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            assert_int_equal(recur_rnn_forward(rnn, B, T, x, c->has_h0 ? h0 : NULL,
                                               lstm && c->has_c0 ? c0 : NULL, NULL, NULL, NULL),
                             RECUR_OK);
        else
            assert_int_equal(recur_rnn_zero_grads(rnn), RECUR_OK);
        assert_int_equal(recur_rnn_backward(rnn, wy, wh, lstm ? wc : NULL, dx, dh0,
                                            lstm ? dc0 : NULL), RECUR_OK);
    }
    assert_int_equal(recur_rnn_get_grads(rnn, dk, du, nb ? db : NULL), RECUR_OK);
    for (size_t i = 0; i < nk; i++) dk[i] *= 0.5f;   /* two identical backward passes */
    for (size_t i = 0; i < nu; i++) du[i] *= 0.5f;
    for (size_t i = 0; i < nb; i++) db[i] *= 0.5f;
    compare(c, isa, "dx", dx, arr(c, "dx", nx), nx);
    compare(c, isa, "dh0", dh0, arr(c, "dh0", ns), ns);
    if (lstm)
        compare(c, isa, "dc0", dc0, arr(c, "dc0", ns), ns);
    compare(c, isa, "dkernel", dk, arr(c, "dkernel", nk), nk);
    compare(c, isa, "drecurrent_kernel", du, arr(c, "drecurrent_kernel", nu), nu);
    compare(c, isa, "dbias", db, arr(c, "dbias", nb), nb);

    float *all[] = { x, h0, c0, k, u, b, wy, wh, wc, y, hl, cl, dx, dh0, dc0, dk, du, db };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    recur_rnn_free(rnn);
}

static void test_against_pytorch(void **state)
{
    (void)state;
    recur_isa before;
    assert_int_equal(recur_isa_active(&before), RECUR_OK);
    int cases = 0;
    for (int isa = 0; isa < RECUR_ISA_COUNT; isa++) {
        if (!recur_isa_supported((recur_isa)isa))
            continue;
        assert_int_equal(recur_isa_force((recur_isa)isa), RECUR_OK);
        FILE *fp = fopen(RECUR_TEST_DATA_DIR "/rnn_reference.txt", "r");
        assert_non_null(fp);
        ref_case c;
        while (read_case(fp, &c)) {
            run_case(&c, recur_isa_to_name((recur_isa)isa));
            free_case(&c);
            cases++;
        }
        free_case(&c);
        fclose(fp);
    }
    assert_int_equal(recur_isa_force(before), RECUR_OK);
    printf("checked %d case×ISA runs against PyTorch float64; worst |error|/(1+|ref|) = %.2e\n",
           cases, worst);
    assert_true(cases >= 19);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_against_pytorch) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
