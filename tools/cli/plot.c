/* Line charts as PNG through cairo: the loss curves of a fit, forecasts against the data. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifdef RECUR_HAVE_CAIRO
#include <cairo.h>

static cairo_status_t write_to_file(void *closure, const unsigned char *data, unsigned int n)
{
    return fwrite(data, 1, n, closure) == n ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* A "nice" tick step (1, 2 or 5 × 10^k) giving about `want` intervals over span. */
static double nice_step(double span, int want)
{
    double raw = span / want, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

bool plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                const plot_series *series, int ns)
{
    const int W = 960, H = 540, left = 80, right = 24, top = 48, bottom = 64;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int s = 0; s < ns; s++)
        for (int i = 0; i < series[s].n; i++)
            if (isfinite(series[s].y[i])) {
                x0 = fmin(x0, series[s].x[i]);
                x1 = fmax(x1, series[s].x[i]);
                y0 = fmin(y0, series[s].y[i]);
                y1 = fmax(y1, series[s].y[i]);
            }
    if (!isfinite(x0) || !isfinite(y0))
        return cli_error("%s: nothing to plot", path), false;
    if (x1 == x0) x1 = x0 + 1;
    if (y1 == y0) y1 = y0 + 1;
    double pad = 0.05 * (y1 - y0);
    y0 -= pad;
    y1 += pad;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    const double pw = W - left - right, ph = H - top - bottom;
#define PX(v) (left + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (top + ph - ((v) - y0) / (y1 - y0) * ph)
    char label[64];
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    double ys = nice_step(y1 - y0, 6), xs = nice_step(x1 - x0, 8);
    for (double v = ceil(y0 / ys) * ys; v <= y1; v += ys) {
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, left, PY(v));
        cairo_line_to(cr, W - right, PY(v));
        cairo_stroke(cr);
        snprintf(label, sizeof label, "%g", fabs(v) < 1e-12 * ys ? 0.0 : v);
        cairo_text_extents_t e;
        cairo_text_extents(cr, label, &e);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, left - 8 - e.width, PY(v) + e.height / 2);
        cairo_show_text(cr, label);
    }
    for (double v = ceil(x0 / xs) * xs; v <= x1; v += xs) {
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, PX(v), top);
        cairo_line_to(cr, PX(v), top + ph);
        cairo_stroke(cr);
        snprintf(label, sizeof label, "%g", v);
        cairo_text_extents_t e;
        cairo_text_extents(cr, label, &e);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, PX(v) - e.width / 2, top + ph + 18);
        cairo_show_text(cr, label);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_rectangle(cr, left, top, pw, ph);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 16);
    cairo_move_to(cr, left, 30);
    cairo_show_text(cr, title);
    cairo_set_font_size(cr, 13);
    cairo_text_extents_t e;
    cairo_text_extents(cr, xlabel, &e);
    cairo_move_to(cr, left + pw / 2 - e.width / 2, H - 20);
    cairo_show_text(cr, xlabel);
    cairo_save(cr);
    cairo_text_extents(cr, ylabel, &e);
    cairo_move_to(cr, 22, top + ph / 2 + e.width / 2);
    cairo_rotate(cr, -M_PI / 2);
    cairo_show_text(cr, ylabel);
    cairo_restore(cr);
    cairo_rectangle(cr, left, top, pw, ph);
    cairo_clip(cr);
    cairo_set_line_width(cr, 2);
    for (int s = 0; s < ns; s++) {
        const plot_series *p = &series[s];
        cairo_set_source_rgb(cr, p->r, p->g, p->b);
        bool pen = false;
        for (int i = 0; i < p->n; i++) {
            if (!isfinite(p->y[i])) {
                pen = false;
                continue;
            }
            if (pen)
                cairo_line_to(cr, PX(p->x[i]), PY(p->y[i]));
            else
                cairo_move_to(cr, PX(p->x[i]), PY(p->y[i]));
            pen = true;
        }
        cairo_stroke(cr);
    }
    cairo_reset_clip(cr);
    cairo_set_font_size(cr, 13);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);   /* legend box over the lines, top right */
    cairo_rectangle(cr, W - right - 200, top + 4, 190, 20.0 * ns + 10);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (int s = 0; s < ns; s++) {
        double lx = W - right - 190, ly = top + 20 + 20 * s;
        cairo_set_source_rgb(cr, series[s].r, series[s].g, series[s].b);
        cairo_rectangle(cr, lx, ly - 9, 24, 4);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, lx + 32, ly - 3);
        cairo_show_text(cr, series[s].name);
    }
#undef PX
#undef PY
    atomic_file af;
    bool ok = atomic_open(&af, path);
    if (ok) {
        ok = cairo_surface_write_to_png_stream(surf, write_to_file, af.f) == CAIRO_STATUS_SUCCESS;
        if (ok)
            ok = atomic_commit(&af);
        else {
            atomic_abort(&af);
            cli_error("%s: cannot encode the PNG", path);
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return ok;
}
#else
bool plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                const plot_series *series, int ns)
{
    (void)title; (void)xlabel; (void)ylabel; (void)series; (void)ns;
    return cli_error("%s: this recur was built without cairo (install libcairo2-dev and "
                     "rebuild)", path), false;
}
#endif
