/* test_views.c: what the text and JSON reports show of a recording, on
 * hand-made fixtures whose numbers were computed by hand
 * (tests/fixtures/recordings/README.md): one headline line, zones under
 * the zone that holds them and never one number under three names, a
 * not-measured row per missing part with its reason, GPUs named for people
 * in a total of several recordings. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../analysis/analysis_helpers.h"
#include "analysis/out.h"
#include "analysis/summary_out.h"

static struct aipm_summary *load(const char *name)
{
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(fixture(name), NULL, &s), 0);
	return s;
}

/* The line of t that starts with prefix (after its indentation), or NULL. */
static const char *line_of(const char *t, const char *prefix)
{
	for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *q = p + strspn(p, " ");
		if (!strncmp(q, prefix, strlen(prefix)))
			return p;
	}
	return NULL;
}

static int indent_of(const char *line) { return line ? (int)strspn(line, " ") : -1; }

static int count(const char *t, const char *s)
{
	int n = 0;
	for (const char *p = strstr(t, s); p; p = strstr(p + 1, s))
		n++;
	return n;
}

static void test_headline_is_one_line_with_energy_share_mean_power_and_duration(void **state)
{
	(void)state;
	struct aipm_summary *s = load("aipm-views");
	char *t = text_of(s);
	const char *h = line_of(t, "run ");
	assert_non_null(h);
	/* packages 195 + DRAM 24 + GPUs 2050 J over 9 s; the share 95 + 7 + 900 J */
	char line[512];
	snprintf(line, sizeof line, "%.*s", (int)strcspn(h, "\n"), h);
	assert_non_null(strstr(line, "2269.000 J"));
	assert_non_null(strstr(line, "in 9.000 s"));
	assert_non_null(strstr(line, "mean 252.1 W"));
	assert_non_null(strstr(line, "the experiment's share 1002.000 J (44.2 %)"));
	struct aipm_headline hl;
	aipm_summary_headline(s, &hl);
	assert_true(fabs(hl.energy_j - 2269) < 1e-6 && fabs(hl.attributed_j - 1002) < 1e-6);
	assert_string_equal(hl.includes, "CPU packages + DRAM + GPUs");
	free(t);
	aipm_summary_free(s);
}

static void test_zones_sit_under_the_zone_that_holds_them(void **state)
{
	(void)state;
	struct aipm_summary *s = load("aipm-views");
	char *t = text_of(s);
	const char *psys = line_of(t, "psys "), *pkg = line_of(t, "package 0 "), *core = line_of(t, "core 0 "),
		   *uncore = line_of(t, "uncore 0 "), *dram = line_of(t, "DRAM 0 ");
	assert_non_null(psys);
	/* psys > package > core, uncore; DRAM beside psys, not inside it */
	assert_true(psys < pkg && pkg < core && pkg < uncore);
	assert_true(indent_of(pkg) > indent_of(psys));
	assert_true(indent_of(core) > indent_of(pkg));
	assert_int_equal(indent_of(core), indent_of(uncore));
	assert_int_equal(indent_of(dram), indent_of(psys));
	assert_non_null(strstr(psys, "holds the packages"));
	/* one package: one row, not cpu_total, package and package-0 */
	assert_int_equal(count(t, "195.000"), 1);
	assert_null(strstr(t, "cpu_total"));
	free(t);
	/* the JSON keeps every key and says which zone holds which */
	char *j = json_of(s);
	assert_non_null(strstr(j, "\"cpu_total\": 195"));
	assert_non_null(strstr(j, "\"package-0\": 195"));
	assert_non_null(strstr(j, "{\"name\": \"core-0\", \"label\": \"core 0\", \"kind\": \"core\", \"inside\": \"package-0\""));
	assert_non_null(strstr(j, "\"run\": {\"energy_j\": 2269"));
	free(j);
	aipm_summary_free(s);
}

static void test_rows_hold_each_zone_once_with_the_share_on_its_part(void **state)
{
	(void)state;
	struct aipm_summary *s = load("aipm-views");
	struct aipm_energy_row *rows;
	int n = aipm_summary_rows(s, &rows);
	assert_true(n > 0);
	int zones = 0, gpus_sum = -1;
	for (int i = 0; i < n; i++) {
		zones += rows[i].kind == AIPM_ROW_PART && rows[i].zone_kind >= 0;
		if (!strcmp(rows[i].label, "package 0"))
			assert_true(fabs(rows[i].attributed_j - 95) < 1e-9 && rows[i].in_run && rows[i].depth == 1);
		if (!strcmp(rows[i].label, "psys"))
			assert_false(rows[i].in_run); /* it holds the packages: never added to them */
		if (!strcmp(rows[i].label, "GPUs"))
			gpus_sum = i;
		assert_int_not_equal(rows[i].kind, AIPM_ROW_MISSING); /* everything is measured */
	}
	assert_int_equal(zones, 5);
	assert_true(gpus_sum >= 0 && rows[gpus_sum].kind == AIPM_ROW_SUM);
	assert_true(fabs(rows[gpus_sum].energy_j - 2050) < 1e-9);
	assert_string_equal(rows[gpus_sum + 1].label, "GPU 0 (NVIDIA A100-SXM4-40GB)");
	free(rows);
	aipm_summary_free(s);
}

static void test_a_gpu_only_recording_says_cpu_energy_was_not_measured_and_why(void **state)
{
	(void)state;
	struct aipm_summary *s = load("aipm-gpu-details");
	char *t = text_of(s);
	const char *cpu = line_of(t, "CPU and DRAM energy");
	assert_non_null(cpu);
	assert_non_null(strstr(cpu, "not measured: no powercap tree"));
	assert_non_null(strstr(t, "to measure it: run on bare metal"));
	assert_non_null(line_of(t, "GPUs "));
	free(t);
	char *j = json_of(s);
	assert_non_null(strstr(j, "\"unmeasured\": {\"cpu\": {\"reason\": \"no powercap tree\", \"fix\": \"run on bare metal\"}"));
	free(j);
	aipm_summary_free(s);
	/* a part that was measured is never said missing */
	s = load("aipowermeter");
	t = text_of(s);
	assert_null(line_of(t, "DRAM energy"));
	free(t);
	aipm_summary_free(s);
	s = load("aipm-norapl");
	t = text_of(s);
	assert_non_null(line_of(t, "no energy was measured"));
	assert_non_null(strstr(line_of(t, "GPU energy"), "not measured: cannot load libnvidia-ml.so.1"));
	free(t);
	aipm_summary_free(s);
}

static void test_total_of_recordings_names_each_gpu_by_its_recording(void **state)
{
	(void)state;
	struct aipm_summary *a = load("aipm-views"), *b = load("aipm-vendors"), *t = aipm_summary_new_total();
	assert_int_equal(aipm_summary_add(t, a), 0);
	assert_int_equal(aipm_summary_add(t, b), 0);
	char *x = text_of(t);
	assert_non_null(line_of(x, "aipm-views: GPU 0 (NVIDIA A100-SXM4-40GB)"));
	assert_non_null(line_of(x, "aipm-views: GPU 1 (NVIDIA T4)"));
	assert_non_null(line_of(x, "aipm-vendors: GPU 1 (AMD Instinct MI250X GCD 1)"));
	assert_null(strstr(x, "gpu 1.0"));
	assert_null(strstr(x, " 0.nvidia"));
	free(x);
	char *j = json_of(t);
	assert_non_null(strstr(j, "\"title\": \"aipm-vendors: GPU 0 (NVIDIA A100-SXM4-40GB)\", \"recording\": 1, "
				  "\"recording_dir\": \"aipm-vendors\""));
	free(j);
	aipm_summary_free(a);
	aipm_summary_free(b);
	aipm_summary_free(t);
}

static void test_names_for_people(void **state)
{
	(void)state;
	char out[256];
	const char *const zones[][2] = {{"package-0", "package 0"}, {"dram-1", "DRAM 1"}, {"core-0", "core 0"},
					{"psys", "psys"}, {"mmio-package-0", "package 0 (MMIO)"},
					{"package-0-die-1", "package 0 die 1"}};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		aipm_zone_label(zones[i][0], out, sizeof out);
		assert_string_equal(out, zones[i][1]);
	}
	aipm_gpu_label_for("nvidia", 1, "NVIDIA T4", false, out, sizeof out);
	assert_string_equal(out, "GPU 1 (NVIDIA T4)");
	aipm_gpu_label_for("amd", 0, "Instinct MI250X", true, out, sizeof out);
	assert_string_equal(out, "AMD GPU 0 (Instinct MI250X)");
	aipm_gpu_label_for("amd", 0, "AMD Instinct MI250X", true, out, sizeof out);
	assert_string_equal(out, "GPU 0 (AMD Instinct MI250X)");
	aipm_gpu_label_for("nvidia", 2, "", true, out, sizeof out);
	assert_string_equal(out, "NVIDIA GPU 2");
	struct aipm_buf b = {0};
	aipm_buf_xml(&b, "<b>\"a\" & 'b'</b>\x01\xff");
	assert_string_equal(b.data, "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt; \xef\xbf\xbd");
	aipm_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headline_is_one_line_with_energy_share_mean_power_and_duration),
		cmocka_unit_test(test_zones_sit_under_the_zone_that_holds_them),
		cmocka_unit_test(test_rows_hold_each_zone_once_with_the_share_on_its_part),
		cmocka_unit_test(test_a_gpu_only_recording_says_cpu_energy_was_not_measured_and_why),
		cmocka_unit_test(test_total_of_recordings_names_each_gpu_by_its_recording),
		cmocka_unit_test(test_names_for_people),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
