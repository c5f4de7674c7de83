/* test_scope_attrib.c: the invariants of per-scope attribution
 * (attrib_scopes.c) and of GPU membership by cgroup (membership.c), on
 * hand-built snapshots: shares of one interval sum to at most 1 over all
 * scopes, attributed energy never exceeds the measured energy, the tick
 * excess is carried and not lost, missing memory gives no DRAM energy,
 * a GPU process counts for the scope whose cgroup lists it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"
#include "membership.h"

#define MS 1000000ull /* ns */

static struct aipm_catalog cat;
static int pkg, dram;

static int setup(void **state)
{
	(void)state;
	memset(&cat, 0, sizeof cat);
	pkg = rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	dram = rig_domain(&cat, "dram-0", AIPM_DOMAIN_DRAM, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	aipm_catalog_free(&cat);
	return 0;
}

/* Snapshot k at k seconds: the package at 10 W, DRAM at 2 W, the machine
 * busy_ms per interval, 1 GiB used of 4. */
static void machine(struct aipm_snapshot *s, int k, uint64_t busy_ms_each)
{
	rig_at(s, (double)k);
	s->seq = (uint64_t)k;
	aipm_snapshot_set_energy(s, pkg, (uint64_t)k * 10000000u, true);
	aipm_snapshot_set_energy(s, dram, (uint64_t)k * 2000000u, true);
	s->sys_valid = true;
	s->sys_busy_ns = (uint64_t)k * busy_ms_each * MS;
	s->meminfo_valid = true;
	s->mem_total_bytes = 4ull << 30;
	s->mem_available_bytes = 3ull << 30;
	s->scope.enabled = true;
}

static struct aipm_scope_value *scope(struct aipm_snapshot *s, uint64_t key, const char *path, uint64_t cpu_ms)
{
	assert_int_equal(aipm_grow((void **)&s->scope.v, &s->scope.cap, s->scope.n + 1, sizeof *s->scope.v), 0);
	struct aipm_scope_value *v = &s->scope.v[s->scope.n++];
	memset(v, 0, sizeof *v);
	v->key = key;
	snprintf(v->labels.cgroup, sizeof v->labels.cgroup, "%s", path);
	v->cpu_valid = true;
	v->cpu_ns = cpu_ms * MS;
	return v;
}

/* Run n intervals of two scopes whose per-interval CPU time (a_ms, b_ms)
 * exceeds the machine's busy time by a tick or so, as the kernel's
 * microseconds do against /proc/stat's ticks. */
static void test_scope_shares_sum_to_at_most_one_and_excess_is_carried(void **state)
{
	(void)state;
	struct aipm_snapshot s[2], first;
	for (int i = 0; i < 2; i++)
		assert_int_equal(aipm_snapshot_init(&s[i], &cat), 0);
	assert_int_equal(aipm_snapshot_init(&first, &cat), 0);
	const int n = 50;
	/* machine busy 1000 ms per interval; scopes 640 + 380 = 1020 ms on
	 * odd intervals, 560 + 400 = 960 on even ones */
	uint64_t a = 0, b = 0;
	struct aipm_snapshot *prev = NULL;
	for (int k = 0; k <= n; k++) {
		struct aipm_snapshot *cur = &s[k % 2];
		aipm_snapshot_clear(cur);
		machine(cur, k, 1000);
		if (k) {
			a += k % 2 ? 640 : 560;
			b += k % 2 ? 380 : 400;
		}
		scope(cur, 11, "/job_a", a);
		scope(cur, 22, "/job_b", b);
		aipm_snapshot_derive(cur, prev, prev ? &first : cur);
		if (!prev)
			assert_int_equal(aipm_snapshot_copy(&first, cur), 0);
		double sum = cur->scope.v[0].cpu_share + cur->scope.v[1].cpu_share;
		assert_true(sum <= 1 + 1e-12);
		double pkg_j = cur->domains[pkg].energy_j;
		assert_true(cur->scope.v[0].cpu_j + cur->scope.v[1].cpu_j <= pkg_j + 1e-9);
		prev = cur;
	}
	const struct aipm_scope_value *va = &prev->scope.v[0], *vb = &prev->scope.v[1];
	/* over the run each is charged its own time (the carry is at most a
	 * tick or two): 10 W x CPU seconds here, since busy is 1 s per s */
	double true_a = (double)a / 1000.0, true_b = (double)b / 1000.0;
	assert_float_equal(va->cpu_s, true_a, 1e-9);
	assert_float_equal(vb->cpu_s, true_b, 1e-9);
	assert_float_equal(va->cpu_j, 10 * true_a, 10 * 0.05);
	assert_float_equal(vb->cpu_j, 10 * true_b, 10 * 0.05);
	assert_true(va->cpu_j_valid && vb->cpu_j_valid);
	for (int i = 0; i < 2; i++)
		aipm_snapshot_free(&s[i]);
	aipm_snapshot_free(&first);
}

static void test_scope_first_seen_gets_nothing_and_a_recreated_cgroup_starts_again(void **state)
{
	(void)state;
	struct aipm_snapshot s[3];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(aipm_snapshot_init(&s[i], &cat), 0);
		machine(&s[i], i, 1000);
	}
	/* a job that ran 50 s before aipm saw it: that time is not this run's */
	scope(&s[0], 7, "/job", 50000);
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	assert_false(s[0].scope.v[0].seen);
	assert_float_equal(s[0].scope.v[0].cpu_j, 0, 0);
	scope(&s[1], 7, "/job", 50500);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	assert_float_equal(s[1].scope.v[0].cpu_s, 0.5, 1e-9);
	assert_float_equal(s[1].scope.v[0].cpu_j, 5, 1e-9);
	/* the same path made anew (another inode): a new scope from zero */
	scope(&s[2], 8, "/job", 100);
	aipm_snapshot_derive(&s[2], &s[1], &s[0]);
	assert_false(s[2].scope.v[0].seen);
	assert_float_equal(s[2].scope.v[0].cpu_s, 0, 0);
	assert_float_equal(s[2].scope.v[0].cpu_j, 0, 0);
	for (int i = 0; i < 3; i++)
		aipm_snapshot_free(&s[i]);
}

static void test_scope_memory_missing_is_no_dram_energy_and_parts_never_exceed_whole(void **state)
{
	(void)state;
	struct aipm_snapshot s[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(aipm_snapshot_init(&s[i], &cat), 0);
		machine(&s[i], i, 1000);
		scope(&s[i], 1, "/nomem", 0);
		/* two scopes claiming 0.75 GiB each of 1 GiB used */
		struct aipm_scope_value *x = scope(&s[i], 2, "/a", 0), *y = scope(&s[i], 3, "/b", 0);
		x->mem_valid = y->mem_valid = true;
		x->mem_bytes = y->mem_bytes = 3ull << 28;
	}
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	const struct aipm_scope_value *v = s[1].scope.v;
	assert_false(v[0].dram_j_valid); /* absent, not 0 J */
	assert_true(v[1].dram_j_valid && v[2].dram_j_valid);
	assert_true(v[1].mem_share + v[2].mem_share <= 1 + 1e-12);
	assert_true(v[1].dram_j + v[2].dram_j <= s[1].domains[dram].energy_j + 1e-9);
	assert_float_equal(v[1].dram_j, 1.0, 1e-9); /* half of 2 J each */
	for (int i = 0; i < 2; i++)
		aipm_snapshot_free(&s[i]);
}

/* GPU 0: pid 100 (scope /a) 60 % SM, pid 200 (scope /b) 20 %, pid 300 (no
 * scope) 20 %; 100 J in the interval. */
static void gpu_interval(struct aipm_snapshot *s, int gpu, uint64_t mj, bool complete)
{
	struct aipm_gpu_value *g = aipm_snapshot_gpu(s, gpu);
	g->valid = true;
	g->fields = AIPM_GPU_ENERGY | AIPM_GPU_PROC_UTIL;
	g->energy_mj = mj;
	g->procs_complete = complete;
	const pid_t pids[] = {100, 200, 300};
	const unsigned util[] = {60, 20, 20};
	for (int k = 0; k < 3; k++)
		aipm_snapshot_gpu_proc(s, gpu, pids[k])->sm_util = util[k];
}

static void scope_pids(struct aipm_snapshot *s)
{
	static const struct aipm_scope_pid p[] = {{100, 0}, {150, 0}, {200, 1}};
	struct aipm_scope_values *sv = &s->scope;
	assert_int_equal(aipm_grow((void **)&sv->pids, &sv->pids_cap, 3, sizeof *sv->pids), 0);
	memcpy(sv->pids, p, sizeof p);
	sv->npids = 3;
	sv->v[0].pids_valid = sv->v[1].pids_valid = true;
}

static void test_scope_gpu_energy_goes_to_the_scope_that_lists_the_process(void **state)
{
	(void)state;
	int gpu = rig_device(&cat, "nvidia", 0, "Fake");
	struct aipm_snapshot s[3];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(aipm_snapshot_init(&s[i], &cat), 0);
		machine(&s[i], i, 1000);
		scope(&s[i], 1, "/a", 0);
		scope(&s[i], 2, "/b", 0);
		scope_pids(&s[i]);
		gpu_interval(&s[i], gpu, (uint64_t)i * 100000u, i != 2);
	}
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	const struct aipm_scope_value *v = s[1].scope.v;
	assert_float_equal(v[0].gpu_j, 60, 1e-9);
	assert_float_equal(v[1].gpu_j, 20, 1e-9);
	assert_true(v[0].gpu_j + v[1].gpu_j <= s[1].gpus[gpu].energy_j + 1e-9);
	/* an incomplete process list: whose energy it was is unknown, so
	 * nothing is added (held), never a share of a partial list */
	aipm_snapshot_derive(&s[2], &s[1], &s[0]);
	assert_float_equal(s[2].scope.v[0].gpu_j, 60, 1e-9);
	assert_float_equal(s[2].scope.v[1].gpu_j, 20, 1e-9);
	for (int i = 0; i < 3; i++)
		aipm_snapshot_free(&s[i]);
}

static void test_gpu_process_is_the_experiments_when_its_cgroup_lists_it(void **state)
{
	(void)state;
	int gpu = rig_device(&cat, "nvidia", 0, "Fake");
	struct aipm_snapshot s;
	assert_int_equal(aipm_snapshot_init(&s, &cat), 0);
	gpu_interval(&s, gpu, 0, true);
	/* the experiment is a cgroup listing 100 and 300; only 100 could be
	 * read in /proc (the table), 300 is another namespace's */
	rig_proc(&s, 100, 0, 0);
	s.scope.exp_cgroup = true;
	s.scope.exp_pids_valid = true;
	assert_int_equal(aipm_grow((void **)&s.scope.exp_pids, &s.scope.exp_pids_cap, 2, sizeof(pid_t)), 0);
	s.scope.exp_pids[0] = 100;
	s.scope.exp_pids[1] = 300;
	s.scope.nexp_pids = 2;
	aipm_membership_mark_gpus(&s);
	const struct aipm_gpu_value *g = &s.gpus[gpu];
	assert_true(g->procs[0].in_experiment);  /* 100 */
	assert_false(g->procs[1].in_experiment); /* 200: not in the cgroup */
	assert_true(g->procs[2].in_experiment);  /* 300: listed, though /proc could not read it */
	assert_true(g->procs_complete);
	/* without the cgroup's list this sample, the share is unknown */
	s.scope.exp_pids_valid = false;
	aipm_membership_mark_gpus(&s);
	assert_false(g->procs_complete);
	aipm_snapshot_free(&s);
}

static void test_scope_values_copy_is_deep(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	assert_int_equal(aipm_snapshot_init(&a, &cat), 0);
	assert_int_equal(aipm_snapshot_init(&b, &cat), 0);
	scope(&a, 5, "/x", 10);
	scope_pids(&a);
	assert_int_equal(aipm_snapshot_copy(&b, &a), 0);
	assert_ptr_not_equal(a.scope.v, b.scope.v);
	assert_int_equal(b.scope.n, 1);
	assert_string_equal(b.scope.v[0].labels.cgroup, "/x");
	assert_int_equal(aipm_scope_values_scope_of(&b.scope, 200), 1);
	aipm_snapshot_clear(&a);
	assert_int_equal(a.scope.n, 0);
	assert_int_equal(b.scope.n, 1);
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scope_shares_sum_to_at_most_one_and_excess_is_carried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scope_first_seen_gets_nothing_and_a_recreated_cgroup_starts_again,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_memory_missing_is_no_dram_energy_and_parts_never_exceed_whole,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_gpu_energy_goes_to_the_scope_that_lists_the_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gpu_process_is_the_experiments_when_its_cgroup_lists_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scope_values_copy_is_deep, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
