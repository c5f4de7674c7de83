/* results.c: see results.h.
 *
 * The tail of the file is what a record replaces: from just after the last
 * record (or after '[' when there is none) to the end, "\n]\n" as aipm
 * writes it. It is found once (read back from the file), then known: after
 * each record it is the record's closing "\n]\n". A file whose tail is no
 * closing bracket is not appended to blindly: it is rewritten whole from
 * what the reader finds in it.
 */
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "outdir.h"
#include "record/format.h"
#include "record/sidefiles.h"
#include "util.h"

#define TAIL_MAX 4096

struct aipm_results_writer {
	struct aipm_outdir *dir;
	int fd;            /* -1 until the first record (or an append's check) */
	bool tail_known;
	off_t size, at;    /* the file's size; where the next record goes */
	bool empty;        /* the array has no record yet */
	char saved[TAIL_MAX]; /* the bytes at [at, size): put back on a failed write */
	size_t nsaved;
	struct aipm_buf rec;
};

static const char name[] = AIPM_FILE_RESULTS;

bool aipm_results_reserved_name(const char *n)
{
	return !strcmp(n, AIPM_KEY_END_EPOCH) || !strcmp(n, AIPM_KEY_TIMESTAMP) || !strcmp(n, AIPM_KEY_DATE) ||
	       !strcmp(n, AIPM_KEY_METRICS);
}

static bool ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Read where the next record goes; -EBADMSG when the file does not end
 * with a closed array (then it is rewritten, see rewrite()). */
static int find_tail(struct aipm_results_writer *w)
{
	struct stat st;
	if (fstat(w->fd, &st) < 0)
		return -errno;
	w->size = st.st_size;
	w->nsaved = 0;
	if (w->size == 0) { /* new: the record comes with the brackets */
		w->at = 0;
		w->empty = true;
		w->tail_known = true;
		return 0;
	}
	char buf[TAIL_MAX];
	size_t n = w->size < TAIL_MAX ? (size_t)w->size : TAIL_MAX;
	off_t base = w->size - (off_t)n;
	ssize_t got = pread(w->fd, buf, n, base);
	if (got != (ssize_t)n)
		return got < 0 ? -errno : -EIO;
	size_t q = n;
	while (q > 0 && ws(buf[q - 1]))
		q--;
	if (q == 0 || buf[q - 1] != ']')
		return -EBADMSG;
	size_t p = q - 1;
	while (p > 0 && ws(buf[p - 1]))
		p--;
	if (p == 0)
		return -EBADMSG; /* "]" alone, or blanks past what we look at */
	w->empty = buf[p - 1] == '[';
	w->at = base + (off_t)p;
	w->nsaved = n - p;
	memcpy(w->saved, buf + p, w->nsaved);
	w->tail_known = true;
	return 0;
}

/* The date of a record: local time, microseconds, its UTC offset. */
static void put_epoch(struct aipm_buf *b, const struct timespec *t)
{
	struct tm tm;
	time_t sec = t->tv_sec;
	localtime_r(&sec, &tm);
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	off = off < 0 ? -off : off;
	aipm_buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06ld%c%02ld:%02ld\"", tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t->tv_nsec / 1000, sign, off / 60, off % 60);
}

/* Open the file (created when absent) for pwrite: no O_APPEND, which on
 * Linux would send every pwrite to the end. */
static int open_file(struct aipm_results_writer *w)
{
	bool existed;
	int fd = aipm_outdir_append(w->dir, name, &existed);
	if (fd < 0)
		return fd;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_APPEND) < 0) {
		int e = -errno;
		close(fd);
		return aipm_err(e, "%s/%s: %s", aipm_outdir_path(w->dir), name, strerror(-e));
	}
	w->fd = fd;
	return 0;
}

/* Everything a reader finds in the file, as the array (one record per
 * line), replacing the file atomically. Records keep their time and their
 * metrics; what the reader skips was unreadable already. */
static int rewrite(struct aipm_results_writer *w)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", w->fd);
	struct aipm_results_file *f = NULL;
	int e = aipm_results_open_path(path, &f);
	if (e < 0)
		return e;
	struct aipm_buf b = {0};
	aipm_buf_puts(&b, "[");
	struct aipm_result r;
	bool any = false;
	while ((e = aipm_results_next(f, &r)) > 0) {
		struct timespec t = {.tv_sec = (time_t)r.ts};
		t.tv_nsec = (long)((r.ts - (double)t.tv_sec) * 1e6 + 0.5) * 1000;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		aipm_buf_puts(&b, any ? ",\n{\"" : "\n{\"");
		aipm_buf_puts(&b, AIPM_KEY_END_EPOCH);
		aipm_buf_puts(&b, "\": ");
		put_epoch(&b, &t);
		aipm_buf_puts(&b, ", ");
		aipm_buf_puts(&b, r.metrics_json + 1); /* the members and its '}' */
		any = true;
	}
	aipm_results_close(f);
	aipm_buf_puts(&b, "\n]\n");
	if (e == 0 && b.oom)
		e = aipm_err(-ENOMEM, "out of memory rewriting %s", name);
	if (e == 0)
		e = aipm_outdir_replace(w->dir, name, b.data, b.len);
	aipm_buf_free(&b);
	if (e < 0)
		return e;
	/* The name now holds the new file: write to that one. */
	close(w->fd);
	w->fd = -1;
	return open_file(w);
}

/* Know the tail, rewriting a file in another layout first. */
static int ready(struct aipm_results_writer *w)
{
	int e = 0;
	if (w->fd < 0 && (e = open_file(w)) < 0)
		return e;
	if (w->tail_known)
		return 0;
	e = find_tail(w);
	if (e == -EBADMSG) {
		if ((e = rewrite(w)) < 0)
			return e;
		e = find_tail(w);
	}
	if (e < 0)
		return aipm_err(e, "cannot read %s/%s to add to it: %s", aipm_outdir_path(w->dir), name,
				strerror(-e));
	return 0;
}

int aipm_results_writer_open(struct aipm_results_writer **out, struct aipm_outdir *dir, bool append)
{
	struct aipm_results_writer *w = calloc(1, sizeof *w);
	if (!w)
		return aipm_err(-ENOMEM, "out of memory");
	w->dir = aipm_outdir_ref(dir);
	w->fd = -1;
	bool exists = false;
	int e = aipm_outdir_check(dir, name, &exists);
	/* Appending to a recording whose file is in another layout: rewrite it
	 * now, so a damaged file is said at the start, not at the first log. */
	if (e == 0 && append && exists)
		e = ready(w);
	if (e < 0) {
		aipm_results_writer_close(w);
		return e;
	}
	*out = w;
	return 0;
}

/* Write n bytes at off, whole, or put the file back as it was. */
static int put(struct aipm_results_writer *w, const char *data, size_t n)
{
	size_t done = 0;
	int e = 0;
	while (done < n) {
		ssize_t k = pwrite(w->fd, data + done, n - done, w->at + (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			e = k < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)k;
	}
	if (!e)
		return 0;
	/* Undo: the bracket back, the size back. An undo that fails leaves
	 * the tail unknown: the next record reads it again (and rewrites the
	 * file from its records if it is no closed array any more). */
	bool undone = (w->nsaved == 0 || pwrite(w->fd, w->saved, w->nsaved, w->at) == (ssize_t)w->nsaved) &&
		      ftruncate(w->fd, w->size) == 0;
	if (!undone)
		w->tail_known = false;
	return e;
}

int aipm_results_writer_log(struct aipm_results_writer *w, const char *const *names, const double *values,
			    size_t n, const struct timespec *at)
{
	int e = ready(w);
	if (e < 0)
		return e;
	struct aipm_buf *b = &w->rec;
	aipm_buf_reset(b);
	aipm_buf_puts(b, w->size == 0 ? "[\n" : w->empty ? "\n" : ",\n");
	aipm_buf_puts(b, "{\"" AIPM_KEY_END_EPOCH "\": ");
	put_epoch(b, at);
	for (size_t i = 0; i < n; i++) {
		aipm_buf_puts(b, ", ");
		aipm_buf_json_str(b, names[i]);
		aipm_buf_puts(b, ": ");
		aipm_buf_double(b, values[i]);
	}
	aipm_buf_puts(b, "}\n]\n");
	if (b->oom) {
		b->oom = false;
		return aipm_err(-ENOMEM, "out of memory");
	}
	e = put(w, b->data, b->len);
	if (e < 0 && w->size == 0) {
		/* The first record: no file is better than an empty one, which
		 * no JSON reader takes. */
		aipm_outdir_remove(w->dir, name);
		close(w->fd);
		w->fd = -1;
		w->tail_known = false;
	}
	const char *dir = aipm_outdir_path(w->dir);
	if (e == -ENOSPC || e == -EDQUOT)
		return aipm_err(e, "%s/%s: %s: the record is not written. Free space on that disk", dir, name,
				strerror(-e));
	if (e < 0)
		return aipm_err(e, "%s/%s: %s. Check that the recording directory still exists and is writable", dir,
				name, strerror(-e));
	/* The new tail: the record's own "\n]\n". */
	w->size = w->at + (off_t)b->len;
	w->at = w->size - 3;
	memcpy(w->saved, "\n]\n", 3);
	w->nsaved = 3;
	w->empty = false;
	return 0;
}

void aipm_results_writer_close(struct aipm_results_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	aipm_buf_free(&w->rec);
	aipm_outdir_unref(w->dir);
	free(w);
}
