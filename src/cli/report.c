/* report.c: `aipm report DIR... [--json] [--from T] [--to T]
 * [--carbon-intensity G] [--pue P] [--threads N]`, and `aipm report DIR
 * --html FILE`.
 *
 * Only flags and output here: the totals come from the analysis module
 * (summary.h), which reads each recording on all cores. Several DIRs (one
 * per node of a multi-node job) give one block each and a total.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/summary.h"
#include "args.h"
#include "common.h"
#include "export/html.h"
#include "report_phases.h"

enum { JSON = 1, FROM, TO, CARBON, PUE, THREADS, BY_PHASE, METRICS, HTML };

static const struct cli_opt table[] = {
	CLI_FLAG(JSON, 0, "json", "one JSON object (the README lists the keys)"),
	CLI_VALUE(FROM, 'f', "from", "T", "a time",
		  "only samples from T on: seconds from the start of the\nrecording (90.5) or a local date "
		  "\"2026-11-25 19:20:01\""),
	CLI_VALUE(TO, 't', "to", "T", "a time", "only samples up to T (the same forms)"),
	CLI_VALUE(CARBON, 0, "carbon-intensity", "G", "gCO2e per kWh", "add the emissions, G gCO2e per kWh"),
	CLI_VALUE(PUE, 0, "pue", "P", "a number >= 1",
		  "add the facility energy, P >= 1 (power usage effectiveness)"),
	CLI_VALUE(THREADS, 0, "threads", "N", "a number of threads",
		  "parse with N threads (default: $AIPM_THREADS, else all CPUs)"),
	CLI_FLAG(BY_PHASE, 0, "by-phase",
		 "each phase's energy, duration and CPU time, one by one\nand summed by name (aipm mark, the "
		 "library's phases)"),
	CLI_FLAG(METRICS, 0, "metrics", "the energy at each logged point (aipm log), e.g. per epoch"),
	CLI_VALUE(HTML, 0, "html", "FILE", "a file name, e.g. --html run.html",
		  "one self-contained HTML page (headline, tables, plots,\nphases, logged metrics, model, machine) "
		  "to FILE, or -\nfor standard output; it loads nothing from anywhere"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm report DIR... [--json] [--from T] [--to T]\n"
		   "                   [--carbon-intensity G] [--pue P] [--threads N]\n"
		   "       aipm report DIR --html FILE [--carbon-intensity G] [--pue P]\n\n"
		   "Summarise recordings: duration, energy per zone and GPU (J and Wh), the share\n"
		   "attributed to the experiment, CPU time, memory, GPU use, model.\n\n");
	cli_args_help(f, tables);
	fprintf(f, "\nA window's edges, a phase's and a point's, are interpolated between the samples\n"
		   "around them; a window no sample interval covers is reported as not measured.\n");
}

static bool parse_num(const char *flag, const char *arg, double min, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !isfinite(v) || v < min) {
		cli_fail(AIPM_EXIT_USAGE, "%s: '%s' is not a number >= %g. Give e.g. %s %g", flag, arg, min, flag,
			 min > 0 ? min : 50);
		return false;
	}
	*out = v;
	return true;
}

struct report_args {
	struct aipm_summary_opts o;
	double carbon, pue, threads;
	bool json, by_phase, metrics;
	const char *html;
	char **dirs;
	int ndirs;
};

/* The flags, before and after the DIRs: 0, -1 after --help, or the exit
 * status after the message. */
static int parse_args(int argc, char **argv, struct report_args *ra)
{
	*ra = (struct report_args){.o = {.from = NAN, .to = NAN}, .carbon = NAN, .pue = NAN};
	struct aipm_summary_opts *o = &ra->o;
	struct cli_args a;
	cli_args_init(&a, "report", tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		switch (c) {
		case CLI_ARGS_OPERAND: break; /* DIRs, gathered by cli_args_rest */
		case JSON: ra->json = true; break;
		case FROM:
		case TO:
			if (aipm_summary_parse_time(a.value, c == FROM ? &o->from : &o->to,
						    c == FROM ? &o->from_relative : &o->to_relative) < 0)
				return cli_fail_lib(AIPM_EXIT_USAGE, a.flag);
			break;
		case CARBON:
			if (!parse_num(a.flag, a.value, 0, &ra->carbon))
				return AIPM_EXIT_USAGE;
			break;
		case PUE:
			if (!parse_num(a.flag, a.value, 1, &ra->pue))
				return AIPM_EXIT_USAGE;
			break;
		case THREADS:
			if (!parse_num(a.flag, a.value, 1, &ra->threads))
				return AIPM_EXIT_USAGE;
			break;
		case BY_PHASE: ra->by_phase = true; break;
		case METRICS: ra->metrics = true; break;
		case HTML: ra->html = a.value; break;
		case CLI_ARGS_HELP: usage(stdout); return -1;
		default: return AIPM_EXIT_USAGE;
		}
	}
	ra->dirs = cli_args_rest(&a, &ra->ndirs);
	if (!isnan(o->from) && !isnan(o->to) && o->from_relative == o->to_relative && o->from > o->to)
		return cli_fail(AIPM_EXIT_USAGE, "report: --from is after --to: the window would be empty. Swap them");
	if (!ra->ndirs) {
		usage(stderr);
		return cli_fail(AIPM_EXIT_USAGE, "report: no recording given. Give the DIR written by `aipm run -o DIR`");
	}
	return 0;
}

static void print_json(struct aipm_summary **s, int n, struct aipm_summary *total)
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
		for (int i = 0; i < n; i++) {
			if (i)
				aipm_buf_puts(&b, ", ");
			aipm_summary_json(s[i], &b);
		}
		aipm_buf_puts(&b, "]}");
	}
	if (b.data)
		printf("%s\n", b.data);
	aipm_buf_free(&b);
}

/* One recording as one HTML page: the whole recording, which already
 * holds its phases and logged points, so no window or second format. */
static int report_html(char **dirs, int ndirs, const char *path, const struct aipm_summary_opts *o, bool other,
		       double carbon, double pue)
{
	if (ndirs != 1)
		return cli_fail(AIPM_EXIT_USAGE, "report: --html writes one recording's page (got %d DIRs). Run it once "
						 "per DIR", ndirs);
	if (other || !isnan(o->from) || !isnan(o->to))
		return cli_fail(AIPM_EXIT_USAGE, "report: --html holds the whole recording with its phases and logged "
						 "points; leave out --json, --by-phase, --metrics, --from and --to");
	struct aipm_summary *s;
	if (aipm_summary_load(dirs[0], o, &s) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "report");
	s->carbon_g_per_kwh = carbon;
	s->pue = pue;
	int rc = aipm_html_report_write(dirs[0], s, path);
	aipm_summary_free(s);
	if (rc < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "report --html");
	if (strcmp(path, "-"))
		fprintf(stderr, "aipm: wrote %s: the report of %s as one page\n", path, dirs[0]);
	return AIPM_EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	struct report_args ra;
	int pr = parse_args(argc, argv, &ra);
	if (pr)
		return pr < 0 ? AIPM_EXIT_OK : pr;
	struct aipm_summary_opts o = ra.o;
	double carbon = ra.carbon, pue = ra.pue, threads = ra.threads;
	bool json = ra.json, by_phase = ra.by_phase, metrics = ra.metrics;
	const char *html = ra.html;
	int ndirs = ra.ndirs;
	char **dirs = ra.dirs;
	/* The environment is read here, once, before any thread exists: the
	 * library never calls getenv (a host's setenv could race it). */
	const char *env = getenv("AIPM_THREADS");
	if (!threads && env && atoi(env) > 0)
		threads = atoi(env);
	o.threads = (int)threads;
	if (html)
		return report_html(dirs, ndirs, html, &o, json || by_phase || metrics, carbon, pue);
	if (by_phase || metrics)
		return report_phases(dirs, ndirs, metrics && !by_phase, json);
	struct aipm_summary **s = calloc((size_t)ndirs, sizeof *s);
	struct aipm_summary *total = ndirs > 1 ? aipm_summary_new_total() : NULL;
	int rc = AIPM_EXIT_OK;
	if (!s || (ndirs > 1 && !total)) {
		rc = cli_fail(AIPM_EXIT_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < ndirs; i++) {
		if (aipm_summary_load(dirs[i], &o, &s[i]) < 0) {
			rc = cli_fail_lib(AIPM_EXIT_FAIL, "report");
			goto out;
		}
		s[i]->carbon_g_per_kwh = carbon;
		s[i]->pue = pue;
		if (total)
			aipm_summary_add(total, s[i]);
	}
	if (total) {
		total->carbon_g_per_kwh = carbon;
		total->pue = pue;
	}
	if (json) {
		print_json(s, ndirs, total);
	} else {
		for (int i = 0; i < ndirs; i++) {
			aipm_summary_print(s[i], stdout);
			printf("\n");
		}
		if (total)
			aipm_summary_print(total, stdout);
	}
out:
	for (int i = 0; s && i < ndirs; i++)
		aipm_summary_free(s[i]);
	aipm_summary_free(total);
	free(s);
	return rc;
}
