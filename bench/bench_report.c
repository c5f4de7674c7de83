/* bench_report.c: how fast `aipm report` reads a large recording, and in
 * how much memory. Prints figures; asserts nothing.
 *
 *   bench_report [MB...]          (default: 100 1000)
 *
 * For each size it writes a synthetic aipm recording to $TMPDIR (never the
 * repository; bench_recording.h): lines shaped like `aipm run`'s (4 RAPL
 * zones, 8 processes, 1 GPU), a segment marker every 100000 lines. Then it summarises it with
 * one thread and with all, each run in a fresh child process so that its
 * peak RSS (ru_maxrss) is its own. The file is read once first so every run
 * sees the page cache alike. The expected package energy is known from the
 * generator, so each run is also checked for the right answer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/summary.h"
#include "bench_recording.h"

#define SEGMENT_LINES 100000

/* Returns the package-0 energy the summary must find. */
static double generate(const char *path, long long bytes)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	static char buf[1 << 20];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	double total = bench_write_samples(f, bytes, 0, SEGMENT_LINES, NULL);
	fclose(f);
	return total;
}

struct job {
	const char *path;
	int threads;
};

static void summarise(void *arg, struct bench_run *r)
{
	const struct job *j = arg;
	struct aipm_window w = {-INFINITY, INFINITY};
	struct aipm_summary *s = NULL;
	double t = bench_now();
	r->rc = aipm_summary_load_file(j->path, &w, j->threads, false, &s);
	r->seconds = bench_now() - t;
	r->value = s ? s->total_j[AIPM_TOTAL_PACKAGE] : NAN;
	aipm_summary_free(s);
}

static struct bench_run run(const char *path, int threads)
{
	struct job j = {path, threads};
	return bench_in_child(summarise, &j);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	long long sizes[16] = {100, 1000};
	int nsizes = 2;
	if (argc > 1) {
		nsizes = 0;
		for (int i = 1; i < argc && nsizes < 16; i++)
			sizes[nsizes++] = atoll(argv[i]);
	}
	int all = (int)sysconf(_SC_NPROCESSORS_ONLN);
	printf("%-8s %-8s %10s %10s %12s %s\n", "size", "threads", "seconds", "MB/s", "peak RSS", "check");
	for (int k = 0; k < nsizes; k++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/aipm-bench-%lldMB-%d.json", tmp, sizes[k], (int)getpid());
		double want = generate(path, sizes[k] * 1000000);
		struct stat st;
		stat(path, &st);
		double mb = (double)st.st_size / 1e6;
		run(path, all); /* warm the page cache */
		double base = 0;
		int counts[] = {1, all};
		for (int c = 0; c < (all > 1 ? 2 : 1); c++) {
			struct bench_run best = {.seconds = INFINITY};
			for (int rep = 0; rep < 3; rep++) {
				struct bench_run r = run(path, counts[c]);
				if (r.rc == 0 && r.seconds < best.seconds)
					best = r;
			}
			if (c == 0)
				base = best.seconds;
			bool ok = fabs(best.value - want) <= 1e-6 * want;
			printf("%-8.0f %-8d %10.3f %10.1f %9.1f MiB %s", mb, counts[c], best.seconds, mb / best.seconds,
			       (double)best.maxrss_kib / 1024, ok ? "ok" : "WRONG TOTAL");
			if (c)
				printf("  (x%.2f over 1 thread)", base / best.seconds);
			printf("\n");
		}
		unlink(path);
	}
	return 0;
}
