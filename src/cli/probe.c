/* probe.c: `aipm probe [--json]`: each source, available or not, why, and
 * the fix, then the scope `aipm run` would use. Flags and the environment
 * only: the probe itself is the library's (aipm_probe_json/_text in
 * aipm.h), which opens the sources exactly as a recording would and takes
 * one sampling step, so a counter that opens but cannot be read is caught. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "args.h"
#include "common.h"

enum { JSON = 1 };
static const struct cli_opt table[] = {
	CLI_FLAG(JSON, 0, "json", "one JSON object"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

/* 0, -1 after --help, or the exit status after the message. */
static int parse_args(int argc, char **argv, bool *json)
{
	struct cli_args a;
	cli_args_init(&a, "probe", tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		if (c == JSON) {
			*json = true;
		} else if (c == CLI_ARGS_HELP) {
			printf("usage: aipm probe [--json]\n\nSay which sources can measure on this machine, why the "
			       "others cannot, and how to fix them.\n\n");
			cli_args_help(stdout, tables);
			return -1;
		} else {
			return c == CLI_ARGS_OPERAND ? cli_args_unexpected(&a, a.value) : AIPM_EXIT_USAGE;
		}
	}
	return 0;
}

int cmd_probe(int argc, char **argv)
{
	bool json = false;
	int pr = parse_args(argc, argv, &json);
	if (pr)
		return pr < 0 ? AIPM_EXIT_OK : pr;
	/* The environment is read here, in the CLI: the library never calls
	 * getenv (aipm.h says why). */
	struct aipm_probe_options po;
	aipm_probe_options_init(&po, AIPM_PROBE_OPTIONS_VERSION);
	CLI_ROOTS_FROM_ENV(&po);
	char *out = NULL;
	if ((json ? aipm_probe_json(&po, &out) : aipm_probe_text(&po, &out)) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "probe");
	fputs(out, stdout);
	aipm_string_free(out);
	return 0;
}
