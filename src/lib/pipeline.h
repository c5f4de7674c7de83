/* pipeline.h: one sampling step, the heart of the recorder.
 *
 * A pipeline owns the opened sources, their catalog, the membership rules
 * and the snapshot ring (current, previous, first). One step:
 *   1. clears the current snapshot (nothing valid),
 *   2. decides the tier (the slow tier, PSS/USS and temperatures, at most
 *      every mem_interval_s: the sampler alone sets cadence),
 *   3. samples every source and records its health (samples, failed,
 *      last_rc, last_error) and whether it answered (snap->source_ok),
 *   4. derives powers, shares and attributed energy (attrib.h),
 *   5. rotates the ring.
 * The sampler thread calls it on its clock; `aipm probe` calls it once;
 * the benchmarks call it with a simulated clock, so what they time is the
 * product's own step, not a copy of it.
 */
#ifndef AIPM_PIPELINE_H
#define AIPM_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "snapshot.h"
#include "source.h"

struct aipm_pipeline;

struct aipm_pipeline_config {
	/* Paths as resolved by the caller (aipm_paths_from_env in its own
	 * thread); copied at open. */
	struct aipm_paths paths;
	const pid_t *roots;        /* the tree; none = whole machine; copied */
	size_t nroots;
	/* With no roots: every process of the machine is listed (top-N). */
	bool all_processes;
	bool gpu_all_processes;
	/* Measuring the calling process (library mode): the CPU time of the
	 * thread that runs the steps is taken out of the tree. */
	bool exclude_own_thread;
	double mem_interval_s;     /* slow tier; <= 0 means 1 s */
	/* --no-estimate: no CPU power estimate (sources/cpu_estimate.c). */
	bool no_cpu_estimate;
};

/* Open every registered source. -errno with aipm_error_last(). */
int aipm_pipeline_open(struct aipm_pipeline **out, const struct aipm_pipeline_config *cfg);
/* One step at the given instants. edge: why an off-grid sample was taken
 * (written into the line), NULL on the grid. Returns the derived snapshot,
 * owned by the pipeline and valid until the next step. */
const struct aipm_snapshot *aipm_pipeline_step(struct aipm_pipeline *p, const struct timespec *mono,
					       const struct timespec *real, const char *edge);
/* Steps taken. */
uint64_t aipm_pipeline_count(const struct aipm_pipeline *p);
size_t aipm_pipeline_nsources(const struct aipm_pipeline *p);
struct aipm_source *aipm_pipeline_source(const struct aipm_pipeline *p, size_t i);
const struct aipm_catalog *aipm_pipeline_catalog(const struct aipm_pipeline *p);
/* CPU time (ns) of descendants reaped with wait4; any thread may call. */
void aipm_pipeline_add_reaped(struct aipm_pipeline *p, uint64_t ns);
void aipm_pipeline_close(struct aipm_pipeline *p);

#endif
