/* test_summary.c: the reader and the totals, on hand-made recordings whose
 * totals were computed by hand (see tests/fixtures/recordings/README.md). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/summary.h"
#include "analysis_helpers.h"
#include "record/line.h"
#include "record/scan.h"

#define T0 1795634400.0


static struct aipm_summary *load(const char *name, const struct aipm_summary_opts *o)
{
	struct aipm_summary *s = NULL;
	int rc = aipm_summary_load(fixture(name), o, &s);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

static double zone(const struct aipm_summary *s, const char *name)
{
	for (int z = 0; z < s->nzones; z++)
		if (!strcmp(s->zones[z].name, name))
			return s->zones[z].energy_j;
	return NAN;
}

static void near_at(double a, double b, int line)
{
	if (!(fabs(a - b) <= 1e-9 * (fabs(b) + 1)))
		fail_msg("line %d: got %.12g, want %.12g", line, a, b);
}
#define near(a, b) near_at((a), (b), __LINE__)

static void test_aipm_totals_are_counter_differences_per_segment(void **state)
{
	(void)state;
	struct aipm_summary *s = load("aipm-basic", NULL);
	assert_string_equal(s->format, "aipm");
	assert_int_equal(s->segments, 2);
	assert_int_equal(s->lines, 5);
	near(s->duration_s, 4.5);
	near(zone(s, "package-0"), 80);
	near(zone(s, "core-0"), 50);
	near(zone(s, "dram-0"), 12);
	near(zone(s, "psys"), 145);
	near(s->total_j[AIPM_TOTAL_CPU], 80);
	near(s->total_j[AIPM_TOTAL_PACKAGE], 80);
	near(s->total_j[AIPM_TOTAL_DRAM], 12);
	near(s->total_j[AIPM_TOTAL_GPU], 450);
	assert_true(isnan(s->total_j[AIPM_TOTAL_UNCORE])); /* no uncore zone: missing, not 0 */
	near(s->attributed_cpu_j, 30);
	near(s->attributed_dram_j, 3.5);
	near(s->attributed_gpu_j, 245);
	near(s->cpu_time_s, 4.0);
	near(s->pss_mean_bytes, 110.0 * 1048576);
	near(s->pss_peak_bytes, 200.0 * 1048576);
	near(s->uss_mean_bytes, 42e6);
	near(s->uss_peak_bytes, 60e6);
	assert_int_equal(s->ngpus, 2);
	near(s->gpus[0].energy_j, 310);
	near(s->gpus[1].energy_j, 140);
	near(s->gpus[0].attributed_j, 230);
	near(s->gpus[0].sm_mean, 50);
	near(s->gpus[1].sm_mean, 20);
	near(s->gpus[1].mem_peak_bytes, 4e9);
	assert_string_equal(s->gpus[0].energy_source, "counter");
	assert_string_equal(s->gpus[1].energy_source, "integrated");
	assert_string_equal(s->gpus[0].name, "Fake GPU A");
	assert_string_equal(s->description, "hand-made fixture: two segments, two GPUs");
	near(s->model_params, 1234567);
	aipm_summary_free(s);
}

static void test_oddities_are_skipped_and_counted(void **state)
{
	(void)state;
	struct aipm_summary *s = load("oddities", NULL);
	assert_int_equal(s->lines, 3);
	assert_int_equal(s->blank, 2);
	assert_int_equal(s->corrupt, 4);
	assert_int_equal(s->truncated, 1);
	assert_int_equal(s->unknown_fields, 3);
	near(zone(s, "package-0"), 25);
	aipm_summary_free(s);
}

static void test_aipowermeter_trapezoid_never_bridges_segments(void **state)
{
	(void)state;
	struct aipm_summary *s = load("aipowermeter", NULL);
	assert_string_equal(s->format, "aipowermeter");
	assert_int_equal(s->segments, 2);
	near(s->duration_s, 5);
	near(s->total_j[AIPM_TOTAL_CPU], 165);
	near(s->total_j[AIPM_TOTAL_CORE], 72.5);
	near(s->total_j[AIPM_TOTAL_DRAM], 18);
	near(s->total_j[AIPM_TOTAL_UNCORE], 3);
	near(s->total_j[AIPM_TOTAL_PSYS], 125);
	near(s->total_j[AIPM_TOTAL_GPU], 450);
	near(s->attributed_cpu_j, 32.5);
	near(s->attributed_gpu_j, 225);
	assert_true(isnan(s->cpu_time_s));
	assert_true(isnan(s->total_j[AIPM_TOTAL_PACKAGE]));
	assert_string_equal(s->gpus[0].energy_source, "integrated");
	near(s->model_macs, 2000);
	aipm_summary_free(s);
}

/* Split every fixture at every possible place: the totals must not move. */
static void test_parallel_seams_give_sequential_totals(void **state)
{
	(void)state;
	const char *names[] = {"aipm-basic", "oddities", "aipowermeter"};
	for (size_t f = 0; f < 3; f++) {
		aipm_scan_set_min_part_bytes(0);
		struct aipm_summary_opts o = {.from = NAN, .to = NAN, .threads = 1};
		struct aipm_summary *ref = load(names[f], &o);
		for (long long part = 1; part <= 700; part += 37) {
			aipm_scan_set_min_part_bytes(part);
			for (int th = 2; th <= 9; th += 7) {
				o.threads = th;
				struct aipm_summary *s = load(names[f], &o);
				assert_int_equal(s->lines, ref->lines);
				assert_int_equal(s->segments, ref->segments);
				assert_int_equal(s->corrupt + s->truncated + s->blank,
						 ref->corrupt + ref->truncated + ref->blank);
				for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
					assert_true((isnan(s->total_j[t]) && isnan(ref->total_j[t])) ||
						    fabs(s->total_j[t] - ref->total_j[t]) < 1e-9);
				near(s->duration_s, ref->duration_s);
				assert_true((isnan(s->attributed_cpu_j) && isnan(ref->attributed_cpu_j)) ||
					    fabs(s->attributed_cpu_j - ref->attributed_cpu_j) < 1e-9);
				aipm_summary_free(s);
			}
		}
		aipm_summary_free(ref);
	}
	aipm_scan_set_min_part_bytes(0);
}

static void test_window_takes_counters_at_its_edges(void **state)
{
	(void)state;
	struct aipm_summary_opts o = {.from = 1, .to = 12, .from_relative = true, .to_relative = true};
	struct aipm_summary *s = load("aipm-basic", &o);
	near(zone(s, "package-0"), (50 - 20) + (30 - 0));
	near(s->duration_s, 1.5 + 2);
	assert_int_equal(s->lines, 4);
	assert_int_equal(s->outside_window, 1);
	aipm_summary_free(s);
	/* Edges on samples: nothing to interpolate. */
	struct aipm_summary_opts a = {.from = T0, .to = T0 + 1};
	s = load("aipm-basic", &a);
	near(s->total_j[AIPM_TOTAL_CPU], 20);
	assert_false(s->window_interpolated);
	aipm_summary_free(s);
	/* 2.5 ends segment 0: a sample of the window, but no interval of it */
	struct aipm_summary_opts b = {.from = T0 + 2.5, .to = T0 + 12};
	s = load("aipm-basic", &b);
	near(s->total_j[AIPM_TOTAL_CPU], 30);
	assert_int_equal(s->segments, 2);
	aipm_summary_free(s);
}

static void test_last_segment_only(void **state)
{
	(void)state;
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load_dir(fixture("aipm-basic"), true, &s), 0);
	assert_int_equal(s->segments, 1);
	near(s->total_j[AIPM_TOTAL_CPU], 30);
	near(s->duration_s, 2);
	aipm_summary_free(s);
}

static void test_missing_dir_is_an_error_with_advice(void **state)
{
	(void)state;
	struct aipm_summary *s = NULL;
	assert_true(aipm_summary_load_dir("/nonexistent/dir", false, &s) < 0);
	assert_null(s);
}

static void test_line_parser_reads_dates_and_markers(void **state)
{
	(void)state;
	static struct aipm_line_table zt;
	struct aipm_date_cache dc = {0};
	static struct aipm_line l;
	const char *m = "\"END OF RECORDING SEGMENT\"";
	assert_int_equal(aipm_line_parse(m, strlen(m), &zt, &dc, &l), AIPM_LINE_SEGMENT_END);
	assert_int_equal(aipm_line_parse("END OF RECORDING SEGMENT\r", 25, &zt, &dc, &l), AIPM_LINE_SEGMENT_END);
	assert_int_equal(aipm_line_parse(" \t", 2, &zt, &dc, &l), AIPM_LINE_BLANK);
	double a, b;
	assert_true(aipm_format_date_parse("2021-01-10 10:00:00", &dc, &a));
	assert_true(aipm_format_date_parse("2021-01-10 10:00:01.250000", &dc, &b));
	near(b - a, 1.25);
	assert_false(aipm_format_date_parse("2021-13-10 10:00:00", &dc, &a));
	assert_false(aipm_format_date_parse("2021-01-10 10:00", &dc, &a));
	const char *j = "{\"timestamp\": 5, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-1\": 3, "
			"\"uncore-0\": 1}, \"intel_power\": \"x\"}}}";
	assert_int_equal(aipm_line_parse(j, strlen(j), &zt, &dc, &l), AIPM_LINE_SAMPLE);
	assert_true(isnan(l.pw[AIPM_PW_INTEL])); /* a string is not a power */
	assert_int_equal(zt.kind[aipm_line_zone_id(&zt, "uncore-0", 8)], AIPM_KIND_UNCORE);
	assert_int_equal(aipm_kind_of_zone("packagex"), AIPM_KIND_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aipm_totals_are_counter_differences_per_segment),
		cmocka_unit_test(test_oddities_are_skipped_and_counted),
		cmocka_unit_test(test_aipowermeter_trapezoid_never_bridges_segments),
		cmocka_unit_test(test_parallel_seams_give_sequential_totals),
		cmocka_unit_test(test_window_takes_counters_at_its_edges),
		cmocka_unit_test(test_last_segment_only),
		cmocka_unit_test(test_missing_dir_is_an_error_with_advice),
		cmocka_unit_test(test_line_parser_reads_dates_and_markers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
