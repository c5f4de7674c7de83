/* plot_draw.c: the layout and drawing of a plot (plot_data.h) on a canvas.
 *
 * One panel per unit, stacked, sharing the time axis: elapsed time from
 * the first sample (seconds, or minutes and hours for long runs), with the
 * clock time under the last panel. The title is the recording's
 * description. Each panel reads from zero (a power, a memory size, a use
 * rate: a non-zero origin exaggerates a change), except temperatures.
 * Phases are bands, one colour per phase name, so the epochs of one name
 * read as one thing. Drawn from back to front: phases, grid, the
 * experiment's share as an area under the machine's power, an estimate's
 * band, the parts, the estimate (dashed), the machine's power on top.
 * The legend beside each panel names every series with its energy and
 * mean power (or its mean).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/out.h"
#include "plot_data.h"

#define W_PX 1200.0
#define LEFT 84.0
#define LEGEND_W 330.0
#define X1 (W_PX - LEGEND_W - 24)
#define ENTRY_H 34.0
#define PANEL_MIN 260.0
#define GAP 62.0

static const struct aipm_rgb ink = {0.13, 0.13, 0.13}, grey = {0.42, 0.42, 0.42}, grid = {0.90, 0.90, 0.90};
static const struct aipm_rgb machine_c = {0.10, 0.10, 0.10}, share_c = {0.18, 0.62, 0.36},
			     estimate_c = {0.55, 0.27, 0.68};
/* Parts: Tableau's 10 without the green and purple the share and the
 * estimate use. */
static const struct aipm_rgb parts_c[] = {
	{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.84, 0.15, 0.16}, {0.55, 0.34, 0.29},
	{0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13}, {0.09, 0.75, 0.81},
};
static const struct aipm_rgb phase_c[] = {
	{0.99, 0.80, 0.40}, {0.55, 0.75, 0.95}, {0.75, 0.90, 0.60}, {0.95, 0.65, 0.70},
	{0.80, 0.70, 0.95}, {0.70, 0.90, 0.90}, {0.95, 0.85, 0.70}, {0.85, 0.85, 0.85},
};

struct panel {
	const char *unit, *shown; /* shown: the unit on the axis (MiB may show as GiB) */
	double scale;             /* values times this on the axis */
	double y0, y1;            /* pixels */
	double v0, v1, step;      /* axis range */
	int entries;
};

struct layout {
	struct panel p[PLOT_MAX_SERIES];
	int np;
	double top, h;
	double t_unit; /* seconds per axis unit */
	const char *t_name;
};

static double nice_step(double span, int target)
{
	double raw = span / target, p = pow(10, floor(log10(raw))), m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static int role_order(enum plot_role r)
{
	return r == PLOT_MACHINE ? 0 : r == PLOT_ATTRIBUTED ? 1 : r == PLOT_PART ? 2 : 3;
}

static int by_role(const void *a, const void *b)
{
	const struct plot_series *x = a, *y = b;
	int d = role_order(x->role) - role_order(y->role);
	return d ? d : x->rank - y->rank;
}

static const char *axis_title(const char *unit)
{
	static const char *const t[][2] = {{"W", "power (W)"},          {"J", "energy (J)"},
					   {"MiB", "memory (MiB)"},     {"GiB", "memory (GiB)"},
					   {"%", "use (%)"},            {"fraction", "share (0 to 1)"},
					   {"s", "CPU time (s)"},       {"°C", "temperature (°C)"}};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(t); i++)
		if (!strcmp(unit, t[i][0]))
			return t[i][1];
	return unit;
}

static void range(const struct plot_data *d, struct panel *p, int idx)
{
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < d->ns; i++)
		for (size_t k = 0; d->s[i].panel == idx && k < d->s[i].n; k++) {
			const struct plot_point *q = &d->s[i].p[k];
			lo = fmin(lo, isfinite(q->lo) ? q->lo : q->v);
			hi = fmax(hi, isfinite(q->hi) ? q->hi : q->v);
		}
	if (strcmp(p->unit, "°C"))
		lo = 0; /* amounts read from zero */
	p->scale = 1;
	p->shown = p->unit;
	if (!strcmp(p->unit, "MiB") && hi >= 8192) {
		p->scale = 1.0 / 1024;
		p->shown = "GiB";
	}
	lo *= p->scale;
	hi *= p->scale;
	if (!(hi > lo))
		hi = lo + 1;
	hi += (hi - lo) * 0.05; /* a line at the maximum stays off the frame */
	p->step = nice_step(hi - lo, 5);
	p->v0 = floor(lo / p->step) * p->step;
	p->v1 = ceil(hi / p->step) * p->step;
}

static void layout(struct plot_data *d, struct layout *l)
{
	qsort(d->s, (size_t)d->ns, sizeof d->s[0], by_role);
	memset(l, 0, sizeof *l);
	int colour = 0;
	for (int i = 0; i < d->ns; i++) {
		struct plot_series *s = &d->s[i];
		int p = 0;
		while (p < l->np && strcmp(l->p[p].unit, s->unit))
			p++;
		if (p == l->np)
			l->p[l->np++].unit = s->unit;
		s->panel = p;
		l->p[p].entries++;
		if (s->role == PLOT_PART)
			s->colour = colour++;
	}
	double head = d->untitled ? 0 : 58; /* title and subtitle */
	l->top = head + (d->nph ? 38 : 16);
	double y = l->top;
	for (int p = 0; p < l->np; p++) {
		double h = fmax(PANEL_MIN, l->p[p].entries * ENTRY_H + 12);
		l->p[p].y0 = y;
		l->p[p].y1 = y + h;
		y += h + GAP;
		range(d, &l->p[p], p);
	}
	l->h = y + 14;
	double span = d->t1 - d->t0;
	l->t_unit = span > 36000 ? 3600 : span > 900 ? 60 : 1;
	l->t_name = span > 36000 ? "elapsed time (h)" : span > 900 ? "elapsed time (min)" : "elapsed time (s)";
}

void plot_size(struct plot_data *d, double *w, double *h)
{
	struct layout l;
	layout(d, &l);
	*w = W_PX;
	*h = l.h;
}

struct frame {
	const struct plot_data *d;
	const struct panel *p;
	double t0, t1;
};

static double px(const struct frame *f, double t) { return LEFT + (t - f->t0) / (f->t1 - f->t0) * (X1 - LEFT); }
static double py(const struct frame *f, double v)
{
	return f->p->y1 - (v * f->p->scale - f->p->v0) / (f->p->v1 - f->p->v0) * (f->p->y1 - f->p->y0);
}

static void text(struct aipm_canvas *c, double x, double y, const char *s, double size, double align,
		 struct aipm_rgb col, bool bold)
{
	struct aipm_font f = {.size = size, .align = align, .bold = bold, .c = col};
	c->ops->text(c, x, y, s, &f);
}

static void line(struct aipm_canvas *c, double x0, double y0, double x1, double y1, struct aipm_rgb col, double w)
{
	double xy[4] = {x0, y0, x1, y1};
	struct aipm_pen pen = {.c = col, .width = w, .alpha = 1};
	c->ops->lines(c, xy, 2, NULL, 0, &pen);
}

static void phases(struct aipm_canvas *c, const struct frame *f)
{
	const struct plot_data *d = f->d;
	for (int i = 0; i < d->nph; i++) {
		const struct plot_phase *ph = &d->ph[i];
		double a = fmax(px(f, ph->t0), LEFT), b = fmin(px(f, isnan(ph->t1) ? f->t1 : ph->t1), X1);
		if (b <= a)
			continue;
		c->ops->group(c, "phase", ph->name, NULL, NULL);
		c->ops->rect(c, a, f->p->y0, b - a, f->p->y1 - f->p->y0, phase_c[ph->colour % 8], 0.35);
		/* "train 2" where the name repeats, "load" where it does not */
		bool repeats = ph->occurrence > 1;
		for (int k = 0; k < d->nph && !repeats; k++)
			repeats = k != i && d->ph[k].colour == ph->colour;
		char label[AIPM_FORMAT_NAME_MAX + 16];
		if (repeats)
			snprintf(label, sizeof label, "%s %d", ph->name, ph->occurrence);
		else
			snprintf(label, sizeof label, "%s", ph->name);
		if (aipm_canvas_text_w(label, 11) + 6 < b - a)
			text(c, a + 3, f->p->y0 + 13, label, 11, 0, grey, false);
		c->ops->group_end(c);
	}
}

static void axes(struct aipm_canvas *c, const struct frame *f, const struct layout *l, bool last)
{
	const struct panel *p = f->p;
	char buf[64];
	struct aipm_buf b = {0};
	for (double v = p->v0; v <= p->v1 + p->step / 2; v += p->step) {
		double y = p->y1 - (v - p->v0) / (p->v1 - p->v0) * (p->y1 - p->y0);
		line(c, LEFT, y, X1, y, grid, 1);
		aipm_buf_reset(&b);
		aipm_buf_cprintf(&b, "%g", fabs(v) < p->step / 1e6 ? 0.0 : v);
		text(c, LEFT - 6, y + 4, b.data ? b.data : "", 11, 1, ink, false);
	}
	double span = (f->t1 - f->t0) / l->t_unit, ts = nice_step(span, 8);
	char last_clock[sizeof buf] = ""; /* a copy of buf: never cut */
	for (double u = 0; u <= span + ts / 1e6; u += ts) {
		double t = f->t0 + u * l->t_unit, x = px(f, t);
		line(c, x, p->y0, x, p->y1, grid, 1);
		aipm_buf_reset(&b);
		aipm_buf_cprintf(&b, "%g", u);
		text(c, x, p->y1 + 15, b.data ? b.data : "", 11, 0.5, ink, false);
		if (!last)
			continue;
		/* the clock time under the elapsed time, in the recording's own
		 * date format */
		char date[64];
		aipm_format_date_ts(date, sizeof date, floor(t));
		snprintf(buf, sizeof buf, "%.8s", date + 11);
		if (strcmp(buf, last_clock)) /* ticks under a second apart: the second once */
			text(c, x, p->y1 + 29, buf, 10, 0.5, grey, false);
		snprintf(last_clock, sizeof last_clock, "%s", buf);
	}
	aipm_buf_free(&b);
	struct aipm_pen frame = {.c = grey, .width = 1, .alpha = 1};
	double box[10] = {LEFT, p->y0, X1, p->y0, X1, p->y1, LEFT, p->y1, LEFT, p->y0};
	c->ops->lines(c, box, 5, NULL, 0, &frame);
	struct aipm_font vf = {.size = 13, .align = 0.5, .vertical = true, .c = ink};
	c->ops->text(c, 24, (p->y0 + p->y1) / 2, axis_title(p->shown), &vf);
	snprintf(buf, sizeof buf, "%s%s", l->t_name, last ? ", clock time below" : "");
	text(c, (LEFT + X1) / 2, p->y1 + (last ? 47 : 33), buf, 12, 0.5, ink, false);
}

/* A series' outline as pixels: steps along their intervals, lines
 * through their points; runs[] where the pen lifts. */
struct outline {
	double *xy;
	size_t n, *runs, nruns;
};

static bool trace(const struct frame *f, const struct plot_series *s, int which, struct outline *o)
{
	o->xy = malloc((2 * s->n + 1) * 2 * sizeof *o->xy);
	o->runs = malloc((s->n + 1) * sizeof *o->runs);
	o->n = o->nruns = 0;
	if (!o->xy || !o->runs)
		return false;
	for (size_t k = 0; k < s->n; k++) {
		const struct plot_point *q = &s->p[k];
		double v = which < 0 ? q->lo : which > 0 ? q->hi : q->v;
		if (isnan(v))
			continue;
		bool joined = k && s->p[k - 1].seg == q->seg &&
			      (s->style == PLOT_LINE || s->p[k - 1].t1 == q->t0) && o->n;
		if (!joined)
			o->runs[o->nruns++] = o->n;
		o->xy[2 * o->n] = px(f, q->t0);
		o->xy[2 * o->n++ + 1] = py(f, v);
		if (s->style == PLOT_STEP) {
			o->xy[2 * o->n] = px(f, q->t1);
			o->xy[2 * o->n++ + 1] = py(f, v);
		}
	}
	return true;
}

static void free_outline(struct outline *o)
{
	free(o->xy);
	free(o->runs);
}

/* Each run of an outline closed against the run of another (the base of
 * an area, the low side of a band), as one polygon per run. */
static void fill_runs(struct aipm_canvas *c, const struct outline *top, const struct outline *low, double base,
		      struct aipm_rgb col, double alpha)
{
	double *poly = malloc((top->n + (low ? low->n : 0) + 2) * 2 * sizeof *poly);
	for (size_t r = 0; poly && r < top->nruns; r++) {
		size_t a = top->runs[r], b = r + 1 < top->nruns ? top->runs[r + 1] : top->n, n = 0;
		for (size_t i = a; i < b; i++, n++)
			poly[2 * n] = top->xy[2 * i], poly[2 * n + 1] = top->xy[2 * i + 1];
		if (low && r < low->nruns && low->nruns == top->nruns) {
			size_t la = low->runs[r], lb = r + 1 < low->nruns ? low->runs[r + 1] : low->n;
			for (size_t i = lb; i-- > la; n++)
				poly[2 * n] = low->xy[2 * i], poly[2 * n + 1] = low->xy[2 * i + 1];
		} else {
			poly[2 * n] = top->xy[2 * (b - 1)], poly[2 * n + 1] = base, n++;
			poly[2 * n] = top->xy[2 * a], poly[2 * n + 1] = base, n++;
		}
		c->ops->area(c, poly, n, col, alpha);
	}
	free(poly);
}

static struct aipm_rgb colour_of(const struct plot_series *s)
{
	return s->role == PLOT_MACHINE ? machine_c
	       : s->role == PLOT_ATTRIBUTED ? share_c
	       : s->role == PLOT_ESTIMATE ? estimate_c
					   : parts_c[s->colour % AIPM_ARRAY_SIZE(parts_c)];
}

static void draw_series(struct aipm_canvas *c, const struct frame *f, const struct plot_series *s)
{
	char title[512];
	snprintf(title, sizeof title, "%s: %s", s->label, s->legend);
	c->ops->group(c, "series", s->label, s->unit, title);
	struct outline o = {0}, lo = {0}, hi = {0};
	struct aipm_rgb col = colour_of(s);
	if (trace(f, s, 0, &o)) {
		if (s->role == PLOT_ATTRIBUTED)
			fill_runs(c, &o, NULL, f->p->y1, col, 0.35);
		if (s->role == PLOT_ESTIMATE && trace(f, s, -1, &lo) && trace(f, s, 1, &hi) && hi.n)
			fill_runs(c, &hi, &lo, f->p->y1, col, 0.16);
		struct aipm_pen pen = {.c = col,
				       .width = s->role == PLOT_MACHINE ? 2.2 : s->role == PLOT_ATTRIBUTED ? 1 : 1.6,
				       .alpha = 1,
				       .dashed = s->role == PLOT_ESTIMATE || (s->colour / 8) % 2};
		c->ops->lines(c, o.xy, o.n, o.runs, o.nruns, &pen);
		/* a lone line point (a segment of one sample) gets a dot */
		for (size_t r = 0; s->style == PLOT_LINE && r < o.nruns; r++) {
			size_t a = o.runs[r], b = r + 1 < o.nruns ? o.runs[r + 1] : o.n;
			if (b == a + 1)
				c->ops->dot(c, o.xy[2 * a], o.xy[2 * a + 1], 2.5, col);
		}
	}
	free_outline(&o);
	free_outline(&lo);
	free_outline(&hi);
	c->ops->group_end(c);
}

/* "GPU 0 (a very long model na…": what fits in the legend. */
static void fit(char *s, double size, double width)
{
	size_t n = strlen(s);
	while (n > 4 && aipm_canvas_text_w(s, size) > width) {
		do
			n--;
		while (n && (s[n] & 0xc0) == 0x80);
		snprintf(s + n, 4, "...");
	}
}

static void legend_entry(struct aipm_canvas *c, const struct plot_series *s, double y)
{
	double x = X1 + 18;
	struct aipm_rgb col = colour_of(s);
	c->ops->group(c, "legend", s->label, s->unit, NULL);
	if (s->role == PLOT_ATTRIBUTED) {
		c->ops->rect(c, x, y - 9, 24, 10, col, 0.45);
	} else {
		double xy[4] = {x, y - 4, x + 24, y - 4};
		struct aipm_pen pen = {.c = col, .width = s->role == PLOT_MACHINE ? 2.6 : 2.2, .alpha = 1,
				       .dashed = s->role == PLOT_ESTIMATE || (s->colour / 8) % 2};
		if (s->role == PLOT_ESTIMATE)
			c->ops->rect(c, x, y - 9, 24, 10, col, 0.16);
		c->ops->lines(c, xy, 2, NULL, 0, &pen);
	}
	char label[192], legend[192];
	snprintf(label, sizeof label, "%s", s->label);
	snprintf(legend, sizeof legend, "%s", s->legend);
	fit(label, 12.5, LEGEND_W - 40);
	fit(legend, 11, LEGEND_W - 40);
	text(c, x + 32, y, label, 12.5, 0, ink, false);
	text(c, x + 32, y + 14, legend, 11, 0, grey, false);
	c->ops->group_end(c);
}

/* The title, the run under it, and one swatch per phase name. */
static void heading(struct aipm_canvas *c, const struct plot_data *d)
{
	char title[512];
	double y = d->untitled ? 22 : 80;
	if (!d->untitled) {
		snprintf(title, sizeof title, "%s", d->title);
		fit(title, 18, W_PX - 2 * LEFT);
		text(c, LEFT, 30, title, 18, 0, ink, true);
		text(c, LEFT, 50, d->subtitle, 12, 0, grey, false);
	}
	if (!d->nph)
		return;
	double x = LEFT;
	text(c, x, y, "phases:", 12, 0, ink, false);
	x += aipm_canvas_text_w("phases:", 12) + 10;
	for (int k = 0; k < d->phase_names && x < W_PX - 120; k++) {
		int count = 0;
		const char *name = NULL;
		for (int i = 0; i < d->nph; i++)
			if (d->ph[i].colour == k)
				count++, name = d->ph[i].name;
		if (!name)
			continue;
		char label[AIPM_FORMAT_NAME_MAX + 32];
		if (count > 1)
			snprintf(label, sizeof label, "%s (x%d)", name, count);
		else
			snprintf(label, sizeof label, "%s", name);
		c->ops->rect(c, x, y - 10, 16, 12, phase_c[k % 8], 0.6);
		text(c, x + 21, y, label, 12, 0, ink, false);
		x += 21 + aipm_canvas_text_w(label, 12) + 16;
	}
}

void plot_draw(struct plot_data *d, struct aipm_canvas *c)
{
	struct layout l;
	layout(d, &l);
	heading(c, d);
	double t1 = d->t1 > d->t0 ? d->t1 : d->t0 + 1;
	for (int p = 0; p < l.np; p++) {
		struct frame f = {.d = d, .p = &l.p[p], .t0 = d->t0, .t1 = t1};
		phases(c, &f);
		axes(c, &f, &l, p == l.np - 1);
		/* the share under everything, the machine's power on top of
		 * the parts it sums */
		static const enum plot_role order[] = {PLOT_ATTRIBUTED, PLOT_PART, PLOT_ESTIMATE, PLOT_MACHINE};
		for (size_t o = 0; o < AIPM_ARRAY_SIZE(order); o++)
			for (int i = 0; i < d->ns; i++)
				if (d->s[i].panel == p && d->s[i].role == order[o])
					draw_series(c, &f, &d->s[i]);
		int row = 0;
		for (int i = 0; i < d->ns; i++)
			if (d->s[i].panel == p)
				legend_entry(c, &d->s[i], l.p[p].y0 + 14 + ENTRY_H * row++);
	}
}
