/* line.h: one line of power_metrics.json, parsed into a fixed-size struct.
 *
 * The reading half of the recording stage (format.h has the format): it
 * turns the text of one line into numbers and nothing more: no I/O, no
 * allocation, no process-wide state. It reads both aipm's recordings
 * (cumulative counters) and AIPowerMeter's own (powers only), whose field
 * names aipm kept. reader.h walks a file with it sequentially, scan.h on
 * every core; analysis/ and export/ only ever see its results.
 *
 * Missing is not zero: every double is NAN until the line gives it a valid
 * value, and a negative value of a quantity that cannot be negative (a
 * power, an energy, a memory size: AIPowerMeter writes -1 for "none") is
 * missing too.
 */
#ifndef AIPM_RECORD_LINE_H
#define AIPM_RECORD_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "record/format.h"

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

/* The CPU estimate of a recording made without RAPL (metrics.cpu_estimate,
 * docs/estimate.md): a model, not a measurement, so none of these ever
 * enters a measured total. Cumulative energies of the segment, the
 * machine's and the experiment's share, each with its bounds... */
enum aipm_est_j {
	AIPM_EST_J,          /* energy_j */
	AIPM_EST_J_LOW,      /* energy_low_j */
	AIPM_EST_J_HIGH,     /* energy_high_j */
	AIPM_EST_ATT_J,      /* attributed_j */
	AIPM_EST_ATT_J_LOW,  /* attributed_low_j */
	AIPM_EST_ATT_J_HIGH, /* attributed_high_j */
	AIPM_EST_J_COUNT,
};
/* ... and the interval's power with its bounds (what a plot draws dashed,
 * with its band). */
enum aipm_est_w { AIPM_EST_W, AIPM_EST_W_LOW, AIPM_EST_W_HIGH, AIPM_EST_W_COUNT };

/* Series ids: every quantity a window can sum over time gets one, in the
 * order it is first seen, so a vector of a recording's series is only as
 * long as what it holds (analysis/series.h). The fixed ones come first. */
enum {
	AIPM_SID_ATT_CPU,  /* counters: attributed_energy.cpu */
	AIPM_SID_ATT_DRAM, /* attributed_energy.dram */
	AIPM_SID_CPU_TIME, /* cpu_time */
	AIPM_SID_EST,      /* the AIPM_EST_J_COUNT estimate counters follow */
	AIPM_SID_PW = AIPM_SID_EST + AIPM_EST_J_COUNT, /* the AIPM_PW_COUNT powers follow */
	AIPM_SID_FIXED = AIPM_SID_PW + AIPM_PW_COUNT,
	/* per zone: energy counter, power; per GPU: energy, attributed energy
	 * (counters), power, attributable power */
	AIPM_SID_MAX = AIPM_SID_FIXED + 2 * AIPM_FORMAT_MAX_ZONES + 4 * AIPM_FORMAT_MAX_GPUS,
};

/* Zones and GPUs seen so far, shared by the threads of one scan. Readers
 * never lock: an entry once published never changes, and a count grows with
 * release semantics after its entry is written. */
struct aipm_line_table {
	char zone[AIPM_FORMAT_MAX_ZONES][AIPM_FORMAT_ZONE_NAME_MAX + 1];
	enum aipm_kind kind[AIPM_FORMAT_MAX_ZONES];
	int zone_sid[AIPM_FORMAT_MAX_ZONES];
	struct {
		char vendor[AIPM_FORMAT_VENDOR_MAX + 1];
		long index;
		int sid;
	} gpu[AIPM_FORMAT_MAX_GPUS];
	/* What each series id is: AIPM_SID_* kind and the zone or GPU id. */
	unsigned char sid_kind[AIPM_SID_MAX];
	short sid_of[AIPM_SID_MAX];
	int nzones, ngpus, nsids; /* accessed atomically */
	int lock;                 /* a spin flag, taken only to add an entry */
};
enum aipm_sid_kind {
	AIPM_SK_FIXED_COUNTER, AIPM_SK_FIXED_POWER, AIPM_SK_ZONE_ENERGY, AIPM_SK_ZONE_POWER,
	AIPM_SK_GPU_ENERGY, AIPM_SK_GPU_ATTRIBUTED, AIPM_SK_GPU_POWER, AIPM_SK_GPU_ATTRIBUTABLE_POWER,
};
/* Whether series sid is a cumulative counter (else a power). */
bool aipm_sid_is_counter(const struct aipm_line_table *t, int sid);
/* Ids of a zone / a GPU, added when new; -1 when the table is full or the
 * name too long (the caller counts the value as dropped). */
int aipm_line_zone_id(struct aipm_line_table *t, const char *name, size_t len);
int aipm_line_gpu_id(struct aipm_line_table *t, const char *vendor, size_t vlen, long index);
int aipm_line_table_zones(const struct aipm_line_table *t);
int aipm_line_table_gpus(const struct aipm_line_table *t);
int aipm_line_table_sids(const struct aipm_line_table *t);

enum aipm_line_kind {
	AIPM_LINE_SAMPLE,
	AIPM_LINE_SEGMENT_END, /* AIPM_SEGMENT_MARKER */
	AIPM_LINE_BLANK,
	AIPM_LINE_CORRUPT,     /* not JSON, a NUL byte, no time, or not a sample */
};

struct aipm_line_gpu {
	double energy_j, attributed_j; /* cumulative in the segment */
	double power_w, attributable_power_w;
	double sm_percent, mem_bytes;
	/* per_gpu_energy_age: the energies are those of the counter as of
	 * ts - energy_age_s (analysis/series.h's GPU edge rule); NAN: as of ts. */
	double energy_age_s;
	bool integrated; /* per_gpu_energy_integrated says so */
};

struct aipm_line {
	double ts; /* Unix seconds: "timestamp", else "date" read as local time */
	/* cumulative counters of aipm recordings (J, s) */
	double zone_energy_j[AIPM_FORMAT_MAX_ZONES];
	double zone_power_w[AIPM_FORMAT_MAX_ZONES];
	double attributed_cpu_j, attributed_dram_j, cpu_time_s;
	double pw[AIPM_PW_COUNT];
	double pss_bytes, uss_bytes; /* the experiment's */
	/* metrics.cpu_estimate (NAN: absent): energies, powers, the load. */
	double est_j[AIPM_EST_J_COUNT], est_w[AIPM_EST_W_COUNT], est_load;
	/* Zone ids < nzones and GPU ids < ngpus may be set; the rest are
	 * unset (read them as NAN). */
	int nzones, ngpus;
	struct aipm_line_gpu gpu[AIPM_FORMAT_MAX_GPUS];
	unsigned unknown_fields;
	unsigned dropped; /* values past the reader's limits (format.h) */
	/* The time came from "timestamp", which only aipm writes (AIPowerMeter
	 * has "date" alone): a recording's format, whatever it measured. */
	bool timestamped;
	bool edge; /* an off-grid sample (AIPM_KEY_EDGE) */
};

/* Parse len bytes at text (no NUL needed, no newline) into out. The line's
 * kind is returned; out is meaningful only for AIPM_LINE_SAMPLE. */
enum aipm_line_kind aipm_line_parse(const char *text, size_t len, struct aipm_line_table *t,
				    struct aipm_date_cache *dc, struct aipm_line *out);

/* The two parsers behind aipm_line_parse, for the test and the fuzzer that
 * hold them to the same result. _fast reads the line shape aipm writes
 * without building a tree and returns -1 for any line it does not vouch for
 * (it then has changed neither t nor anything the caller can rely on in
 * out); _dom is the full cJSON parse that takes those. */
int aipm_line_parse_fast(const char *text, size_t len, struct aipm_line_table *t, struct aipm_date_cache *dc,
			 struct aipm_line *out);
enum aipm_line_kind aipm_line_parse_dom(const char *text, size_t len, struct aipm_line_table *t,
					struct aipm_date_cache *dc, struct aipm_line *out);

/* The JSON value that is the whole of text, or NULL: a NUL byte or text
 * after the value makes it none (the rule for every line a reader takes,
 * here and in the side files). Free with cJSON_Delete. */
struct cJSON;
struct cJSON *aipm_line_json(const char *text, size_t len);

/* Whether the text is blank or the segment marker, without parsing JSON. */
enum aipm_line_kind aipm_line_classify(const char *text, size_t len);

/* A zone's / a GPU's values in a line, NAN (or an empty GPU) when unset. */
static inline double aipm_line_zone_energy(const struct aipm_line *l, int z)
{
	return z < l->nzones ? l->zone_energy_j[z] : __builtin_nan("");
}
static inline double aipm_line_zone_power(const struct aipm_line *l, int z)
{
	return z < l->nzones ? l->zone_power_w[z] : __builtin_nan("");
}
const struct aipm_line_gpu *aipm_line_gpu_of(const struct aipm_line *l, int g);
/* The value of series sid in line l (NAN when the line lacks it). */
double aipm_line_sid_value(const struct aipm_line *l, const struct aipm_line_table *t, int sid);

#endif
