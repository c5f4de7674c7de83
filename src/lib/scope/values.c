/* values.c: see values.h. Lifetime and lookups of the scopes' part of a
 * snapshot; nothing here reads a file. */
#include "scope/values.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

static const char *const omit_names[AIPM_SCOPE_OMIT_COUNT] = {"bound", "nested", "unreadable"};

const char *aipm_scope_omit_name(enum aipm_scope_omit k) { return k < AIPM_SCOPE_OMIT_COUNT ? omit_names[k] : "?"; }

/* v's scalars from src (zero when NULL), its own arrays kept, the lists empty. */
static void reset_keeping_arrays(struct aipm_scope_values *v, const struct aipm_scope_values *src)
{
	struct aipm_scope_values keep = *v;
	if (src)
		*v = *src;
	else
		memset(v, 0, sizeof *v);
	v->exp_pids = keep.exp_pids;
	v->exp_pids_cap = keep.exp_pids_cap;
	v->v = keep.v;
	v->cap = keep.cap;
	v->pids = keep.pids;
	v->pids_cap = keep.pids_cap;
	v->nexp_pids = v->n = v->npids = 0;
}

void aipm_scope_values_clear(struct aipm_scope_values *v) { reset_keeping_arrays(v, NULL); }

static int copy_array(void **dst, size_t *cap, size_t *n, const void *src, size_t count, size_t size)
{
	if (aipm_grow(dst, cap, count, size) < 0)
		return -ENOMEM;
	if (count)
		memcpy(*dst, src, count * size);
	*n = count;
	return 0;
}

int aipm_scope_values_copy(struct aipm_scope_values *dst, const struct aipm_scope_values *src)
{
	reset_keeping_arrays(dst, src);
	if (copy_array((void **)&dst->exp_pids, &dst->exp_pids_cap, &dst->nexp_pids, src->exp_pids, src->nexp_pids,
		       sizeof *src->exp_pids) < 0 ||
	    copy_array((void **)&dst->v, &dst->cap, &dst->n, src->v, src->n, sizeof *src->v) < 0 ||
	    copy_array((void **)&dst->pids, &dst->pids_cap, &dst->npids, src->pids, src->npids, sizeof *src->pids) < 0)
		return -ENOMEM;
	return 0;
}

void aipm_scope_values_free(struct aipm_scope_values *v)
{
	free(v->exp_pids);
	free(v->v);
	free(v->pids);
	memset(v, 0, sizeof *v);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

bool aipm_scope_values_exp_has(const struct aipm_scope_values *v, pid_t pid)
{
	return pid > 0 && v->nexp_pids && bsearch(&pid, v->exp_pids, v->nexp_pids, sizeof *v->exp_pids, cmp_pid);
}

static int cmp_scope_pid(const void *k, const void *e)
{
	pid_t x = *(const pid_t *)k, y = ((const struct aipm_scope_pid *)e)->pid;
	return (x > y) - (x < y);
}

long aipm_scope_values_scope_of(const struct aipm_scope_values *v, pid_t pid)
{
	if (pid <= 0 || !v->npids)
		return -1;
	const struct aipm_scope_pid *p = bsearch(&pid, v->pids, v->npids, sizeof *v->pids, cmp_scope_pid);
	return p ? (long)p->scope : -1;
}
