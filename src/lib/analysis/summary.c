/* summary.c: one window of a recording, on every core (summary.h).
 *
 * Each scan range (one per thread) turns its lines into "pieces": runs of
 * samples of one segment (series.h), each summing every series over the
 * window, with interpolation where an interval crosses its edges. Pieces
 * of neighbouring ranges join at the seam when no segment marker separates
 * them: the one interval across the seam is added then. So a parallel scan
 * gives the same totals as a sequential one, and memory depends only on
 * the number of segments, never on the file's size: a piece that can no
 * longer be joined (closed by a marker, not the first of its range) keeps
 * only its sums (struct done), not the bridges a join needs.
 *
 * The line rules are record/reader.h's: a range applies the out-of-order
 * rule from its first sample; if a range's first sample turns out not to
 * be later than the last one before the seam, the sequential rule would
 * have skipped it, and the file is read again with one thread.
 */
#include "summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "record/reader.h"
#include "record/scan.h"

/* What a piece keeps once nothing can join it: its run's sums. */
struct done {
	long long n;
	double first_ts, last_ts;
	struct aipm_sv span;
	bool from_in, to_in;
	long long resets;
	int nsid;
	struct aipm_sv *acc; /* nsid of them */
};

struct piece {
	bool ended; /* closed by a segment marker */
	struct aipm_run *run; /* while a join may come; NULL once kept as d */
	struct done d;
	long long n_in; /* samples inside the window */
	double pss_sum, pss_max, uss_sum, uss_max;
	long long pss_n, uss_n;
	double sm_sum[AIPM_FORMAT_MAX_GPUS], mem_max[AIPM_FORMAT_MAX_GPUS];
	long long sm_n[AIPM_FORMAT_MAX_GPUS];
	bool integrated[AIPM_FORMAT_MAX_GPUS];
};

/* The pieces of one range. */
struct plist {
	struct piece *v;
	size_t n, cap;
};

struct part_state {
	struct aipm_line_table *t;
	struct aipm_date_cache dc;
	struct aipm_window w;
	struct plist pl;
	struct aipm_line line;
	bool in_segment;
	double last_ts;
	struct aipm_reader_stats st;
	long long outside;
	int err;
};

static bool piece_init(struct piece *p)
{
	memset(&p->d, 0, sizeof p->d);
	p->ended = false;
	p->run = malloc(sizeof *p->run);
	if (!p->run)
		return false;
	aipm_run_init(p->run);
	p->n_in = p->pss_n = p->uss_n = 0;
	p->pss_sum = p->pss_max = p->uss_sum = p->uss_max = NAN;
	for (int g = 0; g < AIPM_FORMAT_MAX_GPUS; g++) {
		p->sm_sum[g] = p->mem_max[g] = NAN;
		p->sm_n[g] = 0;
		p->integrated[g] = false;
	}
	return true;
}

/* Keep only the sums: 0, or -ENOMEM. */
static int piece_compact(struct piece *p)
{
	const struct aipm_run *r = p->run;
	if (!r)
		return 0;
	p->d = (struct done){r->n, r->first_ts, r->last_ts, r->span, r->from_in, r->to_in, r->resets, r->acc.nsid, NULL};
	if (r->acc.nsid && !(p->d.acc = malloc((size_t)r->acc.nsid * sizeof *p->d.acc)))
		return -ENOMEM;
	if (r->acc.nsid)
		memcpy(p->d.acc, r->acc.q, (size_t)r->acc.nsid * sizeof *p->d.acc);
	free(p->run);
	p->run = NULL;
	return 0;
}

static void piece_free(struct piece *p)
{
	free(p->run);
	free(p->d.acc);
	p->run = NULL;
	p->d.acc = NULL;
}

static long long piece_n(const struct piece *p) { return p->run ? p->run->n : p->d.n; }

static struct piece *plist_push(struct plist *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 2;
		struct piece *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	if (!piece_init(&l->v[l->n]))
		return NULL;
	return &l->v[l->n++];
}

/* What a sample inside the window adds beyond its interval: means, peaks. */
static void piece_stats(struct piece *p, const struct aipm_line *l)
{
	p->n_in++;
	if (!isnan(l->pss_bytes)) {
		p->pss_sum = aipm_nadd(p->pss_sum, l->pss_bytes);
		p->pss_max = aipm_nmax(p->pss_max, l->pss_bytes);
		p->pss_n++;
	}
	if (!isnan(l->uss_bytes)) {
		p->uss_sum = aipm_nadd(p->uss_sum, l->uss_bytes);
		p->uss_max = aipm_nmax(p->uss_max, l->uss_bytes);
		p->uss_n++;
	}
	for (int g = 0; g < l->ngpus; g++) {
		const struct aipm_line_gpu *gp = &l->gpu[g];
		if (!isnan(gp->sm_percent)) {
			p->sm_sum[g] = aipm_nadd(p->sm_sum[g], gp->sm_percent);
			p->sm_n[g]++;
		}
		p->mem_max[g] = aipm_nmax(p->mem_max[g], gp->mem_bytes);
		p->integrated[g] |= gp->integrated;
	}
}

/* a := a followed by b (b continues a's segment). */
static void piece_join(struct piece *a, const struct piece *b, const struct aipm_window *w)
{
	aipm_run_join(a->run, b->run, w->from_ts, w->to_ts);
	a->n_in += b->n_in;
	a->pss_sum = aipm_nadd(a->pss_sum, b->pss_sum);
	a->uss_sum = aipm_nadd(a->uss_sum, b->uss_sum);
	a->pss_max = aipm_nmax(a->pss_max, b->pss_max);
	a->uss_max = aipm_nmax(a->uss_max, b->uss_max);
	a->pss_n += b->pss_n;
	a->uss_n += b->uss_n;
	for (int g = 0; g < AIPM_FORMAT_MAX_GPUS; g++) {
		a->sm_sum[g] = aipm_nadd(a->sm_sum[g], b->sm_sum[g]);
		a->sm_n[g] += b->sm_n[g];
		a->mem_max[g] = aipm_nmax(a->mem_max[g], b->mem_max[g]);
		a->integrated[g] |= b->integrated[g];
	}
	a->ended = b->ended;
}

static void on_line(void *arg, const char *text, size_t len, bool unterminated)
{
	struct part_state *st = arg;
	if (st->err)
		return;
	if (!text) {
		st->st.corrupt++;
		return;
	}
	struct aipm_line *l = &st->line;
	switch (aipm_line_parse(text, len, st->t, &st->dc, l)) {
	case AIPM_LINE_BLANK: st->st.blank++; return;
	case AIPM_LINE_CORRUPT: *(unterminated ? &st->st.truncated : &st->st.corrupt) += 1; return;
	case AIPM_LINE_SEGMENT_END:
		st->pl.v[st->pl.n - 1].ended = true;
		/* The first piece of a range may still be joined from the left. */
		if (st->pl.n > 1 && piece_compact(&st->pl.v[st->pl.n - 1]) < 0)
			st->err = -ENOMEM;
		if (!plist_push(&st->pl))
			st->err = -ENOMEM;
		st->in_segment = false;
		return;
	case AIPM_LINE_SAMPLE: break;
	}
	if (st->in_segment && !(l->ts > st->last_ts)) {
		st->st.out_of_order++;
		return;
	}
	st->in_segment = true;
	st->last_ts = l->ts;
	st->st.samples++;
	st->st.unknown_fields += l->unknown_fields;
	st->st.dropped += l->dropped;
	st->st.edge_samples += l->edge;
	st->st.timestamped += l->timestamped;
	struct piece *p = &st->pl.v[st->pl.n - 1];
	aipm_run_add(p->run, l, st->t, st->w.from_ts, st->w.to_ts);
	if (l->ts >= st->w.from_ts && l->ts <= st->w.to_ts)
		piece_stats(p, l);
	else
		st->outside++;
}

const char *aipm_total_name(enum aipm_total t)
{
	static const char *const n[AIPM_TOTAL_COUNT] = {"package", "core", "uncore", "dram", "psys", "cpu_total", "gpu"};
	return t < AIPM_TOTAL_COUNT ? n[t] : "?";
}


/* The totals of the joined pieces, into s. */
struct acc {
	struct aipm_series w;
	struct aipm_sv span;
	double sm_sum[AIPM_FORMAT_MAX_GPUS], mem_max[AIPM_FORMAT_MAX_GPUS];
	long long sm_n[AIPM_FORMAT_MAX_GPUS];
	bool integrated[AIPM_FORMAT_MAX_GPUS];
	double first_ts, last_ts; /* of all samples */
	double forward_ts;        /* the last sample of the segments in time order */
	bool intervals;
};

static void take(struct aipm_summary *s, struct acc *a, const struct piece *p, const struct aipm_window *w)
{
	const struct done *r = &p->d;
	/* A segment that starts before the one before it ended (the clock was
	 * set back between runs) counts in the whole recording's totals, but
	 * not in a time window: whose energy would that time be? The cursor
	 * of phases and points has the same rule. */
	bool bounded = !isinf(w->from_ts) || !isinf(w->to_ts);
	bool backward = !isnan(a->forward_ts) && !(r->first_ts > a->forward_ts);
	if (backward) {
		s->backward_segments++;
		if (bounded)
			return;
	} else {
		a->forward_ts = r->last_ts;
	}
	a->first_ts = isnan(a->first_ts) || r->first_ts < a->first_ts ? r->first_ts : a->first_ts;
	a->last_ts = isnan(a->last_ts) || r->last_ts > a->last_ts ? r->last_ts : a->last_ts;
	a->intervals |= r->n > 1;
	if (!r->span.n && !p->n_in)
		return; /* the segment lies outside the window */
	s->segments++;
	for (int sid = 0; sid < r->nsid; sid++) {
		a->w.q[sid].v += r->acc[sid].v;
		a->w.q[sid].c += r->acc[sid].c;
		a->w.q[sid].n += r->acc[sid].n;
	}
	if (r->nsid > a->w.nsid)
		a->w.nsid = r->nsid;
	a->span.v += r->span.v;
	a->span.n += r->span.n;
	s->window_interpolated |= r->from_in || r->to_in;
	s->counter_resets += r->resets;
	double from = r->first_ts > w->from_ts ? r->first_ts : w->from_ts;
	double to = r->last_ts < w->to_ts ? r->last_ts : w->to_ts;
	s->start_ts = isnan(s->start_ts) || from < s->start_ts ? from : s->start_ts;
	s->end_ts = isnan(s->end_ts) || to > s->end_ts ? to : s->end_ts;
	s->pss_sum_ = aipm_nadd(s->pss_sum_, p->pss_sum);
	s->uss_sum_ = aipm_nadd(s->uss_sum_, p->uss_sum);
	s->pss_n_ += p->pss_n;
	s->uss_n_ += p->uss_n;
	s->pss_peak_bytes = aipm_nmax(s->pss_peak_bytes, p->pss_max);
	s->uss_peak_bytes = aipm_nmax(s->uss_peak_bytes, p->uss_max);
	for (int g = 0; g < AIPM_FORMAT_MAX_GPUS; g++) {
		a->sm_sum[g] = aipm_nadd(a->sm_sum[g], p->sm_sum[g]);
		a->sm_n[g] += p->sm_n[g];
		a->mem_max[g] = aipm_nmax(a->mem_max[g], p->mem_max[g]);
		a->integrated[g] |= p->integrated[g];
	}
}

static int cmp_zone(const void *x, const void *y)
{
	const struct aipm_summary_zone *a = x, *b = y;
	return a->kind != b->kind ? (int)a->kind - (int)b->kind : strcmp(a->name, b->name);
}

static int cmp_gpu(const void *a, const void *b)
{
	const struct aipm_summary_gpu *x = a, *y = b;
	if (x->recording != y->recording)
		return x->recording - y->recording;
	int v = strcmp(x->vendor, y->vendor);
	return v ? v : (x->index > y->index) - (x->index < y->index);
}

/* Derive the totals, zones and GPUs of the window from the sums. */
static int finish(struct aipm_summary *s, struct acc *a, const struct aipm_line_table *t)
{
	double zj[AIPM_FORMAT_MAX_ZONES], gpu_j[AIPM_FORMAT_MAX_GPUS], gpu_att[AIPM_FORMAT_MAX_GPUS];
	bool from_power[AIPM_FORMAT_MAX_GPUS];
	struct aipm_series_detail d = {zj, gpu_j, gpu_att, from_power};
	struct aipm_totals tot;
	aipm_series_derive(&a->w, t, &tot, &d);
	memcpy(s->total_j, tot.total_j, sizeof s->total_j);
	s->attributed_cpu_j = tot.attributed_cpu_j;
	s->attributed_dram_j = tot.attributed_dram_j;
	s->attributed_gpu_j = tot.attributed_gpu_j;
	s->cpu_time_s = tot.cpu_time_s;
	memcpy(s->est.j, tot.est_j, sizeof s->est.j);
	s->duration_s = a->span.n ? a->span.v : NAN;
	s->nzones = aipm_line_table_zones(t);
	for (int z = 0; z < s->nzones; z++) {
		snprintf(s->zones[z].name, sizeof s->zones[z].name, "%s", t->zone[z]);
		s->zones[z].kind = t->kind[z];
		s->zones[z].energy_j = zj[z];
	}
	/* Table order is the order threads met the zones: sort for a report
	 * that reads the same every time. */
	qsort(s->zones, (size_t)s->nzones, sizeof s->zones[0], cmp_zone);
	int ng = aipm_line_table_gpus(t);
	s->gpus = ng ? calloc((size_t)ng, sizeof *s->gpus) : NULL;
	if (ng && !s->gpus)
		return -ENOMEM;
	for (int g = 0; g < ng; g++) {
		if (isnan(gpu_j[g]) && isnan(gpu_att[g]) && !a->sm_n[g] && isnan(a->mem_max[g]))
			continue; /* a GPU the window holds nothing of */
		struct aipm_summary_gpu *sg = &s->gpus[s->ngpus++];
		snprintf(sg->vendor, sizeof sg->vendor, "%s", t->gpu[g].vendor);
		sg->index = t->gpu[g].index;
		sg->energy_j = gpu_j[g];
		sg->attributed_j = gpu_att[g];
		sg->energy_source = isnan(gpu_j[g]) ? NULL
				    : a->integrated[g] || from_power[g] ? "integrated" : "counter";
		sg->sm_mean = a->sm_n[g] ? a->sm_sum[g] / (double)a->sm_n[g] : NAN;
		sg->mem_peak_bytes = a->mem_max[g];
	}
	if (s->ngpus)
		qsort(s->gpus, (size_t)s->ngpus, sizeof *s->gpus, cmp_gpu);
	s->pss_mean_bytes = s->pss_n_ ? s->pss_sum_ / (double)s->pss_n_ : NAN;
	s->uss_mean_bytes = s->uss_n_ ? s->uss_sum_ / (double)s->uss_n_ : NAN;
	return 0;
}

static void states_free(struct part_state *st, int parts)
{
	for (int i = 0; st && i < parts; i++) {
		for (size_t k = 0; k < st[i].pl.n; k++)
			piece_free(&st[i].pl.v[k]);
		free(st[i].pl.v);
	}
	free(st);
}

/* Scan path with `parts` ranges into st: 0, 1 when a seam broke the
 * ordering rule (scan again with one), or -errno. */
static int scan(const char *path, int parts, struct part_state *st, struct aipm_line_table *t,
		const struct aipm_window *w)
{
	void *states[AIPM_SCAN_MAX_PARTS];
	for (int i = 0; i < parts; i++) {
		st[i] = (struct part_state){.t = t, .w = *w};
		if (!plist_push(&st[i].pl))
			return aipm_err(-ENOMEM, "%s: out of memory", path);
		states[i] = &st[i];
	}
	int rc = aipm_scan_file(path, parts, on_line, states);
	if (rc < 0)
		return rc;
	for (int i = 0; i < parts; i++)
		if (st[i].err)
			return aipm_err(st[i].err, "%s: out of memory", path);
	/* Join the ranges in file order. */
	struct plist *all = &st[0].pl;
	for (int i = 1; i < parts; i++) {
		struct plist *b = &st[i].pl;
		size_t k = 0;
		struct piece *last = &all->v[all->n - 1];
		if (!last->ended) {
			/* open on the left: it still has its run, as has b's first */
			if (last->run->n && b->v[0].run->n && !(b->v[0].run->first_ts > last->run->last_ts))
				return 1;
			piece_join(last, &b->v[k], w);
			piece_free(&b->v[k++]);
		}
		for (; k < b->n; k++) {
			struct piece *p = plist_push(all);
			if (!p)
				return aipm_err(-ENOMEM, "%s: out of memory", path);
			piece_free(p);
			*p = b->v[k]; /* moved: b gives its memory up */
			b->v[k].run = NULL;
			b->v[k].d.acc = NULL;
		}
	}
	for (size_t k = 0; k < all->n; k++)
		if (piece_compact(&all->v[k]) < 0)
			return aipm_err(-ENOMEM, "%s: out of memory", path);
	return 0;
}

int aipm_summary_load_file(const char *path, const struct aipm_window *w, int threads, bool last_segment_only,
			   struct aipm_summary **out)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return aipm_err(-errno, "%s: %s", path, strerror(errno));
	int parts = aipm_scan_parts((long long)sb.st_size, threads);
	struct aipm_line_table *t = NULL;
	struct part_state *st = NULL;
	struct acc *a = NULL;
	int rc;
	for (;;) {
		t = calloc(1, sizeof *t);
		st = calloc((size_t)parts, sizeof *st);
		rc = t && st ? scan(path, parts, st, t, w) : aipm_err(-ENOMEM, "%s: out of memory", path);
		if (rc != 1)
			break;
		/* A seam out of order: the sequential rule decides. */
		free(t);
		states_free(st, parts);
		parts = 1;
	}
	struct aipm_summary *s = rc < 0 ? NULL : aipm_summary_new();
	a = rc < 0 ? NULL : calloc(1, sizeof *a);
	if (rc == 0 && (!s || !a))
		rc = aipm_err(-ENOMEM, "%s: out of memory", path);
	if (rc < 0)
		goto out;
	/* the recording's name in the report and its JSON "dir": never cut */
	if ((rc = aipm_path_fmt(s->dir, sizeof s->dir, "%s", path)) < 0)
		goto out;
	s->window_from_ts = isinf(w->from_ts) ? NAN : w->from_ts;
	s->window_to_ts = isinf(w->to_ts) ? NAN : w->to_ts;
	a->first_ts = a->last_ts = a->forward_ts = NAN;
	for (int g = 0; g < AIPM_FORMAT_MAX_GPUS; g++)
		a->sm_sum[g] = a->mem_max[g] = NAN;
	const struct plist *all = &st[0].pl;
	size_t k0 = 0;
	if (last_segment_only)
		for (size_t k = 0; k < all->n; k++)
			if (piece_n(&all->v[k]))
				k0 = k;
	for (size_t k = k0; k < all->n; k++)
		if (piece_n(&all->v[k]))
			take(s, a, &all->v[k], w);
	for (int i = 0; i < parts; i++) {
		const struct aipm_reader_stats *x = &st[i].st;
		s->samples += x->samples;
		s->blank += x->blank;
		s->corrupt += x->corrupt;
		s->truncated += x->truncated;
		s->out_of_order += x->out_of_order;
		s->unknown_fields += x->unknown_fields;
		s->dropped += x->dropped;
		s->edge_samples += x->edge_samples;
		s->outside_window += st[i].outside;
		if (x->timestamped)
			s->format = "aipm"; /* only aipm writes "timestamp", energy or not */
	}
	s->lines = s->samples - s->outside_window;
	if (finish(s, a, t) < 0) {
		rc = aipm_err(-ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if (!a->w.nsid || !a->span.n) {
		long long n = 0;
		for (size_t k = 0; k < all->n; k++)
			n += piece_n(&all->v[k]);
		aipm_window_reason(s->missing, sizeof s->missing, w->from_ts, w->to_ts, n, a->intervals, a->first_ts,
				   a->last_ts);
	}
	/* Counters alone tell an aipm recording with no timestamp (none such
	 * is written today); powers alone are AIPowerMeter's. */
	for (int sid = 0; !s->format && sid < a->w.nsid; sid++)
		if (a->w.q[sid].n && aipm_sid_is_counter(t, sid))
			s->format = "aipm";
	if (!s->format)
		s->format = s->samples ? "aipowermeter" : NULL;
	*out = s;
	s = NULL;
out:
	aipm_summary_free(s);
	free(a);
	states_free(st, parts);
	free(t);
	return rc;
}

void aipm_window_reason(char *out, size_t n, double lo, double hi, long long samples, bool intervals,
			double first_ts, double last_ts)
{
	char d[64];
	if (!samples) {
		snprintf(out, n, "the recording holds no sample");
	} else if (!intervals) {
		snprintf(out, n, "no segment holds two samples: there is no interval to measure");
	} else if (hi <= first_ts) {
		aipm_format_date_ts(d, sizeof d, first_ts);
		snprintf(out, n, "it ends before the first sample (%s)", d);
	} else if (lo >= last_ts) {
		aipm_format_date_ts(d, sizeof d, last_ts);
		snprintf(out, n, "it starts after the last sample (%s)", d);
	} else {
		snprintf(out, n, "it falls between two segments: nothing was recorded then");
	}
}

static int window_of(const char *dir, const struct aipm_summary_opts *o, struct aipm_window *w)
{
	double start = NAN;
	*w = (struct aipm_window){-INFINITY, INFINITY};
	if ((o->from_relative && !isnan(o->from)) || (o->to_relative && !isnan(o->to))) {
		int rc = aipm_recording_start_ts(dir, &start);
		if (rc < 0)
			return rc;
	}
	if (!isnan(o->from))
		w->from_ts = o->from_relative ? start + o->from : o->from;
	if (!isnan(o->to))
		w->to_ts = o->to_relative ? start + o->to : o->to;
	if (w->from_ts > w->to_ts)
		return aipm_err(-EINVAL, "the window ends before it starts (--from is after --to). Swap them");
	return 0;
}

int aipm_summary_load(const char *dir, const struct aipm_summary_opts *o, struct aipm_summary **out)
{
	struct aipm_summary_opts none = {.from = NAN, .to = NAN};
	if (!o)
		o = &none;
	struct stat sb;
	if (stat(dir, &sb) < 0)
		return aipm_err(-errno, "%s: %s. Give the directory of a recording (aipm run -o DIR)", dir,
				strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return aipm_err(-ENOTDIR, "%s: not a directory. Give the directory of a recording (aipm run -o DIR)",
				dir);
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, AIPM_FILE_POWER);
	if (access(path, R_OK) < 0)
		return aipm_err(-errno, "%s: %s. Is %s a recording made by aipm run or AIPowerMeter?", path,
				strerror(errno), dir);
	struct aipm_window w;
	int rc = window_of(dir, o, &w);
	if (rc < 0)
		return rc;
	*out = NULL;
	rc = aipm_summary_load_file(path, &w, o->threads, o->last_segment_only, out);
	if (rc == 0)
		rc = aipm_path_fmt((*out)->dir, sizeof (*out)->dir, "%s", dir);
	if (rc == 0)
		rc = aipm_summary_read_side_files(*out, dir);
	if (rc < 0) {
		aipm_summary_free(*out);
		*out = NULL;
	}
	return rc;
}

int aipm_summary_load_dir(const char *dir, bool last_segment_only, struct aipm_summary **out)
{
	struct aipm_summary_opts o = {.from = NAN, .to = NAN, .last_segment_only = last_segment_only};
	return aipm_summary_load(dir, &o, out);
}
