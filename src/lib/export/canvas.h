/* canvas.h: what a plot is drawn on, behind a small table of functions.
 *
 * The plot (plot_draw.c) lays out and draws once; a canvas turns the
 * drawing into a PNG (canvas_cairo.c, when cairo was found) or an SVG
 * written by hand (canvas_svg.c, always built). The SVG keeps what a
 * picture loses: each series is a group named for people, with its text as
 * text, so the HTML report inlines it as it is, a browser finds words in
 * it, and a test can read a series' geometry back. Both back-ends measure
 * text with the same estimate (aipm_canvas_text_w), so a PNG and an SVG of
 * one recording have one layout.
 *
 * Coordinates are pixels from the top left. A canvas never fails midway:
 * a back-end that runs out of memory says so at the end (its finish).
 */
#ifndef AIPM_EXPORT_CANVAS_H
#define AIPM_EXPORT_CANVAS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct aipm_rgb {
	double r, g, b;
};

struct aipm_pen {
	struct aipm_rgb c;
	double width, alpha;
	bool dashed;
};

struct aipm_font {
	double size;
	double align; /* 0 left, 0.5 centre, 1 right of x */
	bool bold, vertical; /* vertical: read bottom to top, x, y its centre */
	struct aipm_rgb c;
};

struct aipm_canvas;
struct aipm_canvas_ops {
	void (*rect)(struct aipm_canvas *c, double x, double y, double w, double h, struct aipm_rgb fill,
		     double alpha);
	/* An open polyline of n points (x, y pairs in xy); the pen lifts
	 * between runs: runs[k] points start run k (NULL: one run). */
	void (*lines)(struct aipm_canvas *c, const double *xy, size_t n, const size_t *runs, size_t nruns,
		      const struct aipm_pen *pen);
	/* A filled polygon of n points, closed. */
	void (*area)(struct aipm_canvas *c, const double *xy, size_t n, struct aipm_rgb fill, double alpha);
	void (*dot)(struct aipm_canvas *c, double x, double y, double r, struct aipm_rgb fill);
	void (*text)(struct aipm_canvas *c, double x, double y, const char *s, const struct aipm_font *f);
	/* What follows belongs to one named thing (a series, its legend) until
	 * group_end; cls says what kind ("series", "legend", "phase"). */
	void (*group)(struct aipm_canvas *c, const char *cls, const char *name, const char *unit, const char *title);
	void (*group_end)(struct aipm_canvas *c);
};

struct aipm_canvas {
	const struct aipm_canvas_ops *ops;
	double w, h;
};

/* The width a text of size px takes: the same estimate for every back-end
 * (DejaVu Sans averages about 0.58 em a character). */
double aipm_canvas_text_w(const char *s, double size);

/* SVG into out. inline_html: no XML prolog or namespace declarations (an
 * HTML parser needs none, and the page then names nothing outside
 * itself). */
struct aipm_canvas *aipm_canvas_svg_new(double w, double h, const char *title, bool inline_html,
					struct aipm_buf *out);
/* Close the SVG; -ENOMEM if any write ran out of memory. Frees c. */
int aipm_canvas_svg_finish(struct aipm_canvas *c);

/* A PNG canvas (cairo); NULL when aipm was built without cairo or out of
 * memory (message set). */
struct aipm_canvas *aipm_canvas_png_new(double w, double h);
/* Write the PNG to path (0 or -errno, message set) and free c. */
int aipm_canvas_png_finish(struct aipm_canvas *c, const char *path);

#endif
