/* canvas_cairo.c: a canvas that paints a PNG with cairo (canvas.h).
 *
 * Built only when cairo was found; groups and titles have no meaning in a
 * picture and are dropped. Text uses cairo's toy font API ("sans-serif",
 * fontconfig picks the face), aligned by its real extents.
 */
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "canvas.h"
#include "error.h"

struct png {
	struct aipm_canvas c;
	cairo_surface_t *surf;
	cairo_t *cr;
};

static cairo_t *cr_of(struct aipm_canvas *c) { return ((struct png *)c)->cr; }

static void source(cairo_t *cr, struct aipm_rgb c, double a) { cairo_set_source_rgba(cr, c.r, c.g, c.b, a); }

static void png_rect(struct aipm_canvas *c, double x, double y, double w, double h, struct aipm_rgb fill,
		     double alpha)
{
	cairo_t *cr = cr_of(c);
	source(cr, fill, alpha);
	cairo_rectangle(cr, x, y, w, h);
	cairo_fill(cr);
}

static void png_lines(struct aipm_canvas *c, const double *xy, size_t n, const size_t *runs, size_t nruns,
		      const struct aipm_pen *pen)
{
	cairo_t *cr = cr_of(c);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool start = i == 0 || (runs && k < nruns && runs[k] == i);
		if (runs && k < nruns && runs[k] == i)
			k++;
		if (start)
			cairo_move_to(cr, xy[2 * i], xy[2 * i + 1]);
		else
			cairo_line_to(cr, xy[2 * i], xy[2 * i + 1]);
	}
	static const double dash[] = {7, 4};
	cairo_set_dash(cr, dash, pen->dashed ? 2 : 0, 0);
	cairo_set_line_width(cr, pen->width);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	source(cr, pen->c, pen->alpha);
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
}

static void png_area(struct aipm_canvas *c, const double *xy, size_t n, struct aipm_rgb fill, double alpha)
{
	cairo_t *cr = cr_of(c);
	for (size_t i = 0; i < n; i++)
		(i ? cairo_line_to : cairo_move_to)(cr, xy[2 * i], xy[2 * i + 1]);
	cairo_close_path(cr);
	source(cr, fill, alpha);
	cairo_fill(cr);
}

static void png_dot(struct aipm_canvas *c, double x, double y, double r, struct aipm_rgb fill)
{
	cairo_t *cr = cr_of(c);
	cairo_new_sub_path(cr);
	cairo_arc(cr, x, y, r, 0, 2 * M_PI);
	source(cr, fill, 1);
	cairo_fill(cr);
}

static void png_text(struct aipm_canvas *c, double x, double y, const char *s, const struct aipm_font *f)
{
	cairo_t *cr = cr_of(c);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       f->bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, f->size);
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	cairo_save(cr);
	cairo_translate(cr, x, y);
	if (f->vertical)
		cairo_rotate(cr, -M_PI / 2);
	cairo_move_to(cr, -e.x_advance * f->align, 0);
	source(cr, f->c, 1);
	cairo_show_text(cr, s);
	cairo_restore(cr);
	cairo_new_path(cr);
}

static void png_group(struct aipm_canvas *c, const char *cls, const char *name, const char *unit, const char *title)
{
	(void)c, (void)cls, (void)name, (void)unit, (void)title;
}

static void png_group_end(struct aipm_canvas *c) { (void)c; }

static const struct aipm_canvas_ops png_ops = {
	.rect = png_rect,
	.lines = png_lines,
	.area = png_area,
	.dot = png_dot,
	.text = png_text,
	.group = png_group,
	.group_end = png_group_end,
};

struct aipm_canvas *aipm_canvas_png_new(double w, double h)
{
	struct png *p = calloc(1, sizeof *p);
	if (!p) {
		aipm_err(-ENOMEM, "out of memory");
		return NULL;
	}
	p->c.ops = &png_ops;
	p->c.w = w;
	p->c.h = h;
	p->surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(w), (int)ceil(h));
	if (cairo_surface_status(p->surf) != CAIRO_STATUS_SUCCESS) {
		aipm_err(-ENOMEM, "cannot make a %.0fx%.0f picture: %s", w, h,
			 cairo_status_to_string(cairo_surface_status(p->surf)));
		cairo_surface_destroy(p->surf);
		free(p);
		return NULL;
	}
	p->cr = cairo_create(p->surf);
	png_rect(&p->c, 0, 0, w, h, (struct aipm_rgb){1, 1, 1}, 1);
	return &p->c;
}

int aipm_canvas_png_finish(struct aipm_canvas *c, const char *path)
{
	struct png *p = (struct png *)c;
	int rc = 0;
	cairo_status_t st = cairo_status(p->cr);
	cairo_destroy(p->cr);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_write_to_png(p->surf, path);
	if (st != CAIRO_STATUS_SUCCESS)
		rc = aipm_err(-EIO, "%s: cannot write the PNG: %s. Pick a writable path", path,
			      cairo_status_to_string(st));
	cairo_surface_destroy(p->surf);
	free(p);
	return rc;
}
