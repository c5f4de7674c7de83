/* phases.c: phases and logged points as windows (phases.h).
 *
 * Side-file records are read in file order; their edges go through a small
 * min-heap (REORDER edges deep) so that edges a little out of time order
 * (two threads logging at once) still reach the cursor in time order; an
 * edge further back makes the cursor reread from the start (slow, never
 * wrong). Each phase holds its begin instant until its end arrives.
 */
#include "analysis/phases.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "record/names.h"
#include "record/sidefiles.h"

#define REORDER 64

struct edge {
	double ts;
	long long seq; /* file order breaks ties: a begin before its end */
	size_t id;
	bool end;
	char *text; /* a point's metrics */
};

struct heap {
	struct edge *v;
	size_t n, cap;
	long long seq;
};

static bool before(const struct edge *a, const struct edge *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static int heap_push(struct heap *h, struct edge e)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : REORDER * 2;
		struct edge *v = realloc(h->v, cap * sizeof *v);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		h->v = v;
		h->cap = cap;
	}
	e.seq = h->seq++;
	size_t i = h->n++;
	while (i && before(&e, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = e;
	return 0;
}

static struct edge heap_pop(struct heap *h)
{
	struct edge top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

static void heap_free(struct heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].text);
	free(h->v);
}

/* ---- phases ---- */

struct item {
	struct aipm_phase_result r;
	struct aipm_instant *from;
	bool done;
};

struct phase_run {
	struct aipm_cursor *c;
	const struct aipm_phase_sink *sink;
	void *ctx;
	double start_ts;
	/* items not yet written, in id order: ids head_id .. head_id + n - 1 */
	struct item *q;
	size_t head, n, cap, head_id;
	struct aipm_names names;
	struct aipm_phase_total *totals; /* per name, in first-seen order */
	size_t tcap;
	struct aipm_series *w;
	struct heap h;
};

static struct item *item_of(struct phase_run *p, size_t id)
{
	return &p->q[(p->head + (id - p->head_id)) % p->cap];
}

static int item_push(struct phase_run *p, const char *name, int occurrence, double ts)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct item *v = malloc(cap * sizeof *v);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		for (size_t i = 0; i < p->n; i++)
			v[i] = p->q[(p->head + i) % p->cap];
		free(p->q);
		p->q = v;
		p->head = 0;
		p->cap = cap;
	}
	struct item *it = &p->q[(p->head + p->n++) % p->cap];
	memset(it, 0, sizeof *it);
	snprintf(it->r.name, sizeof it->r.name, "%s", name);
	it->r.occurrence = occurrence;
	it->r.begin_ts = ts;
	it->r.end_ts = INFINITY;
	it->r.open = true;
	return 0;
}

static int total_add(struct phase_run *p, const struct aipm_phase_result *r)
{
	size_t known = p->names.n;
	long k = aipm_names_find(&p->names, r->name, true);
	if (k < 0)
		return aipm_err(-ENOMEM, "out of memory");
	if ((size_t)k >= p->tcap) {
		size_t cap = p->tcap ? p->tcap * 2 : 16;
		void *v = realloc(p->totals, cap * sizeof *p->totals);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		p->totals = v;
		p->tcap = cap;
	}
	struct aipm_phase_total *t = &p->totals[k];
	if (p->names.n > known) {
		memset(t, 0, sizeof *t);
		snprintf(t->name, sizeof t->name, "%s", r->name);
		t->energy_j = t->attributed_j = t->duration_s = t->cpu_time_s = NAN;
		for (int i = 0; i < AIPM_TOTAL_COUNT; i++)
			t->total_j[i] = NAN;
	}
	t->count++;
	t->energy_j = aipm_nadd(t->energy_j, aipm_totals_machine_j(&r->t));
	t->attributed_j = aipm_nadd(t->attributed_j, aipm_totals_attributed_j(&r->t));
	t->duration_s = aipm_nadd(t->duration_s, r->f.covered ? r->f.covered_s : NAN);
	t->cpu_time_s = aipm_nadd(t->cpu_time_s, r->t.cpu_time_s);
	for (int i = 0; i < AIPM_TOTAL_COUNT; i++)
		t->total_j[i] = aipm_nadd(t->total_j[i], r->t.total_j[i]);
	return 0;
}

/* Write the finished items at the head, in begin order. */
static int drain(struct phase_run *p)
{
	while (p->n && p->q[p->head].done) {
		struct item *it = &p->q[p->head];
		p->sink->phase(p->ctx, &it->r, p->start_ts);
		int e = total_add(p, &it->r);
		if (e < 0)
			return e;
		p->head = (p->head + 1) % p->cap;
		p->n--;
		p->head_id++;
	}
	return 0;
}

/* A window's totals and facts from its two instants (w: scratch). */
static void measure(struct aipm_cursor *c, struct aipm_series *w, const struct aipm_instant *a,
		    const struct aipm_instant *b, struct aipm_totals *t, struct aipm_window_facts *f)
{
	aipm_window_between(a, b, w);
	aipm_series_derive(w, aipm_cursor_table(c), t, NULL);
	aipm_window_facts(c, a, b, f);
}

static int phase_edge(struct phase_run *p, struct edge e)
{
	struct item *it = item_of(p, e.id);
	struct aipm_instant *i;
	int rc = aipm_cursor_at(p->c, e.ts, &i);
	if (rc < 0)
		return rc;
	if (!e.end) {
		it->from = i;
		return 0;
	}
	measure(p->c, p->w, it->from, i, &it->r.t, &it->r.f);
	aipm_instant_free(it->from);
	aipm_instant_free(i);
	it->from = NULL;
	it->done = true;
	return drain(p);
}

static int phase_events(struct phase_run *p, struct aipm_phase_file *f, struct aipm_phase_pairing *pp)
{
	struct aipm_phase_event ev;
	struct aipm_phase_step st;
	int rc;
	while ((rc = aipm_phase_file_next(f, &ev)) > 0) {
		if ((rc = aipm_phase_pair(pp, &ev, &st)) < 0)
			return rc;
		if (st.kind == AIPM_PHASE_OPENED) {
			rc = item_push(p, ev.name, st.occurrence, ev.ts);
			if (!rc)
				rc = heap_push(&p->h, (struct edge){ev.ts, 0, st.id, false, NULL});
		} else if (st.kind == AIPM_PHASE_CLOSED) {
			struct item *it = item_of(p, st.id);
			it->r.end_ts = ev.ts;
			it->r.open = false;
			rc = heap_push(&p->h, (struct edge){ev.ts, 0, st.id, true, NULL});
		}
		while (!rc && p->h.n > REORDER)
			rc = phase_edge(p, heap_pop(&p->h));
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	/* Phases never ended run to the end of the recording. */
	for (size_t k = 0; k < p->n; k++) {
		struct item *it = &p->q[(p->head + k) % p->cap];
		if (it->r.open && (rc = heap_push(&p->h, (struct edge){INFINITY, 0, p->head_id + k, true, NULL})) < 0)
			return rc;
	}
	while (p->h.n)
		if ((rc = phase_edge(p, heap_pop(&p->h))) < 0)
			return rc;
	return 0;
}

int aipm_phase_report_run(const char *dir, const struct aipm_phase_sink *sink, void *ctx)
{
	struct phase_run p = {.sink = sink, .ctx = ctx};
	struct aipm_phase_file *f = NULL;
	struct aipm_phase_pairing *pp = NULL;
	int rc = aipm_phase_file_open(dir, &f);
	if (!rc)
		rc = aipm_phase_pairing_new(&pp);
	if (!rc && !(p.w = malloc(sizeof *p.w)))
		rc = aipm_err(-ENOMEM, "out of memory");
	if (!rc)
		rc = aipm_cursor_open(dir, &p.c);
	if (!rc) {
		p.start_ts = aipm_cursor_first_ts(p.c);
		sink->begin(ctx, dir, p.start_ts);
		rc = phase_events(&p, f, pp);
	}
	if (!rc) {
		struct aipm_report_notes notes = {aipm_phase_file_skipped(f) + aipm_phase_pairing_refused(pp),
						  aipm_cursor_backward(p.c), aipm_cursor_rewinds(p.c)};
		sink->end(ctx, p.totals, p.names.n, &notes);
	}
	for (size_t k = 0; k < p.n; k++)
		aipm_instant_free(p.q[(p.head + k) % p.cap].from);
	free(p.q);
	free(p.w);
	free(p.totals);
	aipm_names_free(&p.names);
	heap_free(&p.h);
	aipm_cursor_close(p.c);
	aipm_phase_pairing_free(pp);
	aipm_phase_file_close(f);
	return rc;
}

/* ---- logged points ---- */

struct point_run {
	struct aipm_cursor *c;
	const struct aipm_phase_sink *sink;
	void *ctx;
	double start_ts;
	struct aipm_instant *zero, *prev;
	long long index;
	struct aipm_series *w;
	struct heap h;
};

static int point_edge(struct point_run *p, struct edge e)
{
	struct aipm_instant *i;
	int rc = aipm_cursor_at(p->c, e.ts, &i);
	if (rc < 0) {
		free(e.text);
		return rc;
	}
	struct aipm_point_result r = {.index = p->index++, .ts = e.ts, .metrics_json = e.text};
	measure(p->c, p->w, p->zero, i, &r.from_start, &r.f_start);
	measure(p->c, p->w, p->prev ? p->prev : p->zero, i, &r.since_prev, &r.f_prev);
	p->sink->point(p->ctx, &r, p->start_ts);
	free(e.text);
	aipm_instant_free(p->prev);
	p->prev = i;
	return 0;
}

int aipm_metric_report_run(const char *dir, const struct aipm_phase_sink *sink, void *ctx)
{
	struct point_run p = {.sink = sink, .ctx = ctx};
	struct aipm_results_file *f = NULL;
	int rc = aipm_results_open(dir, &f);
	if (!rc)
		rc = aipm_cursor_open(dir, &p.c);
	if (!rc && (!(p.zero = aipm_instant_zero()) || !(p.w = malloc(sizeof *p.w))))
		rc = aipm_err(-ENOMEM, "out of memory");
	if (!rc) {
		p.start_ts = aipm_cursor_first_ts(p.c);
		sink->begin(ctx, dir, p.start_ts);
	}
	struct aipm_result r;
	while (!rc && (rc = aipm_results_next(f, &r)) > 0) {
		char *text = strdup(r.metrics_json);
		rc = text ? heap_push(&p.h, (struct edge){r.ts, 0, 0, false, text}) : aipm_err(-ENOMEM, "out of memory");
		if (rc < 0)
			free(text);
		while (!rc && p.h.n > REORDER)
			rc = point_edge(&p, heap_pop(&p.h));
	}
	while (!rc && p.h.n)
		rc = point_edge(&p, heap_pop(&p.h));
	if (!rc) {
		struct aipm_report_notes notes = {aipm_results_skipped(f), aipm_cursor_backward(p.c),
						  aipm_cursor_rewinds(p.c)};
		sink->end(ctx, NULL, 0, &notes);
	}
	heap_free(&p.h);
	free(p.w);
	aipm_instant_free(p.zero);
	aipm_instant_free(p.prev);
	aipm_cursor_close(p.c);
	aipm_results_close(f);
	return rc;
}
