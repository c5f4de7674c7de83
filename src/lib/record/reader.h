/* reader.h: power_metrics.json read sequentially, one sample at a time.
 *
 * The one reader of the samples file for everything that walks it in order
 * (the CSV export, the plots, the phase and logged-point windows, the start
 * of a recording); the parallel scanner (scan.h) applies the same rules per
 * range, and analysis/summary.c joins the ranges. The rules, once:
 *
 *  - a line is a sample when line.h parses it as one; blank, corrupt,
 *    truncated (cut at the end), too long and NUL-holding lines are skipped
 *    and counted;
 *  - the segment marker closes a segment; segments are numbered 0, 1, ...
 *    among those that hold samples;
 *  - inside a segment, a sample not later than the one accepted before it
 *    (a clock stepped back, a line repeated) is skipped and counted
 *    (out_of_order): time never runs backwards inside a segment, so no
 *    duration or energy is negative.
 *
 * No allocation per line, constant memory, no process-wide state.
 */
#ifndef AIPM_RECORD_READER_H
#define AIPM_RECORD_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "record/line.h"

struct aipm_reader_stats {
	long long samples;                           /* accepted */
	long long blank, corrupt, truncated, out_of_order; /* skipped */
	long long unknown_fields, dropped, edge_samples, timestamped;
	int segments; /* segments holding samples */
};

struct aipm_sample {
	const struct aipm_line *line;
	const char *text; /* the line as written, valid until the next call */
	size_t len;
	long long offset; /* of the line in the file */
	int segment;
	bool segment_start; /* the first sample of its segment */
};

struct aipm_reader;

/* Open path (a regular file). t may be shared with other readers of the
 * same file (zone and GPU ids then agree) or NULL for the reader's own.
 * Returns 0 or -errno with the message set. */
int aipm_reader_open(const char *path, struct aipm_line_table *t, struct aipm_reader **out);
/* 1: the next sample in *s; 0: the end of the file; -errno on a read
 * error (message set). */
int aipm_reader_next(struct aipm_reader *r, struct aipm_sample *s);
/* A second reader that continues from where r is, with r's segment and
 * ordering state and its table: it reads ahead without moving r. */
int aipm_reader_fork(const struct aipm_reader *r, struct aipm_reader **out);
/* Back to the first line, counts cleared; ids already given stay. */
int aipm_reader_rewind(struct aipm_reader *r);
const struct aipm_reader_stats *aipm_reader_stats(const struct aipm_reader *r);
struct aipm_line_table *aipm_reader_table(struct aipm_reader *r);
void aipm_reader_close(struct aipm_reader *r);

/* Lines skipped for any reason (blank, corrupt, truncated, out of order). */
long long aipm_reader_skipped(const struct aipm_reader_stats *st);

/* The first sample's time in DIR's recording, to turn seconds from the
 * start into a time. -ENODATA (message set) when there is no sample. */
int aipm_recording_start_ts(const char *dir, double *ts);

#endif
