/* plot.c: `aipm plot DIR [-m METRIC[,METRIC...]] -o FILE.png|FILE.svg`.
 * Flags only; the drawing is the library's (aipm_plot in aipm.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aipm.h"
#include "common.h"

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
		   "(dashed, with its band) where the recording has one. PNG needs cairo; SVG not.\n");
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{"metric", required_argument, 0, 'm'},
		{"output", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *out = NULL;
	char *list = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': list = optarg; break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return AIPM_EXIT_OK;
		default: usage(stderr); return AIPM_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_fail(AIPM_EXIT_USAGE, "plot: give exactly one recording DIR (got %d)", argc - optind);
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
	int rc = aipm_plot(argv[optind], metrics, n, out, &st);
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
