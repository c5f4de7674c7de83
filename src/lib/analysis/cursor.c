/* cursor.c: see cursor.h.
 *
 * State: the sums of the segments already finished (done), the run of the
 * current segment up to the last sample consumed (series.h), and the next
 * sample, read but not consumed. An instant t consumes every sample before
 * t, then adds the part of the interval (last consumed, next) up to t. A
 * counter absent from the next sample is bridged to its next value in the
 * segment, found by a second reader that reads ahead without moving this
 * one (and cached until the counter's value is consumed), so the instant
 * agrees with the parallel summary's bridge.
 *
 * GPU counters with ages (series.h's edge rule) are taken at their own
 * times, which lag the lines': the lines after the next one may still hold
 * a reading from before t, so those are walked too (gpu_partial), with the
 * same step the summary takes, until the counter's time passes t.
 */
#include "cursor.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/summary.h"
#include "error.h"

struct ahead {
	double for_ts; /* the bridge's last_ts it was found for */
	double ts, v;  /* the counter's next value in the segment; NAN: none */
};

/* A GPU counter's next reading in the segment after its bridge's last:
 * the lines between lack it (a GPU unread there) and step nothing. */
struct gpu_next {
	double for_ts;       /* the bridge's last_ts it was found for; NAN: not looked */
	bool none;           /* no reading until the segment ends */
	double at, tau, v, p; /* its line time, counter time, value, shaping power */
};

struct aipm_cursor {
	struct aipm_reader *r;
	struct aipm_line_table *t;
	struct aipm_series done;
	struct aipm_sv span_done;
	struct aipm_run run;
	struct aipm_sample next;
	bool have_next;
	int seg_started, seg_ended;
	double first_ts, last_ts; /* of the recording; last_ts known at the end */
	bool intervals;           /* some segment held two samples */
	long long rewinds, backward;
	struct ahead ahead[AIPM_SID_MAX];
	struct gpu_next gnext[AIPM_SID_MAX];
};

/* The next sample, past any segment that starts before the last sample
 * taken: time windows need time to run forward through the file, and a
 * segment recorded after the clock was set back would put its energy
 * before edges already passed. Such a segment is left out, and counted. */
static int fetch(struct aipm_cursor *c)
{
	int e, skip = -1;
	while ((e = aipm_reader_next(c->r, &c->next)) > 0) {
		const struct aipm_sample *s = &c->next;
		if (s->segment == skip)
			continue;
		if (s->segment_start && (c->run.n || c->seg_started) && !(s->line->ts > c->last_ts)) {
			skip = s->segment;
			c->backward++;
			continue;
		}
		break;
	}
	if (e < 0)
		return e;
	c->have_next = e > 0;
	if (c->have_next && isnan(c->first_ts))
		c->first_ts = c->next.line->ts;
	return 0;
}

static void reset(struct aipm_cursor *c)
{
	aipm_series_clear(&c->done);
	c->span_done = (struct aipm_sv){0, 0, 0};
	aipm_run_init(&c->run);
	c->have_next = false;
	c->seg_started = c->seg_ended = 0;
	c->first_ts = c->last_ts = NAN;
	c->intervals = false;
	c->backward = 0;
	for (int i = 0; i < AIPM_SID_MAX; i++)
		c->ahead[i].for_ts = c->gnext[i].for_ts = NAN;
}

int aipm_cursor_open_file(const char *path, struct aipm_cursor **out)
{
	struct aipm_cursor *c = calloc(1, sizeof *c);
	if (!c)
		return aipm_err(-ENOMEM, "out of memory");
	int e = aipm_reader_open(path, NULL, &c->r);
	if (e < 0) {
		free(c);
		return e;
	}
	c->t = aipm_reader_table(c->r);
	reset(c);
	e = fetch(c);
	if (e < 0) {
		aipm_cursor_close(c);
		return e;
	}
	*out = c;
	return 0;
}

int aipm_cursor_open(const char *dir, struct aipm_cursor **out)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, AIPM_FILE_POWER);
	int e = aipm_cursor_open_file(path, out);
	if (e == -ENOENT)
		return aipm_err(e, "%s: %s. Is %s a recording made by aipm run or AIPowerMeter?", path, strerror(-e),
				dir);
	return e;
}

void aipm_cursor_close(struct aipm_cursor *c)
{
	if (!c)
		return;
	aipm_reader_close(c->r);
	free(c);
}

double aipm_cursor_first_ts(const struct aipm_cursor *c) { return c->first_ts; }
const struct aipm_line_table *aipm_cursor_table(struct aipm_cursor *c) { return c->t; }
long long aipm_cursor_rewinds(const struct aipm_cursor *c) { return c->rewinds; }
long long aipm_cursor_backward(const struct aipm_cursor *c) { return c->backward; }

/* Close the run of the segment that ended. */
static void end_run(struct aipm_cursor *c)
{
	if (!c->run.n)
		return;
	aipm_series_add(&c->done, &c->run.acc);
	c->span_done.v += c->run.span.v;
	c->span_done.c += c->run.span.c;
	c->intervals |= c->run.n > 1;
	c->seg_ended++;
	aipm_run_init(&c->run);
}

static int consume(struct aipm_cursor *c)
{
	if (c->next.segment_start) {
		end_run(c);
		c->seg_started++;
	}
	aipm_run_add(&c->run, c->next.line, c->t, -INFINITY, INFINITY);
	c->last_ts = c->next.line->ts;
	return fetch(c);
}

static bool gpu_counter(const struct aipm_line_table *t, int sid)
{
	if (sid < AIPM_SID_FIXED)
		return false;
	enum aipm_sid_kind k = (enum aipm_sid_kind)t->sid_kind[sid];
	return k == AIPM_SK_GPU_ENERGY || k == AIPM_SK_GPU_ATTRIBUTED;
}

/* Visit the lines after the next one, in its segment, up to line time
 * until, with a second reader that leaves this one where it is; visit
 * returns false once it wants no more. */
static int read_ahead(struct aipm_cursor *c, double until, bool (*visit)(void *ctx, const struct aipm_line *l),
		      void *ctx)
{
	struct aipm_reader *f;
	int e = aipm_reader_fork(c->r, &f);
	if (e < 0)
		return e;
	struct aipm_sample s;
	while ((e = aipm_reader_next(f, &s)) > 0 && !s.segment_start && s.line->ts <= until && visit(ctx, s.line))
		;
	aipm_reader_close(f);
	return e < 0 ? e : 0;
}

struct wanted {
	struct aipm_cursor *c;
	int sid[AIPM_SID_MAX], n;
};

static bool find_values(void *ctx, const struct aipm_line *l)
{
	struct wanted *w = ctx;
	for (int i = 0; i < w->n; i++) {
		double v = aipm_line_sid_value(l, w->c->t, w->sid[i]);
		if (isnan(v))
			continue;
		w->c->ahead[w->sid[i]].ts = l->ts;
		w->c->ahead[w->sid[i]].v = v;
		w->sid[i--] = w->sid[--w->n];
	}
	return w->n > 0;
}

/* The next values, in this segment, of the counters the next sample
 * lacks: read ahead with a second reader, once per gap. */
static int look_ahead(struct aipm_cursor *c, int nsid)
{
	struct wanted w = {.c = c};
	for (int sid = 0; sid < nsid; sid++) {
		const struct aipm_bridge *b = &c->run.br[sid];
		if (isnan(b->last_v) || !aipm_sid_is_counter(c->t, sid) || gpu_counter(c->t, sid) ||
		    !isnan(aipm_line_sid_value(c->next.line, c->t, sid)) || c->ahead[sid].for_ts == b->last_ts)
			continue;
		c->ahead[sid] = (struct ahead){b->last_ts, NAN, NAN};
		w.sid[w.n++] = sid;
	}
	return w.n ? read_ahead(c, INFINITY, find_values, &w) : 0;
}

/* A GPU counter on its way to an instant: the run's bridge and sums,
 * stepped through the lines after the last consumed. */
struct gpu_walk {
	int sid;
	int g;
	bool attributed;
	struct aipm_bridge b;
	struct aipm_sv q;
};

static void gpu_step(struct gpu_walk *w, const struct aipm_line *l, double ts)
{
	const struct aipm_line_gpu *gp = aipm_line_gpu_of(l, w->g);
	long long resets = 0; /* the run counts them when it consumes the line */
	aipm_bridge_step(&w->b, &w->q, &resets, l->ts, aipm_gpu_tau(gp, l->ts),
			 w->attributed ? gp->attributed_j : gp->energy_j, aipm_gpu_shape_power(gp, w->attributed),
			 -INFINITY, ts);
}

/* Once a counter's next reading is known, the lines walked past it are
 * bounded: only a reading older than its line by more than this (no
 * source records one) could still be before the instant. */
#define GPU_WALK_MAX_S 60.0

struct gpu_find {
	int g;
	bool attributed;
	struct gpu_next *n;
};

static bool gpu_reading(const struct aipm_line *l, int g, bool attributed, struct gpu_next *n)
{
	const struct aipm_line_gpu *gp = aipm_line_gpu_of(l, g);
	double v = attributed ? gp->attributed_j : gp->energy_j;
	if (isnan(v))
		return false;
	*n = (struct gpu_next){n->for_ts, false, l->ts, aipm_gpu_tau(gp, l->ts), v,
			       aipm_gpu_shape_power(gp, attributed)};
	return true;
}

static bool find_gpu(void *ctx, const struct aipm_line *l)
{
	struct gpu_find *f = ctx;
	if (!gpu_reading(l, f->g, f->attributed, f->n))
		return true;
	f->n->none = false;
	return false;
}

/* The counter's next reading after the bridge's last, from the next line
 * on: read ahead without a time bound (however long the GPU went unread,
 * as the summary bridges it), once per gap. */
static int next_reading(struct aipm_cursor *c, int sid, int g, bool attributed, const struct gpu_next **out)
{
	struct gpu_next *n = &c->gnext[sid];
	double last = c->run.br[sid].last_ts;
	*out = n;
	if (n->for_ts == last)
		return 0;
	n->for_ts = last;
	n->none = true;
	if (gpu_reading(c->next.line, g, attributed, n)) {
		n->none = false;
		return 0;
	}
	struct gpu_find f = {g, attributed, n};
	int e = read_ahead(c, INFINITY, find_gpu, &f);
	if (e < 0)
		n->for_ts = NAN;
	return e;
}

static void gpu_done(struct aipm_instant *inst, const struct gpu_walk *w)
{
	inst->q[w->sid] = (struct aipm_sv){w->q.v, w->q.c, w->q.n > 0};
}

struct walking {
	struct gpu_walk w[2 * AIPM_FORMAT_MAX_GPUS];
	int n;
	double ts;
	struct aipm_instant *inst;
};

/* Step every walking counter through l; those whose time passed ts are done. */
static bool walk(void *ctx, const struct aipm_line *l)
{
	struct walking *k = ctx;
	for (int i = 0; i < k->n; i++) {
		gpu_step(&k->w[i], l, k->ts);
		if (k->w[i].b.last_ts >= k->ts) {
			gpu_done(k->inst, &k->w[i]);
			k->w[i--] = k->w[--k->n];
		}
	}
	return k->n > 0;
}

/* The GPU counters' part of the instant ts: from the bridge of the last
 * consumed line through the next line, then, for a counter whose time is
 * still before ts, the lines after it in the segment. */
static int gpu_partial(struct aipm_cursor *c, double ts, struct aipm_instant *inst)
{
	const struct aipm_run *r = &c->run;
	struct walking k = {.ts = ts, .inst = inst};
	double until = ts;
	int ng = aipm_line_table_gpus(c->t);
	for (int g = 0; g < ng; g++)
		for (int a = 0; a < 2; a++) {
			int sid = c->t->gpu[g].sid + a;
			if (sid >= inst->nsid || isnan(r->br[sid].last_v))
				continue;
			struct gpu_walk w = {sid, g, a == 1, r->br[sid], inst->q[sid]};
			w.q.n = 0;
			const struct gpu_next *n;
			int e = next_reading(c, sid, g, a == 1, &n);
			if (e < 0)
				return e;
			if (n->none) { /* the counter stopped at its last reading */
				gpu_done(inst, &w);
				continue;
			}
			if (n->tau >= ts) { /* its next reading is past ts: one step */
				long long resets = 0;
				aipm_bridge_step(&w.b, &w.q, &resets, n->at, n->tau, n->v, n->p, -INFINITY, ts);
				gpu_done(inst, &w);
				continue;
			}
			if (n->at + GPU_WALK_MAX_S > until)
				until = n->at + GPU_WALK_MAX_S;
			k.w[k.n++] = w;
		}
	int e = k.n && walk(&k, c->next.line) ? read_ahead(c, until, walk, &k) : 0;
	for (int i = 0; i < k.n; i++) /* the segment ended first: the counter stopped there */
		gpu_done(inst, &k.w[i]);
	return e;
}

/* The part of the interval from the last sample consumed to the next one
 * that lies before ts, added to inst. */
static int partial(struct aipm_cursor *c, double ts, struct aipm_instant *inst)
{
	const struct aipm_run *r = &c->run;
	bool inside = c->have_next && r->n && !c->next.segment_start;
	if (!r->n)
		return 0;
	int e = inside ? look_ahead(c, inst->nsid) : 0;
	if (e == 0 && inside)
		e = gpu_partial(c, ts, inst);
	if (e < 0)
		return e;
	const struct aipm_line *nx = inside ? c->next.line : NULL;
	if (inside) {
		double a = r->last_ts, b = nx->ts;
		aipm_sv_counter(&inst->span, a, b, b - a, -INFINITY, ts);
		inst->span.n = 1;
		inst->interpolated = a < ts && ts < b;
	}
	for (int sid = 0; sid < inst->nsid; sid++) {
		struct aipm_sv *q = &inst->q[sid];
		if (gpu_counter(c->t, sid)) {
			continue; /* gpu_partial */
		} else if (aipm_sid_is_counter(c->t, sid)) {
			const struct aipm_bridge *br = &r->br[sid];
			double nts = NAN, nv = NAN;
			if (inside && !isnan(br->last_v)) {
				nv = aipm_line_sid_value(nx, c->t, sid);
				nts = nx->ts;
				if (isnan(nv)) {
					nts = c->ahead[sid].ts;
					nv = c->ahead[sid].v;
				}
			}
			if (isnan(nv) || nv < br->last_v)
				continue; /* no next value: the counter stopped here */
			aipm_sv_counter(q, br->last_ts, nts, nv - br->last_v, -INFINITY, ts);
			q->n = 1;
		} else if (inside) {
			double pa = r->last_p[sid], pb = aipm_line_sid_value(nx, c->t, sid);
			if (isnan(pa) || isnan(pb))
				continue;
			aipm_sv_power(q, r->last_ts, pa, nx->ts, pb, -INFINITY, ts);
			q->n = 1;
		}
	}
	return 0;
}

static struct aipm_instant *instant_new(int nsid)
{
	struct aipm_instant *i = calloc(1, sizeof *i + (size_t)nsid * sizeof i->q[0]);
	if (i)
		i->nsid = nsid;
	return i;
}

struct aipm_instant *aipm_instant_zero(void)
{
	struct aipm_instant *i = instant_new(0);
	if (i)
		i->ts = -INFINITY;
	return i;
}

void aipm_instant_free(struct aipm_instant *i) { free(i); }

static int rewind_to_start(struct aipm_cursor *c)
{
	c->rewinds++;
	int e = aipm_reader_rewind(c->r);
	if (e < 0)
		return e;
	reset(c);
	return fetch(c);
}

int aipm_cursor_at(struct aipm_cursor *c, double ts, struct aipm_instant **out)
{
	int e = 0;
	if (c->run.n + c->seg_started && ts < c->last_ts)
		e = rewind_to_start(c); /* asked for a time already passed */
	while (!e && c->have_next && c->next.line->ts < ts)
		e = consume(c);
	struct aipm_instant *i = e < 0 ? NULL : instant_new(aipm_line_table_sids(c->t));
	if (!e && !i)
		e = aipm_err(-ENOMEM, "out of memory");
	if (e < 0) {
		free(i);
		return e;
	}
	i->ts = ts;
	for (int sid = 0; sid < i->nsid; sid++) {
		i->q[sid] = (struct aipm_sv){c->done.q[sid].v + c->run.acc.q[sid].v,
					     c->done.q[sid].c + c->run.acc.q[sid].c, 0};
	}
	i->span = (struct aipm_sv){c->span_done.v + c->run.span.v, c->span_done.c + c->run.span.c, 0};
	i->seg_started = c->seg_started;
	/* The current segment is over before ts when what follows is another
	 * segment or the end of the file. */
	i->seg_ended = c->seg_ended + (c->run.n && (!c->have_next || c->next.segment_start));
	e = partial(c, ts, i);
	if (e < 0) {
		free(i);
		return e;
	}
	*out = i;
	return 0;
}

/* A series of the window: the difference of its edges. Touched when its
 * intervals cover some of the window, or, for a window of no length,
 * when the instant lies inside one. */
static struct aipm_sv diff(const struct aipm_instant *a, const struct aipm_instant *b, int sid, bool point)
{
	struct aipm_sv x = sid < a->nsid ? a->q[sid] : (struct aipm_sv){0, 0, 0};
	struct aipm_sv y = sid < b->nsid ? b->q[sid] : (struct aipm_sv){0, 0, 0};
	double c = y.c - x.c;
	bool touched = c > 0 || (point && y.n);
	return (struct aipm_sv){touched ? y.v - x.v : 0, c > 0 ? c : 0, touched};
}

void aipm_window_between(const struct aipm_instant *a, const struct aipm_instant *b, struct aipm_series *w)
{
	bool point = a->ts == b->ts;
	w->nsid = a->nsid > b->nsid ? a->nsid : b->nsid;
	for (int sid = 0; sid < w->nsid; sid++)
		w->q[sid] = diff(a, b, sid, point);
}

void aipm_window_facts(struct aipm_cursor *c, const struct aipm_instant *a, const struct aipm_instant *b,
		       struct aipm_window_facts *f)
{
	double covered = b->span.c - a->span.c;
	f->covered_s = covered > 0 ? covered : 0;
	f->covered = covered > 0 || (a->ts == b->ts && b->span.n);
	f->interpolated = a->interpolated || b->interpolated;
	f->segments = f->covered ? b->seg_started - a->seg_ended : 0;
	f->missing[0] = '\0';
	if (!f->covered) {
		/* Before the end of the file, later samples exist. */
		bool end = !c->have_next;
		long long n = isnan(c->first_ts) ? 0 : 1;
		bool intervals = c->intervals || c->run.n > 1 || !end;
		aipm_window_reason(f->missing, sizeof f->missing, a->ts, b->ts, n, intervals, c->first_ts,
				   end ? c->last_ts : INFINITY);
	}
}
