/* bench_scope: CPU time to read a cgroup scope per sample, against a scope
 * of 1 and of 1,000 sleeping processes, with and without 1,000 other
 * sleeping processes on the machine, on this machine's real cgroup v2; the
 * procfs source's /proc scan of the same process tree beside it. Prints
 * microseconds per sample; asserts nothing.
 *
 *   bench_scope [SAMPLES]
 *
 * Columns: cpu.stat alone (the fast tier: one pread), + cgroup.events and
 * cgroup.stat, members (cgroup.procs of the scope, with descendants), all
 * three together, and the procfs source's sample of the tree (lists all of
 * /proc: grows with the machine). Needs a writable cgroup v2 (root, or a
 * delegated subtree); says why not and stops otherwise.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aipm.h"
#include "bench_util.h"
#include "scope/cgroup.h"
#include "source.h"

/* A root moved into the run's cgroup, then n-1 children forked inside. */
static pid_t spawn_in(struct aipm_cgroup_run *run, int n)
{
	int go[2], ready[2];
	if (pipe(go) < 0 || pipe(ready) < 0)
		exit(1);
	pid_t root = fork();
	if (root == 0) {
		char c;
		setpgid(0, 0);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (int i = 1; i < n; i++)
			if (fork() == 0) {
				pause();
				_exit(0);
			}
		if (write(ready[1], "r", 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	if (aipm_cgroup_run_add_pid(run, root) < 0) {
		fprintf(stderr, "bench_scope: %s\n", aipm_error_last());
		exit(1);
	}
	char c;
	if (write(go[1], "g", 1) < 0 || read(ready[0], &c, 1) != 1)
		exit(1);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	return root;
}

/* n sleeping processes that are not aipm's descendants (aipm counts its
 * own children as the experiment's): a double fork leaves them to init. */
static pid_t spawn_outside(int n)
{
	int p[2];
	pid_t root = 0;
	if (pipe(p) < 0)
		exit(1);
	pid_t mid = fork();
	if (mid == 0) {
		root = bench_spawn_tree(n);
		_exit(write(p[1], &root, sizeof root) == sizeof root ? 0 : 1);
	}
	waitpid(mid, NULL, 0);
	if (read(p[0], &root, sizeof root) != sizeof root)
		exit(1);
	close(p[0]);
	close(p[1]);
	return root;
}

enum { CPU, EVENTS, MEMBERS, ALL, PROCFS, NCOLS };

static double time_scope(struct aipm_cgroup_scope *s, int what, int samples, pid_t *pids, size_t cap, size_t *n)
{
	struct aipm_cgroup_stat st;
	struct aipm_cgroup_members m = {0};
	unsigned mask = what == CPU ? AIPM_CGROUP_READ_CPU : AIPM_CGROUP_READ_CPU | AIPM_CGROUP_READ_EVENTS;
	double t0 = 0;
	for (int i = 0; i <= samples; i++) {
		if (i == 1)
			t0 = bench_thread_cpu_us();
		if (what != MEMBERS && aipm_cgroup_scope_read(s, mask, &st) < 0)
			exit(1);
		if ((what == MEMBERS || what == ALL) && aipm_cgroup_scope_members(s, pids, cap, &m) < 0)
			exit(1);
	}
	*n = m.n;
	return (bench_thread_cpu_us() - t0) / samples;
}

/* The product's /proc scan of the same tree: procfs's own sample(). */
static double time_procfs(pid_t root, int samples)
{
	struct aipm_source_config cfg = {.roots = &root, .nroots = 1, .mem_interval_s = 1e9};
	struct aipm_source *src = NULL;
	if (aipm_source_procfs.open(&cfg, &src) < 0 || !src->available)
		return -1;
	src->ops = &aipm_source_procfs;
	struct aipm_snapshot snap;
	aipm_snapshot_init(&snap);
	double t0 = 0;
	for (int i = 0; i <= samples; i++) {
		if (i == 1)
			t0 = bench_thread_cpu_us();
		snap.seq = (uint64_t)i;
		snap.mono.tv_sec = i;
		src->ops->sample(src, &snap);
	}
	double us = (bench_thread_cpu_us() - t0) / samples;
	aipm_snapshot_free(&snap);
	src->ops->close(src);
	return us;
}

int main(int argc, char **argv)
{
	int samples = argc > 1 ? atoi(argv[1]) : 2000;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct aipm_cgroup_fs fs;
	struct aipm_cgroup_run run;
	if (aipm_cgroup_fs_open(&fs, NULL, NULL) < 0 || aipm_cgroup_run_create(&fs, NULL, &run) < 0) {
		printf("bench_scope: no writable cgroup v2 here: %s\n", aipm_error_last());
		return 0;
	}
	printf("cgroup scope read cost (%d samples; %s)\n", samples, fs.describe);
	printf("%-7s %-7s %10s %12s %10s %10s %12s\n", "scope", "others", "cpu.stat", "+events", "members", "all",
	       "/proc scan");
	double all[2][2] = {{0}};
	const int sizes[] = {1, 1000};
	for (int k = 0; k < 2; k++) {
		struct aipm_cgroup_run r;
		if (aipm_cgroup_run_create(&fs, &(struct aipm_cgroup_run_opts){.version = AIPM_CGROUP_RUN_OPTS_VERSION,
										.name_prefix = "aipm-bench"},
					   &r) < 0)
			exit(1);
		pid_t root = spawn_in(&r, sizes[k]);
		size_t cap = 4096, n = 0;
		pid_t *pids = malloc(cap * sizeof *pids);
		struct aipm_cgroup_scope *s;
		if (!pids || aipm_cgroup_scope_open(&fs, r.path, NULL, &s) < 0)
			exit(1);
		for (int o = 0; o < 2; o++) {
			pid_t others = o ? spawn_outside(1000) : 0;
			double c[NCOLS];
			for (int w = CPU; w <= ALL; w++)
				c[w] = time_scope(s, w, samples, pids, cap, &n);
			c[PROCFS] = time_procfs(root, samples / 4 + 1);
			all[k][o] = c[ALL];
			printf("%-7zu %-7d %10.2f %12.2f %10.2f %10.2f %12.1f\n", n, o ? 1000 : 0, c[CPU], c[EVENTS],
			       c[MEMBERS], c[ALL], c[PROCFS]);
			if (others)
				kill(-others, SIGKILL); /* a process group of its own */
		}
		aipm_cgroup_scope_close(s);
		free(pids);
		kill(-root, SIGKILL);
		waitpid(root, NULL, 0);
		struct aipm_cgroup_run_end end;
		aipm_cgroup_run_remove(&r, AIPM_CGROUP_KILL, &end);
	}
	printf("with 1000 other processes / with none (cgroup scope, all): scope of 1: %.2fx, scope of 1000: %.2fx\n",
	       all[0][1] / all[0][0], all[1][1] / all[1][0]);
	struct aipm_cgroup_run_end end;
	aipm_cgroup_run_remove(&run, AIPM_CGROUP_MOVE_OUT, &end);
	aipm_cgroup_fs_close(&fs);
	return 0;
}
