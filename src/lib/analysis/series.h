/* series.h: what a time window of a recording sums, and the one way it is
 * summed.
 *
 * Every quantity a window can total is a series with an id (record/line.h:
 * AIPM_SID_*): cumulative counters (zone energies, attributed energies, CPU
 * time, GPU energies) and powers (AIPowerMeter's recordings, zone and GPU
 * powers). A window [lo, hi] takes from each interval between two samples
 * of one segment the part that falls inside it:
 *
 *  - a counter, by linear interpolation of the counter at the window's
 *    edges between the samples around them: exact at constant power, and
 *    one pass over the file. A counter absent from some lines is bridged
 *    from its last value to its next one in the same segment (the counter
 *    counted on meanwhile), so a whole segment is still last - first;
 *  - a power, by the trapezoid rule over the interval, the edges of the
 *    window cut with the power interpolated there (the integral of the
 *    power drawn linear between samples). A power missing at either end of
 *    an interval leaves that interval out: guessing would invent energy.
 *
 * Segments are never bridged. A series that no interval of the window
 * touched is missing (n == 0), never 0. The parallel summary (summary.c)
 * sums these per range and joins the ranges; the sequential cursor
 * (cursor.c) keeps the same sums from the start of the recording and takes
 * a window as the difference of two instants. Both call the functions
 * below, so a phase and `report --from/--to` over the same edges agree.
 */
#ifndef AIPM_ANALYSIS_SERIES_H
#define AIPM_ANALYSIS_SERIES_H

#include <stdbool.h>

#include "record/line.h"

/* One series over a window: value (J or s), seconds of the window its
 * intervals cover, and how many intervals touched the window (0: the
 * series was not measured there). In a cursor's instant (cursor.h), n is 1
 * when the instant lies inside an interval of the series. */
struct aipm_sv {
	double v, c;
	long long n;
};

struct aipm_series {
	int nsid; /* ids in use: the rest are empty */
	struct aipm_sv q[AIPM_SID_MAX];
};
void aipm_series_clear(struct aipm_series *s);

/* The seconds of [a, b] inside [lo, hi]. */
double aipm_overlap(double a, double b, double lo, double hi);
/* Whether [a, b] touches the window: overlaps it, or holds it when the
 * window is an instant (a phase of no length is 0 J, not unmeasured). */
bool aipm_touches(double a, double b, double lo, double hi);
/* Add the part in [lo, hi] of a counter's change d over [a, b]. */
void aipm_sv_counter(struct aipm_sv *s, double a, double b, double d, double lo, double hi);
/* Add the integral over [lo, hi] of a power drawn linear from pa at a to
 * pb at b. */
void aipm_sv_power(struct aipm_sv *s, double a, double pa, double b, double pb, double lo, double hi);

/* The GPU edge rule. A GPU's energy counter updates every 20-100 ms, so
 * a line's reading is that of the counter as of ts - per_gpu_energy_age
 * (its own time, tau), not as of the line. A GPU counter is therefore
 * taken at its own times: the change between two readings happened
 * between their taus, and is spread over that span in proportion to the
 * power the two lines read (drawn as a counter is: the earlier line's
 * power before its time, linear between the two lines), so an edge inside
 * the span takes the share the power readings say, not the share of the
 * time. Without ages tau is the line's time; without powers the change
 * is spread evenly: both give the rule of every other counter. A tau that
 * does not advance while the counter does is the line's time. */
struct aipm_shape {
	double t0, p0, t1, p1; /* line times and powers of the two readings; NAN: even */
};
/* Add the part in [lo, hi] of a counter's change d over [a, b], shaped by
 * sh (NULL or NAN powers: evenly, as aipm_sv_counter). */
void aipm_sv_counter_shaped(struct aipm_sv *s, double a, double b, double d, double lo, double hi,
			    const struct aipm_shape *sh);

/* Counters keep their first and last value of a run, for the bridge to
 * the next run (the seam of two ranges) and across absent lines: the
 * counter's own time (ts: tau, the line's time but for GPU counters with
 * ages), the line's time (at; NAN: ts) and the power that shapes the
 * change (NAN: none). */
struct aipm_bridge {
	double first_ts, first_v, last_ts, last_v; /* NAN: none yet */
	double first_at, first_p, last_at, last_p;
};
/* One value v of a counter read at line time at, as of its own time tau,
 * with the shaping power p (NAN: none): the change since the bridge's last
 * value added to s over [lo, hi]; a counter that went back adds nothing
 * and counts in *resets. The one step of the summary's runs and of the
 * cursor's instants. */
void aipm_bridge_step(struct aipm_bridge *b, struct aipm_sv *s, long long *resets, double at, double tau,
		      double v, double p, double lo, double hi);
/* A GPU's counter time and shaping power in a line (series ids sid of
 * its energy or sid + 1 of its attributed energy). */
double aipm_gpu_tau(const struct aipm_line_gpu *g, double ts);
double aipm_gpu_shape_power(const struct aipm_line_gpu *g, bool attributed);

/* Consecutive samples of one segment summed into one window: a range's
 * piece of a segment (summary.c), or a segment from its start (cursor.c). */
struct aipm_run {
	long long n;              /* samples */
	double first_ts, last_ts; /* of all of them, inside the window or not */
	double first_p[AIPM_SID_MAX], last_p[AIPM_SID_MAX]; /* powers of those two */
	struct aipm_bridge br[AIPM_SID_MAX];
	struct aipm_series acc;
	struct aipm_sv span;   /* the window's seconds covered by sample intervals */
	bool from_in, to_in;   /* an edge fell strictly between two samples */
	long long resets;      /* a counter went back: that interval is left out */
};
void aipm_run_init(struct aipm_run *r);
/* Add sample l (later than the run's last) with the interval before it. */
void aipm_run_add(struct aipm_run *r, const struct aipm_line *l, const struct aipm_line_table *t, double lo,
		  double hi);
/* a := a then b, b continuing a's segment (b's first sample later than
 * a's last): the interval across the seam is added here. */
void aipm_run_join(struct aipm_run *a, const struct aipm_run *b, double lo, double hi);
/* w += r (series values, coverage, counts). */
void aipm_series_add(struct aipm_series *w, const struct aipm_series *r);

/* Energy totals by kind, as `energy_j` names them in the report. */
enum aipm_total {
	AIPM_TOTAL_PACKAGE,
	AIPM_TOTAL_CORE,
	AIPM_TOTAL_UNCORE,
	AIPM_TOTAL_DRAM,
	AIPM_TOTAL_PSYS,
	AIPM_TOTAL_CPU, /* cpu_total: the package zones (AIPowerMeter: intel_power) */
	AIPM_TOTAL_GPU, /* all GPUs */
	AIPM_TOTAL_COUNT,
};

/* A window's totals: NAN when not measured. */
struct aipm_totals {
	double total_j[AIPM_TOTAL_COUNT];
	double attributed_cpu_j, attributed_dram_j, attributed_gpu_j;
	double cpu_time_s;
	/* The CPU estimate (line.h, enum aipm_est_j): a model's, kept apart;
	 * aipm_totals_machine_j and _attributed_j never include it. */
	double est_j[AIPM_EST_J_COUNT];
};

/* Per zone and GPU (ids of t), optional. */
struct aipm_series_detail {
	double *zone_j;             /* [AIPM_FORMAT_MAX_ZONES] */
	double *gpu_j, *gpu_att_j;  /* [AIPM_FORMAT_MAX_GPUS] */
	bool *gpu_from_power;       /* energy integrated from power, not a counter */
};

/* The totals of window w. A zone's energy is its counter, else its power
 * integrated; a kind's total sums its zones, else AIPowerMeter's
 * whole-machine power stands in; a GPU's energy is its counter, else its
 * power integrated, and all GPUs else nvidia_draw_absolute. */
void aipm_series_derive(const struct aipm_series *w, const struct aipm_line_table *t, struct aipm_totals *out,
			const struct aipm_series_detail *detail);

/* The energy the machine drew: CPU packages + DRAM + GPUs as measured
 * (psys alone when it is all there is: it already includes the others),
 * and the experiment's share of it. NAN: nothing measured. */
double aipm_totals_machine_j(const struct aipm_totals *t);
double aipm_totals_attributed_j(const struct aipm_totals *t);

/* NAN-aware helpers: missing plus x is x. */
static inline double aipm_nadd(double a, double b) { return a != a ? b : b != b ? a : a + b; }
static inline double aipm_nmax(double a, double b) { return a != a ? b : b != b ? a : (a > b ? a : b); }

#endif
