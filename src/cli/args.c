/* args.c: see args.h.
 *
 * getopt_long does the scanning (clusters, -xVALUE, --name=VALUE, `--`)
 * with opterr = 0, so it never prints; what it would have said is said
 * here in the house style. A long option is checked against the table
 * before getopt_long sees it: getopt_long takes unique prefixes, which
 * aipm refuses (args.h says why), and its errors for a long option do not
 * say which one. The optstring starts with '-' (operands come back one by
 * one, in order, wherever they are) or '+' (CLI_ARGS_IN_ORDER: the first
 * operand ends the options), and ':' (a missing value is told apart from
 * an unknown option). Either prefix also makes POSIXLY_CORRECT moot.
 */
#include "args.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

#include "common.h"

#define HELP_COL 25 /* where the help text of an option starts */

void cli_args_init(struct cli_args *a, const char *cmd, const struct cli_opt *const *tables, unsigned flags,
		   int argc, char **argv)
{
	memset(a, 0, sizeof *a);
	a->cmd = cmd;
	a->argc = argc;
	a->argv = argv;
	a->tables = tables;
	a->flags = flags;
	a->rest = argc;
	size_t k = 0, s = 0;
	a->shortopts[s++] = flags & CLI_ARGS_IN_ORDER ? '+' : '-';
	a->shortopts[s++] = ':';
	for (const struct cli_opt *const *t = tables; *t; t++)
		for (const struct cli_opt *o = *t; o->name; o++) {
			assert(k < CLI_ARGS_MAX && o->id > 0);
			a->byindex[k] = o;
			a->longopts[k] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
							 o->short_name ? o->short_name : 256 + (int)k};
			if (o->short_name) {
				a->shortopts[s++] = o->short_name;
				if (o->arg)
					a->shortopts[s++] = ':';
			}
			k++;
		}
	a->byindex[k] = NULL; /* -h, --help */
	a->longopts[k] = (struct option){"help", no_argument, NULL, 'h'};
	a->shortopts[s++] = 'h';
	a->shortopts[s] = '\0';
	optind = 0; /* glibc: start afresh */
	opterr = 0;
}

/* "aipm: CMD: " + message + ". See `aipm CMD --help`", on one line;
 * CLI_ARGS_ERROR. */
__attribute__((format(printf, 2, 3))) static int fail(const struct cli_args *a, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_fail(AIPM_EXIT_USAGE, "%s%s%s. See `aipm%s%s --help`", a->cmd ? a->cmd : "", a->cmd ? ": " : "", msg,
		 a->cmd ? " " : "", a->cmd ? a->cmd : "");
	return CLI_ARGS_ERROR;
}

static int nopts(const struct cli_args *a)
{
	int n = 0;
	while (a->longopts[n].name)
		n++;
	return n;
}

/* The options an unknown long name could have been meant as: those it
 * is a prefix of. */
static int unknown_long(const struct cli_args *a, const char *name, size_t n)
{
	char cands[256] = "";
	size_t len = 0;
	int found = 0, total = 0;
	for (int k = 0; n && a->longopts[k].name; k++)
		if (!strncmp(a->longopts[k].name, name, n))
			total++;
	for (int k = 0; n && a->longopts[k].name && len < sizeof cands; k++) {
		if (strncmp(a->longopts[k].name, name, n))
			continue;
		found++;
		const char *sep = found == 1 ? "" : found == total ? " or " : ", ";
		len += (size_t)snprintf(cands + len, sizeof cands - len, "%s--%s", sep, a->longopts[k].name);
	}
	if (found)
		return fail(a, "--%.*s is not an option (long options are written in full: did you mean %s?)", (int)n,
			    name, cands);
	return fail(a, "--%.*s is not an option", (int)n, name);
}

/* A long option, checked against the table before getopt_long parses it. */
static int check_long(const struct cli_args *a, int at)
{
	const char *name = a->argv[at] + 2;
	const char *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	for (int k = 0; a->longopts[k].name; k++) {
		const struct option *lo = &a->longopts[k];
		if (strlen(lo->name) != n || strncmp(lo->name, name, n))
			continue;
		const struct cli_opt *o = a->byindex[k];
		if (lo->has_arg == no_argument && eq)
			return fail(a, "--%s takes no value (got '%s')", lo->name, eq + 1);
		if (lo->has_arg == required_argument && !eq && at + 1 >= a->argc)
			return fail(a, "--%s needs a value (%s)", lo->name, o->what);
		return 0;
	}
	return unknown_long(a, name, n);
}

/* The option getopt_long returned as val (NULL: --help), its index in *k. */
static const struct cli_opt *by_val(const struct cli_args *a, int val, int *k)
{
	for (*k = 0; *k < nopts(a); (*k)++)
		if (a->longopts[*k].val == val)
			return a->byindex[*k];
	return NULL;
}

/* Gathered at the front of argv, where getopt_long has been already:
 * in this ordering it reads argv[optind] on and never moves anything. */
static int operand(struct cli_args *a)
{
	a->argv[1 + a->noperands++] = (char *)a->value;
	return CLI_ARGS_OPERAND;
}

int cli_args_next(struct cli_args *a)
{
	if (a->done) {
		if (!(a->flags & CLI_ARGS_IN_ORDER) && a->rest < a->argc) {
			a->value = a->argv[a->rest++];
			return operand(a);
		}
		return CLI_ARGS_END;
	}
	/* argv[at] is the element getopt_long reads next (neither ordering
	 * permutes argv); one that starts with "--" is a long option, never
	 * the rest of a cluster of short ones. */
	int at = optind ? optind : 1;
	if (at < a->argc && !strncmp(a->argv[at], "--", 2) && a->argv[at][2] && check_long(a, at))
		return CLI_ARGS_ERROR;
	a->value = NULL;
	a->opt = NULL;
	int c = getopt_long(a->argc, a->argv, a->shortopts, a->longopts, NULL);
	bool is_long = at < a->argc && !strncmp(a->argv[at], "--", 2);
	int k;
	switch (c) {
	case -1:
		a->done = true;
		a->rest = optind;
		return cli_args_next(a);
	case 1:
		a->value = optarg;
		return operand(a);
	case '?':
		if (!optopt) /* a long option check_long let through: none should be */
			return fail(a, "%s is not an option", a->argv[at]);
		return fail(a, "-%c is not an option", optopt);
	case ':': {
		const struct cli_opt *o = by_val(a, optopt, &k);
		return fail(a, "-%c needs a value (%s)", optopt, o ? o->what : "?");
	}
	default:
		break;
	}
	a->opt = by_val(a, c, &k);
	if (is_long)
		snprintf(a->flagbuf, sizeof a->flagbuf, "--%s", a->longopts[k].name);
	else
		snprintf(a->flagbuf, sizeof a->flagbuf, "-%c", c);
	a->flag = a->flagbuf;
	if (!a->opt)
		return CLI_ARGS_HELP;
	if (a->opt->arg) {
		a->value = optarg;
		if (!optarg || !*optarg)
			return fail(a, "%s needs a value (%s), not an empty one", a->flag, a->opt->what);
	}
	return a->opt->id;
}

char **cli_args_rest(const struct cli_args *a, int *n)
{
	if (!(a->flags & CLI_ARGS_IN_ORDER)) {
		*n = a->noperands;
		return a->argv + 1;
	}
	*n = a->argc - a->rest;
	return a->argv + a->rest;
}

int cli_args_unexpected(const struct cli_args *a, const char *operand)
{
	fail(a, "'%s' is not expected here", operand);
	return AIPM_EXIT_USAGE;
}

static void help_line(FILE *f, const struct cli_opt *o)
{
	int n = fprintf(f, "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
			o->short_name ? ", " : "  ", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	fprintf(f, "%*s", n < HELP_COL - 1 ? HELP_COL - n : 2, "");
	for (const char *p = o->help; *p; p++) {
		if (*p == '\n')
			fprintf(f, "\n%*s", HELP_COL, "");
		else if (!strncmp(p, "{range}", 7))
			fprintf(f, "%g to %g", o->lo, o->hi), p += 6;
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

void cli_args_help(FILE *f, const struct cli_opt *const *tables)
{
	for (const struct cli_opt *const *t = tables; *t; t++)
		for (const struct cli_opt *o = *t; o->name; o++)
			help_line(f, o);
	help_line(f, &(const struct cli_opt){.short_name = 'h', .name = "help", .help = "say this and exit"});
}
