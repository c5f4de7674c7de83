/* summary.h: totals of a recording, of a time window of it, or of several.
 *
 * The analysis stage: it reads power_metrics.json (through scan.c and
 * line.c, on all cores, in constant memory) and the small side files
 * (metadata.json, model_summary.json) and produces numbers; it prints only
 * through aipm_summary_print / aipm_summary_json, to a stream it is given.
 *
 * Energy of an aipm recording is exact: the cumulative counters' last value
 * minus their first, per segment. A recording made by AIPowerMeter has only
 * powers: they are integrated with the trapezoid rule between consecutive
 * samples of one segment. Segments are never bridged.
 *
 * Missing is not zero: every double below is NAN when the recording does not
 * measure it, and the outputs then omit it (text) or write null (JSON).
 */
#ifndef AIPM_SUMMARY_H
#define AIPM_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis/line.h"
#include "snapshot.h"
#include "util.h"

/* Energy totals by kind, as `energy_j` names them in the report. */
enum aipm_total {
	AIPM_TOTAL_PACKAGE,
	AIPM_TOTAL_CORE,
	AIPM_TOTAL_UNCORE,
	AIPM_TOTAL_DRAM,
	AIPM_TOTAL_PSYS,
	AIPM_TOTAL_CPU,  /* cpu_total: the package zones (AIPowerMeter: intel_power) */
	AIPM_TOTAL_GPU,  /* all GPUs */
	AIPM_TOTAL_COUNT,
};
const char *aipm_total_name(enum aipm_total t);

struct aipm_summary_gpu {
	int index;
	char name[AIPM_NAME_LEN], uuid[AIPM_NAME_LEN];
	const char *energy_source; /* "counter", "integrated", or NULL */
	double energy_j, attributed_j, sm_mean, mem_peak_bytes;
	int recording; /* in a total of several recordings, which one (0-based) */
};

struct aipm_summary {
	char dir[1024];
	char description[512];
	/* "aipm" (metadata.json names an aipm_version, or the lines carry a
	 * "timestamp": aipm writes both, with or without energy counters) or
	 * "aipowermeter" (its own recordings: a date and powers only) */
	const char *format;
	int recordings;             /* 1, or how many a total sums */
	double start_ts, end_ts;    /* first and last sample used (Unix s) */
	double window_from_ts, window_to_ts; /* the window asked for; NAN = open */
	double duration_s;          /* sum over segments of last - first */
	/* lines: samples used; skipped: blank, corrupt, truncated, too long */
	long long lines, samples, outside_window, blank, corrupt, truncated, unknown_fields;
	int segments;               /* segments with samples in the window */
	int nzones;
	struct {
		char name[AIPM_NAME_LEN];
		enum aipm_kind kind;
		double energy_j;
	} zones[AIPM_MAX_ZONES];
	double total_j[AIPM_TOTAL_COUNT];
	double attributed_cpu_j, attributed_dram_j, attributed_gpu_j;
	double cpu_time_s;
	double pss_mean_bytes, pss_peak_bytes, uss_mean_bytes, uss_peak_bytes;
	int ngpus;
	struct aipm_summary_gpu *gpus;
	double model_params, model_macs; /* from model_summary.json */
	/* Why a source measured nothing, from metadata.json (sources[].reason
	 * and .fix), to say so when a recording holds no energy at all. */
	char cpu_reason[512], cpu_fix[512], gpu_reason[512];
	/* Set by the caller before printing; NAN: not asked for. */
	double carbon_g_per_kwh, pue;
	/* private: running sums for the memory means of a total */
	double pss_sum_, uss_sum_;
	long long pss_n_, uss_n_;
};

/* A time window in Unix seconds; -INFINITY / INFINITY for an open end. */
struct aipm_window {
	double from_ts, to_ts;
};

struct aipm_summary_opts {
	/* Window bounds; NAN: open. With *_relative, seconds from the
	 * recording's first sample; otherwise Unix seconds. */
	double from, to;
	bool from_relative, to_relative;
	bool last_segment_only;
	int threads; /* 0: all online CPUs ($AIPM_THREADS overrides) */
};

/* Summarise DIR; with last_segment_only, only its last segment (the end of
 * `aipm run` prints that one). */
int aipm_summary_load_dir(const char *dir, bool last_segment_only, struct aipm_summary **out);
/* Summarise DIR as opts say (NULL: whole recording). */
int aipm_summary_load(const char *dir, const struct aipm_summary_opts *opts, struct aipm_summary **out);
/* One pass over DIR's samples, one summary per window (phases call this
 * with each phase's interval): out[i] covers windows[i]. */
int aipm_summary_load_windows(const char *dir, const struct aipm_window *windows, size_t n, int threads,
			      struct aipm_summary **out);
/* Summarise the power_metrics.json at path alone (tests, fuzzing, bench). */
int aipm_summary_load_file(const char *path, const struct aipm_window *windows, size_t n, int threads,
			   struct aipm_summary **out);

/* The first sample's time in DIR's recording, to turn seconds from the start
 * into a time. -ENODATA when there is no sample. */
int aipm_recording_start_ts(const char *dir, double *ts);

/* Fill description, GPU names and the model summary from DIR's
 * metadata.json and model_summary.json, when they are there. */
void aipm_summary_read_side_files(struct aipm_summary *s, const char *dir);

/* A new, empty summary to sum recordings into with aipm_summary_add. */
struct aipm_summary *aipm_summary_new_total(void);
int aipm_summary_add(struct aipm_summary *total, const struct aipm_summary *s);

/* The text report, as `aipm report` prints it. */
void aipm_summary_print(const struct aipm_summary *s, FILE *f);
/* The same as one JSON object (the README documents the keys). */
void aipm_summary_json(const struct aipm_summary *s, struct aipm_buf *b);
void aipm_summary_free(struct aipm_summary *s);

/* Parse a --from/--to value: "YYYY-MM-DD HH:MM:SS[.ffffff]" (local time,
 * as the recording's date) or seconds from the start. */
int aipm_summary_parse_time(const char *arg, double *value, bool *relative);

#endif
