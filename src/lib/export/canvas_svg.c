/* canvas_svg.c: a canvas that writes SVG text (canvas.h).
 *
 * Written by hand rather than through cairo's SVG surface, which turns text
 * into glyph outlines and knows nothing of series: here a series is a
 * <g class="series" data-series="package 0"> with a <title> (a browser
 * shows it on hover), text stays text, and the numbers are written in the
 * C locale with two decimals, whatever the caller's locale. Colours are
 * #rrggbb with a separate opacity, as every SVG reader takes them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/out.h"
#include "canvas.h"
#include "error.h"

struct svg {
	struct aipm_canvas c;
	struct aipm_buf *b;
};

static void colour(struct aipm_buf *b, const char *attr, struct aipm_rgb c)
{
	int r = (int)lround(fmin(fmax(c.r, 0), 1) * 255), g = (int)lround(fmin(fmax(c.g, 0), 1) * 255),
	    bl = (int)lround(fmin(fmax(c.b, 0), 1) * 255);
	aipm_buf_printf(b, " %s=\"#%02x%02x%02x\"", attr, r, g, bl);
}

static void opacity(struct aipm_buf *b, const char *attr, double a)
{
	if (a < 1)
		aipm_buf_cprintf(b, " %s=\"%.3g\"", attr, a);
}

static void svg_rect(struct aipm_canvas *cv, double x, double y, double w, double h, struct aipm_rgb fill,
		     double alpha)
{
	struct svg *s = (struct svg *)cv;
	aipm_buf_cprintf(s->b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"", x, y, w, h);
	colour(s->b, "fill", fill);
	opacity(s->b, "fill-opacity", alpha);
	aipm_buf_puts(s->b, "/>\n");
}

static void points(struct aipm_buf *b, const double *xy, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		aipm_buf_cprintf(b, "%s%.2f %.2f", i == from ? "M" : " L", xy[2 * i], xy[2 * i + 1]);
}

static void svg_lines(struct aipm_canvas *cv, const double *xy, size_t n, const size_t *runs, size_t nruns,
		      const struct aipm_pen *pen)
{
	struct svg *s = (struct svg *)cv;
	if (!n)
		return;
	aipm_buf_puts(s->b, "<path d=\"");
	if (!runs) {
		points(s->b, xy, 0, n);
	} else {
		for (size_t k = 0; k < nruns; k++) {
			if (k)
				aipm_buf_puts(s->b, " ");
			points(s->b, xy, runs[k], k + 1 < nruns ? runs[k + 1] : n);
		}
	}
	aipm_buf_puts(s->b, "\" fill=\"none\"");
	colour(s->b, "stroke", pen->c);
	aipm_buf_cprintf(s->b, " stroke-width=\"%.2f\"", pen->width);
	opacity(s->b, "stroke-opacity", pen->alpha);
	if (pen->dashed)
		aipm_buf_puts(s->b, " stroke-dasharray=\"7 4\"");
	aipm_buf_puts(s->b, " stroke-linejoin=\"round\"/>\n");
}

static void svg_area(struct aipm_canvas *cv, const double *xy, size_t n, struct aipm_rgb fill, double alpha)
{
	struct svg *s = (struct svg *)cv;
	if (n < 3)
		return;
	aipm_buf_puts(s->b, "<path d=\"");
	points(s->b, xy, 0, n);
	aipm_buf_puts(s->b, " Z\"");
	colour(s->b, "fill", fill);
	opacity(s->b, "fill-opacity", alpha);
	aipm_buf_puts(s->b, " stroke=\"none\"/>\n");
}

static void svg_dot(struct aipm_canvas *cv, double x, double y, double r, struct aipm_rgb fill)
{
	struct svg *s = (struct svg *)cv;
	aipm_buf_cprintf(s->b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"", x, y, r);
	colour(s->b, "fill", fill);
	aipm_buf_puts(s->b, "/>\n");
}

static void svg_text(struct aipm_canvas *cv, double x, double y, const char *t, const struct aipm_font *f)
{
	struct svg *s = (struct svg *)cv;
	const char *anchor = f->align >= 0.75 ? "end" : f->align >= 0.25 ? "middle" : "start";
	aipm_buf_cprintf(s->b, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\"", x, y, f->size);
	if (strcmp(anchor, "start"))
		aipm_buf_printf(s->b, " text-anchor=\"%s\"", anchor);
	if (f->bold)
		aipm_buf_puts(s->b, " font-weight=\"bold\"");
	if (f->vertical)
		aipm_buf_cprintf(s->b, " transform=\"rotate(-90 %.2f %.2f)\"", x, y);
	colour(s->b, "fill", f->c);
	aipm_buf_puts(s->b, ">");
	aipm_buf_xml(s->b, t);
	aipm_buf_puts(s->b, "</text>\n");
}

static void svg_group(struct aipm_canvas *cv, const char *cls, const char *name, const char *unit, const char *title)
{
	struct svg *s = (struct svg *)cv;
	aipm_buf_printf(s->b, "<g class=\"%s\"", cls);
	if (name) {
		aipm_buf_puts(s->b, " data-series=\"");
		aipm_buf_xml(s->b, name);
		aipm_buf_puts(s->b, "\"");
	}
	if (unit) {
		aipm_buf_puts(s->b, " data-unit=\"");
		aipm_buf_xml(s->b, unit);
		aipm_buf_puts(s->b, "\"");
	}
	aipm_buf_puts(s->b, ">");
	if (title) {
		aipm_buf_puts(s->b, "<title>");
		aipm_buf_xml(s->b, title);
		aipm_buf_puts(s->b, "</title>");
	}
	aipm_buf_puts(s->b, "\n");
}

static void svg_group_end(struct aipm_canvas *cv)
{
	aipm_buf_puts(((struct svg *)cv)->b, "</g>\n");
}

static const struct aipm_canvas_ops svg_ops = {
	.rect = svg_rect,
	.lines = svg_lines,
	.area = svg_area,
	.dot = svg_dot,
	.text = svg_text,
	.group = svg_group,
	.group_end = svg_group_end,
};

struct aipm_canvas *aipm_canvas_svg_new(double w, double h, const char *title, bool inline_html,
					struct aipm_buf *out)
{
	struct svg *s = calloc(1, sizeof *s);
	if (!s) {
		aipm_err(-ENOMEM, "out of memory");
		return NULL;
	}
	s->c.ops = &svg_ops;
	s->c.w = w;
	s->c.h = h;
	s->b = out;
	if (!inline_html)
		aipm_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<svg xmlns=\"http://www.w3.org/2000/svg\"");
	else
		aipm_buf_puts(out, "<svg");
	aipm_buf_cprintf(out, " viewBox=\"0 0 %.0f %.0f\"", w, h);
	if (inline_html)
		aipm_buf_puts(out, " width=\"100%\""); /* the page scales it to a phone's width */
	else
		aipm_buf_cprintf(out, " width=\"%.0f\" height=\"%.0f\"", w, h);
	aipm_buf_puts(out, " font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" role=\"img\" aria-label=\"");
	aipm_buf_xml(out, title);
	aipm_buf_puts(out, "\">\n<title>");
	aipm_buf_xml(out, title);
	aipm_buf_puts(out, "</title>\n");
	svg_rect(&s->c, 0, 0, w, h, (struct aipm_rgb){1, 1, 1}, 1);
	return &s->c;
}

int aipm_canvas_svg_finish(struct aipm_canvas *c)
{
	struct svg *s = (struct svg *)c;
	aipm_buf_puts(s->b, "</svg>\n");
	bool oom = s->b->oom;
	free(s);
	return oom ? aipm_err(-ENOMEM, "out of memory drawing the SVG") : 0;
}

double aipm_canvas_text_w(const char *s, double size)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xc0) != 0x80; /* code points, not bytes */
	return (double)chars * 0.58 * size;
}
