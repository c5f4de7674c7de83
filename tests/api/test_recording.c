/* test_recording.c: the recording handle of include/aipm.h (what `aipm
 * run` and `aipm attach` are built on) through the shared library only,
 * against an empty sysfs root (no RAPL). Pins: the options' version rule,
 * a deferred commit that is never made leaves the old recording as it was,
 * what metadata.json holds (mode, command, pids, scope and its end, exit
 * status), tree_alive ending with its root, the source warnings, the
 * last-segment summary, and misuse (NULL, stop twice, phases after stop). */
#include <cJSON.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"

static char root[256], dir[300], sys[300];

static struct aipm_recording_options opts(void)
{
	struct aipm_recording_options o;
	assert_int_equal(aipm_recording_options_init(&o, AIPM_RECORDING_OPTIONS_VERSION), 0);
	o.sysfs_root = sys;
	o.interval_s = 0.02;
	return o;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "%s/aipm-rec.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
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

static cJSON *metadata(void)
{
	char path[400];
	snprintf(path, sizeof path, "%s/metadata.json", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	return j;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* A child that sleeps until killed. */
static pid_t sleeper(void)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		pause();
		_exit(0);
	}
	return p;
}

static void end_child(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

/* One whole recording of a sleeping child, described as desc. */
static void record_one(const char *desc, int append)
{
	struct aipm_recording_options o = opts();
	o.description = desc;
	o.append = append;
	aipm_recording *r;
	assert_int_equal(aipm_recording_open(&r, dir, &o), 0);
	pid_t p = sleeper();
	assert_int_equal(aipm_recording_start(r, &p, 1), 0);
	end_child(p);
	assert_int_equal(aipm_recording_stop(r, 0), 0);
	aipm_recording_close(r);
}

static void test_options_follow_the_version_rule(void **state)
{
	(void)state;
	struct aipm_recording_options o;
	assert_int_equal(aipm_recording_options_init(&o, 0), -EINVAL);
	assert_int_equal(aipm_recording_options_init(&o, AIPM_RECORDING_OPTIONS_VERSION + 1), -EINVAL);
	memset(&o, 0, sizeof o);
	aipm_recording *r = NULL;
	assert_int_equal(aipm_recording_open(&r, dir, &o), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "aipm_recording_options_init"));
	assert_null(r);
	o = opts();
	o.interval_s = 61;
	assert_int_equal(aipm_recording_open(&r, dir, &o), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "interval_s"));
	assert_int_equal(aipm_recording_open(&r, "", NULL), -EINVAL);
	assert_int_equal(aipm_recording_open(NULL, dir, NULL), -EINVAL);
}

static void test_an_uncommitted_recording_leaves_the_old_one(void **state)
{
	(void)state;
	record_one("old", 0);
	struct aipm_recording_options o = opts();
	o.description = "new";
	o.defer_commit = 1;
	aipm_recording *r;
	assert_int_equal(aipm_recording_open(&r, dir, &o), 0);
	assert_true(aipm_recording_flags(r) & AIPM_RECORDING_REPLACES);
	assert_string_equal(aipm_recording_dir(r), dir);
	pid_t p = sleeper();
	assert_int_equal(aipm_recording_start(r, &p, 1), 0);
	assert_int_equal(aipm_recording_start(r, &p, 1), -EALREADY);
	end_child(p);
	aipm_recording_close(r); /* never committed: undone */
	cJSON *j = metadata();
	assert_string_equal(str(j, "description"), "old");
	cJSON_Delete(j);

	assert_int_equal(aipm_recording_open(&r, dir, &o), 0);
	p = sleeper();
	assert_int_equal(aipm_recording_start(r, &p, 1), 0);
	assert_int_equal(aipm_recording_commit(r), 0);
	end_child(p);
	assert_int_equal(aipm_recording_stop(r, 0), 0);
	aipm_recording_close(r);
	j = metadata();
	assert_string_equal(str(j, "description"), "new");
	cJSON_Delete(j);
}

static void test_metadata_holds_mode_command_pids_scope_and_its_end(void **state)
{
	(void)state;
	struct aipm_recording_options o = opts();
	const char *cmd[] = {"train.py", "--epochs", "3", NULL};
	struct aipm_recording_scope sc = {.kind = "proc-tree", .why = "not settled yet", .slurm_job = "123"};
	o.mode = "attach";
	o.command = cmd;
	o.scope = &sc;
	pid_t p = sleeper();
	o.pids = &p;
	o.npids = 1;
	aipm_recording *r;
	assert_int_equal(aipm_recording_open(&r, dir, &o), 0);
	sc.why = "no cgroup here"; /* read at start (aipm run settles it after open) */
	assert_int_equal(aipm_recording_start(r, &p, 1), 0);
	sc.why = "changed after start"; /* and copied then */
	assert_int_equal(aipm_recording_tree_alive(r), 1);
	end_child(p);
	assert_int_equal(aipm_recording_add_reaped(r, 1500000), 0);
	for (int i = 0; i < 200 && aipm_recording_tree_alive(r) == 1; i++)
		usleep(10000);
	assert_int_equal(aipm_recording_tree_alive(r), 0);
	assert_int_equal(aipm_recording_stop(r, 3), 0);
	assert_int_equal(aipm_recording_stop(r, 3), -EINVAL);
	pid_t left[] = {4242};
	struct aipm_recording_scope_end e = {.policy = "keep", .left = 1, .pids = left, .npids = 1, .have_usage = 1,
					      .usage_usec = 77};
	assert_int_equal(aipm_recording_scope_end(r, &e), 0);
	aipm_recording_close(r);

	cJSON *j = metadata();
	assert_string_equal(str(j, "mode"), "attach");
	const cJSON *c = cJSON_GetObjectItem(j, "command");
	assert_int_equal(cJSON_GetArraySize(c), 3);
	assert_string_equal(cJSON_GetArrayItem(c, 1)->valuestring, "--epochs");
	const cJSON *s = cJSON_GetObjectItem(j, "scope");
	assert_string_equal(str(s, "kind"), "proc-tree");
	assert_string_equal(str(s, "why"), "no cgroup here");
	assert_string_equal(str(cJSON_GetObjectItem(s, "labels"), "slurm_job"), "123");
	const cJSON *end = cJSON_GetObjectItem(s, "end");
	assert_string_equal(str(end, "policy"), "keep");
	assert_int_equal(cJSON_GetObjectItem(end, "cpu_usage_usec")->valuedouble, 77);
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(end, "outlived_pids"), 0)->valuedouble, 4242);
	const cJSON *seg = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "segments"), 0);
	assert_int_equal(cJSON_GetObjectItem(seg, "exit_status")->valuedouble, 3);
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(seg, "pids"), 0)->valuedouble, p);
	cJSON_Delete(j);
	/* The reaped child's 1.5 s (less the share before the first sample) reach the tree's CPU time (a sleeper
	 * spends next to none of its own). */
	char *sum = NULL;
	assert_int_equal(aipm_recording_summary_json(dir, &sum), 0);
	j = cJSON_Parse(sum);
	aipm_string_free(sum);
	const cJSON *cpu = cJSON_GetObjectItem(j, "cpu_time_s");
	assert_true(cJSON_IsNumber(cpu));
	assert_true(cpu->valuedouble > 1.4 && cpu->valuedouble < 1.9);
	cJSON_Delete(j);
}

static void test_warnings_say_what_is_missing(void **state)
{
	(void)state;
	struct aipm_recording_options o = opts();
	o.no_cpu_estimate = 1;
	aipm_recording *r;
	assert_int_equal(aipm_recording_open(&r, dir, &o), 0);
	pid_t p = sleeper();
	assert_int_equal(aipm_recording_start(r, &p, 1), 0);
	char *t = NULL;
	assert_int_equal(aipm_recording_warnings_text(r, 1, &t), 0);
	/* No RAPL under the empty root: said, with a fix, one line. */
	assert_non_null(strstr(t, "no CPU energy will be recorded: "));
	assert_non_null(strstr(t, ". To measure CPU energy: "));
	assert_null(strstr(t, "cpu_estimate")); /* --no-estimate */
	assert_int_equal(t[strlen(t) - 1], '\n');
	aipm_string_free(t);
	assert_int_equal(aipm_recording_warnings_text(NULL, 1, &t), -EINVAL);
	end_child(p);
	assert_int_equal(aipm_recording_stop(r, 0), 0);
	aipm_recording_close(r);
}

static void test_phases_logs_and_the_last_segment(void **state)
{
	(void)state;
	record_one("first", 0);
	struct aipm_recording_options o = opts();
	o.append = 1;
	aipm_recording *r;
	assert_int_equal(aipm_recording_open(&r, dir, &o), 0);
	assert_false(aipm_recording_flags(r) & AIPM_RECORDING_REPLACES);
	pid_t p = sleeper();
	assert_int_equal(aipm_recording_start(r, &p, 1), 0);
	assert_int_equal(aipm_recording_phase_begin(r, "train"), 0);
	assert_int_equal(aipm_recording_phase_begin(r, "train"), -EALREADY);
	assert_int_equal(aipm_recording_phase_end(r, "eval"), -EINVAL);
	const char *names[] = {"acc"};
	double v[] = {0.9};
	assert_int_equal(aipm_recording_log_many(r, names, v, 1), 0);
	assert_int_equal(aipm_recording_phase_end(r, "train"), 0);
	assert_int_equal(aipm_recording_model(r, "/nonexistent.onnx", NULL, 0) < 0, 1);
	end_child(p);
	assert_int_equal(aipm_recording_stop(r, 0), 0);
	assert_int_equal(aipm_recording_phase_begin(r, "late"), -EINVAL);
	aipm_recording_close(r);

	cJSON *j = metadata();
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "segments")), 2);
	cJSON_Delete(j);
	char *t = NULL;
	assert_int_equal(aipm_recording_last_segment_text(dir, &t), 0);
	assert_non_null(strstr(t, "1 segment)")); /* the second alone, not both */
	aipm_string_free(t);
	char missing[400];
	snprintf(missing, sizeof missing, "%s/none", root);
	assert_true(aipm_recording_last_segment_text(missing, &t) < 0);
	assert_int_equal(aipm_recording_last_segment_text(NULL, &t), -EINVAL);
}

static void test_a_null_handle_is_einval(void **state)
{
	(void)state;
	assert_int_equal(aipm_recording_start(NULL, NULL, 0), -EINVAL);
	assert_int_equal(aipm_recording_commit(NULL), -EINVAL);
	assert_int_equal(aipm_recording_stop(NULL, 0), -EINVAL);
	assert_int_equal(aipm_recording_tree_alive(NULL), -EINVAL);
	assert_int_equal(aipm_recording_phase_begin(NULL, "x"), -EINVAL);
	assert_int_equal(aipm_recording_flags(NULL), 0);
	assert_null(aipm_recording_dir(NULL));
	aipm_recording_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_follow_the_version_rule),
		cmocka_unit_test(test_an_uncommitted_recording_leaves_the_old_one),
		cmocka_unit_test(test_metadata_holds_mode_command_pids_scope_and_its_end),
		cmocka_unit_test(test_warnings_say_what_is_missing),
		cmocka_unit_test(test_phases_logs_and_the_last_segment),
		cmocka_unit_test(test_a_null_handle_is_einval),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
