/* test_line_paths.c: the fast line scanner and the cJSON parser agree.
 *
 * aipm_line_parse reads a line with a hand-written scanner and gives what
 * it will not vouch for to cJSON. Totals must not depend on which one read
 * a line, so every line of every fixture recording, and many random lines
 * shaped like aipm's and AIPowerMeter's (odd numbers, duplicate keys,
 * arrays where objects belong, escapes, truncations), go through both; the
 * scanner must either give up or give the very same struct
 * (line_compare.h). The scanner must also answer the lines aipm writes,
 * or it would be no faster.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "line_compare.h"

static char *fixture_dir(void)
{
	static char path[4096];
	const char *src = getenv("AIPM_SRC");
	snprintf(path, sizeof path, "%s/tests/fixtures/recordings", src ? src : ".");
	return path;
}

/* Compare both parsers on every line of path; returns how many sample
 * lines the scanner answered. */
static int compare_file(const char *path, int *samples)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int answered = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n - (line[n - 1] == '\n');
		int gave_up;
		if (line_parsers_differ(line, len, &gave_up))
			fail_msg("%s: the parsers differ", path);
		struct aipm_line_table zt = {0};
		struct aipm_line l;
		struct aipm_date_cache dc = {0};
		if (aipm_line_parse_dom(line, len, &zt, &dc, &l) == AIPM_LINE_SAMPLE) {
			(*samples)++;
			answered += !gave_up;
		}
	}
	free(line);
	fclose(f);
	return answered;
}

static void test_fast_and_dom_parsers_agree_on_every_fixture_line(void **state)
{
	(void)state;
	DIR *d = opendir(fixture_dir());
	assert_non_null(d);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s/power_metrics.json", fixture_dir(), e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		fclose(f);
		int samples = 0, answered = compare_file(path, &samples);
		files++;
		/* Recordings as aipm and AIPowerMeter write them are the fast
		 * path's whole point: it must read all their samples (only the
		 * oddities fixture is made of lines it should leave to cJSON). */
		if (strcmp(e->d_name, "oddities") != 0)
			assert_int_equal(answered, samples);
	}
	closedir(d);
	assert_true(files >= 3);
}

/* --- random lines */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

struct out {
	char buf[16384];
	size_t n;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n = o->n + (size_t)k < sizeof o->buf ? o->n + (size_t)k : sizeof o->buf - 1;
}

static void sp(struct out *o)
{
	static const char *const w[] = {"", "", "", " ", "  ", "\t", "\r"};
	put(o, "%s", w[rnd(7)]);
}

static void number(struct out *o)
{
	static const char *const odd[] = {"-0", "0", "1e400", "-1e400", "12345678901234567890123", "1E+2", "2.5e-3",
					  "01", "1.", ".5", "+1", "1e", "-", "0x10", "1.5.2", "4e-330", "9007199254740993",
					  "1795634401.123456", "0.30000000000000004",
					  "1234567890123456789012345678901234567890123456789012345678901234567890"};
	switch (rnd(40) ? rnd(5) : 5) { /* the odd ones now and then */
	case 0: put(o, "%u", rnd(100000)); break;
	case 1: put(o, "%.6f", rnd(1000000) / 7.0); break;
	case 2: put(o, "%.17g", rnd(1000000) / 3.0 * (rnd(2) ? 1e10 : 1e-10)); break;
	case 3: put(o, "%de%d", (int)rnd(2000) - 1000, (int)rnd(60) - 30); break;
	case 4: put(o, "%.3f", 1795634400.0 + rnd(100000) / 10.0); break;
	default: put(o, "%s", odd[rnd(sizeof odd / sizeof odd[0])]); break;
	}
}

static void value(struct out *o, int depth);

static void object_of(struct out *o, const char *const *keys, size_t nk, int depth, bool numbers)
{
	put(o, "{");
	int n = (int)rnd(5);
	for (int i = 0; i < n; i++) {
		put(o, "%s\"%s\":", i ? ", " : "", keys[rnd((unsigned)nk)]);
		sp(o);
		if (numbers && rnd(5))
			number(o);
		else
			value(o, depth + 1);
	}
	put(o, "}");
}

static void value(struct out *o, int depth)
{
	static const char *const names[] = {"a", "1234", "x y", "all", "package-0", "\\u0041"};
	switch (depth > 3 ? rnd(4) : rnd(8)) {
	case 0: number(o); break;
	case 1: put(o, "%s", rnd(2) ? "true" : "false"); break;
	case 2: put(o, "null"); break;
	case 3: put(o, "\"%s\"", rnd(20) ? "text" : "a\\\"b"); break;
	case 4:
	case 5: object_of(o, names, 6, depth, true); break;
	default:
		put(o, "[");
		for (int i = (int)rnd(3); i > 0; i--) {
			value(o, depth + 1);
			if (i > 1)
				put(o, ",");
		}
		put(o, "]");
	}
}

static const char *const cpu_keys[] = {"intel_power", "total_cpu_power", "uncore_power", "total_dram_power",
	"psys_power", "rel_intel_power", "per_zone_power", "per_zone_energy", "attributed_energy", "cpu_time",
	"experiment_mem_pss", "experiment_mem_uss", "per_process_mem_use_abs", "per_process_mem_use_uss",
	"per_process_cpu_power", "per_process_cpu_uses", "total_mem_use", "nvidia_draw_absolute", "brand_new"};
static const char *const gpu_keys[] = {"nvidia_draw_absolute", "nvidia_attributable_power", "per_gpu_energy",
	"per_gpu_power", "per_gpu_nvidia_memory",
	"per_gpu_attributed_energy", "per_gpu_power_draw", "per_gpu_attributable_power", "per_gpu_use_rate",
	"per_gpu_absolute_percent_usage", "per_gpu_memory", "per_gpu_energy_integrated", "per_gpu_temperature",
	"intel_power", "brand_new"};
static const char *const est_keys[] = {"energy_j", "energy_low_j", "energy_high_j", "attributed_j",
	"attributed_low_j", "attributed_high_j", "power_w", "power_low_w", "power_high_w", "load", "method", "brand_new"};
static const char *const zone_keys[] = {"package-0", "core-0", "dram-0", "uncore-0", "psys", "package-1"};
static const char *const gpu_idx[] = {"0", "1", "15", "99", "007", "all", "-1", "x", "1234567"};
static const char *const attrib_keys[] = {"cpu", "dram", "gpu"};

static void member_value(struct out *o, const char *key)
{
	if (rnd(8) == 0) { /* the wrong type where an object belongs, or any value */
		value(o, 2);
		return;
	}
	if (!strncmp(key, "per_zone", 8))
		object_of(o, zone_keys, 6, 2, true);
	else if (!strcmp(key, "attributed_energy"))
		object_of(o, attrib_keys, 3, 2, true);
	else if (!strncmp(key, "per_process", 11))
		object_of(o, gpu_idx, 4, 2, true);
	else if (!strncmp(key, "per_gpu_energy_integrated", 25)) {
		put(o, "{\"%s\": %s}", gpu_idx[rnd(9)], rnd(3) == 0 ? "true" : rnd(2) ? "false" : "2");
	} else if (!strncmp(key, "per_gpu", 7))
		object_of(o, gpu_idx, 9, 2, true);
	else
		number(o);
}

static void section(struct out *o, const char *const *keys, size_t nk)
{
	put(o, "{");
	int n = (int)rnd(7);
	for (int i = 0; i < n; i++) {
		const char *k = keys[rnd((unsigned)nk)];
		put(o, "%s\"%s\":", i ? "," : "", k);
		sp(o);
		member_value(o, k);
	}
	put(o, "}");
}

static void random_line(struct out *o)
{
	o->n = 0;
	put(o, "{");
	static const char *const top[] = {"date", "timestamp", "metrics", "metrics", "edge", "extra"};
	int n = rnd(5) ? 3 + (int)rnd(2) : 1 + (int)rnd(4);
	for (int i = 0; i < n; i++) {
		/* aipm's order mostly, any order sometimes */
		const char *k = rnd(3) ? (i == 0 ? "date" : i == 1 ? "timestamp" : "metrics") : top[rnd(6)];
		put(o, "%s\"%s\":", i ? ", " : "", k);
		sp(o);
		if (!strcmp(k, "date")) {
			static const char *const d[] = {"\"2026-11-25 19:20:01.123456\"", "\"2026-11-25 19:20:01\"",
				"\"2026-13-25 19:20:01\"", "12", "\"2026-11-25T19:20:01.5\""};
			put(o, "%s", d[rnd(5)]);
		} else if (!strcmp(k, "edge")) {
			put(o, "%s", rnd(3) ? "\"phase train begin\"" : "1");
		} else if (!strcmp(k, "timestamp")) {
			if (rnd(6))
				number(o);
			else
				value(o, 2);
		} else if (!strcmp(k, "metrics")) {
			if (rnd(10) == 0) {
				value(o, 2);
			} else {
				put(o, "{");
				int m = (int)rnd(4);
				for (int j = 0; j < m; j++) {
					static const char *const sec[] = {"cpu", "gpu", "temperature", "other", "amd_gpu",
									  "cpu_estimate", "_gpu", "x y_gpu"};
					const char *s = sec[rnd(8)];
					put(o, "%s\"%s\": ", j ? ", " : "", s);
					if (!strcmp(s, "cpu") && rnd(8))
						section(o, cpu_keys, sizeof cpu_keys / sizeof *cpu_keys);
					else if (strstr(s, "gpu") && rnd(8))
						section(o, gpu_keys, sizeof gpu_keys / sizeof *gpu_keys);
					else if (!strcmp(s, "cpu_estimate") && rnd(8))
						section(o, est_keys, sizeof est_keys / sizeof *est_keys);
					else
						value(o, 2);
				}
				put(o, "}");
			}
		} else {
			value(o, 1);
		}
		sp(o);
	}
	put(o, "}");
	if (rnd(10) == 0)
		put(o, "%s", rnd(2) ? " x" : "  ");
}

static void test_fast_and_dom_parsers_agree_on_random_lines(void **state)
{
	(void)state;
	static struct out o;
	int answered = 0, samples = 0, total = 50000;
	for (int i = 0; i < total; i++) {
		random_line(&o);
		size_t len = o.n;
		if (rnd(8) == 0 && len) /* a cut line, or a stray byte */
			len = rnd((unsigned)len);
		else if (rnd(8) == 0 && len)
			o.buf[rnd((unsigned)len)] = "{}[]\",:0\\ \0"[rnd(11)]; /* \0: a NUL byte */
		int gave_up;
		if (line_parsers_differ(o.buf, len, &gave_up))
			fail_msg("random line %d differs: %.*s", i, (int)len, o.buf);
		answered += !gave_up;
		static struct aipm_line_table zt;
		static struct aipm_line l;
		struct aipm_date_cache dc = {0};
		memset(&zt, 0, sizeof zt);
		samples += aipm_line_parse_dom(o.buf, len, &zt, &dc, &l) == AIPM_LINE_SAMPLE;
	}
	/* Many random lines hold some oddity the scanner leaves to cJSON,
	 * yet it must answer a good share of the samples, or this test
	 * compares nothing. */
	print_message("the scanner answered %d of %d random lines (%d samples)\n", answered, total, samples);
	assert_true(answered > samples / 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_and_dom_parsers_agree_on_every_fixture_line),
		cmocka_unit_test(test_fast_and_dom_parsers_agree_on_random_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
