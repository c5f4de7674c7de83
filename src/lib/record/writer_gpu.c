/* writer_gpu.c: the GPU sections of a power_metrics.json line.
 *
 * One section per vendor of the catalog's devices, named from the vendor
 * (aipm_device_section): "gpu" for NVIDIA, with AIPowerMeter's field names
 * and units (watts, bytes, percent as NVML gives it, shares in [0,1]), and
 * "<vendor>_gpu" for any other (AMD: "amd_gpu") with the same per_gpu_*
 * keys, keyed by that vendor's own GPU index. Index 0 of two vendors thus
 * never collide, AIPowerMeter's loader keeps reading "gpu" unchanged, and a
 * new vendor needs no change here. It reads only the snapshot and its
 * catalog; the sources fill it and attribution derives shares and energies.
 *
 * Missing is not zero: a per-GPU key appears only for GPUs whose validity
 * bit says the value was read, and a scalar only when at least one GPU has
 * the value. A lost GPU keeps only its cumulative energies. A GPU whose
 * process list was not read whole has no share that sample.
 *
 * AIPowerMeter's loader (parsers.JsonParser.load_gpu_metrics) reads
 * per_gpu_attributable_power['all'] for the total attributable power, so
 * that object carries an "all" member next to the GPU indices; anything
 * that sums per-GPU values must skip it (nvidia_attributable_power is the
 * same number).
 */
#include "writer.h"

#include <stdbool.h>
#include <string.h>

/* The devices one section covers: the vendor of its first device. */
struct section {
	const struct aipm_snapshot *s;
	const char *vendor;
};

/* The value of one field for one GPU; false when it was not measured. */
typedef bool (*gpu_value_fn)(const struct aipm_gpu_value *g, double *out);

static bool live(const struct aipm_gpu_value *g, unsigned bits) { return g->valid && (g->fields & bits) == bits; }

static bool v_power(const struct aipm_gpu_value *g, double *o)
{
	*o = g->power_w;
	return live(g, AIPM_GPU_POWER);
}

static bool v_attr_power(const struct aipm_gpu_value *g, double *o)
{
	*o = g->exp_share * g->power_w;
	return live(g, AIPM_GPU_POWER) && g->share_valid;
}

static bool v_share(const struct aipm_gpu_value *g, double *o)
{
	*o = g->exp_share;
	return g->share_valid;
}

static bool v_sm(const struct aipm_gpu_value *g, double *o)
{
	*o = g->sm_util;
	return live(g, AIPM_GPU_UTIL);
}

static bool v_mem(const struct aipm_gpu_value *g, double *o)
{
	*o = (double)g->mem_used_bytes;
	return live(g, AIPM_GPU_MEM);
}

static bool v_temp(const struct aipm_gpu_value *g, double *o)
{
	*o = g->temp_c;
	return live(g, AIPM_GPU_TEMP);
}

static bool v_limit(const struct aipm_gpu_value *g, double *o)
{
	*o = g->power_limit_w;
	return live(g, AIPM_GPU_LIMIT);
}

/* Cumulative: written for lost GPUs too, so totals never drop. */
static bool v_energy(const struct aipm_gpu_value *g, double *o)
{
	*o = g->energy_j;
	return g->fields & AIPM_GPU_ENERGY;
}

static bool v_attr_energy(const struct aipm_gpu_value *g, double *o)
{
	*o = g->attributed_energy_j;
	return g->fields & AIPM_GPU_ENERGY;
}

/* Seconds the energy counter's reading was old at the line's time. */
static bool v_energy_age(const struct aipm_gpu_value *g, double *o)
{
	*o = g->energy_age_s;
	return live(g, AIPM_GPU_ENERGY_AGE);
}

static bool in(const struct section *x, size_t i) { return !strcmp(x->s->cat->devices[i].vendor, x->vendor); }

static bool v_integrated_of(const struct section *x, size_t i, double *o)
{
	*o = x->s->cat->devices[i].energy_integrated ? 1 : 0;
	return x->s->gpus[i].fields & AIPM_GPU_ENERGY;
}

/* Members are separated by ", " except the first after the opening brace. */
static const char *sep(const struct aipm_buf *b)
{
	return b->len && b->data[b->len - 1] == '{' ? "" : ", ";
}

/* Sum (or mean) of fn over the section's GPUs that have it; false if none. */
static bool total(const struct section *x, gpu_value_fn fn, bool mean, double *out)
{
	double sum = 0, v;
	size_t n = 0;
	for (size_t i = 0; i < x->s->cat->ndevices; i++)
		if (in(x, i) && fn(&x->s->gpus[i], &v)) {
			sum += v;
			n++;
		}
	*out = mean && n ? sum / (double)n : sum;
	return n > 0;
}

static void scalar(struct aipm_buf *b, const char *key, const struct section *x, gpu_value_fn fn, bool mean)
{
	double v;
	if (!total(x, fn, mean, &v))
		return;
	aipm_buf_printf(b, "%s\"%s\": ", sep(b), key);
	aipm_buf_double(b, v);
}

static void index_key(struct aipm_buf *b, const struct section *x, size_t i, bool *first)
{
	aipm_buf_printf(b, "%s\"%u\": ", *first ? "" : ", ", x->s->cat->devices[i].index);
	*first = false;
}

/* {"0": v, "1": v}; with_all adds "all": the sum (AIPowerMeter's loader). */
static void per_gpu(struct aipm_buf *b, const char *key, const struct section *x, gpu_value_fn fn, bool with_all)
{
	double v, sum;
	bool first = true;
	aipm_buf_printf(b, "%s\"%s\": {", sep(b), key);
	for (size_t i = 0; i < x->s->cat->ndevices; i++) {
		if (!in(x, i) || !fn(&x->s->gpus[i], &v))
			continue;
		index_key(b, x, i, &first);
		aipm_buf_double(b, v);
	}
	if (with_all && total(x, fn, false, &sum)) {
		aipm_buf_printf(b, "%s\"all\": ", first ? "" : ", ");
		aipm_buf_double(b, sum);
	}
	aipm_buf_puts(b, "}");
}

static void per_gpu_integrated(struct aipm_buf *b, const struct section *x)
{
	double v;
	bool first = true;
	aipm_buf_printf(b, "%s\"per_gpu_energy_integrated\": {", sep(b));
	for (size_t i = 0; i < x->s->cat->ndevices; i++) {
		if (!in(x, i) || !v_integrated_of(x, i, &v))
			continue;
		index_key(b, x, i, &first);
		aipm_buf_double(b, v);
	}
	aipm_buf_puts(b, "}");
}

/* {"0": {"pid": v}}: the experiment's processes only, as AIPowerMeter
 * records them. pid 0 is a process the library reports that is not
 * visible from aipm's PID namespace; it has no name to write. */
static void per_gpu_pid(struct aipm_buf *b, const char *key, const struct section *x, unsigned bit, bool mem)
{
	bool first = true;
	aipm_buf_printf(b, "%s\"%s\": {", sep(b), key);
	for (size_t i = 0; i < x->s->cat->ndevices; i++) {
		const struct aipm_gpu_value *g = &x->s->gpus[i];
		if (!in(x, i) || !live(g, bit))
			continue;
		index_key(b, x, i, &first);
		aipm_buf_puts(b, "{");
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

static void format_section(struct aipm_buf *b, const struct section *x, bool nvidia)
{
	char name[48];
	size_t i = 0;
	while (!in(x, i))
		i++;
	aipm_device_section(&x->s->cat->devices[i], name, sizeof name);
	aipm_buf_puts(b, ", ");
	aipm_buf_json_str(b, name);
	aipm_buf_puts(b, ": {");
	if (nvidia) {
		/* AIPowerMeter's NVIDIA scalars, named after the vendor. */
		scalar(b, "nvidia_draw_absolute", x, v_power, false);
		scalar(b, "nvidia_attributable_power", x, v_attr_power, false);
		scalar(b, "nvidia_power", x, v_power, false);
		scalar(b, "nvidia_memory", x, v_mem, false);
		scalar(b, "nvidia_use_rate", x, v_sm, true);
	}
	per_gpu(b, "per_gpu_power_draw", x, v_power, false);
	per_gpu(b, "per_gpu_attributable_power", x, v_attr_power, true);
	per_gpu(b, "per_gpu_estimated_attributable_utilization", x, v_share, false);
	per_gpu(b, "per_gpu_absolute_percent_usage", x, v_sm, false);
	per_gpu_pid(b, "per_gpu_attributable_mem_use", x, AIPM_GPU_PROC_MEM, true);
	per_gpu_pid(b, "per_gpu_per_pid_utilization_absolute", x, AIPM_GPU_PROC_UTIL, false);
	per_gpu(b, "per_gpu_power", x, v_power, false);
	per_gpu(b, "per_gpu_memory", x, v_mem, false);
	per_gpu(b, "per_gpu_use_rate", x, v_sm, false);
	per_gpu(b, "per_gpu_temperature", x, v_temp, false);
	per_gpu(b, "per_gpu_power_limit", x, v_limit, false);
	per_gpu(b, "per_gpu_energy", x, v_energy, false);
	per_gpu(b, "per_gpu_attributed_energy", x, v_attr_energy, false);
	if (total(x, v_energy_age, false, &(double){0}))
		per_gpu(b, "per_gpu_energy_age", x, v_energy_age, false);
	per_gpu_integrated(b, x);
	aipm_buf_puts(b, "}");
}

void aipm_writer_format_gpu(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	const struct aipm_catalog *c = s->cat;
	/* Sections in the order their vendor first appears in the catalog. */
	for (size_t i = 0; i < c->ndevices; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(c->devices[k].vendor, c->devices[i].vendor);
		if (seen)
			continue;
		struct section x = {.s = s, .vendor = c->devices[i].vendor};
		format_section(b, &x, !strcmp(x.vendor, "nvidia"));
	}
}
