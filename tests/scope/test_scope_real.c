/* test_scope_real.c: the scope module on this machine's real cgroup v2:
 * make a run's cgroup, move a process into it, read its CPU time against
 * the process's own (wait4), list its members, end it with survivors under
 * each policy, and read a removed cgroup. Skipped (exit 77, with the
 * reason) where no cgroup v2 is writable, e.g. as an ordinary user or in a
 * container with a read-only mount. Every process is killed by pid. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"
#include "scope/cgroup.h"

static struct aipm_cgroup_fs fs;

/* The test workload (tests/helpers/burn.c), exec'ed as `aipm run` does. */
static void run_sh(const char *script)
{
	const char *burn = getenv("AIPM_BURN");
	if (!burn)
		_exit(4);
	setenv("BURN", burn, 1);
	execl("/bin/sh", "sh", "-c", script, (char *)NULL);
	_exit(5);
}

/* A child that waits for "go" on a pipe, then runs body; the parent moves
 * it into the run's cgroup first, as `aipm run` will. */
static pid_t start(struct aipm_cgroup_run *run, void (*body)(int), int out_fd)
{
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		body(out_fd);
		_exit(0);
	}
	close(go[0]);
	assert_int_equal(aipm_cgroup_run_add_pid(run, pid), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	return pid;
}

static long long rusage_usec(const struct rusage *ru)
{
	return (long long)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec + (long long)ru->ru_stime.tv_sec * 1000000 +
	       ru->ru_stime.tv_usec;
}

static uint64_t usage_of(const char *path)
{
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat st;
	assert_int_equal(aipm_cgroup_scope_open(&fs, path, NULL, &s), 0);
	assert_int_equal(aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_CPU, &st), 0);
	aipm_cgroup_scope_close(s);
	return st.usage_usec;
}

static void burn_200(int fd)
{
	(void)fd;
	run_sh("exec \"$BURN\" 200");
}

static void test_run_cgroup_counts_the_process_cpu_time(void **state)
{
	(void)state;
	struct aipm_cgroup_run run;
	assert_int_equal(aipm_cgroup_run_create(&fs, NULL, &run), 0);
	char path[AIPM_CGROUP_PATH_MAX];
	pid_t pid = start(&run, burn_200, -1);
	assert_int_equal(aipm_cgroup_of_pid(&fs, pid, path, sizeof path), 0);
	assert_string_equal(path, run.path);
	int st;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	long long truth = rusage_usec(&ru);
	uint64_t got = usage_of(run.path);
	printf("# cpu.stat usage_usec %llu, wait4 %lld us\n", (unsigned long long)got, truth);
	assert_true(truth >= 190000);
	assert_true(llabs((long long)got - truth) <= truth / 50 + 1000);
	struct aipm_cgroup_run_end end;
	assert_int_equal(aipm_cgroup_run_remove(&run, AIPM_CGROUP_MOVE_OUT, &end), 0);
	assert_true(end.removed);
	assert_int_equal(end.left, 0);
	assert_true(aipm_cgroup_open_dir(&fs, run.path) == -ENOENT);
}

/* 20 children of 5 ms, reaped; and a 50 ms grandchild orphaned by its
 * subshell, which wait4 never sees but the cgroup counts. */
static void forks_and_orphan(int fd)
{
	(void)fd;
	run_sh("\"$BURN\" -f 20 5 >/dev/null; (\"$BURN\" 50 &)");
}

static void test_exited_and_orphaned_processes_are_counted(void **state)
{
	(void)state;
	struct aipm_cgroup_run run;
	assert_int_equal(aipm_cgroup_run_create(&fs, NULL, &run), 0);
	pid_t pid = start(&run, forks_and_orphan, -1);
	int st;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	/* the orphan ends on its own: wait until the cgroup is empty */
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat cs;
	assert_int_equal(aipm_cgroup_scope_open(&fs, run.path, NULL, &s), 0);
	for (int i = 0; i < 500; i++) {
		assert_int_equal(aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_EVENTS | AIPM_CGROUP_READ_CPU, &cs), 0);
		if (cs.have_events && !cs.populated)
			break;
		usleep(10000);
	}
	aipm_cgroup_scope_close(s);
	long long reaped = rusage_usec(&ru);
	printf("# cpu.stat usage_usec %llu, wait4 %lld us (the 50 ms orphan is not in wait4)\n",
	       (unsigned long long)cs.usage_usec, reaped);
	assert_false(cs.populated);
	assert_true(reaped >= 100000);
	assert_true((long long)cs.usage_usec >= reaped + 45000);
	/* and nothing twice: the orphan's 50 ms plus its exec, no more */
	assert_true((long long)cs.usage_usec <= reaped + 50000 + 25000);
	struct aipm_cgroup_run_end end;
	assert_int_equal(aipm_cgroup_run_remove(&run, AIPM_CGROUP_MOVE_OUT, &end), 0);
	assert_true(end.removed);
}

static bool contains(const pid_t *v, size_t n, pid_t p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == p)
			return true;
	return false;
}

/* Gone, or a zombie: the state after the last ')' of /proc/PID/stat. */
static bool dead(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

/* Three sleeping children; their pids go out through fd. */
static void three_sleepers(int fd)
{
	for (int i = 0; i < 3; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		assert_int_equal(write(fd, &p, sizeof p), sizeof p);
	}
	pause();
}

static void test_members_are_the_moved_process_and_its_children(void **state)
{
	(void)state;
	struct aipm_cgroup_run run;
	int fds[2];
	assert_int_equal(aipm_cgroup_run_create(&fs, NULL, &run), 0);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = start(&run, three_sleepers, fds[1]);
	pid_t kids[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(read(fds[0], &kids[i], sizeof kids[i]), sizeof kids[i]);
	close(fds[0]);
	close(fds[1]);
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_members m;
	pid_t pids[16];
	assert_int_equal(aipm_cgroup_scope_open(&fs, run.path, NULL, &s), 0);
	assert_int_equal(aipm_cgroup_scope_members(s, pids, 16, &m), 0);
	aipm_cgroup_scope_close(s);
	assert_int_equal(m.n, 4);
	for (int i = 0; i < 3; i++)
		assert_true(contains(pids, m.n, kids[i]));
	assert_true(contains(pids, m.n, pid));
	/* the command ends; its children outlive it: KILL ends them */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	struct aipm_cgroup_run_end end;
	assert_int_equal(aipm_cgroup_run_remove(&run, AIPM_CGROUP_KILL, &end), 0);
	assert_int_equal(end.left, 3);
	assert_true(end.removed);
	/* orphans now: dead (a zombie until init reaps it) */
	for (int i = 0; i < 3; i++)
		assert_true(dead(kids[i]));
}

/* A daemon: the command forks a sleeper and exits at once. */
static void daemonize(int fd)
{
	pid_t p = fork();
	if (p == 0) {
		setsid();
		sleep(30);
		_exit(0);
	}
	assert_int_equal(write(fd, &p, sizeof p), sizeof p);
}

static void test_a_survivor_is_moved_out_or_kept_as_asked(void **state)
{
	(void)state;
	for (int keep = 0; keep < 2; keep++) {
		struct aipm_cgroup_run run;
		int fds[2];
		pid_t daemon;
		assert_int_equal(aipm_cgroup_run_create(&fs, NULL, &run), 0);
		assert_int_equal(pipe(fds), 0);
		pid_t pid = start(&run, daemonize, fds[1]);
		assert_int_equal(read(fds[0], &daemon, sizeof daemon), sizeof daemon);
		close(fds[0]);
		close(fds[1]);
		waitpid(pid, NULL, 0);
		struct aipm_cgroup_run_end end;
		char path[AIPM_CGROUP_PATH_MAX], where[AIPM_CGROUP_PATH_MAX];
		snprintf(path, sizeof path, "%s", run.path);
		assert_int_equal(aipm_cgroup_run_remove(&run, keep ? AIPM_CGROUP_KEEP : AIPM_CGROUP_MOVE_OUT, &end), 0);
		assert_int_equal(end.left, 1);
		assert_int_equal(end.first[0], daemon);
		assert_int_equal(aipm_cgroup_of_pid(&fs, daemon, where, sizeof where), 0);
		if (keep) {
			assert_false(end.removed);
			assert_string_equal(where, path);
		} else {
			assert_true(end.removed);
			assert_int_equal(end.moved, 1);
			assert_string_equal(where, fs.self); /* back where aipm is */
		}
		kill(daemon, SIGKILL);
		if (keep) {
			char rel[AIPM_CGROUP_PATH_MAX + 400];
			for (int i = 0; i < 200 && kill(daemon, 0) == 0; i++)
				usleep(5000);
			assert_true(snprintf(rel, sizeof rel, "%s%s", fs.mount_point, path) < (int)sizeof rel);
			for (int i = 0; i < 100 && rmdir(rel) < 0; i++)
				usleep(5000);
			assert_int_equal(access(rel, F_OK), -1);
		}
	}
}

static void test_enter_self_moves_the_calling_child(void **state)
{
	(void)state;
	struct aipm_cgroup_run run;
	int in[2], out[2];
	assert_int_equal(aipm_cgroup_run_create(&fs, NULL, &run), 0);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c = aipm_cgroup_run_enter_self(&run) == 0 ? 'y' : 'n';
		if (write(out[1], &c, 1) != 1 || read(in[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	char c = 0, path[AIPM_CGROUP_PATH_MAX];
	assert_int_equal(read(out[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(aipm_cgroup_of_pid(&fs, pid, path, sizeof path), 0);
	assert_string_equal(path, run.path);
	assert_int_equal(write(in[1], "x", 1), 1);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < 4; i++)
		close(i < 2 ? in[i] : out[i - 2]);
	struct aipm_cgroup_run_end end;
	assert_int_equal(aipm_cgroup_run_remove(&run, AIPM_CGROUP_MOVE_OUT, &end), 0);
	assert_true(end.removed);
}

static void test_a_removed_cgroup_reads_as_enodev_not_zero(void **state)
{
	(void)state;
	struct aipm_cgroup_run run;
	assert_int_equal(aipm_cgroup_run_create(&fs, NULL, &run), 0);
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat st;
	assert_int_equal(aipm_cgroup_scope_open(&fs, run.path, NULL, &s), 0);
	struct aipm_cgroup_run_end end;
	assert_int_equal(aipm_cgroup_run_remove(&run, AIPM_CGROUP_MOVE_OUT, &end), 0);
	assert_int_equal(aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_CPU, &st), -ENODEV);
	assert_non_null(strstr(aipm_error_last(), "was removed"));
	pid_t pids[4];
	struct aipm_cgroup_members m;
	assert_int_equal(aipm_cgroup_scope_members(s, pids, 4, &m), -ENODEV);
	aipm_cgroup_scope_close(s);
}

/* A cgroup PREFIX-PID under aipm's, made age_s ago; holder, if not 0, is
 * moved into it. */
static void mkstale(const char *prefix, pid_t pid, pid_t holder, time_t age_s)
{
	char path[AIPM_CGROUP_PATH_MAX + 300];
	assert_true(snprintf(path, sizeof path, "%s%s/%s-%d", fs.mount_point, strcmp(fs.self, "/") ? fs.self : "", prefix,
			     (int)pid) < (int)sizeof path);
	assert_int_equal(mkdir(path, 0755), 0);
	if (holder) {
		char procs[sizeof path + 16], s[16];
		assert_true(snprintf(procs, sizeof procs, "%s/cgroup.procs", path) < (int)sizeof procs);
		snprintf(s, sizeof s, "%d", (int)holder);
		FILE *f = fopen(procs, "w");
		assert_non_null(f);
		assert_true(fputs(s, f) >= 0);
		assert_int_equal(fclose(f), 0);
	}
	struct timespec t[2] = {{time(NULL) - age_s, 0}, {time(NULL) - age_s, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool exists(const char *prefix, pid_t pid)
{
	char path[AIPM_CGROUP_PATH_MAX];
	assert_true(snprintf(path, sizeof path, "%s/%s-%d", fs.self, prefix, (int)pid) < (int)sizeof path);
	int fd = aipm_cgroup_open_dir(&fs, path);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static void rm_cgroup(const char *prefix, pid_t pid)
{
	char path[AIPM_CGROUP_PATH_MAX + 300];
	assert_true(snprintf(path, sizeof path, "%s%s/%s-%d", fs.mount_point, strcmp(fs.self, "/") ? fs.self : "", prefix,
			     (int)pid) < (int)sizeof path);
	for (int i = 0; i < 100 && rmdir(path) < 0 && errno != ENOENT; i++)
		usleep(5000);
}

static void test_run_create_sweeps_only_stale_empty_cgroups_of_dead_aipms(void **state)
{
	(void)state;
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	pid_t holder = fork();
	if (holder == 0) {
		pause();
		_exit(0);
	}
	mkstale("aipm-sweep", dead, 0, 120);     /* stale: removed */
	mkstale("aipm-young", dead, 0, 5);       /* made 5 s ago: kept */
	mkstale("aipm-full", dead, holder, 120); /* holds a process: kept */
	mkstale("aipm-live", getppid(), 0, 120); /* its aipm lives: kept */
	static const char *prefixes[] = {"aipm-sweep", "aipm-young", "aipm-full", "aipm-live"};
	for (size_t i = 0; i < 4; i++) {
		struct aipm_cgroup_run_opts o;
		struct aipm_cgroup_run run;
		struct aipm_cgroup_run_end end;
		aipm_cgroup_run_opts_init(&o);
		o.name_prefix = prefixes[i];
		assert_int_equal(aipm_cgroup_run_create(&fs, &o, &run), 0);
		assert_int_equal(aipm_cgroup_run_remove(&run, AIPM_CGROUP_MOVE_OUT, &end), 0);
	}
	bool swept = !exists("aipm-sweep", dead), young = exists("aipm-young", dead), full = exists("aipm-full", dead),
	     live = exists("aipm-live", getppid());
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	rm_cgroup("aipm-sweep", dead);
	rm_cgroup("aipm-young", dead);
	rm_cgroup("aipm-full", dead);
	rm_cgroup("aipm-live", getppid());
	assert_true(swept);
	assert_true(young);
	assert_true(full);
	assert_true(live);
}

int main(void)
{
	if (aipm_cgroup_fs_open(&fs, NULL, NULL) < 0) {
		printf("skip: %s\n", aipm_error_last());
		return 77;
	}
	struct aipm_cgroup_run probe;
	struct aipm_cgroup_run_end end;
	if (aipm_cgroup_run_create(&fs, NULL, &probe) < 0) {
		printf("skip: cgroup v2 at %s is not writable here: %s\n", fs.mount_point, aipm_error_last());
		return 77;
	}
	aipm_cgroup_run_remove(&probe, AIPM_CGROUP_MOVE_OUT, &end);
	printf("# %s; aipm's cgroup %s\n", fs.describe, fs.self);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_cgroup_counts_the_process_cpu_time),
		cmocka_unit_test(test_exited_and_orphaned_processes_are_counted),
		cmocka_unit_test(test_members_are_the_moved_process_and_its_children),
		cmocka_unit_test(test_a_survivor_is_moved_out_or_kept_as_asked),
		cmocka_unit_test(test_enter_self_moves_the_calling_child),
		cmocka_unit_test(test_run_create_sweeps_only_stale_empty_cgroups_of_dead_aipms),
		cmocka_unit_test(test_a_removed_cgroup_reads_as_enodev_not_zero),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	aipm_cgroup_fs_close(&fs);
	return rc;
}
