/* summary_out.c: a summary as text or JSON.
 *
 * The view end of the analysis stage: it formats numbers summary.c and
 * summary_meta.c computed and reads nothing itself. Numbers are written in
 * the C locale whatever the caller's locale is (out.h). Missing values are
 * left out of the text and are null (or absent) in JSON; a window nothing
 * measured says why.
 */
#include <math.h>
#include <string.h>

#include "analysis/out.h"
#include "summary.h"

#define J_PER_WH 3600.0

static const char *const meta_status_names[] = {"ok", "missing", "unreadable", "corrupt"};

static struct aipm_totals totals_of(const struct aipm_summary *s)
{
	struct aipm_totals t;
	memcpy(t.total_j, s->total_j, sizeof t.total_j);
	t.attributed_cpu_j = s->attributed_cpu_j;
	t.attributed_dram_j = s->attributed_dram_j;
	t.attributed_gpu_j = s->attributed_gpu_j;
	t.cpu_time_s = s->cpu_time_s;
	memcpy(t.est_j, s->est.j, sizeof t.est_j);
	return t;
}

void aipm_summary_gpu_label(const struct aipm_summary_gpu *g, char *out, size_t n)
{
	snprintf(out, n, "%s:%ld", g->vendor, g->index);
}

static const char *bytes_h(char *buf, size_t size, double b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (b >= 1024 && u < 4)
		b /= 1024, u++;
	struct aipm_buf t = {0};
	aipm_buf_cprintf(&t, "%.1f %s", b, unit[u]);
	snprintf(buf, size, "%s", t.data ? t.data : "?");
	aipm_buf_free(&t);
	return buf;
}

static void energy_row(FILE *f, const char *name, double j)
{
	if (!isnan(j))
		aipm_cfprintf(f, "  %-16s %14.3f J %12.6f Wh\n", name, j, j / J_PER_WH);
}

static bool zone_is_kind_total(const char *name)
{
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		if (!strcmp(name, aipm_total_name((enum aipm_total)t)))
			return true;
	return false;
}

/* No energy at all: say why. A window or a recording that no sample
 * interval covers says that; otherwise the recording has no source of
 * energy, in the sources' own words from metadata.json (the line `aipm
 * run` printed when it started), so the fix is in the report too. */
static void no_energy(const struct aipm_summary *s, FILE *f)
{
	bool window = !isnan(s->window_from_ts) || !isnan(s->window_to_ts);
	if (s->missing[0])
		aipm_cfprintf(f, "  no energy in %s: %s\n", window ? "this window" : "this recording", s->missing);
	else
		aipm_cfprintf(f, "  no energy was measured: the recording has no RAPL zone, no GPU and no power field\n");
	if (s->cpu_reason[0])
		aipm_cfprintf(f, "  CPU: %s\n", s->cpu_reason);
	if (s->cpu_fix[0])
		aipm_cfprintf(f, "       to measure it: %s\n", s->cpu_fix);
	if (s->gpu_reason[0])
		aipm_cfprintf(f, "  GPU: %s\n", s->gpu_reason);
}

static void print_head(const struct aipm_summary *s, FILE *f)
{
	char a[64], b[64];
	if (s->recordings > 1)
		aipm_cfprintf(f, "total of %d recordings\n", s->recordings);
	else
		aipm_cfprintf(f, "recording    %s (%s, %d segment%s)\n", s->dir, s->format ? s->format : "no samples",
			      s->segments, s->segments == 1 ? "" : "s");
	if (s->description[0])
		aipm_cfprintf(f, "description  %s\n", s->description);
	if (s->meta_status != AIPM_META_OK && s->recordings <= 1)
		aipm_cfprintf(f, "metadata     %s: %s\n", meta_status_names[s->meta_status], s->meta_problem);
	if (!isnan(s->start_ts)) {
		aipm_format_date_ts(a, sizeof a, s->start_ts);
		aipm_format_date_ts(b, sizeof b, s->end_ts);
		aipm_cfprintf(f, "from         %s to %s\n", a, b);
	}
	if (!isnan(s->window_from_ts) || !isnan(s->window_to_ts))
		aipm_cfprintf(f, "window       between --from and --to; %s\n",
			      s->window_interpolated ? "edges between samples: counters interpolated linearly there"
						     : "edges at samples or outside the recording");
	if (!isnan(s->duration_s))
		aipm_cfprintf(f, "duration     %.3f s\n", s->duration_s);
}

static void print_gpus(const struct aipm_summary *s, FILE *f)
{
	char a[64], label[64];
	for (int i = 0; i < s->ngpus; i++) {
		const struct aipm_summary_gpu *g = &s->gpus[i];
		aipm_summary_gpu_label(g, label, sizeof label);
		if (s->recordings > 1)
			aipm_cfprintf(f, "gpu %d.%-10s %s\n", g->recording, label, g->name);
		else
			aipm_cfprintf(f, "gpu %-12s %s\n", label, g->name);
		if (!isnan(g->energy_j))
			aipm_cfprintf(f, "  energy       %.3f J (%.6f Wh, %s)\n", g->energy_j, g->energy_j / J_PER_WH,
				      g->energy_source ? g->energy_source : "?");
		if (!isnan(g->attributed_j))
			aipm_cfprintf(f, "  attributed   %.3f J\n", g->attributed_j);
		if (!isnan(g->sm_mean))
			aipm_cfprintf(f, "  SM use mean  %.1f %%\n", g->sm_mean);
		if (!isnan(g->mem_peak_bytes))
			aipm_cfprintf(f, "  memory peak  %s\n", bytes_h(a, sizeof a, g->mem_peak_bytes));
	}
}

static void print_lines(const struct aipm_summary *s, FILE *f)
{
	long long skipped = s->blank + s->corrupt + s->truncated + s->out_of_order;
	aipm_cfprintf(f, "lines        %lld samples", s->lines);
	if (s->edge_samples)
		aipm_cfprintf(f, " (%lld off-grid, at phase edges or logged points)", s->edge_samples);
	if (s->outside_window)
		aipm_cfprintf(f, " (+%lld outside the window)", s->outside_window);
	if (skipped) {
		aipm_cfprintf(f, ", %lld skipped (%lld blank, %lld corrupt, %lld truncated", skipped, s->blank,
			      s->corrupt, s->truncated);
		if (s->out_of_order)
			aipm_cfprintf(f, ", %lld not later than the sample before", s->out_of_order);
		aipm_cfprintf(f, ")");
	}
	if (s->unknown_fields)
		aipm_cfprintf(f, ", %lld unknown fields ignored", s->unknown_fields);
	if (s->dropped)
		aipm_cfprintf(f, ", %lld values past the reader's limits skipped", s->dropped);
	if (s->counter_resets)
		aipm_cfprintf(f, ", %lld counter drops left out (a segment without its END line?)", s->counter_resets);
	aipm_cfprintf(f, "\n");
	if (s->backward_segments)
		aipm_cfprintf(f, "segments     %d start%s before the one before ended (a clock set back?): %s\n",
			      s->backward_segments, s->backward_segments == 1 ? "s" : "",
			      isnan(s->window_from_ts) && isnan(s->window_to_ts) ? "counted in the totals, left out of time windows"
										 : "left out of this window");
	for (size_t i = 0; i < s->nhealth; i++) {
		const struct aipm_meta_health *h = &s->health[i];
		aipm_cfprintf(f, "failed       %s: %lld of %lld samples%s%s%s\n", h->source, h->failed, h->samples,
			      h->last_error[0] ? " (last error: " : "", h->last_error, h->last_error[0] ? ")" : "");
	}
}

void aipm_summary_print(const struct aipm_summary *s, FILE *f)
{
	char a[64], b[64];
	print_head(s, f);
	aipm_cfprintf(f, "energy\n");
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
	struct aipm_totals tot = totals_of(s);
	if (!isnan(aipm_totals_attributed_j(&tot))) {
		aipm_cfprintf(f, "attributed to the experiment\n");
		energy_row(f, "cpu", s->attributed_cpu_j);
		energy_row(f, "dram", s->attributed_dram_j);
		energy_row(f, "gpu", s->attributed_gpu_j);
	}
	aipm_summary_estimate_print(s, f);
	print_gpus(s, f);
	if (!isnan(s->cpu_time_s))
		aipm_cfprintf(f, "cpu time     %.3f s\n", s->cpu_time_s);
	if (!isnan(s->pss_peak_bytes))
		aipm_cfprintf(f, "memory PSS   mean %s, peak %s\n", bytes_h(a, sizeof a, s->pss_mean_bytes),
			      bytes_h(b, sizeof b, s->pss_peak_bytes));
	if (!isnan(s->uss_peak_bytes))
		aipm_cfprintf(f, "memory USS   mean %s, peak %s\n", bytes_h(a, sizeof a, s->uss_mean_bytes),
			      bytes_h(b, sizeof b, s->uss_peak_bytes));
	if (!isnan(s->model_params) || !isnan(s->model_macs)) {
		aipm_cfprintf(f, "model       ");
		if (!isnan(s->model_params))
			aipm_cfprintf(f, " %.0f parameters", s->model_params);
		if (!isnan(s->model_macs))
			aipm_cfprintf(f, " %.0f MACs", s->model_macs);
		aipm_cfprintf(f, "\n");
	}
	double e = aipm_totals_machine_j(&tot);
	if (!isnan(s->pue) && !isnan(e)) {
		e *= s->pue;
		aipm_cfprintf(f, "facility     %.3f J (%.6f kWh) with PUE %g\n", e, e / J_PER_WH / 1000, s->pue);
	}
	if (!isnan(s->carbon_g_per_kwh) && !isnan(e))
		aipm_cfprintf(f, "emissions    %.3f gCO2e at %g gCO2e/kWh\n", e / J_PER_WH / 1000 * s->carbon_g_per_kwh,
			      s->carbon_g_per_kwh);
	print_lines(s, f);
}

/* Energies by name, present values only (missing is absent, not 0). */
static void energies(struct aipm_buf *b, const struct aipm_summary *s, double scale)
{
	bool f = true;
	aipm_buf_puts(b, "{");
	for (int z = 0; z < s->nzones; z++)
		if (!isnan(s->zones[z].energy_j) && !zone_is_kind_total(s->zones[z].name))
			aipm_json_num(b, s->zones[z].name, s->zones[z].energy_j * scale, &f);
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		if (!isnan(s->total_j[t]))
			aipm_json_num(b, aipm_total_name((enum aipm_total)t), s->total_j[t] * scale, &f);
	aipm_buf_puts(b, "}");
}

/* Why a part has no energy, as its source said at the start: a JSON
 * consumer must be able to tell "no RAPL here" from "0 J". */
static void unmeasured(struct aipm_buf *b, const struct aipm_summary *s, bool *f)
{
	if (!s->cpu_reason[0] && !s->dram_reason[0] && !s->gpu_reason[0])
		return;
	bool u = true;
	aipm_json_key(b, "unmeasured", f);
	aipm_buf_puts(b, "{");
	const struct {
		const char *key, *reason, *fix;
	} parts[] = {{"cpu", s->cpu_reason, s->cpu_fix}, {"dram", s->dram_reason, ""}, {"gpu", s->gpu_reason, ""}};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(parts); i++) {
		if (!parts[i].reason[0])
			continue;
		bool c = true;
		aipm_json_key(b, parts[i].key, &u);
		aipm_buf_puts(b, "{");
		aipm_json_str(b, "reason", parts[i].reason, &c);
		if (parts[i].fix[0])
			aipm_json_str(b, "fix", parts[i].fix, &c);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "}");
}

static void json_gpus(struct aipm_buf *b, const struct aipm_summary *s, bool *f)
{
	char label[64];
	aipm_json_key(b, "gpus", f);
	aipm_buf_puts(b, "[");
	for (int i = 0; i < s->ngpus; i++) {
		const struct aipm_summary_gpu *g = &s->gpus[i];
		bool gf = true;
		aipm_buf_puts(b, i ? ", {" : "{");
		aipm_json_int(b, "index", g->index, &gf);
		aipm_json_str(b, "vendor", g->vendor, &gf);
		aipm_summary_gpu_label(g, label, sizeof label);
		aipm_json_str(b, "label", label, &gf);
		if (s->recordings > 1)
			aipm_json_int(b, "recording", g->recording, &gf);
		aipm_json_str(b, "name", g->name[0] ? g->name : NULL, &gf);
		if (g->uuid[0])
			aipm_json_str(b, "uuid", g->uuid, &gf);
		aipm_json_num(b, "energy_j", g->energy_j, &gf);
		aipm_json_num(b, "attributed_j", g->attributed_j, &gf);
		aipm_json_str(b, "energy_source", g->energy_source, &gf);
		aipm_json_num(b, "sm_mean", g->sm_mean, &gf);
		aipm_json_num(b, "mem_peak_bytes", g->mem_peak_bytes, &gf);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]");
}

static void json_lines(struct aipm_buf *b, const struct aipm_summary *s, bool *f)
{
	aipm_json_int(b, "lines", s->lines, f);
	aipm_json_int(b, "skipped_lines", s->blank + s->corrupt + s->truncated + s->out_of_order, f);
	aipm_json_key(b, "skipped", f);
	bool k = true;
	aipm_buf_puts(b, "{");
	aipm_json_int(b, "blank", s->blank, &k);
	aipm_json_int(b, "corrupt", s->corrupt, &k);
	aipm_json_int(b, "truncated", s->truncated, &k);
	aipm_json_int(b, "out_of_order", s->out_of_order, &k);
	aipm_buf_puts(b, "}");
	aipm_json_int(b, "outside_window", s->outside_window, f);
	aipm_json_int(b, "unknown_fields", s->unknown_fields, f);
	aipm_json_int(b, "dropped_values", s->dropped, f);
	aipm_json_int(b, "edge_samples", s->edge_samples, f);
	aipm_json_int(b, "counter_resets", s->counter_resets, f);
	aipm_json_int(b, "backward_segments", s->backward_segments, f);
	aipm_json_key(b, "failed_samples", f);
	aipm_buf_puts(b, "[");
	for (size_t i = 0; i < s->nhealth; i++) {
		bool h = true;
		aipm_buf_puts(b, i ? ", {" : "{");
		aipm_json_str(b, "source", s->health[i].source, &h);
		aipm_json_int(b, "samples", s->health[i].samples, &h);
		aipm_json_int(b, "failed", s->health[i].failed, &h);
		aipm_json_str(b, "last_error", s->health[i].last_error[0] ? s->health[i].last_error : NULL, &h);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]");
}

static void json_window(struct aipm_buf *b, const struct aipm_summary *s, bool *f)
{
	char date[64];
	aipm_json_num(b, "start_timestamp", s->start_ts, f);
	aipm_json_num(b, "end_timestamp", s->end_ts, f);
	if (!isnan(s->start_ts)) {
		aipm_format_date_ts(date, sizeof date, s->start_ts);
		aipm_json_str(b, "start_date", date, f);
		aipm_format_date_ts(date, sizeof date, s->end_ts);
		aipm_json_str(b, "end_date", date, f);
	}
	if (!isnan(s->window_from_ts) || !isnan(s->window_to_ts)) {
		bool w = true;
		aipm_json_key(b, "window", f);
		aipm_buf_puts(b, "{");
		aipm_json_num(b, "from_timestamp", s->window_from_ts, &w);
		aipm_json_num(b, "to_timestamp", s->window_to_ts, &w);
		aipm_json_bool(b, "interpolated", s->window_interpolated, &w);
		aipm_json_num(b, "covered_s", s->duration_s, &w);
		aipm_buf_puts(b, "}");
	}
	aipm_json_num(b, "duration_s", s->duration_s, f);
	aipm_json_str(b, "missing_reason", s->missing[0] ? s->missing : NULL, f);
}

void aipm_summary_json(const struct aipm_summary *s, struct aipm_buf *b)
{
	bool f = true;
	aipm_buf_puts(b, "{");
	if (s->recordings == 1)
		aipm_json_str(b, "dir", s->dir, &f);
	aipm_json_int(b, "recordings", s->recordings, &f);
	aipm_json_str(b, "format", s->format, &f);
	aipm_json_str(b, "description", s->description[0] ? s->description : NULL, &f);
	aipm_json_key(b, "metadata", &f);
	bool m = true;
	aipm_buf_puts(b, "{");
	aipm_json_str(b, "status", meta_status_names[s->meta_status], &m);
	aipm_json_str(b, "problem", s->meta_problem[0] ? s->meta_problem : NULL, &m);
	aipm_buf_puts(b, "}");
	json_window(b, s, &f);
	aipm_json_int(b, "segments", s->segments, &f);
	aipm_json_key(b, "energy_j", &f);
	energies(b, s, 1);
	aipm_json_key(b, "energy_wh", &f);
	energies(b, s, 1 / J_PER_WH);
	unmeasured(b, s, &f);
	aipm_json_key(b, "attributed_j", &f);
	bool a = true;
	aipm_buf_puts(b, "{");
	if (!isnan(s->attributed_cpu_j))
		aipm_json_num(b, "cpu", s->attributed_cpu_j, &a);
	if (!isnan(s->attributed_dram_j))
		aipm_json_num(b, "dram", s->attributed_dram_j, &a);
	if (!isnan(s->attributed_gpu_j))
		aipm_json_num(b, "gpu", s->attributed_gpu_j, &a);
	aipm_buf_puts(b, "}");
	aipm_summary_estimate_json(b, s, &f);
	aipm_json_num(b, "cpu_time_s", s->cpu_time_s, &f);
	aipm_json_key(b, "memory", &f);
	m = true;
	aipm_buf_puts(b, "{");
	aipm_json_num(b, "pss_mean_bytes", s->pss_mean_bytes, &m);
	aipm_json_num(b, "pss_peak_bytes", s->pss_peak_bytes, &m);
	aipm_json_num(b, "uss_mean_bytes", s->uss_mean_bytes, &m);
	aipm_json_num(b, "uss_peak_bytes", s->uss_peak_bytes, &m);
	aipm_buf_puts(b, "}");
	json_gpus(b, s, &f);
	if (!isnan(s->model_params) || !isnan(s->model_macs)) {
		bool mf = true;
		aipm_json_key(b, "model", &f);
		aipm_buf_puts(b, "{");
		aipm_json_num(b, "params_total", s->model_params, &mf);
		aipm_json_num(b, "macs", s->model_macs, &mf);
		aipm_buf_puts(b, "}");
	}
	struct aipm_totals tot = totals_of(s);
	double e = aipm_totals_machine_j(&tot);
	if (!isnan(s->pue)) {
		aipm_json_num(b, "pue", s->pue, &f);
		aipm_json_num(b, "facility_energy_j", e * s->pue, &f);
		if (!isnan(e))
			e *= s->pue;
	}
	if (!isnan(s->carbon_g_per_kwh)) {
		aipm_json_num(b, "carbon_intensity_g_per_kwh", s->carbon_g_per_kwh, &f);
		aipm_json_num(b, "emissions_g", e / J_PER_WH / 1000 * s->carbon_g_per_kwh, &f);
	}
	json_lines(b, s, &f);
	aipm_buf_puts(b, "}");
}
