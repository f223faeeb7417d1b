/* recur — Keras-style models: Sequential, compile, fit, evaluate, predict, save and load.
 *
 *   recur_model *m;
 *   recur_model_create(100, 1, &m);                      // input_shape = (100, 1)
 *   recur_rnn_opts lstm = { .activation = RECUR_ACT_RELU };
 *   recur_model_add_lstm(m, 50, &lstm);
 *   recur_model_add_dense(m, 1, RECUR_ACT_SIGMOID);
 *   recur_compile_opts c = { .optimizer = RECUR_ADAM, .loss = RECUR_LOSS_BINARY_CROSSENTROPY,
 *                            .metrics = RECUR_METRIC_ACCURACY };
 *   recur_model_compile(m, &c);
 *   recur_fit_opts f = { .epochs = 10, .batch_size = 32, .verbose = 1 };
 *   recur_model_fit(m, x, y, n, &f);
 *
 * Behaviour follows Keras 3 with the TensorFlow backend: initializers, optimizer update
 * rules and defaults, loss reductions, cross-entropy computed from the logits when the last
 * layer is a sigmoid/softmax Dense, "accuracy" resolved as Keras resolves it. */
#ifndef RECUR_MODEL_H
#define RECUR_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <recur/export.h>
#include <recur/rnn.h>
#include <recur/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct recur_model recur_model;

/* An empty Sequential model for inputs of shape (timesteps, features). */
RECUR_API recur_status recur_model_create(int timesteps, int features, recur_model **out);

typedef struct {                 /* zero-initialised = Keras defaults */
    recur_activation activation, recurrent_activation;
    bool return_sequences, go_backwards, no_bias, reset_before, no_unit_forget_bias;
} recur_rnn_opts;

/* o may be NULL for all defaults. A recurrent layer needs a sequence as input: it cannot
 * follow a recurrent layer without return_sequences. */
RECUR_API recur_status recur_model_add_simple_rnn(recur_model *m, int units, const recur_rnn_opts *o);
RECUR_API recur_status recur_model_add_lstm(recur_model *m, int units, const recur_rnn_opts *o);
RECUR_API recur_status recur_model_add_gru(recur_model *m, int units, const recur_rnn_opts *o);
/* Dense on a sequence applies to the last axis of every time step, as in Keras.
 * RECUR_ACT_DEFAULT means linear (Keras's Dense default). */
RECUR_API recur_status recur_model_add_dense(recur_model *m, int units, recur_activation activation);

typedef enum { RECUR_ADAM = 1, RECUR_SGD, RECUR_RMSPROP } recur_optimizer;
typedef enum {
    RECUR_LOSS_MSE = 1, RECUR_LOSS_MAE, RECUR_LOSS_BINARY_CROSSENTROPY,
    RECUR_LOSS_CATEGORICAL_CROSSENTROPY, RECUR_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
    RECUR_LOSS_HUBER
} recur_loss;

/* Metric bits; values come back from evaluate and fit in this bit order. */
enum {
    RECUR_METRIC_ACCURACY = 1u << 0,   /* binary, categorical or sparse, as Keras resolves it */
    RECUR_METRIC_MAE = 1u << 1,
    RECUR_METRIC_MSE = 1u << 2,
};
#define RECUR_MAX_METRICS 3

typedef struct {                 /* zero = Keras default for that optimizer */
    recur_optimizer optimizer; recur_loss loss;
    float learning_rate, beta_1, beta_2, epsilon, momentum, rho;
    bool nesterov; float clipnorm, clipvalue, global_clipnorm;
    unsigned metrics;            /* bit set, e.g. RECUR_METRIC_ACCURACY */
} recur_compile_opts;

/* Plans the model's memory (parameters, gradients, optimizer state) and, the first time,
 * initializes the weights (glorot_uniform kernels, orthogonal recurrent kernels, zero
 * biases, LSTM forget-gate bias 1) from the model's seed. Compiling again keeps the weights
 * and resets the optimizer, as in Keras. */
RECUR_API recur_status recur_model_compile(recur_model *m, const recur_compile_opts *o);
/* Seed of the weight initializers (default 0); call before compile. */
RECUR_API recur_status recur_model_set_seed(recur_model *m, unsigned long long seed);

/* One epoch's results, given to the epoch callback and kept in the history. */
typedef struct {
    int epoch;                    /* 0-based */
    float loss, val_loss;         /* val_loss is NaN without validation data */
    float metrics[RECUR_MAX_METRICS], val_metrics[RECUR_MAX_METRICS];
    int n_metrics;                /* in the order of the metric bits */
    double seconds;
} recur_epoch_log;

typedef struct {
    int epochs, batch_size;       /* defaults 1 and 32 */
    float validation_split; bool no_shuffle; unsigned long long seed; int verbose;
    /* Extensions beyond the Keras arguments, zero = off: */
    int (*on_epoch)(const recur_epoch_log *log, void *user);     /* non-zero stops fit */
    void (*on_batch)(int epoch, int batch, float loss, void *user);
    void *user;
    int patience;                 /* early stopping on val_loss (loss without validation) */
    float min_delta;
} recur_fit_opts;

/* x [n,T,F]; y [n,outputs...] (class indices as floats for sparse losses).
 * verbose: 0 silent, 1 progress bar on a terminal (one line per epoch otherwise), 2 one line
 * per epoch. Writes to stderr. */
RECUR_API recur_status recur_model_fit(recur_model *m, const float *x, const float *y, int n,
                                       const recur_fit_opts *o);
RECUR_API recur_status recur_model_predict(recur_model *m, const float *x, int n, float *y);
/* metrics: one value per metric bit set at compile (may be NULL). */
RECUR_API recur_status recur_model_evaluate(recur_model *m, const float *x, const float *y, int n,
                                            float *loss, float *metrics);

/* Epochs recorded by the last fit (and the logs themselves). */
RECUR_API int recur_model_history_length(const recur_model *m);
RECUR_API recur_status recur_model_history(const recur_model *m, int epoch, recur_epoch_log *log);

/* Output shape per sample: steps (0 when the output has no time axis) and features. */
RECUR_API recur_status recur_model_output_shape(const recur_model *m, int *steps, int *features);
RECUR_API int recur_model_num_layers(const recur_model *m);
/* One line per layer as model.summary() prints it, plus totals; written to buf (NUL-ended). */
RECUR_API recur_status recur_model_summary(const recur_model *m, char *buf, size_t size);
RECUR_API recur_status recur_model_set_num_threads(recur_model *m, int threads);

/* weights in Keras model.get_weights() order: per layer kernel, recurrent_kernel, bias */
RECUR_API int          recur_model_num_weights(const recur_model *m);
RECUR_API recur_status recur_model_weight_shape(const recur_model *m, int i, int *rank, int dims[2]);
RECUR_API recur_status recur_model_set_weight(recur_model *m, int i, const float *data, size_t count);
RECUR_API recur_status recur_model_get_weight(const recur_model *m, int i, float *data, size_t count);

/* Architecture, compile settings, weights and optimizer state, written atomically (temp file
 * + rename) with a checksum; see docs/model-format.md. */
RECUR_API recur_status recur_model_save(const recur_model *m, const char *path);
/* Free-form text saved with the model (e.g. how the command line scaled its data); at most
 * 1 MiB. NULL or "" clears it. recur_model_metadata never returns NULL. */
RECUR_API recur_status recur_model_set_metadata(recur_model *m, const char *text);
RECUR_API const char  *recur_model_metadata(const recur_model *m);
RECUR_API recur_status recur_model_load(const char *path, recur_model **out);
RECUR_API void         recur_model_free(recur_model *m);

#ifdef __cplusplus
}
#endif
#endif
