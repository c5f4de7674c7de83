/* plot.c: `aipm plot DIR [-m METRIC[,METRIC...]] -o FILE.png|FILE.svg`.
 * Flags only; the drawing is the library's (aipm_plot in aipm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aipm.h"
#include "args.h"
#include "common.h"

enum { METRIC = 1, OUTPUT };
static const struct cli_opt table[] = {
	CLI_VALUE(METRIC, 'm', "metric", "METRIC[,METRIC...]", "a list of metrics", "the metrics to draw"),
	CLI_VALUE(OUTPUT, 'o', "output", "FILE", "a file name ending in .png or .svg",
		  "the picture: FILE.png or FILE.svg"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm plot DIR [-m METRIC[,METRIC...]] -o FILE.png|FILE.svg\n\n"
		   "Draw metrics of the recording in DIR over elapsed time (clock time below): one\n"
		   "series per metric and device, named with its energy and mean power (or its\n"
		   "mean), one panel per unit from zero, powers as steps over the interval they\n"
		   "average, segments as gaps, phases as bands (one colour per name). METRIC is a\n"
		   "field name (intel_power, per_zone_power, per_gpu_power_draw.0,\n"
		   "experiment_mem_pss, per_process_cpu_uses, ...: the CSV export's column names,\n"
		   "or their prefix). Without -m: the power of every zone and GPU, the machine's\n"
		   "power with the experiment's share as an area under it, and the CPU estimate\n"
		   "(dashed, with its band) where the recording has one. PNG needs cairo; SVG not.\n\n");
	cli_args_help(f, tables);
}

int cmd_plot(int argc, char **argv)
{
	const char *out = NULL;
	const char *list = NULL;
	struct cli_args a;
	cli_args_init(&a, "plot", tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		switch (c) {
		case METRIC: list = a.value; break;
		case OUTPUT: out = a.value; break;
		case CLI_ARGS_OPERAND: break;
		case CLI_ARGS_HELP: usage(stdout); return AIPM_EXIT_OK;
		default: return AIPM_EXIT_USAGE;
		}
	}
	int ndirs;
	char **dirs = cli_args_rest(&a, &ndirs);
	if (ndirs != 1)
		return cli_fail(AIPM_EXIT_USAGE, "plot: give exactly one recording DIR (got %d)", ndirs);
	if (!out)
		return cli_fail(AIPM_EXIT_USAGE, "plot: no output file. Add -o FILE.png or -o FILE.svg");
	size_t len = strlen(out);
	if (len < 5 || (strcasecmp(out + len - 4, ".png") && strcasecmp(out + len - 4, ".svg")))
		return cli_fail(AIPM_EXIT_USAGE, "plot: -o %s: the name must end in .png or .svg", out);
	const char *metrics[64];
	size_t n = 0;
	char *copy = list ? strdup(list) : NULL, *save = NULL;
	for (char *m = copy ? strtok_r(copy, ",", &save) : NULL; m; m = strtok_r(NULL, ",", &save)) {
		if (n == 64) {
			free(copy);
			return cli_fail(AIPM_EXIT_USAGE, "plot: -m: more than 64 metrics. Draw fewer per picture");
		}
		metrics[n++] = m;
	}
	if (list && !n) {
		free(copy);
		return cli_fail(AIPM_EXIT_USAGE, "plot: -m '%s' names no metric. Give e.g. -m intel_power,per_gpu_power_draw",
				list);
	}
	struct aipm_export_stats st = AIPM_EXPORT_STATS_INIT;
	int rc = aipm_plot(dirs[0], metrics, n, out, &st);
	free(copy);
	if (rc < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "plot");
	fprintf(stderr, "aipm: wrote %s: %d series in %d panel%s, %lld points", out, st.series, st.panels,
		st.panels == 1 ? "" : "s", st.points);
	fprintf(stderr, ", %d segment%s", st.segments, st.segments == 1 ? "" : "s");
	if (st.phases)
		fprintf(stderr, ", %d phases", st.phases);
	if (st.phases_dropped)
		fprintf(stderr, " (%d more not shaded: at most 256)", st.phases_dropped);
	if (st.dropped_series)
		fprintf(stderr, "; %d more series left out (at most 48 per picture: narrow -m)", st.dropped_series);
	if (st.skipped_lines)
		fprintf(stderr, "; %lld blank, corrupt or truncated lines skipped", st.skipped_lines);
	fprintf(stderr, "\n");
	return AIPM_EXIT_OK;
}
