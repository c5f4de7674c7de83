/* summary.c: accumulate samples into per-segment pieces and total them.
 *
 * Each scan range (one per thread) turns its lines into "pieces": runs of
 * samples of one segment inside one window. A piece keeps its first and
 * last sample, the first and last value of every cumulative counter, and
 * trapezoid integrals of every power between consecutive samples. Pieces of
 * neighbouring ranges join at the seam when no segment marker separates
 * them: the counters take the left first and the right last, and the one
 * trapezoid interval across the seam is added then. So a parallel scan gives
 * the same totals as a sequential one, and memory depends only on the
 * number of segments, never on the file's size.
 */
#include "summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/scan.h"
#include "error.h"

struct counter {
	double first, last;
};

struct piece {
	bool ended; /* closed by a segment marker */
	long long n;
	struct aipm_line first, last;
	struct counter zone[AIPM_MAX_ZONES], att_cpu, att_dram, cpu_time;
	struct counter g_energy[AIPM_MAX_GPUS], g_att[AIPM_MAX_GPUS];
	double trap_pw[AIPM_PW_COUNT], trap_zone[AIPM_MAX_ZONES];
	double trap_gpu[AIPM_MAX_GPUS], trap_gpu_att[AIPM_MAX_GPUS];
	double pss_sum, pss_max, uss_sum, uss_max;
	long long pss_n, uss_n;
	double sm_sum[AIPM_MAX_GPUS], mem_max[AIPM_MAX_GPUS];
	long long sm_n[AIPM_MAX_GPUS];
	bool integrated[AIPM_MAX_GPUS];
	int ngpus;
};

/* The pieces of one window in one range. */
struct plist {
	struct piece *v;
	size_t n, cap;
};

struct part_state {
	struct aipm_zone_table *zt;
	struct aipm_date_cache dc;
	const struct aipm_window *w;
	size_t nw;
	struct plist *pl; /* nw lists */
	struct aipm_line buf[2];
	int cur;          /* buf[cur] is parsed into; buf[!cur] is the previous sample */
	bool have_prev;
	long long samples, outside, blank, corrupt, truncated, unknown, timestamped;
	int err;
};

static double add(double a, double b) { return isnan(a) ? b : isnan(b) ? a : a + b; }
static double maxd(double a, double b) { return isnan(a) ? b : isnan(b) ? a : (a > b ? a : b); }
static double diff(struct counter c) { return isnan(c.first) || isnan(c.last) ? NAN : c.last - c.first; }

static void counter_see(struct counter *c, double v)
{
	if (isnan(v))
		return;
	if (isnan(c->first))
		c->first = v;
	c->last = v;
}

static void counter_join(struct counter *a, struct counter b)
{
	if (isnan(a->first))
		a->first = b.first;
	if (!isnan(b.last))
		a->last = b.last;
}

static void piece_init(struct piece *p)
{
	memset(p, 0, sizeof *p);
	for (int i = 0; i < AIPM_MAX_ZONES; i++) {
		p->zone[i] = (struct counter){NAN, NAN};
		p->trap_zone[i] = NAN;
	}
	for (int g = 0; g < AIPM_MAX_GPUS; g++) {
		p->g_energy[g] = p->g_att[g] = (struct counter){NAN, NAN};
		p->trap_gpu[g] = p->trap_gpu_att[g] = p->sm_sum[g] = p->mem_max[g] = NAN;
	}
	p->att_cpu = p->att_dram = p->cpu_time = (struct counter){NAN, NAN};
	for (int i = 0; i < AIPM_PW_COUNT; i++)
		p->trap_pw[i] = NAN;
	p->pss_sum = p->pss_max = p->uss_sum = p->uss_max = NAN;
}

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
	piece_init(&l->v[l->n]);
	return &l->v[l->n++];
}

/* Trapezoid of every power between two consecutive samples a and b. A
 * power missing at either end leaves that interval out: missing is not
 * zero, and guessing would invent energy. */
static void trapezoid(struct piece *p, const struct aipm_line *a, const struct aipm_line *b)
{
	double dt = b->ts - a->ts;
	if (!(dt > 0))
		return;
	for (int i = 0; i < AIPM_PW_COUNT; i++)
		p->trap_pw[i] = add(p->trap_pw[i], (a->pw[i] + b->pw[i]) / 2 * dt);
	int nz = a->nzones < b->nzones ? a->nzones : b->nzones;
	for (int z = 0; z < nz; z++)
		p->trap_zone[z] = add(p->trap_zone[z], (a->zone_power_w[z] + b->zone_power_w[z]) / 2 * dt);
	int ng = a->ngpus < b->ngpus ? a->ngpus : b->ngpus;
	for (int g = 0; g < ng; g++) {
		p->trap_gpu[g] = add(p->trap_gpu[g], (a->gpu[g].power_w + b->gpu[g].power_w) / 2 * dt);
		p->trap_gpu_att[g] = add(p->trap_gpu_att[g],
					 (a->gpu[g].attributable_power_w + b->gpu[g].attributable_power_w) / 2 * dt);
	}
}

/* Everything of one sample except the interval before it. */
static void piece_see(struct piece *p, const struct aipm_line *l)
{
	if (p->n++ == 0)
		p->first = *l;
	for (int z = 0; z < l->nzones; z++)
		counter_see(&p->zone[z], l->zone_energy_j[z]);
	counter_see(&p->att_cpu, l->attributed_cpu_j);
	counter_see(&p->att_dram, l->attributed_dram_j);
	counter_see(&p->cpu_time, l->cpu_time_s);
	if (!isnan(l->pss_bytes)) {
		p->pss_sum = add(p->pss_sum, l->pss_bytes);
		p->pss_max = maxd(p->pss_max, l->pss_bytes);
		p->pss_n++;
	}
	if (!isnan(l->uss_bytes)) {
		p->uss_sum = add(p->uss_sum, l->uss_bytes);
		p->uss_max = maxd(p->uss_max, l->uss_bytes);
		p->uss_n++;
	}
	for (int g = 0; g < l->ngpus; g++) {
		const struct aipm_line_gpu *gp = &l->gpu[g];
		counter_see(&p->g_energy[g], gp->energy_j);
		counter_see(&p->g_att[g], gp->attributed_j);
		if (!isnan(gp->sm_percent)) {
			p->sm_sum[g] = add(p->sm_sum[g], gp->sm_percent);
			p->sm_n[g]++;
		}
		p->mem_max[g] = maxd(p->mem_max[g], gp->mem_bytes);
		p->integrated[g] |= gp->integrated;
	}
	if (l->ngpus > p->ngpus)
		p->ngpus = l->ngpus;
}

/* a := a followed by b (b continues a's segment). */
static void piece_join(struct piece *a, const struct piece *b)
{
	if (b->n == 0) {
		a->ended = b->ended;
		return;
	}
	if (a->n == 0) {
		*a = *b;
		return;
	}
	trapezoid(a, &a->last, &b->first);
	for (int z = 0; z < AIPM_MAX_ZONES; z++) {
		counter_join(&a->zone[z], b->zone[z]);
		a->trap_zone[z] = add(a->trap_zone[z], b->trap_zone[z]);
	}
	counter_join(&a->att_cpu, b->att_cpu);
	counter_join(&a->att_dram, b->att_dram);
	counter_join(&a->cpu_time, b->cpu_time);
	for (int i = 0; i < AIPM_PW_COUNT; i++)
		a->trap_pw[i] = add(a->trap_pw[i], b->trap_pw[i]);
	for (int g = 0; g < AIPM_MAX_GPUS; g++) {
		counter_join(&a->g_energy[g], b->g_energy[g]);
		counter_join(&a->g_att[g], b->g_att[g]);
		a->trap_gpu[g] = add(a->trap_gpu[g], b->trap_gpu[g]);
		a->trap_gpu_att[g] = add(a->trap_gpu_att[g], b->trap_gpu_att[g]);
		a->sm_sum[g] = add(a->sm_sum[g], b->sm_sum[g]);
		a->sm_n[g] += b->sm_n[g];
		a->mem_max[g] = maxd(a->mem_max[g], b->mem_max[g]);
		a->integrated[g] |= b->integrated[g];
	}
	a->pss_sum = add(a->pss_sum, b->pss_sum);
	a->uss_sum = add(a->uss_sum, b->uss_sum);
	a->pss_max = maxd(a->pss_max, b->pss_max);
	a->uss_max = maxd(a->uss_max, b->uss_max);
	a->pss_n += b->pss_n;
	a->uss_n += b->uss_n;
	if (b->ngpus > a->ngpus)
		a->ngpus = b->ngpus;
	a->n += b->n;
	a->last = b->last;
	a->ended = b->ended;
}

static bool in_window(const struct aipm_window *w, double ts) { return ts >= w->from_ts && ts <= w->to_ts; }

/* Close the open piece of every window: its last sample is the previous
 * one, kept in the other buffer. */
static void close_pieces(struct part_state *st, bool ended)
{
	const struct aipm_line *prev = &st->buf[!st->cur];
	for (size_t w = 0; w < st->nw; w++) {
		struct piece *p = &st->pl[w].v[st->pl[w].n - 1];
		if (p->n && st->have_prev && in_window(&st->w[w], prev->ts))
			p->last = *prev;
		p->ended = ended;
		if (ended && !plist_push(&st->pl[w]))
			st->err = -ENOMEM;
	}
}

static void on_line(void *arg, const char *text, size_t len, bool unterminated)
{
	struct part_state *st = arg;
	if (st->err)
		return;
	if (!text) {
		st->corrupt++;
		return;
	}
	struct aipm_line *l = &st->buf[st->cur];
	const struct aipm_line *prev = &st->buf[!st->cur];
	switch (aipm_line_parse(text, len, st->zt, &st->dc, l)) {
	case AIPM_LINE_BLANK:
		st->blank++;
		return;
	case AIPM_LINE_CORRUPT:
		if (unterminated)
			st->truncated++;
		else
			st->corrupt++;
		return;
	case AIPM_LINE_SEGMENT_END:
		close_pieces(st, true);
		st->have_prev = false;
		return;
	case AIPM_LINE_SAMPLE:
		break;
	}
	st->samples++;
	st->unknown += l->unknown_fields;
	st->timestamped += l->timestamped;
	bool any = false;
	for (size_t w = 0; w < st->nw; w++) {
		if (!in_window(&st->w[w], l->ts))
			continue;
		any = true;
		struct piece *p = &st->pl[w].v[st->pl[w].n - 1];
		if (p->n && st->have_prev && in_window(&st->w[w], prev->ts))
			trapezoid(p, prev, l);
		piece_see(p, l);
	}
	if (!any)
		st->outside++;
	/* The previous sample of the last window a piece saw is needed only
	 * at the piece's end; keep it by swapping buffers, not copying. */
	for (size_t w = 0; w < st->nw; w++) {
		struct piece *p = &st->pl[w].v[st->pl[w].n - 1];
		if (p->n && st->have_prev && in_window(&st->w[w], prev->ts) && !in_window(&st->w[w], l->ts))
			p->last = *prev;
	}
	st->cur = !st->cur;
	st->have_prev = true;
}

const char *aipm_total_name(enum aipm_total t)
{
	static const char *const n[AIPM_TOTAL_COUNT] = {"package", "core", "uncore", "dram", "psys", "cpu_total", "gpu"};
	return t < AIPM_TOTAL_COUNT ? n[t] : "?";
}

static struct aipm_summary *summary_new(void)
{
	struct aipm_summary *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->start_ts = s->end_ts = s->window_from_ts = s->window_to_ts = s->duration_s = NAN;
	for (int i = 0; i < AIPM_TOTAL_COUNT; i++)
		s->total_j[i] = NAN;
	s->attributed_cpu_j = s->attributed_dram_j = s->attributed_gpu_j = s->cpu_time_s = NAN;
	s->pss_mean_bytes = s->pss_peak_bytes = s->uss_mean_bytes = s->uss_peak_bytes = NAN;
	s->pss_sum_ = s->uss_sum_ = NAN;
	s->model_params = s->model_macs = NAN;
	s->carbon_g_per_kwh = s->pue = NAN;
	s->recordings = 1;
	return s;
}

static struct aipm_summary_gpu *gpu_slot(struct aipm_summary *s, int index, int recording)
{
	for (int i = 0; i < s->ngpus; i++)
		if (s->gpus[i].index == index && s->gpus[i].recording == recording)
			return &s->gpus[i];
	struct aipm_summary_gpu *v = realloc(s->gpus, (size_t)(s->ngpus + 1) * sizeof *v);
	if (!v)
		return NULL;
	s->gpus = v;
	struct aipm_summary_gpu *g = &v[s->ngpus++];
	*g = (struct aipm_summary_gpu){.index = index, .recording = recording, .energy_j = NAN,
				       .attributed_j = NAN, .sm_mean = NAN, .mem_peak_bytes = NAN};
	return g;
}

/* Add one finished piece (a whole segment, or its part in the window). */
static void summary_take(struct aipm_summary *s, const struct piece *p, const struct aipm_zone_table *zt,
			 long long *sm_n)
{
	s->segments++;
	s->start_ts = isnan(s->start_ts) || p->first.ts < s->start_ts ? p->first.ts : s->start_ts;
	s->end_ts = isnan(s->end_ts) || p->last.ts > s->end_ts ? p->last.ts : s->end_ts;
	s->duration_s = add(s->duration_s, p->last.ts - p->first.ts);
	double kind_j[AIPM_KIND_COUNT];
	for (int k = 0; k < AIPM_KIND_COUNT; k++)
		kind_j[k] = NAN;
	bool counters = false;
	int nz = aipm_zone_table_count(zt);
	for (int z = 0; z < nz; z++) {
		double e = diff(p->zone[z]);
		counters |= !isnan(e);
		if (isnan(e))
			e = p->trap_zone[z];
		s->zones[z].energy_j = add(s->zones[z].energy_j, e);
		kind_j[zt->kinds[z]] = add(kind_j[zt->kinds[z]], e);
	}
	/* Kind totals from the zones; AIPowerMeter's whole-machine powers
	 * stand in where no zone of that kind was recorded. */
	static const struct {
		enum aipm_total t;
		int kind, pw;
	} map[] = {
		{AIPM_TOTAL_PACKAGE, AIPM_KIND_PACKAGE, -1}, {AIPM_TOTAL_CORE, AIPM_KIND_CORE, AIPM_PW_CORE},
		{AIPM_TOTAL_UNCORE, AIPM_KIND_UNCORE, AIPM_PW_UNCORE}, {AIPM_TOTAL_DRAM, AIPM_KIND_DRAM, AIPM_PW_DRAM},
		{AIPM_TOTAL_PSYS, AIPM_KIND_PSYS, AIPM_PW_PSYS},
	};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(map); i++) {
		double e = kind_j[map[i].kind];
		if (isnan(e) && map[i].pw >= 0)
			e = p->trap_pw[map[i].pw];
		s->total_j[map[i].t] = add(s->total_j[map[i].t], e);
	}
	double cpu = kind_j[AIPM_KIND_PACKAGE];
	s->total_j[AIPM_TOTAL_CPU] = add(s->total_j[AIPM_TOTAL_CPU], isnan(cpu) ? p->trap_pw[AIPM_PW_INTEL] : cpu);
	double att_cpu = diff(p->att_cpu);
	counters |= !isnan(att_cpu);
	s->attributed_cpu_j = add(s->attributed_cpu_j, isnan(att_cpu) ? p->trap_pw[AIPM_PW_REL_CPU] : att_cpu);
	s->attributed_dram_j = add(s->attributed_dram_j, diff(p->att_dram));
	s->cpu_time_s = add(s->cpu_time_s, diff(p->cpu_time));

	double gpu_j = NAN, gpu_att = NAN;
	for (int g = 0; g < p->ngpus; g++) {
		double e = diff(p->g_energy[g]), a = diff(p->g_att[g]);
		bool integrated = p->integrated[g] || isnan(e);
		counters |= !isnan(e);
		if (isnan(e))
			e = p->trap_gpu[g];
		if (isnan(a))
			a = p->trap_gpu_att[g];
		if (isnan(e) && isnan(a) && isnan(p->sm_sum[g]) && isnan(p->mem_max[g]))
			continue; /* an index no line measured */
		struct aipm_summary_gpu *sg = gpu_slot(s, g, 0);
		if (!sg)
			continue;
		sg->energy_j = add(sg->energy_j, e);
		sg->attributed_j = add(sg->attributed_j, a);
		if (!isnan(e) && (!sg->energy_source || integrated))
			sg->energy_source = integrated ? "integrated" : "counter";
		sg->sm_mean = add(sg->sm_mean, p->sm_sum[g]); /* a sum until finish */
		sm_n[g] += p->sm_n[g];
		sg->mem_peak_bytes = maxd(sg->mem_peak_bytes, p->mem_max[g]);
		gpu_j = add(gpu_j, e);
		gpu_att = add(gpu_att, a);
	}
	if (isnan(gpu_j))
		gpu_j = p->trap_pw[AIPM_PW_GPU];
	if (isnan(gpu_att))
		gpu_att = p->trap_pw[AIPM_PW_REL_GPU];
	s->total_j[AIPM_TOTAL_GPU] = add(s->total_j[AIPM_TOTAL_GPU], gpu_j);
	s->attributed_gpu_j = add(s->attributed_gpu_j, gpu_att);
	s->pss_sum_ = add(s->pss_sum_, p->pss_sum);
	s->uss_sum_ = add(s->uss_sum_, p->uss_sum);
	s->pss_n_ += p->pss_n;
	s->uss_n_ += p->uss_n;
	s->pss_peak_bytes = maxd(s->pss_peak_bytes, p->pss_max);
	s->uss_peak_bytes = maxd(s->uss_peak_bytes, p->uss_max);
	if (counters)
		s->format = "aipm";
}

static void summary_finish_means(struct aipm_summary *s, const long long *sm_n)
{
	s->pss_mean_bytes = s->pss_n_ ? s->pss_sum_ / (double)s->pss_n_ : NAN;
	s->uss_mean_bytes = s->uss_n_ ? s->uss_sum_ / (double)s->uss_n_ : NAN;
	for (int i = 0; sm_n && i < s->ngpus; i++) {
		long long n = sm_n[s->gpus[i].index];
		s->gpus[i].sm_mean = n ? s->gpus[i].sm_mean / (double)n : NAN;
	}
	if (!s->format)
		s->format = s->segments ? "aipowermeter" : NULL;
}

static int cmp_gpu(const void *a, const void *b)
{
	const struct aipm_summary_gpu *x = a, *y = b;
	return x->recording != y->recording ? x->recording - y->recording : x->index - y->index;
}

static void states_free(struct part_state *st, int parts)
{
	for (int i = 0; i < parts; i++) {
		for (size_t w = 0; st[i].pl && w < st[i].nw; w++)
			free(st[i].pl[w].v);
		free(st[i].pl);
	}
	free(st);
}

int aipm_summary_load_file(const char *path, const struct aipm_window *windows, size_t nw, int threads,
			   struct aipm_summary **out)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return aipm_err(-errno, "%s: %s", path, strerror(errno));
	int parts = aipm_scan_parts((long long)sb.st_size, threads);
	struct aipm_zone_table *zt = calloc(1, sizeof *zt);
	struct part_state *st = calloc((size_t)parts, sizeof *st);
	void *states[64];
	int rc = 0;
	if (!zt || !st) {
		rc = aipm_err(-ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (int i = 0; i < parts; i++) {
		st[i].zt = zt;
		st[i].w = windows;
		st[i].nw = nw;
		st[i].pl = calloc(nw, sizeof *st[i].pl);
		if (!st[i].pl) {
			rc = aipm_err(-ENOMEM, "%s: out of memory", path);
			goto out;
		}
		for (size_t w = 0; w < nw; w++)
			if (!plist_push(&st[i].pl[w])) {
				rc = aipm_err(-ENOMEM, "%s: out of memory", path);
				goto out;
			}
		states[i] = &st[i];
	}
	rc = aipm_scan_file(path, parts, on_line, states);
	if (rc < 0)
		goto out;
	for (int i = 0; i < parts; i++) {
		close_pieces(&st[i], false);
		if (st[i].err) {
			rc = aipm_err(st[i].err, "%s: out of memory", path);
			goto out;
		}
	}
	/* Join the ranges in file order, then total each window. */
	for (size_t w = 0; w < nw; w++) {
		struct plist *all = &st[0].pl[w];
		for (int i = 1; i < parts; i++) {
			struct plist *b = &st[i].pl[w];
			size_t k = 0;
			if (!all->v[all->n - 1].ended)
				piece_join(&all->v[all->n - 1], &b->v[k++]);
			for (; k < b->n; k++) {
				struct piece *p = plist_push(all);
				if (!p) {
					rc = aipm_err(-ENOMEM, "%s: out of memory", path);
					goto out;
				}
				*p = b->v[k];
			}
		}
		struct aipm_summary *s = summary_new();
		if (!s) {
			rc = aipm_err(-ENOMEM, "%s: out of memory", path);
			goto out;
		}
		out[w] = s;
		snprintf(s->dir, sizeof s->dir, "%s", path);
		s->window_from_ts = isinf(windows[w].from_ts) ? NAN : windows[w].from_ts;
		s->window_to_ts = isinf(windows[w].to_ts) ? NAN : windows[w].to_ts;
		s->nzones = aipm_zone_table_count(zt);
		for (int z = 0; z < s->nzones; z++) {
			memcpy(s->zones[z].name, zt->names[z], AIPM_NAME_LEN);
			s->zones[z].kind = zt->kinds[z];
			s->zones[z].energy_j = NAN;
		}
		long long sm_n[AIPM_MAX_GPUS] = {0};
		for (size_t k = 0; k < all->n; k++)
			if (all->v[k].n)
				summary_take(s, &all->v[k], zt, sm_n);
		for (int i = 0; i < parts; i++) {
			s->samples += st[i].samples;
			s->outside_window += st[i].outside;
			s->blank += st[i].blank;
			s->corrupt += st[i].corrupt;
			s->truncated += st[i].truncated;
			s->unknown_fields += st[i].unknown;
		}
		s->lines = s->samples - s->outside_window;
		for (int i = 0; i < parts; i++)
			if (st[i].timestamped)
				s->format = "aipm"; /* only aipm writes "timestamp", energy or not */
		summary_finish_means(s, sm_n);
		if (s->ngpus)
			qsort(s->gpus, (size_t)s->ngpus, sizeof *s->gpus, cmp_gpu);
	}
out:
	if (st)
		states_free(st, parts);
	free(zt);
	return rc;
}

/* The last segment alone: totals of the last non-empty piece. Cheap to do
 * as a second window-free pass only over what the first pass found. */
static int last_segment_window(const char *path, int threads, struct aipm_window *w)
{
	/* Find the last segment's first sample time with a sequential pass
	 * over segment markers; the recordings `aipm run` summarises this way
	 * are its own, and the pass costs one read of the file. */
	FILE *f = fopen(path, "re");
	if (!f)
		return aipm_err(-errno, "%s: %s", path, strerror(errno));
	(void)threads;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct aipm_zone_table *zt = calloc(1, sizeof *zt);
	struct aipm_line *l = malloc(sizeof *l);
	struct aipm_date_cache dc = {0};
	bool want_first = true;
	w->from_ts = -INFINITY;
	w->to_ts = INFINITY;
	while (zt && l && (n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n - (line[n - 1] == '\n');
		enum aipm_line_kind k = aipm_line_classify(line, len);
		if (k == AIPM_LINE_SEGMENT_END) {
			want_first = true;
		} else if (k == AIPM_LINE_SAMPLE && want_first &&
			   aipm_line_parse(line, len, zt, &dc, l) == AIPM_LINE_SAMPLE) {
			w->from_ts = l->ts;
			want_first = false;
		}
	}
	free(line);
	free(l);
	free(zt);
	fclose(f);
	return 0;
}

int aipm_recording_start_ts(const char *dir, double *ts)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/power_metrics.json", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return aipm_err(-errno, "%s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = aipm_err(-ENODATA, "%s: no sample in the recording", path);
	struct aipm_zone_table *zt = calloc(1, sizeof *zt);
	struct aipm_line *l = malloc(sizeof *l);
	struct aipm_date_cache dc = {0};
	while (zt && l && (n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n - (line[n - 1] == '\n');
		if (aipm_line_parse(line, len, zt, &dc, l) == AIPM_LINE_SAMPLE) {
			*ts = l->ts;
			rc = 0;
			break;
		}
	}
	free(line);
	free(l);
	free(zt);
	fclose(f);
	return rc;
}

int aipm_summary_load_windows(const char *dir, const struct aipm_window *w, size_t n, int threads,
			      struct aipm_summary **out)
{
	char path[4096];
	struct stat sb;
	if (stat(dir, &sb) < 0)
		return aipm_err(-errno, "%s: %s. Give the directory of a recording (aipm run -o DIR)", dir,
				strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return aipm_err(-ENOTDIR, "%s: not a directory. Give the directory of a recording (aipm run -o DIR)",
				dir);
	snprintf(path, sizeof path, "%s/power_metrics.json", dir);
	if (access(path, R_OK) < 0)
		return aipm_err(-errno, "%s: %s. Is %s a recording made by aipm run or AIPowerMeter?", path,
				strerror(errno), dir);
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	int rc = aipm_summary_load_file(path, w, n, threads, out);
	for (size_t i = 0; i < n && rc == 0; i++) {
		snprintf(out[i]->dir, sizeof out[i]->dir, "%s", dir);
		aipm_summary_read_side_files(out[i], dir);
	}
	if (rc < 0)
		for (size_t i = 0; i < n; i++) {
			aipm_summary_free(out[i]);
			out[i] = NULL;
		}
	return rc;
}

int aipm_summary_load(const char *dir, const struct aipm_summary_opts *o, struct aipm_summary **out)
{
	struct aipm_summary_opts none = {.from = NAN, .to = NAN};
	if (!o)
		o = &none;
	struct aipm_window w = {-INFINITY, INFINITY};
	double start = NAN;
	if ((o->from_relative && !isnan(o->from)) || (o->to_relative && !isnan(o->to))) {
		int rc = aipm_recording_start_ts(dir, &start);
		if (rc < 0)
			return rc;
	}
	if (!isnan(o->from))
		w.from_ts = o->from_relative ? start + o->from : o->from;
	if (!isnan(o->to))
		w.to_ts = o->to_relative ? start + o->to : o->to;
	if (w.from_ts > w.to_ts)
		return aipm_err(-EINVAL, "the window ends before it starts (--from is after --to). Swap them");
	if (o->last_segment_only) {
		char path[4096];
		struct aipm_window last = {-INFINITY, INFINITY};
		snprintf(path, sizeof path, "%s/power_metrics.json", dir);
		int rc = last_segment_window(path, o->threads, &last);
		if (rc == 0 && last.from_ts > w.from_ts)
			w.from_ts = last.from_ts;
	}
	*out = NULL;
	int rc = aipm_summary_load_windows(dir, &w, 1, o->threads, out);
	/* The window reported is the one asked for with --from/--to; the
	 * start of the last segment (the end of `aipm run`) is ours, not the
	 * user's, and saying "between --from and --to" would be false. */
	if (rc == 0) {
		if (isnan(o->from))
			(*out)->window_from_ts = NAN;
		if (isnan(o->to))
			(*out)->window_to_ts = NAN;
	}
	return rc;
}

int aipm_summary_load_dir(const char *dir, bool last_segment_only, struct aipm_summary **out)
{
	struct aipm_summary_opts o = {.from = NAN, .to = NAN, .last_segment_only = last_segment_only};
	return aipm_summary_load(dir, &o, out);
}

struct aipm_summary *aipm_summary_new_total(void)
{
	struct aipm_summary *s = summary_new();
	if (s) {
		s->recordings = 0;
		snprintf(s->dir, sizeof s->dir, "total");
	}
	return s;
}

int aipm_summary_add(struct aipm_summary *t, const struct aipm_summary *s)
{
	int rec = t->recordings++;
	/* The span of a multi-node job runs from the earliest start to the
	 * latest end; its energies, CPU time and memory add up. */
	t->start_ts = isnan(t->start_ts) || s->start_ts < t->start_ts ? s->start_ts : t->start_ts;
	t->end_ts = isnan(t->end_ts) || s->end_ts > t->end_ts ? s->end_ts : t->end_ts;
	t->duration_s = isnan(t->start_ts) || isnan(t->end_ts) ? NAN : t->end_ts - t->start_ts;
	t->lines += s->lines;
	t->samples += s->samples;
	t->outside_window += s->outside_window;
	t->blank += s->blank;
	t->corrupt += s->corrupt;
	t->truncated += s->truncated;
	t->unknown_fields += s->unknown_fields;
	t->segments += s->segments;
	for (int z = 0; z < s->nzones; z++) {
		int id = -1;
		for (int i = 0; i < t->nzones; i++)
			if (!strcmp(t->zones[i].name, s->zones[z].name))
				id = i;
		if (id < 0 && t->nzones < AIPM_MAX_ZONES) {
			id = t->nzones++;
			t->zones[id] = s->zones[z];
			t->zones[id].energy_j = NAN;
		}
		if (id >= 0)
			t->zones[id].energy_j = add(t->zones[id].energy_j, s->zones[z].energy_j);
	}
	for (int i = 0; i < AIPM_TOTAL_COUNT; i++)
		t->total_j[i] = add(t->total_j[i], s->total_j[i]);
	t->attributed_cpu_j = add(t->attributed_cpu_j, s->attributed_cpu_j);
	t->attributed_dram_j = add(t->attributed_dram_j, s->attributed_dram_j);
	t->attributed_gpu_j = add(t->attributed_gpu_j, s->attributed_gpu_j);
	t->cpu_time_s = add(t->cpu_time_s, s->cpu_time_s);
	t->pss_mean_bytes = add(t->pss_mean_bytes, s->pss_mean_bytes);
	t->uss_mean_bytes = add(t->uss_mean_bytes, s->uss_mean_bytes);
	t->pss_peak_bytes = add(t->pss_peak_bytes, s->pss_peak_bytes);
	t->uss_peak_bytes = add(t->uss_peak_bytes, s->uss_peak_bytes);
	for (int i = 0; i < s->ngpus; i++) {
		struct aipm_summary_gpu *g = gpu_slot(t, s->gpus[i].index, rec);
		if (!g)
			return aipm_err(-ENOMEM, "out of memory");
		*g = s->gpus[i];
		g->recording = rec;
	}
	if (!t->format || (s->format && strcmp(t->format, s->format)))
		t->format = t->format ? "mixed" : s->format;
	if (rec == 0)
		snprintf(t->description, sizeof t->description, "%s", s->description);
	if (!t->cpu_reason[0]) {
		snprintf(t->cpu_reason, sizeof t->cpu_reason, "%s", s->cpu_reason);
		snprintf(t->cpu_fix, sizeof t->cpu_fix, "%s", s->cpu_fix);
	}
	if (!t->gpu_reason[0])
		snprintf(t->gpu_reason, sizeof t->gpu_reason, "%s", s->gpu_reason);
	t->window_from_ts = s->window_from_ts;
	t->window_to_ts = s->window_to_ts;
	return 0;
}

void aipm_summary_free(struct aipm_summary *s)
{
	if (!s)
		return;
	free(s->gpus);
	free(s);
}
