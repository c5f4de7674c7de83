/* test_report_fixes.c: what the report says about recordings that measured
 * little: a machine without RAPL or GPU (aipm-norapl, a real `aipm run` on
 * a VM), GPUs described in metadata.json's nvml details with AIPowerMeter's
 * "all" member in their lines (aipm-gpu-details), and the window line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "record/line.h"
#include "analysis/summary.h"
#include "analysis_helpers.h"


static struct aipm_summary *load(const char *dir, const struct aipm_summary_opts *o)
{
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(dir, o, &s), 0);
	assert_non_null(s);
	return s;
}


static void test_aipm_recording_without_rapl_is_format_aipm(void **state)
{
	(void)state;
	struct aipm_summary *s = load(fixture("aipm-norapl"), NULL);
	assert_string_equal(s->format, "aipm");
	assert_true(isnan(s->total_j[AIPM_TOTAL_CPU])); /* nothing measured, not 0 */
	aipm_summary_free(s);
	/* Without metadata.json the lines' "timestamp" still says aipm. */
	char dir[] = "/tmp/aipm-test-norapl-XXXXXX", path[4096], cmd[8192];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp '%s/power_metrics.json' '%s/'", fixture("aipm-norapl"), dir);
	assert_int_equal(system(cmd), 0);
	s = load(dir, NULL);
	assert_string_equal(s->format, "aipm");
	aipm_summary_free(s);
	snprintf(path, sizeof path, "%s/power_metrics.json", dir);
	unlink(path);
	rmdir(dir);
	/* and AIPowerMeter's own recordings (a date, no timestamp) stay its */
	s = load(fixture("aipowermeter"), NULL);
	assert_string_equal(s->format, "aipowermeter");
	aipm_summary_free(s);
}

static void test_no_energy_report_names_the_reason_and_the_fix(void **state)
{
	(void)state;
	struct aipm_summary *s = load(fixture("aipm-norapl"), NULL);
	char *t = text_of(s);
	assert_non_null(strstr(t, "no energy was measured"));
	assert_non_null(strstr(t, "CPU: no powercap tree at /sys/class/powercap"));
	assert_non_null(strstr(t, "to measure it: RAPL needs an Intel"));
	assert_non_null(strstr(t, "GPU: cannot load libnvidia-ml.so.1"));
	free(t);
	aipm_summary_free(s);
	/* A recording that measured energy says none of it. */
	s = load(fixture("aipm-gpu-details"), NULL);
	t = text_of(s);
	assert_null(strstr(t, "no energy"));
	assert_null(strstr(t, "powercap"));
	free(t);
	aipm_summary_free(s);
}

static void test_window_line_only_with_from_or_to(void **state)
{
	(void)state;
	/* aipm run's closing summary: the last segment is our window, not a
	 * --from the user gave. */
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load_dir(fixture("aipm-basic"), true, &s), 0);
	char *t = text_of(s);
	assert_null(strstr(t, "between --from and --to"));
	assert_true(isnan(s->window_from_ts) && isnan(s->window_to_ts));
	free(t);
	aipm_summary_free(s);
	s = load(fixture("aipm-basic"), NULL);
	t = text_of(s);
	assert_null(strstr(t, "between --from and --to"));
	free(t);
	aipm_summary_free(s);
	struct aipm_summary_opts o = {.from = 1, .to = NAN, .from_relative = true};
	s = load(fixture("aipm-basic"), &o);
	t = text_of(s);
	assert_non_null(strstr(t, "between --from and --to"));
	free(t);
	aipm_summary_free(s);
}

static void test_all_member_of_attributable_power_is_not_unknown(void **state)
{
	(void)state;
	struct aipm_summary *s = load(fixture("aipm-gpu-details"), NULL);
	assert_int_equal(s->unknown_fields, 0);
	assert_int_equal(s->ngpus, 2);
	aipm_summary_free(s);
	/* "all" stays unknown elsewhere: only that object carries it. */
	static const char line[] = "{\"timestamp\": 1, \"metrics\": {\"gpu\": {\"per_gpu_power_draw\": "
				   "{\"0\": 5, \"all\": 5}, \"per_gpu_attributable_power\": {\"0\": 5, \"all\": 5}}}}";
	static struct aipm_line_table zt;
	struct aipm_date_cache dc = {0};
	static struct aipm_line l;
	assert_int_equal(aipm_line_parse(line, sizeof line - 1, &zt, &dc, &l), AIPM_LINE_SAMPLE);
	assert_int_equal(l.unknown_fields, 1);
	assert_int_equal(aipm_line_parse_dom(line, sizeof line - 1, &zt, &dc, &l), AIPM_LINE_SAMPLE);
	assert_int_equal(l.unknown_fields, 1);
}

static void test_gpu_names_come_from_nvml_details(void **state)
{
	(void)state;
	struct aipm_summary *s = load(fixture("aipm-gpu-details"), NULL);
	assert_int_equal(s->ngpus, 2);
	assert_string_equal(s->gpus[0].name, "NVIDIA H100 80GB HBM3");
	assert_string_equal(s->gpus[0].uuid, "GPU-aaaa-0000");
	assert_string_equal(s->gpus[1].name, "NVIDIA A10");
	assert_string_equal(s->gpus[1].energy_source, "integrated");
	char *j = json_of(s);
	assert_non_null(strstr(j, "\"name\": \"NVIDIA H100 80GB HBM3\""));
	assert_non_null(strstr(j, "\"uuid\": \"GPU-bbbb-1111\""));
	assert_null(strstr(j, "\"name\": null"));
	free(j);
	aipm_summary_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aipm_recording_without_rapl_is_format_aipm),
		cmocka_unit_test(test_no_energy_report_names_the_reason_and_the_fix),
		cmocka_unit_test(test_window_line_only_with_from_or_to),
		cmocka_unit_test(test_all_member_of_attributable_power_is_not_unknown),
		cmocka_unit_test(test_gpu_names_come_from_nvml_details),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
