/* report.c: `aipm report DIR... [--json] [--from T] [--to T]
 * [--carbon-intensity G] [--pue P] [--threads N]`.
 *
 * Only flags and output here: the totals come from the analysis module
 * (summary.h), which reads each recording on all cores. Several DIRs (one
 * per node of a multi-node job) give one block each and a total.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/summary.h"
#include "common.h"
#include "report_phases.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm report DIR... [--json] [--from T] [--to T]\n"
		   "                   [--carbon-intensity G] [--pue P] [--threads N]\n\n"
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
		   "  --metrics               the energy at each logged point (aipm log), e.g. per epoch\n\n"
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
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct aipm_summary_opts o = {.from = NAN, .to = NAN};
	double carbon = NAN, pue = NAN, threads = 0;
	bool json = false, by_phase = false, metrics = false;
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
	o.threads = (int)threads;
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
