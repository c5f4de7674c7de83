/* test_estimate_report.c: the CPU estimate in `aipm report` (issue 16).
 *
 * On the hand-made recording tests/fixtures/recordings/aipm-estimate (no
 * RAPL; an estimate of 10 W [4, 20], half of it the experiment's; two
 * segments of 4 s and 1 s; one phase a = [0.5, 3.5] s), whose totals are
 * known: the reader totals the estimate apart from every measured total,
 * over the whole recording, a window and a phase, each bound alike; the
 * text report gives it a section of its own marked "estimate", with the
 * interval and the method from metadata.json; JSON puts it under its own
 * "estimate" object with "measured": false.
 */
#include <cjson/cJSON.h>
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
#include "aipm.h"
#include "analysis/out.h"
#include "analysis/phases.h"
#include "analysis/summary.h"

static const char *dir;

#define near(a, b) assert_true(fabs((a) - (b)) <= 1e-9 * (1 + fabs(b)))

/* energy, low, high, attributed, low, high */
static void assert_est(const double *j, double e, double el, double eh, double a, double al, double ah)
{
	near(j[AIPM_EST_J], e);
	near(j[AIPM_EST_J_LOW], el);
	near(j[AIPM_EST_J_HIGH], eh);
	near(j[AIPM_EST_ATT_J], a);
	near(j[AIPM_EST_ATT_J_LOW], al);
	near(j[AIPM_EST_ATT_J_HIGH], ah);
}

static struct aipm_summary *load(double from, double to)
{
	struct aipm_summary_opts o = {.from = from, .to = to, .from_relative = true, .to_relative = true};
	struct aipm_summary *s = NULL;
	if (aipm_summary_load(dir, &o, &s) < 0)
		fail_msg("%s: %s", dir, aipm_error_last());
	return s;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v))
		fail_msg("no number %s", k);
	return v->valuedouble;
}

static void assert_est_json(const cJSON *e, double scale)
{
	assert_non_null(e);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "measured")));
	double want[] = {10, 4, 20, 5, 2, 10};
	const char *keys[] = {"energy_j", "energy_low_j", "energy_high_j", "attributed_j", "attributed_low_j",
			      "attributed_high_j"};
	for (int i = 0; i < 6; i++)
		near(jnum(e, keys[i]), want[i] * scale);
}

static void test_the_recording_totals_the_estimate_apart(void **state)
{
	(void)state;
	struct aipm_summary *s = load(NAN, NAN);
	/* 5 s at 10 W [4, 20] over two segments, half the experiment's */
	assert_est(s->est.j, 50, 20, 100, 25, 10, 50);
	for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
		assert_true(isnan(s->total_j[t])); /* nothing measured: no measured total holds it */
	assert_true(isnan(s->attributed_cpu_j));
	assert_string_equal(s->est.how.method, "microarch_table");
	assert_string_equal(s->est.how.table, "microarch_power");
	assert_int_equal(s->est.how.row, 7);
	assert_string_equal(s->est.how.row_key, "Cascade Lake");
	assert_int_equal(s->unknown_fields, 0);
	char *text = json_of(s);
	cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "estimate");
	assert_est_json(e, 5);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(e, "method")->valuestring, "microarch_table");
	assert_int_equal(jnum(e, "row"), 7);
	assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(e, "text")->valuestring, "Cascade Lake"));
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "energy_j")->child); /* measured: none */
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "attributed_j")->child);
	cJSON_Delete(j);
	free(text);
	aipm_summary_free(s);
}

static void test_a_window_takes_the_estimate_at_its_edges(void **state)
{
	(void)state;
	struct aipm_summary *s = load(1.5, 2.5); /* 1 s between samples: interpolated */
	assert_true(s->window_interpolated);
	assert_est(s->est.j, 10, 4, 20, 5, 2, 10);
	aipm_summary_free(s);
}

static void test_the_text_report_marks_it_estimate_with_interval_and_method(void **state)
{
	(void)state;
	struct aipm_summary *s = load(NAN, NAN);
	char *t = text_of(s);
	static const char *const want[] = {
		"\nestimate     CPU energy NOT measured (no RAPL): a model's estimate [low, high], in no total above\n",
		"\n  cpu                      50.000 J  [20.000, 100.000] J\n",
		"\n  attributed               25.000 J  [10.000, 50.000] J\n",
		"\n  method         microarch_table from microarch_power row 7 'Cascade Lake' (table ",
		"\n  how            brand 'Intel(R) Xeon(R) CPU @ 2.80GHz' masked",
		"no energy was measured", /* the measurement's absence is still said */
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!strstr(t, want[i]))
			fail_msg("no '%s' in:\n%s", want[i], t);
	free(t);
	aipm_summary_free(s);
}

static void test_a_total_of_recordings_sums_estimates_and_says_when_methods_differ(void **state)
{
	(void)state;
	struct aipm_summary *a = load(NAN, NAN), *b = load(NAN, NAN), *t = aipm_summary_new_total();
	assert_int_equal(aipm_summary_add(t, a), 0);
	assert_int_equal(aipm_summary_add(t, b), 0);
	assert_est(t->est.j, 100, 40, 200, 50, 20, 100);
	assert_false(t->est.mixed);
	snprintf(b->est.how.method, sizeof b->est.how.method, "generic_average");
	assert_int_equal(aipm_summary_add(t, b), 0);
	assert_true(t->est.mixed);
	char *text = json_of(t);
	cJSON *j = cJSON_Parse(text);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "estimate"), "method")
				    ->valuestring,
			    "mixed");
	cJSON_Delete(j);
	free(text);
	aipm_summary_free(a);
	aipm_summary_free(b);
	aipm_summary_free(t);
}

static char *phases(bool json)
{
	struct aipm_out o = {0};
	assert_int_equal(aipm_phase_report_write(dir, json, &o), 0);
	aipm_buf_put(&o.b, "", 1);
	return o.b.data;
}

static void test_phases_get_the_estimate(void **state)
{
	(void)state;
	char *text = phases(true);
	cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "phases"), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p, "energy_j"))); /* measured: none */
	assert_est_json(cJSON_GetObjectItemCaseSensitive(p, "estimate"), 3); /* [0.5, 3.5]: 3 s */
	const cJSON *n = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "by_name"), 0);
	assert_est_json(cJSON_GetObjectItemCaseSensitive(n, "estimate"), 3);
	cJSON_Delete(j);
	free(text);
	text = phases(false);
	if (!strstr(text, "est. CPU 30.000 J [12.000, 60.000]") || !strstr(text, "\nest. CPU: CPU energy NOT measured"))
		fail_msg("the text phases lack the estimate or its legend:\n%s", text);
	free(text);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	dir = fixture("aipm-estimate");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_recording_totals_the_estimate_apart),
		cmocka_unit_test(test_a_window_takes_the_estimate_at_its_edges),
		cmocka_unit_test(test_the_text_report_marks_it_estimate_with_interval_and_method),
		cmocka_unit_test(test_a_total_of_recordings_sums_estimates_and_says_when_methods_differ),
		cmocka_unit_test(test_phases_get_the_estimate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
