/* format.h: the recording format, written down once for every reader.
 *
 * A recording is a directory of files whose names, keys, segment marker,
 * name rules and limits are defined here and nowhere else; the readers
 * (reader.h for power_metrics.json, sidefiles.h for the others) and every
 * view built on them take them from this header, so two views can no longer
 * disagree on what a line or a phase is. docs/recording.md is the prose of
 * the same rules.
 *
 * The limits below belong to the file, not to the sampler: a recording made
 * on a machine with more zones or GPUs than this aipm's sampler handles
 * (AIPM_MAX_ZONES, AIPM_MAX_GPUS) is still read; what exceeds the reader's
 * own limits is skipped and counted, and the report says so.
 */
#ifndef AIPM_RECORD_FORMAT_H
#define AIPM_RECORD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

/* ---- files of a recording directory ---- */
#define AIPM_FILE_POWER "power_metrics.json"  /* JSON lines: samples, segment markers */
#define AIPM_FILE_METADATA "metadata.json"    /* one object, replaced atomically */
#define AIPM_FILE_PHASES "phases.json"        /* JSON lines: phase begin/end */
#define AIPM_FILE_RESULTS "results_exp.json"  /* experiment metrics (aipm log) */
#define AIPM_FILE_MODEL "model_summary.json"  /* model complexity */

/* A line holding only this JSON string (quoted or not) closes a segment. */
#define AIPM_SEGMENT_MARKER "END OF RECORDING SEGMENT"

/* ---- keys of a power_metrics.json line ---- */
#define AIPM_KEY_DATE "date"           /* local "YYYY-MM-DD HH:MM:SS[.ffffff]" */
#define AIPM_KEY_TIMESTAMP "timestamp" /* Unix seconds; only aipm writes it */
#define AIPM_KEY_METRICS "metrics"
/* An off-grid sample (taken at a phase edge or a logged point) names why;
 * it is an ordinary sample for every purpose. */
#define AIPM_KEY_EDGE "edge"
/* Sections of "metrics". A GPU section is "gpu" (NVIDIA, AIPowerMeter's
 * keys) or "<vendor>_gpu" (aipm's per_gpu_* keys); a GPU is identified by
 * (vendor, index), and the vendor of "gpu" is "nvidia". */
#define AIPM_SECTION_CPU "cpu"
#define AIPM_SECTION_GPU "gpu"
#define AIPM_SECTION_GPU_SUFFIX "_gpu"
#define AIPM_GPU_VENDOR_NVIDIA "nvidia"
/* Read by no total, and not unknown either. */
#define AIPM_SECTION_TEMPERATURE "temperature"
/* The CPU estimate where RAPL is absent: a model, read into totals of its
 * own (line.h's est_j), never into a measured one. Its members, written by
 * record/writer_estimate.c, read by line_keys.c; the energies, in enum
 * aipm_est_j's order, are also the report's keys for it. */
#define AIPM_SECTION_CPU_ESTIMATE "cpu_estimate"
#define AIPM_KEY_EST_METHOD "method"
#define AIPM_KEY_EST_LOAD "load"
#define AIPM_KEY_EST_J "energy_j"
#define AIPM_KEY_EST_J_LOW "energy_low_j"
#define AIPM_KEY_EST_J_HIGH "energy_high_j"
#define AIPM_KEY_EST_ATT_J "attributed_j"
#define AIPM_KEY_EST_ATT_J_LOW "attributed_low_j"
#define AIPM_KEY_EST_ATT_J_HIGH "attributed_high_j"
#define AIPM_KEY_EST_W "power_w"
#define AIPM_KEY_EST_W_LOW "power_low_w"
#define AIPM_KEY_EST_W_HIGH "power_high_w"
#define AIPM_KEYS_EST_J                                                                                      \
	AIPM_KEY_EST_J, AIPM_KEY_EST_J_LOW, AIPM_KEY_EST_J_HIGH, AIPM_KEY_EST_ATT_J, AIPM_KEY_EST_ATT_J_LOW, \
		AIPM_KEY_EST_ATT_J_HIGH
#define AIPM_KEYS_EST_W AIPM_KEY_EST_W, AIPM_KEY_EST_W_LOW, AIPM_KEY_EST_W_HIGH

/* ---- metadata.json ---- */
/* The words of sources[].provides: what a source measures. */
#define AIPM_FORMAT_PROVIDES_COUNT 7
const char *aipm_format_provides_word(unsigned i); /* "cpu_energy", ... */

/* ---- phases.json and results_exp.json ---- */
#define AIPM_KEY_NAME "name"
#define AIPM_KEY_EVENT "event"
#define AIPM_EVENT_BEGIN "begin"
#define AIPM_EVENT_END "end"
/* true: the line's timestamp is that of a sample of power_metrics.json
 * taken at this instant (an edge sample), so the edge is read, not
 * interpolated. Absent: the clock's time (docs/recording.md says when). */
#define AIPM_KEY_EDGE_SAMPLE "edge_sample"
/* AIPowerMeter's results_exp.json records carry this ISO date instead of a
 * timestamp, with the metrics as members of the record itself. */
#define AIPM_KEY_END_EPOCH "end_training_epoch"

/* ---- limits that belong to the file ---- */
#define AIPM_FORMAT_NAME_MAX 128       /* phase and metric names, bytes */
#define AIPM_FORMAT_ZONE_NAME_MAX 127  /* RAPL zone names; longer: skipped, counted */
#define AIPM_FORMAT_VENDOR_MAX 31      /* the <vendor> of "<vendor>_gpu" */
#define AIPM_FORMAT_MAX_ZONES 128      /* distinct zones a reader keeps */
#define AIPM_FORMAT_MAX_GPUS 64        /* distinct (vendor, index) GPUs */
#define AIPM_FORMAT_GPU_INDEX_MAX 999999
#define AIPM_FORMAT_LINE_MAX (1ll << 30)      /* a longer line is skipped */
#define AIPM_FORMAT_SIDE_MAX (64ll << 20)     /* metadata / model summary, read whole */

/* ---- name rules ---- */
/* A phase or metric name: 1..AIPM_FORMAT_NAME_MAX bytes of UTF-8, no
 * control character; a metric name has no '=' either (aipm log
 * KEY=VALUE). name[len] must be its terminating NUL. */
bool aipm_format_name_ok(const char *name, size_t len, bool metric);
/* The same with the house message set (what: "phase" or "metric"). */
int aipm_format_check_name(const char *what, const char *name);

/* Zone kinds, from the zone's name ("package-0", "core", "dram-1", "psys"). */
enum aipm_kind {
	AIPM_KIND_PACKAGE,
	AIPM_KIND_CORE,
	AIPM_KIND_UNCORE,
	AIPM_KIND_DRAM,
	AIPM_KIND_PSYS,
	AIPM_KIND_OTHER,
	AIPM_KIND_COUNT,
};
enum aipm_kind aipm_kind_of_zone(const char *zone);

/* Whether a "metrics" member names a GPU section; vendor and vlen then hold
 * its vendor ("gpu" gives "nvidia"). s need not be NUL-terminated. */
bool aipm_format_gpu_section(const char *s, size_t n, const char **vendor, size_t *vlen);

/* ---- dates ---- */
/* Cache for turning local dates into Unix seconds without a mktime per line
 * (one per hour of recording). Zero it before first use. */
struct aipm_date_cache {
	char hour[14]; /* "YYYY-MM-DD HH" */
	double hour_ts;
};
/* Parse "YYYY-MM-DD HH:MM:SS[.ffffff]" (or with 'T', as Python's isoformat
 * writes it) as local time. c may be NULL. false if malformed. */
bool aipm_format_date_parse(const char *s, struct aipm_date_cache *c, double *ts);
/* The date aipm writes for Unix time ts, local time, microseconds. */
void aipm_format_date_ts(char *out, size_t n, double ts);

#endif
