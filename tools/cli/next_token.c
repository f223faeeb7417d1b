/* --task next-token: plain text, cut into training windows whose every step predicts the
 * token after it (Keras's char-RNN recipe: return_sequences, then a softmax Dense over the
 * vocabulary), and scored on the held-out text with every token predicted from all the
 * tokens before it. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Texts up to 1 GiB: token counts stay ints. */
#define MAX_TEXT_BYTES ((long)1 << 30)

/* The whole file as a string; NUL bytes are refused (they would end the text early). */
static char *read_text(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cli_error("%s: cannot open: %s", path, strerror(errno)), NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_TEXT_BYTES) {
        fclose(f);
        return cli_error("%s: not a regular file of at most 1 GiB", path), NULL;
    }
    *len = (long)st.st_size;
    char *text = malloc((size_t)*len + 1);
    if (text == NULL) {
        fclose(f);
        return cli_error("%s: out of memory for %ld bytes", path, *len), NULL;
    }
    const size_t got = fread(text, 1, (size_t)*len, f);
    fclose(f);
    text[got] = '\0';
    if ((long)got != *len || memchr(text, '\0', got) != NULL) {
        free(text);
        return cli_error("%s: %s", path, (long)got != *len ? "cannot read the whole file"
                                                           : "holds a NUL byte: not text"), NULL;
    }
    if (got == 0) {
        free(text);
        return cli_error("%s: the file is empty", path), NULL;
    }
    return text;
}

/* Where the held-out part starts: the first line start at or after (1 − split) of the
 * bytes (the bundled text's README cuts it so), or len when nothing is held out. */
static long test_start(const char *text, long len, double split)
{
    if (split <= 0)
        return len;
    long at = (long)floor((double)len * (1.0 - split));
    while (at < len && at > 0 && text[at - 1] != '\n')
        at++;
    return at;
}

/* Windows of W tokens from the stream, one after the other: x the tokens, y the next ones. */
static bool windows(const float *ids, int n, int W, dataset *d)
{
    memset(d, 0, sizeof *d);
    d->n = n > W ? (n - 1) / W : 0;
    d->T = W;
    d->F = 1;
    d->outputs = W;
    if (d->n == 0)
        return true;
    d->x = malloc(sizeof(float) * (size_t)d->n * W);
    d->y = malloc(sizeof(float) * (size_t)d->n * W);
    if (!d->x || !d->y)
        return cli_error("out of memory for %d windows", d->n), false;
    for (int i = 0; i < d->n; i++) {
        memcpy(d->x + (size_t)i * W, ids + (size_t)i * W, sizeof(float) * W);
        memcpy(d->y + (size_t)i * W, ids + (size_t)i * W + 1, sizeof(float) * W);
    }
    return true;
}

/* Token ids of text part [from, to) into d's stream. */
static bool stream_of(const data_spec *s, char *text, long from, long to, dataset *d)
{
    const char keep = text[to];
    text[to] = '\0';
    const bool ok = text_ids(&s->words, s->tokens, text + from, &d->stream, &d->n_stream);
    text[to] = keep;
    return ok;
}

bool load_next_token(data_spec *s, const char *path, const char *test_path, bool for_fit,
                     dataset *train, dataset *test)
{
    long len = 0, tlen = 0;
    char *text = read_text(path, &len), *ttext = NULL;
    if (text == NULL)
        return false;
    const long cut = test_path ? len : test_start(text, len, s->test_split);
    if (test_path && (ttext = read_text(test_path, &tlen)) == NULL) {
        free(text);
        return false;
    }
    bool ok = true;
    if (for_fit) {
        const char keep = text[cut];
        text[cut] = '\0';
        const char *part = text;
        ok = vocab_build(&s->words, s->tokens, &part, 1, s->max_tokens);
        text[cut] = keep;
        s->timesteps = s->window;
        s->features = 1;
    }
    dataset held = { 0 };
    ok = ok && stream_of(s, text, 0, cut, train) &&
         (ttext ? stream_of(s, ttext, 0, tlen, &held) : stream_of(s, text, cut, len, &held));
    if (ok && for_fit && train->n_stream <= s->window) {
        cli_error("%s: %d training tokens, too few for windows of %d (lower --window)", path,
                  train->n_stream, s->window);
        ok = false;
    }
    if (ok) {
        float *stream = train->stream;
        const int n = train->n_stream;
        ok = windows(stream, n, s->window, train);   /* resets train: keep the stream */
        train->stream = stream;
        train->n_stream = n;
    }
    if (ok) {
        *test = held;
        test->T = s->window;
        test->F = 1;
        test->outputs = s->window;
    } else {
        dataset_free(&held);
    }
    free(text);
    free(ttext);
    return ok;
}

/* The stateful copy's predictions for one window of every piece: x [S, W] holds the next
 * W tokens of each piece (zeros past its end). */
static void fill_window(const float *ids, int pieces, int piece_len, int w0, int W, float *x)
{
    for (int p = 0; p < pieces; p++)
        for (int t = 0; t < W; t++)
            x[(size_t)p * W + t] = w0 + t < piece_len ? ids[(size_t)p * piece_len + w0 + t] : 0;
}

int report_next_token(recur_model *m, const data_spec *s, const dataset *test)
{
    const int W = s->window, n = test->n_stream;
    if (n < 2)
        return 0;
    /* the stream in `pieces` parts run side by side; token i + 1 of a part is predicted
     * from its tokens 0 … i (the first token of each part is not predicted) */
    const int pieces = n - 1 < 32 ? 1 : 32, piece_len = n / pieces;
    recur_model *st;
    if (recur_model_rebuild(m, W, true, &st) != RECUR_OK)
        return cli_error("%s", recur_last_error());
    int steps, V;
    recur_model_output_shape(st, &steps, &V);
    float *x = malloc(sizeof(float) * (size_t)pieces * W);
    float *p = malloc(sizeof(float) * (size_t)pieces * W * V);
    double nats = 0;
    long counted = 0;
    int rc = 0;
    for (int w0 = 0; w0 < piece_len - 1 && rc == 0; w0 += W) {
        fill_window(test->stream, pieces, piece_len, w0, W, x);
        if (!x || !p || recur_model_predict_in_batches(st, x, pieces, pieces, p) != RECUR_OK) {
            rc = cli_error("evaluate: %s", x && p ? recur_last_error() : "out of memory");
            break;
        }
        for (int q = 0; q < pieces; q++)
            for (int t = 0; t < W && w0 + t + 1 < piece_len; t++) {
                const int target = (int)test->stream[(size_t)q * piece_len + w0 + t + 1];
                const float prob = p[((size_t)q * W + t) * V + target];
                nats -= log(prob > FLT_MIN ? prob : FLT_MIN);
                counted++;
            }
    }
    if (rc == 0 && counted > 0) {
        const char *unit = s->tokens == TOKENS_WORD ? "word" : "char";
        printf("test: %ld %ss predicted, each from all before it: cross-entropy %.4f nats/%s "
               "= %.4f bits/%s\n", counted, unit, nats / counted, unit, nats / counted / log(2.0),
               unit);
    }
    free(x);
    free(p);
    recur_model_free(st);
    return rc;
}
