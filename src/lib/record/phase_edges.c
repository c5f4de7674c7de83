/* phase_edges.c: phases.json as time-ordered edges (sidefiles.h).
 *
 * Pairing happens in file order (it is a rule about the lines as written);
 * the edges it yields go through a small min-heap so that the views, which
 * walk the samples in time order, meet them in time order too. The heap
 * holds AIPM_PHASE_REORDER edges: memory does not grow with phases.json.
 */
#include "sidefiles.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "record/reorder.h"

struct aipm_phase_edges {
	struct aipm_phase_file *f;
	struct aipm_phase_pairing *p;
	struct aipm_reorder heap; /* of struct aipm_phase_edge */
	bool eof;
	/* phases open at the end of the file get their +INFINITY ends */
	struct aipm_phase_edge *open;
	size_t nopen, capopen;
};

static int push(struct aipm_phase_edges *h, const struct aipm_phase_edge *e)
{
	return aipm_reorder_push(&h->heap, e->ts, e);
}

int aipm_phase_edges_open(const char *dir, struct aipm_phase_edges **out)
{
	struct aipm_phase_edges *h = calloc(1, sizeof *h);
	if (!h)
		return aipm_err(-ENOMEM, "out of memory");
	aipm_reorder_init(&h->heap, sizeof(struct aipm_phase_edge));
	int e = aipm_phase_file_open(dir, &h->f);
	if (!e)
		e = aipm_phase_pairing_new(&h->p);
	if (e < 0) {
		aipm_phase_edges_close(h);
		return e;
	}
	*out = h;
	return 0;
}

/* Remember an open phase (by id) until it closes or the file ends. */
static int note_open(struct aipm_phase_edges *h, const struct aipm_phase_edge *e, bool open)
{
	if (!open) {
		for (size_t i = 0; i < h->nopen; i++)
			if (h->open[i].id == e->id) {
				h->open[i] = h->open[--h->nopen];
				break;
			}
		return 0;
	}
	if (h->nopen == h->capopen) {
		size_t cap = h->capopen ? h->capopen * 2 : 16;
		void *v = realloc(h->open, cap * sizeof *h->open);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		h->open = v;
		h->capopen = cap;
	}
	h->open[h->nopen++] = *e;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct aipm_phase_edge *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Read lines until the heap is deep enough or the file ends. */
static int fill(struct aipm_phase_edges *h)
{
	while (!h->eof && h->heap.n <= AIPM_PHASE_REORDER) {
		struct aipm_phase_event ev;
		int e = aipm_phase_file_next(h->f, &ev);
		if (e < 0)
			return e;
		if (e == 0) {
			h->eof = true;
			/* never ended: an end after everything, in begin order */
			if (h->nopen)
				qsort(h->open, h->nopen, sizeof *h->open, cmp_id);
			for (size_t i = 0; i < h->nopen; i++) {
				struct aipm_phase_edge x = h->open[i];
				x.ts = INFINITY;
				x.end = x.open = true;
				if ((e = push(h, &x)) < 0)
					return e;
			}
			h->nopen = 0;
			break;
		}
		struct aipm_phase_step st;
		if ((e = aipm_phase_pair(h->p, &ev, &st)) < 0)
			return e;
		if (st.kind == AIPM_PHASE_REFUSED)
			continue;
		struct aipm_phase_edge x = {ev.ts, st.id, st.occurrence, st.kind == AIPM_PHASE_CLOSED, false, ""};
		memcpy(x.name, ev.name, sizeof x.name);
		if ((e = note_open(h, &x, st.kind == AIPM_PHASE_OPENED)) < 0 || (e = push(h, &x)) < 0)
			return e;
	}
	return 0;
}

int aipm_phase_edges_next(struct aipm_phase_edges *h, struct aipm_phase_edge *out)
{
	int e = fill(h);
	if (e < 0)
		return e;
	if (!h->heap.n)
		return 0;
	aipm_reorder_pop(&h->heap, out);
	return 1;
}

long long aipm_phase_edges_skipped(const struct aipm_phase_edges *h)
{
	return aipm_phase_file_skipped(h->f) + aipm_phase_pairing_refused(h->p);
}

void aipm_phase_edges_close(struct aipm_phase_edges *h)
{
	if (!h)
		return;
	aipm_phase_file_close(h->f);
	aipm_phase_pairing_free(h->p);
	aipm_reorder_free(&h->heap);
	free(h->open);
	free(h);
}
