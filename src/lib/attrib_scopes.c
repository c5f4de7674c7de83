/* attrib_scopes.c: each scope's share of the machine's energy, for the
 * scopes measured beside the machine (aipm serve --cgroups, --slurm,
 * --containers; scope/values.h). A pure function of (prev, cur), like
 * attrib.c, whose definitions it follows:
 *  - CPU: the scope's cpu.stat time over the machine's busy time of the
 *    interval, charged with a carry as attrib.c charges the tree (the
 *    kernel's microseconds against /proc/stat's 10 ms ticks disagree by a
 *    tick or so per interval). What every scope wants is charged together:
 *    when it exceeds the busy time, each gets its part of it and keeps the
 *    rest for later, so the shares of one interval sum to at most 1 and,
 *    over a run, each scope is charged its own time;
 *  - DRAM: the scope's non-reclaimable memory over the machine's used
 *    memory (scaled down if the parts exceed the whole);
 *  - GPU: the SM use (or, without it, the GPU memory) of the scope's
 *    processes over all processes' on that GPU; a process belongs to at
 *    most one scope, so the scopes' shares of a GPU sum to at most 1.
 * Attributed energy is share x the domain's energy of the interval, so no
 * scope, and no sum of scopes, ever exceeds what was measured. Values are
 * cumulative from the sample the scope was first seen in; a value not read
 * holds.
 */
#include <stdlib.h>

#include "attrib.h"
#include "snapshot.h"

static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

static int by_key(const void *k, const void *e)
{
	uint64_t a = *(const uint64_t *)k, b = ((const struct aipm_scope_value *)e)->key;
	return (a > b) - (a < b);
}

static const struct aipm_scope_value *find(const struct aipm_snapshot *prev, uint64_t key)
{
	if (!prev || !prev->scope.n)
		return NULL;
	return bsearch(&key, prev->scope.v, prev->scope.n, sizeof *prev->scope.v, by_key);
}

/* Carry forward what the previous sample knew; return the CPU time this
 * scope wants charged now (its delta plus its carry). */
static uint64_t carry_over(struct aipm_scope_value *v, const struct aipm_scope_value *p)
{
	v->seen = p != NULL;
	if (!p)
		return 0;
	v->cpu_s = p->cpu_s;
	v->cpu_j = p->cpu_j, v->dram_j = p->dram_j, v->gpu_j = p->gpu_j;
	v->cpu_j_valid = p->cpu_j_valid, v->dram_j_valid = p->dram_j_valid, v->gpu_j_valid = p->gpu_j_valid;
	if (!v->cpu_valid) { /* not read this time: hold the last reading */
		v->cpu_ns = p->cpu_ns;
		v->cpu_valid = p->cpu_valid;
		return p->cpu_carry_ns;
	}
	uint64_t d = p->cpu_valid ? sub0(v->cpu_ns, p->cpu_ns) : 0;
	v->cpu_s += (double)d / 1e9;
	return d + p->cpu_carry_ns;
}

/* cpu_carry_ns holds what each scope wants charged (carry_over) on entry
 * and what it carries to the next interval on return. */
static void cpu_shares(struct aipm_snapshot *cur, const struct aipm_snapshot *prev, double pkg_j, bool has_pkg)
{
	struct aipm_scope_values *sv = &cur->scope;
	uint64_t dbusy = prev && cur->sys_valid && prev->sys_valid ? sub0(cur->sys_busy_ns, prev->sys_busy_ns) : 0;
	double total = 0;
	for (size_t i = 0; i < sv->n; i++)
		total += (double)sv->v[i].cpu_carry_ns;
	double scale = dbusy && total > (double)dbusy ? (double)dbusy / total : 1;
	for (size_t i = 0; i < sv->n; i++) {
		struct aipm_scope_value *v = &sv->v[i];
		uint64_t want = v->cpu_carry_ns;
		uint64_t charged = dbusy ? (uint64_t)((double)want * scale) : 0;
		if (charged > want)
			charged = want;
		uint64_t carry = want - charged;
		v->cpu_carry_ns = carry > AIPM_CPU_CARRY_MAX_NS ? AIPM_CPU_CARRY_MAX_NS : carry;
		v->cpu_share = dbusy ? (double)charged / (double)dbusy : 0;
		if (v->cpu_share > 1)
			v->cpu_share = 1;
		if (has_pkg && v->seen) {
			v->cpu_j += v->cpu_share * pkg_j;
			v->cpu_j_valid = true;
		}
	}
}

static void mem_shares(struct aipm_snapshot *cur, double dram_j, bool has_dram)
{
	struct aipm_scope_values *sv = &cur->scope;
	double used = cur->meminfo_valid ? (double)sub0(cur->mem_total_bytes, cur->mem_available_bytes) : 0;
	double sum = 0;
	for (size_t i = 0; i < sv->n; i++) {
		struct aipm_scope_value *v = &sv->v[i];
		v->mem_share = v->mem_valid && used > 0 ? (double)v->mem_bytes / used : 0;
		sum += v->mem_share;
	}
	for (size_t i = 0; i < sv->n; i++) {
		struct aipm_scope_value *v = &sv->v[i];
		if (sum > 1)
			v->mem_share /= sum;
		if (has_dram && v->seen && v->mem_valid && used > 0) {
			v->dram_j += v->mem_share * dram_j;
			v->dram_j_valid = true;
		}
	}
}

/* One GPU's energy of the interval, split by the SM use (or GPU memory)
 * of each process over all processes', given to the scope holding the
 * process; nothing when the list is incomplete. */
static void gpu_split(struct aipm_snapshot *cur, const struct aipm_gpu_value *g, double dj)
{
	struct aipm_scope_values *sv = &cur->scope;
	bool by_util = g->fields & AIPM_GPU_PROC_UTIL;
	bool by_mem = !by_util && (g->fields & AIPM_GPU_PROC_MEM);
	if (!g->valid || !g->procs_complete || !(by_util || by_mem) || !(dj > 0))
		return;
	double all = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < g->nprocs; k++) {
			const struct aipm_gpu_proc *q = &g->procs[k];
			double x = by_mem ? (q->mem_valid ? (double)q->mem_bytes : 0) : q->sm_util;
			long s = pass ? aipm_scope_values_scope_of(sv, q->pid) : -1;
			if (!pass)
				all += x;
			else if (s >= 0 && all > 0 && sv->v[s].seen)
				sv->v[s].gpu_j += x / all * dj;
		}
}

static void gpu_energy(struct aipm_snapshot *cur, const struct aipm_snapshot *prev)
{
	struct aipm_scope_values *sv = &cur->scope;
	if (!cur->cat->ndevices)
		return;
	for (size_t i = 0; i < sv->n; i++)
		if (sv->v[i].seen && sv->v[i].pids_valid)
			sv->v[i].gpu_j_valid = true;
	for (size_t d = 0; prev && d < cur->cat->ndevices; d++)
		gpu_split(cur, &cur->gpus[d], cur->gpus[d].energy_j - prev->gpus[d].energy_j);
}

void aipm_scopes_derive(struct aipm_snapshot *cur, const struct aipm_snapshot *prev, double pkg_j, double dram_j)
{
	struct aipm_scope_values *sv = &cur->scope;
	for (size_t i = 0; i < sv->n; i++)
		sv->v[i].cpu_carry_ns = carry_over(&sv->v[i], find(prev, sv->v[i].key));
	const struct aipm_catalog *c = cur->cat;
	cpu_shares(cur, prev, pkg_j, aipm_catalog_has_kind(c, AIPM_DOMAIN_PACKAGE));
	mem_shares(cur, dram_j, aipm_catalog_has_kind(c, AIPM_DOMAIN_DRAM));
	gpu_energy(cur, prev);
}
