/* phases.h: the energy of a recording's phases and at its logged points.
 *
 * The analysis stage for the two side files written from inside the
 * experiment (record/phases.h): phases.json pairs into intervals, each
 * summarised as a time window of power_metrics.json in one parallel pass
 * (summary.h), so a phase that overlaps a segment boundary is clipped per
 * segment and never bridged; results_exp.json lines become points with the
 * energy from the start of the recording to each point and since the one
 * before (joules per epoch).
 *
 * Pairing rules: an "end" closes the open phase of its name; a "begin" of a
 * name already open, an "end" of a name not open and unreadable lines are
 * skipped and counted. A phase never ended runs to the end of the
 * recording (open = true).
 *
 * Energy of a window is the counters' last minus first sample inside it,
 * so a phase shorter than the sampling interval may have no energy (NAN):
 * missing, not zero.
 */
#ifndef AIPM_ANALYSIS_PHASES_H
#define AIPM_ANALYSIS_PHASES_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis/summary.h"
#include "record/phases.h"
#include "util.h"

struct aipm_phase_item {
	char name[AIPM_PHASE_NAME_MAX + 1];
	int occurrence;        /* 1 for the first phase of this name, ... */
	double begin_ts, end_ts; /* end_ts = INFINITY when never ended */
	bool open;
	struct aipm_summary *s; /* the window's totals */
};

struct aipm_phase_total {
	char name[AIPM_PHASE_NAME_MAX + 1];
	int count;
	double energy_j, attributed_j, duration_s, cpu_time_s; /* NAN: not measured */
	double total_j[AIPM_TOTAL_COUNT];
};

struct aipm_phase_report {
	char dir[1024];
	double start_ts; /* the recording's first sample (NAN: none) */
	size_t n, nnames;
	struct aipm_phase_item *items;   /* in begin order */
	struct aipm_phase_total *names;  /* in order of first appearance */
	long long skipped;               /* lines of phases.json not used */
};

/* -ENOENT with a message when DIR has no phases.json. */
int aipm_phase_report_load(const char *dir, int threads, struct aipm_phase_report **out);
void aipm_phase_report_print(const struct aipm_phase_report *r, FILE *f);
void aipm_phase_report_json(const struct aipm_phase_report *r, struct aipm_buf *b);
void aipm_phase_report_free(struct aipm_phase_report *r);

/* One results_exp.json line and the energy up to it. */
struct aipm_metric_point {
	double ts;
	char *metrics_json;           /* the line's "metrics" object, as JSON text */
	double energy_j, attributed_j, cpu_time_s; /* from the start to ts */
	double d_energy_j, d_attributed_j, d_s;    /* since the previous point */
};

struct aipm_metric_report {
	char dir[1024];
	double start_ts;
	size_t n;
	struct aipm_metric_point *points;
	long long skipped;
};

/* -ENOENT with a message when DIR has no results_exp.json. */
int aipm_metric_report_load(const char *dir, int threads, struct aipm_metric_report **out);
void aipm_metric_report_print(const struct aipm_metric_report *r, FILE *f);
void aipm_metric_report_json(const struct aipm_metric_report *r, struct aipm_buf *b);
void aipm_metric_report_free(struct aipm_metric_report *r);

/* Energy the machine drew in s: CPU packages + DRAM + GPUs as measured
 * (psys alone when it is all there is), and the experiment's share. */
double aipm_phase_machine_j(const struct aipm_summary *s);
double aipm_phase_attributed_j(const struct aipm_summary *s);

#endif
