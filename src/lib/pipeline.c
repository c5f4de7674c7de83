/* pipeline.c: see pipeline.h.
 *
 * Three snapshot buffers: the one being filled, the previous one (for
 * deltas) and a copy of the first one of the recording (cumulative values
 * are "since the first"), as turbostat alternates two.
 */
#include "pipeline.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib.h"
#include "error.h"
#include "membership.h"

struct aipm_pipeline {
	struct aipm_catalog cat;
	struct aipm_membership mb;
	pid_t *roots;
	char *paths_buf[5]; /* owned copies of the paths */
	struct aipm_source_config scfg;
	struct aipm_source **src;
	size_t nsrc;
	bool exclude_own_thread, gpu_all_processes;
	double mem_interval_s, last_slow_s;
	_Atomic uint64_t reaped_ns;
	_Atomic uint64_t count;
	struct aipm_snapshot a, b, first;
	struct aipm_snapshot *cur, *prev;
};

static const char *keep(struct aipm_pipeline *p, int i, const char *s)
{
	if (!s || !*s)
		return NULL;
	p->paths_buf[i] = strdup(s);
	return p->paths_buf[i];
}

static int copy_config(struct aipm_pipeline *p, const struct aipm_pipeline_config *cfg)
{
	const struct aipm_paths *in = &cfg->paths;
	struct aipm_paths *out = &p->scfg.paths;
	out->sysfs = keep(p, 0, in->sysfs);
	out->proc = keep(p, 1, in->proc);
	out->cgroup = keep(p, 2, in->cgroup);
	out->nvml_lib = keep(p, 3, in->nvml_lib);
	out->amdsmi_lib = keep(p, 4, in->amdsmi_lib);
	if ((in->sysfs && *in->sysfs && !out->sysfs) || (in->proc && *in->proc && !out->proc) ||
	    (in->cgroup && *in->cgroup && !out->cgroup) || (in->nvml_lib && *in->nvml_lib && !out->nvml_lib) ||
	    (in->amdsmi_lib && *in->amdsmi_lib && !out->amdsmi_lib))
		return -ENOMEM;
	if (cfg->nroots) {
		p->roots = calloc(cfg->nroots, sizeof *p->roots);
		if (!p->roots)
			return -ENOMEM;
		memcpy(p->roots, cfg->roots, cfg->nroots * sizeof *p->roots);
	}
	p->mb = (struct aipm_membership){
		.roots = p->roots,
		.nroots = cfg->nroots,
		.self = getpid(),
		.all_processes = cfg->all_processes && !cfg->nroots,
		.gpu_all_processes = cfg->gpu_all_processes,
	};
	p->scfg.membership = &p->mb;
	p->scfg.reaped_ns = &p->reaped_ns;
	p->scfg.no_cpu_estimate = cfg->no_cpu_estimate;
	p->exclude_own_thread = cfg->exclude_own_thread;
	p->gpu_all_processes = cfg->gpu_all_processes;
	p->mem_interval_s = cfg->mem_interval_s > 0 ? cfg->mem_interval_s : 1.0;
	return 0;
}

static int open_sources(struct aipm_pipeline *p)
{
	p->src = calloc(aipm_source_count, sizeof *p->src);
	if (!p->src)
		return aipm_err(-ENOMEM, "out of memory opening the sources");
	for (size_t i = 0; i < aipm_source_count; i++) {
		struct aipm_source *s = NULL;
		int r = aipm_source_open(aipm_source_registry[i], &p->scfg, &p->cat, &s);
		if (r < 0)
			return r;
		p->src[p->nsrc++] = s;
		if (aipm_catalog_add_source(&p->cat, s->ops->name) < 0)
			return aipm_err(-ENOMEM, "out of memory opening the sources");
	}
	return 0;
}

int aipm_pipeline_open(struct aipm_pipeline **out, const struct aipm_pipeline_config *cfg)
{
	struct aipm_pipeline *p = calloc(1, sizeof *p);
	if (!p)
		return aipm_err(-ENOMEM, "out of memory starting the sampler");
	int r = copy_config(p, cfg);
	if (r < 0)
		r = aipm_err(r, "out of memory starting the sampler");
	if (r == 0)
		r = open_sources(p);
	/* The catalog is complete: size the snapshots from it. */
	if (r == 0 && (aipm_snapshot_init(&p->a, &p->cat) < 0 || aipm_snapshot_init(&p->b, &p->cat) < 0 ||
		       aipm_snapshot_init(&p->first, &p->cat) < 0))
		r = aipm_err(-ENOMEM, "out of memory for the snapshots");
	if (r < 0) {
		aipm_pipeline_close(p);
		return r;
	}
	p->cur = &p->a;
	p->prev = &p->b;
	*out = p;
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

const struct aipm_snapshot *aipm_pipeline_step(struct aipm_pipeline *p, const struct timespec *mono,
					       const struct timespec *real, const char *edge)
{
	struct aipm_snapshot *cur = p->cur;
	aipm_snapshot_clear(cur);
	cur->seq = atomic_load(&p->count);
	cur->mono = *mono;
	cur->real = *real;
	if (edge)
		snprintf(cur->edge, sizeof cur->edge, "%s", edge);
	cur->gpu_all_processes = p->gpu_all_processes;
	/* The slow tier, decided here and nowhere else; a small tolerance so
	 * a 0.1 s grid hits a 1 s tier every tenth sample, not eleventh. */
	double t = aipm_ts_to_s(mono);
	cur->slow = cur->seq == 0 || t - p->last_slow_s >= p->mem_interval_s - 1e-6;
	if (cur->slow)
		p->last_slow_s = t;
	struct aipm_sample_ctx ctx = {
		.seq = cur->seq,
		.mono = *mono,
		.real = *real,
		.slow = cur->slow,
		.exclude_self_thread = p->exclude_own_thread,
		.self_thread_ns = p->exclude_own_thread ? thread_cpu_ns() : 0,
	};
	for (size_t i = 0; i < p->nsrc; i++) {
		int r = aipm_source_sample(p->src[i], &ctx, cur);
		cur->source_ok[i] = p->src[i]->available && r == 0;
	}
	if (cur->seq == 0) {
		aipm_snapshot_derive(cur, NULL, cur);
		aipm_snapshot_copy(&p->first, cur);
	} else {
		aipm_snapshot_derive(cur, p->prev, &p->first);
	}
	atomic_fetch_add(&p->count, 1);
	p->cur = p->prev;
	p->prev = cur;
	return cur;
}

uint64_t aipm_pipeline_count(const struct aipm_pipeline *p) { return atomic_load(&p->count); }
size_t aipm_pipeline_nsources(const struct aipm_pipeline *p) { return p->nsrc; }
struct aipm_source *aipm_pipeline_source(const struct aipm_pipeline *p, size_t i)
{
	return i < p->nsrc ? p->src[i] : NULL;
}
const struct aipm_catalog *aipm_pipeline_catalog(const struct aipm_pipeline *p) { return &p->cat; }
void aipm_pipeline_add_reaped(struct aipm_pipeline *p, uint64_t ns) { atomic_fetch_add(&p->reaped_ns, ns); }

void aipm_pipeline_close(struct aipm_pipeline *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsrc; i++)
		p->src[i]->ops->close(p->src[i]);
	free(p->src);
	aipm_snapshot_free(&p->a);
	aipm_snapshot_free(&p->b);
	aipm_snapshot_free(&p->first);
	aipm_catalog_free(&p->cat);
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(p->paths_buf); i++)
		free(p->paths_buf[i]);
	free(p->roots);
	free(p);
}
