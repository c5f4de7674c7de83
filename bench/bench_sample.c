/* bench_sample: CPU time aipm spends per sample, the recorder's whole
 * path (every source, derivation, the JSON line and its write()), against a
 * fake RAPL tree ($AIPM_SYSFS_ROOT) and a real process tree of 1 and of 50
 * processes. Prints microseconds per sample; asserts nothing.
 *
 *   bench_sample [SAMPLES]
 *
 * It runs the product's own sampling step (aipm_pipeline_step: every
 * source, health, derivation) and writer, not a copy of them. Time is
 * simulated at 10 Hz so PSS/USS (smaps_rollup) are read at their default
 * cadence of once a second; the "mem every sample" line shows the cost if
 * --mem-interval equals the interval.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "pipeline.h"
#include "record/writer.h"

/* The product's own step (pipeline.h), on a simulated 10 Hz clock, plus
 * the line it writes: what the sampler thread does per sample. */
static double run(pid_t root, int samples, double mem_interval, size_t *nprocs, size_t *line_bytes)
{
	struct aipm_pipeline_config cfg = {.roots = &root, .nroots = 1, .mem_interval_s = mem_interval};
	aipm_paths_from_env(&cfg.paths);
	struct aipm_pipeline *p = NULL;
	if (aipm_pipeline_open(&p, &cfg) < 0)
		exit(1);
	struct aipm_buf line = {0};
	int devnull = open("/dev/null", O_WRONLY);
	double t0 = 0;
	const struct aipm_snapshot *cur = NULL;
	for (int i = 0; i <= samples; i++) {
		if (i == 1)
			t0 = bench_thread_cpu_us(); /* sample 0 opens fds and warms up */
		struct timespec mono = {.tv_sec = i / 10, .tv_nsec = (i % 10) * 100000000L}, real;
		clock_gettime(CLOCK_REALTIME, &real);
		cur = aipm_pipeline_step(p, &mono, &real, NULL);
		aipm_writer_format(&line, cur);
		aipm_buf_put(&line, "\n", 1);
		if (write(devnull, line.data, line.len) < 0)
			exit(1);
	}
	double us = (bench_thread_cpu_us() - t0) / samples;
	*nprocs = cur->nprocs;
	*line_bytes = line.len;
	close(devnull);
	aipm_buf_free(&line);
	aipm_pipeline_close(p);
	return us;
}

int main(int argc, char **argv)
{
	int samples = argc > 1 ? atoi(argv[1]) : 3000;
	if (!getenv("AIPM_SYSFS_ROOT"))
		fprintf(stderr, "note: AIPM_SYSFS_ROOT is unset: RAPL is read from /sys (absent here?)\n");
	printf("aipm per-sample cost (%d samples, simulated 10 Hz, RAPL from %s)\n", samples,
	       getenv("AIPM_SYSFS_ROOT") ? getenv("AIPM_SYSFS_ROOT") : "/sys");
	printf("%-10s %-22s %10s %8s %12s\n", "tree", "PSS/USS", "us/sample", "procs", "line bytes");
	double base = 0;
	int sizes[] = {1, 50};
	for (int k = 0; k < 2; k++) {
		pid_t root = bench_spawn_tree(sizes[k]);
		usleep(100000);
		for (int m = 0; m < 2; m++) {
			size_t np, lb;
			double us = run(root, samples, m ? 0.1 : 1.0, &np, &lb);
			printf("%-10d %-22s %10.1f %8zu %12zu\n", sizes[k], m ? "every sample" : "every 1 s (default)", us,
			       np, lb);
			if (k == 0 && m == 0)
				base = us;
			if (k == 1 && m == 0)
				printf("per added process (default cadence): %.2f us\n", (us - base) / (double)(np - 1));
		}
		kill(-root, SIGKILL);
		waitpid(root, NULL, 0);
	}
	return 0;
}
