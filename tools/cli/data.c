/* Turning files into (x, y): forecasting windows over a CSV column, classification rows
 * (numeric features reshaped to (T, F), or a text column as one-hot characters), and MNIST
 * records. Scaling is fitted on the training part only and travels with the model. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* The longest text --tokens takes, in tokens (--max-length, or the longest training text). */
#define MAX_TEXT_TOKENS 10000

static bool pick(const char *flag, const char *value, const char *a, const char *b, bool *is_a)
{
    if (value == NULL)
        return true;
    if (strcmp(value, a) && strcmp(value, b))
        return cli_error("--%s must be %s or %s, not '%s'", flag, a, b, value), false;
    *is_a = strcmp(value, a) == 0;
    return true;
}

bool data_spec_from_args(cli_args *a, data_spec *s, bool for_fit)
{
    const char *task = NULL, *format = NULL, *column = NULL, *label = NULL, *text = NULL;
    const char *scale = NULL, *tokens = NULL, *padding = NULL, *truncating = NULL;
    const char *standardize = NULL;
    s->test_split = 0.2;
    s->max_tokens = 20000;
    s->pre_pad = s->pre_truncate = true;
    if (!arg_str(a, "task", &task) || !arg_str(a, "format", &format) ||
        !arg_str(a, "column", &column) || !arg_str(a, "label-column", &label) ||
        !arg_str(a, "text-column", &text) || !arg_str(a, "scale", &scale) ||
        !arg_str(a, "tokens", &tokens) || !arg_str(a, "padding", &padding) ||
        !arg_str(a, "truncating", &truncating) || !arg_str(a, "standardize", &standardize) ||
        !arg_int(a, "max-tokens", 3, 1 << 20, &s->max_tokens) ||
        !arg_int(a, "window", 1, 100000, &s->window) ||
        !arg_int(a, "horizon", 1, 100000, &s->horizon) ||
        !arg_int(a, "timesteps", 1, 100000, &s->timesteps) ||
        !arg_int(a, "max-length", 1, MAX_TEXT_TOKENS, &s->maxlen) ||
        !arg_float(a, "test-split", 0.0, 0.9, &s->test_split))
        return false;
    if (!for_fit)
        return true;   /* evaluate/predict take the rest from the model */
    bool word = true, lower = true;
    if (task == NULL ||
        (strcmp(task, "forecast") && strcmp(task, "classify") && strcmp(task, "next-token")))
        return cli_error("--task must be forecast, classify or next-token"), false;
    s->task = strcmp(task, "forecast") == 0   ? TASK_FORECAST
              : strcmp(task, "classify") == 0 ? TASK_CLASSIFY : TASK_NEXT_TOKEN;
    const bool next = s->task == TASK_NEXT_TOKEN;
    lower = !next;   /* a text to continue keeps its capitals */
    if (!pick("tokens", tokens, "word", "char", &word) ||
        !pick("padding", padding, "pre", "post", &s->pre_pad) ||
        !pick("truncating", truncating, "pre", "post", &s->pre_truncate) ||
        !pick("standardize", standardize, "lower", "none", &lower))
        return false;
    s->tokens = !tokens ? TOKENS_NONE : word ? TOKENS_WORD : lower ? TOKENS_CHAR : TOKENS_RAW_CHAR;
    if (standardize && !(tokens && !word))
        return cli_error("--standardize applies to --tokens char (words are always lower-cased, "
                         "without punctuation)"), false;
    if (next) {
        if (!tokens || text || padding || truncating || format || column || label)
            return cli_error("--task next-token reads a plain text file with --tokens word|char "
                             "(and --window N); it takes no CSV columns, padding or format"),
                   false;
        if (s->window == 0)
            s->window = 100;
        s->horizon = 1;
        snprintf(s->format, sizeof s->format, "text");
        snprintf(s->scale, sizeof s->scale, "none");
        return true;
    }
    if ((tokens || padding || truncating) && !text)
        return cli_error("--tokens, --padding and --truncating read a --text-column"), false;
    if ((padding || truncating) && !tokens)
        return cli_error("--padding and --truncating apply to --tokens word|char"), false;
    snprintf(s->format, sizeof s->format, "%s", format ? format : "csv");
    if (strcmp(s->format, "csv") && strcmp(s->format, "mnist"))
        return cli_error("--format must be csv or mnist"), false;
    if (s->task == TASK_FORECAST && strcmp(s->format, "csv"))
        return cli_error("--task forecast reads CSV files"), false;
    if (s->task == TASK_FORECAST && text)
        return cli_error("--text-column is for --task classify"), false;
    snprintf(s->column, sizeof s->column, "%s", column ? column : "");
    snprintf(s->label, sizeof s->label, "%s", label ? label : "1");
    snprintf(s->text, sizeof s->text, "%s", text ? text : "");
    snprintf(s->scale, sizeof s->scale, "%s", scale ? scale : (s->task == TASK_FORECAST ? "standard" : "none"));
    if (strcmp(s->scale, "standard") && strcmp(s->scale, "minmax") && strcmp(s->scale, "none"))
        return cli_error("--scale must be standard, minmax or none"), false;
    if (s->window == 0)
        s->window = 10;
    if (s->horizon == 0)
        s->horizon = 1;
    return true;
}

bool data_spec_to_text(const data_spec *s, char **text)
{
    char head[2048], *words = NULL;
    size_t words_len = 0;
    const int n = snprintf(head, sizeof head,
             "recur-cli-data=1\ntask=%d\nformat=%s\ncolumn=%s\nlabel=%s\ntext=%s\nwindow=%d\n"
             "horizon=%d\ntest_split=%.17g\nscale=%s\nscale_a=%.17g\nscale_b=%.17g\n"
             "classes=%d\ntimesteps=%d\nfeatures=%d\nmaxlen=%d\nvocab=%s\ntokens=%d\n"
             "max_tokens=%d\npre_pad=%d\npre_truncate=%d\n",
             s->task, s->format, s->column, s->label, s->text, s->window, s->horizon,
             s->test_split, s->scale, s->scale_a, s->scale_b, s->classes, s->timesteps,
             s->features, s->maxlen, s->vocab, (int)s->tokens, s->max_tokens, s->pre_pad,
             s->pre_truncate);
    if (s->tokens && !vocab_to_text(&s->words, &words, &words_len))
        return false;
    *text = malloc((size_t)n + words_len + 1);
    if (*text == NULL) {
        free(words);
        return cli_error("out of memory"), false;
    }
    memcpy(*text, head, (size_t)n);
    memcpy(*text + n, words ? words : "", words_len + 1);
    free(words);
    return true;
}

bool data_spec_from_text(const char *text, data_spec *s)
{
    memset(s, 0, sizeof *s);
    if (strncmp(text, "recur-cli-data=1\n", 17) != 0)
        return cli_error("the model carries no data settings of the recur command line (it "
                         "was not trained with 'recur fit')"), false;
    char line[512];
    for (const char *p = text; *p && strncmp(p, "vocabulary:\n", 12) != 0;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n >= sizeof line)
            n = sizeof line - 1;
        memcpy(line, p, n);
        line[n] = '\0';
        p += n + (nl ? 1 : 0);
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = line, *v = eq + 1;
#define STR(field) if (strcmp(k, #field) == 0) snprintf(s->field, sizeof s->field, "%s", v)
        STR(format); STR(column); STR(label); STR(text); STR(scale); STR(vocab);
#undef STR
        if (strcmp(k, "task") == 0) s->task = (cli_task)atoi(v);
        if (strcmp(k, "window") == 0) s->window = atoi(v);
        if (strcmp(k, "horizon") == 0) s->horizon = atoi(v);
        if (strcmp(k, "classes") == 0) s->classes = atoi(v);
        if (strcmp(k, "timesteps") == 0) s->timesteps = atoi(v);
        if (strcmp(k, "features") == 0) s->features = atoi(v);
        if (strcmp(k, "maxlen") == 0) s->maxlen = atoi(v);
        if (strcmp(k, "test_split") == 0) s->test_split = strtod(v, NULL);
        if (strcmp(k, "scale_a") == 0) s->scale_a = strtod(v, NULL);
        if (strcmp(k, "scale_b") == 0) s->scale_b = strtod(v, NULL);
        if (strcmp(k, "tokens") == 0) s->tokens = (cli_tokens)atoi(v);
        if (strcmp(k, "max_tokens") == 0) s->max_tokens = atoi(v);
        if (strcmp(k, "pre_pad") == 0) s->pre_pad = atoi(v) != 0;
        if (strcmp(k, "pre_truncate") == 0) s->pre_truncate = atoi(v) != 0;
    }
    if ((s->task != TASK_FORECAST && s->task != TASK_CLASSIFY && s->task != TASK_NEXT_TOKEN) ||
        (int)s->tokens < TOKENS_NONE || s->tokens > TOKENS_RAW_CHAR ||
        (s->task == TASK_NEXT_TOKEN && (s->tokens == TOKENS_NONE || s->window < 1)))
        return cli_error("the model's data settings are damaged"), false;
    if (s->tokens && !vocab_from_text(&s->words, text))
        return false;
    return true;
}

void data_spec_free(data_spec *s) { vocab_free(&s->words); }

double unscale(const data_spec *s, double v) { return v * s->scale_b + s->scale_a; }

static bool alloc_set(dataset *d, int n, int T, int F, int outputs, bool forecast)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->T = T;
    d->F = F;
    d->outputs = outputs;
    if (n == 0)
        return true;
    d->x = calloc((size_t)n * T * F, sizeof(float));
    d->y = calloc((size_t)n * outputs, sizeof(float));
    if (forecast) {
        d->row = calloc((size_t)n, sizeof(int));
        d->raw_y = calloc((size_t)n, sizeof(double));
        d->last_x = calloc((size_t)n, sizeof(double));
    }
    if (!d->x || !d->y || (forecast && (!d->row || !d->raw_y || !d->last_x)))
        return cli_error("out of memory for %d samples", n), false;
    return true;
}

void dataset_free(dataset *d)
{
    free(d->x); free(d->y); free(d->row); free(d->raw_y); free(d->last_x); free(d->stream);
    memset(d, 0, sizeof *d);
}

/* ---- forecasting ---- */
static bool load_forecast(data_spec *s, const char *path, bool for_fit, dataset *train,
                          dataset *test)
{
    csv_table t;
    if (!csv_read(path, &t))
        return false;
    int col = csv_column(&t, s->column[0] ? s->column : t.header[t.cols - 1], "column");
    if (col < 0)
        return csv_free(&t), false;
    snprintf(s->column, sizeof s->column, "%s", t.header[col]);
    double *v = malloc(sizeof(double) * (size_t)t.rows);
    for (int r = 0; r < t.rows; r++)
        if (!csv_number(&t, r, col, &v[r])) {
            free(v);
            csv_free(&t);
            return false;
        }
    const int N = t.rows, W = s->window, H = s->horizon;
    const int n_train_rows = (int)floor(N * (1.0 - s->test_split));
    if (W + H > n_train_rows) {
        cli_error("%s: a window of %d plus horizon %d needs more than the %d training rows of "
                  "%d (lower --window or --test-split)", path, W, H, n_train_rows, N);
        free(v);
        csv_free(&t);
        return false;
    }
    if (for_fit) {
        double a = 0, b = 1;
        if (strcmp(s->scale, "standard") == 0) {
            for (int r = 0; r < n_train_rows; r++)
                a += v[r] / n_train_rows;
            double var = 0;
            for (int r = 0; r < n_train_rows; r++)
                var += (v[r] - a) * (v[r] - a) / n_train_rows;
            b = var > 0 ? sqrt(var) : 1;
        } else if (strcmp(s->scale, "minmax") == 0) {
            double lo = v[0], hi = v[0];
            for (int r = 1; r < n_train_rows; r++) {
                lo = fmin(lo, v[r]);
                hi = fmax(hi, v[r]);
            }
            a = lo;
            b = hi > lo ? hi - lo : 1;
        }
        s->scale_a = a;
        s->scale_b = b;
        s->timesteps = W;
        s->features = 1;
    }
    /* targets t ∈ [W+H-1, n_train_rows) train; [n_train_rows, N) test, with true history */
    int first = W + H - 1;
    int ntr = n_train_rows - first, nte = N - (first > n_train_rows ? first : n_train_rows);
    bool ok = alloc_set(train, ntr, W, 1, 1, true) && alloc_set(test, nte, W, 1, 1, true);
    for (int k = 0; ok && k < ntr + nte; k++) {
        dataset *d = k < ntr ? train : test;
        int i = k < ntr ? k : k - ntr;
        int target = k < ntr ? first + k : (first > n_train_rows ? first : n_train_rows) + i;
        for (int w = 0; w < W; w++)
            d->x[(size_t)i * W + w] = (float)((v[target - H - W + 1 + w] - s->scale_a) / s->scale_b);
        d->y[i] = (float)((v[target] - s->scale_a) / s->scale_b);
        d->row[i] = target;
        d->raw_y[i] = v[target];
        d->last_x[i] = v[target - H];
    }
    free(v);
    csv_free(&t);
    return ok;
}

/* ---- classification ---- */
static int vocab_index(const char *vocab, char c)
{
    const char *p = strchr(vocab, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return p && c ? (int)(p - vocab) + 1 : 0;   /* 0: any other character */
}

/* Classes from the labels of the rows fit reads. */
static bool fit_classes(data_spec *s, const csv_table *t, int lc)
{
    int maxc = 0;
    for (int r = 0; r < t->rows; r++) {
        double y;
        if (!csv_number(t, r, lc, &y))
            return false;
        maxc = y > maxc ? (int)y : maxc;
    }
    s->classes = maxc + 1 < 2 ? 2 : maxc + 1;
    return true;
}

/* The text column's shape: one-hot characters, or with --tokens a vocabulary from the
 * first fit_rows rows (the training part) and their longest text as the length. */
static bool fit_text(data_spec *s, const csv_table *t, int tc, int fit_rows, const char *path)
{
    if (s->tokens == TOKENS_NONE) {
        snprintf(s->vocab, sizeof s->vocab, "abcdefghijklmnopqrstuvwxyz-' .");
        int longest = 1;
        for (int r = 0; r < t->rows; r++) {
            int n = (int)strlen(t->cells[(size_t)r * t->cols + tc]);
            longest = n > longest ? n : longest;
        }
        s->timesteps = s->maxlen ? s->maxlen : longest;
        s->features = (int)strlen(s->vocab) + 1;
        return true;
    }
    const char **texts = malloc(sizeof(char *) * (size_t)(fit_rows ? fit_rows : 1));
    if (texts == NULL)
        return cli_error("out of memory"), false;
    int longest = 1;
    for (int r = 0; r < fit_rows; r++) {
        texts[r] = t->cells[(size_t)r * t->cols + tc];
        const int n = text_token_count(texts[r], s->tokens);
        if (n > MAX_TEXT_TOKENS && s->maxlen == 0) {
            free((void *)texts);
            return cli_error("%s:%d:%d: a text of %d tokens, longer than the %d recur takes "
                             "(cut it with --max-length)", path, r + 2, tc + 1, n,
                             MAX_TEXT_TOKENS), false;
        }
        longest = n > longest ? n : longest;
    }
    const bool ok = vocab_build(&s->words, s->tokens, texts, fit_rows, s->max_tokens);
    free((void *)texts);
    s->timesteps = s->maxlen ? s->maxlen : longest;
    s->features = 1;
    return ok;
}

/* The numeric columns reshaped into (timesteps, features). */
static bool fit_numeric(data_spec *s, const csv_table *t, const char *path)
{
    int nf = t->cols - 1;
    int T = s->timesteps ? s->timesteps : nf;
    if (nf % T != 0)
        return cli_error("%s: %d feature columns cannot be reshaped into %d timesteps", path,
                         nf, T), false;
    s->timesteps = T;
    s->features = nf / T;
    return true;
}

/* Row r's input: its text (one-hot characters or token ids) or its numeric columns. */
static bool fill_row(const data_spec *s, const csv_table *t, int r, int lc, int tc, float *xr)
{
    const int T = s->timesteps, F = s->features;
    if (tc < 0) {
        for (int c = 0, k = 0; c < t->cols; c++) {
            double v;
            if (c == lc)
                continue;
            if (!csv_number(t, r, c, &v))
                return false;
            xr[k++] = (float)v;
        }
        return true;
    }
    const char *text = t->cells[(size_t)r * t->cols + tc];
    if (text[0] == '\0')
        return cli_error("%s:%d:%d: the text is empty", t->path, r + 2, tc + 1), false;
    if (s->tokens) {
        text_to_ids(&s->words, s->tokens, text, T, s->pre_pad, s->pre_truncate, xr);
        return true;
    }
    int n = (int)strlen(text), keep = n < T ? n : T;
    for (int i = 0; i < keep; i++)   /* pre-padding, as Keras's pad_sequences */
        xr[(size_t)(T - keep + i) * F + vocab_index(s->vocab, text[n - keep + i])] = 1.0f;
    return true;
}

/* Classification rows of a CSV. held_out: the share of the rows at the end that fit keeps
 * out of its vocabulary (0 with a separate test file). */
static bool load_csv_rows(data_spec *s, const char *path, bool for_fit, double held_out,
                          dataset *d)
{
    csv_table t;
    if (!csv_read(path, &t))
        return false;
    int lc = csv_column(&t, s->label, "label-column");
    int tc = s->text[0] ? csv_column(&t, s->text, "text-column") : -2;
    if (lc < 0 || tc == -1)
        return csv_free(&t), false;
    const int fit_rows = t.rows - (int)floor(t.rows * held_out);
    if (for_fit && (!fit_classes(s, &t, lc) ||
                    !(tc >= 0 ? fit_text(s, &t, tc, fit_rows, path) : fit_numeric(s, &t, path))))
        return csv_free(&t), false;
    const int T = s->timesteps, F = s->features;
    if (tc < 0 && t.cols - 1 != T * F) {
        cli_error("%s: %d feature columns, the model expects %d×%d", path, t.cols - 1, T, F);
        return csv_free(&t), false;
    }
    if (!alloc_set(d, t.rows, T, F, 1, false))
        return csv_free(&t), dataset_free(d), false;
    for (int r = 0; r < t.rows; r++) {
        double y;
        if (!csv_number(&t, r, lc, &y))
            return csv_free(&t), dataset_free(d), false;
        if (y < 0 || y >= s->classes || y != floor(y)) {
            cli_error("%s:%d:%d: label %s is not a class in 0..%d", path, r + 2, lc + 1,
                      t.cells[(size_t)r * t.cols + lc], s->classes - 1);
            return csv_free(&t), dataset_free(d), false;
        }
        d->y[r] = (float)y;
        if (!fill_row(s, &t, r, lc, tc, d->x + (size_t)r * T * F))
            return csv_free(&t), dataset_free(d), false;
    }
    csv_free(&t);
    return true;
}

static bool load_mnist(data_spec *s, const char *path, dataset *d)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cli_error("%s: cannot open: %s", path, strerror(errno)), false;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size == 0 || st.st_size % 785 != 0) {
        fclose(f);
        return cli_error("%s: not MNIST records (the size must be a positive multiple of 785 "
                         "bytes)", path), false;
    }
    int n = (int)(st.st_size / 785);
    s->timesteps = 28;
    s->features = 28;
    s->classes = 10;
    if (!alloc_set(d, n, 28, 28, 1, false)) {
        fclose(f);
        return false;
    }
    unsigned char rec[785];
    for (int i = 0; i < n; i++) {
        if (fread(rec, 1, 785, f) != 785) {
            fclose(f);
            dataset_free(d);
            return cli_error("%s: cannot read record %d", path, i), false;
        }
        if (rec[0] > 9) {
            fclose(f);
            dataset_free(d);
            return cli_error("%s: record %d has label %d (0..9 expected)", path, i, rec[0]), false;
        }
        d->y[i] = rec[0];
        for (int p = 0; p < 784; p++)
            d->x[(size_t)i * 784 + p] = rec[1 + p] / 255.0f;
    }
    fclose(f);
    return true;
}

static bool load_classify(data_spec *s, const char *path, bool for_fit, double held_out,
                          dataset *d)
{
    return strcmp(s->format, "mnist") == 0 ? load_mnist(s, path, d)
                                           : load_csv_rows(s, path, for_fit, held_out, d);
}

/* Split the last test_split of d off as the test set. */
static bool split_tail(dataset *all, double frac, dataset *train, dataset *test)
{
    int nte = (int)floor(all->n * frac), ntr = all->n - nte;
    if (ntr < 1)
        return cli_error("--test-split leaves no training samples"), false;
    size_t sx = (size_t)all->T * all->F;
    if (!alloc_set(test, nte, all->T, all->F, 1, false))
        return false;
    if (nte) {
        memcpy(test->x, all->x + (size_t)ntr * sx, sizeof(float) * (size_t)nte * sx);
        memcpy(test->y, all->y + ntr, sizeof(float) * (size_t)nte);
    }
    *train = *all;
    train->n = ntr;
    memset(all, 0, sizeof *all);
    return true;
}

static bool load_sets(data_spec *s, const char *path, const char *test_path, bool for_fit,
                      dataset *train, dataset *test)
{
    if (s->task == TASK_FORECAST)
        return load_forecast(s, path, for_fit, train, test);
    if (s->task == TASK_NEXT_TOKEN)
        return load_next_token(s, path, test_path, for_fit, train, test);
    dataset all;
    if (!load_classify(s, path, for_fit, test_path ? 0.0 : s->test_split, &all))
        return false;
    if (test_path) {
        *train = all;
        return load_classify(s, test_path, false, 0.0, test);
    }
    bool ok = split_tail(&all, s->test_split, train, test);
    dataset_free(&all);
    return ok;
}

bool dataset_load(data_spec *s, const char *path, const char *test_path, bool for_fit,
                  dataset *train, dataset *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (load_sets(s, path, test_path, for_fit, train, test))
        return true;
    dataset_free(train);   /* nothing half-loaded survives a failure */
    dataset_free(test);
    return false;
}

/* ---- forecasting baselines ---- */
double baseline_naive_mse(const dataset *test)
{
    double s = 0;
    for (int i = 0; i < test->n; i++)
        s += (test->raw_y[i] - test->last_x[i]) * (test->raw_y[i] - test->last_x[i]);
    return test->n ? s / test->n : NAN;
}

/* Linear AR(W) with intercept by least squares on the training windows (normal equations,
 * Gaussian elimination with partial pivoting), scored on the test windows. */
bool baseline_ar_mse(const dataset *train, const dataset *test, const data_spec *s, double *mse)
{
    const int p = train->T + 1;
    double *A = calloc((size_t)p * p, sizeof(double)), *b = calloc((size_t)p, sizeof(double));
    if (!A || !b) {
        free(A);
        free(b);
        return false;
    }
    for (int i = 0; i < train->n; i++) {
        double row[p];
        row[0] = 1;
        for (int w = 0; w < p - 1; w++)
            row[w + 1] = unscale(s, train->x[(size_t)i * train->T + w]);
        for (int r = 0; r < p; r++) {
            for (int c = 0; c < p; c++)
                A[r * p + c] += row[r] * row[c];
            b[r] += row[r] * train->raw_y[i];
        }
    }
    for (int c = 0; c < p; c++) {
        int piv = c;
        for (int r = c + 1; r < p; r++)
            if (fabs(A[r * p + c]) > fabs(A[piv * p + c]))
                piv = r;
        if (fabs(A[piv * p + c]) < 1e-12) {
            free(A);
            free(b);
            return false;
        }
        for (int k = 0; k < p; k++) {
            double t = A[c * p + k];
            A[c * p + k] = A[piv * p + k];
            A[piv * p + k] = t;
        }
        double t = b[c];
        b[c] = b[piv];
        b[piv] = t;
        for (int r = c + 1; r < p; r++) {
            double f = A[r * p + c] / A[c * p + c];
            for (int k = c; k < p; k++)
                A[r * p + k] -= f * A[c * p + k];
            b[r] -= f * b[c];
        }
    }
    for (int c = p - 1; c >= 0; c--) {
        for (int k = c + 1; k < p; k++)
            b[c] -= A[c * p + k] * b[k];
        b[c] /= A[c * p + c];
    }
    double sum = 0;
    for (int i = 0; i < test->n; i++) {
        double pred = b[0];
        for (int w = 0; w < p - 1; w++)
            pred += b[w + 1] * unscale(s, test->x[(size_t)i * test->T + w]);
        sum += (pred - test->raw_y[i]) * (pred - test->raw_y[i]);
    }
    *mse = test->n ? sum / test->n : NAN;
    free(A);
    free(b);
    return true;
}
