/* fuzz_line.c: the recording reader under fuzzing.
 *
 * One input is a whole power_metrics.json. Each input goes through the line
 * parser line by line, then through the full summary (the parallel scanner
 * with ranges of a few bytes, so seams fall everywhere, and the joins), and
 * through the CSV/plot flattener. Nothing may crash, leak or trip a
 * sanitizer, the parallel totals must equal the sequential ones, and the
 * fast line scanner must agree with the cJSON parser wherever it answers.
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

#include "analysis/line.h"
#include "analysis/scan.h"
#include "analysis/summary.h"
#include "export/flatten.h"
#include "../analysis/line_compare.h"

static void leaf(void *ctx, const char *name, const cJSON *j)
{
	(void)j;
	*(size_t *)ctx += strlen(name);
}

static void same(double a, double b)
{
	if (!((isnan(a) && isnan(b)) || fabs(a - b) <= 1e-6 * (fabs(a) + fabs(b) + 1)))
		abort(); /* parallel and sequential totals disagree */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct aipm_zone_table zt;
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
			cJSON *root = cJSON_ParseWithLength(p, len);
			size_t sum = 0;
			aipm_flatten_metrics(root, leaf, &sum);
			cJSON_Delete(root);
		}
		p += len + 1;
	}
	/* The whole input as a file, scanned sequentially and in 7 ranges. */
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct aipm_window w = {-INFINITY, INFINITY};
	struct aipm_summary *a = NULL, *b = NULL;
	aipm_scan_set_min_part_bytes(0);
	int ra = aipm_summary_load_file(path, &w, 1, 1, &a);
	aipm_scan_set_min_part_bytes(16);
	int rb = aipm_summary_load_file(path, &w, 1, 7, &b);
	aipm_scan_set_min_part_bytes(0);
	if ((ra == 0) != (rb == 0))
		abort();
	if (ra == 0) {
		if (a->lines != b->lines || a->segments != b->segments ||
		    a->blank + a->corrupt + a->truncated != b->blank + b->corrupt + b->truncated)
			abort();
		for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
			same(a->total_j[t], b->total_j[t]);
		same(a->duration_s, b->duration_s);
		struct aipm_buf out = {0};
		aipm_summary_json(a, &out);
		aipm_buf_free(&out);
	}
	aipm_summary_free(a);
	aipm_summary_free(b);
	close(fd);
	return 0;
}

#ifdef AIPM_FUZZ_DRIVER
/* Deterministic mutations of the seeds: byte flips, cuts, splices with
 * newlines, markers and JSON punctuation, so seams, truncation and corrupt
 * lines are all exercised without libFuzzer. */
static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutate(char *buf, size_t *n, size_t cap)
{
	static const char *const bits[] = {"\n", "\"END OF RECORDING SEGMENT\"\n", "{", "}", "\"", ",", "1e308",
					   "-0", "null", "\"timestamp\": 1e20", "\n\n", "\\u0000", "[", "]"};
	int k = (int)(next() % 4);
	if (*n == 0)
		k = 2;
	size_t at = *n ? next() % *n : 0;
	switch (k) {
	case 0: buf[at] ^= (char)(1u << (next() % 8)); break;
	case 1: *n = at; break;
	default: {
		const char *s = bits[next() % (sizeof bits / sizeof bits[0])];
		size_t sl = strlen(s);
		if (*n + sl > cap)
			return;
		memmove(buf + at + sl, buf + at, *n - at);
		memcpy(buf + at, s, sl);
		*n += sl;
	}
	}
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200;
	enum { CAP = 1 << 16 };
	static char seed[CAP], buf[CAP];
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "fuzz driver: cannot read seed %s\n", argv[i]);
			return 1;
		}
		size_t n = fread(seed, 1, CAP / 2, f);
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)seed, n);
		for (long r = 0; r < rounds; r++) {
			size_t m = n;
			memcpy(buf, seed, n);
			for (int k = 1 + (int)(next() % 4); k > 0; k--)
				mutate(buf, &m, CAP);
			LLVMFuzzerTestOneInput((const uint8_t *)buf, m);
		}
		printf("ok - %ld mutations of %s\n", rounds, argv[i]);
	}
	return 0;
}
#endif
