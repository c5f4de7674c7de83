/* snapshot.c: the catalog's and the snapshot's lifetime, the helpers
 * sources fill snapshots with, and small queries. Allocation happens at
 * init and when a list grows past its high-water mark, never otherwise. */
#include "snapshot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int aipm_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

#define ADD(arr, n, cap, item)                                                                                       \
	do {                                                                                                         \
		if (aipm_grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr)) < 0)                                       \
			return -ENOMEM;                                                                              \
		(arr)[(n)] = (item);                                                                                 \
		return (int)(n)++;                                                                                   \
	} while (0)

int aipm_catalog_add_domain(struct aipm_catalog *c, const struct aipm_domain *d)
{
	ADD(c->domains, c->ndomains, c->domains_cap, *d);
}

int aipm_catalog_add_device(struct aipm_catalog *c, const struct aipm_device *d)
{
	ADD(c->devices, c->ndevices, c->devices_cap, *d);
}

int aipm_catalog_add_gpu(struct aipm_catalog *c, const char *source, const char *vendor, unsigned index,
			 const char *name, const char *uuid, bool energy_integrated)
{
	struct aipm_device d = {.source = source, .index = index, .energy_integrated = energy_integrated};
	snprintf(d.vendor, sizeof d.vendor, "%s", vendor);
	snprintf(d.name, sizeof d.name, "%s", name);
	snprintf(d.uuid, sizeof d.uuid, "%s", uuid);
	return aipm_catalog_add_device(c, &d);
}

int aipm_catalog_add_sensor(struct aipm_catalog *c, const struct aipm_sensor *s)
{
	ADD(c->sensors, c->nsensors, c->sensors_cap, *s);
}

int aipm_catalog_add_source(struct aipm_catalog *c, const char *name)
{
	ADD(c->sources, c->nsources, c->sources_cap, name);
}

int aipm_catalog_set_cpu_estimate(struct aipm_catalog *c, const char *source, const struct aipm_cpu_power_model *m)
{
	if (c->cpu_estimate)
		return -EEXIST;
	c->cpu_estimate = malloc(sizeof *c->cpu_estimate);
	if (!c->cpu_estimate)
		return -ENOMEM;
	*c->cpu_estimate = (struct aipm_cpu_estimate_entry){.source = source, .model = *m};
	return 0;
}

void aipm_catalog_free(struct aipm_catalog *c)
{
	free(c->cpu_estimate);
	free(c->domains);
	free(c->devices);
	free(c->sensors);
	free(c->sources);
	memset(c, 0, sizeof *c);
}

const char *aipm_domain_kind_name(enum aipm_domain_kind k)
{
	switch (k) {
	case AIPM_DOMAIN_PACKAGE: return "package";
	case AIPM_DOMAIN_CORE: return "core";
	case AIPM_DOMAIN_UNCORE: return "uncore";
	case AIPM_DOMAIN_DRAM: return "dram";
	case AIPM_DOMAIN_PSYS: return "psys";
	default: return "other";
	}
}

void aipm_device_section(const struct aipm_device *d, char *out, size_t n)
{
	if (!strcmp(d->vendor, "nvidia"))
		snprintf(out, n, "gpu");
	else
		snprintf(out, n, "%s_gpu", d->vendor);
}

/* ---- snapshots ------------------------------------------------------ */

static int alloc_values(struct aipm_snapshot *s, const struct aipm_catalog *c)
{
	/* calloc(0) may return NULL: ask for one element at least. */
	s->domains = calloc(c->ndomains ? c->ndomains : 1, sizeof *s->domains);
	s->gpus = calloc(c->ndevices ? c->ndevices : 1, sizeof *s->gpus);
	s->sensors = calloc(c->nsensors ? c->nsensors : 1, sizeof *s->sensors);
	s->source_ok = calloc(c->nsources ? c->nsources : 1, sizeof *s->source_ok);
	return s->domains && s->gpus && s->sensors && s->source_ok ? 0 : -ENOMEM;
}

int aipm_snapshot_init(struct aipm_snapshot *s, const struct aipm_catalog *cat)
{
	memset(s, 0, sizeof *s);
	s->cat = cat;
	if (alloc_values(s, cat) < 0) {
		aipm_snapshot_free(s);
		return -ENOMEM;
	}
	aipm_snapshot_clear(s);
	return 0;
}

void aipm_snapshot_free(struct aipm_snapshot *s)
{
	if (s->gpus && s->cat)
		for (size_t i = 0; i < s->cat->ndevices; i++)
			free(s->gpus[i].procs);
	free(s->domains);
	free(s->gpus);
	free(s->sensors);
	free(s->source_ok);
	free(s->procs);
	memset(s, 0, sizeof *s);
}

void aipm_snapshot_clear(struct aipm_snapshot *s)
{
	const struct aipm_catalog *c = s->cat;
	for (size_t i = 0; i < c->ndomains; i++)
		s->domains[i] = (struct aipm_domain_value){.power_w = NAN};
	for (size_t i = 0; i < c->ndevices; i++) {
		struct aipm_gpu_value *g = &s->gpus[i];
		struct aipm_gpu_proc *keep = g->procs;
		size_t cap = g->procs_cap;
		*g = (struct aipm_gpu_value){.procs = keep, .procs_cap = cap};
	}
	memset(s->sensors, 0, (c->nsensors ? c->nsensors : 1) * sizeof *s->sensors);
	memset(s->source_ok, 0, (c->nsources ? c->nsources : 1) * sizeof *s->source_ok);
	s->edge[0] = '\0';
	s->sys_valid = s->meminfo_valid = s->tree_valid = s->tree_alive = false;
	s->sys_busy_ns = s->sys_total_ns = s->mem_total_bytes = s->mem_available_bytes = 0;
	s->nprocs = 0;
	s->tree_cpu_ns = 0;
	s->cpu_est.valid = false;
	s->cpu_est.busy_ticks = s->cpu_est.total_ticks = 0;
}

int aipm_snapshot_copy(struct aipm_snapshot *dst, const struct aipm_snapshot *src)
{
	const struct aipm_catalog *c = src->cat;
	if (dst->cat != c)
		return -EINVAL;
	/* Keep dst's own arrays, copy the scalars, then the contents. */
	struct aipm_snapshot keep = *dst;
	*dst = *src;
	dst->domains = keep.domains;
	dst->gpus = keep.gpus;
	dst->sensors = keep.sensors;
	dst->source_ok = keep.source_ok;
	dst->procs = keep.procs;
	dst->procs_cap = keep.procs_cap;
	dst->nprocs = 0;
	memcpy(dst->domains, src->domains, c->ndomains * sizeof *src->domains);
	memcpy(dst->sensors, src->sensors, c->nsensors * sizeof *src->sensors);
	memcpy(dst->source_ok, src->source_ok, c->nsources * sizeof *src->source_ok);
	for (size_t i = 0; i < c->ndevices; i++) {
		struct aipm_gpu_value *d = &dst->gpus[i];
		const struct aipm_gpu_value *g = &src->gpus[i];
		struct aipm_gpu_proc *procs = d->procs;
		size_t cap = d->procs_cap;
		*d = *g;
		d->procs = procs;
		d->procs_cap = cap;
		d->nprocs = 0;
		if (aipm_grow((void **)&d->procs, &d->procs_cap, g->nprocs, sizeof *g->procs) < 0)
			return -ENOMEM;
		if (g->nprocs)
			memcpy(d->procs, g->procs, g->nprocs * sizeof *g->procs);
		d->nprocs = g->nprocs;
	}
	if (aipm_grow((void **)&dst->procs, &dst->procs_cap, src->nprocs, sizeof *src->procs) < 0)
		return -ENOMEM;
	if (src->nprocs)
		memcpy(dst->procs, src->procs, src->nprocs * sizeof *src->procs);
	dst->nprocs = src->nprocs;
	return 0;
}

/* ---- what sources call ---------------------------------------------- */

void aipm_snapshot_set_energy(struct aipm_snapshot *s, int id, uint64_t energy_uj, bool valid)
{
	if (id < 0 || (size_t)id >= s->cat->ndomains)
		return;
	s->domains[id].energy_uj = energy_uj;
	s->domains[id].valid = valid;
}

void aipm_snapshot_set_sensor(struct aipm_snapshot *s, int id, double value)
{
	if (id < 0 || (size_t)id >= s->cat->nsensors || !isfinite(value))
		return;
	s->sensors[id].valid = true;
	s->sensors[id].value = value;
}

void aipm_snapshot_set_cpu_load(struct aipm_snapshot *s, uint64_t busy_ticks, uint64_t total_ticks)
{
	s->cpu_est.valid = true;
	s->cpu_est.busy_ticks = busy_ticks;
	s->cpu_est.total_ticks = total_ticks;
}

struct aipm_gpu_value *aipm_snapshot_gpu(struct aipm_snapshot *s, int id)
{
	return id >= 0 && (size_t)id < s->cat->ndevices ? &s->gpus[id] : NULL;
}

struct aipm_gpu_proc *aipm_snapshot_gpu_proc(struct aipm_snapshot *s, int id, pid_t pid)
{
	struct aipm_gpu_value *g = aipm_snapshot_gpu(s, id);
	if (!g)
		return NULL;
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid == pid)
			return &g->procs[i];
	if (aipm_grow((void **)&g->procs, &g->procs_cap, g->nprocs + 1, sizeof *g->procs) < 0)
		return NULL;
	g->procs[g->nprocs] = (struct aipm_gpu_proc){.pid = pid};
	return &g->procs[g->nprocs++];
}

struct aipm_proc *aipm_snapshot_add_proc(struct aipm_snapshot *s)
{
	if (aipm_grow((void **)&s->procs, &s->procs_cap, s->nprocs + 1, sizeof *s->procs) < 0)
		return NULL;
	struct aipm_proc *p = &s->procs[s->nprocs++];
	memset(p, 0, sizeof *p);
	return p;
}

/* ---- small queries -------------------------------------------------- */

bool aipm_snapshot_kind_power(const struct aipm_snapshot *s, enum aipm_domain_kind k, double *out_w)
{
	/* A total over some of the domains would pass for the whole: any
	 * domain of the kind without a power makes the total unknown. */
	bool any = false;
	double sum = 0;
	for (size_t i = 0; i < s->cat->ndomains; i++) {
		if (s->cat->domains[i].kind != k)
			continue;
		if (!s->domains[i].valid || !isfinite(s->domains[i].power_w)) {
			*out_w = NAN;
			return false;
		}
		sum += s->domains[i].power_w;
		any = true;
	}
	*out_w = sum;
	return any;
}

bool aipm_snapshot_kind_energy(const struct aipm_snapshot *s, enum aipm_domain_kind k, double *out_j)
{
	bool any = false;
	double sum = 0;
	for (size_t i = 0; i < s->cat->ndomains; i++) {
		if (s->cat->domains[i].kind == k) {
			sum += s->domains[i].energy_j;
			any = true;
		}
	}
	*out_j = sum;
	return any;
}

bool aipm_catalog_has_kind(const struct aipm_catalog *c, enum aipm_domain_kind k)
{
	for (size_t i = 0; i < c->ndomains; i++)
		if (c->domains[i].kind == k)
			return true;
	return false;
}
