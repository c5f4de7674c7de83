/* reorder.c: see reorder.h. A binary heap of (time, file order, payload). */
#include "reorder.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct head {
	double ts;
	long long seq;
};

#define HEAD sizeof(struct head)

void aipm_reorder_init(struct aipm_reorder *r, size_t payload)
{
	memset(r, 0, sizeof *r);
	r->size = HEAD + (payload + 7) / 8 * 8;
}

static struct head *at(const struct aipm_reorder *r, size_t i) { return (struct head *)(r->v + i * r->size); }

static bool before(const struct head *a, const struct head *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

int aipm_reorder_push(struct aipm_reorder *r, double ts, const void *payload)
{
	/* one spare slot past n is the scratch of push and pop */
	if (r->n + 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 128;
		void *v = realloc(r->v, cap * r->size);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	struct head *x = at(r, r->cap - 1);
	x->ts = ts;
	x->seq = r->seq++;
	memcpy(x + 1, payload, r->size - HEAD);
	size_t i = r->n++;
	while (i && before(x, at(r, (i - 1) / 2))) {
		memcpy(at(r, i), at(r, (i - 1) / 2), r->size);
		i = (i - 1) / 2;
	}
	memcpy(at(r, i), x, r->size);
	return 0;
}

double aipm_reorder_pop(struct aipm_reorder *r, void *payload)
{
	struct head *top = at(r, 0);
	double ts = top->ts;
	memcpy(payload, top + 1, r->size - HEAD);
	struct head *last = at(r, r->cap - 1);
	memcpy(last, at(r, --r->n), r->size);
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= r->n)
			break;
		if (c + 1 < r->n && before(at(r, c + 1), at(r, c)))
			c++;
		if (!before(at(r, c), last))
			break;
		memcpy(at(r, i), at(r, c), r->size);
		i = c;
	}
	if (r->n)
		memcpy(at(r, i), last, r->size);
	return ts;
}

void aipm_reorder_free(struct aipm_reorder *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}
