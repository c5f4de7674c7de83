/* html_sections.c: the HTML report's phases, logged points, machine and
 * recording sections (html_parts.h).
 *
 * Phases and points are measured by the analysis (phases.h) as the text
 * report measures them, through its sinks; past HTML_MAX_ROWS of either
 * the page says how many more there are and which command lists them,
 * while the table of phases by name stays whole. The machine is what
 * metadata.json says of it: the host, the CPU, the RAPL zones and what
 * holds them, the GPUs, and each source with its reason and fix.
 */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aipm.h"
#include "analysis/out.h"
#include "analysis/phases.h"
#include "analysis/summary_out.h"
#include "error.h"
#include "html_parts.h"

struct rows {
	struct aipm_buf *b;
	long long n;
	bool interpolated;
};

static double since(double ts, double start) { return isnan(start) ? NAN : ts - start; }

static void more(struct aipm_buf *b, long long n, const char *cmd)
{
	if (n > HTML_MAX_ROWS) {
		aipm_buf_printf(b, "<p class=\"note\">%lld more not shown here; <code>", n - HTML_MAX_ROWS);
		html_text(b, cmd);
		aipm_buf_puts(b, "</code> lists them all.</p>\n");
	}
}

static void phases_begin(void *ctx, const char *dir, double start_ts)
{
	(void)dir, (void)start_ts;
	struct rows *r = ctx;
	aipm_buf_puts(r->b, "<div class=\"scroll\"><table><thead><tr><th>phase</th><th class=\"n\">#</th>"
			    "<th class=\"n\">start s</th><th class=\"n\">duration s</th><th class=\"n\">energy J</th>"
			    "<th class=\"n\">the experiment's J</th><th class=\"n\">CPU s</th><th></th></tr></thead><tbody>\n");
}

static void phase_row(void *ctx, const struct aipm_phase_result *p, double start_ts)
{
	struct rows *r = ctx;
	if (r->n++ >= HTML_MAX_ROWS)
		return;
	struct aipm_buf *b = r->b;
	aipm_buf_puts(b, "<tr><td>");
	html_text(b, p->name);
	aipm_buf_printf(b, "</td><td class=\"n\">%d</td>", p->occurrence);
	html_num(b, "%.3f", since(p->begin_ts, start_ts));
	html_num(b, "%.3f", p->f.covered ? p->f.covered_s : NAN);
	html_num(b, "%.3f", aipm_totals_machine_j(&p->t));
	html_num(b, "%.3f", aipm_totals_attributed_j(&p->t));
	html_num(b, "%.3f", p->t.cpu_time_s);
	aipm_buf_puts(b, "<td class=\"note\">");
	r->interpolated |= p->f.interpolated;
	if (p->f.interpolated)
		aipm_buf_puts(b, "~ ");
	if (p->open)
		aipm_buf_puts(b, "never ended: to the end of the recording ");
	if (!p->f.covered) {
		aipm_buf_puts(b, "not measured: ");
		html_text(b, p->f.missing);
	}
	aipm_buf_puts(b, "</td></tr>\n");
}

static void notes(struct aipm_buf *b, const struct aipm_report_notes *nt, const char *file, bool interpolated)
{
	if (nt->skipped)
		aipm_buf_printf(b, "<p class=\"note\">%lld line(s) of %s skipped (unreadable, or refused by the pairing "
				   "rule).</p>\n", nt->skipped, file);
	if (nt->backward)
		aipm_buf_printf(b, "<p class=\"note\">%lld segment(s) left out: they start before the segment before "
				   "them ended.</p>\n", nt->backward);
	if (interpolated)
		aipm_buf_puts(b, "<p class=\"note\">~ an edge fell between two samples: the counters were "
				 "interpolated linearly there.</p>\n");
}

static void phases_end(void *ctx, const struct aipm_phase_total *names, size_t n, const struct aipm_report_notes *nt)
{
	struct rows *r = ctx;
	struct aipm_buf *b = r->b;
	aipm_buf_puts(b, "</tbody></table></div>\n");
	more(b, r->n, "aipm report --by-phase DIR");
	aipm_buf_puts(b, "<h3>By name</h3>\n<div class=\"scroll\"><table><thead><tr><th>phase</th>"
			 "<th class=\"n\">times</th><th class=\"n\">duration s</th><th class=\"n\">energy J</th>"
			 "<th class=\"n\">the experiment's J</th><th class=\"n\">CPU s</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++) {
		aipm_buf_puts(b, "<tr><td>");
		html_text(b, names[i].name);
		aipm_buf_printf(b, "</td><td class=\"n\">%d</td>", names[i].count);
		html_num(b, "%.3f", names[i].duration_s);
		html_num(b, "%.3f", names[i].energy_j);
		html_num(b, "%.3f", names[i].attributed_j);
		html_num(b, "%.3f", names[i].cpu_time_s);
		aipm_buf_puts(b, "</tr>\n");
	}
	aipm_buf_puts(b, "</tbody></table></div>\n");
	notes(b, nt, "phases.json", r->interpolated);
}

/* A section that the recording may lack: its heading, and either its
 * table or why there is none. */
static void section(struct aipm_buf *b, int rc, const char *how)
{
	if (rc == -ENOENT) {
		aipm_buf_puts(b, "<p class=\"note\">");
		html_text(b, how);
		aipm_buf_puts(b, "</p>\n");
	} else if (rc < 0) {
		aipm_buf_puts(b, "<p class=\"note\">Not read: ");
		html_text(b, aipm_error_last());
		aipm_buf_puts(b, "</p>\n");
	}
	aipm_err_clear();
}

void html_phases(struct aipm_buf *b, const char *dir)
{
	static const struct aipm_phase_sink sink = {phases_begin, phase_row, NULL, phases_end};
	struct rows r = {b, 0, false};
	aipm_buf_puts(b, "<h2 id=\"phases\">Phases</h2>\n");
	section(b, aipm_phase_report_run(dir, &sink, &r),
		"No phases in this recording: mark them with `aipm mark NAME` and `aipm mark --end NAME` inside "
		"`aipm run`, or the library's aipm_meter_phase_begin/end.");
}

static void points_begin(void *ctx, const char *dir, double start_ts)
{
	(void)dir, (void)start_ts;
	struct rows *r = ctx;
	aipm_buf_puts(r->b, "<div class=\"scroll\"><table><thead><tr><th class=\"n\">at s</th>"
			    "<th class=\"n\">energy J</th><th class=\"n\">since the one before, J</th>"
			    "<th class=\"n\">the experiment's J</th><th>metrics</th></tr></thead><tbody>\n");
}

/* {"epoch": 1, "acc": 0.93} as "epoch 1, acc 0.93". */
static void metrics_text(struct aipm_buf *b, const char *json)
{
	cJSON *j = cJSON_Parse(json);
	const cJSON *m;
	bool first = true;
	cJSON_ArrayForEach(m, j)
	{
		if (!m->string)
			continue;
		aipm_buf_puts(b, first ? "" : ", ");
		first = false;
		html_text(b, m->string);
		if (cJSON_IsNumber(m))
			aipm_buf_cprintf(b, " %.6g", m->valuedouble);
	}
	if (!j)
		html_text(b, json);
	cJSON_Delete(j);
}

static void point_row(void *ctx, const struct aipm_point_result *p, double start_ts)
{
	struct rows *r = ctx;
	if (r->n++ >= HTML_MAX_ROWS)
		return;
	struct aipm_buf *b = r->b;
	r->interpolated |= p->f_start.interpolated;
	aipm_buf_puts(b, "<tr>");
	html_num(b, "%.3f", since(p->ts, start_ts));
	html_num(b, "%.3f", aipm_totals_machine_j(&p->from_start));
	html_num(b, "%.3f", aipm_totals_machine_j(&p->since_prev));
	html_num(b, "%.3f", aipm_totals_attributed_j(&p->from_start));
	aipm_buf_puts(b, "<td>");
	metrics_text(b, p->metrics_json);
	if (!p->f_start.covered) {
		aipm_buf_puts(b, " <span class=\"note\">(not measured: ");
		html_text(b, p->f_start.missing);
		aipm_buf_puts(b, ")</span>");
	}
	aipm_buf_puts(b, "</td></tr>\n");
}

static void points_end(void *ctx, const struct aipm_phase_total *names, size_t n, const struct aipm_report_notes *nt)
{
	(void)names, (void)n;
	struct rows *r = ctx;
	aipm_buf_puts(r->b, "</tbody></table></div>\n");
	more(r->b, r->n, "aipm report --metrics DIR");
	notes(r->b, nt, "results_exp.json", r->interpolated);
}

void html_points(struct aipm_buf *b, const char *dir)
{
	static const struct aipm_phase_sink sink = {points_begin, NULL, point_row, points_end};
	struct rows r = {b, 0, false};
	aipm_buf_puts(b, "<h2 id=\"points\">Logged metrics</h2>\n");
	section(b, aipm_metric_report_run(dir, &sink, &r),
		"No logged metrics in this recording: log them with `aipm log KEY=VALUE...` inside `aipm run`, or "
		"the library's aipm_meter_log.");
}

static void zones(struct aipm_buf *b, const struct aipm_meta *m)
{
	if (!m->nzones)
		return;
	aipm_buf_puts(b, "<tr><th>RAPL zones</th><td>");
	for (size_t i = 0; i < m->nzones; i++) {
		char label[192];
		aipm_zone_label(m->zones[i].name, label, sizeof label);
		aipm_buf_puts(b, i ? ", " : "");
		html_text(b, label);
		if (m->zones[i].inside[0]) {
			aipm_zone_label(m->zones[i].inside, label, sizeof label);
			aipm_buf_puts(b, " <span class=\"note\">(inside ");
			html_text(b, label);
			aipm_buf_puts(b, ")</span>");
		}
	}
	aipm_buf_puts(b, "</td></tr>\n");
}

void html_machine(struct aipm_buf *b, const struct aipm_meta *m, const struct aipm_summary *s)
{
	aipm_buf_puts(b, "<h2 id=\"machine\">Machine</h2>\n");
	if (m->status != AIPM_META_OK) {
		aipm_buf_puts(b, "<p class=\"note\">metadata.json: ");
		html_text(b, m->problem);
		aipm_buf_puts(b, "</p>\n");
		return;
	}
	aipm_buf_puts(b, "<div class=\"scroll\"><table><tbody>\n");
	html_kv(b, "host", m->host);
	html_kv(b, "CPU", m->cpu_model);
	zones(b, m);
	for (int i = 0; i < s->ngpus; i++) {
		char t[256];
		aipm_summary_gpu_title(s, &s->gpus[i], t, sizeof t);
		html_kv(b, i ? "" : "GPUs", t);
	}
	aipm_buf_puts(b, "</tbody></table></div>\n<h3>Sources</h3>\n<div class=\"scroll\"><table><thead><tr>"
			 "<th>source</th><th>measures</th><th>available</th><th>why</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < m->nsources; i++) {
		const struct aipm_meta_source *x = &m->sources[i];
		aipm_buf_puts(b, "<tr><td>");
		html_text(b, x->name);
		aipm_buf_puts(b, "</td><td>");
		html_text(b, x->what);
		aipm_buf_printf(b, "</td><td class=\"%s\">%s</td><td>", x->available ? "yes" : "no",
				x->available ? "yes" : "no");
		html_text(b, x->reason);
		if (x->fix[0] && !x->available) {
			aipm_buf_puts(b, "<br><span class=\"note\">to get it: ");
			html_text(b, x->fix);
			aipm_buf_puts(b, "</span>");
		}
		if (x->note[0]) {
			aipm_buf_puts(b, "<br><span class=\"note\">");
			html_text(b, x->note);
			aipm_buf_puts(b, "</span>");
		}
		aipm_buf_puts(b, "</td></tr>\n");
	}
	aipm_buf_puts(b, "</tbody></table></div>\n");
	for (size_t i = 0; i < s->nhealth; i++) {
		const struct aipm_meta_health *h = &s->health[i];
		aipm_buf_puts(b, "<p class=\"note\">");
		html_text(b, h->source);
		aipm_buf_printf(b, " failed %lld of %lld samples", h->failed, h->samples);
		if (h->last_error[0]) {
			aipm_buf_puts(b, " (last error: ");
			html_text(b, h->last_error);
			aipm_buf_puts(b, ")");
		}
		aipm_buf_puts(b, ".</p>\n");
	}
}

void html_recording(struct aipm_buf *b, const char *dir, const struct aipm_meta *m, const struct aipm_summary *s)
{
	char v[256], a[64], c[64];
	aipm_buf_puts(b, "<h2 id=\"recording\">Recording</h2>\n<div class=\"scroll\"><table><tbody>\n");
	html_kv(b, "directory", dir);
	html_kv(b, "command", m->command);
	html_kv(b, "description", s->description);
	if (isfinite(s->start_ts)) {
		aipm_format_date_ts(a, sizeof a, s->start_ts);
		aipm_format_date_ts(c, sizeof c, s->end_ts);
		snprintf(v, sizeof v, "%s to %s (local time)", a, c);
		html_kv(b, "from", v);
	}
	struct aipm_buf t = {0};
	if (isfinite(m->interval_s))
		aipm_buf_cprintf(&t, "every %g s", m->interval_s);
	html_kv(b, "sampled", t.data);
	aipm_buf_reset(&t);
	aipm_buf_printf(&t, "%lld samples in %d segment%s", s->lines, s->segments, s->segments == 1 ? "" : "s");
	long long skipped = s->blank + s->corrupt + s->truncated + s->out_of_order;
	if (skipped)
		aipm_buf_printf(&t, "; %lld lines skipped (%lld blank, %lld corrupt, %lld truncated, %lld out of order)",
				skipped, s->blank, s->corrupt, s->truncated, s->out_of_order);
	html_kv(b, "lines", t.data);
	aipm_buf_free(&t);
	if (!isnan(s->cpu_time_s)) {
		struct aipm_buf ct = {0};
		aipm_buf_cprintf(&ct, "%.3f s", s->cpu_time_s);
		html_kv(b, "the experiment's CPU time", ct.data);
		aipm_buf_free(&ct);
	}
	if (!isnan(s->pss_peak_bytes)) {
		snprintf(v, sizeof v, "mean %s, peak %s", aipm_bytes_h(a, sizeof a, s->pss_mean_bytes),
			 aipm_bytes_h(c, sizeof c, s->pss_peak_bytes));
		html_kv(b, "the experiment's memory (PSS)", v);
	}
	html_kv(b, "format", s->format);
	if (m->version[0]) {
		snprintf(v, sizeof v, "aipm %s", m->version);
		html_kv(b, "written by", v);
	}
	aipm_buf_puts(b, "</tbody></table></div>\n");
}

void html_model(struct aipm_buf *b, const struct aipm_summary *s)
{
	if (isnan(s->model_params) && isnan(s->model_macs))
		return;
	aipm_buf_puts(b, "<h2 id=\"model\">Model</h2>\n<div class=\"scroll\"><table><tbody>\n");
	struct aipm_buf t = {0};
	if (!isnan(s->model_params))
		aipm_buf_cprintf(&t, "%.0f", s->model_params);
	html_kv(b, "parameters", t.data);
	aipm_buf_reset(&t);
	if (!isnan(s->model_macs))
		aipm_buf_cprintf(&t, "%.0f", s->model_macs);
	html_kv(b, "multiply-accumulates (MACs) per inference", t.data);
	aipm_buf_free(&t);
	aipm_buf_puts(b, "</tbody></table></div>\n");
}
