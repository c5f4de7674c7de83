/* run.c: `aipm run [OPTIONS] [--] CMD [ARGS...]`.
 *
 * Behaves like `time` or `perf stat`: the command keeps the terminal and
 * stdin, aipm exits with its status (128+N when signal N ended it), and
 * exit 127 when it cannot be started. aipm becomes a child subreaper, so a
 * daemonising grandchild is reparented to aipm and stays in the tree, and
 * its CPU time reaches the total through wait4's rusage when aipm reaps it.
 *
 * Signals are blocked in every thread and taken synchronously with
 * sigwaitinfo in the main loop: SIGCHLD reaps, and SIGINT/SIGTERM/SIGHUP
 * sent to aipm by a process are forwarded to the command. Those the
 * terminal sends (si_code SI_KERNEL) already reach the command, which
 * shares aipm's process group, so they are not sent twice.
 *
 * Where aipm can make a cgroup (root, or a delegated subtree), the command
 * runs in one of its own (scope_opts.c): moved in between fork and exec,
 * while it waits for the first sample, so its first instruction is
 * counted; its CPU time is then the cgroup's cpu.stat and the per-sample
 * cost follows the tree, not the machine. Elsewhere the /proc scan, and
 * metadata.json says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aipm.h"
#include "common.h"
#include "control.h"
#include "record_opts.h"
#include "scope_opts.h"

static const struct cli_opt *const tables[] = {record_opts_table, scope_run_table, record_opts_model_table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm run [OPTIONS] [--] CMD [ARGS...]\n\n"
		   "Run CMD and measure it and every process it starts: energy of each RAPL zone\n"
		   "and GPU, the share due to CMD, CPU time, memory. Exits with CMD's status.\n"
		   "Options end at CMD's first word (or at --): what follows is CMD's.\n\n");
	cli_args_help(f, tables);
}

/* Is argv0 something execvp can run? Checked before anything is created,
 * so a typo leaves no recording behind. */
static bool resolvable(const char *argv0)
{
	struct stat st;
	if (strchr(argv0, '/')) /* a directory passes access(X_OK) but never runs */
		return stat(argv0, &st) == 0 && S_ISREG(st.st_mode) && access(argv0, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char buf[4096];
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? p : ".", argv0);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return true;
		if (!end)
			return false;
		p = end;
	}
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return AIPM_EXIT_FAIL;
}

/* Child: wait for the go (the first sample is taken), then exec. */
static void child(char **cmd, int go_fd, int err_fd, const sigset_t *old)
{
	char c;
	sigprocmask(SIG_SETMASK, old, NULL);
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(go_fd);
	execvp(cmd[0], cmd);
	int e = errno;
	if (write(err_fd, &e, sizeof e) < 0) { /* parent reports it */
	}
	_exit(AIPM_EXIT_NOEXEC);
}

struct wait_result {
	int status;
	bool done;
};

static void reap(aipm_recording *rec, pid_t cmd, struct wait_result *w)
{
	int st;
	struct rusage ru;
	pid_t p;
	while ((p = wait4(-1, &st, WNOHANG, &ru)) > 0) {
		aipm_recording_add_reaped(rec, (unsigned long long)ru.ru_utime.tv_sec * 1000000u +
							(unsigned long long)ru.ru_utime.tv_usec +
							(unsigned long long)ru.ru_stime.tv_sec * 1000000u +
							(unsigned long long)ru.ru_stime.tv_usec);
		if (p == cmd) {
			w->status = st;
			w->done = true;
		}
	}
}

int cmd_run(int argc, char **argv)
{
	struct record_opts o;
	struct scope_opts so;
	record_opts_init(&o);
	scope_opts_init(&so);
	struct cli_args a;
	cli_args_init(&a, "run", tables, CLI_ARGS_IN_ORDER, argc, argv);
	int id;
	while ((id = cli_args_next(&a)) != CLI_ARGS_END) {
		if (id == CLI_ARGS_HELP) {
			usage(stdout);
			return 0;
		}
		int r = id < 0 ? -1 : record_opts_apply(&o, &a, id);
		if (r == 0)
			r = scope_opts_apply(&so, &a, id);
		if (r <= 0)
			return AIPM_EXIT_USAGE;
	}
	int ncmd;
	char **cmd = cli_args_rest(&a, &ncmd);
	if (!ncmd)
		return cli_fail(AIPM_EXIT_USAGE, "run: no command given. Usage: aipm run [OPTIONS] [--] CMD [ARGS...]");
	if (!resolvable(cmd[0]))
		return cli_fail(AIPM_EXIT_NOEXEC, "run: cannot run '%s': command not found or not executable. "
						  "Check the name and PATH", cmd[0]);

	if (record_opts_model_check(&o))
		return AIPM_EXIT_USAGE;

	/* Committed only once the command is exec'd: a command that cannot
	 * start leaves the previous recording as it was. */
	struct scope_state scope;
	struct aipm_recording_options ro;
	aipm_recording_options_init(&ro, AIPM_RECORDING_OPTIONS_VERSION);
	ro.mode = "run";
	ro.command = (const char *const *)cmd;
	ro.scope = &scope.info;
	ro.defer_commit = 1;
	aipm_recording *rec;
	bool replaced = false;
	int r = record_opts_open(&o, &ro, &rec, &replaced);
	if (r)
		return r;

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* With the signals blocked: a SIGTERM while the cgroup is made (and
	 * stale ones swept) waits for the command, as any other does. */
	if ((r = scope_run_prepare(&scope, &so)) != 0) {
		scope_state_free(&scope);
		aipm_recording_close(rec);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return r;
	}

	int go[2], errp[2];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		scope_state_free(&scope);
		aipm_recording_close(rec);
		return cli_fail(AIPM_EXIT_FAIL, "run: pipe: %s", strerror(errno));
	}
	struct control *ctl = NULL; /* `aipm mark` and `aipm log` reach the recording through it */
	if (control_start(&ctl, rec) < 0)
		cli_fail_lib(0, "run: aipm mark and aipm log will not work");
	pid_t pid = fork();
	if (pid < 0) {
		control_stop(ctl);
		scope_state_free(&scope);
		aipm_recording_close(rec);
		return cli_fail(AIPM_EXIT_FAIL, "run: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(go[1]);
		close(errp[0]);
		child(cmd, go[0], errp[1], &old);
	}
	close(go[0]);
	close(errp[1]);
	scope_run_enter(&scope, pid, o.quiet);
	if (aipm_recording_start(rec, &pid, 1) < 0) {
		int e = cli_fail_lib(AIPM_EXIT_FAIL, "run");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		control_stop(ctl);
		scope_state_free(&scope);
		aipm_recording_close(rec);
		return e;
	}
	record_opts_warn_sources(rec, o.quiet);
	if (write(go[1], "g", 1) < 0) { /* the child sees EOF and goes anyway */
	}
	close(go[1]);
	int exec_errno = 0;
	if (read(errp[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno)
		exec_errno = 0;
	close(errp[0]);
	if (exec_errno) {
		/* Nothing ran: undo (the staged file goes, an appended segment is
		 * cut off) and leave the recording as it was. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		control_stop(ctl);
		aipm_recording_close(rec);
		scope_state_free(&scope);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return cli_fail(AIPM_EXIT_NOEXEC, "run: cannot run '%s': %s. Nothing was recorded; %s is left as it was",
				cmd[0], strerror(exec_errno), o.dir);
	}
	if (aipm_recording_commit(rec) < 0)
		cli_fail_lib(0, "run: the command runs, but is not recorded");
	else
		record_opts_say_replaced(&o, replaced);
	record_opts_model_store(rec, &o);

	struct wait_result w = {0};
	while (!w.done) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD)
			reap(rec, pid, &w);
		else if (si.si_code != SI_KERNEL)
			kill(pid, sig);
	}
	reap(rec, pid, &w);
	control_stop(ctl);
	int werr = aipm_recording_stop(rec, exit_code(w.status));
	if (werr < 0)
		cli_fail_lib(0, "run: the recording may be incomplete");
	scope_run_finish(&scope, &so, rec);
	aipm_recording_close(rec);
	scope_state_free(&scope);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!o.quiet)
		record_opts_print_summary(o.dir);
	return exit_code(w.status);
}
