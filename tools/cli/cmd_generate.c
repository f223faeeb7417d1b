/* recur generate: continue a prompt with a next-token model, one token at a time. The
 * model is rebuilt for one step with stateful layers (Keras's recipe), so each token costs
 * one step of the network, not a pass over the whole text so far. Tokens are drawn from
 * the model's distribution, sharpened or flattened by the temperature and cut to the k
 * most likely; padding and the unknown token are never drawn. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct {
    const char *load, *prompt;
    int length, top_k, seed, threads;
    double temperature;
    bool seeded;
} generate_flags;

static bool parse_flags(cli_args *a, generate_flags *g)
{
    *g = (generate_flags){ .length = 0, .top_k = 0, .seed = -1, .threads = 1,
                           .temperature = 1.0 };
    if (!arg_str(a, "load", &g->load) || !arg_str(a, "prompt", &g->prompt) ||
        !arg_int(a, "length", 0, 1 << 24, &g->length) ||
        !arg_int(a, "top-k", 0, 1 << 24, &g->top_k) ||
        !arg_int(a, "seed", 0, 1 << 30, &g->seed) ||
        !arg_int(a, "threads", 1, 1024, &g->threads) ||
        !arg_float(a, "temperature", 0, 100, &g->temperature) || !args_all_used(a))
        return false;
    if (!g->load || !g->prompt)
        return cli_error("generate: --load MODEL and --prompt TEXT are required"), false;
    if (g->length < 1)
        return cli_error("generate: --length must be at least 1"), false;
    if (arg_flag(a, "top-k") && g->top_k < 1)
        return cli_error("generate: --top-k must be at least 1"), false;
    g->seeded = g->seed >= 0;
    return true;
}

static unsigned long long next_random(unsigned long long *s)   /* splitmix64 */
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const double *sort_weights;
static int by_weight(const void *a, const void *b)
{
    const double x = sort_weights[*(const int *)a], y = sort_weights[*(const int *)b];
    return x > y ? -1 : x < y ? 1 : *(const int *)a - *(const int *)b;
}

/* A token id from probabilities p [V] (ids 0 and 1 excluded): the most likely at
 * temperature 0; otherwise p^(1/T), the top k kept, renormalised and drawn from. */
static int draw(const float *p, int V, const generate_flags *g, double *w, int *order,
                unsigned long long *rng)
{
    int best = 2;
    for (int i = 3; i < V; i++)
        best = p[i] > p[best] ? i : best;
    if (g->temperature == 0)
        return best;
    for (int i = 0; i < V; i++)
        w[i] = i < 2 || p[i] <= 0 ? 0 : exp(log((double)p[i]) / g->temperature);
    int n = V;
    for (int i = 0; i < V; i++)
        order[i] = i;
    if (g->top_k > 0 && g->top_k < V) {
        sort_weights = w;
        qsort(order, (size_t)V, sizeof(int), by_weight);
        n = g->top_k;
    }
    double total = 0;
    for (int i = 0; i < n; i++)
        total += w[order[i]];
    if (!(total > 0))
        return best;
    double u = (double)(next_random(rng) >> 11) * 0x1p-53 * total;
    for (int i = 0; i < n; i++) {
        u -= w[order[i]];
        if (u < 0)
            return order[i];
    }
    return order[n - 1];
}

/* The token with id `id` as generated text: a character as it is, a word after a space. */
static void emit(const data_spec *s, int id)
{
    const char *tok = s->words.tokens[id - 2];
    if (s->tokens == TOKENS_WORD)
        putchar(' ');
    fputs(tok, stdout);
    fflush(stdout);
}

/* The stepping model fed the prompt, token by token; p holds the last step's output. */
static bool feed_prompt(recur_model *st, const float *ids, int n, float *p)
{
    for (int i = 0; i < n; i++)
        if (recur_model_predict_in_batches(st, ids + i, 1, 1, p) != RECUR_OK)
            return cli_error("generate: %s", recur_last_error()), false;
    return true;
}

static int generate(recur_model *st, const data_spec *s, const generate_flags *g,
                    const float *prompt, int n_prompt, unsigned long long rng)
{
    int steps, V;
    recur_model_output_shape(st, &steps, &V);
    float *p = malloc(sizeof(float) * (size_t)V);
    double *w = malloc(sizeof(double) * (size_t)V);
    int *order = malloc(sizeof(int) * (size_t)V);
    int rc = !p || !w || !order ? cli_error("generate: out of memory") : 0;
    if (rc == 0 && !feed_prompt(st, prompt, n_prompt, p))
        rc = 1;
    if (rc == 0)
        fputs(g->prompt, stdout);
    for (int k = 0; rc == 0 && k < g->length; k++) {
        const int id = draw(p, V, g, w, order, &rng);
        emit(s, id);
        const float x = (float)id;
        if (k + 1 < g->length && recur_model_predict_in_batches(st, &x, 1, 1, p) != RECUR_OK)
            rc = cli_error("generate: %s", recur_last_error());
    }
    if (rc == 0)
        putchar('\n');
    free(p);
    free(w);
    free(order);
    return rc;
}

int cmd_generate(cli_args *a)
{
    generate_flags g;
    if (!parse_flags(a, &g))
        return 1;
    recur_model *m = NULL, *st = NULL;
    data_spec s = { 0 };
    float *ids = NULL;
    int n = 0, rc = 1;
    char unknown[64];
    if (recur_model_load(g.load, &m) != RECUR_OK) {
        cli_error("%s", recur_last_error());
    } else if (!data_spec_from_text(recur_model_metadata(m), &s)) {
        /* the message is out */
    } else if (s.task != TASK_NEXT_TOKEN) {
        cli_error("generate: %s is not a next-token model (train one with recur fit --task "
                  "next-token)", g.load);
    } else if (text_first_unknown(&s.words, s.tokens, g.prompt, unknown, sizeof unknown)) {
        if (s.tokens == TOKENS_WORD)
            cli_error("generate: the prompt's word '%s' is not in the model's vocabulary",
                      unknown);
        else if (isprint((unsigned char)unknown[0]))
            cli_error("generate: the prompt's character '%s' is not in the model's "
                      "vocabulary", unknown);
        else
            cli_error("generate: the prompt's byte 0x%02x is not in the model's vocabulary",
                      (unsigned char)unknown[0]);
    } else if (!text_ids(&s.words, s.tokens, g.prompt, &ids, &n)) {
        /* the message is out */
    } else if (n == 0) {
        cli_error("generate: the prompt has no token to start from");
    } else if (recur_model_rebuild(m, 1, true, &st) != RECUR_OK ||
               recur_model_set_num_threads(st, g.threads) != RECUR_OK) {
        cli_error("generate: %s", recur_last_error());
    } else {
        unsigned long long seed = g.seeded ? (unsigned long long)g.seed
                                           : (unsigned long long)time(NULL) % (1u << 30);
        if (!g.seeded)
            fprintf(stderr, "recur: sampling with --seed %llu\n", seed);
        rc = generate(st, &s, &g, ids, n, seed * 0x9e3779b97f4a7c15ULL + 1);
    }
    free(ids);
    data_spec_free(&s);
    recur_model_free(st);
    recur_model_free(m);
    return rc;
}
