/* lines.c: see lines.h. */
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "record/format.h"

#define BUF_START (1u << 20)

int aipm_lines_init(struct aipm_lines *s, int fd, long long start, long long end, bool at_line_start)
{
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->cap = BUF_START;
	s->buf = malloc(s->cap);
	if (!s->buf)
		return -ENOMEM;
	/* A range that does not begin at a line begins after the first
	 * newline at or after start-1. */
	s->skip = !at_line_start && start > 0;
	s->foff = s->skip ? start - 1 : start;
	s->end = end;
	return 0;
}

void aipm_lines_free(struct aipm_lines *s)
{
	free(s->buf);
	s->buf = NULL;
}

/* Keep the unread tail and read more after it: 0, or -errno. */
static int refill(struct aipm_lines *s)
{
	memmove(s->buf, s->buf + s->p, s->have - s->p);
	s->foff += (long long)s->p;
	s->have -= s->p;
	s->p = 0;
	for (;;) {
		ssize_t n = pread(s->fd, s->buf + s->have, s->cap - s->have, (off_t)(s->foff + (long long)s->have));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s->eof = n == 0;
		s->have += (size_t)n;
		return 0;
	}
}

int aipm_lines_next(struct aipm_lines *s, const char **text, size_t *len, bool *unterminated, long long *off)
{
	for (;;) {
		if (s->skip) {
			char *nl = memchr(s->buf + s->p, '\n', s->have - s->p);
			if (nl) {
				s->p = (size_t)(nl - s->buf) + 1;
				s->skip = false;
			} else if (s->eof) {
				return 0;
			} else {
				s->p = s->have; /* all of it belongs to a line we do not keep */
			}
		}
		if (!s->skip) {
			if (s->foff + (long long)s->p >= s->end)
				return 0;
			char *nl = memchr(s->buf + s->p, '\n', s->have - s->p);
			*unterminated = false;
			*off = s->foff + (long long)s->p;
			if (nl) {
				*text = s->buf + s->p;
				*len = (size_t)(nl - *text);
				s->p = (size_t)(nl - s->buf) + 1;
				return 1;
			}
			if (s->eof) {
				if (s->p == s->have)
					return 0;
				*text = s->buf + s->p;
				*len = s->have - s->p;
				*unterminated = true;
				s->p = s->have;
				return 1;
			}
			if (s->p == 0 && s->have == s->cap) {
				/* One line fills the buffer: grow, up to a limit
				 * past which the line is reported and skipped. */
				char *nb = (long long)s->cap * 2 <= AIPM_FORMAT_LINE_MAX ? realloc(s->buf, s->cap * 2) : NULL;
				if (nb) {
					s->buf = nb;
					s->cap *= 2;
				} else {
					s->p = s->have;
					s->skip = true;
					*text = NULL;
					*len = 0;
					return 1;
				}
			}
		}
		int e = refill(s);
		if (e < 0)
			return e;
	}
}

int aipm_open_regular(const char *path)
{
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return aipm_err(-errno, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return aipm_err(-EINVAL, "%s: not a regular file. A recording's files are plain files", path);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}
