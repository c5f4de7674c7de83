/* test_meter.c: the public meter API (include/aipm.h) through its real
 * recorder, against an empty sysfs root given in the options (no RAPL: the
 * recording still has its process tree, phases and metrics). Pins the
 * misuse rules: stop without start, a second meter, phases that do not
 * pair, bad metrics. A meter started with NULL options reads the real
 * /sys: those tests do not look at energy. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"

static char root[256], dir[300], sys[300];

/* Options of the current version, with the empty sysfs root. */
static struct aipm_meter_options opts(void)
{
	struct aipm_meter_options o;
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION), 0);
	o.sysfs_root = sys;
	return o;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "%s/aipm-api.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	snprintf(sys, sizeof sys, "%s/sys", root);
	if (mkdir(sys, 0755) < 0)
		return -1;
	snprintf(dir, sizeof dir, "%s/rec", root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* Records of results_exp.json: one JSON array (AIPowerMeter's reader takes
 * it with one json.load), each record with its ISO date; fails the test on
 * a file that is not. */
static int count_records(void)
{
	char path[400];
	snprintf(path, sizeof path, "%s/results_exp.json", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	cJSON *j = cJSON_Parse(text);
	assert_true(cJSON_IsArray(j));
	int k = 0;
	for (const cJSON *r = j->child; r; r = r->next, k++)
		assert_true(cJSON_IsString(cJSON_GetObjectItem(r, "end_training_epoch")));
	cJSON_Delete(j);
	return k;
}

/* Lines of dir/file parsed as JSON objects; fails the test on a bad one. */
static int count_lines(const char *file, const char *field, const char *value)
{
	char path[400], line[4096];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		cJSON *j = cJSON_Parse(line);
		assert_non_null(j);
		assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "timestamp")));
		assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "date")));
		const cJSON *v = field ? cJSON_GetObjectItem(j, field) : NULL;
		if (!field || (cJSON_IsString(v) && !strcmp(v->valuestring, value)))
			n++;
		cJSON_Delete(j);
	}
	fclose(f);
	return n;
}

static void test_meter_stop_without_start_is_einval(void **state)
{
	(void)state;
	assert_int_equal(aipm_meter_stop(NULL), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "aipm_meter_start"));
	assert_int_equal(aipm_meter_phase_begin(NULL, "x"), -EINVAL);
	assert_int_equal(aipm_meter_log(NULL, "x", 1), -EINVAL);
	aipm_meter_free(NULL);
}

static void test_meter_refuses_a_second_measurement_with_ebusy(void **state)
{
	(void)state;
	aipm_meter *a, *b = NULL;
	assert_int_equal(aipm_meter_start(&a, dir, NULL), 0);
	assert_int_equal(aipm_meter_start(&b, "elsewhere", NULL), -EBUSY);
	assert_null(b);
	assert_non_null(strstr(aipm_error_last(), dir));
	assert_int_equal(aipm_meter_stop(a), 0);
	assert_int_equal(aipm_meter_stop(a), -EINVAL); /* stopped twice */
	assert_non_null(strstr(aipm_error_last(), "already stopped"));
	assert_int_equal(aipm_meter_phase_begin(a, "late"), -EINVAL);
	/* After a stop the process may measure again. */
	assert_int_equal(aipm_meter_start(&b, dir, NULL), 0);
	aipm_meter_free(b);
	aipm_meter_free(a);
}

static void test_meter_writes_phases_and_metrics_and_refuses_bad_pairs(void **state)
{
	(void)state;
	aipm_meter *m;
	struct aipm_meter_options o = opts();
	o.description = "api test";
	o.interval_s = 0.02;
	assert_int_equal(aipm_meter_start(&m, dir, &o), 0);
	assert_string_equal(aipm_meter_dir(m), dir);
	assert_int_equal(aipm_meter_phase_end(m, "train"), -EINVAL);
	assert_int_equal(aipm_meter_phase_begin(m, "train"), 0);
	assert_int_equal(aipm_meter_phase_begin(m, "train"), -EALREADY);
	assert_int_equal(aipm_meter_phase_begin(m, ""), -EINVAL);
	assert_int_equal(aipm_meter_phase_begin(m, "bad\nname"), -EINVAL);
	usleep(100000);
	assert_int_equal(aipm_meter_phase_end(m, "train"), 0);
	assert_int_equal(aipm_meter_phase_begin(m, "train"), 0); /* names repeat */
	usleep(100000);
	assert_int_equal(aipm_meter_phase_end(m, "train"), 0);
	assert_int_equal(aipm_meter_log(m, "acc", 0.93), 0);
	assert_int_equal(aipm_meter_log(m, "loss", NAN), -EINVAL);
	assert_int_equal(aipm_meter_log(m, "a=b", 1), -EINVAL);
	const char *names[] = {"epoch", "epoch"};
	double values[] = {1, 2};
	assert_int_equal(aipm_meter_log_many(m, names, values, 2), -EINVAL);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	assert_int_equal(count_lines("phases.json", "event", "begin"), 2);
	assert_int_equal(count_lines("phases.json", "event", "end"), 2);
	assert_int_equal(count_records(), 1);

	char *json = NULL;
	assert_int_equal(aipm_recording_phases_json(dir, &json), 0);
	cJSON *j = cJSON_Parse(json);
	aipm_string_free(json);
	const cJSON *byname = cJSON_GetObjectItem(j, "by_name");
	assert_int_equal(cJSON_GetArraySize(byname), 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(byname, 0), "count")->valueint, 2);
	const cJSON *d = cJSON_GetObjectItem(cJSON_GetArrayItem(byname, 0), "duration_s");
	assert_true(cJSON_IsNumber(d) && d->valuedouble > 0.05 && d->valuedouble < 0.5);
	cJSON_Delete(j);
	assert_int_equal(aipm_recording_metrics_json(dir, &json), 0);
	assert_non_null(strstr(json, "\"acc\":0.93"));
	aipm_string_free(json);
	assert_int_equal(aipm_recording_summary_json(dir, &json), 0);
	assert_non_null(strstr(json, "\"description\": \"api test\""));
	aipm_string_free(json);
}

static void test_meter_append_lets_a_phase_end_in_the_next_segment(void **state)
{
	(void)state;
	aipm_meter *m;
	assert_int_equal(aipm_meter_start(&m, dir, NULL), 0);
	assert_int_equal(aipm_meter_phase_begin(m, "long"), 0);
	aipm_meter_free(m); /* stops with "long" open */
	struct aipm_meter_options o = opts();
	o.append = 1;
	assert_int_equal(aipm_meter_start(&m, dir, &o), 0);
	assert_int_equal(aipm_meter_phase_begin(m, "long"), -EALREADY);
	assert_int_equal(aipm_meter_phase_end(m, "long"), 0);
	aipm_meter_free(m);
	/* Without append the recording, phases included, is replaced. */
	assert_int_equal(aipm_meter_start(&m, dir, NULL), 0);
	aipm_meter_free(m);
	assert_int_equal(count_lines("phases.json", NULL, NULL), 0);
}

static double thread_cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The meter's process is its own root: its CPU time is the experiment's,
 * less the sampler thread's (which samples every 10 ms here). */
static void test_meter_counts_the_callers_cpu_time(void **state)
{
	(void)state;
	aipm_meter *m;
	struct aipm_meter_options o = opts();
	o.interval_s = 0.01;
	assert_int_equal(aipm_meter_start(&m, dir, &o), 0);
	assert_int_equal(aipm_meter_phase_begin(m, "burn"), 0);
	volatile unsigned long x = 0;
	double t0 = thread_cpu_s();
	while (thread_cpu_s() - t0 < 0.3)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	assert_int_equal(aipm_meter_phase_end(m, "burn"), 0);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	char *json;
	assert_int_equal(aipm_recording_phases_json(dir, &json), 0);
	cJSON *j = cJSON_Parse(json);
	aipm_string_free(json);
	const cJSON *cpu = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "phases"), 0), "cpu_time_s");
	assert_true(cJSON_IsNumber(cpu));
	/* 0.3 s burnt; ticks are 10 ms and the phase's edges fall between
	 * samples, so allow a few ticks either way but not the sampler's time. */
	assert_true(cpu->valuedouble >= 0.22 && cpu->valuedouble <= 0.36);
	cJSON_Delete(j);
}

static aipm_meter *shared;

static void *hammer(void *arg)
{
	char name[32];
	snprintf(name, sizeof name, "t%ld", (long)(intptr_t)arg);
	for (int i = 0; i < 50; i++) {
		if (aipm_meter_phase_begin(shared, name) || aipm_meter_phase_end(shared, name) ||
		    aipm_meter_log(shared, name, i))
			return (void *)1;
	}
	return NULL;
}

static void test_meter_is_thread_safe(void **state)
{
	(void)state;
	assert_int_equal(aipm_meter_start(&shared, dir, NULL), 0);
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		assert_null(r);
	}
	aipm_meter_free(shared);
	assert_int_equal(count_lines("phases.json", NULL, NULL), 400);
	assert_int_equal(count_records(), 200);
}

static void test_readers_explain_a_missing_recording(void **state)
{
	(void)state;
	char *json = (char *)"untouched";
	assert_true(aipm_recording_summary_json("/nonexistent/rec", &json) < 0);
	assert_string_equal(json, "untouched");
	assert_non_null(strstr(aipm_error_last(), "/nonexistent/rec"));
	assert_int_equal(aipm_recording_phases_json(NULL, &json), -EINVAL);
	assert_int_equal(aipm_meter_start(NULL, dir, NULL), -EINVAL);
	aipm_meter *m;
	struct aipm_meter_options bad = opts();
	bad.interval_s = -1;
	assert_int_equal(aipm_meter_start(&m, dir, &bad), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "interval_s"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meter_stop_without_start_is_einval),
		cmocka_unit_test(test_meter_refuses_a_second_measurement_with_ebusy),
		cmocka_unit_test(test_meter_writes_phases_and_metrics_and_refuses_bad_pairs),
		cmocka_unit_test(test_meter_append_lets_a_phase_end_in_the_next_segment),
		cmocka_unit_test(test_meter_is_thread_safe),
		cmocka_unit_test(test_meter_counts_the_callers_cpu_time),
		cmocka_unit_test(test_readers_explain_a_missing_recording),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
