/* A program built against recur 0.1.0's headers (tests/abi/recur-0.1.0, copied unchanged
 * from that release), linked with today's library: the ABI policy of docs/ABI.md at work.
 * Its structs have 0.1's layouts and sizes; the library must read exactly those fields (a
 * field past them would be read from the caller's stack, which the sanitizer build
 * reports) and give the results 0.1 gave: the model of tools/gen_model_v1.c, trained the
 * same way, predicts what recur 0.1 predicted (tests/data/legacy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <recur/recur.h>

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "abi: " __VA_ARGS__); \
                              fprintf(stderr, " (%s)\n", recur_last_error()); return 1; } } while (0)

static int epochs_seen;
static int on_epoch(const recur_epoch_log *log, void *user)
{
    (void)user;
    epochs_seen += log->epoch == epochs_seen && isfinite(log->loss) && log->n_metrics == 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: test_abi_0_1 DATA_DIR\n"), 2;
    recur_rnn_config cfg = { .cell = RECUR_GRU, .input_size = 3, .units = 4,
                             .reset_before = true };
    recur_rnn *rnn;
    size_t nb;
    CHECK(recur_rnn_create(&cfg, &rnn) == RECUR_OK, "rnn_create");
    CHECK(recur_rnn_weight_counts(rnn, NULL, NULL, &nb) == RECUR_OK && nb == 12,
          "a reset_before GRU has one bias row of 12, got %zu", nb);
    recur_rnn_free(rnn);

    recur_model *m;
    CHECK(recur_model_create(6, 3, &m) == RECUR_OK, "model_create");
    recur_rnn_opts a = { .return_sequences = true, .reset_before = true };
    recur_rnn_opts b = { .return_sequences = true, .go_backwards = true, .no_bias = true,
                         .activation = RECUR_ACT_RELU };
    recur_rnn_opts c = { .recurrent_activation = RECUR_ACT_HARD_SIGMOID };
    CHECK(recur_model_add_gru(m, 7, &a) == RECUR_OK, "add_gru");
    CHECK(recur_model_add_simple_rnn(m, 4, &b) == RECUR_OK, "add_simple_rnn");
    CHECK(recur_model_add_lstm(m, 5, &c) == RECUR_OK, "add_lstm");
    CHECK(recur_model_add_dense(m, 3, RECUR_ACT_SOFTMAX) == RECUR_OK, "add_dense");
    recur_model_set_seed(m, 42);
    recur_compile_opts co = { .optimizer = RECUR_ADAM,
                              .loss = RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
                              .metrics = RECUR_METRIC_ACCURACY, .clipnorm = 1.0f };
    CHECK(recur_model_compile(m, &co) == RECUR_OK, "compile");
    float x[20 * 18], y[20], p[60];
    for (int i = 0; i < 20 * 18; i++)
        x[i] = sinf(0.37f * i) * 0.8f;
    for (int i = 0; i < 20; i++)
        y[i] = (float)(i % 3);
    recur_fit_opts f = { .epochs = 3, .batch_size = 8, .seed = 3, .on_epoch = on_epoch };
    CHECK(recur_model_fit(m, x, y, 20, &f) == RECUR_OK, "fit");
    CHECK(epochs_seen == 3, "the epoch callback saw %d good logs of 3", epochs_seen);
    recur_epoch_log log;
    CHECK(recur_model_history(m, 2, &log) == RECUR_OK && log.epoch == 2 && log.n_metrics == 1,
          "history");
    CHECK(recur_model_predict(m, x, 20, p) == RECUR_OK, "predict");

    char path[512];
    snprintf(path, sizeof path, "%s/legacy/model_v1_predictions.txt", argv[1]);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL, "cannot open %s", path);
    char line[256];
    CHECK(fgets(line, sizeof line, fp) != NULL, "read %s", path);
    for (int i = 0; i < 60; i++) {
        float want;
        CHECK(fscanf(fp, "%f", &want) == 1, "read %s", path);
        CHECK(fabsf(p[i] - want) <= 1e-5f, "prediction %d: %.9g, recur 0.1 gave %.9g", i,
              p[i], want);
    }
    fclose(fp);

    /* early stopping from 0.1's fit options: a learning rate too small to move the loss */
    recur_compile_opts slow = { .optimizer = RECUR_SGD, .loss = RECUR_LOSS_MSE,
                                .learning_rate = 1e-12f };
    recur_model *e;
    CHECK(recur_model_create(6, 3, &e) == RECUR_OK && recur_model_add_lstm(e, 2, NULL) == 0 &&
          recur_model_add_dense(e, 1, RECUR_ACT_DEFAULT) == 0 &&
          recur_model_compile(e, &slow) == RECUR_OK, "early-stopping model");
    recur_fit_opts es = { .epochs = 40, .batch_size = 5, .patience = 2, .min_delta = 1e-3f };
    CHECK(recur_model_fit(e, x, y, 20, &es) == RECUR_OK && recur_model_history_length(e) == 3,
          "patience 2 stops after 3 epochs, stopped after %d", recur_model_history_length(e));
    recur_model_free(e);
    recur_model_free(m);
    printf("abi: a program built with recur 0.1.0's headers runs unchanged\n");
    return 0;
}
