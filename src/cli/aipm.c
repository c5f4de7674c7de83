/* aipm.c: the command line's entry point. It only dispatches: each
 * subcommand lives in its own file and parses its own flags. */
#include <stdio.h>
#include <string.h>

#include "aipm.h"
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

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm COMMAND [ARGS...]\n\n"
		   "aipm measures the energy of a command (CPU package, DRAM, GPUs), the share\n"
		   "due to its processes, its CPU time and memory, over time.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`aipm COMMAND --help` describes each one. aipm %s\n", aipm_version());
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return AIPM_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("aipm %s\n", aipm_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_fail(AIPM_EXIT_USAGE, "'%s' is not an aipm command. Run `aipm --help` for the list", name);
}
