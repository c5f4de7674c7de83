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

#include "source.h"

struct aipm_run_info {
	const char *mode;           /* "run", "attach", "library" */
	const char *description;    /* may be NULL */
	char *const *command;       /* NULL-terminated, may be NULL */
	const pid_t *pids;          /* attach: the pids */
	size_t npids;
	double interval_s, mem_interval_s;
	bool gpu_all_processes;
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
/* Replace metadata.json with the document (atomically, by rename). */
int aipm_metadata_save(struct aipm_metadata *m);
void aipm_metadata_free(struct aipm_metadata *m);

#endif
