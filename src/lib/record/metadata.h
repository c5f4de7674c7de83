/* metadata.h: metadata.json, the description of a recording: who made it,
 * how, with which sources (available or not, and why) and its segments.
 * Written once the run has started (so a killed run still says what it
 * was) and completed at the end; replaced atomically by rename each time. */
#ifndef AIPM_METADATA_H
#define AIPM_METADATA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "scope/names.h"
#include "source.h"

/* The scope measured (metadata.json "scope", docs/recording.md): the
 * experiment's cgroup or its process tree, and why that one. */
struct aipm_scope_info {
	const char *kind;      /* "cgroup" or "proc-tree" */
	const char *cgroup;    /* kind "cgroup": its hierarchy path (the sampler measures it) */
	const char *why;       /* why this scope; for a process tree, why no cgroup */
	const char *note;      /* what it lacks (no memory.* here); NULL if nothing */
	const char *hierarchy; /* where cgroup v2 is, one sentence; NULL if none */
	bool created;          /* made for this run by aipm, removed at its end */
	const struct aipm_scope *labels; /* attach --slurm-job, --container; NULL otherwise */
};

/* What became of the scope at the end (aipm run's own cgroup; attach). */
struct aipm_scope_end {
	const char *policy;    /* run: "move-out", "keep" or "kill": processes that outlived the command */
	size_t left;           /* processes still in the cgroup when the command ended */
	const pid_t *pids;     /* the first of them */
	size_t npids;
	size_t moved;          /* moved back to the parent (move-out) */
	bool removed;          /* the cgroup is gone */
	const char *error;     /* why it could not be removed; NULL */
	bool have_usage;       /* the cgroup's cpu.stat at the end */
	uint64_t usage_usec;
	bool have_memory_peak; /* memory.peak, where the memory controller is enabled */
	uint64_t memory_peak_bytes;
};

struct aipm_run_info {
	const char *mode;           /* "run", "attach", "library" */
	const char *description;    /* may be NULL */
	char *const *command;       /* NULL-terminated, may be NULL */
	const pid_t *pids;          /* attach: the pids */
	size_t npids;
	double interval_s, mem_interval_s;
	bool gpu_all_processes;
	const struct aipm_scope_info *scope; /* NULL: the process tree of the roots */
};

struct aipm_metadata;
struct aipm_outdir;

/* The document of a new segment, in memory: with append, the existing
 * metadata.json and its segments (one that cannot be read is an error), a
 * last segment without an end marked "interrupted". Nothing is written:
 * the recorder saves when the run has started and again at the end, and
 * retries a save the disk refused. */
int aipm_metadata_begin(struct aipm_metadata **out, struct aipm_outdir *dir, bool append,
			const struct aipm_run_info *info, struct aipm_source *const *src, size_t nsrc,
			const struct timespec *start);
/* Complete the segment. exit_status < 0 when there is none (attach,
 * library). The segment gets the health of each source (src, once
 * sampling has stopped). */
void aipm_metadata_end(struct aipm_metadata *m, const struct timespec *end, int exit_status, uint64_t samples,
		       double aipm_cpu_s, struct aipm_source *const *src, size_t nsrc);
/* Add what became of the scope to the segment's "scope" (and the top
 * level's), after the end. */
void aipm_metadata_scope_end(struct aipm_metadata *m, const struct aipm_scope_end *e);
/* Replace metadata.json with the document (atomically, by rename). */
int aipm_metadata_save(struct aipm_metadata *m);
void aipm_metadata_free(struct aipm_metadata *m);

#endif
