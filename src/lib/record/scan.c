/* scan.c: parallel line scanner (see scan.h).
 *
 * Throughput comes from parsing on every core; the reading itself is a
 * sequential pread per range (lines.c). No thread reads the environment or
 * touches anything outside its own range and state.
 */
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "record/lines.h"

/* Below this a second thread costs more than it saves; tests lower it to
 * put seams between every pair of lines. */
static long long part_min_bytes = 4ll << 20;

void aipm_scan_set_min_part_bytes(long long bytes) { part_min_bytes = bytes > 0 ? bytes : 4ll << 20; }

int aipm_scan_parts(long long bytes, int threads)
{
	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads > AIPM_SCAN_MAX_PARTS)
		threads = AIPM_SCAN_MAX_PARTS;
	long long by_size = bytes / part_min_bytes + 1;
	if (by_size < threads)
		threads = (int)by_size;
	return threads < 1 ? 1 : threads;
}

struct part {
	int fd;
	long long start, end; /* lines starting in [start, end) */
	aipm_scan_line_fn fn;
	void *state;
	int err;
};

static void *scan_part(void *arg)
{
	struct part *pt = arg;
	struct aipm_lines ls;
	pt->err = aipm_lines_init(&ls, pt->fd, pt->start, pt->end, false);
	const char *text;
	size_t len;
	bool unterminated;
	long long off;
	int r;
	while (!pt->err && (r = aipm_lines_next(&ls, &text, &len, &unterminated, &off)) != 0) {
		if (r < 0)
			pt->err = r;
		else
			pt->fn(pt->state, text, len, unterminated);
	}
	aipm_lines_free(&ls);
	return NULL;
}

int aipm_scan_file(const char *path, int parts, aipm_scan_line_fn fn, void **states)
{
	int fd = aipm_open_regular(path);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return aipm_err(e, "%s: %s", path, strerror(-e));
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (parts < 1)
		parts = 1;
	if (parts > AIPM_SCAN_MAX_PARTS)
		parts = AIPM_SCAN_MAX_PARTS;
	struct part pt[AIPM_SCAN_MAX_PARTS];
	pthread_t th[AIPM_SCAN_MAX_PARTS];
	bool started[AIPM_SCAN_MAX_PARTS] = {false};
	long long size = st.st_size;
	for (int i = 0; i < parts; i++) {
		pt[i] = (struct part){fd, size * i / parts, i == parts - 1 ? LLONG_MAX : size * (i + 1) / parts, fn,
				      states[i], 0};
	}
	for (int i = 1; i < parts; i++)
		started[i] = pthread_create(&th[i], NULL, scan_part, &pt[i]) == 0;
	scan_part(&pt[0]);
	int err = pt[0].err;
	for (int i = 1; i < parts; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			scan_part(&pt[i]); /* no thread: do it here */
		if (!err)
			err = pt[i].err;
	}
	close(fd);
	if (err)
		return aipm_err(err, "reading %s: %s", path, strerror(-err));
	return 0;
}
