/* test_writes.c: every line of power_metrics.json leaves in one write().
 *
 * A line written in two calls can be cut between them (aipm killed, the
 * disk full after the first half), and a reader then sees half a line
 * glued to the next one. The writer builds the whole line and hands it to
 * the kernel at once on an O_APPEND descriptor (writer.c). This test links
 * the writer with write() wrapped (-Wl,--wrap=write): each call on a file
 * of the recording directory is checked to carry exactly one whole line,
 * however long (hundreds of processes), the segment's END line included.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"
#include "record/outdir.h"
#include "record/writer.h"

static char dir[256];
static size_t writes, bad_writes, line_writes;
static char bad_what[256];

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

/* Is fd a file of the recording directory (named, or unnamed: O_TMPFILE
 * shows as "DIR/#inode (deleted)")? */
static int in_dir(int fd)
{
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, target, sizeof target - 1);
	if (k <= 0)
		return 0;
	target[k] = '\0';
	size_t d = strlen(dir);
	return !strncmp(target, dir, d) && target[d] == '/';
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (dir[0] && in_dir(fd)) {
		writes++;
		const char *p = buf;
		const char *nl = n ? memchr(p, '\n', n) : NULL;
		if (!nl || nl != p + n - 1) {
			if (!bad_writes++)
				snprintf(bad_what, sizeof bad_what, "%zu bytes, %s: %.60s", n,
					 nl ? "more than one line" : "no end of line", p);
		} else if (n > 1) {
			line_writes++;
		}
	}
	return __real_write(fd, buf, n);
}

static struct aipm_catalog cat;

/* Snapshot k of a machine with one package and nprocs processes. */
static void fill(struct aipm_snapshot *s, uint64_t k, size_t nprocs)
{
	rig_at(s, 1.0 + (double)k * 0.1);
	s->real.tv_sec = 1795634401 + (time_t)k;
	s->seq = k;
	aipm_snapshot_set_energy(s, 0, 1000000 * k, true);
	s->sys_valid = s->meminfo_valid = true;
	s->sys_busy_ns = k * 100000000ull;
	s->mem_total_bytes = 1u << 30;
	s->mem_available_bytes = 1u << 29;
	for (size_t i = 0; i < nprocs; i++)
		rig_proc(s, (pid_t)(1000 + i), k * 1000000ull, 4096)->uss_bytes = 1024;
	s->tree_cpu_ns = k * nprocs * 1000000ull;
}

static void write_lines(bool append, size_t nlines, size_t nprocs)
{
	struct aipm_outdir *d;
	assert_int_equal(aipm_outdir_open(&d, dir, 0), 0);
	struct aipm_writer *w;
	bool replaced, closed;
	assert_int_equal(aipm_writer_open(&w, d, append, &replaced, &closed), 0);
	/* Two snapshots in turn and the first kept, as the pipeline does. */
	struct aipm_snapshot s[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(aipm_snapshot_init(&s[i], &cat), 0);
	for (uint64_t k = 0; k < nlines; k++) {
		struct aipm_snapshot *cur = &s[k % 2], *prev = k ? &s[(k + 1) % 2] : NULL;
		aipm_snapshot_clear(cur);
		fill(cur, k, nprocs);
		aipm_snapshot_derive(cur, prev, k ? &s[2] : cur);
		if (!k)
			assert_int_equal(aipm_snapshot_copy(&s[2], cur), 0);
		assert_int_equal(aipm_writer_write(w, cur), 0);
	}
	assert_int_equal(aipm_writer_end_segment(w), 0);
	assert_int_equal(aipm_writer_commit(w), 0);
	aipm_writer_close(w);
	aipm_outdir_unref(d);
	for (int i = 0; i < 3; i++)
		aipm_snapshot_free(&s[i]);
}

static void check_one_write_per_line(size_t want_lines)
{
	if (bad_writes)
		fail_msg("%zu of %zu write() calls on the recording did not carry one whole line; first: %s",
			 bad_writes, writes, bad_what);
	assert_int_equal(line_writes, want_lines);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/aipm-writes.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	memset(&cat, 0, sizeof cat);
	return rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	dir[0] = '\0';
	aipm_catalog_free(&cat);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_each_line_is_one_write(void **state)
{
	(void)state;
	writes = bad_writes = line_writes = 0;
	write_lines(false, 20, 3);
	check_one_write_per_line(20 + 1); /* and the END line */
}

static void test_a_long_line_is_still_one_write(void **state)
{
	(void)state;
	writes = bad_writes = line_writes = 0;
	write_lines(false, 5, 600); /* lines of tens of kilobytes */
	check_one_write_per_line(5 + 1);
}

static void test_appending_a_segment_is_one_write_per_line(void **state)
{
	(void)state;
	write_lines(false, 3, 2);
	writes = bad_writes = line_writes = 0;
	write_lines(true, 4, 2);
	check_one_write_per_line(4 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_line_is_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_long_line_is_still_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appending_a_segment_is_one_write_per_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
