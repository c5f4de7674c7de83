/* rig.h: hand-built catalogs and snapshots for the unit tests, and the
 * calls that drive one source the way the sampler's step does (open into a
 * catalog, sample with a context, health recorded). Header-only: each test
 * is one executable. */
#ifndef AIPM_TEST_RIG_H
#define AIPM_TEST_RIG_H

#include <stdio.h>
#include <string.h>

#include "attrib.h"
#include "source.h"

static inline int rig_domain(struct aipm_catalog *c, const char *name, enum aipm_domain_kind k, int socket)
{
	struct aipm_domain d = {.source = "test", .kind = k, .socket = socket, .parent = -1};
	snprintf(d.name, sizeof d.name, "%s", name);
	return aipm_catalog_add_domain(c, &d);
}

static inline int rig_device(struct aipm_catalog *c, const char *vendor, unsigned index, const char *name)
{
	char uuid[64];
	snprintf(uuid, sizeof uuid, "%s-%u", vendor, index);
	return aipm_catalog_add_gpu(c, "test", vendor, index, name, uuid, false);
}

static inline int rig_sensor(struct aipm_catalog *c, const char *name)
{
	struct aipm_sensor d = {.source = "test", .unit = "celsius"};
	snprintf(d.name, sizeof d.name, "%s", name);
	return aipm_catalog_add_sensor(c, &d);
}

static inline void rig_at(struct aipm_snapshot *s, double t)
{
	s->mono.tv_sec = (time_t)t;
	s->mono.tv_nsec = (long)((t - (double)(time_t)t) * 1e9 + 0.5);
	if (s->mono.tv_nsec >= 1000000000L) {
		s->mono.tv_sec++;
		s->mono.tv_nsec -= 1000000000L;
	}
}

/* Append a process to the table (keep pids ascending). */
static inline struct aipm_proc *rig_proc(struct aipm_snapshot *s, pid_t pid, uint64_t cpu_ns, uint64_t pss)
{
	struct aipm_proc *p = aipm_snapshot_add_proc(s);
	p->pid = pid;
	p->start_ticks = 100;
	p->alive = true;
	p->cpu_ns = cpu_ns;
	p->mem_valid = pss > 0;
	p->pss_bytes = pss;
	s->tree_valid = true;
	return p;
}

/* The sampler's context for sample k (0-based) at time t. */
static inline struct aipm_sample_ctx rig_ctx(uint64_t k, double t, bool slow)
{
	struct aipm_sample_ctx c = {.seq = k, .slow = slow};
	c.mono.tv_sec = (time_t)t;
	c.mono.tv_nsec = (long)((t - (double)(time_t)t) * 1e9 + 0.5);
	if (c.mono.tv_nsec >= 1000000000L) {
		c.mono.tv_sec++;
		c.mono.tv_nsec -= 1000000000L;
	}
	c.real = c.mono;
	return c;
}

/* Clear snap, sample src into it as the step does, set times and seq. */
static inline int rig_sample(struct aipm_source *src, struct aipm_snapshot *snap, uint64_t k, double t, bool slow)
{
	struct aipm_sample_ctx c = rig_ctx(k, t, slow);
	aipm_snapshot_clear(snap);
	snap->seq = k;
	snap->mono = c.mono;
	snap->real = c.real;
	snap->slow = slow;
	return aipm_source_sample(src, &c, snap);
}

#endif
