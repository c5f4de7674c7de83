/* source.h: the interface every measurement source implements.
 *
 * A source is one kind of hardware or kernel counter (RAPL, the process tree
 * in /proc, NVML, hwmon). It opens its files once, and at each sample fills
 * its part of a snapshot with raw cumulative counters; it never computes
 * rates across samples (the sampler does), never writes JSON (the writer
 * does) and never prints. Hardware that is absent is not an error: open()
 * still returns a source, marked unavailable, with the reason and the fix
 * a person needs.
 *
 * Adding a source means adding one file with one `const struct
 * aipm_source_ops` and one line in registry.c.
 */
#ifndef AIPM_SOURCE_H
#define AIPM_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"
#include "util.h"

/* What the sampler tells every source at open time. */
struct aipm_source_config {
	/* Roots of the measured process tree; every descendant joins. Empty
	 * means no tree (whole-machine mode, `aipm serve`). */
	const pid_t *roots;
	size_t nroots;
	/* Every process of the machine is a member (aipm serve --processes):
	 * per-process CPU time machine-wide, at the sampling cadence. PSS/USS
	 * are not read then: smaps_rollup of every process is too dear. */
	bool all_processes;
	/* Thread ids whose CPU time is aipm's own and must be subtracted from
	 * the tree (the sampler thread when measuring the calling process). */
	const pid_t *exclude_tids;
	size_t nexclude_tids;
	/* PSS/USS are read at most this often (smaps_rollup walks the page
	 * tables, which is the dearest read of a sample). */
	double mem_interval_s;
	/* Attribute every GPU process to the experiment (containers). */
	bool gpu_all_processes;
	/* CPU ticks of descendants that aipm reaped with wait4 (owned by the
	 * sampler, updated by the reaping thread). */
	_Atomic uint64_t *reaped_ticks;
};

struct aipm_source_ops;

/* The base every source's private state embeds first. */
struct aipm_source {
	const struct aipm_source_ops *ops;
	bool available;
	char reason[384]; /* available: what it found; else why not */
	char fix[384];    /* unavailable: what to do about it ("" if nothing) */
};

struct aipm_source_ops {
	const char *name; /* "rapl", "procfs", "nvml", "hwmon" */
	const char *what; /* one line for `aipm probe` */
	/* Returns 0 and *out (possibly unavailable), or -errno (-ENOMEM) with
	 * a message in aipm_error_last(). */
	int (*open)(const struct aipm_source_config *cfg, struct aipm_source **out);
	/* Fill this source's part of snap. snap->mono/real are already set.
	 * Returns 0, or -errno when nothing could be read this time (the part
	 * is then marked invalid; sampling goes on). */
	int (*sample)(struct aipm_source *src, struct aipm_snapshot *snap);
	void (*close)(struct aipm_source *src);
	/* Optional: append a JSON object with what was found (zones, GPUs) to
	 * buf, for metadata.json and `aipm probe --json`. */
	void (*describe)(struct aipm_source *src, struct aipm_buf *buf);
};

/* registry.c: every source, in sampling order. */
extern const struct aipm_source_ops *const aipm_source_registry[];
extern const size_t aipm_source_count;

extern const struct aipm_source_ops aipm_source_rapl;
extern const struct aipm_source_ops aipm_source_procfs;
extern const struct aipm_source_ops aipm_source_nvml;
extern const struct aipm_source_ops aipm_source_hwmon;


/* Helper for sources: fill reason/fix with printf formats. */
void aipm_source_set(struct aipm_source *s, bool available, const char *fix,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
