/* bench_recording.h: a synthetic aipm recording for the reading benchmarks
 * (bench_report, bench_phases): lines shaped like `aipm run`'s (4 RAPL
 * zones, 8 processes, 1 GPU), 0.1 s apart, a segment marker every
 * `segment_lines` lines. Header-only, one writer for both benchmarks. */
#ifndef AIPM_BENCH_RECORDING_H
#define AIPM_BENCH_RECORDING_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_T0 1795634400.0
#define BENCH_DT 0.1

/* Write lines to f until `bytes` are written or `lines` lines (whichever
 * is given, the other 0); returns the package-0 energy the summary must
 * find. The power varies (20..26 W) so that windows are not trivially
 * exact; *nlines gets the number of samples. */
static inline double bench_write_samples(FILE *f, long long bytes, long long lines, long long segment_lines,
					 long long *nlines)
{
	double e = 0, total = 0, seg_first = 0;
	long long written = 0, i = 0;
	while (bytes ? written < bytes : i < lines) {
		if (i && i % segment_lines == 0) {
			written += fprintf(f, "\"END OF RECORDING SEGMENT\"\n");
			total += e - seg_first;
			e = seg_first = 0;
		}
		double t = BENCH_T0 + (double)i * BENCH_DT, p = 20 + (double)(i % 7);
		e += i % segment_lines ? p * BENCH_DT : 0;
		int n = fprintf(f,
			"{\"date\": \"2026-11-25 19:20:01.%06lld\", \"timestamp\": %.6f, \"metrics\": {\"cpu\": {"
			"\"intel_power\": %.3f, \"total_cpu_power\": %.3f, \"uncore_power\": 0.812, \"total_dram_power\": 3.1, "
			"\"per_zone_power\": {\"package-0\": %.3f, \"core-0\": %.3f, \"uncore-0\": 0.812, \"dram-0\": 3.1}, "
			"\"per_zone_energy\": {\"package-0\": %.6f, \"core-0\": %.6f, \"uncore-0\": %.6f, \"dram-0\": %.6f}, "
			"\"attributed_energy\": {\"cpu\": %.6f, \"dram\": %.6f}, \"rel_intel_power\": 9.3, "
			"\"per_process_cpu_power\": {\"1234\": 6.1, \"1235\": 0.2, \"1236\": 0.3, \"1237\": 0.1, \"1238\": 0.1, \"1239\": 0.1, \"1240\": 0.2, \"1241\": 0.1}, "
			"\"per_process_cpu_uses\": {\"1234\": 0.43, \"1235\": 0.01, \"1236\": 0.02, \"1237\": 0.01, \"1238\": 0.01, \"1239\": 0.01, \"1240\": 0.01, \"1241\": 0.01}, "
			"\"absolute_cpu_time_per_pid\": {\"1234\": 12.3, \"1235\": 0.2, \"1236\": 0.3, \"1237\": 0.1, \"1238\": 0.1, \"1239\": 0.1, \"1240\": 0.2, \"1241\": 0.1}, "
			"\"per_process_mem_use_abs\": {\"1234\": 104857600, \"1235\": 1048576, \"1236\": 1048576, \"1237\": 1048576, \"1238\": 1048576, \"1239\": 1048576, \"1240\": 1048576, \"1241\": 1048576}, "
			"\"per_process_mem_use_uss\": {\"1234\": 94371840, \"1235\": 524288, \"1236\": 524288, \"1237\": 524288, \"1238\": 524288, \"1239\": 524288, \"1240\": 524288, \"1241\": 524288}, "
			"\"total_mem_use\": 8123456789, \"cpu_time\": %.6f, \"experiment_mem_pss\": 112197632, \"experiment_mem_uss\": 98041856}, "
			"\"gpu\": {\"nvidia_draw_absolute\": 120.5, \"per_gpu_power_draw\": {\"0\": 120.5}, \"per_gpu_use_rate\": {\"0\": 87}, "
			"\"per_gpu_memory\": {\"0\": 12884901888}, \"per_gpu_energy\": {\"0\": %.6f}, \"per_gpu_attributed_energy\": {\"0\": %.6f}}}, "
			"\"temperature\": {\"coretemp/Package id 0\": 45.0}}\n",
			i % 1000000, t, p, p * 0.6, p, p * 0.6, e, e * 0.6, e * 0.04, e * 0.15, e * 0.4, e * 0.05,
			(double)i * 0.05, e * 6, e * 5);
		written += n;
		i++;
	}
	total += e - seg_first;
	if (nlines)
		*nlines = i;
	return total;
}

static inline double bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What one timed run in a child gives back. */
struct bench_run {
	double seconds, value;
	long maxrss_kib;
	int rc;
	double cpu_s; /* user + system time of the child: what a busy machine does not inflate */
};

/* Run fn in a fresh child process, so that its peak RSS is its own: fn
 * fills seconds, value and rc; the child adds its ru_maxrss and CPU time. rc is -1 when
 * the child gave nothing back. */
static inline struct bench_run bench_in_child(void (*fn)(void *arg, struct bench_run *r), void *arg)
{
	int fds[2];
	struct bench_run r = {0, 0, 0, -1, 0};
	if (pipe(fds) < 0)
		return r;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		fn(arg, &r);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		r.maxrss_kib = ru.ru_maxrss;
		r.cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
			  (double)ru.ru_stime.tv_usec / 1e6;
		if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof r) != (ssize_t)sizeof r)
		r.rc = -1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return r;
}

#endif
