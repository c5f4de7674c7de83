/* phases.c: phases and logged points as windows (phases.h).
 *
 * Edges reach the cursor in time order: phases.json's through the phase
 * edges of record/sidefiles.h, results_exp.json's through the same small
 * reorder heap (record/reorder.h), so lines a little out of order (two
 * threads logging at once) cost nothing; an edge further back makes the
 * cursor reread from the start (slow, never wrong). Each phase holds its
 * begin instant until its end arrives.
 */
#include "analysis/phases.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "record/names.h"
#include "record/reorder.h"
#include "record/sidefiles.h"

/* A logged point waiting in the reorder heap. */
struct pending_point {
	char *text; /* its metrics */
};

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
};

static struct item *item_of(struct phase_run *p, size_t id)
{
	return &p->q[(p->head + (id - p->head_id)) % p->cap];
}

/* The item of phase id, made (empty) when new: ids are given in begin
 * order in the file, edges arrive in time order. */
static struct item *item_at(struct phase_run *p, size_t id)
{
	while (p->head_id + p->n <= id) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 16;
			struct item *v = malloc(cap * sizeof *v);
			if (!v)
				return NULL;
			for (size_t i = 0; i < p->n; i++)
				v[i] = p->q[(p->head + i) % p->cap];
			free(p->q);
			p->q = v;
			p->head = 0;
			p->cap = cap;
		}
		memset(&p->q[(p->head + p->n++) % p->cap], 0, sizeof *p->q);
	}
	return item_of(p, id);
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
		for (int i = 0; i < AIPM_EST_J_COUNT; i++)
			t->est_j[i] = NAN;
	}
	t->count++;
	t->energy_j = aipm_nadd(t->energy_j, aipm_totals_machine_j(&r->t));
	t->attributed_j = aipm_nadd(t->attributed_j, aipm_totals_attributed_j(&r->t));
	t->duration_s = aipm_nadd(t->duration_s, r->f.covered ? r->f.covered_s : NAN);
	t->cpu_time_s = aipm_nadd(t->cpu_time_s, r->t.cpu_time_s);
	for (int i = 0; i < AIPM_TOTAL_COUNT; i++)
		t->total_j[i] = aipm_nadd(t->total_j[i], r->t.total_j[i]);
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		t->est_j[i] = aipm_nadd(t->est_j[i], r->t.est_j[i]);
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

static int phase_edge(struct phase_run *p, const struct aipm_phase_edge *e)
{
	struct item *it = item_at(p, e->id);
	if (!it)
		return aipm_err(-ENOMEM, "out of memory");
	struct aipm_instant *i;
	int rc = aipm_cursor_at(p->c, e->ts, &i);
	if (rc < 0)
		return rc;
	if (!e->end) {
		snprintf(it->r.name, sizeof it->r.name, "%s", e->name);
		it->r.occurrence = e->occurrence;
		it->r.begin_ts = e->ts;
		it->from = i;
		return 0;
	}
	it->r.end_ts = e->ts;
	it->r.open = e->open;
	measure(p->c, p->w, it->from, i, &it->r.t, &it->r.f);
	aipm_instant_free(it->from);
	aipm_instant_free(i);
	it->from = NULL;
	it->done = true;
	return drain(p);
}

int aipm_phase_report_run(const char *dir, const struct aipm_phase_sink *sink, void *ctx)
{
	struct phase_run p = {.sink = sink, .ctx = ctx};
	struct aipm_phase_edges *edges = NULL;
	int rc = aipm_phase_edges_open(dir, &edges);
	if (!rc && !(p.w = malloc(sizeof *p.w)))
		rc = aipm_err(-ENOMEM, "out of memory");
	if (!rc)
		rc = aipm_cursor_open(dir, &p.c);
	if (!rc) {
		p.start_ts = aipm_cursor_first_ts(p.c);
		sink->begin(ctx, dir, p.start_ts);
	}
	struct aipm_phase_edge e;
	while (!rc && (rc = aipm_phase_edges_next(edges, &e)) > 0)
		rc = phase_edge(&p, &e);
	if (!rc) {
		struct aipm_report_notes notes = {aipm_phase_edges_skipped(edges), aipm_cursor_backward(p.c),
						  aipm_cursor_rewinds(p.c)};
		sink->end(ctx, p.totals, p.names.n, &notes);
	}
	for (size_t k = 0; k < p.n; k++)
		aipm_instant_free(p.q[(p.head + k) % p.cap].from);
	free(p.q);
	free(p.w);
	free(p.totals);
	aipm_names_free(&p.names);
	aipm_cursor_close(p.c);
	aipm_phase_edges_close(edges);
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
	struct aipm_reorder h; /* of struct pending_point */
};

static int point_edge(struct point_run *p)
{
	struct pending_point e;
	double ts = aipm_reorder_pop(&p->h, &e);
	struct aipm_instant *i;
	int rc = aipm_cursor_at(p->c, ts, &i);
	if (rc < 0) {
		free(e.text);
		return rc;
	}
	struct aipm_point_result r = {.index = p->index++, .ts = ts, .metrics_json = e.text};
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
	aipm_reorder_init(&p.h, sizeof(struct pending_point));
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
		struct pending_point pp = {strdup(r.metrics_json)};
		rc = pp.text ? aipm_reorder_push(&p.h, r.ts, &pp) : aipm_err(-ENOMEM, "out of memory");
		if (rc < 0)
			free(pp.text);
		while (!rc && p.h.n > AIPM_PHASE_REORDER)
			rc = point_edge(&p);
	}
	while (!rc && p.h.n)
		rc = point_edge(&p);
	if (!rc) {
		struct aipm_report_notes notes = {aipm_results_skipped(f), aipm_cursor_backward(p.c),
						  aipm_cursor_rewinds(p.c)};
		sink->end(ctx, NULL, 0, &notes);
	}
	while (p.h.n) {
		struct pending_point pp;
		aipm_reorder_pop(&p.h, &pp);
		free(pp.text);
	}
	aipm_reorder_free(&p.h);
	free(p.w);
	aipm_instant_free(p.zero);
	aipm_instant_free(p.prev);
	aipm_cursor_close(p.c);
	aipm_results_close(f);
	return rc;
}
