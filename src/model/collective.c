/* Data parallelism over a recur_collective: which rows of a global batch are this
 * process's, the check that every process runs the same model, rank 0's state taken by all,
 * and the sums that make a step on shares equal to a step on the whole batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "core/error.h"
#include "model/collective.h"

/* The recur_collective layout of its first release: every field. */
#define COLLECTIVE_SIZE_FIRST sizeof(recur_collective)

void model_collective_release(recur_model *m)
{
    if (m->coll.size > 0 && m->coll.release)
        m->coll.release(m->coll.ctx);
    memset(&m->coll, 0, sizeof m->coll);
}

recur_status recur_model_set_collective_sized(recur_model *m, const recur_collective *c,
                                              size_t c_size)
{
    const char *what = "recur_model_set_collective";
    if (m == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: model is NULL", what);
    if (c == NULL) {
        model_collective_release(m);
        return RECUR_OK;
    }
    recur_collective k;
    memset(&k, 0, sizeof k);
    recur_abi_copy(&k, sizeof k, c, c_size);
    if (c_size < COLLECTIVE_SIZE_FIRST || k.size < 1 || k.rank < 0 || k.rank >= k.size ||
        !k.sum_floats || !k.sum_doubles || !k.broadcast)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: needs rank in [0, size) and the three "
                          "operations (got rank %d of %d)", what, k.rank, k.size);
    if (model_stateful(m))
        return recur_fail(RECUR_ERR_STATE, "%s: the model is stateful: its states belong to "
                          "the rows of one process, so it cannot be trained across several",
                          what);
    model_collective_release(m);
    m->coll = k;
    return RECUR_OK;
}

void model_share(const recur_model *m, int rows, int *first, int *count)
{
    if (!model_shared(m)) {
        *first = 0, *count = rows;
        return;
    }
    const int size = m->coll.size, r = m->coll.rank;
    const int base = rows / size, extra = rows % size;
    *count = base + (r < extra);
    *first = r * base + (r < extra ? r : extra);
}

int model_share_cap(const recur_model *m, int rows)
{
    return model_shared(m) ? (rows + m->coll.size - 1) / m->coll.size : rows;
}

static recur_status failed_op(const recur_model *m, const char *what, const char *why)
{
    return recur_fail(RECUR_ERR_IO, "%s: process %d of %d: %s", what, m->coll.rank,
                      m->coll.size, why);
}

/* FNV-1a over the values that must agree. */
static void mix(unsigned long long *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 0x100000001b3ULL;
}

static unsigned long long model_fingerprint(const recur_model *m)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    mix(&h, &m->timesteps, sizeof m->timesteps);
    mix(&h, &m->features, sizeof m->features);
    mix(&h, &m->n_layers, sizeof m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {   /* kind, shapes and every setting */
        const layer *L = m->layers[i];
        const int v[] = { L->in.steps, L->in.features, L->out.steps, L->out.features,
                          L->n_weights, (int)L->mask };
        mix(&h, v, sizeof v);
        mix(&h, L->ops->tag, strlen(L->ops->tag));
        if (L->ops->write_config) {
            layer_config_writer w = { .len = 0 };
            L->ops->write_config(L, &w);
            mix(&h, w.bytes, w.len);
        }
    }
    for (int w = 0; w < m->n_weights; w++)
        mix(&h, &m->weights[w].n, sizeof m->weights[w].n);
    const recur_compile_opts *c = &m->copts;
    const float f[] = { c->learning_rate, c->beta_1, c->beta_2, c->epsilon, c->momentum,
                        c->rho, c->clipnorm, c->clipvalue, c->global_clipnorm };
    const int e[] = { (int)c->optimizer, (int)c->loss, (int)c->metrics, (int)c->nesterov };
    mix(&h, f, sizeof f);
    mix(&h, e, sizeof e);
    return h;
}

recur_status model_check_same(const recur_model *m, const long long *call, int n_call,
                              const char *what)
{
    if (!model_shared(m))
        return RECUR_OK;
    unsigned long long mine[2] = { model_fingerprint(m), 0xcbf29ce484222325ULL }, first[2];
    mix(&mine[1], call, sizeof *call * (size_t)n_call);
    memcpy(first, mine, sizeof mine);
    const char *err = m->coll.broadcast(m->coll.ctx, 0, first, sizeof first);
    if (err)
        return failed_op(m, what, err);
    /* every process learns which of them differ from rank 0 */
    double differ[2] = { first[0] != mine[0], first[1] != mine[1] };
    if ((err = m->coll.sum_doubles(m->coll.ctx, differ, 2)) != NULL)
        return failed_op(m, what, err);
    if (differ[0] > 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: %.0f of the %d processes have another "
                          "model (layers, shapes or compile settings) than process 0", what,
                          differ[0], m->coll.size);
    if (differ[1] > 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: %.0f of the %d processes were called with "
                          "other data shapes or options than process 0", what, differ[1],
                          m->coll.size);
    return RECUR_OK;
}

recur_status model_agree_status(const recur_model *m, recur_status mine, const char *what)
{
    const int size = m->coll.size;
    double *failed = calloc((size_t)size, sizeof *failed);
    if (failed == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "%s: out of memory", what);
    failed[m->coll.rank] = mine != RECUR_OK;
    const char *err = m->coll.sum_doubles(m->coll.ctx, failed, (size_t)size);
    int root = 0;
    while (!err && root < size && failed[root] == 0)
        root++;
    free(failed);
    if (err)
        return failed_op(m, what, err);
    if (root == size)
        return RECUR_OK;
    struct { int status; char message[512]; } verdict = { (int)mine, "" };
    snprintf(verdict.message, sizeof verdict.message, "%s", recur_last_error());
    if ((err = m->coll.broadcast(m->coll.ctx, root, &verdict, sizeof verdict)) != NULL)
        return failed_op(m, what, err);
    verdict.message[sizeof verdict.message - 1] = '\0';
    return recur_fail((recur_status)verdict.status, "%s", verdict.message);
}

recur_status model_take_rank0_state(recur_model *m, const char *what)
{
    if (!model_shared(m))
        return RECUR_OK;
    const size_t at = m->block_floats;
    const char *err = m->coll.broadcast(m->coll.ctx, 0, m->params, at * sizeof(float));
    if (!err)   /* both optimizer slots, which are adjacent */
        err = m->coll.broadcast(m->coll.ctx, 0, m->slot[0], 2 * at * sizeof(float));
    if (!err)
        err = m->coll.broadcast(m->coll.ctx, 0, &m->iterations, sizeof m->iterations);
    if (err)
        return failed_op(m, what, err);
    model_weights_changed(m);
    return RECUR_OK;
}

recur_status model_sum_stats(const recur_model *m, double *stats, int n, const char *what)
{
    if (!model_shared(m))
        return RECUR_OK;
    const char *err = m->coll.sum_doubles(m->coll.ctx, stats, (size_t)n);
    return err ? failed_op(m, what, err) : RECUR_OK;
}

recur_status model_sum_gradients(recur_model *m, double share, const char *what)
{
    if (!model_shared(m))
        return RECUR_OK;
    /* the gradients and, right after them, the sparse gradients' squared slices */
    const size_t n = m->block_floats + m->sq_floats;
    if (share != 1.0) {
        m->kt->scale(m->block_floats, (float)share, m->grads);
        if (m->sq_floats)
            m->kt->scale(m->sq_floats, (float)(share * share), m->sq);
    }
    const char *err = m->coll.sum_floats(m->coll.ctx, m->grads, n);
    return err ? failed_op(m, what, err) : RECUR_OK;
}

/* The entry point for callers that do not pass a size (through a pointer, or from another
 * language): it reads the layout of the struct's first release. */
#undef recur_model_set_collective
RECUR_API recur_status recur_model_set_collective(recur_model *m, const recur_collective *c);
recur_status recur_model_set_collective(recur_model *m, const recur_collective *c)
{
    return recur_model_set_collective_sized(m, c, COLLECTIVE_SIZE_FIRST);
}
