/* bench_serve: CPU time `aipm serve` spends per sample, the sink's whole
 * path (every source, derivation, the top-N table, the exposition text),
 * without and with --processes, on this machine plus EXTRA sleeping
 * processes (default 200). Prints microseconds per sample; asserts nothing.
 *
 *   bench_serve [SAMPLES] [EXTRA]
 *
 * With --processes the procfs source lists every process of the machine
 * at each sample (one pread of a kept /proc/PID/stat fd per process), so
 * the cost grows with the machine's process count, not with N.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "export/prometheus.h"
#include "pipeline.h"

/* The sampler's step and serve.c's sink, inline, timed on this thread. */
static double run(int samples, size_t top_n, size_t *nprocs, size_t *text_bytes)
{
	struct aipm_pipeline_config cfg = {.all_processes = top_n > 0, .mem_interval_s = 1};
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
		struct timespec mono, real;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_REALTIME, &real);
		cur = aipm_pipeline_step(p, &mono, &real, NULL);
		aipm_buf_reset(&text);
		struct aipm_prom_input in = {.snap = cur, .procs_enabled = top_n > 0, .procs = top};
		in.nprocs = aipm_prom_top_procs(cur, top, top_n < 64 ? top_n : 64);
		if (aipm_prom_render(&text, &in) < 0)
			exit(1);
	}
	double us = (bench_thread_cpu_us() - t0) / samples;
	*nprocs = cur->nprocs;
	*text_bytes = text.len;
	aipm_buf_free(&text);
	aipm_pipeline_close(p);
	return us;
}

int main(int argc, char **argv)
{
	int samples = argc > 1 ? atoi(argv[1]) : 2000;
	int extra = argc > 2 ? atoi(argv[2]) : 200;
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
	double base = run(samples, 0, &np, &tb);
	printf("%-22s %10.1f %8s %12zu\n", "serve", base, "-", tb);
	const size_t ns[] = {10, 50};
	for (size_t k = 0; k < 2; k++) {
		double us = run(samples, ns[k], &np, &tb);
		char mode[32];
		snprintf(mode, sizeof mode, "serve --processes %zu", ns[k]);
		printf("%-22s %10.1f %8zu %12zu\n", mode, us, np, tb);
		if (k == 0)
			printf("added by --processes: %.1f us/sample, %.2f us per process\n", us - base,
			       (us - base) / (double)np);
	}
	if (root > 0) {
		kill(-root, SIGKILL);
		waitpid(root, NULL, 0);
	}
	return 0;
}
