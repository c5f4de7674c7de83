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

int cmd_mark(int argc, char **argv)
{
	bool end = false;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: aipm mark NAME        begin phase NAME\n"
			       "       aipm mark --end NAME  end it\n\n"
			       "Mark a phase of the command measured by the running `aipm run` (call it from\n"
			       "that command or any process it starts). A name may repeat (one \"train\" per\n"
			       "epoch); `aipm report --by-phase DIR` gives each phase's energy and CPU time.\n"
			       "Exit 2 outside `aipm run` or when the phase is already open / not open.\n");
			return AIPM_EXIT_OK;
		}
		if (!strcmp(argv[i], "-e") || !strcmp(argv[i], "--end"))
			end = true;
		else if (!strcmp(argv[i], "--") && i + 1 < argc && !name)
			name = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_fail(AIPM_EXIT_USAGE, "mark: unknown option '%s'. Usage: aipm mark [--end] NAME",
					argv[i]);
		else if (name)
			return cli_fail(AIPM_EXIT_USAGE, "mark: one phase at a time ('%s' and '%s'). Usage: aipm mark "
							 "[--end] NAME", name, argv[i]);
		else
			name = argv[i];
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
	if (argc < 2)
		return cli_fail(AIPM_EXIT_USAGE, "log: no metric. Usage: aipm log KEY=VALUE... (e.g. aipm log "
						 "epoch=3 acc=0.93)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("usage: aipm log KEY=VALUE...\n\n"
		       "Log experiment metrics (numbers) with the time into results_exp.json of the\n"
		       "running `aipm run`; one call is one line. `aipm report --metrics DIR` shows the\n"
		       "energy at each logged point. Exit 2 outside `aipm run` or on a bad KEY=VALUE.\n");
		return AIPM_EXIT_OK;
	}
	if (argc - 1 > 256)
		return cli_fail(AIPM_EXIT_USAGE, "log: %d metrics in one call; at most 256", argc - 1);
	struct aipm_buf b = {0};
	aipm_buf_puts(&b, "log");
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		char *end;
		double v = eq ? strtod(eq + 1, &end) : NAN;
		if (!eq || eq == argv[i] || end == eq + 1 || *end || !isfinite(v)) {
			aipm_buf_free(&b);
			return cli_fail(AIPM_EXIT_USAGE, "log: '%s' is not KEY=NUMBER. Give e.g. acc=0.93 loss=1.2e-3",
					argv[i]);
		}
		*eq = '\0';
		if (aipm_phases_check_name("metric", argv[i]) < 0) {
			aipm_buf_free(&b);
			return cli_fail_lib(AIPM_EXIT_USAGE, "log");
		}
		for (int k = 1; k < i; k++)
			if (!strcmp(argv[k], argv[i])) {
				aipm_buf_free(&b);
				return cli_fail(AIPM_EXIT_USAGE, "log: '%s' is given twice. Give each metric once",
						argv[i]);
			}
		aipm_buf_put(&b, "", 1);
		aipm_buf_puts(&b, argv[i]);
		aipm_buf_put(&b, "", 1);
		aipm_buf_printf(&b, "%.17g", v);
	}
	return send_req("log", &b);
}
