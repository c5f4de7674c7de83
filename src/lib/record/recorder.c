/* recorder.c: see recorder.h. */
#include "recorder.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "error.h"
#include "writer.h"

struct aipm_recorder {
	struct aipm_recorder_config cfg;
	char dir[4096];
	struct aipm_writer *writer;
	struct aipm_sampler *sampler;
	_Atomic int write_err;
	char write_msg[512];
	bool stopped;
};

/* The sink runs in the sampler thread: a failed write is remembered (and
 * reported at stop), sampling goes on so nothing else is lost. */
static void sink(void *ctx, const struct aipm_snapshot *snap)
{
	struct aipm_recorder *r = ctx;
	int e = aipm_writer_write(r->writer, snap);
	if (e < 0 && !atomic_load(&r->write_err)) {
		snprintf(r->write_msg, sizeof r->write_msg, "%s", aipm_error_last());
		atomic_store(&r->write_err, e);
	}
	if (r->cfg.on_sample)
		r->cfg.on_sample(r->cfg.on_sample_ctx, snap);
}

int aipm_recorder_open(struct aipm_recorder **out, const struct aipm_recorder_config *cfg, bool *replaced)
{
	struct aipm_recorder *r = calloc(1, sizeof *r);
	if (!r)
		return aipm_err(-ENOMEM, "out of memory");
	r->cfg = *cfg;
	snprintf(r->dir, sizeof r->dir, "%s", cfg->dir);
	r->cfg.dir = r->dir;
	int e = aipm_writer_open(&r->writer, r->dir, cfg->append, replaced);
	if (e < 0) {
		free(r);
		return e;
	}
	*out = r;
	return 0;
}

/* The sampler's sources, for metadata.json. */
static size_t sources(struct aipm_recorder *r, struct aipm_source **src)
{
	size_t n = aipm_sampler_nsources(r->sampler);
	n = n < AIPM_MAX_SOURCES ? n : AIPM_MAX_SOURCES;
	for (size_t i = 0; i < n; i++)
		src[i] = (struct aipm_source *)aipm_sampler_source(r->sampler, i);
	return n;
}

int aipm_recorder_start(struct aipm_recorder *r, const pid_t *roots, size_t nroots)
{
	struct aipm_sampler_config sc = {
		.interval_s = r->cfg.info.interval_s,
		.mem_interval_s = r->cfg.info.mem_interval_s,
		.roots = roots,
		.nroots = nroots,
		.gpu_all_processes = r->cfg.info.gpu_all_processes,
		.exclude_own_thread = r->cfg.exclude_own_thread,
		.publish = false,
		.sink = sink,
		.sink_ctx = r,
	};
	struct timespec start;
	clock_gettime(CLOCK_REALTIME, &start);
	int e = aipm_sampler_start(&r->sampler, &sc);
	if (e < 0)
		return e;
	struct aipm_source *src[AIPM_MAX_SOURCES];
	size_t n = sources(r, src);
	return aipm_metadata_begin(r->dir, r->cfg.append, &r->cfg.info, src, n, &start);
}

void aipm_recorder_add_reaped(struct aipm_recorder *r, const struct rusage *ru)
{
	if (r->sampler)
		aipm_sampler_add_reaped(r->sampler, ru);
}

bool aipm_recorder_tree_alive(struct aipm_recorder *r) { return !r->sampler || aipm_sampler_tree_alive(r->sampler); }

int aipm_recorder_stop(struct aipm_recorder *r, int exit_status)
{
	if (r->stopped)
		return 0;
	r->stopped = true;
	int e = 0;
	if (r->sampler) {
		aipm_sampler_stop(r->sampler);
		e = aipm_writer_end_segment(r->writer);
		struct timespec end;
		clock_gettime(CLOCK_REALTIME, &end);
		struct aipm_source *src[AIPM_MAX_SOURCES];
		size_t n = sources(r, src);
		int m = aipm_metadata_end(r->dir, &end, exit_status, aipm_sampler_count(r->sampler),
					  aipm_sampler_cpu_s(r->sampler), src, n);
		if (!e)
			e = m;
	}
	if (atomic_load(&r->write_err))
		return aipm_err(atomic_load(&r->write_err), "%s", r->write_msg);
	return e;
}

void aipm_recorder_close(struct aipm_recorder *r)
{
	if (!r)
		return;
	if (!r->stopped)
		aipm_recorder_stop(r, -1);
	aipm_sampler_free(r->sampler);
	aipm_writer_close(r->writer);
	free(r);
}

struct aipm_sampler *aipm_recorder_sampler(struct aipm_recorder *r) { return r->sampler; }
const char *aipm_recorder_dir(const struct aipm_recorder *r) { return r->dir; }
