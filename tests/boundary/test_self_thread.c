/* test_self_thread.c: in library mode the sampler thread's CPU time is the
 * meter's, not the experiment's.
 *
 * The meter measures the process it runs in, sampler thread included, and
 * takes that thread's own CPU time out of the tree's (procfs.c, from the
 * thread's clock that pipeline.c reads). At a 0.1 s interval the thread
 * costs about a millisecond a second: too little to see. So the effect is
 * made large here: a 1 ms interval with the slow tier (PSS/USS from
 * smaps_rollup) read at every sample, of a process with 256 MiB touched,
 * while the caller sleeps. The sampler then spends a good part of a CPU;
 * the experiment, asleep, almost nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"
#include "scratch.h"

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	if (!cJSON_IsNumber(v))
		fail_msg("no number %s", key);
	return v->valuedouble;
}

static void test_sampler_thread_time_is_not_the_experiments(void **state)
{
	(void)state;
	size_t big = 256u << 20;
	char *mem = malloc(big);
	assert_non_null(mem);
	for (size_t i = 0; i < big; i += 4096)
		mem[i] = (char)i; /* touched: smaps_rollup walks every page */

	struct aipm_meter_options o;
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION), 0);
	o.sysfs_root = empty;
	o.interval_s = AIPM_INTERVAL_MIN_S;
	o.mem_interval_s = AIPM_INTERVAL_MIN_S;
	aipm_meter *m;
	assert_int_equal(aipm_meter_start(&m, dir, &o), 0);
	struct timespec t = {.tv_sec = 1, .tv_nsec = 500000000};
	while (nanosleep(&t, &t) != 0)
		;
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	free(mem);

	cJSON *meta = scratch_json("metadata.json");
	double sampler_s = num(cJSON_GetArrayItem(cJSON_GetObjectItem(meta, "segments"), 0), "aipm_cpu_s");
	cJSON_Delete(meta);
	char *json;
	assert_int_equal(aipm_recording_summary_json(dir, &json), 0);
	cJSON *sum = cJSON_Parse(json);
	aipm_string_free(json);
	double exp_s = num(sum, "cpu_time_s");
	cJSON_Delete(sum);
	printf("# sampler thread %.3f s of CPU; the experiment (asleep) %.4f s\n", sampler_s, exp_s);
	/* Large enough to see, or the test below proves nothing. */
	if (sampler_s < 0.15)
		fail_msg("the sampler used only %.3f s: too little to tell its time from the experiment's", sampler_s);
	/* Tight: one sample's cost is left in (the thread's clock is read
	 * before the sources run), and the caller's sleep costs nothing. */
	assert_true(exp_s <= 0.02 + 0.05 * sampler_s);
}

static int setup(void **state)
{
	(void)state;
	return scratch_make("self");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sampler_thread_time_is_not_the_experiments, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
