/* args.h: the one argument grammar of every aipm subcommand, over
 * getopt_long, from one option table per subcommand that also prints its
 * --help lines (so the help and the parser cannot drift apart).
 *
 * The grammar, the same everywhere:
 *   --name=VALUE, --name VALUE, -xVALUE, -x VALUE; clustered flags (-aq);
 *   `--` ends the options; long names are written in full (a prefix is
 *   refused, with the names it could mean: a prefix that is unique today
 *   turns ambiguous when an option is added, and would break scripts);
 *   an empty VALUE is a missing one.
 * Options and operands mix (`aipm report DIR --json`), except with
 * CLI_ARGS_IN_ORDER (`aipm run`, top-level `aipm`): options end at the
 * first operand, which starts the command (`aipm run -i 0.5 python x.py
 * -i 3` gives -i 3 to python).
 * Errors are one line on stderr, naming the subcommand and the flag, and
 * the caller exits AIPM_EXIT_USAGE:
 *   aipm: report: --jsn is not an option. See `aipm report --help`
 *   aipm: run: -o needs a value (a directory). See `aipm run --help`
 *   aipm: report: --json takes no value (got '1'). See `aipm report --help`
 */
#ifndef AIPM_CLI_ARGS_H
#define AIPM_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#define CLI_ARGS_MAX 48 /* options of one subcommand, all tables together */

/* What cli_args_next returns besides an option's id (ids are > 0). */
enum {
	CLI_ARGS_END = 0,      /* no more arguments (IN_ORDER: cli_args_rest) */
	CLI_ARGS_ERROR = -1,   /* said on stderr: exit AIPM_EXIT_USAGE */
	CLI_ARGS_OPERAND = -2, /* a non-option: a->value */
	CLI_ARGS_HELP = -3,    /* -h or --help, which every subcommand has */
};

/* One option: how it is parsed and what --help says. A table ends with
 * an entry whose name is NULL. */
struct cli_opt {
	int id;           /* > 0, unique among the tables of one subcommand */
	char short_name;  /* 0: none */
	const char *name; /* long name, without "--" */
	const char *arg;  /* NULL: a flag, it takes no value; else the value as --help shows it */
	const char *what; /* the value in an error: "-o needs a value (a directory)" */
	/* --help text; '\n' goes on with the next line; "{range}" prints
	 * "lo to hi" from the two numbers below (the library's bounds). */
	const char *help;
	double lo, hi;
};

/* Table entries: a flag, an option with a value, one whose value is a
 * number within lo..hi ("{range}" in its help), the end. */
#define CLI_FLAG(id, s, name, help) {(id), (s), (name), NULL, NULL, (help), 0, 0}
#define CLI_VALUE(id, s, name, arg, what, help) {(id), (s), (name), (arg), (what), (help), 0, 0}
#define CLI_RANGE(id, s, name, arg, what, help, lo, hi) {(id), (s), (name), (arg), (what), (help), (lo), (hi)}
#define CLI_OPT_END {0, 0, NULL, NULL, NULL, NULL, 0, 0}

enum { CLI_ARGS_IN_ORDER = 1 };

struct cli_args {
	const char *cmd; /* "run", or NULL for the top-level aipm */
	int argc;
	char **argv;
	const struct cli_opt *const *tables; /* NULL-terminated */
	unsigned flags;
	const char *value;         /* of the option or operand just returned */
	const char *flag;          /* the option as written: "-o", "--output" */
	const struct cli_opt *opt; /* the option just returned */
	int rest;                  /* IN_ORDER: the operands start at argv[rest] */
	int noperands;             /* else: so many, gathered at argv[1] on */
	bool done;
	char flagbuf[64];
	char shortopts[2 * CLI_ARGS_MAX + 8];
	struct option longopts[CLI_ARGS_MAX + 2];
	const struct cli_opt *byindex[CLI_ARGS_MAX + 1];
};

/* argc/argv start at the subcommand's name (argv[0] is not parsed). */
void cli_args_init(struct cli_args *a, const char *cmd, const struct cli_opt *const *tables, unsigned flags,
		   int argc, char **argv);
/* The next option's id, CLI_ARGS_OPERAND, CLI_ARGS_HELP, CLI_ARGS_END, or
 * CLI_ARGS_ERROR after the message. */
int cli_args_next(struct cli_args *a);
/* After CLI_ARGS_END: the operands in order, *n of them (IN_ORDER: the
 * command and its arguments; else those cli_args_next returned, which it
 * gathered at the front of argv). */
char **cli_args_rest(const struct cli_args *a, int *n);
/* An operand the subcommand does not take: the message; AIPM_EXIT_USAGE. */
int cli_args_unexpected(const struct cli_args *a, const char *operand);
/* The --help lines of the tables, then -h, --help. */
void cli_args_help(FILE *f, const struct cli_opt *const *tables);

#endif
