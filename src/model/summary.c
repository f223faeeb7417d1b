/* recur_model_summary: Keras 3's model.summary() table — the model's name, each layer's name
 * and class, output shape and parameters, then the totals, and the optimizer's variables once
 * it has taken a step (Keras counts them from when the optimizer is built). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "model/internal.h"

void model_layer_name(const recur_model *m, int i, char *buf, size_t size)
{
    const layer *L = m->layers[i];
    if (L->name[0]) {
        snprintf(buf, size, "%s", L->name);
        return;
    }
    const char *stem = L->time_distributed ? "time_distributed" : L->ops->keras_name;
    int before = 0;
    for (int k = 0; k < i; k++)
        before += m->layers[k]->ops == L->ops &&
                  m->layers[k]->time_distributed == L->time_distributed;
    if (before)
        snprintf(buf, size, "%s_%d", stem, before);
    else
        snprintf(buf, size, "%s", stem);
}

typedef struct {
    char *buf;
    size_t size, at;
} text_out;

static void emit(text_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(text_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const bool room = o->at < o->size;   /* past the end: only count what would be written */
    const int w = vsnprintf(room ? o->buf + o->at : NULL, room ? o->size - o->at : 0, fmt, ap);
    va_end(ap);
    if (w > 0)
        o->at += (size_t)w;
}

/* 1234567 → "1,234,567", as Python's "{:,}". */
static void grouped(size_t v, char *buf, size_t size)
{
    char digits[32];
    const int n = snprintf(digits, sizeof digits, "%zu", v);
    size_t at = 0;
    for (int i = 0; i < n && at + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[at++] = ',';
        buf[at++] = digits[i];
    }
    buf[at] = '\0';
}

/* "N (x.xx KB)" for N float32 values, with Keras's units (powers of 1024). */
static void params_and_size(size_t n, char *buf, size_t size)
{
    static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
    char count[32];
    grouped(n, count, sizeof count);
    double bytes = 4.0 * (double)n;
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, size, "%s (%.2f %s)", count, bytes, units[u]);
}

/* A rule across the table: left, fill, the joint between columns, right. */
static void rule(text_out *o, const int *widths, const char *l, const char *fill,
                 const char *joint, const char *r)
{
    emit(o, "%s", l);
    for (int c = 0; c < 3; c++) {
        for (int k = 0; k < widths[c] + 2; k++)
            emit(o, "%s", fill);
        emit(o, "%s", c < 2 ? joint : r);
    }
    emit(o, "\n");
}

static void cells(text_out *o, const int *widths, const char *name, int name_len,
                  const char *shape, const char *params)
{
    emit(o, "│ %-*.*s%*s │ %-*s │ %*s │\n", name_len, name_len, name, widths[0] - name_len, "",
         widths[1], shape, widths[2], params);
}

/* A layer's row; "name (Class)" wider than its column breaks before "(Class)", as Keras's
 * table does. */
static void row(text_out *o, const int *widths, const char *label, const char *shape,
                const char *params)
{
    const int len = (int)strlen(label);
    const char *space = strchr(label, ' ');
    if (len <= widths[0] || space == NULL) {
        cells(o, widths, label, len, shape, params);
        return;
    }
    cells(o, widths, label, (int)(space - label), shape, params);
    cells(o, widths, space + 1, (int)strlen(space + 1), "", "");
}

/* The optimizer's variables in Keras: iteration and learning_rate, then its slots. */
static size_t optimizer_params(const recur_model *m, size_t trainable)
{
    const recur_compile_opts *o = &m->copts;
    const int slots = o->optimizer == RECUR_ADAM      ? 2
                      : o->optimizer == RECUR_RMSPROP ? 1 + (o->momentum > 0)
                                                      : o->momentum > 0;
    return 2 + (size_t)slots * trainable;
}

recur_status recur_model_summary(const recur_model *m, char *buf, size_t size)
{
    if (m == NULL || buf == NULL || size == 0)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_summary: bad argument");
    int widths[3] = { 31, 22, 13 };   /* Keras's at its default line length */
    char names[MODEL_MAX_LAYERS][160], shapes[MODEL_MAX_LAYERS][48], counts[MODEL_MAX_LAYERS][32];
    size_t total = 0;
    char batch[16] = "None";   /* a stateful model's is fixed */
    if (model_stateful(m) && m->stateful_batch > 0)
        snprintf(batch, sizeof batch, "%d", m->stateful_batch);
    for (int i = 0; i < m->n_layers; i++) {
        const layer *L = m->layers[i];
        char name[96];
        model_layer_name(m, i, name, sizeof name);
        snprintf(names[i], sizeof names[i], "%s (%s)", name,
                 L->time_distributed ? "TimeDistributed" : L->ops->keras_class);
        char steps[16] = "None";   /* an open length is Keras's None */
        if (!m->length_open)
            snprintf(steps, sizeof steps, "%d", L->out.steps);
        if (L->out.steps)
            snprintf(shapes[i], sizeof shapes[i], "(%s, %s, %d)", batch, steps,
                     L->out.features);
        else
            snprintf(shapes[i], sizeof shapes[i], "(%s, %d)", batch, L->out.features);
        const size_t p = layer_param_count(L);
        grouped(p, counts[i], sizeof counts[i]);
        total += p;
        const char *space = strchr(names[i], ' ');   /* the longer of the two lines */
        const int a = space ? (int)(space - names[i]) : (int)strlen(names[i]);
        const int w = space ? (a > (int)strlen(space + 1) ? a : (int)strlen(space + 1)) : a;
        widths[0] = w > widths[0] ? w : widths[0];
    }
    text_out o = { buf, size, 0 };
    emit(&o, "Model: \"%s\"\n", m->name[0] ? m->name : "sequential");
    rule(&o, widths, "┏", "━", "┳", "┓");
    emit(&o, "┃ %-*s ┃ %-*s ┃ %*s ┃\n", widths[0], "Layer (type)", widths[1], "Output Shape",
         widths[2], "Param #");
    rule(&o, widths, "┡", "━", "╇", "┩");
    for (int i = 0; i < m->n_layers; i++) {
        if (i > 0)
            rule(&o, widths, "├", "─", "┼", "┤");
        row(&o, widths, names[i], shapes[i], counts[i]);
    }
    rule(&o, widths, "└", "─", "┴", "┘");
    const size_t opt = m->compiled && m->iterations > 0 ? optimizer_params(m, total) : 0;
    char text[64];
    params_and_size(total + opt, text, sizeof text);
    emit(&o, " Total params: %s\n", text);
    params_and_size(total, text, sizeof text);
    emit(&o, " Trainable params: %s\n", text);
    params_and_size(0, text, sizeof text);
    emit(&o, " Non-trainable params: %s\n", text);
    if (opt) {
        params_and_size(opt, text, sizeof text);
        emit(&o, " Optimizer params: %s\n", text);
    }
    if (o.at >= size)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_model_summary: buffer of %zu bytes too small "
                          "(need %zu)", size, o.at + 1);
    return RECUR_OK;
}
