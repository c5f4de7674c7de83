/* writer_proc.c: the per-process objects of a power_metrics.json line
 * ({"pid": value, ...} under AIPowerMeter's names).
 *
 * A line says what happened in its interval, so a process is written only
 * where it has something to say, and never more than AIPM_WRITER_PROCS_MAX
 * processes per object, whatever the size of the tree:
 *   - interval objects (CPU use and time, the powers charged by CPU use):
 *     the processes that ran in the interval (their CPU time grew), that
 *     appeared in it or that ended (a zombie); a process that did none of
 *     these contributes exactly 0 and is left out;
 *   - level objects (memory, the DRAM power charged by memory): the
 *     processes whose PSS/USS is known, every line.
 * Where more processes qualify than fit, the largest (by CPU time of the
 * interval, or by PSS) are written and the rest are summed under "other",
 * as is, in the interval objects, the tree's CPU time that no listed
 * process holds (processes that ended between two samples, children
 * waited for): the members of one object always add up to the tree's
 * value, which is what AIPowerMeter's loader takes (it sums each object).
 * A tree of 500 idle processes thus writes a line of under 2 KB, and a line
 * stays bounded for a job of any size (docs/recording.md).
 *
 * Reads only the snapshot; allocates nothing (the selection is a fixed
 * array of AIPM_WRITER_PROCS_MAX indices).
 */
#include "writer.h"

#include <math.h>
#include <string.h>

#include "writer_priv.h"

/* The processes of one family chosen for a line, in pid order. */
struct pick {
	size_t idx[AIPM_WRITER_PROCS_MAX];
	size_t n;
	bool rest; /* some qualifying process is not listed */
};

static bool qualifies(const struct aipm_proc *p, bool mem)
{
	return mem ? p->mem_valid : p->cpu_delta_ns > 0 || p->is_new || !p->alive;
}

static uint64_t weight(const struct aipm_proc *p, bool mem) { return mem ? p->pss_bytes : p->cpu_delta_ns; }

/* a ranks before b: larger weight, then smaller pid. */
static bool before(const struct aipm_snapshot *s, size_t a, size_t b, bool mem)
{
	uint64_t wa = weight(&s->procs[a], mem), wb = weight(&s->procs[b], mem);
	return wa != wb ? wa > wb : s->procs[a].pid < s->procs[b].pid;
}

/* The AIPM_WRITER_PROCS_MAX heaviest qualifying processes: an insertion
 * into a short ranked array, O(n x K) without allocation. */
static void pick(const struct aipm_snapshot *s, bool mem, struct pick *out)
{
	out->n = 0;
	out->rest = false;
	for (size_t i = 0; i < s->nprocs; i++) {
		if (!qualifies(&s->procs[i], mem))
			continue;
		size_t k = out->n;
		if (k == AIPM_WRITER_PROCS_MAX) {
			out->rest = true;
			if (!before(s, i, out->idx[k - 1], mem))
				continue;
			k--; /* the last one goes to the rest */
		} else {
			out->n++;
		}
		while (k > 0 && before(s, i, out->idx[k - 1], mem)) {
			out->idx[k] = out->idx[k - 1];
			k--;
		}
		out->idx[k] = i;
	}
	/* Written in pid order: the table is sorted by pid. */
	for (size_t a = 1; a < out->n; a++) {
		size_t v = out->idx[a], b = a;
		for (; b > 0 && out->idx[b - 1] > v; b--)
			out->idx[b] = out->idx[b - 1];
		out->idx[b] = v;
	}
}

static double value(const struct aipm_proc *p, enum aipm_proc_field f, double scale)
{
	switch (f) {
	case AIPM_PF_CPU_USE: return p->cpu_use;
	case AIPM_PF_CPU_SHARE: return p->cpu_share;
	case AIPM_PF_CPU_TIME: return (double)p->cpu_delta_ns / 1e9;
	case AIPM_PF_CPU_USE_POWER: return p->cpu_use * scale;
	case AIPM_PF_PSS: return (double)p->pss_bytes;
	case AIPM_PF_USS: return (double)p->uss_bytes;
	case AIPM_PF_MEM_PCT: return p->mem_share;
	case AIPM_PF_DRAM_POWER: return p->mem_share * scale;
	}
	return 0;
}

/* What the tree holds beyond its listed processes (ended ones). */
static double unlisted(const struct aipm_snapshot *s, enum aipm_proc_field f, double scale)
{
	switch (f) {
	case AIPM_PF_CPU_USE: return s->other_cpu_use;
	case AIPM_PF_CPU_SHARE: return s->other_cpu_share;
	case AIPM_PF_CPU_TIME: return (double)s->other_cpu_delta_ns / 1e9;
	case AIPM_PF_CPU_USE_POWER: return s->other_cpu_use * scale;
	default: return 0;
	}
}

static bool is_mem(enum aipm_proc_field f)
{
	return f == AIPM_PF_PSS || f == AIPM_PF_USS || f == AIPM_PF_MEM_PCT || f == AIPM_PF_DRAM_POWER;
}

static void put_value(struct aipm_buf *b, enum aipm_proc_field f, double v)
{
	switch (f) {
	case AIPM_PF_PSS:
	case AIPM_PF_USS: aipm_buf_u64(b, (uint64_t)llround(v)); break;
	case AIPM_PF_CPU_USE:
	case AIPM_PF_CPU_SHARE:
	case AIPM_PF_MEM_PCT: aipm_writer_put_fixed(b, v, 9); break;
	default: aipm_writer_put_fixed(b, v, 6); break;
	}
}

bool aipm_writer_has_mem(const struct aipm_snapshot *s)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].mem_valid)
			return true;
	return false;
}

void aipm_writer_per_process(struct aipm_buf *b, bool *first, const char *name, const struct aipm_snapshot *s,
			     enum aipm_proc_field f, double scale)
{
	bool mem = is_mem(f);
	struct pick pk;
	pick(s, mem, &pk);
	aipm_writer_key(b, first, name);
	aipm_buf_put(b, "{", 1);
	bool f2 = true;
	double listed = 0, all = 0;
	for (size_t k = 0; k < pk.n; k++) {
		const struct aipm_proc *p = &s->procs[pk.idx[k]];
		double v = value(p, f, scale);
		aipm_writer_pid_key(b, &f2, p->pid);
		put_value(b, f, v);
		listed += v;
	}
	if (pk.rest)
		for (size_t i = 0; i < s->nprocs; i++)
			if (qualifies(&s->procs[i], mem))
				all += value(&s->procs[i], f, scale);
	double other = (pk.rest ? all - listed : 0) + unlisted(s, f, scale);
	if (pk.rest || other > 0) {
		aipm_writer_key(b, &f2, "other");
		put_value(b, f, other > 0 ? other : 0);
	}
	aipm_buf_put(b, "}", 1);
}
