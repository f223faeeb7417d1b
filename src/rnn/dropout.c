/* Keras 3's recurrent dropout, inside the recurrence.
 *
 * With recurrent_dropout Keras's LSTM and GRU cells (implementation 1) multiply the previous
 * state by a separate mask in each gate's recurrent product, and, with dropout, the input by
 * a separate mask in each gate's input product; SimpleRNN has one of each. So each gate's
 * products have their own left operand: the engine runs them gate by gate on packings of
 * that gate's columns of W and U (the products cost what one product over all gates costs),
 * and keeps the masked states (HDROP) and inputs (xt, G·F floats a row) for the weight
 * gradients. The masks are the caller's, per batch row, held for every step.
 *
 * What the gradients are: with A_q = h_prev ⊙ m_q, the gate-q preactivation gets A_q · U_q,
 * so dU_q = Σ A_qᵀ · dG_q and h_prev receives Σ_q (dG_q · U_qᵀ) ⊙ m_q; the input likewise
 * with W_q. The states themselves (LSTM's carry, GRU's blend z ⊙ h_prev) are not masked. */
#include <string.h>

#include "core/error.h"
#include "core/util.h"
#include "gemm/gemm.h"
#include "rnn/engine.h"
#include "rnn/internal.h"

recur_status recur_rnn_plan_dropout(recur_rnn *r, bool inputs)
{
    const recur_kernels *kt = r->kt;
    const size_t nu = recur_round_floats(recur_packed_b_floats(kt, r->H, r->H));
    const size_t nw = inputs ? recur_round_floats(recur_packed_b_floats(kt, r->F, r->H)) : 0;
    const size_t nwt = inputs ? recur_round_floats(recur_packed_b_floats(kt, r->H, r->F)) : 0;
    float *p = recur_alloc_aligned((size_t)r->G * (2 * nu + nw + nwt) * sizeof(float));
    if (p == NULL)
        return recur_fail(RECUR_ERR_NO_MEMORY, "recurrent dropout: out of memory for the "
                          "per-gate weight packings");
    recur_free_aligned(r->drop.block);
    r->drop.block = p;
    for (int q = 0; q < r->G; q++) {
        r->drop.u[q] = p;
        r->drop.ut[q] = p + nu;
        p += 2 * nu;
        r->drop.w[q] = inputs ? p : NULL;
        r->drop.wt[q] = inputs ? p + nw : NULL;
        p += nw + nwt;
    }
    r->drop.planned = true;
    r->drop.inputs = inputs;
    if (r->kernel)
        recur_rnn_pack_dropout(r);
    r->have_forward = false;
    return RECUR_OK;
}

void recur_rnn_set_dropout(recur_rnn *r, const float *in_masks, const float *rec_masks)
{
    r->drop.in = r->drop.inputs ? in_masks : NULL;
    r->drop.rec = r->drop.planned ? rec_masks : NULL;
}

void recur_rnn_pack_dropout(recur_rnn *r)
{
    if (!r->drop.planned)
        return;
    const recur_kernels *kt = r->kt;
    const int F = r->F, H = r->H, GH = r->G * r->H;
    for (int q = 0; q < r->G; q++) {
        recur_pack_b(kt, H, H, r->rec_kernel + (size_t)q * H, GH, false, r->drop.u[q]);
        recur_pack_b(kt, H, H, r->rec_kernel + (size_t)q * H, GH, true, r->drop.ut[q]);
        if (r->drop.inputs) {
            recur_pack_b(kt, F, H, r->kernel + (size_t)q * H, GH, false, r->drop.w[q]);
            recur_pack_b(kt, H, F, r->kernel + (size_t)q * H, GH, true, r->drop.wt[q]);
        }
    }
}

/* Gate q's state mask of internal row p. */
static const float *state_mask(const recur_rnn *r, int p, int q)
{
    const size_t b = (size_t)recur_rnn_batch_row(r, p);
    return r->drop.rec + (b * r->G + (size_t)q) * r->H;
}

void recur_rnn_drop_states(const recur_rnn *r, int p0, int rows, const float *hp, float *A)
{
    const int H = r->H, G = r->G;
    for (int i = 0; i < rows; i++)
        for (int q = 0; q < G; q++) {
            const float *m = state_mask(r, p0 + i, q), *h = hp + (size_t)i * H;
            float *a = A + ((size_t)i * G + q) * H;
            for (int j = 0; j < H; j++)
                a[j] = h[j] * m[j];
        }
}

void recur_rnn_drop_add(const recur_rnn *r, int p0, int rows, int q, const float *t, float *dh,
                        bool first)
{
    const int H = r->H;
    for (int i = 0; i < rows; i++) {
        const float *m = state_mask(r, p0 + i, q), *ti = t + (size_t)i * H;
        float *d = dh + (size_t)i * H;
        if (first)
            for (int j = 0; j < H; j++)
                d[j] = ti[j] * m[j];
        else
            for (int j = 0; j < H; j++)
                d[j] += ti[j] * m[j];
    }
}

void recur_rnn_drop_stage(const recur_rnn *r, int b, const float *x, float *out)
{
    const int F = r->F, G = r->G;
    for (int q = 0; q < G; q++) {
        const float *m = r->drop.in + ((size_t)b * G + q) * F;
        for (int f = 0; f < F; f++)
            out[(size_t)q * F + f] = x[f] * m[f];
    }
}

void recur_rnn_drop_project(const recur_rnn *r, int rows, const float *xt, float *gates,
                            float *work)
{
    const int F = r->F, H = r->H, G = r->G, GH = G * H;
    for (int q = 0; q < G; q++) {
        if (r->bias_rows > 0)
            recur_sgemm_packed_bias(r->kt, rows, H, F, xt + (size_t)q * F, G * F, r->drop.w[q],
                                    r->bias + (size_t)q * H, gates + (size_t)q * H, GH, work);
        else
            recur_sgemm_packed(r->kt, rows, H, F, xt + (size_t)q * F, G * F, false,
                               r->drop.w[q], gates + (size_t)q * H, GH, false, work);
    }
}

void recur_rnn_drop_weight_products(const recur_rnn *r, int rows, int j0, int j1, float *work)
{
    const recur_kernels *kt = r->kt;
    const int F = r->F, H = r->H, G = r->G, GH = G * H;
    const float *ws = r->ws;
    const float *dg = ws + r->plan.rgn[RECUR_RGN_GATES].off;
    const float *hd = ws + r->plan.rgn[RECUR_RGN_HDROP].off;
    const float *xt = ws + r->plan.rgn[RECUR_RGN_XT].off;
    /* GRU reset_after: the recurrent products' gradient is dq, not dG */
    const float *dr = r->cfg.cell == RECUR_GRU && !r->split_u
                          ? ws + r->plan.rgn[RECUR_RGN_REC].off : dg;
    for (int q = 0; q < G; q++) {
        const int c0 = j0 > q * H ? j0 : q * H, c1 = j1 < (q + 1) * H ? j1 : (q + 1) * H;
        if (c1 <= c0)
            continue;
        if (r->split_u && q == 2)   /* the h gate's recurrent input is r ⊙ A_h */
            recur_sgemm(kt, H, c1 - c0, rows, ws + r->plan.rgn[RECUR_RGN_RH].off, H, true,
                        dg + c0, GH, false, r->drec_kernel + c0, GH, true, work);
        else
            recur_sgemm(kt, H, c1 - c0, rows, hd + (size_t)q * H, GH, true, dr + c0, GH, false,
                        r->drec_kernel + c0, GH, true, work);
        if (r->plan.x_masked)
            recur_sgemm(kt, F, c1 - c0, rows, xt + (size_t)q * F, G * F, true, dg + c0, GH,
                        false, r->dkernel + c0, GH, true, work);
    }
}

void recur_rnn_drop_input_gradient(recur_rnn *r, int B, int T, float *dx, int s, int p,
                                   int rows, float *work)
{
    const int F = r->F, H = r->H, G = r->G, GH = G * H;
    if (rows <= 0)
        return;
    int lo, hi;
    recur_rnn_shard(&r->plan, B, p, &lo, &hi);
    const float *dg = recur_rnn_row(r, RECUR_RGN_GATES, B, s, p);
    float *dxt = recur_rnn_row(r, RECUR_RGN_XT, B, s, p);   /* G·F floats a row */
    for (int q = 0; q < G; q++)
        recur_sgemm_packed(r->kt, rows, F, H, dg + (size_t)q * H, GH, false, r->drop.wt[q],
                           dxt + (size_t)q * F, G * F, false, work);
    for (int i = 0; i < rows; i++) {
        const int b = recur_rnn_batch_row(r, p), t = r->cfg.go_backwards ? T - 1 - s : s;
        const float *src = dxt + (size_t)i * G * F;
        float *out = dx + ((size_t)b * T + t) * F;
        for (int f = 0; f < F; f++)
            out[f] = 0.0f;
        for (int q = 0; q < G; q++) {
            const float *m = r->drop.in + ((size_t)b * G + q) * F;
            for (int f = 0; f < F; f++)
                out[f] += src[(size_t)q * F + f] * m[f];
        }
        if (++p == hi) {
            p = lo;
            s++;
        }
    }
}
