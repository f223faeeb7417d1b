/* The recur command line: shared declarations. */
#ifndef RECUR_CLI_H
#define RECUR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <recur/recur.h>

/* ---- arguments: --flag value pairs after the subcommand ---- */
typedef struct {
    int argc;
    char **argv;
    bool *used;
} cli_args;

/* The value of --name, or NULL. A flag given without a value is an error (returns false). */
bool arg_str(cli_args *a, const char *name, const char **out);
bool arg_int(cli_args *a, const char *name, int lo, int hi, int *out);
bool arg_float(cli_args *a, const char *name, double lo, double hi, double *out);
bool arg_flag(cli_args *a, const char *name);
/* After all lookups: complain about any flag nobody asked for. */
bool args_all_used(const cli_args *a);

/* Print "recur: message" to stderr (rank 0 only; cli_dist_finish reports the others');
 * returns 1 (the exit status of a failed command). The message stays in cli_last_error. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern char cli_last_error[512];

/* ---- under mpirun (dist.c; no_dist.c without MPI): one process of size ---- */
/* Joins MPI when started by mpirun; other ranks than 0 then write nothing to stdout. */
bool cli_dist_start(int *argc, char ***argv);
int cli_rank(void);
int cli_size(void);
/* For recur info: the MPI library built in, and how to use it; or that there is none. */
const char *cli_dist_description(void);
/* Makes m's fit and evaluate collective over every process (nothing when alone). */
bool cli_dist_attach(recur_model *m);
/* Whether every process is ok: call on every process before the first collective step, so
 * one that failed to prepare is never waited for. */
bool cli_dist_all_ok(bool ok);
/* The command's exit status on every process: the worst; rank 0 prints the first failed
 * process's message when it was another's. Leaves MPI. */
int cli_dist_finish(int rc);

/* ---- CSV ---- */
typedef struct {
    char *buf;          /* the file, fields NUL-terminated in place */
    char **cells;       /* rows × cols */
    int rows, cols;     /* data rows (header excluded) */
    char **header;
    const char *path;
} csv_table;

/* Reads a CSV with a header line; every row must have the header's number of fields.
 * On error prints "FILE:LINE:COL: ..." and returns false. */
bool csv_read(const char *path, csv_table *t);
void csv_free(csv_table *t);
/* Column by header name or 1-based number; -1 (with message) if absent. */
int csv_column(const csv_table *t, const char *name_or_number, const char *flag);
/* The number in cell (row, col); false with a FILE:LINE:COL message if it is not one. */
bool csv_number(const csv_table *t, int row, int col, double *out);

/* ---- writing files atomically ---- */
typedef struct { FILE *f; char *tmp; const char *path; } atomic_file;
bool atomic_open(atomic_file *af, const char *path);
bool atomic_commit(atomic_file *af);     /* flush, fsync, rename; false with message */
void atomic_abort(atomic_file *af);

/* ---- text: tokens and the vocabulary (text.c) ---- */
/* TOKENS_CHAR lower-cases (Keras TextVectorization's default standardization, as the
 * classifiers use it); TOKENS_RAW_CHAR keeps every byte as written (--standardize none,
 * the default of next-token models, whose text keeps its capitals). */
typedef enum { TOKENS_NONE = 0, TOKENS_WORD, TOKENS_CHAR, TOKENS_RAW_CHAR } cli_tokens;

typedef struct {
    char **tokens;               /* token id k + 2 (0 padding, 1 unknown) */
    long long *count;            /* occurrences in the texts it was built from */
    int n;
    int *slot;                   /* hash table of ids, cap slots, -1 empty */
    size_t cap;
} cli_vocab;

/* The max_tokens − 2 most frequent tokens of the texts (ties in byte order). */
bool vocab_build(cli_vocab *v, cli_tokens mode, const char *const *texts, int n, int max_tokens);
int vocab_size(const cli_vocab *v);   /* ids in use: tokens + 2 */
void vocab_free(cli_vocab *v);
int text_token_count(const char *text, cli_tokens mode);
/* text as T ids: padding (id 0) before or after, the first or the last tokens cut. */
void text_to_ids(const cli_vocab *v, cli_tokens mode, const char *text, int T, bool pre_pad,
                 bool pre_truncate, float *out);
/* The vocabulary as the metadata's last lines, and back. */
bool vocab_to_text(const cli_vocab *v, char **text, size_t *len);
bool vocab_from_text(cli_vocab *v, const char *metadata);

/* ---- datasets ---- */
typedef enum { TASK_FORECAST = 1, TASK_CLASSIFY, TASK_NEXT_TOKEN } cli_task;

typedef struct {
    cli_task task;
    char format[16];             /* csv or mnist */
    char column[64];             /* forecast: value column */
    char label[64], text[64];    /* classify: label column; text column */
    int window, horizon;
    double test_split;
    char scale[16];              /* standard, minmax, none */
    double scale_a, scale_b;     /* x' = (x - a) / b */
    int classes, timesteps, features, maxlen;
    char vocab[128];             /* one-hot characters (a text column without --tokens) */
    cli_tokens tokens;           /* token ids through a vocabulary */
    int max_tokens;
    bool pre_pad, pre_truncate;  /* --padding, --truncating (Keras pad_sequences: pre) */
    cli_vocab words;             /* the vocabulary (tokens set) */
} data_spec;

typedef struct {
    float *x, *y;                /* x [n, T, F]; y [n, outputs] scaled */
    int n, T, F, outputs;
    int *row;                    /* forecast: the CSV row of each target */
    double *raw_y;               /* forecast: targets in original units */
    double *last_x;              /* forecast: the last input value in original units */
    float *stream;               /* next-token: the part's token ids in order */
    int n_stream;
} dataset;

/* Parse data flags into spec (defaults filled). */
bool data_spec_from_args(cli_args *a, data_spec *s, bool for_fit);
/* Serialize to / from the model's metadata text (with the vocabulary, if any; the text
 * from data_spec_to_text is the caller's to free). */
bool data_spec_to_text(const data_spec *s, char **text);
bool data_spec_from_text(const char *text, data_spec *s);
void data_spec_free(data_spec *s);
/* Load `path` and cut it into the training and test sets (test may be empty);
 * for_fit fits the scaling on the training part. test_path may be NULL. */
bool dataset_load(data_spec *s, const char *path, const char *test_path, bool for_fit,
                  dataset *train, dataset *test);
void dataset_free(dataset *d);
double unscale(const data_spec *s, double v);

/* ---- model spec, e.g. "lstm:64:return_sequences,lstm:32,dense:1:sigmoid" ---- */
/* vocab_size: the input_dim of an embedding layer (0: the data has no vocabulary). */
bool model_from_spec(const char *spec, int T, int F, int vocab_size, recur_model **out);

/* ---- next-token prediction on plain text (next_token.c) ---- */
/* The text of `path` (and `test_path`, or the last test_split of the file, cut at a line
 * start) as token ids; training windows of s->window tokens, each step's target the token
 * after it. for_fit builds the vocabulary from the training part. */
bool load_next_token(data_spec *s, const char *path, const char *test_path, bool for_fit,
                     dataset *train, dataset *test);
/* The first token of text that the vocabulary lacks, into tok; false when there is none. */
bool text_first_unknown(const cli_vocab *v, cli_tokens mode, const char *text, char *tok,
                        size_t size);
/* The text as token ids (unknown tokens 1); *ids is the caller's to free. */
bool text_ids(const cli_vocab *v, cli_tokens mode, const char *text, float **ids, int *n);
/* Cross-entropy on the test stream with every token predicted from all before it (a
 * stateful copy of the model runs the stream in parallel pieces, window by window);
 * prints it in nats and bits per token. Returns a command exit status. */
int report_next_token(recur_model *m, const data_spec *s, const dataset *test);

/* ---- forecasting baselines on the test set, in original units ---- */
double baseline_naive_mse(const dataset *test);
bool baseline_ar_mse(const dataset *train, const dataset *test, const data_spec *s, double *mse);

/* ---- PNG line charts (cairo) ---- */
typedef struct { const char *name; const double *x, *y; int n; double r, g, b; } plot_series;
bool plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                const plot_series *series, int ns);
/* The loss curves of the last fit; the forecast of a model against the whole series. */
bool plot_history(const recur_model *m, const char *path);
bool plot_forecast(recur_model *m, const data_spec *s, const dataset *train, const dataset *test,
                   const char *path);

/* A copy of the model whose recurrent layers carry no states: a stateful model's samples
 * scored each from zero states, in batches of any size. NULL (with a message) on failure. */
recur_model *independent_copy(const recur_model *m, int timesteps);
/* Loss and metrics on a test set (of an independent copy); forecasting adds the MSE in
 * original units beside the naive and AR baselines (train may be NULL: no AR); next-token
 * the cross-entropy per token. Returns a command exit status. */
int report_test(recur_model *m, const data_spec *s, const dataset *train, const dataset *test);

/* ---- commands ---- */
int cmd_fit(cli_args *a);
int cmd_evaluate(cli_args *a);
int cmd_predict(cli_args *a);
int cmd_summary(cli_args *a);
int cmd_info(cli_args *a);
int cmd_bench(cli_args *a);
int cmd_generate(cli_args *a);
int cmd_import(cli_args *a);
int cmd_export(cli_args *a);

#endif
