/* fuzz_line.c: the recording reader under fuzzing.
 *
 * One input is a whole power_metrics.json. Each input goes through the line
 * parser line by line, then through the full summary (the parallel scanner
 * with ranges of a few bytes, so seams fall everywhere, and the joins), the
 * sequential reader, the cursor of phases and points, and the CSV/plot
 * flattener. Nothing may crash, leak or trip a sanitizer; the parallel
 * totals must equal the sequential ones, for the whole file and for a
 * window whose edges fall between samples; the cursor's window must equal
 * the summary's; the sequential reader must count what the scanner counts;
 * and the fast line scanner must agree with the cJSON parser wherever it
 * answers.
 *
 * Built two ways: with clang's libFuzzer (tests/fuzz/run.sh, for CI) and,
 * with -DAIPM_FUZZ_DRIVER, as a plain program that replays the seeds and a
 * fixed number of deterministic mutations (a test of the suite, any
 * compiler).
 */
#include <cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analysis/cursor.h"
#include "analysis/summary.h"
#include "export/flatten.h"
#include "record/line.h"
#include "record/reader.h"
#include "record/scan.h"
#include "../analysis/line_compare.h"

static void leaf(void *ctx, const char *name, const cJSON *j)
{
	(void)j;
	*(size_t *)ctx += strlen(name);
}

static void same(double a, double b)
{
	if (!((isnan(a) && isnan(b)) || fabs(a - b) <= 1e-6 * (fabs(a) + fabs(b) + 1)))
		abort(); /* two ways of reading one recording disagree */
}

static void same_summary(const struct aipm_summary *a, const struct aipm_summary *b)
{
	if (a->lines != b->lines || a->segments != b->segments || a->out_of_order != b->out_of_order ||
	    a->blank + a->corrupt + a->truncated != b->blank + b->corrupt + b->truncated)
		abort();
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		same(a->total_j[t], b->total_j[t]);
	same(a->duration_s, b->duration_s);
	same(a->attributed_cpu_j, b->attributed_cpu_j);
	same(a->cpu_time_s, b->cpu_time_s);
	if (a->window_interpolated != b->window_interpolated || !a->missing[0] != !b->missing[0])
		abort();
}

static void each_line(const uint8_t *data, size_t size)
{
	static struct aipm_line_table zt;
	static struct aipm_line l;
	struct aipm_date_cache dc = {0};
	memset(&zt, 0, sizeof zt);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int gave_up;
		if (line_parsers_differ(p, len, &gave_up))
			abort();
		if (aipm_line_parse(p, len, &zt, &dc, &l) == AIPM_LINE_SAMPLE && len < 65536) {
			if (memchr(p, '\0', len))
				abort(); /* a NUL byte is never a sample */
			cJSON *root = aipm_line_json(p, len);
			size_t sum = 0;
			aipm_flatten_metrics(root, leaf, &sum);
			cJSON_Delete(root);
		}
		p += len + 1;
	}
}

/* The window [lo, hi] through the cursor, against the summary's. */
static void cursor_matches(const char *path, double lo, double hi, const struct aipm_summary *s)
{
	struct aipm_cursor *c;
	if (aipm_cursor_open_file(path, &c) < 0)
		return;
	struct aipm_instant *a = NULL, *b = NULL;
	if (aipm_cursor_at(c, lo, &a) == 0 && aipm_cursor_at(c, hi, &b) == 0) {
		static struct aipm_series w;
		struct aipm_totals t;
		struct aipm_window_facts f;
		aipm_window_between(a, b, &w);
		aipm_series_derive(&w, aipm_cursor_table(c), &t, NULL);
		aipm_window_facts(c, a, b, &f);
		for (int k = 0; k < AIPM_TOTAL_COUNT; k++)
			same(t.total_j[k], s->total_j[k]);
		same(t.cpu_time_s, s->cpu_time_s);
		same(f.covered ? f.covered_s : NAN, s->duration_s);
	}
	aipm_instant_free(a);
	aipm_instant_free(b);
	aipm_cursor_close(c);
}

static void whole_file(const char *path)
{
	struct aipm_window all = {-INFINITY, INFINITY};
	struct aipm_summary *a = NULL, *b = NULL;
	aipm_scan_set_min_part_bytes(0);
	int ra = aipm_summary_load_file(path, &all, 1, false, &a);
	aipm_scan_set_min_part_bytes(16);
	int rb = aipm_summary_load_file(path, &all, 7, false, &b);
	if ((ra == 0) != (rb == 0))
		abort();
	if (ra == 0) {
		same_summary(a, b);
		struct aipm_buf out = {0};
		aipm_summary_json(a, &out);
		aipm_buf_free(&out);
		/* The sequential reader counts what the scanner counts. */
		struct aipm_reader *r;
		if (aipm_reader_open(path, NULL, &r) == 0) {
			struct aipm_sample smp;
			while (aipm_reader_next(r, &smp) > 0)
				;
			const struct aipm_reader_stats *st = aipm_reader_stats(r);
			if (st->samples != a->samples || st->out_of_order != a->out_of_order)
				abort();
			aipm_reader_close(r);
		}
		/* A window with edges between samples, scanned both ways, and
		 * through the cursor. */
		if (!isnan(a->start_ts)) {
			struct aipm_window w = {a->start_ts + 0.37, a->start_ts + 1.61};
			struct aipm_summary *x = NULL, *y = NULL;
			aipm_scan_set_min_part_bytes(0);
			int rx = aipm_summary_load_file(path, &w, 1, false, &x);
			aipm_scan_set_min_part_bytes(16);
			int ry = aipm_summary_load_file(path, &w, 7, false, &y);
			if ((rx == 0) != (ry == 0))
				abort();
			if (rx == 0) {
				same_summary(x, y);
				cursor_matches(path, w.from_ts, w.to_ts, x);
			}
			aipm_summary_free(x);
			aipm_summary_free(y);
		}
	}
	aipm_scan_set_min_part_bytes(0);
	aipm_summary_free(a);
	aipm_summary_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	each_line(data, size);
	/* The whole input as a file. */
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	whole_file(path);
	close(fd);
	return 0;
}

/* The driver of every harness (fuzz_driver.h, -DAIPM_FUZZ_DRIVER): splices
 * of newlines, markers and JSON punctuation, so seams, truncation and
 * corrupt lines are all exercised without libFuzzer. */
static const char *const fuzz_tokens[] = {"\n", "\"END OF RECORDING SEGMENT\"\n", "{", "}", "\"", ",", "1e308",
					  "-0", "null", "\"timestamp\": 1e20", "\n\n", "\\u0000", "[", "]", "-1",
					  "\"amd_gpu\": {\"per_gpu_energy\": {\"3\": 5}}, ", "\"edge\": \"x\", "};
#include "fuzz_driver.h"
