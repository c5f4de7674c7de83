/* sampler.h: the clock of aipm. One thread, absolute deadlines on
 * CLOCK_MONOTONIC (no drift over hours), every source sampled back to back,
 * interval values derived from the previous snapshot, then the snapshot is
 * handed to the sink (the recording writer) and published for readers (the
 * exporter) who never touch hardware themselves.
 */
#ifndef AIPM_SAMPLER_H
#define AIPM_SAMPLER_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "snapshot.h"
#include "source.h"

struct aipm_sampler;

struct aipm_sampler_config {
	double interval_s;       /* > 0 */
	double mem_interval_s;   /* PSS/USS and temperatures cadence */
	const pid_t *roots;      /* the tree; none = whole machine */
	size_t nroots;
	/* With no roots: list every process of the machine in each snapshot
	 * (snap->procs, cpu_share derived), e.g. for a top-N by power. */
	bool all_processes;
	bool gpu_all_processes;
	/* Measuring the calling process (library mode): the sampler thread's
	 * own CPU time is subtracted from the tree. */
	bool exclude_own_thread;
	/* Keep a copy of the latest snapshot for aipm_sampler_latest(). */
	bool publish;
	/* Called in the sampler thread after each snapshot is derived. */
	void (*sink)(void *ctx, const struct aipm_snapshot *snap);
	void *sink_ctx;
};

/* Start the thread; returns once the sources are open and the first
 * snapshot is taken. -errno with aipm_error_last() on failure. */
int aipm_sampler_start(struct aipm_sampler **out, const struct aipm_sampler_config *cfg);
/* Take one last sample (the edge at the end is not lost), stop the thread.
 * Idempotent. */
void aipm_sampler_stop(struct aipm_sampler *s);
void aipm_sampler_free(struct aipm_sampler *s);

/* Sources, for metadata and probe (valid between start and free). */
size_t aipm_sampler_nsources(const struct aipm_sampler *s);
const struct aipm_source *aipm_sampler_source(const struct aipm_sampler *s, size_t i);

/* Copy of the latest published snapshot (needs cfg.publish). */
int aipm_sampler_latest(struct aipm_sampler *s, struct aipm_snapshot *dst);
/* CPU time of descendants reaped with wait4 (run mode, subreaper). */
void aipm_sampler_add_reaped(struct aipm_sampler *s, const struct rusage *ru);
/* False once every member of the tree has ended. */
bool aipm_sampler_tree_alive(const struct aipm_sampler *s);
/* Samples taken, and the sampler thread's own CPU time (its overhead). */
uint64_t aipm_sampler_count(const struct aipm_sampler *s);
double aipm_sampler_cpu_s(const struct aipm_sampler *s);

/* Open every registered source with cfg (used by the sampler and probe). */
int aipm_sources_open(const struct aipm_source_config *cfg, struct aipm_source **out, size_t *n);
void aipm_sources_close(struct aipm_source **src, size_t n);
/* One synchronous sample of all sources into snap (no derivation). */
void aipm_sources_sample(struct aipm_source **src, size_t n, struct aipm_snapshot *snap);

#endif
