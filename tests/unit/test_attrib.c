/* test_attrib.c: the invariants of interval derivation and the membership
 * rules, on hand-built catalogs and snapshots (no source involved). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"
#include "membership.h"

#define MS 1000000ull /* ns */

static struct aipm_catalog cat;

static int setup(void **state)
{
	(void)state;
	memset(&cat, 0, sizeof cat);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	aipm_catalog_free(&cat);
	return 0;
}

static void snaps(struct aipm_snapshot *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(aipm_snapshot_init(&s[i], &cat), 0);
		rig_at(&s[i], (double)i);
	}
}

static void frees(struct aipm_snapshot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aipm_snapshot_free(&s[i]);
}

static void test_power_is_energy_delta_over_interval(void **state)
{
	(void)state;
	int pkg = rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	struct aipm_snapshot s[2];
	snaps(s, 2);
	rig_at(&s[0], 10);
	rig_at(&s[1], 10.5);
	aipm_snapshot_set_energy(&s[0], pkg, 1000000, true);
	aipm_snapshot_set_energy(&s[1], pkg, 21000000, true);
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	assert_true(isnan(s[0].domains[pkg].power_w)); /* no interval yet: unknown, not 0 */
	assert_float_equal(s[0].domains[pkg].energy_j, 0, 1e-12);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	assert_float_equal(s[1].domains[pkg].power_w, 40.0, 1e-9);
	assert_float_equal(s[1].domains[pkg].energy_j, 20.0, 1e-9);
	frees(s, 2);
}

static void test_domain_not_read_holds_its_energy_and_has_no_power(void **state)
{
	(void)state;
	int pkg = rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	struct aipm_snapshot s[3];
	snaps(s, 3);
	aipm_snapshot_set_energy(&s[0], pkg, 0, true);
	aipm_snapshot_set_energy(&s[1], pkg, 5000000, true);
	/* s[2]: the source failed whole, set nothing (cleared: 0 uJ, invalid) */
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	aipm_snapshot_derive(&s[2], &s[1], &s[0]);
	assert_float_equal(s[2].domains[pkg].energy_j, 5.0, 1e-9); /* never back */
	assert_true(isnan(s[2].domains[pkg].power_w));           /* missing is not zero */
	double w;
	assert_false(aipm_snapshot_kind_power(&s[2], AIPM_DOMAIN_PACKAGE, &w));
	frees(s, 3);
}

static void test_shares_of_one_interval_sum_to_at_most_one(void **state)
{
	(void)state;
	struct aipm_snapshot s[2];
	snaps(s, 2);
	s[0].sys_valid = s[1].sys_valid = true;
	s[0].sys_busy_ns = 1000 * 10 * MS;
	s[1].sys_busy_ns = 1100 * 10 * MS; /* 100 busy ticks in the interval */
	s[0].meminfo_valid = s[1].meminfo_valid = true;
	s[1].mem_total_bytes = s[0].mem_total_bytes = 1000;
	s[1].mem_available_bytes = s[0].mem_available_bytes = 600; /* 400 used */
	rig_proc(&s[0], 10, 0, 300);
	rig_proc(&s[0], 20, 0, 300);
	/* Rounding: the parts claim 130 ticks of a 100-tick whole, and 600
	 * bytes of PSS on 400 used. */
	rig_proc(&s[1], 10, 700 * MS, 300);
	rig_proc(&s[1], 20, 600 * MS, 300);
	s[1].tree_cpu_ns = 1300 * MS;
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	double cpu = s[1].procs[0].cpu_share + s[1].procs[1].cpu_share;
	double mem = s[1].procs[0].mem_share + s[1].procs[1].mem_share;
	assert_true(cpu <= 1.0 + 1e-12);
	assert_true(mem <= 1.0 + 1e-12);
	assert_float_equal(s[1].procs[0].cpu_share / s[1].procs[1].cpu_share, 70.0 / 60.0, 1e-9);
	assert_true(s[1].tree_cpu_share <= 1.0);
	assert_true(s[1].tree_mem_share <= 1.0);
	frees(s, 2);
}

static void test_attributed_energy_never_exceeds_measured(void **state)
{
	(void)state;
	int pkg = rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	int dram = rig_domain(&cat, "dram-0", AIPM_DOMAIN_DRAM, 0);
	struct aipm_snapshot s[3];
	snaps(s, 3);
	for (int i = 0; i < 3; i++) {
		s[i].sys_valid = true;
		s[i].sys_busy_ns = 1000 * MS * (uint64_t)i;
		s[i].tree_cpu_ns = 2500 * MS * (uint64_t)i; /* claims 2.5x the machine */
		s[i].tree_valid = true;
		s[i].meminfo_valid = true;
		s[i].mem_total_bytes = 100;
		aipm_snapshot_set_energy(&s[i], pkg, 10000000u * (uint64_t)i, true);
		aipm_snapshot_set_energy(&s[i], dram, 1000000u * (uint64_t)i, true);
		rig_proc(&s[i], 5, 0, 500); /* PSS above used memory */
	}
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	aipm_snapshot_derive(&s[2], &s[1], &s[0]);
	assert_true(s[2].attributed_cpu_j <= s[2].domains[pkg].energy_j + 1e-12);
	assert_true(s[2].attributed_dram_j <= s[2].domains[dram].energy_j + 1e-12);
	assert_float_equal(s[2].attributed_cpu_j, 20.0, 1e-9);
	assert_true(s[2].tree_cpu_carry_ns <= AIPM_CPU_CARRY_MAX_NS); /* bounded */
	frees(s, 3);
}

static void test_tree_cpu_time_never_goes_back(void **state)
{
	(void)state;
	struct aipm_snapshot s[2];
	snaps(s, 2);
	s[0].tree_cpu_ns = 5000 * MS;
	s[1].tree_cpu_ns = 4500 * MS; /* a reaped child's rusage not yet handed in */
	s[0].tree_valid = s[1].tree_valid = true;
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	assert_int_equal(s[1].tree_cpu_ns, 5000 * MS);
	assert_true(s[1].tree_cpu_s >= s[0].tree_cpu_s);
	frees(s, 2);
}

/* A process alone on a CPU, sampled every 0.1 s: its exact CPU time is
 * 100 ms per interval, the machine's busy time (ticks) reads 9, 10 or 11
 * ticks. Clamping each interval at 1 loses every excess; the carry charges
 * it in the next interval, so the run's charged time is the tree's. */
static void test_cpu_share_carries_tick_rounding_into_next_interval(void **state)
{
	(void)state;
	int pkg = rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	enum { N = 41 };
	static const unsigned ticks[] = {11, 9, 10, 11, 9, 9, 11, 10, 11, 9};
	struct aipm_snapshot s[N];
	snaps(s, N);
	uint64_t busy = 0;
	for (int i = 0; i < N; i++) {
		rig_at(&s[i], 0.1 * i);
		if (i)
			busy += ticks[i % 10] * 10 * MS;
		s[i].sys_valid = s[i].tree_valid = true;
		s[i].sys_busy_ns = busy;
		s[i].tree_cpu_ns = 100 * MS * (uint64_t)i;
		/* 1 uJ per busy ns: energy follows the machine's busy time */
		aipm_snapshot_set_energy(&s[i], pkg, busy / 1000, true);
		aipm_snapshot_derive(&s[i], i ? &s[i - 1] : NULL, &s[0]);
		assert_true(s[i].tree_cpu_share <= 1.0);
	}
	/* 40 intervals of 100 ms = 4.0 s of tree CPU over 4.0 s of busy. */
	double share = s[N - 1].attributed_cpu_j / s[N - 1].domains[pkg].energy_j;
	assert_true(share <= 1.0 + 1e-12);
	if (fabs(share - 1.0) > 0.01)
		fail_msg("attributed share %.4f, want 1 within 1 point", share);
	frees(s, N);
}

static void test_cpu_share_carry_pure_function(void **state)
{
	(void)state;
	uint64_t carry;
	/* excess carried */
	assert_float_equal(aipm_cpu_share_carry(110, 100, 0, &carry), 1.0, 1e-12);
	assert_int_equal(carry, 10);
	/* and charged where there is room */
	assert_float_equal(aipm_cpu_share_carry(90, 100, 10, &carry), 1.0, 1e-12);
	assert_int_equal(carry, 0);
	assert_float_equal(aipm_cpu_share_carry(40, 100, 10, &carry), 0.5, 1e-12);
	assert_int_equal(carry, 0);
	/* bounded: a systematic disagreement cannot pin the share at 1 */
	aipm_cpu_share_carry(50 * AIPM_CPU_CARRY_MAX_NS, 100, 0, &carry);
	assert_int_equal(carry, AIPM_CPU_CARRY_MAX_NS);
}

static void test_gpu_share_is_experiment_sm_over_all_sm(void **state)
{
	(void)state;
	int g = rig_device(&cat, "nvidia", 0, "GPU");
	struct aipm_snapshot s[2];
	snaps(s, 2);
	s[0].gpus[g].fields = s[1].gpus[g].fields = AIPM_GPU_ENERGY | AIPM_GPU_PROC_UTIL;
	s[0].gpus[g].valid = s[1].gpus[g].valid = true;
	s[0].gpus[g].energy_mj = 1000;
	s[1].gpus[g].energy_mj = 101000; /* 100 J */
	s[1].gpus[g].procs_complete = true;
	rig_proc(&s[1], 1, 0, 0);
	aipm_snapshot_gpu_proc(&s[1], g, 1)->sm_util = 30;
	aipm_snapshot_gpu_proc(&s[1], g, 2)->sm_util = 90;
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	assert_true(s[1].gpus[g].procs[0].in_experiment); /* pid 1 is in the table */
	assert_false(s[1].gpus[g].procs[1].in_experiment);
	assert_true(s[1].gpus[g].share_valid);
	assert_float_equal(s[1].gpus[g].exp_share, 0.25, 1e-12);
	assert_float_equal(s[1].gpus[g].attributed_energy_j, 25.0, 1e-9);
	assert_float_equal(s[1].attributed_gpu_j, 25.0, 1e-9);
	assert_float_equal(s[1].gpus[g].energy_j, 100.0, 1e-9);
	frees(s, 2);
}

static void test_gpu_share_is_unknown_over_an_incomplete_process_list(void **state)
{
	(void)state;
	int g = rig_device(&cat, "nvidia", 0, "GPU");
	struct aipm_snapshot s[2];
	snaps(s, 2);
	for (int i = 0; i < 2; i++) {
		s[i].gpus[g].fields = AIPM_GPU_ENERGY | AIPM_GPU_PROC_UTIL;
		s[i].gpus[g].valid = true;
		s[i].gpus[g].energy_mj = 1000 + 100000u * (uint64_t)i;
	}
	rig_proc(&s[1], 1, 0, 0);
	aipm_snapshot_gpu_proc(&s[1], g, 1)->sm_util = 30; /* the rest was not read */
	s[1].gpus[g].procs_complete = false;
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	assert_false(s[1].gpus[g].share_valid); /* not 1.0 over the one process seen */
	assert_float_equal(s[1].gpus[g].attributed_energy_j, 0, 1e-12);
	/* --gpu-all-processes needs no list */
	s[1].gpu_all_processes = true;
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	assert_true(s[1].gpus[g].share_valid);
	assert_float_equal(s[1].gpus[g].exp_share, 1.0, 1e-12);
	frees(s, 2);
}

static void test_membership_rules(void **state)
{
	(void)state;
	pid_t roots[] = {100};
	struct aipm_membership m = {.roots = roots, .nroots = 1, .self = 50};
	assert_true(aipm_membership_joins(&m, 100, 1, false));  /* a root */
	assert_true(aipm_membership_joins(&m, 101, 100, true)); /* a descendant */
	assert_false(aipm_membership_joins(&m, 102, 7, false)); /* a stranger */
	assert_true(aipm_membership_joins(&m, 103, 50, false)); /* an orphan reparented to aipm */
	assert_false(aipm_membership_joins(&m, 50, 1, false));  /* aipm itself, not a root */
	pid_t self_root[] = {50};
	struct aipm_membership lib = {.roots = self_root, .nroots = 1, .self = 50};
	assert_true(aipm_membership_joins(&lib, 50, 1, false)); /* library mode */
	struct aipm_membership all = {.self = 50, .all_processes = true};
	assert_true(aipm_membership_joins(&all, 102, 7, false));
	assert_true(aipm_membership_tracks(&all));
	struct aipm_membership none = {.self = 50};
	assert_false(aipm_membership_tracks(&none));
	assert_false(aipm_membership_joins(&none, 103, 50, false)); /* no tree: no orphans either */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_is_energy_delta_over_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domain_not_read_holds_its_energy_and_has_no_power, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shares_of_one_interval_sum_to_at_most_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attributed_energy_never_exceeds_measured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_cpu_time_never_goes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_share_carries_tick_rounding_into_next_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_share_carry_pure_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_share_is_experiment_sm_over_all_sm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_share_is_unknown_over_an_incomplete_process_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_membership_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
