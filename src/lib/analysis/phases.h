/* phases.h: the energy of a recording's phases and at its logged points.
 *
 * The analysis stage for the two side files written from inside the
 * experiment. phases.json is paired by the one rule of record/sidefiles.h;
 * each phase is a window [begin, end] of the recording and each point of
 * results_exp.json a window from the start of the recording, measured by
 * the cursor (cursor.h) in one pass over power_metrics.json: edges are
 * interpolated between the samples around them (exact when an off-grid
 * sample sits on the edge), a window across a segment boundary is clipped
 * per segment and never bridged, and a window no sample interval covers is
 * missing (null, with the reason), never 0.
 *
 * Memory is that of the windows open at once: results are written to the
 * output as windows close (in begin order for phases, in time order for
 * points), and the output is flushed as it grows (out.h). A phase never
 * ended runs to the end of the recording and holds the phases begun after
 * it until then.
 */
#ifndef AIPM_ANALYSIS_PHASES_H
#define AIPM_ANALYSIS_PHASES_H

#include <stdbool.h>

#include "analysis/cursor.h"
#include "analysis/out.h"
#include "analysis/series.h"
#include "record/format.h"

/* One phase, measured. */
struct aipm_phase_result {
	char name[AIPM_FORMAT_NAME_MAX + 1];
	int occurrence;          /* 1 for the first phase of this name, ... */
	double begin_ts, end_ts; /* end_ts = INFINITY when never ended */
	bool open;
	struct aipm_totals t;
	struct aipm_window_facts f;
};

/* The phases of one name, summed. */
struct aipm_phase_total {
	char name[AIPM_FORMAT_NAME_MAX + 1];
	int count;
	double energy_j, attributed_j, duration_s, cpu_time_s; /* NAN: not measured */
	double total_j[AIPM_TOTAL_COUNT];
	double est_j[AIPM_EST_J_COUNT]; /* the CPU estimate's (series.h), kept apart */
};

/* One logged point, measured: from the start of the recording and since
 * the point before. */
struct aipm_point_result {
	long long index;
	double ts;
	const char *metrics_json;
	struct aipm_totals from_start, since_prev;
	struct aipm_window_facts f_start, f_prev;
};

/* What a report says at its end. */
struct aipm_report_notes {
	long long skipped;  /* side-file lines not used */
	long long backward; /* segments left out: they start before the one before ended */
	long long rewinds;  /* edges so far out of time order that the samples were read again */
};

/* Where results go as windows close; start_ts is the recording's first
 * sample (NAN: none). */
struct aipm_phase_sink {
	void (*begin)(void *ctx, const char *dir, double start_ts);
	void (*phase)(void *ctx, const struct aipm_phase_result *r, double start_ts);
	void (*point)(void *ctx, const struct aipm_point_result *r, double start_ts);
	void (*end)(void *ctx, const struct aipm_phase_total *names, size_t n, const struct aipm_report_notes *notes);
};

/* Measure DIR's phases (-ENOENT with how to add them when it has none). */
int aipm_phase_report_run(const char *dir, const struct aipm_phase_sink *sink, void *ctx);
/* Measure DIR's logged points (-ENOENT with how to log when none). */
int aipm_metric_report_run(const char *dir, const struct aipm_phase_sink *sink, void *ctx);

/* The report as text or one JSON object, into out (phases_out.c). */
int aipm_phase_report_write(const char *dir, bool json, struct aipm_out *out);
int aipm_metric_report_write(const char *dir, bool json, struct aipm_out *out);

#endif
