/* One batch through the layer list: the buffers every layer reads and writes, planned before
 * the batch loop; forward; the loss; backward into the gradient block; and the public
 * training step built from them. */
#include <string.h>

#include "core/error.h"
#include "core/util.h"
#include "cpu/fpenv.h"
#include "gemm/gemm.h"
#include "model/data.h"
#include "model/internal.h"

void recur_model_set_inference(recur_model *m, bool inference)
{
    m->inference = inference;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops->set_inference)
            m->layers[i]->ops->set_inference(m->layers[i], inference);
}

/* Floats of one layer's batch buffers: output, its gradient, scratch, and the mask bytes. */
static size_t layer_batch_floats(const layer *L, int batch)
{
    const size_t out = recur_round_floats((size_t)batch * layer_shape_size(L->out));
    const size_t scratch = L->ops->scratch_floats ? L->ops->scratch_floats(L, batch) : 0;
    const size_t mask = L->mask == MASK_MAKE ? (size_t)batch * (size_t)L->out.steps : 0;
    return 2 * out + recur_round_floats(scratch) + recur_round_floats((mask + 3) / 4);
}

static void point_batch_buffers(recur_model *m, float *p, int batch)
{
    m->xb = p;
    p += recur_round_floats((size_t)batch * m->timesteps * m->features);
    m->yb = p;
    p += recur_round_floats((size_t)batch * recur_model_output_size(m));
    m->gemm_work = p;
    p += RECUR_GEMM_WORK_FLOATS;
    for (int i = 0; i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        model_acts *a = &m->acts[i];
        const size_t out = recur_round_floats((size_t)batch * layer_shape_size(L->out));
        const size_t scratch = L->ops->scratch_floats ? L->ops->scratch_floats(L, batch) : 0;
        a->y = p;
        a->dy = p + out;
        a->scratch = p + 2 * out;
        p += 2 * out + recur_round_floats(scratch);
        a->mask_buf = NULL;
        if (L->mask == MASK_MAKE) {
            a->mask_buf = (uint8_t *)p;
            p += recur_round_floats(((size_t)batch * (size_t)L->out.steps + 3) / 4);
        }
        a->mask = L->mask == MASK_MAKE ? a->mask_buf
                  : L->mask == MASK_PASS && i > 0 ? m->acts[i - 1].mask : NULL;
    }
}

recur_status recur_model_ensure_batch(recur_model *m, int batch)
{
    /* every call: the layers' plans depend on their mode, and reserving is free when the
     * capacity is already there */
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops->reserve) {
            recur_status s = m->layers[i]->ops->reserve(m->layers[i], batch);
            if (s != RECUR_OK)
                return s;
        }
    if (m->batch_block && batch <= m->cap_batch)
        return RECUR_OK;
    size_t total = recur_round_floats((size_t)batch * m->timesteps * m->features) +
                   recur_round_floats((size_t)batch * recur_model_output_size(m)) +
                   RECUR_GEMM_WORK_FLOATS;
    for (int i = 0; i < m->n_layers; i++)
        total += layer_batch_floats(m->layers[i], batch);
    float *p = recur_alloc_aligned(total * sizeof(float));
    if (p == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "model: cannot allocate %zu bytes of buffers "
                          "for batch %d", total * sizeof(float), batch);
    recur_free_aligned(m->batch_block);
    m->batch_block = p;
    m->cap_batch = batch;
    point_batch_buffers(m, p, batch);
    return RECUR_OK;
}

const uint8_t *model_output_mask(const recur_model *m)
{
    return model_last(m)->out.steps ? m->acts[m->n_layers - 1].mask : NULL;
}

static recur_status forward(recur_model *m, const float *x, int batch)
{
    const float *in = x;
    const uint8_t *mask = NULL;
    for (int i = 0; i < m->n_layers; i++) {
        layer *L = m->layers[i];
        model_acts *a = &m->acts[i];
        const layer_fwd f = { .batch = batch, .training = !m->inference,
                              .random = { m->seed, (unsigned long long)m->iterations, i,
                                          m->batch_first_row },
                              .x = in, .mask = mask, .y = a->y,
                              .mask_out = a->mask_buf, .scratch = a->scratch,
                              .gemm_work = m->gemm_work };
        recur_status s = L->ops->forward(L, &f);
        if (s != RECUR_OK)
            return s;
        in = a->y;
        mask = a->mask;
    }
    return RECUR_OK;
}

recur_status recur_model_forward_batch(recur_model *m, const float *x, int batch)
{
    const recur_fpenv fpenv = recur_fpenv_flush_denormals();
    recur_status s = forward(m, x, batch);
    recur_fpenv_restore(fpenv);
    if (s == RECUR_OK && model_stateful(m))
        m->stateful_batch = batch;
    return s;
}

static recur_status backward(recur_model *m, const float *x, int batch)
{
    const bool logits = model_loss_logits(m) != NULL;
    memset(m->grads, 0, (m->block_floats + m->sq_floats) * sizeof(float));   /* and squares */
    for (int i = m->n_layers - 1; i >= 0; i--) {
        layer *L = m->layers[i];
        const model_acts *a = &m->acts[i];
        const layer_bwd b = { .batch = batch, .x = i ? m->acts[i - 1].y : x,
                              .y = a->y, .mask = i ? m->acts[i - 1].mask : NULL,
                              .mask_out = a->mask, .dy = a->dy,
                              .dy_is_logits = logits && i == m->n_layers - 1,
                              .clipvalue = m->copts.clipvalue,
                              .dx = i ? m->acts[i - 1].dy : NULL, .scratch = a->scratch,
                              .gemm_work = m->gemm_work };
        recur_status s = L->ops->backward(L, &b);
        if (s != RECUR_OK)
            return s;
    }
    return RECUR_OK;
}

recur_status recur_model_loss_and_grads(recur_model *m, const float *x, int batch,
                                        const float *y, bool grad, double *loss)
{
    const recur_fpenv fpenv = recur_fpenv_flush_denormals();
    *loss = model_loss(m, batch, y, m->acts[m->n_layers - 1].dy);
    recur_status s = grad ? backward(m, x, batch) : RECUR_OK;
    recur_fpenv_restore(fpenv);
    return s;
}

recur_status recur_model_train_step(recur_model *m, const float *x, const float *y, int batch,
                                    float *loss)
{
    const char *what = "recur_model_train_step";
    recur_status s = model_check_data(m, x, y, batch, what);
    if (s != RECUR_OK)
        return s;
    if (y == NULL)
        return recur_fail(RECUR_ERR_ARGUMENT, "%s: y is NULL", what);
    if ((s = recur_model_ensure_batch(m, batch)) != RECUR_OK)
        return s;
    double l = 0;
    s = recur_model_forward_batch(m, x, batch);
    if (s == RECUR_OK)
        s = recur_model_loss_and_grads(m, x, batch, y, true, &l);
    if (s == RECUR_OK && loss)
        *loss = (float)l;
    return s;
}
