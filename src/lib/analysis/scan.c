/* scan.c: parallel line scanner (see scan.h).
 *
 * Throughput comes from parsing on every core; the reading itself is a
 * sequential pread per range into a buffer that only grows for a line
 * longer than it. A file still being written is fine: the last range reads
 * to wherever the end is when it gets there.
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

#include "analysis/line.h"
#include "error.h"

#define BUF_START (1u << 20)
#define LINE_MAX_BYTES (1ull << 30)
/* Below this a second thread costs more than it saves; tests lower it to
 * put seams between every pair of lines. */
static long long part_min_bytes = 4ll << 20;

void aipm_scan_set_min_part_bytes(long long bytes) { part_min_bytes = bytes > 0 ? bytes : 4ll << 20; }

int aipm_scan_parts(long long bytes, int threads)
{
	if (threads <= 0) {
		const char *env = getenv("AIPM_THREADS");
		threads = env ? atoi(env) : 0;
		if (threads <= 0)
			threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	}
	if (threads > 64)
		threads = 64;
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
	size_t cap = BUF_START, have = 0;
	char *buf = malloc(cap);
	if (!buf) {
		pt->err = -ENOMEM;
		return NULL;
	}
	/* Range i>0 begins after the first newline at or after start-1: the
	 * line that straddles start belongs to the range before. */
	long long foff = pt->start > 0 ? pt->start - 1 : 0;
	bool skip = pt->start > 0, eof = false;
	for (;;) {
		if (!eof && have < cap) {
			ssize_t n = pread(pt->fd, buf + have, cap - have, (off_t)(foff + (long long)have));
			if (n < 0) {
				if (errno == EINTR)
					continue;
				pt->err = -errno;
				break;
			}
			eof = n == 0;
			have += (size_t)n;
		}
		size_t p = 0;
		if (skip) {
			char *nl = memchr(buf, '\n', have);
			if (!nl) {
				if (eof)
					break;
				foff += (long long)have;
				have = 0;
				continue;
			}
			p = (size_t)(nl - buf) + 1;
			skip = false;
		}
		bool done = false;
		for (;;) {
			if (foff + (long long)p >= pt->end) {
				done = true;
				break;
			}
			char *nl = memchr(buf + p, '\n', have - p);
			if (!nl)
				break;
			pt->fn(pt->state, buf + p, (size_t)(nl - (buf + p)), false);
			p = (size_t)(nl - buf) + 1;
		}
		if (done)
			break;
		if (eof) {
			if (p < have)
				pt->fn(pt->state, buf + p, have - p, true);
			break;
		}
		memmove(buf, buf + p, have - p);
		foff += (long long)p;
		have -= p;
		if (have == cap) {
			/* One line fills the buffer: grow, up to a limit past
			 * which the line is reported and skipped. */
			char *nb = cap * 2 <= LINE_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
			if (nb) {
				buf = nb;
				cap *= 2;
			} else {
				pt->fn(pt->state, NULL, 0, false);
				foff += (long long)have;
				have = 0;
				skip = true;
			}
		}
	}
	free(buf);
	aipm_line_arena_release();
	return NULL;
}

int aipm_scan_file(const char *path, int parts, aipm_scan_line_fn fn, void **states)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return aipm_err(-errno, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return aipm_err(-EINVAL, "%s: not a regular file", path);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (parts < 1)
		parts = 1;
	struct part pt[64];
	pthread_t th[64];
	bool started[64] = {false};
	if (parts > 64)
		parts = 64;
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
