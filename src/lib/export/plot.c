/* plot.c: `aipm plot`, drawn with cairo. A view: it reads the recording
 * through flatten.c (so a metric is named as in the CSV, and samples and
 * segments are the report's) and phases through the report's pairing rule
 * (record/sidefiles.h), and draws; it never totals anything. One panel per unit (W, J, bytes, %...), sharing a
 * clock-time axis; a line per metric and device; a segment boundary lifts
 * the pen, so a pause between two `--append` runs is a gap, not a slope.
 */
#include "plot.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "error.h"
#include "flatten.h"
#include "record/format.h"
#include "record/sidefiles.h"
#include "util.h"

#define MAX_SERIES 48
#define MAX_POINTS 4096 /* per series; past it every other point goes */
#define MAX_PHASES 256
#define W_PX 1200
#define PANEL_PX 320
#define LEFT 90
#define RIGHT 230
#define TOP 40
#define GAP 50

struct point {
	double t, v;
	int seg;
};

struct series {
	char *name;
	int panel;
	struct point *p;
	size_t n;
	long long seen; /* samples offered; kept when seen % stride == 0 */
	long long stride;
};

struct phase {
	char name[64];
	double t0, t1;
};
#define PHASE_OPEN NAN

struct plot {
	const char *const *metrics;
	size_t nmetrics;
	bool defaults;
	struct aipm_names names;
	struct series s[MAX_SERIES];
	int dropped;
	double t0, t1;
	int ts_seg;
	double ts;
	int err;
};

static const char *const default_metrics[] = {
	"per_zone_power", "per_gpu_power_draw", "intel_power", "total_cpu_power", "uncore_power",
	"total_dram_power", "psys_power", "nvidia_draw_absolute",
};

/* The unit of a metric, from its name (the recording's names carry them). */
static const char *unit_of(const char *name)
{
	if (strstr(name, "temperature"))
		return "degrees C";
	if (strstr(name, "percent") || strstr(name, "use_rate") || strstr(name, "usage") ||
	    strstr(name, "utilization"))
		return "%";
	if (strstr(name, "cpu_uses") || strstr(name, "share"))
		return "fraction";
	if (strstr(name, "energy"))
		return "J";
	if (strstr(name, "power") || strstr(name, "draw"))
		return "W";
	if (strstr(name, "mem"))
		return "MiB";
	if (strstr(name, "cpu_time"))
		return "s";
	return "value";
}

static bool matches(const char *metric, const char *name)
{
	size_t n = strlen(metric);
	return !strncmp(metric, name, n) && (name[n] == '\0' || name[n] == '.');
}

static void push(struct series *s, double t, double v, int seg)
{
	if (s->seen++ % s->stride)
		return;
	if (s->n == MAX_POINTS) {
		/* Thin evenly: keep every other point, take half as many. */
		for (size_t i = 0; i < MAX_POINTS / 2; i++)
			s->p[i] = s->p[2 * i];
		s->n = MAX_POINTS / 2;
		s->stride *= 2;
	}
	s->p[s->n++] = (struct point){t, v, seg};
}

static void leaf(void *ctx, const char *name, const cJSON *j)
{
	struct plot *pl = ctx;
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
		return;
	bool want = false;
	size_t n = pl->defaults ? AIPM_ARRAY_SIZE(default_metrics) : pl->nmetrics;
	for (size_t i = 0; i < n && !want; i++)
		want = matches(pl->defaults ? default_metrics[i] : pl->metrics[i], name);
	if (!want)
		return;
	long id = aipm_names_find(&pl->names, name, true);
	if (id < 0) {
		pl->err = -ENOMEM;
		return;
	}
	if (id >= MAX_SERIES) {
		pl->dropped = (int)(pl->names.n - MAX_SERIES);
		return;
	}
	struct series *s = &pl->s[id];
	if (!s->p) {
		s->name = pl->names.names[id];
		s->stride = 1;
		s->p = malloc(MAX_POINTS * sizeof *s->p);
		if (!s->p) {
			pl->err = -ENOMEM;
			return;
		}
	}
	double v = j->valuedouble;
	if (!strcmp(unit_of(name), "MiB"))
		v /= 1048576;
	push(s, pl->ts, v, pl->ts_seg);
}

static int sample(void *ctx, const cJSON *root, const struct aipm_sample *s)
{
	struct plot *pl = ctx;
	double ts = s->line->ts;
	pl->ts = ts;
	pl->ts_seg = s->segment;
	pl->t0 = fmin(pl->t0, ts);
	pl->t1 = fmax(pl->t1, ts);
	aipm_flatten_metrics(root, leaf, pl);
	return pl->err;
}

/* Phases to shade, read as the report reads them; past MAX_PHASES the
 * rest are counted, not drawn. */
static int read_phases(const char *dir, struct phase *ph, int *dropped)
{
	struct aipm_phase_edges *e;
	*dropped = 0;
	if (aipm_phase_edges_open(dir, &e) < 0) {
		aipm_err_clear();
		return 0; /* no phases.json: nothing to shade */
	}
	int n = 0;
	struct aipm_phase_edge x;
	while (aipm_phase_edges_next(e, &x) > 0) {
		if (!x.end && x.id < MAX_PHASES) {
			snprintf(ph[x.id].name, sizeof ph[x.id].name, "%s", x.name);
			ph[x.id].t0 = x.ts;
			ph[x.id].t1 = PHASE_OPEN; /* until its end comes */
			n = (int)x.id + 1 > n ? (int)x.id + 1 : n;
		} else if (!x.end) {
			++*dropped;
		} else if (x.id < MAX_PHASES && !x.open) {
			ph[x.id].t1 = x.ts; /* ids count phases in begin order */
		}
	}
	aipm_phase_edges_close(e);
	aipm_err_clear();
	return n;
}

/* 1, 2 or 5 times a power of ten, about span/target. */
static double nice_step(double span, int target)
{
	double raw = span / target, p = pow(10, floor(log10(raw))), m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static double time_step(double span)
{
	static const double steps[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
				       7200, 10800, 21600, 43200, 86400};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(steps); i++)
		if (span / steps[i] <= 8)
			return steps[i];
	return nice_step(span, 8);
}

static const double palette[10][3] = {
	{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17}, {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74},
	{0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13}, {0.09, 0.75, 0.81},
};

static void text(cairo_t *cr, double x, double y, const char *s, double align)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.x_advance * align, y);
	cairo_show_text(cr, s);
}

struct frame {
	double x0, x1, y0, y1; /* pixels of the plot area */
	double t0, t1, v0, v1; /* data range */
};

static double px(const struct frame *f, double t) { return f->x0 + (t - f->t0) / (f->t1 - f->t0) * (f->x1 - f->x0); }
static double py(const struct frame *f, double v) { return f->y1 - (v - f->v0) / (f->v1 - f->v0) * (f->y1 - f->y0); }

static void draw_panel(cairo_t *cr, struct plot *pl, int nseries, int panel, const char *unit, struct frame *f,
		       const struct phase *ph, int nph, bool last)
{
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < nseries; i++)
		for (size_t k = 0; pl->s[i].panel == panel && k < pl->s[i].n; k++) {
			lo = fmin(lo, pl->s[i].p[k].v);
			hi = fmax(hi, pl->s[i].p[k].v);
		}
	if (lo > 0 && lo < hi * 0.5)
		lo = 0; /* a power axis reads best from zero */
	if (!(hi > lo))
		hi = lo + 1;
	hi += (hi - lo) * 0.04; /* a line at the maximum stays off the frame */
	double step = nice_step(hi - lo, 5);
	f->v0 = floor(lo / step) * step;
	f->v1 = ceil(hi / step) * step;
	/* phases under everything */
	for (int i = 0; i < nph; i++) {
		double a = px(f, ph[i].t0), b = px(f, isnan(ph[i].t1) ? f->t1 : ph[i].t1);
		a = fmax(a, f->x0);
		b = fmin(b, f->x1);
		if (b <= a)
			continue;
		cairo_set_source_rgba(cr, palette[i % 10][0], palette[i % 10][1], palette[i % 10][2], 0.12);
		cairo_rectangle(cr, a, f->y0, b - a, f->y1 - f->y0);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		cairo_set_font_size(cr, 11);
		text(cr, a + 3, f->y0 + 12, ph[i].name, 0);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
	cairo_stroke(cr);
	cairo_set_font_size(cr, 11);
	char buf[64];
	for (double v = f->v0; v <= f->v1 + step / 2; v += step) {
		double y = py(f, v);
		cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
		cairo_move_to(cr, f->x0, y);
		cairo_line_to(cr, f->x1, y);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		snprintf(buf, sizeof buf, "%g", fabs(v) < step / 1e6 ? 0.0 : v);
		text(cr, f->x0 - 6, y + 4, buf, 1);
	}
	double ts = time_step(f->t1 - f->t0);
	for (double t = ceil(f->t0 / ts) * ts; t <= f->t1; t += ts) {
		double x = px(f, t);
		cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
		cairo_move_to(cr, x, f->y0);
		cairo_line_to(cr, x, f->y1);
		cairo_stroke(cr);
		if (!last)
			continue;
		/* The time of day, cut from the recording's own date format. */
		char date[64];
		aipm_format_date_ts(date, sizeof date, floor(t));
		snprintf(buf, sizeof buf, "%.8s", date + 11);
		if (ts < 1)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%d", (int)((t - floor(t)) * 10 + 0.5) % 10);
		cairo_set_source_rgb(cr, 0, 0, 0);
		text(cr, x, f->y1 + 16, buf, 0.5);
	}
	/* the unit, vertical, left of the ticks */
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_font_size(cr, 13);
	cairo_translate(cr, 24, (f->y0 + f->y1) / 2);
	cairo_rotate(cr, -M_PI / 2);
	text(cr, 0, 0, unit, 0.5);
	cairo_restore(cr);
	/* lines and legend */
	int row = 0;
	for (int i = 0; i < nseries; i++) {
		struct series *s = &pl->s[i];
		if (s->panel != panel)
			continue;
		const double *c = palette[i % 10];
		cairo_save(cr);
		cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
		cairo_clip(cr);
		cairo_set_source_rgb(cr, c[0], c[1], c[2]);
		cairo_set_line_width(cr, 1.6);
		static const double dash[] = {6, 3};
		if ((i / 10) % 2)
			cairo_set_dash(cr, dash, 2, 0); /* colours repeat past ten: vary the stroke */
		for (size_t k = 0; k < s->n; k++) {
			double x = px(f, s->p[k].t), y = py(f, s->p[k].v);
			if (k == 0 || s->p[k].seg != s->p[k - 1].seg)
				cairo_move_to(cr, x, y); /* a new segment: lift the pen */
			else
				cairo_line_to(cr, x, y);
		}
		cairo_stroke(cr);
		/* a lone sample (a segment of one line) gets a dot */
		for (size_t k = 0; k < s->n; k++) {
			if ((k == 0 || s->p[k].seg != s->p[k - 1].seg) && (k + 1 == s->n || s->p[k + 1].seg != s->p[k].seg)) {
				cairo_new_sub_path(cr);
				cairo_arc(cr, px(f, s->p[k].t), py(f, s->p[k].v), 2.5, 0, 2 * M_PI);
				cairo_fill(cr);
			}
		}
		cairo_restore(cr);
		double ly = f->y0 + 8 + row * 16;
		if (ly > f->y1 - 4)
			continue;
		cairo_set_source_rgb(cr, c[0], c[1], c[2]);
		cairo_rectangle(cr, f->x1 + 12, ly - 5, 18, 4);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_set_font_size(cr, 11);
		text(cr, f->x1 + 36, ly, s->name, 0);
		row++;
	}
	cairo_new_path(cr);
}

static int render(struct plot *pl, int nseries, const char *dir, const char *path, struct aipm_plot_stats *st)
{
	const char *units[MAX_SERIES];
	int npanels = 0;
	for (int i = 0; i < nseries; i++) {
		const char *u = unit_of(pl->s[i].name);
		int p = 0;
		while (p < npanels && strcmp(units[p], u))
			p++;
		if (p == npanels)
			units[npanels++] = u;
		pl->s[i].panel = p;
	}
	struct phase ph[MAX_PHASES];
	int nph = read_phases(dir, ph, &st->phases_dropped);
	st->panels = npanels;
	st->phases = nph;
	double h = TOP + npanels * (PANEL_PX + GAP) + 20;
	size_t len = strlen(path);
	bool svg = len > 4 && !strcasecmp(path + len - 4, ".svg");
	cairo_surface_t *surf = svg ? cairo_svg_surface_create(path, W_PX, h)
				    : cairo_image_surface_create(CAIRO_FORMAT_RGB24, W_PX, (int)h);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		int rc = aipm_err(-EIO, "%s: cannot create the picture: %s. Pick a writable path", path,
				  cairo_status_to_string(cairo_surface_status(surf)));
		cairo_surface_destroy(surf);
		return rc;
	}
	cairo_t *cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_font_size(cr, 14);
	char title[1200], date[64];
	aipm_format_date_ts(date, sizeof date, pl->t0);
	snprintf(title, sizeof title, "%s - %.10s (local time)", dir, date);
	text(cr, LEFT, 24, title, 0);
	for (int p = 0; p < npanels; p++) {
		struct frame f = {.x0 = LEFT, .x1 = W_PX - RIGHT, .y0 = TOP + p * (PANEL_PX + GAP),
				  .y1 = TOP + p * (PANEL_PX + GAP) + PANEL_PX, .t0 = pl->t0, .t1 = pl->t1};
		if (!(f.t1 > f.t0))
			f.t1 = f.t0 + 1;
		draw_panel(cr, pl, nseries, p, units[p], &f, ph, nph, p == npanels - 1);
	}
	cairo_destroy(cr);
	int rc = 0;
	if (!svg && cairo_surface_write_to_png(surf, path) != CAIRO_STATUS_SUCCESS)
		rc = aipm_err(-EIO, "%s: cannot write the PNG. Pick a writable path", path);
	cairo_surface_finish(surf);
	if (!rc && cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
		rc = aipm_err(-EIO, "%s: cannot write the picture: %s", path,
			      cairo_status_to_string(cairo_surface_status(surf)));
	cairo_surface_destroy(surf);
	return rc;
}

int aipm_plot_write(const char *dir, const char *const *metrics, size_t nmetrics, const char *path,
		    struct aipm_plot_stats *st)
{
	size_t len = strlen(path);
	if (len < 5 || (strcasecmp(path + len - 4, ".png") && strcasecmp(path + len - 4, ".svg")))
		return aipm_err(-EINVAL, "%s: the picture's name must end in .png or .svg", path);
	struct plot *pl = calloc(1, sizeof *pl);
	if (!pl)
		return aipm_err(-ENOMEM, "out of memory");
	pl->metrics = metrics;
	pl->nmetrics = nmetrics;
	pl->defaults = nmetrics == 0;
	pl->t0 = INFINITY;
	pl->t1 = -INFINITY;
	memset(st, 0, sizeof *st);
	struct aipm_reader_stats rs;
	int rc = aipm_recording_foreach(dir, sample, pl, &rs);
	st->skipped_lines = aipm_reader_skipped(&rs);
	st->segments = rs.segments;
	if (rc == 0 && pl->err)
		rc = aipm_err(pl->err, "%s: out of memory", dir);
	int n = pl->names.n < MAX_SERIES ? (int)pl->names.n : MAX_SERIES;
	if (rc == 0 && pl->defaults) {
		/* AIPowerMeter's whole-machine powers only when the recording
		 * has no zones / per-GPU powers: otherwise they repeat them. */
		bool zones = false, gpus = false;
		for (int i = 0; i < n; i++) {
			zones |= matches("per_zone_power", pl->s[i].name);
			gpus |= matches("per_gpu_power_draw", pl->s[i].name);
		}
		int k = 0;
		for (int i = 0; i < n; i++) {
			const char *nm = pl->s[i].name;
			bool cpu_total = !matches("per_zone_power", nm) && !matches("per_gpu_power_draw", nm) &&
					 !matches("nvidia_draw_absolute", nm);
			if ((zones && cpu_total) || (gpus && matches("nvidia_draw_absolute", nm))) {
				free(pl->s[i].p);
				continue;
			}
			pl->s[k++] = pl->s[i];
		}
		n = k;
	}
	if (rc == 0 && n == 0) {
		if (pl->defaults)
			rc = aipm_err(-ENODATA, "%s: no power in the recording (no RAPL zone, no GPU). "
					      "Name what to draw with -m, e.g. -m cpu_time", dir);
		else
			rc = aipm_err(-ENODATA, "%s: no sample has %s%s. `aipm export --csv %s` lists the metrics",
				      dir, metrics[0], nmetrics > 1 ? " or the other metrics asked for" : "", dir);
	}
	if (rc == 0) {
		st->series = n;
		st->dropped_series = pl->dropped;
		for (int i = 0; i < n; i++)
			st->points += (long long)pl->s[i].n;
		rc = render(pl, n, dir, path, st);
	}
	for (int i = 0; i < n; i++)
		free(pl->s[i].p);
	aipm_names_free(&pl->names);
	free(pl);
	return rc;
}
