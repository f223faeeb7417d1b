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
 * rules and defaults, loss reductions, every cross-entropy computed from the logits when
 * the last layer is a sigmoid or softmax Dense, "accuracy" resolved from the shapes as
 * Keras resolves it, masks (Embedding with mask_zero, Masking) carried to the recurrent
 * layers and to the loss and metrics, and an Embedding's gradient taken per occurrence of
 * a token by the optimizers, as Keras's TensorFlow optimizers take its slices. */
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

/* Zero-initialised = Keras defaults. The option structs only grow at the end; each call
 * that takes one passes the size this header gives it (docs/ABI.md). */
typedef struct {
    recur_activation activation, recurrent_activation;
    bool return_sequences, go_backwards, no_bias, reset_before, no_unit_forget_bias;
    /* since 0.2 */
    bool zero_output_for_mask;   /* Keras RNN(zero_output_for_mask=True) */
    /* Keras's rates, in [0, 1), applied in training only: the input (dropout) and the
     * previous state (recurrent_dropout) are multiplied by masks drawn once per batch and
     * held for every step. As Keras 3's cells: one input mask without recurrent_dropout;
     * with it, a mask of each per gate (LSTM 4, GRU 3) for the input and for the state. */
    float dropout, recurrent_dropout;
    /* Keras stateful=True: each batch row's last states are the next call's initial states
     * of that row, until recur_model_reset_states; the batch size is then fixed. */
    bool stateful;
} recur_rnn_opts;

/* o may be NULL for all defaults. A recurrent layer needs a sequence as input: it cannot
 * follow a recurrent layer without return_sequences. Behind a mask (Embedding with
 * mask_zero, Masking) it skips the masked steps; with return_sequences it passes the mask
 * on, without it its output is the last real step's. */
RECUR_API recur_status recur_model_add_simple_rnn_sized(recur_model *m, int units,
                                                        const recur_rnn_opts *o, size_t o_size);
RECUR_API recur_status recur_model_add_lstm_sized(recur_model *m, int units,
                                                  const recur_rnn_opts *o, size_t o_size);
RECUR_API recur_status recur_model_add_gru_sized(recur_model *m, int units,
                                                 const recur_rnn_opts *o, size_t o_size);
#define recur_model_add_simple_rnn(m, units, o) \
    recur_model_add_simple_rnn_sized((m), (units), (o), sizeof(recur_rnn_opts))
#define recur_model_add_lstm(m, units, o) \
    recur_model_add_lstm_sized((m), (units), (o), sizeof(recur_rnn_opts))
#define recur_model_add_gru(m, units, o) \
    recur_model_add_gru_sized((m), (units), (o), sizeof(recur_rnn_opts))
/* Dense on a sequence applies to the last axis of every time step, as in Keras, and
 * passes the mask on. RECUR_ACT_DEFAULT means linear (Keras's Dense default). */
RECUR_API recur_status recur_model_add_dense(recur_model *m, int units, recur_activation activation);

/* First layer only, in a model made with recur_model_create(T, 1, &m): inputs are token ids
 * stored as floats holding whole numbers in [0, input_dim); anything else is
 * RECUR_ERR_ARGUMENT naming the sample and step. mask_zero: id 0 is padding and produces the
 * mask. Keras Embedding: embeddings [input_dim, output_dim], uniform(-0.05, 0.05). */
RECUR_API recur_status recur_model_add_embedding(recur_model *m, int input_dim, int output_dim,
                                                 bool mask_zero);
/* Keras Masking: a step whose features all equal mask_value is masked (and zeroed). */
RECUR_API recur_status recur_model_add_masking(recur_model *m, float mask_value);
/* Keras Dropout(rate), rate in [0, 1): in training every element is zeroed with
 * probability rate and the rest scaled by 1 / (1 − rate), a fresh draw per element and per
 * step; in predict and evaluate it is the identity. Masks pass through. The draws come from
 * the model's seed (recur_model_set_seed), the optimizer step and the layer's position, so
 * a run is reproducible bit for bit at any thread count. */
RECUR_API recur_status recur_model_add_dropout(recur_model *m, float rate);

/* Keras Bidirectional(layer, merge_mode): a forward and a backward copy of the cell. */
typedef enum { RECUR_MERGE_CONCAT = 0, RECUR_MERGE_SUM, RECUR_MERGE_MUL, RECUR_MERGE_AVE } recur_merge_mode;
/* The backward copy reads each sequence from its end (under a mask, its real steps from
 * the last); with return_sequences its outputs are put back in time order and, as Keras
 * sets it, masked steps output zeros in both copies. Concat puts the forward half first.
 * Weights in get_weights() order: the forward copy's, then the backward copy's. o as for
 * recur_model_add_lstm (go_backwards must be false; stateful applies to both copies).
 * The copies run side by side, each on its share of the model's threads. */
RECUR_API recur_status recur_model_add_bidirectional_sized(recur_model *m, recur_cell cell,
                                                           int units, const recur_rnn_opts *o,
                                                           recur_merge_mode merge,
                                                           size_t o_size);
#define recur_model_add_bidirectional(m, cell, units, o, merge) \
    recur_model_add_bidirectional_sized((m), (cell), (units), (o), (merge), sizeof(recur_rnn_opts))

/* Keras GlobalAveragePooling1D: the mean over the real steps (over all steps without a
 * mask); consumes the mask. */
RECUR_API recur_status recur_model_add_global_average_pooling1d(recur_model *m);
/* Keras GlobalMaxPooling1D: the maximum over every step. Like Keras's it does not support
 * masking: masked steps take part, and the mask ends here. */
RECUR_API recur_status recur_model_add_global_max_pooling1d(recur_model *m);

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

typedef struct {                 /* zero = Keras default for that optimizer; grows at the end */
    recur_optimizer optimizer; recur_loss loss;
    float learning_rate, beta_1, beta_2, epsilon, momentum, rho;
    bool nesterov; float clipnorm, clipvalue, global_clipnorm;
    unsigned metrics;            /* bit set, e.g. RECUR_METRIC_ACCURACY */
} recur_compile_opts;

/* Plans the model's memory (parameters, gradients, optimizer state) and, the first time,
 * initializes the weights (glorot_uniform kernels, orthogonal recurrent kernels, zero
 * biases, LSTM forget-gate bias 1) from the model's seed. Compiling again keeps the weights
 * and resets the optimizer, as in Keras. */
RECUR_API recur_status recur_model_compile_sized(recur_model *m, const recur_compile_opts *o,
                                                 size_t o_size);
#define recur_model_compile(m, o) recur_model_compile_sized((m), (o), sizeof(recur_compile_opts))
/* The compile settings in effect, every default resolved (a loaded model's too); an error
 * before compile. */
RECUR_API recur_status recur_model_get_compile_opts_sized(const recur_model *m,
                                                          recur_compile_opts *o,
                                                          size_t o_size);
#define recur_model_get_compile_opts(m, o) \
    recur_model_get_compile_opts_sized((m), (o), sizeof(recur_compile_opts))
/* The optimizer's learning rate from the next step on, as assigning Keras's
 * optimizer.learning_rate: compile's other settings and the optimizer state stay; finite
 * and >= 0; allowed from fit's callbacks, between batches; saved with the model. Every
 * process training one model (recur_model_set_collective) must set the same value. */
RECUR_API recur_status recur_model_set_learning_rate(recur_model *m, float learning_rate);
/* Seed of the weight initializers (default 0); call before compile. */
RECUR_API recur_status recur_model_set_seed(recur_model *m, unsigned long long seed);

/* One epoch's results, given to the epoch callback and kept in the history. Grows at the
 * end: a callback reads the fields it knows. */
typedef struct {
    int epoch;                    /* 0-based */
    float loss, val_loss;         /* val_loss is NaN without validation data */
    float metrics[RECUR_MAX_METRICS], val_metrics[RECUR_MAX_METRICS];
    int n_metrics;                /* in the order of the metric bits */
    double seconds;
} recur_epoch_log;

/* The epoch so far, after each batch (Keras's batch logs): the means over the batches done.
 * Grows at the end. */
typedef struct {
    int epoch, batch;             /* 0-based */
    float loss;                   /* mean loss per sample over the epoch's batches so far */
    float metrics[RECUR_MAX_METRICS];
    int n_metrics;                /* in the order of the metric bits */
    int samples;                  /* samples trained on this epoch */
} recur_batch_log;

typedef struct {                  /* grows at the end */
    int epochs, batch_size;       /* defaults 1 and 32 */
    float validation_split; bool no_shuffle; unsigned long long seed; int verbose;
    /* Extensions beyond the Keras arguments, zero = off: */
    int (*on_epoch)(const recur_epoch_log *log, void *user);     /* non-zero stops fit */
    void (*on_batch)(int epoch, int batch, float loss, void *user);
    void *user;
    int patience;                 /* early stopping on val_loss (loss without validation) */
    float min_delta;
    /* since 0.2 */
    /* Keras's validation_data: validation_n samples [validation_n,T,F] and their targets,
     * evaluated after every epoch in place of a validation_split (which must then be 0). */
    const float *validation_x, *validation_y;
    int validation_n;
    /* When *stop becomes non-zero (a signal handler or on_batch may set it), fit returns
     * RECUR_OK after the current batch: the model keeps every step taken, the history the
     * epochs completed. A model trained by several processes (recur/collective.h) learns
     * of it with the next batch's sums, and every process stops after that batch. */
    const volatile int *stop;
    /* After each batch, with on_batch: the running loss and metrics. */
    void (*on_batch_log)(const recur_batch_log *log, void *user);
    /* Keras's initial_epoch: the epochs before it were trained already (a resumed
     * checkpoint), so fit runs epochs initial_epoch .. epochs-1, numbers them so, and
     * shuffles each as the uninterrupted run would have. */
    int initial_epoch;
} recur_fit_opts;

/* x [n,T,F]; y [n,outputs...] (class indices as floats for sparse losses).
 * verbose: 0 silent, 1 progress bar on a terminal (one line per epoch otherwise), 2 one line
 * per epoch. Writes to stderr. */
RECUR_API recur_status recur_model_fit_sized(recur_model *m, const float *x, const float *y,
                                             int n, const recur_fit_opts *o, size_t o_size);
#define recur_model_fit(m, x, y, n, o) \
    recur_model_fit_sized((m), (x), (y), (n), (o), sizeof(recur_fit_opts))
/* Predictions in batches of 32 rows, as Keras's default; y [n, outputs...]. */
RECUR_API recur_status recur_model_predict(recur_model *m, const float *x, int n, float *y);
/* metrics: one value per metric bit set at compile (may be NULL). Batches of 32 rows. */
RECUR_API recur_status recur_model_evaluate(recur_model *m, const float *x, const float *y, int n,
                                            float *loss, float *metrics);
/* The same with Keras's batch_size argument (0 = 32). Every row's output is the same, bit
 * for bit, at any batch size. */
RECUR_API recur_status recur_model_predict_in_batches(recur_model *m, const float *x, int n,
                                                      int batch_size, float *y);
RECUR_API recur_status recur_model_evaluate_in_batches(recur_model *m, const float *x,
                                                       const float *y, int n, int batch_size,
                                                       float *loss, float *metrics);

/* For code that drives training itself (fit is a loop over these two):
 * recur_model_train_step zeroes the gradients, runs forward, the loss and backward on one
 * batch (x [batch,T,F], y as for fit) and leaves every gradient in the model's gradient
 * block; recur_model_apply_gradients then clips them and takes one optimizer step (and
 * repacks what the layers derive from their weights). Between the two the block may be
 * read or changed, e.g. summed across processes. loss may be NULL. */
RECUR_API recur_status recur_model_train_step(recur_model *m, const float *x, const float *y,
                                              int batch, float *loss);
RECUR_API recur_status recur_model_apply_gradients(recur_model *m);
/* The gradient block: every weight's gradient in get_weights() order, each starting on a
 * 64-byte boundary (padding floats are zero and stay zero), then for each Embedding the
 * sums of its gradient's squares per occurrence (which Keras's TensorFlow optimizers use
 * for their second moments). Everything in it is a sum over the batch's samples, so sums
 * across processes add it as a whole. Valid from compile until free. */
RECUR_API recur_status recur_model_gradient_block(recur_model *m, float **grads, size_t *count);
/* Weight i's gradient from the last train step, in the layout of the weight. */
RECUR_API recur_status recur_model_get_gradient(const recur_model *m, int i, float *data,
                                                size_t count);

/* Epochs recorded by the last fit (and the logs themselves). */
RECUR_API int recur_model_history_length(const recur_model *m);
RECUR_API recur_status recur_model_history_sized(const recur_model *m, int epoch,
                                                 recur_epoch_log *log, size_t log_size);
#define recur_model_history(m, epoch, log) \
    recur_model_history_sized((m), (epoch), (log), sizeof(recur_epoch_log))

/* Output shape per sample: steps (0 when the output has no time axis) and features. */
RECUR_API recur_status recur_model_output_shape(const recur_model *m, int *steps, int *features);
/* Input shape per sample, as made: timesteps and features (1 for token ids). */
RECUR_API recur_status recur_model_input_shape(const recur_model *m, int *timesteps,
                                               int *features);
RECUR_API int recur_model_num_layers(const recur_model *m);
/* Keras 3's model.summary() table (UTF-8 box drawing): the model's and layers' names (a
 * Keras file's own, or Keras's defaults), output shapes and parameters, then the totals, and
 * the optimizer's variables once it has taken a step; written to buf (NUL-ended). A row
 * takes about 250 bytes, so 4 KiB holds ten layers; too small a buffer is an error that
 * names the size needed. */
RECUR_API recur_status recur_model_summary(const recur_model *m, char *buf, size_t size);
RECUR_API recur_status recur_model_set_num_threads(recur_model *m, int threads);
/* A copy of m's layers and weights (not its optimizer state or carried states) for inputs
 * of `timesteps` steps, every recurrent layer stateful or not as `stateful` says: Keras's
 * recipe for running a trained model one step at a time (the same layers with
 * stateful=True, then set_weights), e.g. to generate text, or for scoring a stateful
 * model's samples independently. The copy has m's seed, threads, compile settings and
 * metadata. */
RECUR_API recur_status recur_model_rebuild(const recur_model *m, int timesteps, bool stateful,
                                           recur_model **out);
/* A copy of m for inputs of `timesteps` steps that goes on training where m left off: its
 * weights, optimizer state and step count too (not its carried states or history) — a
 * Keras model whose input length is left open (input_shape=(None, features)), given
 * sequences of another length. Not for a model trained by several processes. */
RECUR_API recur_status recur_model_with_timesteps(const recur_model *m, int timesteps,
                                                  recur_model **out);
/* Keras's input length None (Input(shape=(None, features))): the model still runs the
 * `timesteps` it was made for — recur_model_with_timesteps gives a copy for another length —
 * but Keras files and recur files record the length as open, and a Keras file with an open
 * length loads as such, made for one step. */
RECUR_API recur_status recur_model_set_length_open(recur_model *m, bool open);
RECUR_API bool recur_model_length_open(const recur_model *m);
/* The model's name (layer -1) or layer `layer`'s, as summary and Keras files show them
 * ("" = Keras's default: sequential, lstm, lstm_1, ...). Letters, digits, '_', '-', '.';
 * at most 63 bytes. */
RECUR_API recur_status recur_model_set_name(recur_model *m, int layer, const char *name);
/* Keras's reset_states on every layer: the stateful layers start again from zero states. */
RECUR_API recur_status recur_model_reset_states(recur_model *m);

/* weights in Keras model.get_weights() order: per layer its weights in Keras's order
 * (recurrent: kernel, recurrent_kernel, bias; Dense: kernel, bias; Embedding: embeddings) */
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
/* A recur model file, or a Keras file (recognised by its zip or HDF5 signature, whatever its
 * name): then the same as recur_model_load_keras. */
RECUR_API recur_status recur_model_load(const char *path, recur_model **out);
RECUR_API void         recur_model_free(recur_model *m);

#ifdef __cplusplus
}
#endif
#endif
