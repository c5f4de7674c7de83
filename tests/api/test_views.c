/* test_views.c: the views of include/aipm.h beyond the meter: the probe,
 * the report (text, JSON, windows, several recordings, HTML, plots) and the
 * model analysis, called through the public header and the shared library
 * only, as an embedding program calls them. Each pins what the `aipm`
 * command relies on (it is built on these calls) and the API's own rules:
 * options read as their version, the roots taken from the options and
 * never from the environment, errors as negative errno with a sentence. */
#include <cJSON.h>
#include <errno.h>
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

static int setup(void **state)
{
	(void)state;
	const char *src = getenv("AIPM_SRC");
	if (!src)
		return -1;
	snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures", src);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_json_reads_the_roots_of_the_options_not_the_environment),
		cmocka_unit_test(test_probe_text_lists_each_source_and_the_scope),
		cmocka_unit_test(test_probe_refuses_options_never_initialised_or_too_new),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
