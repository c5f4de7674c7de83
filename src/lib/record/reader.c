/* reader.c: see reader.h. */
#include "reader.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "record/lines.h"

struct aipm_reader {
	char path[4096];
	int fd;
	bool own_fd, own_table;
	struct aipm_lines ls;
	struct aipm_line_table *t;
	struct aipm_date_cache dc;
	struct aipm_line line;
	struct aipm_reader_stats st;
	bool in_segment; /* a sample was accepted since the last marker */
	double last_ts;  /* the last accepted sample's time */
	int segment;     /* ordinal of the segment being read */
};

long long aipm_reader_skipped(const struct aipm_reader_stats *st)
{
	return st->blank + st->corrupt + st->truncated + st->out_of_order;
}

static struct aipm_reader *reader_new(const char *path, struct aipm_line_table *t)
{
	struct aipm_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	snprintf(r->path, sizeof r->path, "%s", path);
	r->fd = -1;
	r->t = t;
	if (!t) {
		r->t = calloc(1, sizeof *r->t);
		r->own_table = true;
		if (!r->t) {
			free(r);
			return NULL;
		}
	}
	return r;
}

int aipm_reader_open(const char *path, struct aipm_line_table *t, struct aipm_reader **out)
{
	struct aipm_reader *r = reader_new(path, t);
	if (!r)
		return aipm_err(-ENOMEM, "out of memory");
	r->fd = aipm_open_regular(path);
	r->own_fd = true;
	int e = r->fd < 0 ? r->fd : aipm_lines_init(&r->ls, r->fd, 0, LLONG_MAX, true);
	if (e < 0) {
		if (e == -ENOMEM)
			aipm_err(e, "out of memory");
		aipm_reader_close(r);
		return e;
	}
	*out = r;
	return 0;
}

int aipm_reader_fork(const struct aipm_reader *r, struct aipm_reader **out)
{
	struct aipm_reader *f = reader_new(r->path, r->t);
	if (!f)
		return aipm_err(-ENOMEM, "out of memory");
	f->fd = r->fd; /* pread only: one descriptor serves both */
	if (aipm_lines_init(&f->ls, f->fd, r->ls.foff + (long long)r->ls.p, LLONG_MAX, true) < 0) {
		aipm_reader_close(f);
		return aipm_err(-ENOMEM, "out of memory");
	}
	f->dc = r->dc;
	f->in_segment = r->in_segment;
	f->last_ts = r->last_ts;
	f->segment = r->segment;
	*out = f;
	return 0;
}

int aipm_reader_rewind(struct aipm_reader *r)
{
	aipm_lines_free(&r->ls);
	if (aipm_lines_init(&r->ls, r->fd, 0, LLONG_MAX, true) < 0)
		return aipm_err(-ENOMEM, "out of memory");
	memset(&r->st, 0, sizeof r->st);
	r->in_segment = false;
	r->last_ts = NAN;
	r->segment = 0;
	return 0;
}

int aipm_reader_next(struct aipm_reader *r, struct aipm_sample *s)
{
	const char *text;
	size_t len;
	bool unterminated;
	long long off;
	int e;
	while ((e = aipm_lines_next(&r->ls, &text, &len, &unterminated, &off)) > 0) {
		if (!text) {
			r->st.corrupt++; /* longer than any line aipm writes */
			continue;
		}
		switch (aipm_line_parse(text, len, r->t, &r->dc, &r->line)) {
		case AIPM_LINE_BLANK: r->st.blank++; continue;
		case AIPM_LINE_CORRUPT: *(unterminated ? &r->st.truncated : &r->st.corrupt) += 1; continue;
		case AIPM_LINE_SEGMENT_END:
			if (r->in_segment)
				r->segment++;
			r->in_segment = false;
			continue;
		case AIPM_LINE_SAMPLE: break;
		}
		if (r->in_segment && !(r->line.ts > r->last_ts)) {
			r->st.out_of_order++;
			continue;
		}
		const struct aipm_line *l = &r->line;
		r->st.samples++;
		r->st.unknown_fields += l->unknown_fields;
		r->st.dropped += l->dropped;
		r->st.edge_samples += l->edge;
		r->st.timestamped += l->timestamped;
		*s = (struct aipm_sample){l, text, len, off, r->segment, !r->in_segment};
		if (!r->in_segment)
			r->st.segments = r->segment + 1;
		r->in_segment = true;
		r->last_ts = l->ts;
		return 1;
	}
	if (e < 0)
		return aipm_err(e, "reading %s: %s", r->path, strerror(-e));
	return 0;
}

const struct aipm_reader_stats *aipm_reader_stats(const struct aipm_reader *r) { return &r->st; }
struct aipm_line_table *aipm_reader_table(struct aipm_reader *r) { return r->t; }

void aipm_reader_close(struct aipm_reader *r)
{
	if (!r)
		return;
	aipm_lines_free(&r->ls);
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	if (r->own_table)
		free(r->t);
	free(r);
}

int aipm_recording_start_ts(const char *dir, double *ts)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, AIPM_FILE_POWER);
	struct aipm_reader *r;
	int e = aipm_reader_open(path, NULL, &r);
	if (e < 0)
		return e;
	struct aipm_sample s;
	e = aipm_reader_next(r, &s);
	if (e > 0)
		*ts = s.line->ts;
	aipm_reader_close(r);
	if (e == 0)
		return aipm_err(-ENODATA, "%s: no sample in the recording", path);
	return e < 0 ? e : 0;
}
