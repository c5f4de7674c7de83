/* line.h: one line of power_metrics.json, parsed into a fixed-size struct.
 *
 * The analysis stage reads recordings; it never writes them. This module
 * turns the text of one line into numbers the summary, the CSV export and
 * the plots can use, and nothing more: no I/O, no allocation that outlives
 * the call. It reads both aipm's recordings (cumulative counters) and
 * AIPowerMeter's own (powers only), whose field names aipm kept.
 *
 * Missing is not zero: every double is NAN until the line gives it a value.
 */
#ifndef AIPM_ANALYSIS_LINE_H
#define AIPM_ANALYSIS_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

/* Zone kinds a recording's zone name maps to, and the totals a report shows. */
enum aipm_kind {
	AIPM_KIND_PACKAGE,
	AIPM_KIND_CORE,
	AIPM_KIND_UNCORE,
	AIPM_KIND_DRAM,
	AIPM_KIND_PSYS,
	AIPM_KIND_OTHER,
	AIPM_KIND_COUNT,
};
const char *aipm_kind_name(enum aipm_kind k);
enum aipm_kind aipm_kind_of_zone(const char *zone);

/* AIPowerMeter's whole-machine powers (W), integrated with the trapezoid rule
 * when a recording has no counters. */
enum aipm_pw {
	AIPM_PW_INTEL,   /* intel_power -> cpu_total */
	AIPM_PW_CORE,    /* total_cpu_power */
	AIPM_PW_UNCORE,  /* uncore_power */
	AIPM_PW_DRAM,    /* total_dram_power */
	AIPM_PW_PSYS,    /* psys_power */
	AIPM_PW_GPU,     /* nvidia_draw_absolute */
	AIPM_PW_REL_CPU, /* rel_intel_power: the experiment's share */
	AIPM_PW_REL_GPU, /* nvidia_attributable_power */
	AIPM_PW_COUNT,
};

/* Zone names seen so far, shared by the threads of one scan. Readers never
 * lock: a name once published never changes, and n grows with release
 * semantics after the name is written. */
struct aipm_zone_table {
	char names[AIPM_MAX_ZONES][AIPM_NAME_LEN];
	enum aipm_kind kinds[AIPM_MAX_ZONES];
	int n; /* accessed atomically */
	int lock; /* a spin flag, taken only to add a name */
};
/* The id of zone name, added when new; -1 when the table is full. */
int aipm_zone_table_id(struct aipm_zone_table *t, const char *name);
int aipm_zone_table_count(const struct aipm_zone_table *t);

enum aipm_line_kind {
	AIPM_LINE_SAMPLE,
	AIPM_LINE_SEGMENT_END, /* "END OF RECORDING SEGMENT" */
	AIPM_LINE_BLANK,
	AIPM_LINE_CORRUPT,     /* not JSON, or no time, or not a sample */
};

struct aipm_line_gpu {
	double energy_j, attributed_j; /* cumulative in the segment */
	double power_w, attributable_power_w;
	double sm_percent, mem_bytes;
	bool integrated; /* per_gpu_energy_integrated says so */
};

struct aipm_line {
	double ts; /* Unix seconds: "timestamp", else "date" read as local time */
	/* cumulative counters of aipm recordings (J, s) */
	double zone_energy_j[AIPM_MAX_ZONES];
	double zone_power_w[AIPM_MAX_ZONES];
	double attributed_cpu_j, attributed_dram_j, cpu_time_s;
	double pw[AIPM_PW_COUNT];
	double pss_bytes, uss_bytes; /* the experiment's */
	int ngpus; /* 1 + the highest GPU index seen in this line */
	struct aipm_line_gpu gpu[AIPM_MAX_GPUS];
	int nzones; /* zone ids < nzones may be set; the rest are NAN */
	unsigned unknown_fields;
	/* The time came from "timestamp", which only aipm writes (AIPowerMeter
	 * has "date" alone): a recording's format, whatever it measured. */
	bool timestamped;
};

/* Cache for turning AIPowerMeter's local "date" into Unix seconds without a
 * mktime per line (one per hour of recording). Zero it before first use. */
struct aipm_date_cache {
	char hour[14]; /* "YYYY-MM-DD HH" */
	double hour_ts;
};
/* Parse "YYYY-MM-DD HH:MM:SS[.ffffff]" as local time. false if malformed. */
bool aipm_date_parse(const char *s, struct aipm_date_cache *c, double *ts);

/* Parse len bytes at text (no NUL needed, no newline) into out. The line's
 * kind is returned; out is meaningful only for AIPM_LINE_SAMPLE. */
enum aipm_line_kind aipm_line_parse(const char *text, size_t len, struct aipm_zone_table *zt,
				    struct aipm_date_cache *dc, struct aipm_line *out);

/* The two parsers behind aipm_line_parse, for the test that holds them to
 * the same result. _fast reads the line shape aipm writes without building
 * a tree and returns -1 for any line it does not vouch for (it then has
 * changed neither zt nor anything the caller can rely on in out); _dom is
 * the full cJSON parse that takes those. */
int aipm_line_parse_fast(const char *text, size_t len, struct aipm_zone_table *zt, struct aipm_date_cache *dc,
			 struct aipm_line *out);
enum aipm_line_kind aipm_line_parse_dom(const char *text, size_t len, struct aipm_zone_table *zt,
					struct aipm_date_cache *dc, struct aipm_line *out);

/* Free the calling thread's parse arena (the scanner's threads call it
 * before they end; any thread that called aipm_line_parse should). */
void aipm_line_arena_release(void);

/* Whether the text is blank or the segment marker, without parsing JSON. */
enum aipm_line_kind aipm_line_classify(const char *text, size_t len);

#endif
