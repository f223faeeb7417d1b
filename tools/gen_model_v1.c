/* Wrote tests/data/legacy/model_v1.recur and its predictions with recur 0.1 (commit
 * 3f23e8b, model format version 1), so the tests can check that old files still load.
 * Built against that commit:
 *   gcc -O2 gen_model_v1.c -Iinclude build/librecur.a -lsleef -lm -fopenmp -o gen_v1
 *   ./gen_v1 model_v1.recur model_v1_predictions.txt
 * Built against a later version it writes that version's format instead. */
#include <stdio.h>
#include <math.h>
#include <recur/recur.h>
int main(int argc, char **argv)
{
    recur_model *m;
    recur_model_create(6, 3, &m);
    recur_rnn_opts a = { .return_sequences = true, .reset_before = true };
    recur_rnn_opts b = { .return_sequences = true, .go_backwards = true, .no_bias = true,
                         .activation = RECUR_ACT_RELU };
    recur_rnn_opts c = { .recurrent_activation = RECUR_ACT_HARD_SIGMOID };
    recur_model_add_gru(m, 7, &a);
    recur_model_add_simple_rnn(m, 4, &b);
    recur_model_add_lstm(m, 5, &c);
    recur_model_add_dense(m, 3, RECUR_ACT_SOFTMAX);
    recur_model_set_seed(m, 42);
    recur_compile_opts co = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
                              .metrics = RECUR_METRIC_ACCURACY, .clipnorm = 1.0f };
    if (recur_model_compile(m, &co)) return 1;
    float x[20 * 18], y[20];
    for (int i = 0; i < 20 * 18; i++) x[i] = sinf(0.37f * i) * 0.8f;
    for (int i = 0; i < 20; i++) y[i] = (float)(i % 3);
    recur_fit_opts f = { .epochs = 3, .batch_size = 8, .seed = 3 };
    if (recur_model_fit(m, x, y, 20, &f)) return 1;
    recur_model_set_metadata(m, "written by recur 0.1.0 (format version 1)\n");
    if (recur_model_save(m, argv[1])) { fprintf(stderr, "%s\n", recur_last_error()); return 1; }
    float p[20 * 3];
    recur_model_predict(m, x, 20, p);
    FILE *o = fopen(argv[2], "w");
    fprintf(o, "# x [20, 6, 3] = 0.8 sin(0.37 i); predictions [20, 3] of model_v1.recur\n");
    for (int i = 0; i < 60; i++) fprintf(o, "%.9g\n", p[i]);
    fclose(o);
    printf("iterations done; ok\n");
    return 0;
}
