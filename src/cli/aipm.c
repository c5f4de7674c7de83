/* aipm.c: the command line's entry point. It only dispatches: each
 * subcommand lives in its own file and parses its own flags, all with the
 * one grammar of args.h. */
#include <stdio.h>
#include <string.h>

#include "aipm.h"
#include "args.h"
#include "common.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"run", cmd_run, "run a command and measure it and its whole process tree"},
	{"attach", cmd_attach, "measure processes that already run, and their descendants"},
	{"report", cmd_report, "summarise one or more recordings (text or --json)"},
	{"probe", cmd_probe, "say which sources work on this machine, and how to fix the others"},
	{"export", cmd_export, "export a recording as CSV"},
	{"plot", cmd_plot, "plot a recording as PNG or SVG"},
	{"serve", cmd_serve, "serve the machine's energy counters to Prometheus"},
	{"model", cmd_model, "parameters and multiply-accumulates of an ONNX model"},
	{"mark", cmd_mark, "begin or end a named phase of the running `aipm run`"},
	{"log", cmd_log, "log experiment metrics (KEY=VALUE) into the running `aipm run`"},
};

enum { VERSION = 1 };
static const struct cli_opt table[] = {
	CLI_FLAG(VERSION, 'V', "version", "say aipm's version and exit"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm COMMAND [ARGS...]\n\n"
		   "aipm measures the energy of a command (CPU package, DRAM, GPUs), the share\n"
		   "due to its processes, its CPU time and memory, over time.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\noptions:\n");
	cli_args_help(f, tables);
	fprintf(f, "\n`aipm COMMAND --help` describes each one. aipm %s\n", aipm_version());
}

int main(int argc, char **argv)
{
	/* The same grammar as the subcommands'; options end at the command. */
	struct cli_args a;
	cli_args_init(&a, NULL, tables, CLI_ARGS_IN_ORDER, argc, argv);
	int id;
	while ((id = cli_args_next(&a)) != CLI_ARGS_END) {
		if (id == CLI_ARGS_HELP) {
			usage(stdout);
			return 0;
		}
		if (id == VERSION) {
			printf("aipm %s\n", aipm_version());
			return 0;
		}
		return AIPM_EXIT_USAGE;
	}
	int n;
	char **rest = cli_args_rest(&a, &n);
	if (n < 1) {
		usage(stderr);
		return AIPM_EXIT_USAGE;
	}
	const char *name = rest[0];
	if (!strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "version")) {
		printf("aipm %s\n", aipm_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].fn(n, rest);
	return cli_fail(AIPM_EXIT_USAGE, "'%s' is not an aipm command. Run `aipm --help` for the list", name);
}
