/* line_keys.h: what the two line parsers share (private to the reader).
 *
 * A line is read by a hand-written scanner (line_fast.c) that knows the
 * shape aipm writes, and by cJSON (line_dom.c) for anything the scanner will
 * not vouch for. Both must give the very same struct aipm_line, so the
 * meaning of every key lives here once (line_keys.c): which keys exist, and
 * what a value does to the line. The parsers only walk the text.
 */
#ifndef AIPM_RECORD_LINE_KEYS_H
#define AIPM_RECORD_LINE_KEYS_H

#include "record/line.h"

enum aipm_line_key {
	K_UNKNOWN,
	K_IGNORED, /* known, not needed for totals (per-pid detail) */
	/* cpu scalars, set by aipm_line_set_scalar */
	K_INTEL, K_CORE, K_UNCORE, K_DRAM, K_PSYS, K_REL_CPU, K_CPU_TIME, K_PSS, K_USS,
	/* gpu scalars (the "gpu" section only) */
	K_NV_DRAW, K_NV_ATTR,
	/* cpu objects */
	K_ZONE_POWER, K_ZONE_ENERGY, K_ATTRIB, K_PSS_PID, K_USS_PID,
	/* gpu objects keyed by GPU index, set by aipm_line_set_gpu */
	K_G_ENERGY, K_G_ATTR_ENERGY, K_G_POWER, K_G_ATTR_POWER, K_G_USE, K_G_PCT, K_G_MEM, K_G_ENERGY_AGE,
	K_G_INTEGRATED,
	/* cpu_estimate members, set by aipm_line_set_estimate: the energies in
	 * enum aipm_est_j's order, then the powers, then the load */
	K_EST_J, K_EST_J_LOW, K_EST_J_HIGH, K_EST_ATT_J, K_EST_ATT_J_LOW, K_EST_ATT_J_HIGH,
	K_EST_W, K_EST_W_LOW, K_EST_W_HIGH, K_EST_LOAD,
};

static inline bool aipm_line_key_scalar(enum aipm_line_key k) { return k >= K_INTEL && k <= K_NV_ATTR; }

/* Top-level members of a line. */
enum aipm_line_top { TOP_OTHER, TOP_TIMESTAMP, TOP_DATE, TOP_METRICS, TOP_EDGE };
enum aipm_line_top aipm_line_key_top(const char *s, size_t n);

/* The key of a member of "cpu", or of a GPU section (nvidia: "gpu", whose
 * AIPowerMeter scalars exist there only). s need not be NUL-terminated. */
enum aipm_line_key aipm_line_key_cpu(const char *s, size_t n);
enum aipm_line_key aipm_line_key_gpu(const char *s, size_t n, bool nvidia);
/* A member of metrics.cpu_estimate: K_EST_*, K_IGNORED ("method") or
 * K_UNKNOWN. */
enum aipm_line_key aipm_line_key_estimate(const char *s, size_t n);
/* Sections of "metrics" that no total reads and that are not unknown. */
bool aipm_line_section_quiet(const char *s, size_t n);

/* GPU index of a per-GPU object's member name ("0".."999999"); -1 otherwise. */
long aipm_line_gpu_index(const char *s, size_t n);
/* Whether a member that is no GPU index is still expected, so not counted
 * as unknown: per_gpu_attributable_power's "all" (AIPowerMeter's loader
 * reads the total there; writer_gpu.c writes it). */
bool aipm_line_gpu_extra(enum aipm_line_key k, const char *s, size_t n);

void aipm_line_reset(struct aipm_line *l, const struct aipm_line_table *t);
/* A scalar key's value: v is NAN when the value is no finite number, and
 * overwrites what an earlier duplicate key set, as a DOM's last-wins would. */
void aipm_line_set_scalar(struct aipm_line *l, enum aipm_line_key k, double v);
/* A finite value of a per-GPU key (k not K_G_INTEGRATED) for the GPU
 * (vendor, index); registers the GPU. */
void aipm_line_set_gpu(struct aipm_line *l, struct aipm_line_table *t, const char *vendor, size_t vlen,
		       long index, enum aipm_line_key k, double v);
void aipm_line_set_gpu_integrated(struct aipm_line *l, struct aipm_line_table *t, const char *vendor,
				  size_t vlen, long index, bool integrated);
/* A zone's finite value. Registers the zone. */
void aipm_line_set_zone(struct aipm_line *l, struct aipm_line_table *t, const char *name, size_t len, double v,
			bool energy);
/* A cpu_estimate member's value (k one of K_EST_*). */
void aipm_line_set_estimate(struct aipm_line *l, enum aipm_line_key k, double v);
/* attributed_energy's "cpu" (dram false) or "dram" member. */
void aipm_line_set_attrib(struct aipm_line *l, bool dram, double v);
/* What the whole line does once its members are read (PSS from pids). */
void aipm_line_finish(struct aipm_line *l, double pss_pid, double uss_pid);
/* A per-process value counted in a sum (PSS from pids): finite, >= 0. */
static inline bool aipm_line_summable(double v) { return v >= 0 && v < __builtin_inf(); }

#endif
