/* report.c: `aipm report DIR... [--json] [--from T] [--to T]
 * [--carbon-intensity G] [--pue P] [--threads N]`, and `aipm report DIR
 * --html FILE`.
 *
 * Only flags here: the report is the library's (aipm_report_write,
 * aipm_report_html in aipm.h), which reads each recording on all cores.
 * Several DIRs (one per node of a multi-node job) give one block each and
 * a total.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "analysis/summary.h" /* the flags' window (aipm_summary_parse_time) */
#include "args.h"
#include "common.h"

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
	/* A phase's and a point's windows are their own: a window or a factor
	 * given with them would be dropped, so it is refused instead. */
	if ((ra->by_phase || ra->metrics) &&
	    (!isnan(o->from) || !isnan(o->to) || !isnan(ra->carbon) || !isnan(ra->pue)))
		return cli_fail(AIPM_EXIT_USAGE, "report: --from, --to, --carbon-intensity and --pue apply to the summary, "
						 "not to %s (each phase and logged point is its own window). Drop them, "
						 "or ask for the summary in a second `aipm report`",
				ra->by_phase ? "--by-phase" : "--metrics");
	if (!isnan(o->from) && !isnan(o->to) && o->from_relative == o->to_relative && o->from > o->to)
		return cli_fail(AIPM_EXIT_USAGE, "report: --from is after --to: the window would be empty. Swap them");
	if (!ra->ndirs) {
		usage(stderr);
		return cli_fail(AIPM_EXIT_USAGE, "report: no recording given. Give the DIR written by `aipm run -o DIR`");
	}
	return 0;
}

/* One recording as one HTML page: the whole recording, which already
 * holds its phases and logged points, so no window or second format. */
static int report_html(char **dirs, int ndirs, const char *path, const struct aipm_report_options *ro, bool other)
{
	if (ndirs != 1)
		return cli_fail(AIPM_EXIT_USAGE, "report: --html writes one recording's page (got %d DIRs). Run it once "
						 "per DIR", ndirs);
	if (other || ro->has_from || ro->has_to)
		return cli_fail(AIPM_EXIT_USAGE, "report: --html holds the whole recording with its phases and logged "
						 "points; leave out --json, --by-phase, --metrics, --from and --to");
	if (aipm_report_html(dirs[0], ro, path) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "report --html");
	if (strcmp(path, "-"))
		fprintf(stderr, "aipm: wrote %s: the report of %s as one page\n", path, dirs[0]);
	return AIPM_EXIT_OK;
}

/* The flags, as the library's options. A phase's and a point's windows
 * are their own: --from, --to, --carbon-intensity and --pue go with the
 * summary only (the library refuses them elsewhere). */
static void report_options(struct aipm_report_options *ro, const struct aipm_summary_opts *o, double carbon,
			   double pue, double threads, int view)
{
	aipm_report_options_init(ro, AIPM_REPORT_OPTIONS_VERSION);
	ro->view = view;
	ro->threads = (int)threads;
	if (view != AIPM_REPORT_SUMMARY)
		return;
	ro->has_from = !isnan(o->from);
	ro->from_s = o->from;
	ro->from_relative = o->from_relative;
	ro->has_to = !isnan(o->to);
	ro->to_s = o->to;
	ro->to_relative = o->to_relative;
	ro->has_carbon = !isnan(carbon);
	ro->carbon_g_per_kwh = carbon;
	ro->has_pue = !isnan(pue);
	ro->pue = pue;
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
	int view = by_phase ? AIPM_REPORT_PHASES : metrics ? AIPM_REPORT_METRICS : AIPM_REPORT_SUMMARY;
	struct aipm_report_options ro;
	report_options(&ro, &o, carbon, pue, threads, html ? AIPM_REPORT_SUMMARY : view);
	if (html)
		return report_html(dirs, ndirs, html, &ro, json || by_phase || metrics);
	if (aipm_report_write((const char *const *)dirs, (size_t)ndirs, &ro, json, stdout) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, view == AIPM_REPORT_PHASES	  ? "report --by-phase"
						    : view == AIPM_REPORT_METRICS ? "report --metrics"
										  : "report");
	return AIPM_EXIT_OK;
}
