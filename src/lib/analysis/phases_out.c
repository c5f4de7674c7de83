/* phases_out.c: the phase and logged-point reports as text or JSON.
 *
 * Sinks for phases.c: each result is written as its window closes, into an
 * aipm_out that flushes as it grows, so a report of 100,000 points holds
 * one point at a time. Text and JSON in the C locale; missing is "-" in
 * text and null in JSON, with the reason.
 */
#include <math.h>
#include <string.h>

#include "analysis/phases.h"
#include "analysis/summary.h"
#include "error.h"

struct view {
	struct aipm_out *o;
	bool json, first, interpolated;
	bool estimated; /* a row had a CPU estimate: the legend says what it is */
};

/* A number in a text column: "-" when missing. */
static void col(struct aipm_out *o, double v, int width)
{
	if (isnan(v) || isinf(v))
		aipm_out_printf(o, "%*s", width, "-");
	else
		aipm_out_printf(o, "%*.3f", width, v);
}

static void json_totals(struct aipm_buf *b, const double *t, bool *f)
{
	aipm_json_key(b, "energy_by_kind_j", f);
	aipm_buf_puts(b, "{");
	bool first = true;
	for (int k = 0; k < AIPM_TOTAL_COUNT; k++)
		if (!isnan(t[k]))
			aipm_json_num(b, aipm_total_name((enum aipm_total)k), t[k], &first);
	aipm_buf_puts(b, "}");
}

static double since(double ts, double start) { return isnan(start) ? NAN : ts - start; }

static void begin_phases(void *ctx, const char *dir, double start_ts)
{
	struct view *v = ctx;
	(void)start_ts;
	if (v->json) {
		aipm_out_puts(v->o, "{\"dir\": ");
		aipm_buf_json_str(&v->o->b, dir);
		aipm_out_puts(v->o, ", \"phases\": [");
		return;
	}
	aipm_out_printf(v->o, "phases of %s (energy: CPU packages + DRAM + GPUs; attributed: the experiment's share)\n",
			dir);
	aipm_out_printf(v->o, "  %-20s %4s %10s %10s %12s %12s %10s\n", "phase", "#", "start s", "duration s",
			"energy J", "attributed J", "CPU s");
}

static void phase_json(struct view *v, const struct aipm_phase_result *r, double start_ts)
{
	struct aipm_buf *b = &v->o->b;
	bool f = true;
	aipm_buf_puts(b, v->first ? "{" : ", {");
	v->first = false;
	aipm_json_str(b, "name", r->name, &f);
	aipm_json_int(b, "occurrence", r->occurrence, &f);
	aipm_json_bool(b, "open", r->open, &f);
	aipm_json_ts(b, "begin_timestamp", r->begin_ts, &f);
	aipm_json_ts(b, "end_timestamp", r->end_ts, &f);
	aipm_json_num(b, "start_s", since(r->begin_ts, start_ts), &f);
	aipm_json_num(b, "duration_s", r->f.covered ? r->f.covered_s : NAN, &f);
	aipm_json_num(b, "energy_j", aipm_totals_machine_j(&r->t), &f);
	aipm_json_num(b, "attributed_j", aipm_totals_attributed_j(&r->t), &f);
	aipm_json_num(b, "cpu_time_s", r->t.cpu_time_s, &f);
	aipm_json_int(b, "segments", r->f.segments, &f);
	aipm_json_bool(b, "interpolated", r->f.interpolated, &f);
	aipm_json_str(b, "missing_reason", r->f.covered ? NULL : r->f.missing, &f);
	json_totals(b, r->t.total_j, &f);
	aipm_estimate_json(b, "estimate", r->t.est_j, &f);
	aipm_out_puts(v->o, "}");
}

/* A text row's CPU estimate, after its measured columns: "est." marks it
 * (the legend at the end says what it is). */
static void estimate_col(struct view *v, const double *est_j)
{
	if (isnan(est_j[AIPM_EST_J]))
		return;
	v->estimated = true;
	aipm_out_printf(v->o, "  est. CPU %.3f J [%.3f, %.3f]", est_j[AIPM_EST_J], est_j[AIPM_EST_J_LOW],
			est_j[AIPM_EST_J_HIGH]);
}

static void phase(void *ctx, const struct aipm_phase_result *r, double start_ts)
{
	struct view *v = ctx;
	if (v->json) {
		phase_json(v, r, start_ts);
		return;
	}
	aipm_out_printf(v->o, "  %-20s %4d", r->name, r->occurrence);
	col(v->o, since(r->begin_ts, start_ts), 11);
	col(v->o, r->f.covered ? r->f.covered_s : NAN, 11);
	col(v->o, aipm_totals_machine_j(&r->t), 13);
	col(v->o, aipm_totals_attributed_j(&r->t), 13);
	col(v->o, r->t.cpu_time_s, 11);
	estimate_col(v, r->t.est_j);
	v->interpolated |= r->f.interpolated;
	aipm_out_printf(v->o, "%s%s%s%s%s\n", r->f.interpolated ? " ~" : "",
			r->open ? "  (never ended: to the end of the recording)" : "",
			r->f.covered ? "" : "  (not measured: ", r->f.covered ? "" : r->f.missing,
			r->f.covered ? "" : ")");
}

/* What "est." means, once, when a row had one. */
static void estimate_legend(struct view *v)
{
	if (v->estimated)
		aipm_out_printf(v->o, "est. CPU: CPU energy NOT measured (no RAPL), a model's estimate [low, high] "
				      "(aipm report shows the method); in no energy column\n");
}

/* The notes, in words, for the text reports. */
static void notes_text(struct view *v, const struct aipm_report_notes *nt, const char *file)
{
	if (nt->skipped)
		aipm_out_printf(v->o, "%lld line(s) of %s skipped (unreadable%s)\n", nt->skipped, file,
				strcmp(file, "phases.json") ? "" : ", or an end without a begin");
	if (nt->backward)
		aipm_out_printf(v->o, "%lld segment(s) left out: they start before the segment before them ended "
				      "(a clock set back between runs?)\n", nt->backward);
	if (nt->rewinds)
		aipm_out_printf(v->o, "%lld edge(s) far out of time order in %s: the samples were read again\n",
				nt->rewinds, file);
}

static void notes_json(struct view *v, const struct aipm_report_notes *nt)
{
	aipm_out_printf(v->o, ", \"skipped_lines\": %lld, \"backward_segments\": %lld}", nt->skipped, nt->backward);
}

static void end_phases(void *ctx, const struct aipm_phase_total *names, size_t n,
		       const struct aipm_report_notes *nt)
{
	struct view *v = ctx;
	struct aipm_buf *b = &v->o->b;
	if (v->json) {
		aipm_buf_puts(b, "], \"by_name\": [");
		for (size_t i = 0; i < n; i++) {
			const struct aipm_phase_total *t = &names[i];
			bool f = true;
			aipm_buf_puts(b, i ? ", {" : "{");
			aipm_json_str(b, "name", t->name, &f);
			aipm_json_int(b, "count", t->count, &f);
			aipm_json_num(b, "duration_s", t->duration_s, &f);
			aipm_json_num(b, "energy_j", t->energy_j, &f);
			aipm_json_num(b, "attributed_j", t->attributed_j, &f);
			aipm_json_num(b, "cpu_time_s", t->cpu_time_s, &f);
			json_totals(b, t->total_j, &f);
			aipm_estimate_json(b, "estimate", t->est_j, &f);
			aipm_out_puts(v->o, "}");
		}
		aipm_out_puts(v->o, "]");
		notes_json(v, nt);
		return;
	}
	aipm_out_printf(v->o, "by name\n");
	aipm_out_printf(v->o, "  %-20s %4s %10s %10s %12s %12s %10s\n", "phase", "n", "", "duration s", "energy J",
			"attributed J", "CPU s");
	for (size_t i = 0; i < n; i++) {
		const struct aipm_phase_total *t = &names[i];
		aipm_out_printf(v->o, "  %-20s %4d %10s", t->name, t->count, "");
		col(v->o, t->duration_s, 11);
		col(v->o, t->energy_j, 13);
		col(v->o, t->attributed_j, 13);
		col(v->o, t->cpu_time_s, 11);
		estimate_col(v, t->est_j);
		aipm_out_printf(v->o, "\n");
	}
	notes_text(v, nt, "phases.json");
	estimate_legend(v);
	if (v->interpolated)
		aipm_out_printf(v->o, "~ an edge fell between two samples: the counters were interpolated linearly there\n");
}

static void begin_points(void *ctx, const char *dir, double start_ts)
{
	struct view *v = ctx;
	(void)start_ts;
	if (v->json) {
		aipm_out_puts(v->o, "{\"dir\": ");
		aipm_buf_json_str(&v->o->b, dir);
		aipm_out_puts(v->o, ", \"points\": [");
		return;
	}
	aipm_out_printf(v->o, "logged points of %s (energy: CPU packages + DRAM + GPUs, from the start / since the "
			      "previous point)\n", dir);
	aipm_out_printf(v->o, "  %10s %12s %12s %12s %12s  %s\n", "at s", "energy J", "+energy J", "attributed J",
			"+attrib. J", "metrics");
}

static void point(void *ctx, const struct aipm_point_result *r, double start_ts)
{
	struct view *v = ctx;
	struct aipm_buf *b = &v->o->b;
	if (v->json) {
		bool f = true;
		aipm_buf_puts(b, r->index ? ", {" : "{");
		aipm_json_int(b, "index", r->index, &f);
		aipm_json_ts(b, "timestamp", r->ts, &f);
		aipm_json_num(b, "at_s", since(r->ts, start_ts), &f);
		aipm_json_key(b, "metrics", &f);
		aipm_buf_puts(b, r->metrics_json);
		aipm_json_num(b, "energy_j", aipm_totals_machine_j(&r->from_start), &f);
		aipm_json_num(b, "attributed_j", aipm_totals_attributed_j(&r->from_start), &f);
		aipm_json_num(b, "cpu_time_s", r->from_start.cpu_time_s, &f);
		aipm_json_num(b, "energy_since_previous_j", aipm_totals_machine_j(&r->since_prev), &f);
		aipm_json_num(b, "attributed_since_previous_j", aipm_totals_attributed_j(&r->since_prev), &f);
		aipm_json_num(b, "duration_since_previous_s", r->f_prev.covered ? r->f_prev.covered_s : NAN, &f);
		aipm_estimate_json(b, "estimate", r->from_start.est_j, &f);
		aipm_estimate_json(b, "estimate_since_previous", r->since_prev.est_j, &f);
		aipm_json_bool(b, "interpolated", r->f_start.interpolated, &f);
		aipm_json_str(b, "missing_reason", r->f_start.covered ? NULL : r->f_start.missing, &f);
		aipm_out_puts(v->o, "}");
		return;
	}
	aipm_out_printf(v->o, "  ");
	col(v->o, since(r->ts, start_ts), 10);
	col(v->o, aipm_totals_machine_j(&r->from_start), 13);
	col(v->o, aipm_totals_machine_j(&r->since_prev), 13);
	col(v->o, aipm_totals_attributed_j(&r->from_start), 13);
	col(v->o, aipm_totals_attributed_j(&r->since_prev), 13);
	v->interpolated |= r->f_start.interpolated;
	aipm_out_printf(v->o, "  %s%s\n", r->metrics_json, r->f_start.interpolated ? " ~" : "");
}

static void end_points(void *ctx, const struct aipm_phase_total *names, size_t n,
		       const struct aipm_report_notes *nt)
{
	struct view *v = ctx;
	(void)names;
	(void)n;
	if (v->json) {
		aipm_out_puts(v->o, "]");
		notes_json(v, nt);
		return;
	}
	notes_text(v, nt, "results_exp.json");
	if (v->interpolated)
		aipm_out_printf(v->o, "~ the point fell between two samples: the counters were interpolated linearly there\n");
}

static int write_report(const char *dir, bool json, struct aipm_out *out, bool points)
{
	static const struct aipm_phase_sink phases_sink = {begin_phases, phase, NULL, end_phases};
	static const struct aipm_phase_sink points_sink = {begin_points, NULL, point, end_points};
	struct view v = {out, json, true, false, false};
	int rc = points ? aipm_metric_report_run(dir, &points_sink, &v) : aipm_phase_report_run(dir, &phases_sink, &v);
	aipm_out_flush(out, false);
	if (rc == 0 && out->err)
		rc = aipm_err(out->err, "writing the report: %s", strerror(-out->err));
	return rc;
}

int aipm_phase_report_write(const char *dir, bool json, struct aipm_out *out)
{
	return write_report(dir, json, out, false);
}

int aipm_metric_report_write(const char *dir, bool json, struct aipm_out *out)
{
	return write_report(dir, json, out, true);
}
