/* out.h: how the reports write, once: printf in the C locale (a report
 * must not say 1,5 J under a French locale any more than JSON may), into
 * a buffer that a long report flushes to its stream as it grows, so the
 * memory of `report --metrics` does not grow with the points.
 */
#ifndef AIPM_ANALYSIS_OUT_H
#define AIPM_ANALYSIS_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "util.h"

struct aipm_out {
	struct aipm_buf b;
	FILE *f; /* NULL: keep everything in b (the library's JSON readers) */
	int err; /* -errno of a failed write or -ENOMEM */
};

void aipm_out_printf(struct aipm_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aipm_out_puts(struct aipm_out *o, const char *s);
/* Write b out when it holds more than a chunk, or always with force. */
void aipm_out_flush(struct aipm_out *o, bool force);

/* fprintf in the C locale. */
void aipm_cfprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* aipm_buf_printf in the C locale. */
void aipm_buf_cprintf(struct aipm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* JSON members, with ", " before all but the first (*first tracks it).
 * Numbers: null when NAN or infinite (missing is not zero). */
void aipm_json_key(struct aipm_buf *b, const char *k, bool *first);
void aipm_json_num(struct aipm_buf *b, const char *k, double v, bool *first);
void aipm_json_int(struct aipm_buf *b, const char *k, long long v, bool *first);
void aipm_json_bool(struct aipm_buf *b, const char *k, bool v, bool *first);
void aipm_json_str(struct aipm_buf *b, const char *k, const char *v, bool *first); /* NULL: null */
/* A Unix time with its microseconds (%.15g would drop them). */
void aipm_json_ts(struct aipm_buf *b, const char *k, double ts, bool *first);

#endif
