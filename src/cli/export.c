/* export.c: `aipm export --csv DIR [-o FILE]`. Flags and files only; the
 * CSV itself is the library's (aipm_export_csv in aipm.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aipm.h"
#include "args.h"
#include "common.h"

enum { CSV = 1, OUTPUT };
static const struct cli_opt table[] = {
	CLI_FLAG(CSV, 0, "csv", "the format: CSV (the one there is)"),
	CLI_VALUE(OUTPUT, 'o', "output", "FILE", "a file name, or - for standard output",
		  "write to FILE (default, or -: standard output)"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm export --csv DIR [-o FILE]\n\n"
		   "Write the recording in DIR as CSV: one row per sample, one column per metric\n"
		   "(per-pid and per-GPU values as name.pid / name.gpu). Empty cells: not measured.\n"
		   "With phases.json, a phases column names the phases each sample belongs to.\n"
		   "Without -o the CSV goes to standard output.\n\n");
	cli_args_help(f, tables);
}

int cmd_export(int argc, char **argv)
{
	bool csv = false;
	const char *path = NULL;
	struct cli_args a;
	cli_args_init(&a, "export", tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		switch (c) {
		case CSV: csv = true; break;
		case OUTPUT: path = a.value; break;
		case CLI_ARGS_OPERAND: break;
		case CLI_ARGS_HELP: usage(stdout); return AIPM_EXIT_OK;
		default: return AIPM_EXIT_USAGE;
		}
	}
	int n;
	char **dirs = cli_args_rest(&a, &n);
	if (!csv)
		return cli_fail(AIPM_EXIT_USAGE, "export: no format given. CSV is the one there is: aipm export --csv DIR");
	if (n != 1)
		return cli_fail(AIPM_EXIT_USAGE, "export: give exactly one recording DIR (got %d). Export each one on its own",
				n);
	const char *dir = dirs[0];
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
