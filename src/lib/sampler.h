/* sampler.h: the clock of aipm. One thread, absolute deadlines on
 * CLOCK_MONOTONIC (no drift over hours), each tick one pipeline step
 * (pipeline.h: every source, health, derivation), then the snapshot is
 * handed to the sink, in the sampler thread: the recording writer, or the
 * exporter, which renders it once for the scrapers so that they never
 * touch hardware themselves.
 *
 * Off-grid samples: aipm_sampler_sample_now() wakes the thread for one
 * extra step at once (a phase edge), marked with why; the grid of regular
 * samples goes on unchanged.
 */
#ifndef AIPM_SAMPLER_H
#define AIPM_SAMPLER_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "pipeline.h"
#include "snapshot.h"
#include "source.h"

struct aipm_sampler;

/* The interval's bounds: shorter would spin, longer is never reached
 * (about 31 years) and would overflow the nanosecond step. */
#define AIPM_MIN_INTERVAL_NS 1000ull
#define AIPM_MAX_INTERVAL_NS 1000000000000000000ull
#define AIPM_BASELINE_MAX_NS 1000000000ull

struct aipm_sampler_config {
	double interval_s;       /* > 0; saturated to the bounds above */
	double mem_interval_s;   /* the slow tier: PSS/USS and temperatures */
	const pid_t *roots;      /* the tree; none = whole machine */
	size_t nroots;
	/* With no roots: list every process of the machine in each snapshot
	 * (snap->procs, cpu_share derived), e.g. for a top-N by power. */
	bool all_processes;
	bool gpu_all_processes;
	/* Measuring the calling process (library mode): the sampler thread's
	 * own CPU time is subtracted from the tree. */
	bool exclude_own_thread;
	/* --no-estimate: no CPU power estimate where CPU energy is unmeasured. */
	bool no_cpu_estimate;
	/* Paths for the sources; NULL: read from the environment by
	 * aipm_sampler_start, in the caller's thread (never the sampler's). */
	const struct aipm_paths *paths;
	/* Cgroup scopes (membership.h): the experiment's cgroup (a tree for
	 * aipm_sampler_tree_alive, like roots), or scopes beside the machine. */
	struct aipm_scope_config scope;
	/* Sample once, one interval before the first snapshot, without
	 * handing that sample to the sink (aipm_pipeline_baseline): the first
	 * snapshot then has powers and per-interval values like every other,
	 * and start returns once it is taken. For recordings. The lead is
	 * the interval, at most AIPM_BASELINE_MAX_NS: a command run at -i 60
	 * should not wait a minute to start, and a first power over a shorter
	 * lead is still a measured average, closer to the power at the start. */
	bool baseline;
	/* Called in the sampler thread after each snapshot is derived. */
	void (*sink)(void *ctx, const struct aipm_snapshot *snap);
	void *sink_ctx;
};

/* interval_s in ns, saturated to [AIPM_MIN_INTERVAL_NS, AIPM_MAX_INTERVAL_NS]. */
uint64_t aipm_interval_ns(double interval_s);

/* Start the thread; returns once the sources are open and the first
 * snapshot is taken. -errno with aipm_error_last() on failure. */
int aipm_sampler_start(struct aipm_sampler **out, const struct aipm_sampler_config *cfg);
/* Take one last sample (the edge at the end is not lost), stop the thread.
 * Idempotent. */
void aipm_sampler_stop(struct aipm_sampler *s);
void aipm_sampler_free(struct aipm_sampler *s);

/* One extra sample now, off the grid, marked with why (the line gets a
 * top-level "edge"); *real_out is its CLOCK_REALTIME. Waits for it. Not to
 * be called from the sink. -EINVAL once the sampler is stopped. */
int aipm_sampler_sample_now(struct aipm_sampler *s, const char *why, struct timespec *real_out);
/* The same, waiting at most wait_ns (0: no bound): -ETIMEDOUT (no message)
 * when the sample is not taken by then; it is still taken, soon after. */
int aipm_sampler_sample_within(struct aipm_sampler *s, const char *why, uint64_t wait_ns,
			       struct timespec *real_out);

/* Sources and their catalog, for metadata and probe (valid between start
 * and free; their health is final once stopped). */
size_t aipm_sampler_nsources(const struct aipm_sampler *s);
const struct aipm_source *aipm_sampler_source(const struct aipm_sampler *s, size_t i);
const struct aipm_catalog *aipm_sampler_catalog(const struct aipm_sampler *s);

/* CPU time of descendants reaped with wait4 (run mode, subreaper). */
void aipm_sampler_add_reaped(struct aipm_sampler *s, const struct rusage *ru);
/* False once every member of the tree has ended (zombies count as ended). */
bool aipm_sampler_tree_alive(const struct aipm_sampler *s);
/* Samples taken, and the sampler thread's own CPU time (its overhead). */
uint64_t aipm_sampler_count(const struct aipm_sampler *s);
double aipm_sampler_cpu_s(const struct aipm_sampler *s);

#endif
