/* phases.c: see phases.h. Reads the small side files with cJSON (they hold
 * one line per phase boundary or logged point, never per sample) and asks
 * summary.c for all windows in one pass over power_metrics.json. */
#include "analysis/phases.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"

static double nadd(double a, double b) { return isnan(a) ? b : isnan(b) ? a : a + b; }

double aipm_phase_machine_j(const struct aipm_summary *s)
{
	double e = NAN;
	const enum aipm_total parts[] = {AIPM_TOTAL_CPU, AIPM_TOTAL_DRAM, AIPM_TOTAL_GPU};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(parts); i++)
		e = nadd(e, s->total_j[parts[i]]);
	return isnan(e) ? s->total_j[AIPM_TOTAL_PSYS] : e;
}

double aipm_phase_attributed_j(const struct aipm_summary *s)
{
	return nadd(nadd(s->attributed_cpu_j, s->attributed_dram_j), s->attributed_gpu_j);
}

/* Call fn on each JSON object line of DIR/file; counts the others. */
static int each_line(const char *dir, const char *file, int (*fn)(void *, const cJSON *), void *ctx,
		     long long *skipped)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = -errno;
		if (e == -ENOENT)
			return aipm_err(e, "%s has no %s: nothing was %s. Use `aipm %s` inside `aipm run`, or the "
					   "library's %s", dir, file, strcmp(file, "phases.json") ? "logged" : "marked",
					strcmp(file, "phases.json") ? "log" : "mark",
					strcmp(file, "phases.json") ? "aipm_meter_log" : "aipm_meter_phase_begin");
		return aipm_err(e, "%s: %s", path, strerror(-e));
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	while (!rc && (len = getline(&line, &cap, f)) > 0) {
		cJSON *j = cJSON_ParseWithLength(line, (size_t)len);
		if (cJSON_IsObject(j) && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "timestamp")))
			rc = fn(ctx, j);
		else if (strspn(line, " \t\r\n") != (size_t)len)
			++*skipped;
		cJSON_Delete(j);
	}
	free(line);
	fclose(f);
	return rc;
}

/* ---- phases ---- */

static int pair_line(void *ctx, const cJSON *j)
{
	struct aipm_phase_report *r = ctx;
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "name");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "event");
	double ts = cJSON_GetObjectItemCaseSensitive(j, "timestamp")->valuedouble;
	if (!cJSON_IsString(n) || !cJSON_IsString(e) || aipm_phases_check_name("phase", n->valuestring) < 0) {
		r->skipped++;
		return 0;
	}
	struct aipm_phase_item *open = NULL;
	int occ = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->items[i].name, n->valuestring)) {
			occ++;
			if (r->items[i].open)
				open = &r->items[i];
		}
	if (!strcmp(e->valuestring, "end") && open && ts >= open->begin_ts) {
		open->end_ts = ts;
		open->open = false;
	} else if (!strcmp(e->valuestring, "begin") && !open) {
		if (r->n % 16 == 0) {
			void *v = realloc(r->items, (r->n + 16) * sizeof *r->items);
			if (!v)
				return aipm_err(-ENOMEM, "out of memory");
			r->items = v;
		}
		struct aipm_phase_item *it = &r->items[r->n++];
		memset(it, 0, sizeof *it);
		snprintf(it->name, sizeof it->name, "%s", n->valuestring);
		it->occurrence = occ + 1;
		it->begin_ts = ts;
		it->end_ts = INFINITY;
		it->open = true;
	} else {
		r->skipped++;
	}
	return 0;
}

static void total_add(struct aipm_phase_total *t, const struct aipm_summary *s)
{
	t->count++;
	t->energy_j = nadd(t->energy_j, aipm_phase_machine_j(s));
	t->attributed_j = nadd(t->attributed_j, aipm_phase_attributed_j(s));
	t->duration_s = nadd(t->duration_s, s->duration_s);
	t->cpu_time_s = nadd(t->cpu_time_s, s->cpu_time_s);
	for (int k = 0; k < AIPM_TOTAL_COUNT; k++)
		t->total_j[k] = nadd(t->total_j[k], s->total_j[k]);
}

static int by_name(struct aipm_phase_report *r)
{
	r->names = calloc(r->n ? r->n : 1, sizeof *r->names);
	if (!r->names)
		return aipm_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		size_t k = 0;
		while (k < r->nnames && strcmp(r->names[k].name, r->items[i].name))
			k++;
		struct aipm_phase_total *t = &r->names[k];
		if (k == r->nnames) {
			r->nnames++;
			snprintf(t->name, sizeof t->name, "%s", r->items[i].name);
			t->energy_j = t->attributed_j = t->duration_s = t->cpu_time_s = NAN;
			for (int z = 0; z < AIPM_TOTAL_COUNT; z++)
				t->total_j[z] = NAN;
		}
		total_add(t, r->items[i].s);
	}
	return 0;
}

int aipm_phase_report_load(const char *dir, int threads, struct aipm_phase_report **out)
{
	struct aipm_phase_report *r = calloc(1, sizeof *r);
	if (!r)
		return aipm_err(-ENOMEM, "out of memory");
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	r->start_ts = NAN;
	int rc = each_line(dir, "phases.json", pair_line, r, &r->skipped);
	struct aipm_window *w = NULL;
	struct aipm_summary **s = NULL;
	if (!rc && r->n) {
		w = calloc(r->n, sizeof *w);
		s = calloc(r->n, sizeof *s);
		if (!w || !s)
			rc = aipm_err(-ENOMEM, "out of memory");
		for (size_t i = 0; !rc && i < r->n; i++)
			w[i] = (struct aipm_window){r->items[i].begin_ts, r->items[i].end_ts};
		if (!rc)
			rc = aipm_summary_load_windows(dir, w, r->n, threads, s);
		for (size_t i = 0; !rc && i < r->n; i++)
			r->items[i].s = s[i];
	}
	if (!rc)
		rc = by_name(r);
	if (!rc && aipm_recording_start_ts(dir, &r->start_ts) < 0)
		r->start_ts = NAN;
	free(w);
	free(s);
	if (rc < 0) {
		aipm_phase_report_free(r);
		return rc;
	}
	aipm_err_clear();
	*out = r;
	return 0;
}

void aipm_phase_report_free(struct aipm_phase_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		aipm_summary_free(r->items[i].s);
	free(r->items);
	free(r->names);
	free(r);
}

/* Numbers in text go through aipm_fmt_double's C locale as well. */
static void num(FILE *f, const char *fmt_ok, double v, int width)
{
	if (isnan(v)) {
		fprintf(f, "%*s", width, "-");
		return;
	}
	char buf[64];
	snprintf(buf, sizeof buf, fmt_ok, v);
	for (char *c = buf; *c; c++)
		if (*c == ',')
			*c = '.';
	fprintf(f, "%*s", width, buf);
}

void aipm_phase_report_print(const struct aipm_phase_report *r, FILE *f)
{
	fprintf(f, "phases of %s (energy: CPU packages + DRAM + GPUs; attributed: the experiment's share)\n",
		r->dir);
	fprintf(f, "  %-20s %4s %10s %10s %12s %12s %10s\n", "phase", "#", "start s", "duration s", "energy J",
		"attributed J", "CPU s");
	for (size_t i = 0; i < r->n; i++) {
		const struct aipm_phase_item *it = &r->items[i];
		fprintf(f, "  %-20s %4d", it->name, it->occurrence);
		num(f, "%.3f", isnan(r->start_ts) ? NAN : it->begin_ts - r->start_ts, 11);
		num(f, "%.3f", it->s->duration_s, 11);
		num(f, "%.3f", aipm_phase_machine_j(it->s), 13);
		num(f, "%.3f", aipm_phase_attributed_j(it->s), 13);
		num(f, "%.3f", it->s->cpu_time_s, 11);
		fprintf(f, "%s\n", it->open ? "  (never ended: to the end of the recording)" : "");
	}
	fprintf(f, "by name\n");
	fprintf(f, "  %-20s %4s %10s %10s %12s %12s %10s\n", "phase", "n", "", "duration s", "energy J",
		"attributed J", "CPU s");
	for (size_t i = 0; i < r->nnames; i++) {
		const struct aipm_phase_total *t = &r->names[i];
		fprintf(f, "  %-20s %4d %10s", t->name, t->count, "");
		num(f, "%.3f", t->duration_s, 11);
		num(f, "%.3f", t->energy_j, 13);
		num(f, "%.3f", t->attributed_j, 13);
		num(f, "%.3f", t->cpu_time_s, 11);
		fprintf(f, "\n");
	}
	if (r->skipped)
		fprintf(f, "%lld line(s) of phases.json skipped (unreadable, or an end without a begin)\n",
			r->skipped);
}

static void jnum(struct aipm_buf *b, const char *key, double v)
{
	aipm_buf_puts(b, ", ");
	aipm_buf_json_str(b, key);
	aipm_buf_puts(b, ": ");
	if (isnan(v) || isinf(v))
		aipm_buf_puts(b, "null");
	else
		aipm_buf_double(b, v);
}

/* Unix times keep their microseconds: %.15g would drop them. */
static void jts(struct aipm_buf *b, const char *key, double ts)
{
	if (!isfinite(ts)) {
		jnum(b, key, NAN);
		return;
	}
	long long us = llround(ts * 1e6);
	aipm_buf_printf(b, ", \"%s\": %lld.%06lld", key, us / 1000000, us % 1000000);
}

static void jtotals(struct aipm_buf *b, const double *t)
{
	aipm_buf_puts(b, ", \"energy_by_kind_j\": {");
	bool first = true;
	for (int k = 0; k < AIPM_TOTAL_COUNT; k++) {
		if (isnan(t[k]))
			continue;
		if (!first)
			aipm_buf_puts(b, ", ");
		first = false;
		aipm_buf_json_str(b, aipm_total_name((enum aipm_total)k));
		aipm_buf_puts(b, ": ");
		aipm_buf_double(b, t[k]);
	}
	aipm_buf_puts(b, "}");
}

void aipm_phase_report_json(const struct aipm_phase_report *r, struct aipm_buf *b)
{
	aipm_buf_puts(b, "{\"dir\": ");
	aipm_buf_json_str(b, r->dir);
	aipm_buf_puts(b, ", \"phases\": [");
	for (size_t i = 0; i < r->n; i++) {
		const struct aipm_phase_item *it = &r->items[i];
		aipm_buf_puts(b, i ? ", {\"name\": " : "{\"name\": ");
		aipm_buf_json_str(b, it->name);
		aipm_buf_printf(b, ", \"occurrence\": %d, \"open\": %s", it->occurrence, it->open ? "true" : "false");
		jts(b, "begin_timestamp", it->begin_ts);
		jts(b, "end_timestamp", it->end_ts);
		jnum(b, "start_s", isnan(r->start_ts) ? NAN : it->begin_ts - r->start_ts);
		jnum(b, "duration_s", it->s->duration_s);
		jnum(b, "energy_j", aipm_phase_machine_j(it->s));
		jnum(b, "attributed_j", aipm_phase_attributed_j(it->s));
		jnum(b, "cpu_time_s", it->s->cpu_time_s);
		aipm_buf_printf(b, ", \"segments\": %d", it->s->segments);
		jtotals(b, it->s->total_j);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "], \"by_name\": [");
	for (size_t i = 0; i < r->nnames; i++) {
		const struct aipm_phase_total *t = &r->names[i];
		aipm_buf_puts(b, i ? ", {\"name\": " : "{\"name\": ");
		aipm_buf_json_str(b, t->name);
		aipm_buf_printf(b, ", \"count\": %d", t->count);
		jnum(b, "duration_s", t->duration_s);
		jnum(b, "energy_j", t->energy_j);
		jnum(b, "attributed_j", t->attributed_j);
		jnum(b, "cpu_time_s", t->cpu_time_s);
		jtotals(b, t->total_j);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_printf(b, "], \"skipped_lines\": %lld}", r->skipped);
}

/* ---- metrics ---- */

static int point_line(void *ctx, const cJSON *j)
{
	struct aipm_metric_report *r = ctx;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "metrics");
	if (!cJSON_IsObject(m)) {
		r->skipped++;
		return 0;
	}
	if (r->n % 16 == 0) {
		void *v = realloc(r->points, (r->n + 16) * sizeof *r->points);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		r->points = v;
	}
	struct aipm_metric_point *p = &r->points[r->n];
	memset(p, 0, sizeof *p);
	p->ts = cJSON_GetObjectItemCaseSensitive(j, "timestamp")->valuedouble;
	p->metrics_json = cJSON_PrintUnformatted(m);
	if (!p->metrics_json)
		return aipm_err(-ENOMEM, "out of memory");
	r->n++;
	return 0;
}

int aipm_metric_report_load(const char *dir, int threads, struct aipm_metric_report **out)
{
	struct aipm_metric_report *r = calloc(1, sizeof *r);
	if (!r)
		return aipm_err(-ENOMEM, "out of memory");
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	r->start_ts = NAN;
	int rc = each_line(dir, "results_exp.json", point_line, r, &r->skipped);
	struct aipm_window *w = NULL;
	struct aipm_summary **s = NULL;
	if (!rc && r->n) {
		w = calloc(r->n, sizeof *w);
		s = calloc(r->n, sizeof *s);
		if (!w || !s)
			rc = aipm_err(-ENOMEM, "out of memory");
		/* Cumulative windows, and differences of them: consecutive
		 * windows [t0, t1] [t1, t2] would each lose the interval that
		 * straddles t1; differences lose nothing. */
		for (size_t i = 0; !rc && i < r->n; i++)
			w[i] = (struct aipm_window){-INFINITY, r->points[i].ts};
		if (!rc)
			rc = aipm_summary_load_windows(dir, w, r->n, threads, s);
		for (size_t i = 0; !rc && i < r->n; i++) {
			struct aipm_metric_point *p = &r->points[i];
			p->energy_j = aipm_phase_machine_j(s[i]);
			p->attributed_j = aipm_phase_attributed_j(s[i]);
			p->cpu_time_s = s[i]->cpu_time_s;
			double prev_e = i ? r->points[i - 1].energy_j : 0, prev_a = i ? r->points[i - 1].attributed_j : 0;
			double prev_d = i ? s[i - 1]->duration_s : 0, d = s[i]->duration_s;
			p->d_energy_j = p->energy_j - (isnan(prev_e) ? 0 : prev_e);
			p->d_attributed_j = p->attributed_j - (isnan(prev_a) ? 0 : prev_a);
			p->d_s = (isnan(d) ? 0 : d) - (isnan(prev_d) ? 0 : prev_d);
		}
	}
	for (size_t i = 0; s && i < r->n; i++)
		aipm_summary_free(s[i]);
	if (!rc && aipm_recording_start_ts(dir, &r->start_ts) < 0)
		r->start_ts = NAN;
	free(w);
	free(s);
	if (rc < 0) {
		aipm_metric_report_free(r);
		return rc;
	}
	aipm_err_clear();
	*out = r;
	return 0;
}

void aipm_metric_report_free(struct aipm_metric_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->points[i].metrics_json);
	free(r->points);
	free(r);
}

void aipm_metric_report_print(const struct aipm_metric_report *r, FILE *f)
{
	fprintf(f, "logged points of %s (energy: CPU packages + DRAM + GPUs, from the start / since the "
		   "previous point)\n", r->dir);
	fprintf(f, "  %10s %12s %12s %12s %12s  %s\n", "at s", "energy J", "+energy J", "attributed J",
		"+attrib. J", "metrics");
	for (size_t i = 0; i < r->n; i++) {
		const struct aipm_metric_point *p = &r->points[i];
		fprintf(f, "  ");
		num(f, "%.3f", isnan(r->start_ts) ? NAN : p->ts - r->start_ts, 10);
		num(f, "%.3f", p->energy_j, 13);
		num(f, "%.3f", p->d_energy_j, 13);
		num(f, "%.3f", p->attributed_j, 13);
		num(f, "%.3f", p->d_attributed_j, 13);
		fprintf(f, "  %s\n", p->metrics_json);
	}
	if (r->skipped)
		fprintf(f, "%lld line(s) of results_exp.json skipped (unreadable)\n", r->skipped);
}

void aipm_metric_report_json(const struct aipm_metric_report *r, struct aipm_buf *b)
{
	aipm_buf_puts(b, "{\"dir\": ");
	aipm_buf_json_str(b, r->dir);
	aipm_buf_puts(b, ", \"points\": [");
	for (size_t i = 0; i < r->n; i++) {
		const struct aipm_metric_point *p = &r->points[i];
		aipm_buf_printf(b, "%s{\"index\": %zu", i ? ", " : "", i);
		jts(b, "timestamp", p->ts);
		jnum(b, "at_s", isnan(r->start_ts) ? NAN : p->ts - r->start_ts);
		aipm_buf_puts(b, ", \"metrics\": ");
		aipm_buf_puts(b, p->metrics_json);
		jnum(b, "energy_j", p->energy_j);
		jnum(b, "attributed_j", p->attributed_j);
		jnum(b, "cpu_time_s", p->cpu_time_s);
		jnum(b, "energy_since_previous_j", p->d_energy_j);
		jnum(b, "attributed_since_previous_j", p->d_attributed_j);
		jnum(b, "duration_since_previous_s", p->d_s);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_printf(b, "], \"skipped_lines\": %lld}", r->skipped);
}
