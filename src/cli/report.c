/* report.c: `aipm report DIR... [--json] [--from T] [--to T]
 * [--carbon-intensity G] [--pue P] [--threads N]`, and `aipm report DIR
 * --html FILE`.
 *
 * Only flags here: the report is the library's (aipm_report_write,
 * aipm_report_html in aipm.h), which reads each recording on all cores.
 * Several DIRs (one per node of a multi-node job) give one block each and
 * a total.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "analysis/summary.h" /* the flags' window (aipm_summary_parse_time), in the getopt loop */
#include "common.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm report DIR... [--json] [--from T] [--to T]\n"
		   "                   [--carbon-intensity G] [--pue P] [--threads N]\n"
		   "       aipm report DIR --html FILE [--carbon-intensity G] [--pue P]\n\n"
		   "Summarise recordings: duration, energy per zone and GPU (J and Wh), the share\n"
		   "attributed to the experiment, CPU time, memory, GPU use, model.\n\n"
		   "  --json                  one JSON object (the README lists the keys)\n"
		   "  --from T, --to T        only samples in [T, T']: seconds from the start of the\n"
		   "                          recording (90.5) or a local date \"2026-11-25 19:20:01\"\n"
		   "  --carbon-intensity G    add the emissions, G gCO2e per kWh\n"
		   "  --pue P                 add the facility energy, P >= 1 (power usage effectiveness)\n"
		   "  --threads N             parse with N threads (default: $AIPM_THREADS, else all CPUs)\n"
		   "  --by-phase              each phase's energy, duration and CPU time, one by one\n"
		   "                          and summed by name (aipm mark, the library's phases)\n"
		   "  --metrics               the energy at each logged point (aipm log), e.g. per epoch\n"
		   "  --html FILE             one self-contained HTML page (headline, tables, plots,\n"
		   "                          phases, logged metrics, model, machine) to FILE, or - for\n"
		   "                          standard output; it loads nothing from anywhere\n\n"
		   "A window's edges, a phase's and a point's, are interpolated between the samples\n"
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
	static const struct option opts[] = {
		{"json", no_argument, 0, 'j'},
		{"from", required_argument, 0, 'f'},
		{"to", required_argument, 0, 't'},
		{"carbon-intensity", required_argument, 0, 'c'},
		{"pue", required_argument, 0, 'p'},
		{"threads", required_argument, 0, 'T'},
		{"by-phase", no_argument, 0, 'P'},
		{"metrics", no_argument, 0, 'M'},
		{"html", required_argument, 0, 'H'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct aipm_summary_opts o = {.from = NAN, .to = NAN};
	double carbon = NAN, pue = NAN, threads = 0;
	bool json = false, by_phase = false, metrics = false;
	const char *html = NULL;
	int c;
	optind = 0;
	/* GNU getopt permutes: flags may come before or after the DIRs. */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'f':
		case 't':
			if (aipm_summary_parse_time(optarg, c == 'f' ? &o.from : &o.to,
						    c == 'f' ? &o.from_relative : &o.to_relative) < 0)
				return cli_fail_lib(AIPM_EXIT_USAGE, c == 'f' ? "--from" : "--to");
			break;
		case 'c':
			if (!parse_num("--carbon-intensity", optarg, 0, &carbon))
				return AIPM_EXIT_USAGE;
			break;
		case 'p':
			if (!parse_num("--pue", optarg, 1, &pue))
				return AIPM_EXIT_USAGE;
			break;
		case 'T':
			if (!parse_num("--threads", optarg, 1, &threads))
				return AIPM_EXIT_USAGE;
			break;
		case 'P': by_phase = true; break;
		case 'M': metrics = true; break;
		case 'H':
			if (!optarg[0])
				return cli_fail(AIPM_EXIT_USAGE, "report: --html needs a file name, e.g. --html run.html");
			html = optarg;
			break;
		case 'h': usage(stdout); return AIPM_EXIT_OK;
		default: usage(stderr); return AIPM_EXIT_USAGE;
		}
	}
	if (!isnan(o.from) && !isnan(o.to) && o.from_relative == o.to_relative && o.from > o.to)
		return cli_fail(AIPM_EXIT_USAGE, "report: --from is after --to: the window would be empty. Swap them");
	int ndirs = argc - optind;
	char **dirs = argv + optind;
	if (!ndirs) {
		usage(stderr);
		return cli_fail(AIPM_EXIT_USAGE, "report: no recording given. Give the DIR written by `aipm run -o DIR`");
	}
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
