/* prometheus.h: the Prometheus text exposition (format 0.0.4) of one
 * snapshot.
 *
 * A pure function from a published snapshot (plus the exporter's optional
 * per-process table) to text: no I/O, no clocks, no hardware, so it is unit
 * tested on hand-made snapshots and called from the sampler's sink, once per
 * sample, never per scrape. Missing is not zero: a zone, GPU field or
 * sensor that was not read has no series at all, and NaN is never written
 * for "unknown".
 */
#ifndef AIPM_EXPORT_PROMETHEUS_H
#define AIPM_EXPORT_PROMETHEUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "snapshot.h"
#include "util.h"

/* The Content-Type of what aipm_prom_render() writes. */
#define AIPM_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One process of the exporter's top-N table (whole-machine mode). */
struct aipm_prom_proc {
	pid_t pid;
	char comm[32];
	double cpu_share; /* of the machine's busy CPU time in the interval, [0,1] */
	double power_w;   /* cpu_share x package power; NAN when RAPL is absent */
};

struct aipm_prom_input {
	const struct aipm_snapshot *snap; /* required */
	/* Optional top-N processes (--processes); the family is written only
	 * when procs_enabled, even with nprocs == 0 (no series then). */
	bool procs_enabled;
	const struct aipm_prom_proc *procs;
	size_t nprocs;
};

/* The exporter's top-N table: fill out[0..n) with the processes of s that
 * used CPU in the latest interval, busiest first (ties: lower pid first),
 * and return how many. power_w is cpu_share x the package power of the
 * interval, NAN when RAPL gave none (never a made-up watt). Needs a
 * snapshot taken in machine-wide mode (all_processes); no allocation. */
size_t aipm_prom_top_procs(const struct aipm_snapshot *s, struct aipm_prom_proc *out, size_t n);

/* Append the exposition of in to out (not reset first). Returns 0, or
 * -ENOMEM with aipm_error_last() when the buffer could not grow. */
int aipm_prom_render(struct aipm_buf *out, const struct aipm_prom_input *in);

/* Append v as Prometheus reads it: C locale, "NaN", "+Inf", "-Inf". */
void aipm_prom_value(struct aipm_buf *b, double v);
/* Append s as a label value, quotes included: \ " and newline escaped,
 * bytes that are not valid UTF-8 replaced by U+FFFD (Prometheus rejects
 * the whole scrape otherwise; a process name may hold any byte). */
void aipm_prom_label_value(struct aipm_buf *b, const char *s);

#endif
