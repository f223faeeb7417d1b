/* Text to token ids for --tokens word|char: standardizing, splitting, a vocabulary built
 * from the training texts (most frequent first; id 0 is padding, 1 an unknown token), and
 * the vocabulary as lines of the model's metadata, so evaluate and predict tokenize new
 * text exactly as fit did.
 *
 * Words: lower case, ASCII punctuation removed, split on white space (Keras
 * TextVectorization's defaults). Characters: lower case, every byte a token (the bundled
 * texts are ASCII), punctuation and spaces included; raw characters: every byte as it is. A text left with no token (only
 * punctuation) reads as one unknown token: a sample with no real step would make a masked
 * average divide by zero. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- splitting ------------------------------------------------------------------------- */

/* Calls emit(token, length) for each token of text; returns how many. */
static int split(const char *text, cli_tokens mode,
                 void (*emit)(const char *tok, size_t len, void *user), void *user)
{
    int n = 0;
    if (mode == TOKENS_CHAR || mode == TOKENS_RAW_CHAR) {
        for (const char *p = text; *p; p++, n++) {
            const char c = mode == TOKENS_CHAR ? (char)tolower((unsigned char)*p) : *p;
            if (emit)
                emit(&c, 1, user);
        }
        return n;
    }
    char word[256];
    size_t len = 0;
    for (const char *p = text;; p++) {
        const unsigned char c = (unsigned char)*p;
        if (c == '\0' || isspace(c)) {
            if (len) {
                if (emit)
                    emit(word, len, user);
                n++;
            }
            len = 0;
            if (c == '\0')
                return n;
        } else if (!ispunct(c) && len < sizeof word) {   /* longer words are cut */
            word[len++] = (char)tolower(c);
        }
    }
}

/* ---- the vocabulary: tokens and an open-addressing hash of their ids --------------------- */

static uint64_t hash(const char *s, size_t len)   /* FNV-1a */
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The slot of token (s, len): where it is, or the empty slot where it would go. */
static size_t slot_of(const cli_vocab *v, const char *s, size_t len)
{
    size_t i = hash(s, len) & (v->cap - 1);
    while (v->slot[i] >= 0) {
        const char *t = v->tokens[v->slot[i]];
        if (strlen(t) == len && memcmp(t, s, len) == 0)
            return i;
        i = (i + 1) & (v->cap - 1);
    }
    return i;
}

static bool grow(cli_vocab *v)
{
    size_t cap = v->cap ? 2 * v->cap : 1024;
    int *slot = malloc(sizeof(int) * cap);
    char **tokens = realloc(v->tokens, sizeof(char *) * (cap / 2));
    long long *count = realloc(v->count, sizeof(long long) * (cap / 2));
    if (!slot || !tokens || !count) {
        free(slot);
        if (tokens)
            v->tokens = tokens;
        if (count)
            v->count = count;
        return false;
    }
    v->tokens = tokens;
    v->count = count;
    for (size_t i = 0; i < cap; i++)
        slot[i] = -1;
    free(v->slot);
    v->slot = slot;
    v->cap = cap;
    for (int id = 0; id < v->n; id++)
        v->slot[slot_of(v, v->tokens[id], strlen(v->tokens[id]))] = id;
    return true;
}

/* Add token (s, len) or count it again; false when out of memory. */
static bool add(cli_vocab *v, const char *s, size_t len, long long times)
{
    if ((size_t)(v->n + 1) * 2 > v->cap && !grow(v))
        return false;
    size_t i = slot_of(v, s, len);
    if (v->slot[i] >= 0) {
        v->count[v->slot[i]] += times;
        return true;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, s, len);
    copy[len] = '\0';
    v->tokens[v->n] = copy;
    v->count[v->n] = times;
    v->slot[i] = v->n++;
    return true;
}

void vocab_free(cli_vocab *v)
{
    for (int i = 0; i < v->n; i++)
        free(v->tokens[i]);
    free(v->tokens);
    free(v->count);
    free(v->slot);
    memset(v, 0, sizeof *v);
}

int vocab_size(const cli_vocab *v) { return v->n + 2; }

typedef struct { cli_vocab *v; bool ok; } adder;
static void count_token(const char *tok, size_t len, void *user)
{
    adder *a = user;
    a->ok = a->ok && add(a->v, tok, len, 1);
}

static const cli_vocab *sort_vocab;
static int by_count(const void *a, const void *b)
{
    const int i = *(const int *)a, j = *(const int *)b;
    const long long ci = sort_vocab->count[i], cj = sort_vocab->count[j];
    if (ci != cj)
        return ci > cj ? -1 : 1;
    return strcmp(sort_vocab->tokens[i], sort_vocab->tokens[j]);   /* ties: a fixed order */
}

bool vocab_build(cli_vocab *v, cli_tokens mode, const char *const *texts, int n, int max_tokens)
{
    cli_vocab all = { 0 };
    adder a = { &all, true };
    for (int i = 0; i < n && a.ok; i++)
        split(texts[i], mode, count_token, &a);
    if (!a.ok) {
        vocab_free(&all);
        return cli_error("out of memory building the vocabulary"), false;
    }
    int *order = malloc(sizeof(int) * (size_t)(all.n ? all.n : 1));
    if (order == NULL) {
        vocab_free(&all);
        return cli_error("out of memory building the vocabulary"), false;
    }
    for (int i = 0; i < all.n; i++)
        order[i] = i;
    sort_vocab = &all;
    qsort(order, (size_t)all.n, sizeof(int), by_count);
    const int keep = all.n < max_tokens - 2 ? all.n : max_tokens - 2;   /* 0, 1 reserved */
    memset(v, 0, sizeof *v);
    bool ok = true;
    for (int i = 0; i < keep && ok; i++)
        ok = add(v, all.tokens[order[i]], strlen(all.tokens[order[i]]), all.count[order[i]]);
    free(order);
    vocab_free(&all);
    if (!ok) {
        vocab_free(v);
        return cli_error("out of memory building the vocabulary"), false;
    }
    return true;
}

int text_token_count(const char *text, cli_tokens mode) { return split(text, mode, NULL, NULL); }

typedef struct { const cli_vocab *v; float *ids; int at; } encoder;
static void encode_token(const char *tok, size_t len, void *user)
{
    encoder *e = user;
    const size_t i = slot_of(e->v, tok, len);
    e->ids[e->at++] = e->v->slot[i] >= 0 ? (float)(e->v->slot[i] + 2) : 1.0f;
}

typedef struct { const cli_vocab *v; char *out; size_t size; bool found; } unknown_finder;
static void find_unknown(const char *tok, size_t len, void *user)
{
    unknown_finder *u = user;
    if (!u->found && u->v->slot[slot_of(u->v, tok, len)] < 0) {
        snprintf(u->out, u->size, "%.*s", (int)len, tok);
        u->found = true;
    }
}

bool text_first_unknown(const cli_vocab *v, cli_tokens mode, const char *text, char *tok,
                        size_t size)
{
    unknown_finder u = { v, tok, size, false };
    if (v->cap)
        split(text, mode, find_unknown, &u);
    return u.found;
}

bool text_ids(const cli_vocab *v, cli_tokens mode, const char *text, float **ids, int *n)
{
    *n = text_token_count(text, mode);
    *ids = malloc(sizeof(float) * (size_t)(*n ? *n : 1));
    if (*ids == NULL)
        return cli_error("out of memory for %d tokens", *n), false;
    encoder e = { v, *ids, 0 };
    split(text, mode, encode_token, &e);
    return true;
}

void text_to_ids(const cli_vocab *v, cli_tokens mode, const char *text, int T, bool pre_pad,
                 bool pre_truncate, float *out)
{
    const int n = text_token_count(text, mode);
    float *ids = malloc(sizeof(float) * (size_t)(n ? n : 1));
    encoder e = { v, ids, 0 };
    if (ids)
        split(text, mode, encode_token, &e);
    const int keep = n < T ? n : T;
    const int first = pre_truncate ? n - keep : 0;      /* which tokens survive a cut */
    const int at = pre_pad ? T - keep : 0;              /* where they go */
    for (int t = 0; t < T; t++)
        out[t] = 0.0f;
    for (int i = 0; i < keep && ids; i++)
        out[at + i] = ids[first + i];
    if (n == 0)
        out[pre_pad ? T - 1 : 0] = 1.0f;   /* no token: one unknown one */
    free(ids);
}

/* ---- the vocabulary in the model's metadata ---------------------------------------------- */

/* One token per line after a "vocabulary:" line, with \ and new lines escaped. */
bool vocab_to_text(const cli_vocab *v, char **text, size_t *len)
{
    size_t cap = 32, at = 0;
    for (int i = 0; i < v->n; i++)
        cap += 2 * strlen(v->tokens[i]) + 1;
    char *s = malloc(cap);
    if (s == NULL)
        return cli_error("out of memory"), false;
    at += (size_t)snprintf(s, cap, "vocabulary:\n");
    for (int i = 0; i < v->n; i++) {
        for (const char *p = v->tokens[i]; *p; p++) {
            if (*p == '\\' || *p == '\n')
                s[at++] = '\\';
            s[at++] = *p == '\n' ? 'n' : *p;
        }
        s[at++] = '\n';
    }
    s[at] = '\0';
    *text = s;
    *len = at;
    return true;
}

bool vocab_from_text(cli_vocab *v, const char *text)
{
    memset(v, 0, sizeof *v);
    const char *p = strstr(text, "\nvocabulary:\n");
    if (p == NULL)
        return cli_error("the model's vocabulary is missing from its data settings"), false;
    p += strlen("\nvocabulary:\n");
    char tok[512];
    while (*p) {
        size_t len = 0;
        for (; *p && *p != '\n'; p++) {
            char c = *p;
            if (c == '\\' && p[1]) {
                p++;
                c = *p == 'n' ? '\n' : *p;
            }
            if (len + 1 >= sizeof tok)
                return vocab_free(v), cli_error("the model's vocabulary is damaged"), false;
            tok[len++] = c;
        }
        if (*p == '\n')
            p++;
        const bool known = len > 0 && v->cap && v->slot[slot_of(v, tok, len)] >= 0;
        if (len == 0 || known) {   /* an empty or repeated token would shift the ids */
            vocab_free(v);
            return cli_error("the model's vocabulary is damaged"), false;
        }
        if (!add(v, tok, len, 0)) {
            vocab_free(v);
            return cli_error("out of memory"), false;
        }
    }
    return true;
}
