/* test_views.c: the views of include/aipm.h beyond the meter: the probe,
 * the report (text, JSON, windows, several recordings, HTML, plots) and the
 * model analysis, called through the public header and the shared library
 * only, as an embedding program calls them. Each pins what the `aipm`
 * command relies on (it is built on these calls) and the API's own rules:
 * options read as their version, the roots taken from the options and
 * never from the environment, errors as negative errno with a sentence. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"

static char root[256], sys[300], fixtures[1024];
static char views[1200], basic[1200];

static int setup(void **state)
{
	(void)state;
	const char *src = getenv("AIPM_SRC");
	if (!src)
		return -1;
	snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures", src);
	snprintf(views, sizeof views, "%s/recordings/aipm-views", fixtures);
	snprintf(basic, sizeof basic, "%s/recordings/aipm-basic", fixtures);
	snprintf(root, sizeof root, "%s/aipm-views.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	snprintf(sys, sizeof sys, "%s/sys", root);
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "python3 '%s/mkrapl.py' make '%s' server2", fixtures, sys);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- probe ---- */

static struct aipm_probe_options probe_opts(void)
{
	struct aipm_probe_options o;
	assert_int_equal(aipm_probe_options_init(&o, AIPM_PROBE_OPTIONS_VERSION), 0);
	o.sysfs_root = sys;
	o.cgroup_root = "/nonexistent-cgroup-root"; /* no test cgroup is made on the machine */
	return o;
}

static void test_probe_json_reads_the_roots_of_the_options_not_the_environment(void **state)
{
	(void)state;
	/* The environment points elsewhere: a library that read it would
	 * find no RAPL there. */
	setenv("AIPM_SYSFS_ROOT", "/nonexistent-sysfs", 1);
	struct aipm_probe_options o = probe_opts();
	char *json = NULL;
	assert_int_equal(aipm_probe_json(&o, &json), 0);
	unsetenv("AIPM_SYSFS_ROOT");
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "sysfs_root")->valuestring, sys);
	assert_string_equal(cJSON_GetObjectItem(j, "aipm_version")->valuestring, aipm_version());
	const cJSON *rapl = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sources"), 0);
	assert_string_equal(cJSON_GetObjectItem(rapl, "name")->valuestring, "rapl");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rapl, "available")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rapl, "sample_ok")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(rapl, "details"), "zones")), 4);
	/* The cgroup root of the options is where the scope was looked for. */
	const cJSON *scope = cJSON_GetObjectItem(j, "scope");
	assert_string_equal(cJSON_GetObjectItem(scope, "kind")->valuestring, "proc-tree");
	assert_non_null(strstr(cJSON_GetObjectItem(scope, "why")->valuestring, "/nonexistent-cgroup-root"));
	cJSON_Delete(j);
	aipm_string_free(json);
}

static void test_probe_text_lists_each_source_and_the_scope(void **state)
{
	(void)state;
	struct aipm_probe_options o = probe_opts();
	char *text = NULL;
	assert_int_equal(aipm_probe_text(&o, &text), 0);
	assert_non_null(strstr(text, "rapl         available     "));
	assert_non_null(strstr(text, "package-0, dram-0, package-1, dram-1"));
	assert_non_null(strstr(text, "\nscope   proc-tree     which processes aipm run measures\n"));
	aipm_string_free(text);
	/* NULL options: the system's own roots (here no RAPL under /sys). */
	assert_int_equal(aipm_probe_json(NULL, &text), 0);
	cJSON *j = cJSON_Parse(text);
	assert_string_equal(cJSON_GetObjectItem(j, "sysfs_root")->valuestring, "/sys");
	cJSON_Delete(j);
	aipm_string_free(text);
}

static void test_probe_refuses_options_never_initialised_or_too_new(void **state)
{
	(void)state;
	struct aipm_probe_options o;
	memset(&o, 0, sizeof o);
	char *out = (char *)"untouched";
	assert_int_equal(aipm_probe_json(&o, &out), -EINVAL);
	assert_string_equal(out, "untouched");
	assert_non_null(strstr(aipm_error_last(), "aipm_probe_options_init"));
	o.version = AIPM_PROBE_OPTIONS_VERSION + 1;
	assert_int_equal(aipm_probe_text(&o, &out), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "newer"));
	assert_int_equal(aipm_probe_options_init(&o, 0), -EINVAL);
	assert_int_equal(aipm_probe_options_init(NULL, AIPM_PROBE_OPTIONS_VERSION), -EINVAL);
	assert_int_equal(aipm_probe_json(NULL, NULL), -EINVAL);
}

/* ---- report ---- */

static const char *const *one(const char *d)
{
	static const char *dirs[1];
	dirs[0] = d;
	return dirs;
}

static void test_report_text_and_json_of_one_and_several_recordings(void **state)
{
	(void)state;
	char *text = NULL, *json = NULL;
	assert_int_equal(aipm_report_text(one(views), 1, NULL, &text), 0);
	assert_non_null(strstr(text, "energy"));
	/* The JSON is the summary reader's object, and a newline. */
	assert_int_equal(aipm_report_json(one(views), 1, NULL, &json), 0);
	char *summary = NULL;
	assert_int_equal(aipm_recording_summary_json(views, &summary), 0);
	assert_int_equal(strlen(json), strlen(summary) + 1);
	assert_memory_equal(json, summary, strlen(summary));
	assert_int_equal(json[strlen(summary)], '\n');
	aipm_string_free(summary);
	aipm_string_free(text);
	aipm_string_free(json);
	/* Two: each block, then the total, whose keys are the top level. */
	const char *two[] = {views, basic};
	assert_int_equal(aipm_report_json(two, 2, NULL, &json), 0);
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	/* "recordings" is the total's count and then the list of blocks (the
	 * key appears twice: a JSON reader keeps the last, the list). */
	const cJSON *blocks = NULL;
	for (const cJSON *c = j->child; c; c = c->next)
		if (!strcmp(c->string, "recordings"))
			blocks = c;
	assert_true(cJSON_IsArray(blocks));
	assert_int_equal(cJSON_GetArraySize(blocks), 2);
	cJSON_Delete(j);
	aipm_string_free(json);
	assert_int_equal(aipm_report_text(two, 2, NULL, &text), 0);
	char *second = strstr(text, basic);
	assert_non_null(strstr(text, views));
	assert_non_null(second);
	aipm_string_free(text);
}

static double duration_s(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	const cJSON *d = cJSON_GetObjectItem(j, "duration_s");
	double v = cJSON_IsNumber(d) ? d->valuedouble : -1;
	cJSON_Delete(j);
	return v;
}

static void test_report_window_carbon_and_pue_reach_the_summary(void **state)
{
	(void)state;
	struct aipm_report_options o;
	assert_int_equal(aipm_report_options_init(&o, AIPM_REPORT_OPTIONS_VERSION), 0);
	char *whole = NULL, *part = NULL;
	assert_int_equal(aipm_report_json(one(views), 1, &o, &whole), 0);
	double v;
	int rel = -1;
	assert_int_equal(aipm_report_time_parse("1", &v, &rel), 0);
	assert_true(v == 1 && rel == 1);
	o.has_from = 1, o.from_s = v, o.from_relative = rel;
	o.has_to = 1, o.to_s = 2, o.to_relative = 1;
	o.has_pue = 1, o.pue = 1.5;
	o.has_carbon = 1, o.carbon_g_per_kwh = 0;
	assert_int_equal(aipm_report_json(one(views), 1, &o, &part), 0);
	assert_true(duration_s(whole) > 1.5);
	assert_true(fabs(duration_s(part) - 1.0) < 1e-6);
	assert_non_null(strstr(part, "\"pue\": 1.5"));
	assert_null(strstr(whole, "\"pue\": 1.5"));
	aipm_string_free(whole);
	aipm_string_free(part);
	assert_int_equal(aipm_report_time_parse("yesterday", &v, &rel), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "yesterday"));
}

static void test_report_views_by_phase_and_metrics_are_the_readers(void **state)
{
	(void)state;
	struct aipm_report_options o = AIPM_REPORT_OPTIONS_INIT;
	const char *keys[] = {"by_name", "points"};
	for (int k = 0; k < 2; k++) {
		o.view = k ? AIPM_REPORT_METRICS : AIPM_REPORT_PHASES;
		char *json = NULL, *ref = NULL, *text = NULL;
		assert_int_equal(aipm_report_json(one(views), 1, &o, &json), 0);
		assert_int_equal(k ? aipm_recording_metrics_json(views, &ref) : aipm_recording_phases_json(views, &ref), 0);
		assert_non_null(strstr(json, keys[k]));
		assert_int_equal(strlen(json), strlen(ref) + 1); /* the reader's object and a newline */
		assert_memory_equal(json, ref, strlen(ref));
		assert_int_equal(aipm_report_text(one(views), 1, &o, &text), 0);
		assert_true(strlen(text) > 0 && text[0] != '{');
		aipm_string_free(json);
		aipm_string_free(ref);
		aipm_string_free(text);
	}
	/* Several recordings in JSON: a list. */
	const char *two[] = {views, views};
	char *json = NULL;
	o.view = AIPM_REPORT_PHASES;
	assert_int_equal(aipm_report_json(two, 2, &o, &json), 0);
	assert_int_equal(json[0], '[');
	aipm_string_free(json);
}

static void test_report_refuses_bad_options_and_missing_recordings(void **state)
{
	(void)state;
	struct aipm_report_options o = AIPM_REPORT_OPTIONS_INIT;
	char *out = (char *)"untouched";
	o.has_pue = 1, o.pue = 0.5;
	assert_int_equal(aipm_report_text(one(views), 1, &o, &out), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "pue"));
	o = (struct aipm_report_options)AIPM_REPORT_OPTIONS_INIT;
	o.has_from = o.has_to = o.from_relative = o.to_relative = 1;
	o.from_s = 5, o.to_s = 2;
	assert_int_equal(aipm_report_json(one(views), 1, &o, &out), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "Swap them"));
	/* A window given to a phase view would be dropped: refused. */
	o.view = AIPM_REPORT_PHASES;
	o.from_s = 1;
	assert_int_equal(aipm_report_json(one(views), 1, &o, &out), -EINVAL);
	o = (struct aipm_report_options)AIPM_REPORT_OPTIONS_INIT;
	o.view = 7;
	assert_int_equal(aipm_report_json(one(views), 1, &o, &out), -EINVAL);
	o.view = 0;
	o.version = 0;
	assert_int_equal(aipm_report_json(one(views), 1, &o, &out), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "aipm_report_options_init"));
	char missing[400];
	snprintf(missing, sizeof missing, "%s/none", root);
	assert_true(aipm_report_text(one(missing), 1, NULL, &out) < 0);
	assert_non_null(strstr(aipm_error_last(), missing));
	assert_int_equal(aipm_report_text(NULL, 0, NULL, &out), -EINVAL);
	assert_string_equal(out, "untouched");
	assert_int_equal(aipm_report_write(one(views), 1, NULL, 0, NULL), -EINVAL);
}

static void test_report_html_writes_one_self_contained_page(void **state)
{
	(void)state;
	char path[400];
	snprintf(path, sizeof path, "%s/r.html", root);
	struct aipm_report_options o = AIPM_REPORT_OPTIONS_INIT;
	o.has_pue = 1, o.pue = 1.25;
	assert_int_equal(aipm_report_html(views, &o, path), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char page[1 << 21];
	size_t n = fread(page, 1, sizeof page - 1, f);
	fclose(f);
	page[n] = '\0';
	assert_non_null(strstr(page, "<html"));
	assert_non_null(strstr(page, "<svg"));
	assert_null(strstr(page, "<script src"));
	o.has_from = 1;
	assert_int_equal(aipm_report_html(views, &o, path), -EINVAL);
	assert_int_equal(aipm_report_html(NULL, NULL, path), -EINVAL);
}

/* ---- CSV, plot, model ---- */

static void test_export_csv_is_the_readers_text_with_its_stats(void **state)
{
	(void)state;
	char *text = NULL, *ref = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	struct aipm_export_stats st = AIPM_EXPORT_STATS_INIT;
	assert_int_equal(aipm_export_csv(views, f, &st), 0);
	fclose(f);
	assert_int_equal(aipm_recording_csv(views, &ref), 0);
	assert_string_equal(text, ref);
	/* One row per sample under the header, the columns of the header. */
	long long lines = 0, commas = 0;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	for (const char *c = text; *c && *c != '\n'; c++)
		commas += *c == ',';
	assert_int_equal(st.rows, lines - 1);
	assert_int_equal(st.columns, commas + 1);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.version, AIPM_EXPORT_STATS_VERSION);
	free(text);
	aipm_string_free(ref);
	st.version = 0;
	assert_int_equal(aipm_export_csv(views, stdout, &st), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "AIPM_EXPORT_STATS_VERSION"));
	assert_int_equal(aipm_export_csv(views, NULL, NULL), -EINVAL);
}

static void test_plot_draws_the_metrics_asked_for(void **state)
{
	(void)state;
	char path[400];
	snprintf(path, sizeof path, "%s/p.svg", root);
	struct aipm_export_stats st = AIPM_EXPORT_STATS_INIT;
	assert_int_equal(aipm_plot(views, NULL, 0, path, &st), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 1000);
	assert_true(st.series > 1 && st.panels >= 1 && st.points > 0);
	assert_int_equal(st.phases, 3);
	const char *m[] = {"intel_power"};
	assert_int_equal(aipm_plot(views, m, 1, path, &st), 0);
	assert_int_equal(st.series, 1);
	const char *none[] = {"no_such_metric"};
	assert_true(aipm_plot(views, none, 1, path, &st) < 0);
	assert_non_null(strstr(aipm_error_last(), "no_such_metric"));
	assert_int_equal(aipm_plot(views, NULL, 1, path, NULL), -EINVAL);
}

static void test_model_json_and_text_count_resnet18(void **state)
{
	(void)state;
	char onnx[1200], *json = NULL, *text = NULL;
	snprintf(onnx, sizeof onnx, "%s/onnx/resnet18.onnx", fixtures);
	assert_int_equal(aipm_model_json(onnx, NULL, 0, &json), 0);
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	/* torchvision's resnet18: 11,689,512 parameters. */
	char *flat = cJSON_PrintUnformatted(j);
	assert_non_null(strstr(flat, "11689512"));
	cJSON_free(flat);
	cJSON_Delete(j);
	assert_int_equal(aipm_model_text(onnx, NULL, 0, &text), 0);
	assert_non_null(strstr(text, "Conv"));
	aipm_string_free(json);
	aipm_string_free(text);
	const char *bad[] = {"input=1xAx3"};
	char *out = (char *)"untouched";
	assert_int_equal(aipm_model_json(onnx, bad, 1, &out), -EINVAL);
	assert_string_equal(out, "untouched");
	snprintf(onnx, sizeof onnx, "%s/onnx/bad_cycle.onnx", fixtures);
	int e = aipm_model_text(onnx, NULL, 0, &out);
	assert_true(e == -EBADMSG || e == -ELOOP || e == -EOVERFLOW);
	assert_int_equal(aipm_model_json(NULL, NULL, 0, &out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_json_reads_the_roots_of_the_options_not_the_environment),
		cmocka_unit_test(test_probe_text_lists_each_source_and_the_scope),
		cmocka_unit_test(test_probe_refuses_options_never_initialised_or_too_new),
		cmocka_unit_test(test_report_text_and_json_of_one_and_several_recordings),
		cmocka_unit_test(test_report_window_carbon_and_pue_reach_the_summary),
		cmocka_unit_test(test_report_views_by_phase_and_metrics_are_the_readers),
		cmocka_unit_test(test_report_refuses_bad_options_and_missing_recordings),
		cmocka_unit_test(test_report_html_writes_one_self_contained_page),
		cmocka_unit_test(test_export_csv_is_the_readers_text_with_its_stats),
		cmocka_unit_test(test_plot_draws_the_metrics_asked_for),
		cmocka_unit_test(test_model_json_and_text_count_resnet18),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
