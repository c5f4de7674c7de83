/* lines.h: a file cut into lines, pulled one at a time, in constant memory.
 *
 * The one splitter under both readers of power_metrics.json: the
 * sequential reader (reader.h) pulls the whole file through one, the
 * parallel scanner (scan.h) gives each thread one over its byte range. It
 * preads through its own buffer (no mmap: pages of a mapped file count in
 * the resident set, and reading must not grow with the file); the buffer
 * only grows for a line longer than it, up to AIPM_FORMAT_LINE_MAX, past
 * which the line is reported (text NULL) and skipped. A file still being
 * written is fine: reading goes to wherever the end is when it gets there.
 */
#ifndef AIPM_RECORD_LINES_H
#define AIPM_RECORD_LINES_H

#include <stdbool.h>
#include <stddef.h>

struct aipm_lines {
	int fd;
	char *buf;
	size_t cap, have, p;
	long long foff; /* file offset of buf[0] */
	long long end;  /* lines starting at or past it are not ours */
	bool eof, skip;
};

/* Lines of fd that start in [start, end). With at_line_start, start is the
 * first byte of a line; otherwise (a range of the parallel scan) the line
 * that straddles start belongs to the range before and is skipped. */
int aipm_lines_init(struct aipm_lines *s, int fd, long long start, long long end, bool at_line_start);
/* 1: the next line, without its newline, in text and len (valid until the
 * next call) at file offset *off; *unterminated for a last line with no
 * newline (a recording cut mid-write); *text NULL for a line past the
 * limit. 0 at the end, -errno on a read error. */
int aipm_lines_next(struct aipm_lines *s, const char **text, size_t *len, bool *unterminated, long long *off);
void aipm_lines_free(struct aipm_lines *s);

/* Open a recording's file for reading: a regular file only (a FIFO or a
 * device would block or never end), without blocking on the open itself.
 * Returns the fd or -errno with the message set, naming path. */
int aipm_open_regular(const char *path);

#endif
