/* attrib.c: powers, shares and attributed energy of one interval.
 *
 * The experiment's share of the CPU is its CPU time over the machine's busy
 * CPU time in the interval (as AIPowerMeter defines per_process_cpu_uses);
 * its share of DRAM is its PSS over the machine's used memory; its share of
 * a GPU is its processes' SM use over all processes' SM use on that GPU.
 * Attributed energy is share x the zone's energy of the interval, summed
 * over intervals, so it can never exceed what the zone measured.
 */
#include "attrib.h"
#include "util.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

static double clamp01(double x)
{
	if (!(x > 0))
		return 0;
	return x > 1 ? 1 : x;
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

/* Zones are fixed when the RAPL source opens, so index i is the same zone
 * in every snapshot of one recording. */
static void derive_zones(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			 const struct aipm_snapshot *first, double dt, double *d_pkg_j, double *d_dram_j,
			 bool *has_pkg, bool *has_dram)
{
	*d_pkg_j = *d_dram_j = 0;
	*has_pkg = *has_dram = false;
	for (size_t i = 0; i < cur->nzones; i++) {
		struct aipm_zone *z = &cur->zones[i];
		const struct aipm_zone *f = i < first->nzones ? &first->zones[i] : z;
		const struct aipm_zone *p = prev && i < prev->nzones ? &prev->zones[i] : NULL;
		z->energy_j = z->energy_uj >= f->energy_uj ? (double)(z->energy_uj - f->energy_uj) / 1e6 : 0;
		z->power_w = NAN;
		if (z->kind == AIPM_ZONE_PACKAGE)
			*has_pkg = true;
		if (z->kind == AIPM_ZONE_DRAM)
			*has_dram = true;
		if (!p)
			continue;
		double dj = z->energy_uj >= p->energy_uj ? (double)(z->energy_uj - p->energy_uj) / 1e6 : 0;
		if (dt > 0 && z->valid && p->valid)
			z->power_w = dj / dt;
		if (z->kind == AIPM_ZONE_PACKAGE)
			*d_pkg_j += dj;
		else if (z->kind == AIPM_ZONE_DRAM)
			*d_dram_j += dj;
	}
}

/* Per-process CPU shares. Both arrays are sorted by pid (procfs.c keeps
 * them so), so one merge walk pairs each process with its previous self. */
static void derive_procs(struct aipm_snapshot *cur, const struct aipm_snapshot *prev)
{
	double dbusy = prev && cur->sys_busy_ticks > prev->sys_busy_ticks
			       ? (double)(cur->sys_busy_ticks - prev->sys_busy_ticks) : 0;
	double used = cur->mem_total_bytes > cur->mem_available_bytes
			      ? (double)(cur->mem_total_bytes - cur->mem_available_bytes) : 0;
	double cpu_sum = 0, mem_sum = 0;
	uint64_t pss_sum = 0, uss_sum = 0;
	bool mem_valid = false;
	size_t j = 0;
	for (size_t i = 0; i < cur->nprocs; i++) {
		struct aipm_proc *p = &cur->procs[i];
		uint64_t before = 0;
		while (prev && j < prev->nprocs && prev->procs[j].pid < p->pid)
			j++;
		if (prev && j < prev->nprocs && prev->procs[j].pid == p->pid &&
		    prev->procs[j].start_ticks == p->start_ticks)
			before = prev->procs[j].cpu_ticks;
		/* A process new in this interval spent all its CPU time in it. */
		double d = p->cpu_ticks > before ? (double)(p->cpu_ticks - before) : 0;
		p->cpu_share = dbusy > 0 ? d / dbusy : 0;
		cpu_sum += p->cpu_share;
		p->mem_share = (p->mem_valid && used > 0) ? (double)p->pss_bytes / used : 0;
		mem_sum += p->mem_share;
		if (p->mem_valid) {
			pss_sum += p->pss_bytes;
			uss_sum += p->uss_bytes;
			mem_valid = true;
		}
	}
	/* Tick granularity can make the parts exceed the whole by a tick or
	 * two; scale down so the shares of one interval never sum above 1. */
	for (size_t i = 0; i < cur->nprocs; i++) {
		if (cpu_sum > 1)
			cur->procs[i].cpu_share /= cpu_sum;
		if (mem_sum > 1)
			cur->procs[i].mem_share /= mem_sum;
	}
	double dtree = prev && cur->tree_cpu_ticks > prev->tree_cpu_ticks
			       ? (double)(cur->tree_cpu_ticks - prev->tree_cpu_ticks) : 0;
	cur->tree_cpu_share = dbusy > 0 ? clamp01(dtree / dbusy) : 0;
	cur->tree_mem_share = used > 0 ? clamp01((double)pss_sum / used) : 0;
	cur->tree_mem_valid = mem_valid;
	cur->tree_pss_bytes = pss_sum;
	cur->tree_uss_bytes = uss_sum;
}

static void derive_gpus(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			const struct aipm_snapshot *first)
{
	double total = prev ? prev->attributed_gpu_j : 0;
	for (size_t i = 0; i < cur->ngpus; i++) {
		struct aipm_gpu *g = &cur->gpus[i];
		const struct aipm_gpu *f = i < first->ngpus ? &first->gpus[i] : g;
		const struct aipm_gpu *p = prev && i < prev->ngpus ? &prev->gpus[i] : NULL;
		g->energy_j = g->energy_mj >= f->energy_mj ? (double)(g->energy_mj - f->energy_mj) / 1e3 : 0;
		double all = 0, mine = 0;
		/* Without per-process SM use (MIG, pre-Maxwell GPUs answer
		 * NOT_SUPPORTED) the processes' GPU memory is the best proxy
		 * left; reading the missing SM use as 0 would attribute
		 * nothing to an experiment that may own the whole GPU. */
		bool by_mem = !(g->fields & AIPM_GPU_PROC_UTIL) && (g->fields & AIPM_GPU_PROC_MEM);
		for (size_t k = 0; k < g->nprocs; k++) {
			double w = by_mem ? (g->procs[k].mem_valid ? (double)g->procs[k].mem_bytes : 0)
					  : g->procs[k].sm_util;
			all += w;
			if (g->procs[k].in_experiment)
				mine += w;
		}
		if (cur->gpu_all_processes)
			g->exp_share = 1;
		else
			g->exp_share = all > 0 ? clamp01(mine / all) : 0;
		g->attributed_energy_j = p ? p->attributed_energy_j : 0;
		if (p && g->energy_mj > p->energy_mj) {
			double dj = (double)(g->energy_mj - p->energy_mj) / 1e3;
			g->attributed_energy_j += g->exp_share * dj;
			total += g->exp_share * dj;
		}
	}
	cur->attributed_gpu_j = total;
}

void aipm_snapshot_derive(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			  const struct aipm_snapshot *first)
{
	double dt = prev ? ts_diff(&cur->mono, &prev->mono) : 0;
	double d_pkg_j, d_dram_j;
	bool has_pkg, has_dram;
	cur->interval_s = dt > 0 ? dt : 0;
	/* The tree's cumulative CPU time never goes back, even if a reaped
	 * child's rusage lands one sample after it left /proc. */
	if (prev && cur->tree_cpu_ticks < prev->tree_cpu_ticks)
		cur->tree_cpu_ticks = prev->tree_cpu_ticks;
	derive_zones(cur, prev, first, dt, &d_pkg_j, &d_dram_j, &has_pkg, &has_dram);
	derive_procs(cur, prev);
	cur->attributed_cpu_j = (prev ? prev->attributed_cpu_j : 0) + (has_pkg ? cur->tree_cpu_share * d_pkg_j : 0);
	cur->attributed_dram_j = (prev ? prev->attributed_dram_j : 0) + (has_dram ? cur->tree_mem_share * d_dram_j : 0);
	cur->tree_cpu_s = cur->tree_cpu_ticks >= first->tree_cpu_ticks
				  ? (double)(cur->tree_cpu_ticks - first->tree_cpu_ticks) / (double)aipm_clk_tck() : 0;
	derive_gpus(cur, prev, first);
}
