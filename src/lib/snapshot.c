/* snapshot.c: lifetime and small queries of struct aipm_snapshot. */
#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void aipm_snapshot_init(struct aipm_snapshot *s) { memset(s, 0, sizeof *s); }

void aipm_snapshot_free(struct aipm_snapshot *s)
{
	free(s->procs);
	memset(s, 0, sizeof *s);
}

int aipm_snapshot_reserve_procs(struct aipm_snapshot *s, size_t n)
{
	if (n <= s->procs_cap)
		return 0;
	size_t cap = s->procs_cap ? s->procs_cap : 16;
	while (cap < n)
		cap *= 2;
	struct aipm_proc *p = realloc(s->procs, cap * sizeof *p);
	if (!p)
		return -ENOMEM;
	s->procs = p;
	s->procs_cap = cap;
	return 0;
}

int aipm_snapshot_copy(struct aipm_snapshot *dst, const struct aipm_snapshot *src)
{
	struct aipm_proc *keep = dst->procs;
	size_t keep_cap = dst->procs_cap;
	memcpy(dst, src, sizeof *dst);
	dst->procs = keep;
	dst->procs_cap = keep_cap;
	dst->nprocs = 0;
	if (aipm_snapshot_reserve_procs(dst, src->nprocs) < 0)
		return -ENOMEM;
	if (src->nprocs)
		memcpy(dst->procs, src->procs, src->nprocs * sizeof *src->procs);
	dst->nprocs = src->nprocs;
	return 0;
}

const char *aipm_zone_kind_name(enum aipm_zone_kind k)
{
	switch (k) {
	case AIPM_ZONE_PACKAGE: return "package";
	case AIPM_ZONE_CORE: return "core";
	case AIPM_ZONE_UNCORE: return "uncore";
	case AIPM_ZONE_DRAM: return "dram";
	case AIPM_ZONE_PSYS: return "psys";
	default: return "other";
	}
}

bool aipm_snapshot_kind_power(const struct aipm_snapshot *s, enum aipm_zone_kind k, double *out_w)
{
	bool any = false;
	double sum = 0;
	for (size_t i = 0; i < s->nzones; i++) {
		if (s->zones[i].kind == k && s->zones[i].valid) {
			sum += s->zones[i].power_w;
			any = true;
		}
	}
	*out_w = sum;
	return any;
}

bool aipm_snapshot_kind_energy(const struct aipm_snapshot *s, enum aipm_zone_kind k, double *out_j)
{
	bool any = false;
	double sum = 0;
	for (size_t i = 0; i < s->nzones; i++) {
		if (s->zones[i].kind == k) {
			sum += s->zones[i].energy_j;
			any = true;
		}
	}
	*out_j = sum;
	return any;
}
