/* summary_meta.c: the summary object (new, free), what it takes from the
 * side files, and totals of several recordings. summary.c fills one from
 * power_metrics.json and calls here; nothing here calls summary.c.
 *
 * metadata.json and model_summary.json are read by record/sidefiles.c;
 * this file only decides what of them a summary shows: the description,
 * GPU names, why a part measured nothing (only for a part that did
 * measure nothing), the sources' failed samples, the model, and whether
 * metadata.json itself was there and whole (a recording must not lose its
 * description silently).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "summary.h"

static void name_gpus(struct aipm_summary *s, const struct aipm_meta *m)
{
	for (int i = 0; i < s->ngpus; i++) {
		struct aipm_summary_gpu *g = &s->gpus[i];
		const struct aipm_meta_gpu *d = aipm_meta_gpu(m, g->vendor, g->index);
		if (!d)
			continue;
		snprintf(g->name, sizeof g->name, "%s", d->name);
		snprintf(g->uuid, sizeof g->uuid, "%s", d->uuid);
		if (d->integrated && g->energy_source)
			g->energy_source = "integrated";
	}
}

static void reasons(struct aipm_summary *s, const struct aipm_meta *m)
{
	char fix[512];
	if (isnan(s->total_j[AIPM_TOTAL_CPU]))
		aipm_meta_unmeasured(m, AIPM_META_CPU_ENERGY, s->cpu_reason, sizeof s->cpu_reason, s->cpu_fix,
				     sizeof s->cpu_fix);
	if (isnan(s->total_j[AIPM_TOTAL_DRAM]) && isnan(s->total_j[AIPM_TOTAL_CPU]))
		aipm_meta_unmeasured(m, AIPM_META_DRAM_ENERGY, s->dram_reason, sizeof s->dram_reason, fix,
				     sizeof fix);
	if (isnan(s->total_j[AIPM_TOTAL_GPU]))
		aipm_meta_unmeasured(m, AIPM_META_GPU_ENERGY, s->gpu_reason, sizeof s->gpu_reason, fix, sizeof fix);
}

static int health(struct aipm_summary *s, const struct aipm_meta *m)
{
	for (size_t i = 0; i < m->nhealth; i++) {
		if (m->health[i].failed <= 0)
			continue;
		void *v = realloc(s->health, (s->nhealth + 1) * sizeof *s->health);
		if (!v)
			return -ENOMEM;
		s->health = v;
		s->health[s->nhealth++] = m->health[i];
	}
	return 0;
}

int aipm_summary_read_side_files(struct aipm_summary *s, const char *dir)
{
	struct aipm_meta m;
	int rc = aipm_meta_read(dir, &m);
	if (rc < 0)
		return rc;
	s->meta_status = m.status;
	snprintf(s->meta_problem, sizeof s->meta_problem, "%s", m.problem);
	snprintf(s->description, sizeof s->description, "%s", m.description);
	if (m.aipm)
		s->format = "aipm";
	name_gpus(s, &m);
	reasons(s, &m);
	s->est.how = m.estimate;
	rc = health(s, &m);
	aipm_meta_free(&m);
	if (rc < 0)
		return aipm_err(rc, "out of memory");
	return aipm_model_numbers(dir, &s->model_params, &s->model_macs);
}

struct aipm_summary *aipm_summary_new(void)
{
	struct aipm_summary *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->recordings = 1;
	s->start_ts = s->end_ts = s->window_from_ts = s->window_to_ts = s->duration_s = NAN;
	for (int i = 0; i < AIPM_TOTAL_COUNT; i++)
		s->total_j[i] = NAN;
	s->attributed_cpu_j = s->attributed_dram_j = s->attributed_gpu_j = s->cpu_time_s = NAN;
	aipm_summary_estimate_init(&s->est);
	s->pss_mean_bytes = s->pss_peak_bytes = s->uss_mean_bytes = s->uss_peak_bytes = NAN;
	s->model_params = s->model_macs = NAN;
	s->carbon_g_per_kwh = s->pue = NAN;
	s->pss_sum_ = s->uss_sum_ = NAN;
	return s;
}

void aipm_summary_free(struct aipm_summary *s)
{
	if (!s)
		return;
	free(s->gpus);
	free(s->health);
	free(s);
}

struct aipm_summary *aipm_summary_new_total(void)
{
	struct aipm_summary *s = aipm_summary_new();
	if (s) {
		s->recordings = 0;
		snprintf(s->dir, sizeof s->dir, "total");
	}
	return s;
}

static void add_zones(struct aipm_summary *t, const struct aipm_summary *s)
{
	for (int z = 0; z < s->nzones; z++) {
		int id = -1;
		for (int i = 0; i < t->nzones; i++)
			if (!strcmp(t->zones[i].name, s->zones[z].name))
				id = i;
		if (id < 0 && t->nzones < AIPM_FORMAT_MAX_ZONES) {
			id = t->nzones++;
			t->zones[id] = s->zones[z];
			t->zones[id].energy_j = NAN;
		}
		if (id >= 0)
			t->zones[id].energy_j = aipm_nadd(t->zones[id].energy_j, s->zones[z].energy_j);
	}
}

static int add_health(struct aipm_summary *t, const struct aipm_summary *s)
{
	for (size_t i = 0; i < s->nhealth; i++) {
		size_t k = 0;
		while (k < t->nhealth && strcmp(t->health[k].source, s->health[i].source))
			k++;
		if (k == t->nhealth) {
			void *v = realloc(t->health, (t->nhealth + 1) * sizeof *t->health);
			if (!v)
				return -ENOMEM;
			t->health = v;
			t->health[t->nhealth++] = s->health[i];
			continue;
		}
		t->health[k].samples += s->health[i].samples;
		t->health[k].failed += s->health[i].failed;
		snprintf(t->health[k].last_error, sizeof t->health[k].last_error, "%s", s->health[i].last_error);
	}
	return 0;
}

static void first_reason(char *dst, size_t n, const char *src)
{
	if (!dst[0])
		snprintf(dst, n, "%s", src);
}

int aipm_summary_add(struct aipm_summary *t, const struct aipm_summary *s)
{
	int rec = t->recordings++;
	/* The span of a multi-node job runs from the earliest start to the
	 * latest end; its energies, CPU time and memory add up. */
	t->start_ts = isnan(t->start_ts) || s->start_ts < t->start_ts ? s->start_ts : t->start_ts;
	t->end_ts = isnan(t->end_ts) || s->end_ts > t->end_ts ? s->end_ts : t->end_ts;
	t->duration_s = isnan(t->start_ts) || isnan(t->end_ts) ? NAN : t->end_ts - t->start_ts;
	t->window_interpolated |= s->window_interpolated;
	long long *const tc[] = {&t->lines, &t->samples, &t->outside_window, &t->blank, &t->corrupt, &t->truncated,
				 &t->out_of_order, &t->unknown_fields, &t->dropped, &t->edge_samples, &t->counter_resets};
	const long long sc[] = {s->lines, s->samples, s->outside_window, s->blank, s->corrupt, s->truncated,
				s->out_of_order, s->unknown_fields, s->dropped, s->edge_samples, s->counter_resets};
	for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++)
		*tc[i] += sc[i];
	t->segments += s->segments;
	t->backward_segments += s->backward_segments;
	add_zones(t, s);
	for (int i = 0; i < AIPM_TOTAL_COUNT; i++)
		t->total_j[i] = aipm_nadd(t->total_j[i], s->total_j[i]);
	t->attributed_cpu_j = aipm_nadd(t->attributed_cpu_j, s->attributed_cpu_j);
	t->attributed_dram_j = aipm_nadd(t->attributed_dram_j, s->attributed_dram_j);
	t->attributed_gpu_j = aipm_nadd(t->attributed_gpu_j, s->attributed_gpu_j);
	t->cpu_time_s = aipm_nadd(t->cpu_time_s, s->cpu_time_s);
	aipm_summary_estimate_add(&t->est, &s->est, rec == 0);
	t->pss_mean_bytes = aipm_nadd(t->pss_mean_bytes, s->pss_mean_bytes);
	t->uss_mean_bytes = aipm_nadd(t->uss_mean_bytes, s->uss_mean_bytes);
	t->pss_peak_bytes = aipm_nadd(t->pss_peak_bytes, s->pss_peak_bytes);
	t->uss_peak_bytes = aipm_nadd(t->uss_peak_bytes, s->uss_peak_bytes);
	if (s->ngpus) {
		void *v = realloc(t->gpus, (size_t)(t->ngpus + s->ngpus) * sizeof *t->gpus);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		t->gpus = v;
		for (int i = 0; i < s->ngpus; i++) {
			t->gpus[t->ngpus] = s->gpus[i];
			t->gpus[t->ngpus++].recording = rec;
		}
	}
	if (add_health(t, s) < 0)
		return aipm_err(-ENOMEM, "out of memory");
	if (!t->format || (s->format && strcmp(t->format, s->format)))
		t->format = t->format ? "mixed" : s->format;
	if (rec == 0)
		snprintf(t->description, sizeof t->description, "%s", s->description);
	if (!t->cpu_reason[0])
		snprintf(t->cpu_fix, sizeof t->cpu_fix, "%s", s->cpu_fix);
	first_reason(t->cpu_reason, sizeof t->cpu_reason, s->cpu_reason);
	first_reason(t->dram_reason, sizeof t->dram_reason, s->dram_reason);
	first_reason(t->gpu_reason, sizeof t->gpu_reason, s->gpu_reason);
	/* The total measured something when any recording did. */
	if (rec == 0)
		snprintf(t->missing, sizeof t->missing, "%s", s->missing);
	else if (!s->missing[0])
		t->missing[0] = '\0';
	if (s->meta_status != AIPM_META_OK && t->meta_status == AIPM_META_OK) {
		t->meta_status = s->meta_status;
		snprintf(t->meta_problem, sizeof t->meta_problem, "%s", s->meta_problem);
	}
	t->window_from_ts = s->window_from_ts;
	t->window_to_ts = s->window_to_ts;
	return 0;
}

int aipm_summary_parse_time(const char *arg, double *value, bool *relative)
{
	char *end;
	double v = strtod(arg, &end);
	if (end != arg && !*end && isfinite(v) && v >= 0) {
		*value = v;
		*relative = true;
		return 0;
	}
	if (aipm_format_date_parse(arg, NULL, value)) {
		*relative = false;
		return 0;
	}
	return aipm_err(-EINVAL, "'%s' is neither seconds from the start (e.g. 90.5) nor a date "
			"\"YYYY-MM-DD HH:MM:SS[.ffffff]\" in local time", arg);
}
