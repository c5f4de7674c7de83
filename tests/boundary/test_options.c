/* test_options.c: struct aipm_meter_options through the public header and
 * the shared library only, as an embedder sees them.
 *
 * The options carry their version so a member added later is not an ABI
 * break: _init fills them, a version the library does not know is refused
 * with a sentence, NULL is the defaults. And the library reads no
 * environment variable: the roots and library paths are the options', so
 * a host's setenv in another thread has nothing to race. Each test that
 * pins the second sets the AIPM_* variables to something else than the
 * options and checks that the options won. */
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
#include "scratch.h"

static char rapl[300];

static int setup(void **state)
{
	(void)state;
	if (scratch_make("options") < 0)
		return -1;
	snprintf(rapl, sizeof rapl, "%s/rapl", root);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "python3 '%s/tests/fixtures/mkrapl.py' make '%s' laptop >/dev/null",
		 getenv("AIPM_SRC"), rapl);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove();
}

/* metadata.json's source NAME: 1 available, 0 not, -1 absent; its reason
 * copied to reason. */
static int source(const char *name, char *reason, size_t n)
{
	cJSON *m = scratch_json("metadata.json");
	int r = -1;
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(m, "sources"))
	{
		const cJSON *nm = cJSON_GetObjectItem(s, "name");
		if (cJSON_IsString(nm) && !strcmp(nm->valuestring, name)) {
			r = cJSON_IsTrue(cJSON_GetObjectItem(s, "available"));
			const cJSON *why = cJSON_GetObjectItem(s, "reason");
			snprintf(reason, n, "%s", cJSON_IsString(why) ? why->valuestring : "");
		}
	}
	cJSON_Delete(m);
	return r;
}

static void record(const struct aipm_meter_options *o)
{
	aipm_meter *m;
	if (aipm_meter_start(&m, dir, o) < 0)
		fail_msg("aipm_meter_start: %s", aipm_error_last());
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
}

static void test_init_gives_the_version_and_the_defaults(void **state)
{
	(void)state;
	struct aipm_meter_options o;
	memset(&o, 0xa5, sizeof o);
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION), 0);
	assert_int_equal(o.version, AIPM_METER_OPTIONS_VERSION);
	assert_null(o.description);
	assert_true(o.interval_s == 0 && o.mem_interval_s == 0 && o.append == 0);
	assert_null(o.sysfs_root);
	assert_null(o.proc_root);
	assert_null(o.cgroup_root);
	assert_null(o.nvml_lib);
	assert_null(o.amdsmi_lib);
	struct aipm_meter_options s = AIPM_METER_OPTIONS_INIT;
	assert_int_equal(s.version, AIPM_METER_OPTIONS_VERSION);
	assert_null(s.sysfs_root);
}

static void test_init_refuses_an_unknown_version_and_leaves_opts_alone(void **state)
{
	(void)state;
	struct aipm_meter_options o;
	memset(&o, 0x5a, sizeof o);
	unsigned before = o.version;
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION + 1), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "unknown"));
	assert_int_equal(aipm_meter_options_init(&o, 0), -EINVAL);
	assert_int_equal(o.version, before);
	assert_int_equal(aipm_meter_options_init(NULL, AIPM_METER_OPTIONS_VERSION), -EINVAL);
}

static void test_start_refuses_options_never_initialised(void **state)
{
	(void)state;
	struct aipm_meter_options o;
	memset(&o, 0, sizeof o);
	o.interval_s = 0.05;
	aipm_meter *m = NULL;
	assert_int_equal(aipm_meter_start(&m, dir, &o), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(aipm_error_last(), "aipm_meter_options_init"));
	struct stat st;
	assert_int_equal(stat(dir, &st), -1); /* refused before anything was made */
}

static void test_start_refuses_a_newer_version(void **state)
{
	(void)state;
	struct aipm_meter_options o;
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION), 0);
	o.version = AIPM_METER_OPTIONS_VERSION + 1;
	aipm_meter *m = NULL;
	assert_int_equal(aipm_meter_start(&m, dir, &o), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(aipm_error_last(), "newer"));
}

static void test_sysfs_root_comes_from_the_options_not_the_environment(void **state)
{
	(void)state;
	char why[512];
	struct aipm_meter_options o;
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION), 0);
	/* The environment points at RAPL, the options at nothing. */
	setenv("AIPM_SYSFS_ROOT", rapl, 1);
	o.sysfs_root = empty;
	record(&o);
	assert_int_equal(source("rapl", why, sizeof why), 0);
	/* And the other way round. */
	setenv("AIPM_SYSFS_ROOT", empty, 1);
	o.sysfs_root = rapl;
	record(&o);
	assert_int_equal(source("rapl", why, sizeof why), 1);
	unsetenv("AIPM_SYSFS_ROOT");
}

static void test_gpu_libraries_come_from_the_options_not_the_environment(void **state)
{
	(void)state;
	char why[512], nvml[400], amd[400];
	snprintf(nvml, sizeof nvml, "%s/from-options/libnvidia-ml.so.1", root);
	snprintf(amd, sizeof amd, "%s/from-options/libamd_smi.so", root);
	setenv("AIPM_NVML_LIB", "/from-environment/libnvidia-ml.so.1", 1);
	setenv("AIPM_AMDSMI_LIB", "/from-environment/libamd_smi.so", 1);
	struct aipm_meter_options o;
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION), 0);
	o.sysfs_root = empty;
	o.nvml_lib = nvml;
	o.amdsmi_lib = amd;
	record(&o);
	assert_int_equal(source("nvml", why, sizeof why), 0);
	assert_non_null(strstr(why, nvml));
	assert_int_equal(source("amdsmi", why, sizeof why), 0);
	assert_non_null(strstr(why, amd));
	/* NULL is the system's library, whatever the environment says. */
	o.nvml_lib = NULL;
	record(&o);
	source("nvml", why, sizeof why);
	assert_null(strstr(why, "from-environment"));
	unsetenv("AIPM_NVML_LIB");
	unsetenv("AIPM_AMDSMI_LIB");
}

static void test_null_options_are_the_defaults(void **state)
{
	(void)state;
	aipm_meter *m;
	assert_int_equal(aipm_meter_start(&m, dir, NULL), 0);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	char *json;
	assert_int_equal(aipm_recording_summary_json(dir, &json), 0);
	aipm_string_free(json);
	cJSON *j = scratch_json("metadata.json");
	assert_true(cJSON_GetObjectItem(j, "interval_s")->valuedouble == 0.1);
	assert_true(cJSON_GetObjectItem(j, "mem_interval_s")->valuedouble == 1.0);
	cJSON_Delete(j);
}

static void test_the_header_and_the_library_agree_on_the_version(void **state)
{
	(void)state;
	char v[64];
	snprintf(v, sizeof v, "%d.%d.%d", AIPM_VERSION_MAJOR, AIPM_VERSION_MINOR, AIPM_VERSION_PATCH);
	assert_string_equal(AIPM_VERSION_STRING, v);
	assert_string_equal(aipm_version(), AIPM_VERSION_STRING);
	assert_string_equal(aipm_version(), getenv("AIPM_VERSION"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_gives_the_version_and_the_defaults),
		cmocka_unit_test(test_init_refuses_an_unknown_version_and_leaves_opts_alone),
		cmocka_unit_test_setup_teardown(test_start_refuses_options_never_initialised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_refuses_a_newer_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_root_comes_from_the_options_not_the_environment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gpu_libraries_come_from_the_options_not_the_environment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_null_options_are_the_defaults, setup, teardown),
		cmocka_unit_test(test_the_header_and_the_library_agree_on_the_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
