/* plot_data.h: the series a plot draws, collected from a recording (inside
 * export/: plot.c, plot_data.c, plot_names.c and plot_draw.c share it).
 *
 * A power of an interval is drawn as what it is: a step at its value over
 * the interval it averages, from the sample before to its own (the file's
 * powers are over the interval ending at the line's time). Where the
 * recording has a cumulative counter the step is the counter's change
 * over the interval divided by its length, which is also what a GPU's
 * instantaneous power reading is not. Values of an instant (memory,
 * temperatures, cumulative counters) are drawn as lines through their
 * samples. A gap (a segment boundary, a value missing) lifts the pen.
 *
 * Legends carry the analysis' own numbers (summary.h): a zone's or GPU's
 * energy is the report's, never a second integral that could disagree.
 */
#ifndef AIPM_EXPORT_PLOT_DATA_H
#define AIPM_EXPORT_PLOT_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/summary.h"
#include "canvas.h"
#include "record/format.h"
#include "record/line.h"
#include "record/names.h"

#define PLOT_MAX_SERIES 48
#define PLOT_MAX_POINTS 4096 /* per series; past it, neighbours are merged */
#define PLOT_MAX_PHASES 256

enum plot_style { PLOT_STEP, PLOT_LINE };
enum plot_role { PLOT_PART, PLOT_MACHINE, PLOT_ATTRIBUTED, PLOT_ESTIMATE };

/* A step holds v over [t0, t1]; a line point has t0 == t1. lo and hi are
 * an estimate's bounds (NAN otherwise). */
struct plot_point {
	double t0, t1, v, lo, hi;
	int seg;
};

struct plot_series {
	char key[256];    /* what it is in the recording: a field, "machine", ... */
	char label[192];  /* for people: "package 0", "GPU 1 (NVIDIA A100)" */
	char legend[192]; /* "229.6 J, mean 43.5 W" */
	const char *unit; /* "W", "%", "MiB", ... */
	double scale;     /* a named metric's value times this is in unit */
	enum plot_style style;
	enum plot_role role;
	int rank;   /* legend order within the role */
	int panel;  /* set by the drawing */
	int colour; /* palette index of a part */
	struct plot_point *p;
	size_t n;
	long long seen, stride; /* line points: kept when seen % stride == 0 */
	/* for the legend of a named metric: time-weighted (steps) or per
	 * sample (lines) */
	double area, span, peak;
	/* the counter behind a power, to take its change over an interval */
	double c_last, c_ts, drawn_t1;
	int c_seg;
	/* what the legend's number comes from in the summary */
	int zone, gpu, total; /* -1: none */
};

struct plot_phase {
	char name[AIPM_FORMAT_NAME_MAX + 1];
	int occurrence, colour;
	double t0, t1; /* t1 NAN: never ended */
};

struct plot_data {
	struct plot_series s[PLOT_MAX_SERIES];
	int ns, dropped_series;
	double t0, t1; /* first and last sample */
	struct plot_phase ph[PLOT_MAX_PHASES];
	int nph, phases_dropped, phase_names;
	char title[512], subtitle[512];
	int segments;
	long long skipped_lines;
	bool defaults; /* the power of every zone and GPU */
	bool untitled; /* inside a page that has the title already */
	struct aipm_summary *sum;
};

/* Collect DIR's metrics (nmetrics == 0: the default power panel).
 * 0 or -errno (message set); free d with plot_data_free either way. */
int plot_data_load(const char *dir, const char *const *metrics, size_t nmetrics, struct plot_data *d);
void plot_data_free(struct plot_data *d);

/* plot_names.c: a flattened field ("per_gpu_use_rate.0") for people. */
struct plot_field {
	const char *unit;
	enum plot_style style;
	double scale; /* bytes to MiB */
	int total;    /* the summary total its energy is, or -1 */
	bool zone_power, gpu_power; /* per_zone_power.Z, a GPU's power */
};
void plot_field_of(const char *name, struct plot_field *f);
void plot_field_label(const char *name, const struct aipm_summary *s, char *out, size_t n);
/* The summary's GPU for a field's vendor section and index, or -1. */
int plot_summary_gpu(const struct aipm_summary *s, const char *vendor, long index);
/* "229.6 J", "12.3 kJ" */
void plot_energy_str(double j, char *out, size_t n);
/* A legend: "229.6 J, mean 43.5 W" and extra; or, for a named metric, the
 * report's energy for a power it totals, else its mean and peak. */
void plot_legend_energy(struct plot_series *s, double j, double dur, const char *extra);
void plot_legend_named(struct plot_series *s, const struct aipm_summary *sum);

/* plot_draw.c */
void plot_size(struct plot_data *d, double *w, double *h);
void plot_draw(struct plot_data *d, struct aipm_canvas *c);

#endif
