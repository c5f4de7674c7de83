/* attach.c: `aipm attach -p PID[,PID...] [OPTIONS]` measures processes that
 * already run, and their descendants, until they all end, Ctrl-C, or
 * --duration. aipm is not their parent, so it cannot reap them: CPU time of
 * a descendant that ends reaches the total only through its parent's
 * cutime when that parent is in the tree (said in the README).
 *
 * `aipm attach --cgroup PATH | --slurm-job ID | --container ID` measures a
 * cgroup instead (scope_opts.c resolves the name): its cpu.stat counts
 * every process that was ever in it, reaped or not, so nothing is lost;
 * it ends when the cgroup is empty or removed (the job ended). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aipm.h"
#include "common.h"
#include "record_opts.h"
#include "scope_opts.h"
#include "util.h"

enum { PID = 1, DURATION };

static const struct cli_opt attach_table[] = {
	CLI_VALUE(PID, 'p', "pid", "PID[,PID...]", "a list of pids", "the processes to measure"),
	CLI_VALUE(DURATION, 0, "duration", "S", "seconds", "stop after S seconds"),
	CLI_OPT_END,
};

static const struct cli_opt *const tables[] = {attach_table, scope_attach_table, record_opts_table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm attach -p PID[,PID...] | --cgroup PATH | --slurm-job ID | --container ID\n"
		   "                   [--duration S] [OPTIONS]\n\n"
		   "Measure running processes and their descendants, or a cgroup, until they end,\n"
		   "Ctrl-C, or the duration.\n\n");
	cli_args_help(f, tables);
}

static int parse_pids(const char *arg, pid_t *pids, size_t max, size_t *n)
{
	const char *p = arg;
	while (*p) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0 || v > 4194304 || (*end && *end != ','))
			return cli_fail(AIPM_EXIT_USAGE, "attach: -p: '%s' is not a list of process ids. Give e.g. -p 1234,5678",
					arg);
		if (*n == max)
			return cli_fail(AIPM_EXIT_USAGE, "attach: -p: at most %zu pids", max);
		pids[(*n)++] = (pid_t)v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	struct record_opts o;
	struct scope_opts so;
	record_opts_init(&o);
	scope_opts_init(&so);
	pid_t pids[256];
	size_t npids = 0;
	double duration = 0;
	struct cli_args a;
	cli_args_init(&a, "attach", tables, 0, argc, argv);
	int id;
	while ((id = cli_args_next(&a)) != CLI_ARGS_END) {
		int r = 1;
		if (id == CLI_ARGS_HELP) {
			usage(stdout);
			return 0;
		} else if (id == CLI_ARGS_OPERAND) {
			return cli_args_unexpected(&a, a.value);
		} else if (id == PID) {
			r = parse_pids(a.value, pids, 256, &npids) ? -1 : 1;
		} else if (id == DURATION) {
			r = cli_parse_duration(a.flag, a.value, &duration) ? 1 : -1;
		} else if (id == CLI_ARGS_ERROR) {
			r = -1;
		} else if (!(r = record_opts_apply(&o, &a, id))) {
			r = scope_opts_apply(&so, &a, id);
		}
		if (r <= 0)
			return AIPM_EXIT_USAGE;
	}
	if (npids && scope_opts_named(&so))
		return cli_fail(AIPM_EXIT_USAGE, "attach: -p and a cgroup (--cgroup, --slurm-job, --container) were both "
						 "given. Give one: the pids, or the cgroup that holds them");
	if (!npids && !scope_opts_named(&so))
		return cli_fail(AIPM_EXIT_USAGE, "attach: no process given. Usage: aipm attach -p PID[,PID...], or "
						 "--cgroup PATH, --slurm-job ID, --container ID");
	for (size_t i = 0; i < npids; i++)
		if (kill(pids[i], 0) < 0 && errno == ESRCH)
			return cli_fail(AIPM_EXIT_USAGE, "attach: no process %d is running. Check the pid (e.g. with `pgrep`)",
					(int)pids[i]);

	struct scope_state scope;
	int r = scope_attach_resolve(&scope, &so);
	if (r) {
		scope_state_free(&scope);
		return r;
	}
	struct aipm_recording_options ro;
	aipm_recording_options_init(&ro, AIPM_RECORDING_OPTIONS_VERSION);
	ro.mode = "attach";
	ro.pids = pids;
	ro.npids = npids;
	ro.scope = &scope.info;
	aipm_recording *rec;
	bool replaced = false;
	r = record_opts_open(&o, &ro, &rec, &replaced);
	if (r) {
		scope_state_free(&scope);
		return r;
	}
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (aipm_recording_start(rec, pids, npids) < 0) {
		int e = cli_fail_lib(AIPM_EXIT_FAIL, "attach");
		aipm_recording_close(rec);
		scope_state_free(&scope);
		return e;
	}
	record_opts_say_replaced(&o, replaced);
	record_opts_warn_sources(rec, o.quiet);
	double t0 = aipm_mono_s();
	const char *why = scope.info.cgroup ? "the cgroup has no process left" : "the processes ended";
	for (;;) {
		struct timespec tick = {0, 50 * 1000 * 1000};
		if (sigtimedwait(&set, NULL, &tick) > 0) {
			why = "interrupted";
			break;
		}
		if (!aipm_recording_tree_alive(rec))
			break;
		if (duration > 0 && aipm_mono_s() - t0 >= duration) {
			why = "duration reached";
			break;
		}
	}
	int werr = aipm_recording_stop(rec, -1);
	if (werr < 0)
		cli_fail_lib(0, "attach: the recording may be incomplete");
	bool removed = false;
	scope_attach_finish(&scope, rec, &removed);
	if (removed && !strcmp(why, "the cgroup has no process left"))
		why = "the cgroup was removed (its job or container ended)";
	aipm_recording_close(rec);
	scope_state_free(&scope);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!o.quiet) {
		fprintf(stderr, "aipm: stopped: %s\n", why);
		record_opts_print_summary(o.dir);
	}
	return werr < 0 ? AIPM_EXIT_FAIL : 0;
}
