/* bench_phases.c: `aipm report --metrics` and `--by-phase` on many windows:
 * time and peak memory. Prints figures; asserts nothing.
 *
 *   bench_phases [SAMPLES [POINTS [PHASES]]]     (default: 200000 100000 10000)
 *
 * Writes a synthetic recording to $TMPDIR (bench_recording.h: SAMPLES lines
 * shaped like `aipm run`'s, 0.1 s apart), POINTS logged points and PHASES
 * phases spread over it, every edge between two samples so that each is
 * interpolated. Each report runs in a fresh child process writing its JSON
 * to /dev/null, so that its time and peak RSS (ru_maxrss) are its own. The
 * issue's target: under 2 s and 50 MB each at 100,000 points and 10,000
 * phases. With AIPM_BENCH_KEEP set, the recording is kept (its path is
 * printed) to time another build on it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/phases.h"
#include "bench_recording.h"

static FILE *open_in(const char *dir, const char *name)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

static void generate(const char *dir, long long samples, long long points, long long phases)
{
	static char buf[1 << 20];
	FILE *f = open_in(dir, "power_metrics.json");
	setvbuf(f, buf, _IOFBF, sizeof buf);
	bench_write_samples(f, 0, samples, 1000000, NULL);
	fclose(f);
	double span = (double)(samples - 1) * BENCH_DT;
	f = open_in(dir, "results_exp.json");
	for (long long i = 0; i < points; i++)
		fprintf(f, "{\"date\": \"2026-11-25 19:20:01.000000\", \"timestamp\": %.6f, \"metrics\": {\"epoch\": %lld, "
			"\"loss\": %.4f}}\n", BENCH_T0 + 0.037 + span * (double)i / (double)points, i, 1.0 / (double)(i + 1));
	fclose(f);
	f = open_in(dir, "phases.json");
	for (long long i = 0; i < phases; i++) {
		double a = BENCH_T0 + 0.013 + span * (double)i / (double)phases, b = a + span / (double)phases * 0.6;
		const char *name = i % 2 ? "eval" : "train";
		fprintf(f, "{\"date\": \"x\", \"timestamp\": %.6f, \"name\": \"%s\", \"event\": \"begin\"}\n", a, name);
		fprintf(f, "{\"date\": \"x\", \"timestamp\": %.6f, \"name\": \"%s\", \"event\": \"end\"}\n", b, name);
	}
	fclose(f);
}

struct job {
	const char *dir;
	bool points;
};

static void report(void *arg, struct bench_run *r)
{
	const struct job *j = arg;
	FILE *null = fopen("/dev/null", "w");
	struct aipm_out o = {.f = null};
	double t = bench_now();
	r->rc = j->points ? aipm_metric_report_write(j->dir, true, &o) : aipm_phase_report_write(j->dir, true, &o);
	aipm_out_flush(&o, true);
	r->seconds = bench_now() - t;
	aipm_buf_free(&o.b);
}

static struct bench_run run(const char *dir, bool points)
{
	struct job j = {dir, points};
	return bench_in_child(report, &j);
}

int main(int argc, char **argv)
{
	long long samples = argc > 1 ? atoll(argv[1]) : 200000, points = argc > 2 ? atoll(argv[2]) : 100000,
		  phases = argc > 3 ? atoll(argv[3]) : 10000;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/aipm-bench-phases-XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	generate(dir, samples, points, phases);
	char path[4200];
	snprintf(path, sizeof path, "%s/power_metrics.json", dir);
	struct stat st;
	stat(path, &st);
	printf("%lld samples (%.0f MB), %lld logged points, %lld phases\n", samples, (double)st.st_size / 1e6, points,
	       phases);
	printf("%-22s %10s %10s %12s %s\n", "report", "seconds", "CPU s", "peak RSS", "check");
	run(dir, true); /* warm the page cache */
	const char *names[] = {"--metrics", "--by-phase"};
	for (int k = 0; k < 2; k++) {
		struct bench_run best = {INFINITY, 0, 0, -1, 0};
		for (int rep = 0; rep < 3; rep++) {
			struct bench_run r = run(dir, k == 0);
			if (r.rc == 0 && r.seconds < best.seconds)
				best = r;
		}
		printf("%-22s %10.3f %10.3f %9.1f MiB %s\n", names[k], best.seconds, best.cpu_s,
		       (double)best.maxrss_kib / 1024, best.rc == 0 ? "ok" : "FAILED");
	}
	if (getenv("AIPM_BENCH_KEEP")) { /* to time other builds on the same files */
		printf("kept %s\n", dir);
		return 0;
	}
	const char *files[] = {"power_metrics.json", "results_exp.json", "phases.json"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
