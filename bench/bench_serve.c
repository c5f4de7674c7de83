/* bench_serve: CPU time `aipm serve` spends per sample, the sink's whole
 * path (every source, derivation, the top-N table, the exposition text),
 * without and with --processes, on this machine plus EXTRA sleeping
 * processes (default 200), and with --cgroups over SCOPES real cgroups
 * (default 1000; needs a writable cgroup v2). Prints microseconds per
 * sample; asserts nothing.
 *
 *   bench_serve [SAMPLES] [EXTRA] [SCOPES]
 *
 * With --processes the procfs source lists every process of the machine
 * at each sample (one pread of a kept /proc/PID/stat fd per process), so
 * the cost grows with the machine's process count, not with N. With
 * --cgroups each scope is one pread of its kept cpu.stat, its share and
 * its series; the list is made again every 5 s (--rescan's default), so
 * at a 1 s interval a fifth of a rescan is in each sample's figure.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aipm.h"
#include "bench_util.h"
#include "export/prometheus.h"
#include "pipeline.h"
#include "scope/cgroup.h"
#include "scope/names.h"

/* The sampler's step and serve.c's sink, inline, timed on this thread;
 * the simulated clock advances 1 s a step (serve's default interval). */
static double run(int samples, size_t top_n, const char *glob, size_t *nprocs, size_t *text_bytes)
{
	struct aipm_scope_query q;
	aipm_scope_query_init(&q, AIPM_SCOPES_GLOB);
	q.glob = glob;
	struct aipm_pipeline_config cfg = {.all_processes = top_n > 0, .mem_interval_s = 1,
					   .scope = {.sets = &q, .nsets = glob ? 1 : 0, .max = 10000}};
	aipm_paths_from_env(&cfg.paths);
	struct aipm_pipeline *p = NULL;
	if (aipm_pipeline_open(&p, &cfg) < 0)
		exit(1);
	struct aipm_prom_proc top[64];
	struct aipm_buf text = {0};
	double t0 = 0;
	const struct aipm_snapshot *cur = NULL;
	for (int i = 0; i <= samples; i++) {
		if (i == 1)
			t0 = bench_thread_cpu_us(); /* sample 0 opens every fd */
		struct timespec mono = {.tv_sec = 1000 + i}, real;
		clock_gettime(CLOCK_REALTIME, &real);
		cur = aipm_pipeline_step(p, &mono, &real, NULL);
		aipm_buf_reset(&text);
		struct aipm_prom_input in = {.snap = cur, .procs_enabled = top_n > 0, .procs = top};
		in.nprocs = aipm_prom_top_procs(cur, top, top_n < 64 ? top_n : 64);
		if (aipm_prom_render(&text, &in) < 0)
			exit(1);
	}
	double us = (bench_thread_cpu_us() - t0) / samples;
	*nprocs = glob ? cur->scope.n : cur->nprocs;
	*text_bytes = text.len;
	aipm_buf_free(&text);
	aipm_pipeline_close(p);
	return us;
}

/* SCOPES empty cgroups under a parent of aipm's own cgroup; "" when
 * cgroup v2 is not writable here (said). */
static void make_cgroups(int n, char *mount_dir, size_t len, char *glob, size_t glen)
{
	struct aipm_cgroup_fs fs;
	mount_dir[0] = glob[0] = '\0';
	if (aipm_cgroup_fs_open(&fs, NULL, NULL) < 0) {
		printf("no --cgroups figures: %s\n", aipm_error_last());
		return;
	}
	char self[AIPM_CGROUP_PATH_MAX];
	snprintf(self, sizeof self, "%s", strcmp(fs.self, "/") ? fs.self : "");
	snprintf(mount_dir, len, "%s%s/aipm-bench-serve-%d", fs.mount_point, self, (int)getpid());
	snprintf(glob, glen, "%s/aipm-bench-serve-%d/*", self, (int)getpid());
	aipm_cgroup_fs_close(&fs);
	if (mkdir(mount_dir, 0755) < 0) {
		printf("no --cgroups figures: cannot make %s: %s\n", mount_dir, strerror(errno));
		mount_dir[0] = glob[0] = '\0';
		return;
	}
	for (int i = 0; i < n; i++) {
		char d[AIPM_CGROUP_PATH_MAX + 300];
		snprintf(d, sizeof d, "%s/job_%05d", mount_dir, i);
		if (mkdir(d, 0755) < 0) {
			printf("stopped at %d cgroups: %s\n", i, strerror(errno));
			break;
		}
	}
}

static void remove_cgroups(int n, const char *mount_dir)
{
	for (int i = 0; mount_dir[0] && i < n; i++) {
		char d[AIPM_CGROUP_PATH_MAX + 300];
		snprintf(d, sizeof d, "%s/job_%05d", mount_dir, i);
		rmdir(d);
	}
	if (mount_dir[0])
		rmdir(mount_dir);
}

int main(int argc, char **argv)
{
	int samples = argc > 1 ? atoi(argv[1]) : 2000;
	int extra = argc > 2 ? atoi(argv[2]) : 200;
	int nscopes = argc > 3 ? atoi(argv[3]) : 1000;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { /* as serve does */
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pid_t root = extra > 0 ? bench_spawn_tree(extra) : 0;
	usleep(100000);
	printf("aipm serve per-sample cost (%d samples, %d extra sleeping processes, RAPL from %s)\n", samples, extra,
	       getenv("AIPM_SYSFS_ROOT") ? getenv("AIPM_SYSFS_ROOT") : "/sys");
	printf("%-22s %10s %8s %12s\n", "mode", "us/sample", "procs", "text bytes");
	size_t np, tb;
	double base = run(samples, 0, NULL, &np, &tb);
	printf("%-22s %10.1f %8s %12zu\n", "serve", base, "-", tb);
	const size_t ns[] = {10, 50};
	for (size_t k = 0; k < 2; k++) {
		double us = run(samples, ns[k], NULL, &np, &tb);
		char mode[32];
		snprintf(mode, sizeof mode, "serve --processes %zu", ns[k]);
		printf("%-22s %10.1f %8zu %12zu\n", mode, us, np, tb);
		if (k == 0)
			printf("added by --processes: %.1f us/sample, %.2f us per process\n", us - base,
			       (us - base) / (double)np);
	}
	char dir[AIPM_CGROUP_PATH_MAX + 64], glob[AIPM_CGROUP_PATH_MAX + 64];
	make_cgroups(nscopes, dir, sizeof dir, glob, sizeof glob);
	if (glob[0]) {
		int n = samples / 4 + 1;
		double us = run(n, 0, glob, &np, &tb);
		char mode[48];
		snprintf(mode, sizeof mode, "serve --cgroups (%d)", nscopes);
		printf("%-22s %10.1f %8zu %12zu\n", mode, us, np, tb);
		printf("--cgroups with %zu scopes: %.1f us/sample, %.2f %% of one core at a 1 s interval (%.2f us per scope "
		       "over plain serve)\n",
		       np, us, us / 1e6 * 100, (us - base) / (double)(np ? np : 1));
	}
	remove_cgroups(nscopes, dir);
	if (root > 0) {
		kill(-root, SIGKILL);
		waitpid(root, NULL, 0);
	}
	return 0;
}
