/* cursor.h: a recording's series at chosen instants, in one sequential pass.
 *
 * Phases and logged points are windows whose edges are instants. The
 * cursor walks power_metrics.json once (record/reader.h) and, asked for an
 * instant t, gives every series summed from the start of the recording up
 * to t (series.h): whole intervals as they are, the interval around t cut
 * at t by the same interpolation a window uses. A window [a, b] is then the
 * difference of the instants b and a: the same number `report --from a
 * --to b` gives, in O(1) per edge, whatever the number of windows.
 *
 * Time must run forward through the file: a segment that starts before
 * the one before it ended (a clock set back between two runs) is left out
 * of every instant, and counted, as the summary leaves it out of bounded
 * windows. Instants are asked for in time order (the callers keep a small reorder
 * buffer); an instant earlier than one already passed rereads the file
 * from the start, which is correct but slow, and is counted (rewinds).
 * Memory: the reader's buffer and two runs of series, never the file.
 */
#ifndef AIPM_ANALYSIS_CURSOR_H
#define AIPM_ANALYSIS_CURSOR_H

#include <stdbool.h>

#include "analysis/series.h"
#include "record/reader.h"

/* Every series from the start of the recording up to ts. In g, v is the
 * value, c the seconds covered, n 1 when ts lies inside an interval of
 * that series; span is the same for the sample intervals themselves. */
struct aipm_instant {
	double ts;
	struct aipm_sv span;
	int seg_started; /* segments whose first sample is before ts */
	int seg_ended;   /* segments whose last sample is before ts */
	bool interpolated; /* ts fell strictly between two samples of a segment */
	int nsid;
	struct aipm_sv q[]; /* nsid of them */
};

struct aipm_cursor;
/* Open DIR's power_metrics.json. 0 or -errno (message set). */
int aipm_cursor_open(const char *dir, struct aipm_cursor **out);
/* The same for a samples file named by its path (tests, fuzzing). */
int aipm_cursor_open_file(const char *path, struct aipm_cursor **out);
/* The instant ts (may be +-INFINITY), malloc'd, to aipm_instant_free. */
int aipm_cursor_at(struct aipm_cursor *c, double ts, struct aipm_instant **out);
/* The start of the recording: every series 0, before the first sample. */
struct aipm_instant *aipm_instant_zero(void);
void aipm_instant_free(struct aipm_instant *i);

/* The window between instants a and b (a not after b) as series sums. */
void aipm_window_between(const struct aipm_instant *a, const struct aipm_instant *b, struct aipm_series *w);
/* What the window [a, b] holds, beyond its series. */
struct aipm_window_facts {
	double covered_s; /* seconds segments cover between a and b */
	int segments;     /* segments it overlaps */
	bool interpolated, covered;
	char missing[256]; /* why nothing was measured, when not covered */
};
void aipm_window_facts(struct aipm_cursor *c, const struct aipm_instant *a, const struct aipm_instant *b,
		       struct aipm_window_facts *f);

double aipm_cursor_first_ts(const struct aipm_cursor *c); /* NAN: no sample */
const struct aipm_line_table *aipm_cursor_table(struct aipm_cursor *c);
long long aipm_cursor_rewinds(const struct aipm_cursor *c);
/* Segments left out because they start before the segment before them
 * ended (a clock set back between two `run --append`). */
long long aipm_cursor_backward(const struct aipm_cursor *c);
void aipm_cursor_close(struct aipm_cursor *c);

#endif
