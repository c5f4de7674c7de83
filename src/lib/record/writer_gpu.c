/* writer_gpu.c: the "gpu" object of a power_metrics.json line.
 *
 * Turns the GPU part of a published snapshot into AIPowerMeter's field
 * names and units (watts, bytes, percent as NVML gives it, shares in
 * [0,1]) plus aipm's cumulative energies in joules. It reads only the
 * snapshot; nvml.c fills it and attrib.c derives the shares and energies.
 *
 * Missing is not zero: a per-GPU key appears only for GPUs whose validity
 * bit says the value was read, and a scalar only when at least one GPU has
 * the value. A lost GPU keeps only its cumulative energies.
 *
 * AIPowerMeter's loader (parsers.JsonParser.load_gpu_metrics) reads
 * per_gpu_attributable_power['all'] for the total attributable power, so
 * that object carries an "all" member next to the GPU indices; anything
 * that sums per-GPU values must skip it (nvidia_attributable_power is the
 * same number).
 */
#include "writer.h"

#include <stdbool.h>

/* Which GPUs a field covers, and its value for one GPU. */
typedef bool (*gpu_value_fn)(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *out);

static bool live(const struct aipm_gpu *g, unsigned bits) { return g->valid && (g->fields & bits) == bits; }

/* The experiment's share is known when per-process SM use was read, or
 * when every GPU process is the experiment's (--gpu-all-processes), or
 * from memory when the GPU gives no per-process SM use (see attrib.c). */
static bool share_known(const struct aipm_snapshot *s, const struct aipm_gpu *g)
{
	return s->gpu_all_processes || live(g, AIPM_GPU_PROC_UTIL) || live(g, AIPM_GPU_PROC_MEM);
}

static bool v_power(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = g->power_w;
	return live(g, AIPM_GPU_POWER);
}

static bool v_attr_power(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	*o = g->exp_share * g->power_w;
	return live(g, AIPM_GPU_POWER) && share_known(s, g);
}

static bool v_share(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	*o = g->exp_share;
	return g->valid && share_known(s, g);
}

static bool v_sm(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = g->sm_util;
	return live(g, AIPM_GPU_UTIL);
}

static bool v_mem(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = (double)g->mem_used_bytes;
	return live(g, AIPM_GPU_MEM);
}

static bool v_temp(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = g->temp_c;
	return live(g, AIPM_GPU_TEMP);
}

static bool v_limit(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = g->power_limit_w;
	return live(g, AIPM_GPU_LIMIT);
}

/* Cumulative: written for lost GPUs too, so totals never drop. */
static bool v_energy(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = g->energy_j;
	return g->fields & AIPM_GPU_ENERGY;
}

static bool v_attr_energy(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = g->attributed_energy_j;
	return g->fields & AIPM_GPU_ENERGY;
}

static bool v_integrated(const struct aipm_snapshot *s, const struct aipm_gpu *g, double *o)
{
	(void)s;
	*o = g->energy_integrated ? 1 : 0;
	return g->fields & AIPM_GPU_ENERGY;
}

/* Members are separated by ", " except the first after the opening brace. */
static const char *sep(const struct aipm_buf *b)
{
	return b->len && b->data[b->len - 1] == '{' ? "" : ", ";
}

/* Sum (or mean) of fn over the GPUs that have it; false when none does. */
static bool total(const struct aipm_snapshot *s, gpu_value_fn fn, bool mean, double *out)
{
	double sum = 0, v;
	size_t n = 0;
	for (size_t i = 0; i < s->ngpus; i++)
		if (fn(s, &s->gpus[i], &v)) {
			sum += v;
			n++;
		}
	*out = mean && n ? sum / (double)n : sum;
	return n > 0;
}

static void scalar(struct aipm_buf *b, const char *key, const struct aipm_snapshot *s, gpu_value_fn fn, bool mean)
{
	double v;
	if (!total(s, fn, mean, &v))
		return;
	aipm_buf_printf(b, "%s\"%s\": ", sep(b), key);
	aipm_buf_double(b, v);
}

/* {"0": v, "1": v}; with_all adds "all": the sum (AIPowerMeter's loader). */
static void per_gpu(struct aipm_buf *b, const char *key, const struct aipm_snapshot *s, gpu_value_fn fn,
		    bool with_all)
{
	double v, sum;
	bool first = true;
	aipm_buf_printf(b, "%s\"%s\": {", sep(b), key);
	for (size_t i = 0; i < s->ngpus; i++) {
		if (!fn(s, &s->gpus[i], &v))
			continue;
		aipm_buf_printf(b, "%s\"%u\": ", first ? "" : ", ", s->gpus[i].index);
		aipm_buf_double(b, v);
		first = false;
	}
	if (with_all && total(s, fn, false, &sum)) {
		aipm_buf_printf(b, "%s\"all\": ", first ? "" : ", ");
		aipm_buf_double(b, sum);
	}
	aipm_buf_puts(b, "}");
}

/* {"0": {"pid": v}}: the experiment's processes only, as AIPowerMeter
 * records them. pid 0 is a process NVML reports that is not visible from
 * aipm's PID namespace; it has no name to write. */
static void per_gpu_pid(struct aipm_buf *b, const char *key, const struct aipm_snapshot *s, unsigned bit, bool mem)
{
	bool first = true;
	aipm_buf_printf(b, "%s\"%s\": {", sep(b), key);
	for (size_t i = 0; i < s->ngpus; i++) {
		const struct aipm_gpu *g = &s->gpus[i];
		if (!live(g, bit))
			continue;
		aipm_buf_printf(b, "%s\"%u\": {", first ? "" : ", ", g->index);
		first = false;
		bool pfirst = true;
		for (size_t k = 0; k < g->nprocs; k++) {
			const struct aipm_gpu_proc *p = &g->procs[k];
			if (!p->in_experiment || p->pid <= 0 || (mem && !p->mem_valid))
				continue;
			aipm_buf_printf(b, "%s\"%d\": ", pfirst ? "" : ", ", (int)p->pid);
			if (mem)
				aipm_buf_u64(b, p->mem_bytes);
			else
				aipm_buf_u64(b, p->sm_util);
			pfirst = false;
		}
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "}");
}

void aipm_writer_format_gpu(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	if (!s->gpu_valid || s->ngpus == 0)
		return;
	aipm_buf_puts(b, ", \"gpu\": {");
	scalar(b, "nvidia_draw_absolute", s, v_power, false);
	scalar(b, "nvidia_attributable_power", s, v_attr_power, false);
	scalar(b, "nvidia_power", s, v_power, false);
	scalar(b, "nvidia_memory", s, v_mem, false);
	scalar(b, "nvidia_use_rate", s, v_sm, true);
	per_gpu(b, "per_gpu_power_draw", s, v_power, false);
	per_gpu(b, "per_gpu_attributable_power", s, v_attr_power, true);
	per_gpu(b, "per_gpu_estimated_attributable_utilization", s, v_share, false);
	per_gpu(b, "per_gpu_absolute_percent_usage", s, v_sm, false);
	per_gpu_pid(b, "per_gpu_attributable_mem_use", s, AIPM_GPU_PROC_MEM, true);
	per_gpu_pid(b, "per_gpu_per_pid_utilization_absolute", s, AIPM_GPU_PROC_UTIL, false);
	per_gpu(b, "per_gpu_power", s, v_power, false);
	per_gpu(b, "per_gpu_memory", s, v_mem, false);
	per_gpu(b, "per_gpu_use_rate", s, v_sm, false);
	per_gpu(b, "per_gpu_temperature", s, v_temp, false);
	per_gpu(b, "per_gpu_power_limit", s, v_limit, false);
	per_gpu(b, "per_gpu_energy", s, v_energy, false);
	per_gpu(b, "per_gpu_attributed_energy", s, v_attr_energy, false);
	per_gpu(b, "per_gpu_energy_integrated", s, v_integrated, false);
	aipm_buf_puts(b, "}");
}
