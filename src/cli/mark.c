/* mark.c: `aipm mark [--end] NAME` and `aipm log KEY=VALUE...`, the
 * clients of the control socket of a running `aipm run` (control.h).
 *
 * `aipm mark NAME` begins phase NAME and `aipm mark --end NAME` ends it:
 * explicit, not a toggle, so a lost or repeated call is an error that says
 * so instead of silently inverting every later phase. Arguments are checked
 * here, before anything is sent, with the library's own rules, so a bad name
 * or number is a usage error whether or not a run is going on.
 *
 * Exit status: 0 done; 2 a usage error: bad arguments, not inside
 * `aipm run` (AIPM_CONTROL unset), a phase already open or not open; 1 the
 * running aipm cannot be reached or cannot write the recording.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "args.h"
#include "common.h"
#include "control.h"
#include "record/phases.h"
#include "util.h"

static int exit_for(int e)
{
	return (e == -ENOENT || e == -EINVAL || e == -EALREADY || e == -ENAMETOOLONG) ? AIPM_EXIT_USAGE
										     : AIPM_EXIT_FAIL;
}

static int send_req(const char *what, struct aipm_buf *b)
{
	if (b->oom)
		return cli_fail(AIPM_EXIT_FAIL, "out of memory");
	int e = control_request(b->data, b->len);
	aipm_buf_free(b);
	return e < 0 ? cli_fail_lib(exit_for(e), what) : AIPM_EXIT_OK;
}

enum { END = 1 };
static const struct cli_opt mark_table[] = {
	CLI_FLAG(END, 'e', "end", "end phase NAME (without it: begin it)"),
	CLI_OPT_END,
};
static const struct cli_opt *const mark_tables[] = {mark_table, NULL};
static const struct cli_opt log_table[] = {CLI_OPT_END};
static const struct cli_opt *const log_tables[] = {log_table, NULL};

int cmd_mark(int argc, char **argv)
{
	bool end = false;
	const char *name = NULL;
	struct cli_args a;
	cli_args_init(&a, "mark", mark_tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		if (c == CLI_ARGS_HELP) {
			printf("usage: aipm mark NAME        begin phase NAME\n"
			       "       aipm mark --end NAME  end it\n\n"
			       "Mark a phase of the command measured by the running `aipm run` (call it from\n"
			       "that command or any process it starts). A name may repeat (one \"train\" per\n"
			       "epoch); `aipm report --by-phase DIR` gives each phase's energy and CPU time.\n"
			       "Exit 2 outside `aipm run` or when the phase is already open / not open.\n\n");
			cli_args_help(stdout, mark_tables);
			return AIPM_EXIT_OK;
		}
		if (c == END)
			end = true;
		else if (c != CLI_ARGS_OPERAND)
			return AIPM_EXIT_USAGE;
		else if (name)
			return cli_fail(AIPM_EXIT_USAGE, "mark: one phase at a time ('%s' and '%s'). Usage: aipm mark "
							 "[--end] NAME", name, a.value);
		else
			name = a.value;
	}
	if (!name)
		return cli_fail(AIPM_EXIT_USAGE, "mark: no phase name. Usage: aipm mark [--end] NAME");
	if (aipm_phases_check_name("phase", name) < 0)
		return cli_fail_lib(AIPM_EXIT_USAGE, "mark");
	struct aipm_buf b = {0};
	aipm_buf_puts(&b, end ? "end" : "begin");
	aipm_buf_put(&b, "", 1);
	aipm_buf_puts(&b, name);
	return send_req("mark", &b);
}

int cmd_log(int argc, char **argv)
{
	struct cli_args a;
	cli_args_init(&a, "log", log_tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		if (c == CLI_ARGS_HELP) {
			printf("usage: aipm log KEY=VALUE...\n\n"
			       "Log experiment metrics (numbers) with the time into results_exp.json of the\n"
			       "running `aipm run`; one call is one line. `aipm report --metrics DIR` shows the\n"
			       "energy at each logged point. Exit 2 outside `aipm run` or on a bad KEY=VALUE.\n\n");
			cli_args_help(stdout, log_tables);
			return AIPM_EXIT_OK;
		}
		if (c != CLI_ARGS_OPERAND)
			return AIPM_EXIT_USAGE;
	}
	int n;
	char **kv = cli_args_rest(&a, &n);
	if (n < 1)
		return cli_fail(AIPM_EXIT_USAGE, "log: no metric. Usage: aipm log KEY=VALUE... (e.g. aipm log "
						 "epoch=3 acc=0.93)");
	if (n > 256)
		return cli_fail(AIPM_EXIT_USAGE, "log: %d metrics in one call; at most 256", n);
	struct aipm_buf b = {0};
	aipm_buf_puts(&b, "log");
	for (int i = 0; i < n; i++) {
		char *eq = strchr(kv[i], '=');
		char *end;
		double v = eq ? strtod(eq + 1, &end) : NAN;
		if (!eq || eq == kv[i] || end == eq + 1 || *end || !isfinite(v)) {
			aipm_buf_free(&b);
			return cli_fail(AIPM_EXIT_USAGE, "log: '%s' is not KEY=NUMBER. Give e.g. acc=0.93 loss=1.2e-3",
					kv[i]);
		}
		*eq = '\0';
		if (aipm_phases_check_name("metric", kv[i]) < 0) {
			aipm_buf_free(&b);
			return cli_fail_lib(AIPM_EXIT_USAGE, "log");
		}
		for (int k = 0; k < i; k++)
			if (!strcmp(kv[k], kv[i])) {
				aipm_buf_free(&b);
				return cli_fail(AIPM_EXIT_USAGE, "log: '%s' is given twice. Give each metric once",
						kv[i]);
			}
		aipm_buf_put(&b, "", 1);
		aipm_buf_puts(&b, kv[i]);
		aipm_buf_put(&b, "", 1);
		aipm_buf_printf(&b, "%.17g", v);
	}
	return send_req("log", &b);
}
