/* attrib.c: powers, shares and attributed energy of one interval.
 *
 * The experiment's share of the CPU is its CPU time over the machine's busy
 * CPU time in the interval (as AIPowerMeter defines per_process_cpu_uses);
 * its share of DRAM is its PSS over the machine's used memory; its share of
 * a GPU is its processes' SM use over all processes' SM use on that GPU.
 * Attributed energy is share x the domain's energy of the interval, summed
 * over intervals, so it can never exceed what the domain measured.
 *
 * Units. Process CPU time is in nanoseconds (the process CPU clock, which
 * the kernel keeps exactly); the machine's busy time comes from /proc/stat
 * in USER_HZ ticks (10 ms), converted to ns by the process source. The two
 * disagree by a tick or so in any one interval: at -i 0.1 a process alone
 * on a CPU often shows 10.2 ticks of CPU over 10 busy ticks. Clamping each
 * interval at 1 would discard that excess forever and bias the share low
 * (1.5 to 6 points for a lone busy process). Instead the excess is carried
 * into the next intervals (tree_cpu_carry_ns) and charged where the
 * machine's busy time has room, so over a run the charged time equals the
 * tree's time while no interval's share exceeds 1.
 */
#include "attrib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "membership.h"

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

static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

double aipm_cpu_share_carry(uint64_t dtree_ns, uint64_t dbusy_ns, uint64_t carry_in_ns, uint64_t *carry_out_ns)
{
	uint64_t want = dtree_ns + carry_in_ns;
	uint64_t charged = want < dbusy_ns ? want : dbusy_ns;
	uint64_t carry = want - charged;
	*carry_out_ns = carry > AIPM_CPU_CARRY_MAX_NS ? AIPM_CPU_CARRY_MAX_NS : carry;
	return dbusy_ns ? (double)charged / (double)dbusy_ns : 0;
}

struct energy_deltas {
	double pkg_j, dram_j; /* this interval */
};

/* Domains are fixed in the catalog, so id i is the same domain in every
 * snapshot of one recording. */
static void derive_domains(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			   const struct aipm_snapshot *first, double dt, struct energy_deltas *d)
{
	const struct aipm_catalog *c = cur->cat;
	d->pkg_j = d->dram_j = 0;
	for (size_t i = 0; i < c->ndomains; i++) {
		struct aipm_domain_value *v = &cur->domains[i];
		const struct aipm_domain_value *f = &first->domains[i];
		const struct aipm_domain_value *p = prev ? &prev->domains[i] : NULL;
		v->energy_j = (double)sub0(v->energy_uj, f->energy_uj) / 1e6;
		v->power_w = NAN;
		if (!p)
			continue;
		/* A domain that was not read this time holds its energy. */
		if (v->energy_j < p->energy_j)
			v->energy_j = p->energy_j;
		if (dt > 0 && v->valid && p->valid)
			v->power_w = (double)sub0(v->energy_uj, p->energy_uj) / 1e6 / dt;
		double dj = v->energy_j - p->energy_j;
		if (c->domains[i].kind == AIPM_DOMAIN_PACKAGE)
			d->pkg_j += dj;
		else if (c->domains[i].kind == AIPM_DOMAIN_DRAM)
			d->dram_j += dj;
	}
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct aipm_proc *)a)->pid, y = ((const struct aipm_proc *)b)->pid;
	return (x > y) - (x < y);
}

/* The process table must be sorted by pid (the merge walk below and the
 * GPU membership lookup rely on it); the process source keeps it so, and a
 * table that is not is sorted here rather than trusted. */
static void ensure_sorted(struct aipm_snapshot *s)
{
	for (size_t i = 1; i < s->nprocs; i++)
		if (s->procs[i - 1].pid > s->procs[i].pid) {
			qsort(s->procs, s->nprocs, sizeof *s->procs, by_pid);
			return;
		}
}

/* Per-process CPU and memory shares. Both tables are sorted by pid, so
 * one merge walk pairs each process with its previous self. */
static void derive_procs(struct aipm_snapshot *cur, const struct aipm_snapshot *prev)
{
	uint64_t dbusy = prev && cur->sys_valid && prev->sys_valid ? sub0(cur->sys_busy_ns, prev->sys_busy_ns) : 0;
	double used = cur->meminfo_valid ? (double)sub0(cur->mem_total_bytes, cur->mem_available_bytes) : 0;
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
			before = prev->procs[j].cpu_ns;
		/* A process new in this interval spent all its CPU time in it. */
		p->cpu_share = dbusy ? (double)sub0(p->cpu_ns, before) / (double)dbusy : 0;
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
	uint64_t dtree = prev ? sub0(cur->tree_cpu_ns, prev->tree_cpu_ns) : 0;
	uint64_t carry_in = prev ? prev->tree_cpu_carry_ns : 0;
	if (prev && !dbusy) {
		/* No machine time to charge against (an unreadable /proc/stat):
		 * the tree's time waits for the next interval. */
		cur->tree_cpu_share = 0;
		uint64_t c = dtree + carry_in;
		cur->tree_cpu_carry_ns = c > AIPM_CPU_CARRY_MAX_NS ? AIPM_CPU_CARRY_MAX_NS : c;
	} else {
		cur->tree_cpu_share = aipm_cpu_share_carry(dtree, dbusy, carry_in, &cur->tree_cpu_carry_ns);
	}
	cur->tree_mem_share = used > 0 ? clamp01((double)pss_sum / used) : 0;
	cur->tree_mem_valid = mem_valid;
	cur->tree_pss_bytes = pss_sum;
	cur->tree_uss_bytes = uss_sum;
}

/* One GPU's share: its experiment processes' SM use over all processes'.
 * Without per-process SM use (MIG, pre-Maxwell GPUs answer NOT_SUPPORTED)
 * the processes' GPU memory is the best proxy left; reading the missing
 * SM use as 0 would attribute nothing to an experiment that may own the
 * whole GPU. */
static void gpu_share(const struct aipm_snapshot *s, struct aipm_gpu_value *g)
{
	g->exp_share = 0;
	g->share_valid = false;
	if (!g->valid)
		return;
	if (s->gpu_all_processes) {
		g->exp_share = 1;
		g->share_valid = true;
		return;
	}
	bool by_util = g->fields & AIPM_GPU_PROC_UTIL;
	bool by_mem = !by_util && (g->fields & AIPM_GPU_PROC_MEM);
	if (!g->procs_complete || !(by_util || by_mem))
		return;
	double all = 0, mine = 0;
	for (size_t k = 0; k < g->nprocs; k++) {
		double w = by_mem ? (g->procs[k].mem_valid ? (double)g->procs[k].mem_bytes : 0) : g->procs[k].sm_util;
		all += w;
		if (g->procs[k].in_experiment)
			mine += w;
	}
	g->exp_share = all > 0 ? clamp01(mine / all) : 0;
	g->share_valid = true;
}

static void derive_gpus(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			const struct aipm_snapshot *first)
{
	double total = prev ? prev->attributed_gpu_j : 0;
	aipm_membership_mark_gpus(cur);
	for (size_t i = 0; i < cur->cat->ndevices; i++) {
		struct aipm_gpu_value *g = &cur->gpus[i];
		const struct aipm_gpu_value *f = &first->gpus[i];
		const struct aipm_gpu_value *p = prev ? &prev->gpus[i] : NULL;
		g->energy_j = (g->fields & AIPM_GPU_ENERGY) ? (double)sub0(g->energy_mj, f->energy_mj) / 1e3 : 0;
		if (p && g->energy_j < p->energy_j)
			g->energy_j = p->energy_j; /* not read this time: hold */
		gpu_share(cur, g);
		g->attributed_energy_j = p ? p->attributed_energy_j : 0;
		if (p && g->share_valid) {
			double dj = g->energy_j - p->energy_j;
			g->attributed_energy_j += g->exp_share * dj;
			total += g->exp_share * dj;
		}
	}
	cur->attributed_gpu_j = total;
}

/* ---- the CPU estimate (cat->cpu_estimate) ---------------------------
 *
 * Not a measurement: its totals live in cur->cpu_est, apart from every
 * measured domain, and nothing here adds them to one. The load of an
 * interval is its busy ticks over its total ticks (steal apart, see
 * snapshot.h). /proc/stat counts in 10 ms ticks: an interval shorter than
 * a tick per CPU, or one whose read failed, has no load of its own, so
 * the last counters are held and the next read covers the whole span at
 * its average load. Nothing is lost and nothing is guessed. */

/* Hold the previous sample's counters and add this interval to the span
 * they wait to cover, with the experiment's share x time over it. */
static void cpu_estimate_hold(struct aipm_cpu_estimate_value *e, const struct aipm_cpu_estimate_value *p,
			      double span_s, double share_s)
{
	e->busy_ticks = p->busy_ticks;
	e->total_ticks = p->total_ticks;
	e->have = p->have;
	e->pending_s = p->have ? span_s : 0;
	e->pending_share_s = p->have ? share_s : 0;
}

/* The experiment's share of the estimate is the share measured energy
 * gets (tree_cpu_share), weighted by time over the span, so attributed
 * energy never exceeds the machine's estimate, bound by bound. */
static void derive_cpu_estimate(struct aipm_snapshot *cur, const struct aipm_snapshot *prev, double dt)
{
	const struct aipm_cpu_estimate_entry *ce = cur->cat->cpu_estimate;
	struct aipm_cpu_estimate_value *e = &cur->cpu_est;
	e->load = NAN;
	if (!ce)
		return;
	if (!prev) {
		aipm_cpu_estimate_init(&e->est);
		e->have = e->valid;
		e->pending_s = e->pending_share_s = 0;
		return;
	}
	const struct aipm_cpu_estimate_value *p = &prev->cpu_est;
	double span = p->pending_s + (dt > 0 ? dt : 0);
	double share_s = p->pending_share_s + clamp01(cur->tree_cpu_share) * (dt > 0 ? dt : 0);
	e->est = p->est;
	e->est.power = (struct aipm_est_band){NAN, NAN, NAN};
	uint64_t dtotal = e->valid && p->have ? sub0(e->total_ticks, p->total_ticks) : 0;
	if (!e->valid || (p->have && !dtotal)) {
		cpu_estimate_hold(e, p, span, share_s);
		return;
	}
	e->have = true;
	e->pending_s = e->pending_share_s = 0;
	if (!p->have)
		return; /* the first counters read: a baseline */
	e->load = clamp01((double)sub0(e->busy_ticks, p->busy_ticks) / (double)dtotal);
	aipm_cpu_estimate_add(&e->est, &ce->model, e->load, span > 0 ? share_s / span : 0, span);
}

void aipm_snapshot_derive(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			  const struct aipm_snapshot *first)
{
	double dt = prev ? ts_diff(&cur->mono, &prev->mono) : 0;
	struct energy_deltas d;
	cur->interval_s = dt > 0 ? dt : 0;
	/* The tree's cumulative CPU time never goes back, even if a reaped
	 * child's rusage lands one sample after it left /proc, or its time
	 * moves into its parent's (tick-rounded) child time. */
	if (prev && cur->tree_cpu_ns < prev->tree_cpu_ns)
		cur->tree_cpu_ns = prev->tree_cpu_ns;
	ensure_sorted(cur);
	derive_domains(cur, prev, first, dt, &d);
	derive_procs(cur, prev);
	const struct aipm_catalog *c = cur->cat;
	bool has_pkg = aipm_catalog_has_kind(c, AIPM_DOMAIN_PACKAGE), has_dram = aipm_catalog_has_kind(c, AIPM_DOMAIN_DRAM);
	cur->attributed_cpu_j = (prev ? prev->attributed_cpu_j : 0) + (has_pkg ? cur->tree_cpu_share * d.pkg_j : 0);
	cur->attributed_dram_j = (prev ? prev->attributed_dram_j : 0) + (has_dram ? cur->tree_mem_share * d.dram_j : 0);
	cur->tree_cpu_s = (double)sub0(cur->tree_cpu_ns, first->tree_cpu_ns) / 1e9;
	derive_gpus(cur, prev, first);
	derive_cpu_estimate(cur, prev, dt);
}
