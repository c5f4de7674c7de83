/* export.c: `aipm export --csv DIR [-o FILE]`. Flags and files only; the
 * CSV itself is the library's (aipm_export_csv in aipm.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "aipm.h"
#include "common.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm export --csv DIR [-o FILE]\n\n"
		   "Write the recording in DIR as CSV: one row per sample, one column per metric\n"
		   "(per-pid and per-GPU values as name.pid / name.gpu). Empty cells: not measured.\n"
		   "With phases.json, a phases column names the phases each sample belongs to.\n"
		   "Without -o the CSV goes to standard output.\n");
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"csv", no_argument, 0, 'c'},
		{"output", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	bool csv = false;
	const char *path = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': csv = true; break;
		case 'o': path = optarg; break;
		case 'h': usage(stdout); return AIPM_EXIT_OK;
		default: usage(stderr); return AIPM_EXIT_USAGE;
		}
	}
	if (!csv)
		return cli_fail(AIPM_EXIT_USAGE, "export: no format given. CSV is the one there is: aipm export --csv DIR");
	if (argc - optind != 1)
		return cli_fail(AIPM_EXIT_USAGE, "export: give exactly one recording DIR (got %d). Export each one on its own",
				argc - optind);
	const char *dir = argv[optind];
	FILE *out = stdout;
	if (path && strcmp(path, "-")) {
		out = fopen(path, "we");
		if (!out)
			return cli_fail(AIPM_EXIT_FAIL, "export: cannot write %s: %s. Pick a writable path with -o", path,
					strerror(errno));
	}
	struct aipm_export_stats st = AIPM_EXPORT_STATS_INIT;
	int rc = aipm_export_csv(dir, out, &st);
	if (out != stdout && fclose(out) != 0 && rc == 0)
		return cli_fail(AIPM_EXIT_FAIL, "export: writing %s: %s", path, strerror(errno));
	if (rc < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "export");
	if (path)
		fprintf(stderr, "aipm: wrote %s: %lld rows, %lld columns, %d segment%s", path, st.rows, st.columns,
			st.segments, st.segments == 1 ? "" : "s");
	if (path && st.skipped_lines)
		fprintf(stderr, ", %lld blank, corrupt or truncated lines skipped", st.skipped_lines);
	if (path)
		fprintf(stderr, "\n");
	else if (st.skipped_lines)
		fprintf(stderr, "aipm: %lld blank, corrupt or truncated lines skipped\n", st.skipped_lines);
	return AIPM_EXIT_OK;
}
