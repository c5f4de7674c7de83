/* summary_out.c: a summary as text or JSON, and the side files it shows.
 *
 * The view end of the analysis stage: it formats numbers summary.c
 * computed and reads the small files around power_metrics.json
 * (metadata.json for the description and GPU names, model_summary.json for
 * the model). Numbers are written in the C locale whatever the caller's
 * locale is. Missing values are left out of the text and are null in JSON.
 */
#include <cJSON.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "summary.h"

#define J_PER_WH 3600.0

static char *read_small(const char *path, size_t limit)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = malloc(limit + 1);
	size_t n = buf ? fread(buf, 1, limit, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static void copy_str(char *dst, size_t size, const cJSON *j)
{
	if (cJSON_IsString(j))
		snprintf(dst, size, "%s", j->valuestring);
}

/* GPU descriptions may sit in metadata.json as a "gpus" (or "devices")
 * list: aipm writes them in the nvml source's "details" (metadata.c, from
 * nvml.c's describe); older layouts had them at the top or in the source
 * itself. Read what is there. */
static void gpus_from(struct aipm_summary *s, const cJSON *list)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, list)
	{
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(d, "index");
		if (!cJSON_IsNumber(idx))
			continue;
		for (int i = 0; i < s->ngpus; i++) {
			struct aipm_summary_gpu *g = &s->gpus[i];
			if (g->index != idx->valueint)
				continue;
			copy_str(g->name, sizeof g->name, cJSON_GetObjectItemCaseSensitive(d, "name"));
			copy_str(g->uuid, sizeof g->uuid, cJSON_GetObjectItemCaseSensitive(d, "uuid"));
			const cJSON *src = cJSON_GetObjectItemCaseSensitive(d, "energy_source");
			if (cJSON_IsString(src) && !strcmp(src->valuestring, "integrated"))
				g->energy_source = "integrated";
		}
	}
}

/* Why RAPL or NVML measured nothing, as the source said when the run
 * started: the report repeats it when there is no energy. */
static void source_reason(struct aipm_summary *s, const cJSON *src)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(src, "name");
	if (!cJSON_IsString(name) || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src, "available")))
		return;
	if (!strcmp(name->valuestring, "rapl")) {
		copy_str(s->cpu_reason, sizeof s->cpu_reason, cJSON_GetObjectItemCaseSensitive(src, "reason"));
		copy_str(s->cpu_fix, sizeof s->cpu_fix, cJSON_GetObjectItemCaseSensitive(src, "fix"));
	} else if (!strcmp(name->valuestring, "nvml")) {
		copy_str(s->gpu_reason, sizeof s->gpu_reason, cJSON_GetObjectItemCaseSensitive(src, "reason"));
	}
}

static double json_num(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

void aipm_summary_read_side_files(struct aipm_summary *s, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/metadata.json", dir);
	char *text = read_small(path, 16u << 20);
	cJSON *m = text ? cJSON_Parse(text) : NULL;
	if (m) {
		copy_str(s->description, sizeof s->description, cJSON_GetObjectItemCaseSensitive(m, "description"));
		gpus_from(s, cJSON_GetObjectItemCaseSensitive(m, "gpus"));
		const cJSON *src;
		cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(m, "sources"))
		{
			const cJSON *details = cJSON_GetObjectItemCaseSensitive(src, "details");
			gpus_from(s, cJSON_GetObjectItemCaseSensitive(details, "gpus"));
			gpus_from(s, cJSON_GetObjectItemCaseSensitive(src, "gpus"));
			gpus_from(s, cJSON_GetObjectItemCaseSensitive(src, "devices"));
			source_reason(s, src);
		}
		/* Only aipm writes its version there; a recording of a machine
		 * without RAPL or GPU has no counter to tell it by. */
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "aipm_version")))
			s->format = "aipm";
	}
	cJSON_Delete(m);
	free(text);
	snprintf(path, sizeof path, "%s/model_summary.json", dir);
	text = read_small(path, 16u << 20);
	m = text ? cJSON_Parse(text) : NULL;
	if (m) {
		/* aipm's model module writes params_total and macs; AIPowerMeter
		 * wrote total_params and total_mult_adds. */
		s->model_params = json_num(m, "params_total");
		if (isnan(s->model_params))
			s->model_params = json_num(m, "total_params");
		s->model_macs = json_num(m, "macs");
		if (isnan(s->model_macs))
			s->model_macs = json_num(m, "total_mult_adds");
	}
	cJSON_Delete(m);
	free(text);
}

/* printf in the C locale: a report must not say 1,5 J under a French
 * locale any more than JSON may. */
static locale_t c_loc;
static pthread_once_t c_loc_once = PTHREAD_ONCE_INIT;
static void c_loc_init(void) { c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static void cprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cprintf(FILE *f, const char *fmt, ...)
{
	pthread_once(&c_loc_once, c_loc_init);
	locale_t old = c_loc ? uselocale(c_loc) : (locale_t)0;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (c_loc)
		uselocale(old);
}

static void fmt_date(char *buf, size_t size, double ts)
{
	time_t t = (time_t)floor(ts);
	struct tm tm;
	localtime_r(&t, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06d", (int)((ts - floor(ts)) * 1e6));
}

static const char *bytes_h(char *buf, size_t size, double b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (b >= 1024 && u < 4)
		b /= 1024, u++;
	pthread_once(&c_loc_once, c_loc_init);
	locale_t old = c_loc ? uselocale(c_loc) : (locale_t)0;
	snprintf(buf, size, "%.1f %s", b, unit[u]);
	if (c_loc)
		uselocale(old);
	return buf;
}

static void energy_row(FILE *f, const char *name, double j)
{
	if (!isnan(j))
		cprintf(f, "  %-16s %14.3f J %12.6f Wh\n", name, j, j / J_PER_WH);
}

/* Energy that emissions are computed on: what the machine drew, as far as
 * measured: CPU packages + DRAM + GPUs (psys alone when it is all there is:
 * it already includes the others). */
static double machine_j(const struct aipm_summary *s)
{
	double e = NAN;
	const enum aipm_total parts[] = {AIPM_TOTAL_CPU, AIPM_TOTAL_DRAM, AIPM_TOTAL_GPU};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(parts); i++)
		if (!isnan(s->total_j[parts[i]]))
			e = isnan(e) ? s->total_j[parts[i]] : e + s->total_j[parts[i]];
	return isnan(e) ? s->total_j[AIPM_TOTAL_PSYS] : e;
}

static double attributed_sum(const struct aipm_summary *s)
{
	double v[] = {s->attributed_cpu_j, s->attributed_dram_j, s->attributed_gpu_j}, e = NAN;
	for (size_t i = 0; i < 3; i++)
		if (!isnan(v[i]))
			e = isnan(e) ? v[i] : e + v[i];
	return e;
}

static bool zone_is_kind_total(const char *name)
{
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		if (!strcmp(name, aipm_total_name((enum aipm_total)t)))
			return true;
	return false;
}

/* A recording with no energy at all: say so plainly, and why, in the
 * sources' own words from metadata.json (the line `aipm run` printed when
 * it started), so the fix is in the report too. */
static void no_energy(const struct aipm_summary *s, FILE *f)
{
	cprintf(f, "  no energy was measured: the recording has no RAPL zone, no GPU and no power field\n");
	if (s->cpu_reason[0])
		cprintf(f, "  CPU: %s\n", s->cpu_reason);
	if (s->cpu_fix[0])
		cprintf(f, "       to measure it: %s\n", s->cpu_fix);
	if (s->gpu_reason[0])
		cprintf(f, "  GPU: %s\n", s->gpu_reason);
}

void aipm_summary_print(const struct aipm_summary *s, FILE *f)
{
	char a[64], b[64];
	if (s->recordings > 1)
		cprintf(f, "total of %d recordings\n", s->recordings);
	else
		cprintf(f, "recording    %s (%s, %d segment%s)\n", s->dir, s->format ? s->format : "no samples",
			s->segments, s->segments == 1 ? "" : "s");
	if (s->description[0])
		cprintf(f, "description  %s\n", s->description);
	if (!isnan(s->start_ts)) {
		fmt_date(a, sizeof a, s->start_ts);
		fmt_date(b, sizeof b, s->end_ts);
		cprintf(f, "from         %s to %s\n", a, b);
	}
	if (!isnan(s->window_from_ts) || !isnan(s->window_to_ts))
		cprintf(f, "window       only the samples between --from and --to\n");
	if (!isnan(s->duration_s))
		cprintf(f, "duration     %.3f s\n", s->duration_s);
	cprintf(f, "energy\n");
	energy_row(f, "cpu_total", s->total_j[AIPM_TOTAL_CPU]);
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		if (t != AIPM_TOTAL_CPU)
			energy_row(f, aipm_total_name((enum aipm_total)t), s->total_j[t]);
	for (int z = 0; z < s->nzones; z++)
		if (!zone_is_kind_total(s->zones[z].name))
			energy_row(f, s->zones[z].name, s->zones[z].energy_j);
	bool any = false;
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		any |= !isnan(s->total_j[t]);
	if (!any)
		no_energy(s, f);
	if (!isnan(attributed_sum(s))) {
		cprintf(f, "attributed to the experiment\n");
		energy_row(f, "cpu", s->attributed_cpu_j);
		energy_row(f, "dram", s->attributed_dram_j);
		energy_row(f, "gpu", s->attributed_gpu_j);
	}
	for (int i = 0; i < s->ngpus; i++) {
		const struct aipm_summary_gpu *g = &s->gpus[i];
		if (s->recordings > 1)
			cprintf(f, "gpu %d.%d      %s\n", g->recording, g->index, g->name[0] ? g->name : "");
		else
			cprintf(f, "gpu %-8d %s\n", g->index, g->name[0] ? g->name : "");
		if (!isnan(g->energy_j))
			cprintf(f, "  energy       %.3f J (%.6f Wh, %s)\n", g->energy_j, g->energy_j / J_PER_WH,
				g->energy_source ? g->energy_source : "?");
		if (!isnan(g->attributed_j))
			cprintf(f, "  attributed   %.3f J\n", g->attributed_j);
		if (!isnan(g->sm_mean))
			cprintf(f, "  SM use mean  %.1f %%\n", g->sm_mean);
		if (!isnan(g->mem_peak_bytes))
			cprintf(f, "  memory peak  %s\n", bytes_h(a, sizeof a, g->mem_peak_bytes));
	}
	if (!isnan(s->cpu_time_s))
		cprintf(f, "cpu time     %.3f s\n", s->cpu_time_s);
	if (!isnan(s->pss_peak_bytes))
		cprintf(f, "memory PSS   mean %s, peak %s\n", bytes_h(a, sizeof a, s->pss_mean_bytes),
			bytes_h(b, sizeof b, s->pss_peak_bytes));
	if (!isnan(s->uss_peak_bytes))
		cprintf(f, "memory USS   mean %s, peak %s\n", bytes_h(a, sizeof a, s->uss_mean_bytes),
			bytes_h(b, sizeof b, s->uss_peak_bytes));
	if (!isnan(s->model_params) || !isnan(s->model_macs)) {
		cprintf(f, "model       ");
		if (!isnan(s->model_params))
			cprintf(f, " %.0f parameters", s->model_params);
		if (!isnan(s->model_macs))
			cprintf(f, " %.0f MACs", s->model_macs);
		cprintf(f, "\n");
	}
	double e = machine_j(s);
	if (!isnan(s->pue) && !isnan(e)) {
		e *= s->pue;
		cprintf(f, "facility     %.3f J (%.6f kWh) with PUE %g\n", e, e / J_PER_WH / 1000, s->pue);
	}
	if (!isnan(s->carbon_g_per_kwh) && !isnan(e))
		cprintf(f, "emissions    %.3f gCO2e at %g gCO2e/kWh\n", e / J_PER_WH / 1000 * s->carbon_g_per_kwh,
			s->carbon_g_per_kwh);
	long long skipped = s->blank + s->corrupt + s->truncated;
	cprintf(f, "lines        %lld samples", s->lines);
	if (s->outside_window)
		cprintf(f, " (+%lld outside the window)", s->outside_window);
	if (skipped)
		cprintf(f, ", %lld skipped (%lld blank, %lld corrupt, %lld truncated)", skipped, s->blank, s->corrupt,
			s->truncated);
	if (s->unknown_fields)
		cprintf(f, ", %lld unknown fields ignored", s->unknown_fields);
	cprintf(f, "\n");
}

static void kv_num(struct aipm_buf *b, const char *k, double v, bool *first)
{
	if (!*first)
		aipm_buf_puts(b, ", ");
	*first = false;
	aipm_buf_json_str(b, k);
	aipm_buf_puts(b, ": ");
	aipm_buf_double(b, v); /* null when NAN */
}

static void kv_int(struct aipm_buf *b, const char *k, long long v, bool *first)
{
	kv_num(b, k, (double)v, first);
}

static void kv_str(struct aipm_buf *b, const char *k, const char *v, bool *first)
{
	if (!*first)
		aipm_buf_puts(b, ", ");
	*first = false;
	aipm_buf_json_str(b, k);
	aipm_buf_puts(b, ": ");
	if (v)
		aipm_buf_json_str(b, v);
	else
		aipm_buf_puts(b, "null");
}

static void key(struct aipm_buf *b, const char *k, bool *first)
{
	if (!*first)
		aipm_buf_puts(b, ", ");
	*first = false;
	aipm_buf_json_str(b, k);
	aipm_buf_puts(b, ": ");
}

/* Energies by name, present values only (missing is absent, not 0). */
static void energies(struct aipm_buf *b, const struct aipm_summary *s, double scale)
{
	bool f = true;
	aipm_buf_puts(b, "{");
	for (int z = 0; z < s->nzones; z++)
		if (!isnan(s->zones[z].energy_j) && !zone_is_kind_total(s->zones[z].name))
			kv_num(b, s->zones[z].name, s->zones[z].energy_j * scale, &f);
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		if (!isnan(s->total_j[t]))
			kv_num(b, aipm_total_name((enum aipm_total)t), s->total_j[t] * scale, &f);
	aipm_buf_puts(b, "}");
}

void aipm_summary_json(const struct aipm_summary *s, struct aipm_buf *b)
{
	char date[64];
	bool f = true;
	aipm_buf_puts(b, "{");
	if (s->recordings == 1)
		kv_str(b, "dir", s->dir, &f);
	kv_int(b, "recordings", s->recordings, &f);
	kv_str(b, "format", s->format, &f);
	kv_str(b, "description", s->description[0] ? s->description : NULL, &f);
	kv_num(b, "start_timestamp", s->start_ts, &f);
	kv_num(b, "end_timestamp", s->end_ts, &f);
	if (!isnan(s->start_ts)) {
		fmt_date(date, sizeof date, s->start_ts);
		kv_str(b, "start_date", date, &f);
		fmt_date(date, sizeof date, s->end_ts);
		kv_str(b, "end_date", date, &f);
	}
	if (!isnan(s->window_from_ts) || !isnan(s->window_to_ts)) {
		bool w = true;
		key(b, "window", &f);
		aipm_buf_puts(b, "{");
		kv_num(b, "from_timestamp", s->window_from_ts, &w);
		kv_num(b, "to_timestamp", s->window_to_ts, &w);
		aipm_buf_puts(b, "}");
	}
	kv_num(b, "duration_s", s->duration_s, &f);
	kv_int(b, "segments", s->segments, &f);
	key(b, "energy_j", &f);
	energies(b, s, 1);
	key(b, "energy_wh", &f);
	energies(b, s, 1 / J_PER_WH);
	/* Why a part was not measured, as the source said at the start: a JSON
	 * consumer must be able to tell "no RAPL here" from "0 J". */
	if (s->cpu_reason[0] || s->gpu_reason[0]) {
		bool u = true;
		key(b, "unmeasured", &f);
		aipm_buf_puts(b, "{");
		if (s->cpu_reason[0]) {
			bool c = true;
			key(b, "cpu", &u);
			aipm_buf_puts(b, "{");
			kv_str(b, "reason", s->cpu_reason, &c);
			if (s->cpu_fix[0])
				kv_str(b, "fix", s->cpu_fix, &c);
			aipm_buf_puts(b, "}");
		}
		if (s->gpu_reason[0]) {
			bool g = true;
			key(b, "gpu", &u);
			aipm_buf_puts(b, "{");
			kv_str(b, "reason", s->gpu_reason, &g);
			aipm_buf_puts(b, "}");
		}
		aipm_buf_puts(b, "}");
	}
	key(b, "attributed_j", &f);
	bool a = true;
	aipm_buf_puts(b, "{");
	if (!isnan(s->attributed_cpu_j))
		kv_num(b, "cpu", s->attributed_cpu_j, &a);
	if (!isnan(s->attributed_dram_j))
		kv_num(b, "dram", s->attributed_dram_j, &a);
	if (!isnan(s->attributed_gpu_j))
		kv_num(b, "gpu", s->attributed_gpu_j, &a);
	aipm_buf_puts(b, "}");
	kv_num(b, "cpu_time_s", s->cpu_time_s, &f);
	key(b, "memory", &f);
	bool m = true;
	aipm_buf_puts(b, "{");
	kv_num(b, "pss_mean_bytes", s->pss_mean_bytes, &m);
	kv_num(b, "pss_peak_bytes", s->pss_peak_bytes, &m);
	kv_num(b, "uss_mean_bytes", s->uss_mean_bytes, &m);
	kv_num(b, "uss_peak_bytes", s->uss_peak_bytes, &m);
	aipm_buf_puts(b, "}");
	key(b, "gpus", &f);
	aipm_buf_puts(b, "[");
	for (int i = 0; i < s->ngpus; i++) {
		const struct aipm_summary_gpu *g = &s->gpus[i];
		bool gf = true;
		aipm_buf_puts(b, i ? ", {" : "{");
		kv_int(b, "index", g->index, &gf);
		if (s->recordings > 1)
			kv_int(b, "recording", g->recording, &gf);
		kv_str(b, "name", g->name[0] ? g->name : NULL, &gf);
		if (g->uuid[0])
			kv_str(b, "uuid", g->uuid, &gf);
		kv_num(b, "energy_j", g->energy_j, &gf);
		kv_num(b, "attributed_j", g->attributed_j, &gf);
		kv_str(b, "energy_source", g->energy_source, &gf);
		kv_num(b, "sm_mean", g->sm_mean, &gf);
		kv_num(b, "mem_peak_bytes", g->mem_peak_bytes, &gf);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]");
	if (!isnan(s->model_params) || !isnan(s->model_macs)) {
		bool mf = true;
		key(b, "model", &f);
		aipm_buf_puts(b, "{");
		kv_num(b, "params_total", s->model_params, &mf);
		kv_num(b, "macs", s->model_macs, &mf);
		aipm_buf_puts(b, "}");
	}
	double e = machine_j(s);
	if (!isnan(s->pue)) {
		kv_num(b, "pue", s->pue, &f);
		kv_num(b, "facility_energy_j", e * s->pue, &f);
		if (!isnan(e))
			e *= s->pue;
	}
	if (!isnan(s->carbon_g_per_kwh)) {
		kv_num(b, "carbon_intensity_g_per_kwh", s->carbon_g_per_kwh, &f);
		kv_num(b, "emissions_g", e / J_PER_WH / 1000 * s->carbon_g_per_kwh, &f);
	}
	kv_int(b, "lines", s->lines, &f);
	kv_int(b, "skipped_lines", s->blank + s->corrupt + s->truncated, &f);
	key(b, "skipped", &f);
	bool k = true;
	aipm_buf_puts(b, "{");
	kv_int(b, "blank", s->blank, &k);
	kv_int(b, "corrupt", s->corrupt, &k);
	kv_int(b, "truncated", s->truncated, &k);
	aipm_buf_puts(b, "}");
	kv_int(b, "outside_window", s->outside_window, &f);
	kv_int(b, "unknown_fields", s->unknown_fields, &f);
	aipm_buf_puts(b, "}");
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
	if (aipm_date_parse(arg, NULL, value)) {
		*relative = false;
		return 0;
	}
	return aipm_err(-EINVAL, "'%s' is neither seconds from the start (e.g. 90.5) nor a date "
			"\"YYYY-MM-DD HH:MM:SS[.ffffff]\" in local time", arg);
}
