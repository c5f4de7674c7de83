/* test_attrib.c: the invariants of interval derivation, on hand-built
 * snapshots (no source involved). */
#include <math.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attrib.h"

static void zone(struct aipm_snapshot *s, size_t i, const char *name, enum aipm_zone_kind k, uint64_t uj)
{
	snprintf(s->zones[i].name, sizeof s->zones[i].name, "%s", name);
	s->zones[i].kind = k;
	s->zones[i].valid = true;
	s->zones[i].energy_uj = uj;
	if (s->nzones <= i)
		s->nzones = i + 1;
	s->rapl_valid = true;
}

static void proc(struct aipm_snapshot *s, pid_t pid, uint64_t ticks, uint64_t pss)
{
	aipm_snapshot_reserve_procs(s, s->nprocs + 1);
	struct aipm_proc *p = &s->procs[s->nprocs++];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->start_ticks = 100;
	p->cpu_ticks = ticks;
	p->mem_valid = pss > 0;
	p->pss_bytes = pss;
	s->tree_valid = true;
}

static void at(struct aipm_snapshot *s, double t)
{
	s->mono.tv_sec = (time_t)t;
	s->mono.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
}

static void test_power_is_energy_delta_over_interval(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	aipm_snapshot_init(&a);
	aipm_snapshot_init(&b);
	at(&a, 10);
	at(&b, 10.5);
	zone(&a, 0, "package-0", AIPM_ZONE_PACKAGE, 1000000);
	zone(&b, 0, "package-0", AIPM_ZONE_PACKAGE, 21000000);
	aipm_snapshot_derive(&a, NULL, &a);
	assert_true(isnan(a.zones[0].power_w)); /* no interval yet: unknown, not 0 */
	assert_float_equal(a.zones[0].energy_j, 0, 1e-12);
	aipm_snapshot_derive(&b, &a, &a);
	assert_float_equal(b.zones[0].power_w, 40.0, 1e-9);
	assert_float_equal(b.zones[0].energy_j, 20.0, 1e-9);
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
}

static void test_shares_of_one_interval_sum_to_at_most_one(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	aipm_snapshot_init(&a);
	aipm_snapshot_init(&b);
	at(&a, 0);
	at(&b, 1);
	a.sys_busy_ticks = 1000;
	b.sys_busy_ticks = 1100; /* 100 busy ticks in the interval */
	b.mem_total_bytes = a.mem_total_bytes = 1000;
	b.mem_available_bytes = a.mem_available_bytes = 600; /* 400 used */
	proc(&a, 10, 0, 300);
	proc(&a, 20, 0, 300);
	/* Tick rounding: the parts claim 130 ticks of a 100-tick whole, and
	 * 600 bytes of PSS on 400 used. */
	proc(&b, 10, 70, 300);
	proc(&b, 20, 60, 300);
	b.tree_cpu_ticks = 130;
	aipm_snapshot_derive(&a, NULL, &a);
	aipm_snapshot_derive(&b, &a, &a);
	double cpu = b.procs[0].cpu_share + b.procs[1].cpu_share;
	double mem = b.procs[0].mem_share + b.procs[1].mem_share;
	assert_true(cpu <= 1.0 + 1e-12);
	assert_true(mem <= 1.0 + 1e-12);
	assert_float_equal(b.procs[0].cpu_share / b.procs[1].cpu_share, 70.0 / 60.0, 1e-9);
	assert_true(b.tree_cpu_share <= 1.0);
	assert_true(b.tree_mem_share <= 1.0);
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
}

static void test_attributed_energy_never_exceeds_measured(void **state)
{
	(void)state;
	struct aipm_snapshot s[3];
	for (int i = 0; i < 3; i++) {
		aipm_snapshot_init(&s[i]);
		at(&s[i], i);
		s[i].sys_busy_ticks = 100u * (uint64_t)i;
		s[i].tree_cpu_ticks = 250u * (uint64_t)i; /* claims 2.5x the machine */
		s[i].tree_valid = true;
		s[i].mem_total_bytes = 100;
		zone(&s[i], 0, "package-0", AIPM_ZONE_PACKAGE, 10000000u * (uint64_t)i);
		zone(&s[i], 1, "dram-0", AIPM_ZONE_DRAM, 1000000u * (uint64_t)i);
		proc(&s[i], 5, 0, 500); /* PSS above used memory */
	}
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	aipm_snapshot_derive(&s[2], &s[1], &s[0]);
	assert_true(s[2].attributed_cpu_j <= s[2].zones[0].energy_j + 1e-12);
	assert_true(s[2].attributed_dram_j <= s[2].zones[1].energy_j + 1e-12);
	assert_float_equal(s[2].attributed_cpu_j, 20.0, 1e-9);
	for (int i = 0; i < 3; i++)
		aipm_snapshot_free(&s[i]);
}

static void test_tree_cpu_time_never_goes_back(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	aipm_snapshot_init(&a);
	aipm_snapshot_init(&b);
	at(&a, 0);
	at(&b, 1);
	a.tree_cpu_ticks = 500;
	b.tree_cpu_ticks = 450; /* a reaped child's rusage not yet handed in */
	a.tree_valid = b.tree_valid = true;
	aipm_snapshot_derive(&a, NULL, &a);
	aipm_snapshot_derive(&b, &a, &a);
	assert_int_equal(b.tree_cpu_ticks, 500);
	assert_true(b.tree_cpu_s >= a.tree_cpu_s);
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
}

static void test_gpu_share_is_experiment_sm_over_all_sm(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	aipm_snapshot_init(&a);
	aipm_snapshot_init(&b);
	at(&a, 0);
	at(&b, 1);
	a.ngpus = b.ngpus = 1;
	a.gpus[0].energy_mj = 1000;
	b.gpus[0].energy_mj = 101000; /* 100 J */
	b.gpus[0].nprocs = 2;
	b.gpus[0].procs[0] = (struct aipm_gpu_proc){.pid = 1, .in_experiment = true, .sm_util = 30};
	b.gpus[0].procs[1] = (struct aipm_gpu_proc){.pid = 2, .in_experiment = false, .sm_util = 90};
	aipm_snapshot_derive(&a, NULL, &a);
	aipm_snapshot_derive(&b, &a, &a);
	assert_float_equal(b.gpus[0].exp_share, 0.25, 1e-12);
	assert_float_equal(b.gpus[0].attributed_energy_j, 25.0, 1e-9);
	assert_float_equal(b.attributed_gpu_j, 25.0, 1e-9);
	assert_float_equal(b.gpus[0].energy_j, 100.0, 1e-9);
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_is_energy_delta_over_interval),
		cmocka_unit_test(test_shares_of_one_interval_sum_to_at_most_one),
		cmocka_unit_test(test_attributed_energy_never_exceeds_measured),
		cmocka_unit_test(test_tree_cpu_time_never_goes_back),
		cmocka_unit_test(test_gpu_share_is_experiment_sm_over_all_sm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
