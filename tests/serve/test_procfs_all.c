/* test_procfs_all.c: the procfs source's machine-wide mode (all_processes,
 * behind `aipm serve --processes`) against the real /proc.
 *
 * Pins what the top-N table relies on: every process is listed, not only a
 * tree (our parent and pid 1 are strangers to any tree of ours), the list
 * stays sorted by pid across samples (attrib.c pairs processes by a merge
 * walk), a process that burns CPU has its CPU time grow and gets a cpu_share,
 * an ended process leaves the list, and PSS/USS are never read there.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"
#include "membership.h"
#include "source.h"

static const struct aipm_proc *find(const struct aipm_snapshot *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

static void sample(struct aipm_source *src, struct aipm_snapshot *s, uint64_t seq)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	assert_int_equal(rig_sample(src, s, seq, aipm_ts_to_s(&now), true), 0);
	assert_true(s->tree_valid);
	for (size_t i = 1; i < s->nprocs; i++)
		assert_true(s->procs[i - 1].pid < s->procs[i].pid);
	for (size_t i = 0; i < s->nprocs; i++)
		assert_false(s->procs[i].mem_valid); /* no smaps_rollup machine-wide */
}

static pid_t spawn_burner(void)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		volatile unsigned long x = 0;
		for (;;)
			x++;
	}
	return p;
}

static void test_procfs_all_lists_every_process_sorted_with_cpu_shares(void **state)
{
	(void)state;
	struct aipm_membership mb = {.self = getpid(), .all_processes = true};
	struct aipm_source_config cfg = {.membership = &mb};
	struct aipm_catalog cat = {0};
	struct aipm_source *src = NULL;
	assert_int_equal(aipm_source_open(&aipm_source_procfs, &cfg, &cat, &src), 0);
	if (!src->available) {
		/* A /proc of another PID namespace: the source refuses it. */
		printf("skip: procfs unavailable: %s\n", src->reason);
		aipm_source_procfs.close(src);
		skip();
	}
	assert_non_null(strstr(src->reason, "every process"));

	pid_t sleeper = fork();
	assert_true(sleeper >= 0);
	if (sleeper == 0) {
		pause();
		_exit(0);
	}
	pid_t burner = spawn_burner();
	usleep(20000);

	struct aipm_snapshot a, b, c;
	aipm_snapshot_init(&a, &cat);
	aipm_snapshot_init(&b, &cat);
	aipm_snapshot_init(&c, &cat);
	sample(src, &a, 0);
	aipm_snapshot_derive(&a, NULL, &a);
	/* Not a tree: ourselves, our parent and init are all there. */
	assert_non_null(find(&a, getpid()));
	assert_non_null(find(&a, getppid()));
	assert_non_null(find(&a, sleeper));
	assert_non_null(find(&a, burner));
	if (getpid() != 1)
		assert_non_null(find(&a, 1));

	usleep(300000);
	sample(src, &b, 1);
	aipm_snapshot_derive(&b, &a, &a);
	const struct aipm_proc *pa = find(&a, burner), *pb = find(&b, burner);
	assert_non_null(pb);
	assert_true(pb->cpu_ns > pa->cpu_ns);
	assert_true(pb->cpu_share > 0);
	const struct aipm_proc *sl = find(&b, sleeper);
	assert_non_null(sl);
	assert_true(sl->cpu_share < pb->cpu_share);
	double sum = 0;
	for (size_t i = 0; i < b.nprocs; i++)
		sum += b.procs[i].cpu_share;
	assert_true(sum <= 1 + 1e-9);

	/* An ended (reaped) process leaves the list; the others stay. */
	kill(burner, SIGKILL);
	waitpid(burner, NULL, 0);
	sample(src, &c, 2);
	aipm_snapshot_derive(&c, &b, &a);
	assert_null(find(&c, burner));
	assert_non_null(find(&c, sleeper));

	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
	aipm_snapshot_free(&c);
	aipm_source_procfs.close(src);
	aipm_catalog_free(&cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procfs_all_lists_every_process_sorted_with_cpu_shares),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
