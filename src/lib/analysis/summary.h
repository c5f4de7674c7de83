/* summary.h: totals of a recording, of a time window of it, or of several.
 *
 * The analysis stage: it reads power_metrics.json on all cores, in
 * constant memory (record/scan.h and record/line.h, the same rules as the
 * sequential reader), and the side files (record/sidefiles.h), and
 * produces numbers; summary_out.c prints them.
 *
 * Energy of an aipm recording is exact: the cumulative counters' last value
 * minus their first, per segment. A window [from, to] takes each counter
 * interpolated linearly at its edges from the samples around them
 * (series.h), so a window between two samples is measured, not 0; a power
 * (AIPowerMeter's recordings) is integrated with the trapezoid rule, cut at
 * the edges with the power interpolated there. Segments are never bridged.
 *
 * Missing is not zero: every double below is NAN when the recording does not
 * measure it, and the outputs then omit it (text) or write null (JSON). A
 * window no sample interval covers says why (missing).
 */
#ifndef AIPM_SUMMARY_H
#define AIPM_SUMMARY_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "analysis/series.h"
#include "record/format.h"
#include "record/sidefiles.h"
#include "util.h"

const char *aipm_total_name(enum aipm_total t);

struct aipm_summary_gpu {
	char vendor[AIPM_FORMAT_VENDOR_MAX + 1];
	long index;
	char name[128], uuid[128];
	const char *energy_source; /* "counter", "integrated", or NULL */
	double energy_j, attributed_j, sm_mean, mem_peak_bytes;
	int recording; /* in a total of several recordings, which one (0-based) */
	char from[64]; /* in a total: the last part of that recording's DIR */
};

struct aipm_summary_zone {
	char name[AIPM_FORMAT_ZONE_NAME_MAX + 1];
	enum aipm_kind kind;
	double energy_j;
	/* The zone whose energy already holds this one's (metadata.json's
	 * "inside"; without it, by kind: psys holds the packages, package-N
	 * its core-N and uncore-N); "" when none. Never summed twice. */
	char inside[AIPM_FORMAT_ZONE_NAME_MAX + 1];
};

/* The CPU estimate of a recording made without RAPL: the window's totals
 * (line.h's enum aipm_est_j; NAN: none) and, from metadata.json, how it
 * was made. A model, kept apart from every measured total above and below
 * (summary_estimate.c prints it in its own section). */
struct aipm_summary_estimate {
	double j[AIPM_EST_J_COUNT];
	struct aipm_meta_estimate how; /* how.method "": metadata.json does not say */
	bool mixed;                    /* a total of recordings estimated by different methods */
};

struct aipm_summary {
	char dir[PATH_MAX]; /* any path the kernel opens fits: the name is never cut */
	char description[512];
	/* "aipm" (metadata.json names an aipm_version, or the lines carry a
	 * "timestamp": aipm writes both, with or without energy counters) or
	 * "aipowermeter" (its own recordings: a date and powers only) */
	const char *format;
	int recordings;             /* 1, or how many a total sums */
	double start_ts, end_ts;    /* first and last instant the window covers (Unix s) */
	double window_from_ts, window_to_ts; /* the window asked for; NAN = open */
	bool window_interpolated;   /* an edge fell between two samples */
	double duration_s;          /* seconds the segments cover inside the window */
	char missing[256];          /* why the window holds no measurement; "" */
	/* samples: accepted; lines: of them inside the window; skipped:
	 * blank, corrupt, truncated (too long counts as corrupt), out of order */
	long long lines, samples, outside_window, blank, corrupt, truncated, out_of_order;
	long long unknown_fields, dropped, edge_samples, counter_resets;
	int segments;               /* segments with samples in the window */
	int backward_segments;      /* start before the one before them ended */
	int nzones;
	struct aipm_summary_zone zones[AIPM_FORMAT_MAX_ZONES];
	double total_j[AIPM_TOTAL_COUNT];
	double attributed_cpu_j, attributed_dram_j, attributed_gpu_j;
	double cpu_time_s;
	struct aipm_summary_estimate est;
	double pss_mean_bytes, pss_peak_bytes, uss_mean_bytes, uss_peak_bytes;
	int ngpus;
	struct aipm_summary_gpu *gpus;
	double model_params, model_macs; /* from model_summary.json */
	/* metadata.json: its state, and why a part measured nothing, as the
	 * sources said when the run started (sources[].reason and .fix). */
	enum aipm_meta_status meta_status;
	char meta_problem[512];
	char cpu_reason[512], cpu_fix[512], dram_reason[512], gpu_reason[512];
	size_t nhealth;
	struct aipm_meta_health *health; /* sources that failed samples */
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
	int threads; /* 0: all online CPUs */
};

/* Summarise DIR as opts say (NULL: whole recording). */
int aipm_summary_load(const char *dir, const struct aipm_summary_opts *opts, struct aipm_summary **out);
/* Summarise DIR; with last_segment_only, only its last segment (the end of
 * `aipm run` prints that one). */
int aipm_summary_load_dir(const char *dir, bool last_segment_only, struct aipm_summary **out);
/* The power_metrics.json at path alone (tests, fuzzing, bench): window w,
 * or only the last segment. */
int aipm_summary_load_file(const char *path, const struct aipm_window *w, int threads, bool last_segment_only,
			   struct aipm_summary **out);

/* Fill description, GPU names, the reasons of what was not measured, the
 * sources' health and the model from DIR's side files. 0 or -ENOMEM. */
int aipm_summary_read_side_files(struct aipm_summary *s, const char *dir);

/* A new, empty summary to sum recordings into with aipm_summary_add. */
struct aipm_summary *aipm_summary_new(void);
struct aipm_summary *aipm_summary_new_total(void);
int aipm_summary_add(struct aipm_summary *total, const struct aipm_summary *s);
void aipm_summary_free(struct aipm_summary *s);

/* The text report, as `aipm report` prints it (C locale). */
void aipm_summary_print(const struct aipm_summary *s, FILE *f);
/* The same as one JSON object (the README documents the keys). */
void aipm_summary_json(const struct aipm_summary *s, struct aipm_buf *b);
/* The CPU estimate (summary_estimate.c): reset to "none"; summed into a
 * total (first: the total's first recording); its text section ("estimate",
 * nothing when the summary has none); its JSON member "estimate" (nothing
 * when none); and the same object from a window's est_j alone, for phases
 * and logged points. */
void aipm_summary_estimate_init(struct aipm_summary_estimate *e);
void aipm_summary_estimate_add(struct aipm_summary_estimate *t, const struct aipm_summary_estimate *s, bool first);
void aipm_summary_estimate_print(const struct aipm_summary *s, FILE *f);
void aipm_summary_estimate_json(struct aipm_buf *b, const struct aipm_summary *s, bool *first);
void aipm_estimate_json(struct aipm_buf *b, const char *key, const double *est_j, bool *first);
bool aipm_estimate_any(const double *est_j);

/* A GPU's label: "nvidia:0", "amd:1". */
void aipm_summary_gpu_label(const struct aipm_summary_gpu *g, char *out, size_t n);

/* Parse a --from/--to value: "YYYY-MM-DD HH:MM:SS[.ffffff]" (local time,
 * as the recording's date) or seconds from the start. */
int aipm_summary_parse_time(const char *arg, double *value, bool *relative);

/* Why a window [lo, hi] no interval covers is unmeasured, in words, from
 * what the recording holds: its first and last sample, whether any segment
 * holds two samples. */
void aipm_window_reason(char *out, size_t n, double lo, double hi, long long samples, bool intervals,
			double first_ts, double last_ts);

#endif
