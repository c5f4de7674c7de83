/* bench_scope: CPU time of one sampling step (the product's pipeline: every
 * source, derivation) when the experiment is a cgroup scope, against the
 * same tree measured by the /proc scan, with and without 1,000 other
 * sleeping processes on the machine, on this machine's real cgroup v2 and
 * /proc. Prints microseconds per sample and the ratios; asserts nothing.
 *
 *   bench_scope [SAMPLES]
 *
 * The cgroup scope reads the cgroup's cpu.stat and cgroup.procs and its
 * members' /proc entries: its cost follows the tree. The /proc scan lists
 * every process of the machine at every sample: its cost follows the
 * machine. The simulated clock advances 0.1 s a step (aipm run's default
 * -i), so PSS/USS are read every tenth step, as in a recording. Needs a
 * writable cgroup v2 (root, or a delegated subtree); says why not and
 * stops otherwise.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aipm.h"
#include "bench_util.h"
#include "pipeline.h"
#include "scope/cgroup.h"

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

/* The pipeline's step, timed on this thread (sample 0 opens every fd). */
static double time_steps(pid_t root, const char *cgroup, int samples, size_t *nprocs)
{
	struct aipm_pipeline_config cfg = {.roots = &root, .nroots = 1, .mem_interval_s = 1, .scope.cgroup = cgroup};
	aipm_paths_from_env(&cfg.paths);
	struct aipm_pipeline *p = NULL;
	if (aipm_pipeline_open(&p, &cfg) < 0) {
		fprintf(stderr, "bench_scope: %s\n", aipm_error_last());
		exit(1);
	}
	double t0 = 0;
	const struct aipm_snapshot *cur = NULL;
	for (int i = 0; i <= samples; i++) {
		if (i == 1)
			t0 = bench_thread_cpu_us();
		struct timespec mono = {.tv_sec = i / 10, .tv_nsec = (i % 10) * 100000000L}, real;
		clock_gettime(CLOCK_REALTIME, &real);
		cur = aipm_pipeline_step(p, &mono, &real, NULL);
	}
	double us = (bench_thread_cpu_us() - t0) / samples;
	*nprocs = cur->nprocs;
	aipm_pipeline_close(p);
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
	if (aipm_cgroup_fs_open(&fs, NULL, NULL) < 0) {
		printf("bench_scope: no cgroup v2 here: %s\n", aipm_error_last());
		return 0;
	}
	printf("per-sample cost of aipm's sampling step (%d samples; %s)\n", samples, fs.describe);
	printf("%-7s %-7s %14s %14s\n", "tree", "others", "cgroup scope", "/proc scan");
	const int sizes[] = {1, 50};
	double cg[2][2], pr[2][2];
	for (int k = 0; k < 2; k++) {
		struct aipm_cgroup_run r;
		struct aipm_cgroup_run_opts ro;
		aipm_cgroup_run_opts_init(&ro);
		ro.name_prefix = "aipm-bench";
		if (aipm_cgroup_run_create(&fs, &ro, &r) < 0) {
			printf("bench_scope: no writable cgroup v2 here: %s\n", aipm_error_last());
			return 0;
		}
		pid_t root = spawn_in(&r, sizes[k]);
		for (int o = 0; o < 2; o++) {
			pid_t others = o ? spawn_outside(1000) : 0;
			usleep(100000);
			size_t n1, n2;
			cg[k][o] = time_steps(root, r.path, samples, &n1);
			pr[k][o] = time_steps(root, NULL, samples / 4 + 1, &n2);
			printf("%-7zu %-7d %11.1f us %11.1f us\n", n1, o ? 1000 : 0, cg[k][o], pr[k][o]);
			if (others) {
				kill(-others, SIGKILL); /* a process group of its own */
				usleep(200000);
			}
		}
		kill(-root, SIGKILL);
		waitpid(root, NULL, 0);
		struct aipm_cgroup_run_end end;
		aipm_cgroup_run_remove(&r, AIPM_CGROUP_KILL, &end);
	}
	for (int k = 0; k < 2; k++)
		printf("tree of %d: with 1000 other processes / with none: cgroup scope %.2fx, /proc scan %.2fx\n",
		       sizes[k], cg[k][1] / cg[k][0], pr[k][1] / pr[k][0]);
	aipm_cgroup_fs_close(&fs);
	return 0;
}
