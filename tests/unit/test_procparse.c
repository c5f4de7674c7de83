/* test_procparse.c: the /proc parsers on odd inputs, as the kernel can
 * produce them: names with parentheses and spaces, negative fields,
 * truncated lines, missing keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sources/procparse.h"

static const char tail[] = " S 77 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 987654 1000 10";

static void test_pid_stat_reads_fields_after_the_last_paren(void **state)
{
	(void)state;
	char buf[256];
	struct aipm_pid_stat f;
	/* A process may call itself "a) b(": the fields start after the
	 * last ')', never at the first space. */
	snprintf(buf, sizeof buf, "4242 (a) b() S)%s\n", tail);
	assert_true(aipm_parse_pid_stat(buf, &f));
	assert_string_equal(f.comm, "a) b() S");
	assert_int_equal(f.ppid, 77);
	assert_int_equal(f.utime, 250);
	assert_int_equal(f.stime, 50);
	assert_int_equal(f.cutime, 7);
	assert_int_equal(f.cstime, 3);
	assert_int_equal(f.start, 987654);
}

static void test_pid_stat_truncates_a_long_comm(void **state)
{
	(void)state;
	char buf[256];
	struct aipm_pid_stat f;
	snprintf(buf, sizeof buf, "1 (%s)%s", "0123456789012345678901234567890123456789", tail);
	assert_true(aipm_parse_pid_stat(buf, &f));
	assert_int_equal(strlen(f.comm), sizeof f.comm - 1);
	assert_int_equal(f.utime, 250);
}

static void test_pid_stat_refuses_short_or_malformed_lines(void **state)
{
	(void)state;
	struct aipm_pid_stat f;
	assert_false(aipm_parse_pid_stat("", &f));
	assert_false(aipm_parse_pid_stat("12 (sh", &f));
	assert_false(aipm_parse_pid_stat("12 (sh)", &f));
	assert_false(aipm_parse_pid_stat("12 (sh) S 1 2 3", &f));
	assert_false(aipm_parse_pid_stat("12 )sh( S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", &f));
}

/* The state letter, even after a comm that looks like one: a zombie (Z)
 * or a dead task (X) has ended, a sleeping one has not. */
static void test_pid_stat_state_tells_a_zombie(void **state)
{
	(void)state;
	char buf[256];
	struct aipm_pid_stat f;
	snprintf(buf, sizeof buf, "77 (R) Z)%s", tail);
	assert_true(aipm_parse_pid_stat(buf, &f));
	assert_int_equal(f.state, 'S');
	assert_false(aipm_pid_stat_ended(&f));
	snprintf(buf, sizeof buf, "77 (sh)%s", tail);
	buf[strlen("77 (sh) ")] = 'Z';
	assert_true(aipm_parse_pid_stat(buf, &f));
	assert_int_equal(f.state, 'Z');
	assert_true(aipm_pid_stat_ended(&f));
	f.state = 'X';
	assert_true(aipm_pid_stat_ended(&f));
}

static void test_smaps_rollup_gives_pss_and_private_as_uss(void **state)
{
	(void)state;
	struct aipm_smaps m;
	const char *buf = "5626e9e41000-7ffc95ec9000 ---p 00000000 00:00 0   [rollup]\n"
			  "Rss:                1640 kB\nPss:                 585 kB\nPss_Dirty:           116 kB\n"
			  "Shared_Clean:       1468 kB\nPrivate_Clean:        56 kB\nPrivate_Dirty:       116 kB\n";
	assert_true(aipm_parse_smaps_rollup(buf, &m));
	assert_int_equal(m.pss_bytes, 585 * 1024);
	assert_int_equal(m.uss_bytes, (56 + 116) * 1024);
	assert_int_equal(m.rss_bytes, 1640 * 1024);
	/* Pss_Dirty must not be taken for Pss */
	assert_false(aipm_parse_smaps_rollup("Pss_Dirty: 4 kB\n", &m));
	assert_false(aipm_parse_smaps_rollup("", &m));
}

static void test_proc_stat_busy_excludes_idle_and_iowait(void **state)
{
	(void)state;
	uint64_t busy, total;
	assert_true(aipm_parse_proc_stat("cpu  10 2 30 400 5 6 7 8 100 0\ncpu0 1 1 1 1\n", &busy, &total));
	assert_int_equal(busy, 10 + 2 + 30 + 6 + 7 + 8);
	assert_int_equal(total, busy + 400 + 5);
	assert_false(aipm_parse_proc_stat("intr 1 2 3\n", &busy, &total));
	assert_false(aipm_parse_proc_stat("cpu  1 2\n", &busy, &total));
	/* AIPowerMeter's machine time: psutil's user + system, nothing else */
	struct aipm_cpu_ticks t;
	assert_true(aipm_parse_cpu_ticks("cpu  10 2 30 400 5 6 7 8 100 0\n", &t));
	assert_int_equal(t.user_system, 10 + 30);
	assert_int_equal(t.busy, busy);
}

/* psutil's virtual_memory().used needs MemFree, Buffers, Cached and
 * SReclaimable; SwapCached is not Cached, Private_Hugetlb is in psutil's USS. */
static void test_meminfo_fields_for_psutil_used(void **state)
{
	(void)state;
	struct aipm_meminfo m = {0};
	aipm_parse_meminfo_fields("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\nBuffers: 20 kB\n"
				  "SwapCached: 7 kB\nCached: 300 kB\nSReclaimable: 40 kB\n", &m);
	assert_int_equal(m.total, 1000 * 1024);
	assert_int_equal(m.free, 100 * 1024);
	assert_int_equal(m.available, 600 * 1024);
	assert_int_equal(m.buffers, 20 * 1024);
	assert_int_equal(m.cached, 300 * 1024);
	assert_int_equal(m.sreclaimable, 40 * 1024);
	assert_int_equal(m.have, 0x3f);
	struct aipm_smaps s;
	assert_true(aipm_parse_smaps_rollup("Pss: 9 kB\nPrivate_Clean: 1 kB\nPrivate_Dirty: 2 kB\nPrivate_Hugetlb: 4 kB\n", &s));
	assert_int_equal(s.uss_bytes, 7 * 1024);
}

static void test_meminfo_leaves_missing_keys_untouched(void **state)
{
	(void)state;
	uint64_t total = 7, avail = 9;
	aipm_parse_meminfo("MemTotal:       24000000 kB\nMemFree:  1 kB\n", &total, &avail);
	assert_int_equal(total, 24000000ull * 1024);
	assert_int_equal(avail, 9);
	aipm_parse_meminfo("MemAvailable:   1000 kB\n", &total, &avail);
	assert_int_equal(avail, 1000 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_stat_reads_fields_after_the_last_paren),
		cmocka_unit_test(test_pid_stat_truncates_a_long_comm),
		cmocka_unit_test(test_pid_stat_refuses_short_or_malformed_lines),
		cmocka_unit_test(test_pid_stat_state_tells_a_zombie),
		cmocka_unit_test(test_smaps_rollup_gives_pss_and_private_as_uss),
		cmocka_unit_test(test_proc_stat_busy_excludes_idle_and_iowait),
		cmocka_unit_test(test_meminfo_leaves_missing_keys_untouched),
		cmocka_unit_test(test_meminfo_fields_for_psutil_used),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
