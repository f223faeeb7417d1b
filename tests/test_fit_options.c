/* recur_model_fit's validation data given apart from the training samples, its stop flag, its
 * batch logs, initial_epoch, a learning rate changed between fits or during one, and a copy
 * for another sequence length that trains on. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

/* validation_data gives what the same samples as a validation_split give; the stop flag ends
 * fit after the batch that set it, keeping the steps taken and the finished epochs. */
static void stop_after_five(int epoch, int batch, float loss, void *user)
{
    (void)loss;
    if (epoch == 1 && batch == 4)
        *(volatile int *)user = 1;
}

static void test_validation_data_and_stop(void **state)
{
    (void)state;
    float x[50 * 18], y[50 * 2];
    test_small_data(23, x, y);
    recur_epoch_log split_log[2], data_log[2];
    for (int run = 0; run < 2; run++) {
        recur_model *m = test_small_model();
        recur_fit_opts f = { .epochs = 2, .batch_size = 8, .seed = 5 };
        if (run == 0)
            f.validation_split = 0.2f;   /* the last 10 samples, as Keras takes them */
        else
            f.validation_x = x + 40 * 18, f.validation_y = y + 40 * 2, f.validation_n = 10;
        assert_int_equal(recur_model_fit(m, x, y, run == 0 ? 50 : 40, &f), RECUR_OK);
        for (int e = 0; e < 2; e++)
            assert_int_equal(recur_model_history(m, e, run ? &data_log[e] : &split_log[e]),
                             RECUR_OK);
        if (run == 1) {
            f.validation_split = 0.5f;
            expect_error(recur_model_fit(m, x, y, 40, &f), RECUR_ERR_ARGUMENT, "not both");
            f.validation_split = 0;
            f.validation_y = NULL;
            expect_error(recur_model_fit(m, x, y, 40, &f), RECUR_ERR_ARGUMENT, "validation_y");
        }
        recur_model_free(m);
    }
    for (int e = 0; e < 2; e++) {
        assert_true(isfinite(split_log[e].val_loss));
        assert_float_equal(split_log[e].loss, data_log[e].loss, 0);
        assert_float_equal(split_log[e].val_loss, data_log[e].val_loss, 0);
    }

    recur_model *m = test_small_model();
    volatile int stop = 0;
    recur_fit_opts f = { .epochs = 3, .batch_size = 8, .no_shuffle = true,
                         .on_batch = stop_after_five, .user = (void *)&stop, .stop = &stop };
    assert_int_equal(recur_model_fit(m, x, y, 50, &f), RECUR_OK);
    assert_int_equal(recur_model_history_length(m), 1);
    float after[4096], ref_w[4096];
    size_t n = test_model_weights(m, after, 4096);
    /* the same steps without the flag: one epoch, then the first five batches again */
    recur_model *ref = test_small_model();
    recur_fit_opts one = { .epochs = 1, .batch_size = 8, .no_shuffle = true };
    assert_int_equal(recur_model_fit(ref, x, y, 50, &one), RECUR_OK);
    assert_int_equal(recur_model_fit(ref, x, y, 40, &one), RECUR_OK);
    assert_int_equal(test_model_weights(ref, ref_w, 4096), n);
    assert_memory_equal(after, ref_w, n * sizeof(float));
    recur_model_free(ref);
    recur_model_free(m);
}

/* The batch logs run up to the epoch's log: the last one of an epoch is the epoch's. */
static void keep_last_log(const recur_batch_log *log, void *user)
{
    recur_batch_log *logs = user;
    logs[log->epoch] = *log;
}

static void test_batch_logs(void **state)
{
    (void)state;
    float x[50 * 18], y[50 * 2];
    test_small_data(29, x, y);
    recur_model *m = test_small_model();
    recur_batch_log last[2];
    recur_fit_opts f = { .epochs = 2, .batch_size = 16, .on_batch_log = keep_last_log,
                         .user = last };
    assert_int_equal(recur_model_fit(m, x, y, 50, &f), RECUR_OK);
    for (int e = 0; e < 2; e++) {
        recur_epoch_log log;
        assert_int_equal(recur_model_history(m, e, &log), RECUR_OK);
        assert_int_equal(last[e].batch, 3);          /* 16 + 16 + 16 + 2 */
        assert_int_equal(last[e].samples, 50);
        assert_int_equal(last[e].n_metrics, 1);
        assert_float_equal(last[e].loss, log.loss, 0);
        assert_float_equal(last[e].metrics[0], log.metrics[0], 0);
    }
    recur_model_free(m);
}

/* Two epochs, saved, loaded and resumed with initial_epoch = 2 up to epoch 4: the weights
 * and the last epochs' logs of four epochs in one call, bit for bit (shuffled: the orders
 * continue). */
static void test_initial_epoch_resumes(void **state)
{
    (void)state;
    float x[50 * 6 * 3], y[50 * 2], whole[4096], resumed[4096];
    test_small_data(11, x, y);
    recur_model *a = test_small_model(), *b = test_small_model(), *c;
    recur_fit_opts o = { .epochs = 4, .batch_size = 8, .seed = 3 };
    assert_int_equal(recur_model_fit(a, x, y, 50, &o), RECUR_OK);
    o.epochs = 2;
    assert_int_equal(recur_model_fit(b, x, y, 50, &o), RECUR_OK);
    const char *path = "test_initial_epoch.recur";
    assert_int_equal(recur_model_save(b, path), RECUR_OK);
    assert_int_equal(recur_model_load(path, &c), RECUR_OK);
    remove(path);
    o.epochs = 4, o.initial_epoch = 2;
    assert_int_equal(recur_model_fit(c, x, y, 50, &o), RECUR_OK);
    const size_t n = test_model_weights(a, whole, 4096);
    assert_int_equal(test_model_weights(c, resumed, 4096), n);
    assert_memory_equal(whole, resumed, n * sizeof(float));
    assert_int_equal(recur_model_history_length(c), 2);
    for (int e = 0; e < 2; e++) {
        recur_epoch_log la, lc;
        recur_model_history(a, 2 + e, &la);
        recur_model_history(c, e, &lc);
        assert_int_equal(lc.epoch, 2 + e);
        assert_memory_equal(&la.loss, &lc.loss, sizeof la.loss);
    }
    o.initial_epoch = -1;
    expect_error(recur_model_fit(c, x, y, 50, &o), RECUR_ERR_ARGUMENT, "initial_epoch");
    recur_model_free(a);
    recur_model_free(b);
    recur_model_free(c);
}

/* on_epoch: after the first epoch, the model (user) trains at 2e-3. */
static int lower_rate_after_first(const recur_epoch_log *log, void *user)
{
    recur_model **m = user;
    if (log->epoch == 0)
        assert_int_equal(recur_model_set_learning_rate(m[0], 2e-3f), RECUR_OK);
    return 0;
}

/* A rate set between fits trains as one compiled with it; set from fit's epoch callback, as
 * two fits with the rate set between them (the second resuming at epoch 1); it is what
 * get_compile_opts reports and what a saved model keeps; bad values and an uncompiled
 * model are refused. */
static void test_set_learning_rate(void **state)
{
    (void)state;
    float x[50 * 6 * 3], y[50 * 2], wa[4096], wb[4096];
    test_small_data(12, x, y);
    recur_model *a = test_small_model(), *b = test_small_model();
    recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_MSE,
                             .metrics = RECUR_METRIC_MAE, .learning_rate = 2e-3f };
    assert_int_equal(recur_model_compile(a, &c), RECUR_OK);
    assert_int_equal(recur_model_set_learning_rate(b, 2e-3f), RECUR_OK);
    recur_fit_opts o = { .epochs = 1, .batch_size = 8, .seed = 4 };
    assert_int_equal(recur_model_fit(a, x, y, 50, &o), RECUR_OK);
    assert_int_equal(recur_model_fit(b, x, y, 50, &o), RECUR_OK);
    size_t n = test_model_weights(a, wa, 4096);
    assert_int_equal(test_model_weights(b, wb, 4096), n);
    assert_memory_equal(wa, wb, n * sizeof(float));
    recur_model_free(a);
    recur_model_free(b);

    /* during fit: epoch 0 at Adam's default rate, epoch 1 at 2e-3 */
    a = test_small_model(), b = test_small_model();
    o.epochs = 2, o.on_epoch = lower_rate_after_first, o.user = &a;
    assert_int_equal(recur_model_fit(a, x, y, 50, &o), RECUR_OK);
    o.epochs = 1, o.on_epoch = NULL, o.user = NULL;
    assert_int_equal(recur_model_fit(b, x, y, 50, &o), RECUR_OK);
    assert_int_equal(recur_model_set_learning_rate(b, 2e-3f), RECUR_OK);
    o.epochs = 2, o.initial_epoch = 1;
    assert_int_equal(recur_model_fit(b, x, y, 50, &o), RECUR_OK);
    n = test_model_weights(a, wa, 4096);
    assert_int_equal(test_model_weights(b, wb, 4096), n);
    assert_memory_equal(wa, wb, n * sizeof(float));

    const char *path = "test_set_learning_rate.recur";
    assert_int_equal(recur_model_save(b, path), RECUR_OK);
    recur_model *back;
    assert_int_equal(recur_model_load(path, &back), RECUR_OK);
    remove(path);
    recur_compile_opts got;
    assert_int_equal(recur_model_get_compile_opts(back, &got), RECUR_OK);
    assert_true(got.learning_rate == 2e-3f);
    expect_error(recur_model_set_learning_rate(b, -1.0f), RECUR_ERR_ARGUMENT, ">= 0");
    expect_error(recur_model_set_learning_rate(b, NAN), RECUR_ERR_ARGUMENT, "finite");
    expect_error(recur_model_set_learning_rate(NULL, 0.1f), RECUR_ERR_ARGUMENT, "NULL");
    recur_model *raw;
    assert_int_equal(recur_model_create(6, 3, &raw), RECUR_OK);
    assert_int_equal(recur_model_add_dense(raw, 2, RECUR_ACT_DEFAULT), RECUR_OK);
    expect_error(recur_model_set_learning_rate(raw, 0.1f), RECUR_ERR_STATE, "not compiled");
    recur_model_free(raw);
    recur_model_free(back);
    recur_model_free(a);
    recur_model_free(b);
}

/* A copy for another length goes on training where the model left off: copied to the same
 * length it trains on as the original does, bit for bit (optimizer slots and step count
 * came along); at another length it predicts what a rebuild predicts; and copied there and
 * back it still trains as the original. */
static void test_with_timesteps(void **state)
{
    (void)state;
    float x[50 * 6 * 3], y[50 * 2], x9[50 * 9 * 3], wa[4096], wb[4096], p[50 * 2], q[50 * 2];
    test_small_data(13, x, y);
    for (int i = 0; i < 50 * 9 * 3; i++)
        x9[i] = x[i % (50 * 6 * 3)] * 0.5f;
    recur_model *a = test_small_model(), *same, *longer, *rebuilt, *back;
    recur_fit_opts o = { .epochs = 1, .batch_size = 8, .seed = 5 };
    assert_int_equal(recur_model_fit(a, x, y, 50, &o), RECUR_OK);
    assert_int_equal(recur_model_with_timesteps(a, 6, &same), RECUR_OK);
    assert_int_equal(recur_model_with_timesteps(a, 9, &longer), RECUR_OK);
    assert_int_equal(recur_model_rebuild(a, 9, false, &rebuilt), RECUR_OK);
    assert_int_equal(recur_model_predict(longer, x9, 50, p), RECUR_OK);
    assert_int_equal(recur_model_predict(rebuilt, x9, 50, q), RECUR_OK);
    assert_memory_equal(p, q, sizeof p);
    assert_int_equal(recur_model_with_timesteps(longer, 6, &back), RECUR_OK);
    o.seed = 6;
    recur_model *trained[] = { a, same, back };
    for (int i = 0; i < 3; i++)
        assert_int_equal(recur_model_fit(trained[i], x, y, 50, &o), RECUR_OK);
    const size_t n = test_model_weights(a, wa, 4096);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(test_model_weights(trained[i], wb, 4096), n);
        assert_memory_equal(wa, wb, n * sizeof(float));
    }
    recur_model *none = (recur_model *)1;
    expect_error(recur_model_with_timesteps(a, 0, &none), RECUR_ERR_ARGUMENT, "");
    assert_null(none);
    expect_error(recur_model_with_timesteps(NULL, 4, &none), RECUR_ERR_ARGUMENT, "NULL");
    recur_model *models[] = { a, same, longer, rebuilt, back };
    for (int i = 0; i < 5; i++)
        recur_model_free(models[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation_data_and_stop),
        cmocka_unit_test(test_batch_logs),
        cmocka_unit_test(test_initial_epoch_resumes),
        cmocka_unit_test(test_set_learning_rate),
        cmocka_unit_test(test_with_timesteps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
