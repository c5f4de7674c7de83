/* api_report.c: the report of `aipm report` through include/aipm.h:
 * aipm_report_text/_json/_write for one recording or several, a window,
 * the views by phase and by logged point, and aipm_report_html.
 *
 * Only the options and the loop over recordings live here: the totals are
 * analysis/summary.h's, the phase and point windows analysis/phases.h's,
 * the page export/html.h's. The string forms write into a memory stream
 * through the same code as the FILE form, so `aipm report` (which writes
 * to stdout as the windows close) and a program asking for a string get
 * the same bytes. Reads no environment variable (the CLI reads
 * AIPM_THREADS and passes it as threads).
 */
#include "aipm.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/out.h"
#include "analysis/phases.h"
#include "analysis/summary.h"
#include "api_util.h"
#include "error.h"
#include "export/html.h"

/* What the options ask for, in the analysis module's terms. */
struct req {
	int view;
	struct aipm_summary_opts so;
	double carbon, pue; /* NAN: not asked for */
};

AIPM_API int aipm_report_options_init(struct aipm_report_options *opts, unsigned int version)
{
	return aipm_api_opts_init(opts, sizeof *opts, version, AIPM_REPORT_OPTIONS_VERSION, "aipm_report_options_init");
}

AIPM_API int aipm_report_time_parse(const char *text, double *value_s, int *relative)
{
	if (!text || !value_s || !relative)
		return aipm_err(-EINVAL, "aipm_report_time_parse: text, value_s or relative is NULL");
	double v;
	bool rel;
	int e = aipm_summary_parse_time(text, &v, &rel);
	if (e < 0)
		return e;
	*value_s = v;
	*relative = rel;
	return 0;
}

static int bound(const char *fn, const char *what, double v, double min)
{
	if (isfinite(v) && v >= min)
		return 0;
	return aipm_err(-EINVAL, "%s: %s %g is out of range: give a finite number >= %g", fn, what, v, min);
}

/* The caller's options, read as the version they say they are (version 1
 * has every member; a version 2 reads its own below them). */
static int take(const struct aipm_report_options *in, struct req *r, const char *fn)
{
	*r = (struct req){.so = {.from = NAN, .to = NAN}, .carbon = NAN, .pue = NAN};
	if (!in)
		return 0;
	int e = aipm_api_opts_check(in->version, AIPM_REPORT_OPTIONS_VERSION, fn, "report");
	if (e < 0)
		return e;
	if (in->view < AIPM_REPORT_SUMMARY || in->view > AIPM_REPORT_METRICS)
		return aipm_err(-EINVAL, "%s: view %d is none of AIPM_REPORT_SUMMARY, _PHASES, _METRICS", fn, in->view);
	r->view = in->view;
	/* A phase and a point are windows of their own, and their energies
	 * are not scaled: a window, carbon or PUE given with them would be
	 * dropped without a word, so it is refused. */
	if (r->view != AIPM_REPORT_SUMMARY && (in->has_from || in->has_to || in->has_carbon || in->has_pue))
		return aipm_err(-EINVAL, "%s: a window, carbon intensity and PUE apply to the summary view only; "
					 "leave them out of the phase and metric views", fn);
	if (in->has_from && (e = bound(fn, "from_s", in->from_s, 0)) < 0)
		return e;
	if (in->has_to && (e = bound(fn, "to_s", in->to_s, 0)) < 0)
		return e;
	if (in->has_from && in->has_to && !in->from_relative == !in->to_relative && in->from_s > in->to_s)
		return aipm_err(-EINVAL, "%s: the window starts (%g) after it ends (%g): it would be empty. Swap them", fn,
				in->from_s, in->to_s);
	if (in->has_carbon && (e = bound(fn, "carbon_g_per_kwh", in->carbon_g_per_kwh, 0)) < 0)
		return e;
	if (in->has_pue && (e = bound(fn, "pue", in->pue, 1)) < 0)
		return e;
	if (in->threads < 0)
		return aipm_err(-EINVAL, "%s: threads %d is negative: give 0 (all CPUs) or a count", fn, in->threads);
	if (in->has_from) {
		r->so.from = in->from_s;
		r->so.from_relative = in->from_relative != 0;
	}
	if (in->has_to) {
		r->so.to = in->to_s;
		r->so.to_relative = in->to_relative != 0;
	}
	r->carbon = in->has_carbon ? in->carbon_g_per_kwh : NAN;
	r->pue = in->has_pue ? in->pue : NAN;
	r->so.threads = in->threads;
	return 0;
}

static void put_json(struct aipm_summary **s, size_t n, struct aipm_summary *total, FILE *f)
{
	struct aipm_buf b = {0};
	if (n == 1) {
		aipm_summary_json(s[0], &b);
	} else {
		/* The top-level keys are the total's, so a script reads one
		 * recording and several the same way; blocks follow. */
		aipm_summary_json(total, &b);
		b.len--; /* the closing brace */
		aipm_buf_puts(&b, ", \"recordings\": [");
		for (size_t i = 0; i < n; i++) {
			if (i)
				aipm_buf_puts(&b, ", ");
			aipm_summary_json(s[i], &b);
		}
		aipm_buf_puts(&b, "]}");
	}
	if (b.data)
		fprintf(f, "%s\n", b.data);
	aipm_buf_free(&b);
}

/* Every recording is read before anything is written, so a recording
 * that cannot be read leaves no half report. */
static int summary_write(const char *const *dirs, size_t n, const struct req *r, bool json, FILE *f)
{
	struct aipm_summary **s = calloc(n, sizeof *s);
	struct aipm_summary *total = n > 1 ? aipm_summary_new_total() : NULL;
	int e = 0;
	if (!s || (n > 1 && !total)) {
		e = aipm_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((e = aipm_summary_load(dirs[i], &r->so, &s[i])) < 0)
			goto out;
		s[i]->carbon_g_per_kwh = r->carbon;
		s[i]->pue = r->pue;
		if (total && (e = aipm_summary_add(total, s[i])) < 0)
			goto out;
	}
	if (total) {
		total->carbon_g_per_kwh = r->carbon;
		total->pue = r->pue;
	}
	if (json) {
		put_json(s, n, total, f);
	} else {
		for (size_t i = 0; i < n; i++) {
			aipm_summary_print(s[i], f);
			fputc('\n', f);
		}
		if (total)
			aipm_summary_print(total, f);
	}
out:
	for (size_t i = 0; s && i < n; i++)
		aipm_summary_free(s[i]);
	aipm_summary_free(total);
	free(s);
	return e;
}

/* Phases or points, written as each window closes (phases.h). JSON: one
 * object for one recording, a list of objects for several. */
static int windows_write(const char *const *dirs, size_t n, bool metrics, bool json, FILE *f)
{
	if (json && n > 1)
		fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(json ? ", " : "\n", f);
		fflush(f);
		struct aipm_out o = {.f = f};
		int e = metrics ? aipm_metric_report_write(dirs[i], json, &o) : aipm_phase_report_write(dirs[i], json, &o);
		aipm_out_flush(&o, true);
		aipm_buf_free(&o.b);
		if (e < 0)
			return e;
		if (o.err)
			return aipm_err(o.err, "writing the report of %s failed: %s", dirs[i], strerror(-o.err));
	}
	if (json)
		fputs(n > 1 ? "]\n" : "\n", f);
	return 0;
}

static int check(const char *const *dirs, size_t n, const char *fn)
{
	if (!dirs || !n)
		return aipm_err(-EINVAL, "%s: no recording given. Give the DIR written by `aipm run -o DIR`", fn);
	for (size_t i = 0; i < n; i++)
		if (!dirs[i] || !*dirs[i])
			return aipm_err(-EINVAL, "%s: recording %zu has no directory name", fn, i);
	return 0;
}

static int report(const char *const *dirs, size_t n, const struct aipm_report_options *opts, bool json, FILE *f,
		  const char *fn)
{
	struct req r;
	int e = check(dirs, n, fn);
	if (e == 0)
		e = take(opts, &r, fn);
	if (e < 0)
		return e;
	e = r.view == AIPM_REPORT_SUMMARY ? summary_write(dirs, n, &r, json, f)
					  : windows_write(dirs, n, r.view == AIPM_REPORT_METRICS, json, f);
	if (e == 0 && (fflush(f) != 0 || ferror(f)))
		e = aipm_err(-EIO, "%s: writing the report failed", fn);
	return e;
}

AIPM_API int aipm_report_write(const char *const *dirs, size_t ndirs, const struct aipm_report_options *opts,
			       int json, FILE *f)
{
	if (!f)
		return aipm_err(-EINVAL, "aipm_report_write: the FILE is NULL");
	return report(dirs, ndirs, opts, json != 0, f, "aipm_report_write");
}

struct call {
	const char *const *dirs;
	size_t n;
	const struct aipm_report_options *opts;
	bool json;
	const char *fn;
};

static int call_write(FILE *f, void *ctx)
{
	const struct call *c = ctx;
	return report(c->dirs, c->n, c->opts, c->json, f, c->fn);
}

static int to_string(const char *const *dirs, size_t n, const struct aipm_report_options *opts, bool json,
		     char **out, const char *fn)
{
	if (!out)
		return aipm_err(-EINVAL, "%s: the output pointer is NULL", fn);
	struct call c = {dirs, n, opts, json, fn};
	return aipm_api_to_string(out, call_write, &c);
}

AIPM_API int aipm_report_text(const char *const *dirs, size_t ndirs, const struct aipm_report_options *opts,
			      char **text_out)
{
	return to_string(dirs, ndirs, opts, false, text_out, "aipm_report_text");
}

AIPM_API int aipm_report_json(const char *const *dirs, size_t ndirs, const struct aipm_report_options *opts,
			      char **json_out)
{
	return to_string(dirs, ndirs, opts, true, json_out, "aipm_report_json");
}

AIPM_API int aipm_report_html(const char *dir, const struct aipm_report_options *opts, const char *path)
{
	const char *fn = "aipm_report_html";
	if (!dir || !*dir || !path || !*path)
		return aipm_err(-EINVAL, "%s: give a recording directory and a file (\"-\": standard output)", fn);
	struct req r;
	int e = take(opts, &r, fn);
	if (e < 0)
		return e;
	if (r.view != AIPM_REPORT_SUMMARY || !isnan(r.so.from) || !isnan(r.so.to))
		return aipm_err(-EINVAL, "%s: the page holds the whole recording with its phases and logged points; "
					 "leave out the window and the view",
				fn);
	struct aipm_summary *s;
	if ((e = aipm_summary_load(dir, &r.so, &s)) < 0)
		return e;
	s->carbon_g_per_kwh = r.carbon;
	s->pue = r.pue;
	e = aipm_html_report_write(dir, s, path);
	aipm_summary_free(s);
	return e;
}
