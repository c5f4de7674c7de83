/* test_pid_reuse.c: a pid the kernel hands out again is a new process.
 *
 * Attribution pairs each process of a snapshot with its previous self to
 * take the CPU time it used in the interval; the pair is (pid, start time),
 * never the pid alone (attrib.c). Paired by pid alone, a reused pid's new
 * process would be charged its CPU time less the old process's: nothing
 * when the old one had used more (its interval's share lost), too little
 * when less. Both cases are pinned here, beside the process that really is
 * its previous self. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"

#define MS 1000000ull /* ns */

/* Two snapshots 1 s apart with 1 s of busy machine CPU between them;
 * pid 100 used before_ns by the first and now_ns by the second, started
 * at ticks start0 and start1. Returns the second's CPU share of pid 100. */
static double share(uint64_t before_ns, uint64_t now_ns, uint64_t start0, uint64_t start1)
{
	struct aipm_catalog cat;
	memset(&cat, 0, sizeof cat);
	struct aipm_snapshot s[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(aipm_snapshot_init(&s[i], &cat), 0);
		rig_at(&s[i], 10.0 + i);
		s[i].sys_valid = true;
		s[i].sys_busy_ns = (uint64_t)(5 + i) * 1000 * MS;
	}
	rig_proc(&s[0], 100, before_ns, 0)->start_ticks = start0;
	rig_proc(&s[1], 100, now_ns, 0)->start_ticks = start1;
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	double r = s[1].procs[0].cpu_share;
	aipm_snapshot_free(&s[0]);
	aipm_snapshot_free(&s[1]);
	aipm_catalog_free(&cat);
	return r;
}

static void test_same_process_is_charged_its_interval(void **state)
{
	(void)state;
	/* 5.0 s then 5.4 s: 0.4 s of the interval's 1 s */
	assert_float_equal(share(5000 * MS, 5400 * MS, 100, 100), 0.4, 1e-9);
}

static void test_reused_pid_after_a_busier_process_is_charged_all_its_time(void **state)
{
	(void)state;
	/* The old pid 100 had used 5 s; the new one (started later) 0.3 s,
	 * all of it in this interval. By pid alone: 0.3 - 5 < 0, charged 0. */
	assert_float_equal(share(5000 * MS, 300 * MS, 100, 900), 0.3, 1e-9);
}

static void test_reused_pid_after_an_idler_process_is_charged_all_its_time(void **state)
{
	(void)state;
	/* The old one had used 0.1 s, the new one 0.3 s: 0.3, not 0.2. */
	assert_float_equal(share(100 * MS, 300 * MS, 100, 900), 0.3, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_process_is_charged_its_interval),
		cmocka_unit_test(test_reused_pid_after_a_busier_process_is_charged_all_its_time),
		cmocka_unit_test(test_reused_pid_after_an_idler_process_is_charged_all_its_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
