/* bench_marks.c: what a mark costs its caller (issue 11). The wall time of
 * aipm_meter_phase_begin/end through the meter, on the fake powercap tree
 * run.sh builds (AIPM_SYSFS_ROOT), in the three cases of record/recorder.h:
 *
 *   sampled  marks 60 ms apart: each waits for its own edge sample
 *   shared   end A / begin B back to back: the second shares the first's
 *   clock    marks 2 ms apart past the budget: no sample, the clock's time
 *
 * Prints percentiles in microseconds; never asserts on time.
 * Usage: bench_marks [MARKS]   (default 200 per case)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aipm.h"
#include "record/recorder.h"

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void sleep_ms(double ms)
{
	struct timespec t = {(time_t)(ms / 1e3), (long)(fmod(ms, 1e3) * 1e6)};
	nanosleep(&t, NULL);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, double *us, int n)
{
	qsort(us, (size_t)n, sizeof *us, cmp);
	printf("  %-8s %5d marks: p50 %7.0f us  p90 %7.0f us  p99 %7.0f us  max %7.0f us\n", what, n, us[n / 2],
	       us[n * 9 / 10], us[n * 99 / 100], us[n - 1]);
}

static double timed(aipm_meter *m, const char *name, int end)
{
	double t = now_us();
	int e = end ? aipm_meter_phase_end(m, name) : aipm_meter_phase_begin(m, name);
	if (e < 0) {
		fprintf(stderr, "bench_marks: %s\n", aipm_error_last());
		exit(1);
	}
	return now_us() - t;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	if (n < 10)
		n = 10;
	char dir[] = "/tmp/aipm-bench-marks-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	aipm_meter *m;
	struct aipm_meter_options o = {.interval_s = 0.1};
	char rec[64];
	snprintf(rec, sizeof rec, "%s/rec", dir);
	if (aipm_meter_start(&m, rec, &o) < 0) {
		fprintf(stderr, "bench_marks: %s\n", aipm_error_last());
		return 1;
	}
	double *us = malloc(sizeof *us * (size_t)n * 2);
	printf("mark latency at -i 0.1 (budget %d at once, %d/s; shared within %d us; wait at most %d ms)\n",
	       AIPM_EDGE_BURST, AIPM_EDGE_PER_S, AIPM_EDGE_SHARE_US, AIPM_EDGE_WAIT_MS);
	/* sampled: slower than the budget's rate, so every mark has a token */
	int k = 0;
	for (int i = 0; i < n / 2; i++) {
		sleep_ms(1000.0 / AIPM_EDGE_PER_S + 10);
		us[k++] = timed(m, "a", 0);
		sleep_ms(1000.0 / AIPM_EDGE_PER_S + 10);
		us[k++] = timed(m, "a", 1);
	}
	report("sampled", us, k);
	/* shared: the begin right after the end */
	k = 0;
	timed(m, "b", 0);
	for (int i = 0; i < n; i++) {
		sleep_ms(1000.0 / AIPM_EDGE_PER_S + 10);
		timed(m, "b", 1);
		us[k++] = timed(m, "b", 0);
	}
	timed(m, "b", 1);
	report("shared", us, k);
	/* clock: spend the burst, then marks faster than the budget */
	for (int i = 0; i < AIPM_EDGE_BURST; i++) {
		timed(m, "c", 0);
		sleep_ms(2);
		timed(m, "c", 1);
		sleep_ms(2);
	}
	k = 0;
	for (int i = 0; i < n / 2; i++) {
		sleep_ms(2);
		us[k++] = timed(m, "c", 0);
		sleep_ms(2);
		us[k++] = timed(m, "c", 1);
	}
	report("clock", us, k);
	aipm_meter_stop(m);
	aipm_meter_free(m);
	free(us);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
