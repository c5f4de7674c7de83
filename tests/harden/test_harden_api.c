/* test_harden_api.c (issue 12): the public meter API against misuse that
 * used to hang or corrupt a recording: intervals out of bounds (1e-12 and
 * 1e300 made the sampler spin or sleep forever), a meter inherited by
 * fork() (the child's free wrote an END line into the parent's live
 * recording, then hung), a FIFO in the recording directory. Every case
 * runs under an alarm: a hang fails the test instead of stalling it. */
#include <errno.h>
#include <math.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"

static char root[256], dir[300];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "%s/aipm-harden.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	char sys[300];
	snprintf(sys, sizeof sys, "%s/sys", root);
	if (mkdir(sys, 0755) < 0)
		return -1;
	setenv("AIPM_SYSFS_ROOT", sys, 1);
	snprintf(dir, sizeof dir, "%s/rec", root);
	alarm(30);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int count_end_lines(void)
{
	char path[400], line[65536];
	snprintf(path, sizeof path, "%s/power_metrics.json", dir);
	FILE *f = fopen(path, "r");
	int n = 0;
	while (f && fgets(line, sizeof line, f))
		n += !strcmp(line, "\"END OF RECORDING SEGMENT\"\n");
	if (f)
		fclose(f);
	return n;
}

static void test_meter_refuses_intervals_out_of_bounds(void **state)
{
	(void)state;
	const double bad[] = {1e-12, 1e-4, 1e300, 1e11, 61, -1, NAN, INFINITY};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		aipm_meter *m = NULL;
		struct aipm_meter_options o = {.version = AIPM_METER_OPTIONS_VERSION, .interval_s = bad[i]};
		assert_int_equal(aipm_meter_start(&m, dir, &o), -EINVAL);
		assert_null(m);
		assert_non_null(strstr(aipm_error_last(), "0.001..60"));
		struct aipm_meter_options mo = {.version = AIPM_METER_OPTIONS_VERSION,
						.mem_interval_s = bad[i] == 61 ? 3601 : bad[i]};
		assert_int_equal(aipm_meter_start(&m, dir, &mo), -EINVAL);
		assert_non_null(strstr(aipm_error_last(), "mem_interval_s"));
	}
	/* The bounds themselves are fine. */
	aipm_meter *m;
	struct aipm_meter_options o = {.version = AIPM_METER_OPTIONS_VERSION, .interval_s = AIPM_INTERVAL_MAX_S,
				       .mem_interval_s = AIPM_MEM_INTERVAL_MAX_S};
	assert_int_equal(aipm_meter_start(&m, dir, &o), 0);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	o = (struct aipm_meter_options){.version = AIPM_METER_OPTIONS_VERSION, .interval_s = AIPM_INTERVAL_MIN_S,
					.mem_interval_s = AIPM_INTERVAL_MIN_S};
	assert_int_equal(aipm_meter_start(&m, dir, &o), 0);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
}

static void test_forked_child_leaves_the_parents_meter_alone(void **state)
{
	(void)state;
	aipm_meter *m;
	struct aipm_meter_options o = {.version = AIPM_METER_OPTIONS_VERSION, .interval_s = 0.02};
	assert_int_equal(aipm_meter_start(&m, dir, &o), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(5); /* a hang in free is the bug: die of SIGALRM */
		int bad = 0;
		bad |= aipm_meter_stop(m) != -ECHILD;
		bad |= strstr(aipm_error_last(), "fork") == NULL;
		bad |= aipm_meter_phase_begin(m, "child") != -ECHILD;
		bad |= aipm_meter_log(m, "x", 1) != -ECHILD;
		aipm_meter_free(m);
		/* The child may start a meter of its own elsewhere. */
		char other[400];
		snprintf(other, sizeof other, "%s/child", root);
		aipm_meter *c;
		if (aipm_meter_start(&c, other, &o) == 0) {
			bad |= aipm_meter_stop(c) != 0;
			aipm_meter_free(c);
		} else {
			bad = 1;
		}
		_exit(bad);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(count_end_lines(), 0); /* the parent's segment is still open */
	assert_int_equal(aipm_meter_phase_begin(m, "parent"), 0);
	assert_int_equal(aipm_meter_phase_end(m, "parent"), 0);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	assert_int_equal(count_end_lines(), 1);
}

static void test_meter_refuses_a_fifo_without_blocking(void **state)
{
	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	char path[400];
	snprintf(path, sizeof path, "%s/power_metrics.json", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	aipm_meter *m = NULL;
	assert_true(aipm_meter_start(&m, dir, NULL) < 0);
	assert_non_null(strstr(aipm_error_last(), "FIFO"));
	struct aipm_meter_options o = {.version = AIPM_METER_OPTIONS_VERSION, .append = 1};
	assert_true(aipm_meter_start(&m, dir, &o) < 0);
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_meter_refuses_intervals_out_of_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forked_child_leaves_the_parents_meter_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meter_refuses_a_fifo_without_blocking, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
