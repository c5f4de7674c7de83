/* cgroup_set.c: scopes measured beside the machine, for `aipm serve
 * --cgroups GLOB`, `--slurm`, `--containers`: every cgroup of the asked
 * sets, each with its own CPU time (and memory where the controller is
 * enabled), so attribution (attrib_scopes.c) gives each its share of the
 * machine's energy.
 *
 * The sets are enumerated at open and then every rescan_s (default 5 s),
 * never at each sample: a walk of the hierarchy costs milliseconds on a
 * busy node, a sample of a thousand kept cpu.stat fds about one. Between
 * two enumerations a new job is not seen yet (its first seconds are not
 * attributed to it, never more than its share); a removed one reads ENODEV
 * at once and leaves the list.
 *
 * Bounds and overlaps: the union of the sets is taken in sorted path
 * order, a scope inside another listed scope is dropped (its processes are
 * counted there: summing the list never counts anything twice), and past
 * `max` scopes the rest are left out. Both are counted in the snapshot
 * (omitted[]) so the exporter says how many and why.
 *
 * Members (for GPU attribution) are read only when the catalog has GPUs:
 * a scope's totals need its cpu.stat alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_priv.h"
#include "error.h"
#include "util.h"

struct entry {
	struct aipm_cgroup_scope *s; /* NULL once removed, until the next rescan */
	struct aipm_scope labels;
	uint64_t key;
	bool mem_valid;              /* held between slow-tier reads */
	uint64_t mem_bytes;
};

struct cgset {
	const struct aipm_scope_query *q;
	size_t nq, max;
	double rescan_s, next_rescan_s;
	struct entry *e; /* sorted by path */
	size_t n, cap;
	size_t *order;   /* indices of e sorted by key: the snapshot's order */
	size_t omitted[AIPM_SCOPE_OMIT_COUNT];
	pid_t *pids;
	size_t pids_cap;
	uint64_t rescans;
};

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct aipm_scope *)a)->cgroup, ((const struct aipm_scope *)b)->cgroup);
}

static int append(struct aipm_scope_list *l, const struct aipm_scope *v)
{
	if (aipm_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) < 0)
		return aipm_err(-ENOMEM, "out of memory listing cgroup scopes");
	l->v[l->n++] = *v;
	return 0;
}

/* Every set's scopes, sorted by path without repeats. */
static int list_all(struct cgsrc *c, struct aipm_scope_list *all, size_t *left_out)
{
	struct cgset *s = c->set;
	*left_out = 0;
	for (size_t i = 0; i < s->nq; i++) {
		struct aipm_scope_query q = s->q[i];
		q.max = s->max;
		struct aipm_scope_list l = {0};
		int r = aipm_scope_enumerate(&c->fs, &q, &l);
		for (size_t k = 0; r == 0 && k < l.n; k++)
			r = append(all, &l.v[k]);
		*left_out += l.left_out;
		aipm_scope_list_free(&l);
		if (r < 0)
			return r;
	}
	if (all->n)
		qsort(all->v, all->n, sizeof *all->v, by_path);
	size_t k = 0;
	for (size_t i = 0; i < all->n; i++)
		if (!k || strcmp(all->v[k - 1].cgroup, all->v[i].cgroup))
			all->v[k++] = all->v[i];
	all->n = k;
	return 0;
}

/* keep[i]: v[i] lies inside no other kept scope. Ancestors sort before
 * their descendants, so each ancestor's verdict is final when asked. The
 * root cgroup holds everything: listed, it is the only scope. */
static size_t drop_nested(const struct aipm_scope_list *all, bool *keep)
{
	bool root = all->n && !strcmp(all->v[0].cgroup, "/");
	size_t dropped = 0;
	for (size_t i = 0; i < all->n; i++) {
		keep[i] = !root || i == 0;
		char anc[AIPM_CGROUP_PATH_MAX];
		snprintf(anc, sizeof anc, "%s", all->v[i].cgroup);
		for (char *slash = strrchr(anc, '/'); keep[i] && slash && slash > anc; slash = strrchr(anc, '/')) {
			*slash = '\0';
			struct aipm_scope key;
			snprintf(key.cgroup, sizeof key.cgroup, "%s", anc);
			const struct aipm_scope *a = bsearch(&key, all->v, all->n, sizeof *all->v, by_path);
			if (a && keep[a - all->v])
				keep[i] = false;
		}
		dropped += !keep[i];
	}
	return dropped;
}

static void close_entry(struct entry *e)
{
	aipm_cgroup_scope_close(e->s);
	e->s = NULL;
}

static int open_entry(struct cgsrc *c, struct entry *e, const struct aipm_scope *labels)
{
	struct aipm_cgroup_scope_opts o;
	aipm_cgroup_scope_opts_init(&o);
	o.files = AIPM_CGROUP_READ_CPU | AIPM_CGROUP_READ_MEMORY;
	memset(e, 0, sizeof *e);
	e->labels = *labels;
	int r = aipm_cgroup_scope_open(&c->fs, labels->cgroup, &o, &e->s);
	if (r == 0)
		e->key = aipm_cgroup_scope_id(e->s);
	return r;
}

struct key_idx {
	uint64_t key;
	size_t idx;
};

static int by_key(const void *a, const void *b)
{
	uint64_t x = ((const struct key_idx *)a)->key, y = ((const struct key_idx *)b)->key;
	return (x > y) - (x < y);
}

/* order[]: the entries by key, the order of the snapshot's list. */
static int sort_order(struct cgset *s)
{
	struct key_idx *t = calloc(s->n ? s->n : 1, sizeof *t);
	if (!t)
		return aipm_err(-ENOMEM, "out of memory listing %zu cgroup scopes", s->n);
	for (size_t x = 0; x < s->n; x++)
		t[x] = (struct key_idx){s->e[x].key, x};
	qsort(t, s->n, sizeof *t, by_key);
	for (size_t x = 0; x < s->n; x++)
		s->order[x] = t[x].idx;
	free(t);
	return 0;
}

/* Reconcile the open scopes with a new list (both sorted by path): keep
 * what stays, close what went, open what came. */
static int reconcile(struct cgsrc *c, const struct aipm_scope_list *all, const bool *keep, size_t n_keep)
{
	struct cgset *s = c->set;
	struct entry *ne = calloc(n_keep ? n_keep : 1, sizeof *ne);
	size_t *order = calloc(n_keep ? n_keep : 1, sizeof *order);
	if (!ne || !order) {
		free(ne);
		free(order);
		return aipm_err(-ENOMEM, "out of memory listing %zu cgroup scopes", n_keep);
	}
	size_t i = 0, k = 0;
	s->omitted[AIPM_SCOPE_OMIT_UNREADABLE] = 0;
	for (size_t j = 0; j < all->n && k < n_keep; j++) {
		if (!keep[j])
			continue;
		const struct aipm_scope *l = &all->v[j];
		while (i < s->n && strcmp(s->e[i].labels.cgroup, l->cgroup) < 0)
			close_entry(&s->e[i++]);
		if (i < s->n && !strcmp(s->e[i].labels.cgroup, l->cgroup) && s->e[i].s) {
			ne[k] = s->e[i++];
			ne[k++].labels = *l;
			continue;
		}
		if (i < s->n && !strcmp(s->e[i].labels.cgroup, l->cgroup))
			i++; /* removed since, listed again: made anew */
		if (open_entry(c, &ne[k], l) == 0)
			k++;
		else
			s->omitted[AIPM_SCOPE_OMIT_UNREADABLE]++; /* vanished since the listing, or out of fds */
	}
	while (i < s->n)
		close_entry(&s->e[i++]);
	free(s->e);
	free(s->order);
	s->e = ne;
	s->n = s->cap = k;
	s->order = order;
	return sort_order(s);
}

static int rescan(struct cgsrc *c)
{
	struct cgset *s = c->set;
	struct aipm_scope_list all = {0};
	size_t left_out = 0;
	int r = list_all(c, &all, &left_out);
	bool *keep = r == 0 ? calloc(all.n ? all.n : 1, sizeof *keep) : NULL;
	if (r == 0 && !keep)
		r = aipm_err(-ENOMEM, "out of memory listing cgroup scopes");
	if (r == 0) {
		s->omitted[AIPM_SCOPE_OMIT_NESTED] = drop_nested(&all, keep);
		size_t n_keep = 0;
		for (size_t j = 0; j < all.n; j++) {
			if (keep[j] && n_keep == s->max)
				keep[j] = false, left_out++;
			n_keep += keep[j];
		}
		s->omitted[AIPM_SCOPE_OMIT_BOUND] = left_out;
		r = reconcile(c, &all, keep, n_keep);
		s->rescans++;
	}
	free(keep);
	aipm_scope_list_free(&all);
	return r;
}

int aipm_cgset_open(struct cgsrc *c, const struct aipm_scope_config *cfg, double now_s)
{
	struct cgset *s = calloc(1, sizeof *s);
	if (!s)
		return aipm_err(-ENOMEM, "out of memory opening the cgroup scopes");
	c->set = s;
	s->q = cfg->sets;
	s->nq = cfg->nsets;
	s->max = cfg->max ? cfg->max : AIPM_SCOPES_MAX_DEFAULT;
	s->rescan_s = cfg->rescan_s > 0 ? cfg->rescan_s : AIPM_SCOPES_RESCAN_S;
	int r = rescan(c);
	if (r < 0)
		return r;
	s->next_rescan_s = now_s; /* the first sample sets the clock */
	aipm_source_set(&c->base, true, "", "%zu cgroup scope(s) beside the machine, listed again every %g s (at "
					    "most %zu); %s",
			s->n, s->rescan_s, s->max, c->fs.describe);
	return 0;
}

/* Members of every scope, for GPU attribution: (pid, scope) sorted by pid. */
static int add_pids(struct cgsrc *c, struct entry *e, uint32_t idx, struct aipm_scope_values *sv)
{
	size_t n = 0;
	int r = aipm_cgsrc_members(e->s, &c->set->pids, &c->set->pids_cap, &n);
	if (r < 0)
		return r;
	if (aipm_grow((void **)&sv->pids, &sv->pids_cap, sv->npids + n, sizeof *sv->pids) < 0)
		return aipm_err(-ENOMEM, "out of memory for the members of %zu scopes", c->set->n);
	for (size_t k = 0; k < n; k++)
		sv->pids[sv->npids++] = (struct aipm_scope_pid){.pid = c->set->pids[k], .scope = idx};
	return 0;
}

static int by_scope_pid(const void *a, const void *b)
{
	pid_t x = ((const struct aipm_scope_pid *)a)->pid, y = ((const struct aipm_scope_pid *)b)->pid;
	return (x > y) - (x < y);
}

/* A pid listed twice (it moved between two scopes while they were read)
 * keeps its first scope: never two shares of one process. */
static void sort_pids(struct aipm_scope_values *sv)
{
	if (sv->npids)
		qsort(sv->pids, sv->npids, sizeof *sv->pids, by_scope_pid);
	size_t k = 0;
	for (size_t i = 0; i < sv->npids; i++)
		if (!k || sv->pids[k - 1].pid != sv->pids[i].pid)
			sv->pids[k++] = sv->pids[i];
	sv->npids = k;
}

int aipm_cgset_sample(struct cgsrc *c, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct cgset *s = c->set;
	double now = aipm_ts_to_s(&ctx->mono);
	int err = 0;
	if (ctx->seq == 0)
		s->next_rescan_s = now + s->rescan_s; /* listed at open */
	else if (now >= s->next_rescan_s - 1e-6) {
		s->next_rescan_s = now + s->rescan_s;
		err = rescan(c); /* on failure the previous list stands */
	}
	struct aipm_scope_values *sv = &snap->scope;
	sv->enabled = true;
	memcpy(sv->omitted, s->omitted, sizeof sv->omitted);
	if (aipm_grow((void **)&sv->v, &sv->cap, s->n, sizeof *sv->v) < 0)
		return aipm_err(-ENOMEM, "out of memory for %zu scopes", s->n);
	bool want_pids = snap->cat->ndevices > 0;
	unsigned what = AIPM_CGROUP_READ_CPU | (ctx->slow ? AIPM_CGROUP_READ_MEMORY : 0);
	for (size_t x = 0; x < s->n; x++) {
		struct entry *e = &s->e[s->order[x]];
		struct aipm_cgroup_stat st;
		if (!e->s)
			continue;
		int r = aipm_cgroup_scope_read(e->s, what, &st);
		if (r == -ENODEV) {
			close_entry(e); /* the job ended: its series stop now */
			continue;
		}
		struct aipm_scope_value *v = &sv->v[sv->n];
		memset(v, 0, sizeof *v);
		v->key = e->key;
		v->labels = e->labels;
		v->cpu_valid = r == 0;
		v->cpu_ns = st.usage_usec * 1000u;
		if (r == 0 && ctx->slow) {
			e->mem_valid = st.have_memory_stat;
			e->mem_bytes = st.mem_anon_bytes + st.mem_shmem_bytes + (st.have_mem_kernel ? st.mem_kernel_bytes : 0);
		}
		v->mem_valid = e->mem_valid;
		v->mem_bytes = e->mem_bytes;
		if (r < 0)
			err = r;
		else if (want_pids)
			v->pids_valid = add_pids(c, e, (uint32_t)sv->n, sv) == 0;
		sv->n++;
	}
	if (want_pids)
		sort_pids(sv);
	return err;
}

void aipm_cgset_describe(struct cgsrc *c, struct aipm_buf *b)
{
	struct cgset *s = c->set;
	aipm_buf_printf(b, ", \"scopes\": %zu, \"max_scopes\": %zu, \"rescan_s\": ", s->n, s->max);
	aipm_buf_double(b, s->rescan_s);
	aipm_buf_puts(b, ", \"omitted\": {");
	for (int k = 0; k < AIPM_SCOPE_OMIT_COUNT; k++)
		aipm_buf_printf(b, "%s\"%s\": %zu", k ? ", " : "", aipm_scope_omit_name((enum aipm_scope_omit)k),
				s->omitted[k]);
	aipm_buf_puts(b, "}");
}

void aipm_cgset_close(struct cgsrc *c)
{
	struct cgset *s = c->set;
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		close_entry(&s->e[i]);
	free(s->e);
	free(s->order);
	free(s->pids);
	free(s);
	c->set = NULL;
}
