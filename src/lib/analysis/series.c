/* series.c: the sums of series.h. Pure arithmetic: no I/O, no allocation.
 *
 * The run functions are in the hot path of every report (once per line per
 * window): they touch only the ids a line can hold and keep the
 * unbounded window's case to one subtraction and one addition per series.
 */
#include "series.h"

#include <math.h>
#include <string.h>

void aipm_series_clear(struct aipm_series *s)
{
	s->nsid = 0;
	memset(s->q, 0, sizeof s->q);
}

double aipm_overlap(double a, double b, double lo, double hi)
{
	double x = a > lo ? a : lo, y = b < hi ? b : hi;
	return y > x ? y - x : 0;
}

bool aipm_touches(double a, double b, double lo, double hi)
{
	return aipm_overlap(a, b, lo, hi) > 0 || (lo == hi && a <= lo && lo <= b);
}

void aipm_sv_counter(struct aipm_sv *s, double a, double b, double d, double lo, double hi)
{
	if (a >= lo && b <= hi) { /* the whole interval: no interpolation */
		s->v += d;
		s->c += b - a;
		s->n++;
		return;
	}
	double ov = aipm_overlap(a, b, lo, hi);
	if (ov > 0) {
		s->v += d * (ov / (b - a));
		s->c += ov;
	}
	if (aipm_touches(a, b, lo, hi))
		s->n++;
}

/* The integral of the shape's power from its t0 to t (negative before). */
static double shape_int(const struct aipm_shape *sh, double t)
{
	double dt = sh->t1 - sh->t0;
	if (t <= sh->t0 || !(dt > 0))
		return sh->p0 * (t - sh->t0);
	if (t < sh->t1)
		return sh->p0 * (t - sh->t0) + (sh->p1 - sh->p0) * (t - sh->t0) * (t - sh->t0) / (2 * dt);
	return (sh->p0 + sh->p1) / 2 * dt + sh->p1 * (t - sh->t1);
}

void aipm_sv_counter_shaped(struct aipm_sv *s, double a, double b, double d, double lo, double hi,
			    const struct aipm_shape *sh)
{
	if (!sh || isnan(sh->p0) || isnan(sh->p1) || (a >= lo && b <= hi)) {
		aipm_sv_counter(s, a, b, d, lo, hi);
		return;
	}
	double all = shape_int(sh, b) - shape_int(sh, a);
	if (!(all > 0)) { /* no power drawn by the readings: evenly */
		aipm_sv_counter(s, a, b, d, lo, hi);
		return;
	}
	double x = a > lo ? a : lo, y = b < hi ? b : hi;
	if (y > x) {
		s->v += d * ((shape_int(sh, y) - shape_int(sh, x)) / all);
		s->c += y - x;
	}
	if (aipm_touches(a, b, lo, hi))
		s->n++;
}

void aipm_bridge_step(struct aipm_bridge *b, struct aipm_sv *s, long long *resets, double at, double tau,
		      double v, double p, double lo, double hi)
{
	if (isnan(v))
		return;
	if (isnan(b->last_v)) {
		b->first_ts = tau;
		b->first_v = v;
		b->first_at = at;
		b->first_p = p;
	} else if (v < b->last_v) {
		(*resets)++; /* a merged segment, a reset counter: no energy is negative */
	} else {
		double end = tau > b->last_ts ? tau : at;
		/* A bridge counter() kept has no line time: its own is it. */
		struct aipm_shape sh = {isnan(b->last_at) ? b->last_ts : b->last_at, b->last_p, at, p};
		aipm_sv_counter_shaped(s, b->last_ts, end, v - b->last_v, lo, hi, &sh);
	}
	b->last_ts = tau;
	b->last_v = v;
	b->last_at = at;
	b->last_p = p;
}

double aipm_gpu_tau(const struct aipm_line_gpu *g, double ts) { return g->energy_age_s >= 0 ? ts - g->energy_age_s : ts; }

double aipm_gpu_shape_power(const struct aipm_line_gpu *g, bool attributed)
{
	return attributed && !isnan(g->attributable_power_w) ? g->attributable_power_w : g->power_w;
}

void aipm_sv_power(struct aipm_sv *s, double a, double pa, double b, double pb, double lo, double hi)
{
	if (a >= lo && b <= hi) {
		s->v += (pa + pb) / 2 * (b - a);
		s->c += b - a;
		s->n++;
		return;
	}
	double x = a > lo ? a : lo, y = b < hi ? b : hi;
	if (y > x) {
		double px = pa + (pb - pa) * ((x - a) / (b - a)), py = pa + (pb - pa) * ((y - a) / (b - a));
		s->v += (px + py) / 2 * (y - x);
		s->c += y - x;
	}
	if (aipm_touches(a, b, lo, hi))
		s->n++;
}

void aipm_run_init(struct aipm_run *r)
{
	r->n = 0;
	r->first_ts = r->last_ts = NAN;
	for (int i = 0; i < AIPM_SID_MAX; i++) {
		r->first_p[i] = r->last_p[i] = NAN;
		r->br[i] = (struct aipm_bridge){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
	}
	aipm_series_clear(&r->acc);
	r->span = (struct aipm_sv){0, 0, 0};
	r->from_in = r->to_in = false;
	r->resets = 0;
}

/* One counter value v at ts: the interval from its last value, linear
 * between samples. aipm_bridge_step without a counter time or a shape
 * (left NAN in the bridge: the line's time, spread evenly), for the hot
 * path of every report; GPU counters take aipm_bridge_step itself. */
static void counter(struct aipm_run *r, int sid, double ts, double v, double lo, double hi)
{
	if (isnan(v))
		return;
	struct aipm_bridge *b = &r->br[sid];
	if (isnan(b->last_v)) {
		b->first_ts = ts;
		b->first_v = v;
	} else if (v < b->last_v) {
		r->resets++; /* a merged segment, a reset counter: no energy is negative */
	} else {
		aipm_sv_counter(&r->acc.q[sid], b->last_ts, ts, v - b->last_v, lo, hi);
	}
	b->last_ts = ts;
	b->last_v = v;
}

/* One power value p at ts: the interval from the previous sample, when it
 * had this power too. Always records p (or its absence) for the next. */
static void power(struct aipm_run *r, int sid, double ts, double p, double lo, double hi)
{
	double prev = r->last_p[sid];
	if (r->n && !isnan(prev) && !isnan(p))
		aipm_sv_power(&r->acc.q[sid], r->last_ts, prev, ts, p, lo, hi);
	r->last_p[sid] = p;
	if (!r->n)
		r->first_p[sid] = p;
}

void aipm_run_add(struct aipm_run *r, const struct aipm_line *l, const struct aipm_line_table *t, double lo,
		  double hi)
{
	double ts = l->ts;
	if (r->n) {
		aipm_sv_counter(&r->span, r->last_ts, ts, ts - r->last_ts, lo, hi);
		r->from_in |= r->last_ts < lo && lo < ts;
		r->to_in |= r->last_ts < hi && hi < ts;
	}
	counter(r, AIPM_SID_ATT_CPU, ts, l->attributed_cpu_j, lo, hi);
	counter(r, AIPM_SID_ATT_DRAM, ts, l->attributed_dram_j, lo, hi);
	counter(r, AIPM_SID_CPU_TIME, ts, l->cpu_time_s, lo, hi);
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		counter(r, AIPM_SID_EST + i, ts, l->est_j[i], lo, hi);
	for (int i = 0; i < AIPM_PW_COUNT; i++)
		power(r, AIPM_SID_PW + i, ts, l->pw[i], lo, hi);
	/* Every zone and GPU the table knows: one this line lacks must not
	 * leave a stale power for the next interval. */
	int nz = aipm_line_table_zones(t), ng = aipm_line_table_gpus(t);
	for (int z = 0; z < nz; z++) {
		int sid = t->zone_sid[z];
		counter(r, sid, ts, aipm_line_zone_energy(l, z), lo, hi);
		power(r, sid + 1, ts, aipm_line_zone_power(l, z), lo, hi);
	}
	for (int g = 0; g < ng; g++) {
		const struct aipm_line_gpu *gp = aipm_line_gpu_of(l, g);
		int sid = t->gpu[g].sid;
		double tau = aipm_gpu_tau(gp, ts);
		aipm_bridge_step(&r->br[sid], &r->acc.q[sid], &r->resets, ts, tau, gp->energy_j,
				 aipm_gpu_shape_power(gp, false), lo, hi);
		aipm_bridge_step(&r->br[sid + 1], &r->acc.q[sid + 1], &r->resets, ts, tau, gp->attributed_j,
				 aipm_gpu_shape_power(gp, true), lo, hi);
		power(r, sid + 2, ts, gp->power_w, lo, hi);
		power(r, sid + 3, ts, gp->attributable_power_w, lo, hi);
	}
	int nsid = aipm_line_table_sids(t);
	if (nsid > r->acc.nsid)
		r->acc.nsid = nsid;
	if (!r->n)
		r->first_ts = ts;
	r->last_ts = ts;
	r->n++;
}

static void sv_add(struct aipm_sv *a, const struct aipm_sv *b)
{
	a->v += b->v;
	a->c += b->c;
	a->n += b->n;
}

void aipm_series_add(struct aipm_series *w, const struct aipm_series *r)
{
	for (int i = 0; i < r->nsid; i++)
		sv_add(&w->q[i], &r->q[i]);
	if (r->nsid > w->nsid)
		w->nsid = r->nsid;
}

void aipm_run_join(struct aipm_run *a, const struct aipm_run *b, double lo, double hi)
{
	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	int nsid = a->acc.nsid > b->acc.nsid ? a->acc.nsid : b->acc.nsid;
	aipm_sv_counter(&a->span, a->last_ts, b->first_ts, b->first_ts - a->last_ts, lo, hi);
	a->from_in |= a->last_ts < lo && lo < b->first_ts;
	a->to_in |= a->last_ts < hi && hi < b->first_ts;
	for (int sid = 0; sid < nsid; sid++) {
		struct aipm_bridge *x = &a->br[sid];
		const struct aipm_bridge *y = &b->br[sid];
		/* The seam interval, for the counter from its last value on the
		 * left to its first on the right, for a power between the two
		 * samples at the seam. A series has one kind: one of the two
		 * holds. */
		if (!isnan(x->last_v) && !isnan(y->first_v)) {
			/* The same step as inside a run, from the left's last
			 * value to the right's first. */
			struct aipm_bridge seam = *x;
			aipm_bridge_step(&seam, &a->acc.q[sid], &a->resets,
					 isnan(y->first_at) ? y->first_ts : y->first_at, y->first_ts, y->first_v,
					 y->first_p, lo, hi);
		}
		if (!isnan(a->last_p[sid]) && !isnan(b->first_p[sid]))
			aipm_sv_power(&a->acc.q[sid], a->last_ts, a->last_p[sid], b->first_ts, b->first_p[sid], lo, hi);
		if (isnan(x->first_v)) {
			x->first_ts = y->first_ts;
			x->first_v = y->first_v;
			x->first_at = y->first_at;
			x->first_p = y->first_p;
		}
		if (!isnan(y->last_v)) {
			x->last_ts = y->last_ts;
			x->last_v = y->last_v;
			x->last_at = y->last_at;
			x->last_p = y->last_p;
		}
		a->last_p[sid] = b->last_p[sid];
	}
	aipm_series_add(&a->acc, &b->acc);
	sv_add(&a->span, &b->span);
	a->from_in |= b->from_in;
	a->to_in |= b->to_in;
	a->resets += b->resets;
	a->last_ts = b->last_ts;
	a->n += b->n;
}

/* A series the window has no id for yet (a zone first seen after it) was
 * not measured in it. */
static double val(const struct aipm_series *w, int sid) { return sid < w->nsid && w->q[sid].n ? w->q[sid].v : NAN; }

void aipm_series_derive(const struct aipm_series *w, const struct aipm_line_table *t, struct aipm_totals *out,
			const struct aipm_series_detail *d)
{
	double kind_j[AIPM_KIND_COUNT];
	for (int k = 0; k < AIPM_KIND_COUNT; k++)
		kind_j[k] = NAN;
	int nz = aipm_line_table_zones(t), ng = aipm_line_table_gpus(t);
	for (int z = 0; z < nz; z++) {
		double e = val(w, t->zone_sid[z]);
		if (isnan(e))
			e = val(w, t->zone_sid[z] + 1);
		kind_j[t->kind[z]] = aipm_nadd(kind_j[t->kind[z]], e);
		if (d && d->zone_j)
			d->zone_j[z] = e;
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
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		double e = kind_j[map[i].kind];
		if (isnan(e) && map[i].pw >= 0)
			e = val(w, AIPM_SID_PW + map[i].pw);
		out->total_j[map[i].t] = e;
	}
	double cpu = kind_j[AIPM_KIND_PACKAGE];
	out->total_j[AIPM_TOTAL_CPU] = isnan(cpu) ? val(w, AIPM_SID_PW + AIPM_PW_INTEL) : cpu;
	double att = val(w, AIPM_SID_ATT_CPU);
	out->attributed_cpu_j = isnan(att) ? val(w, AIPM_SID_PW + AIPM_PW_REL_CPU) : att;
	out->attributed_dram_j = val(w, AIPM_SID_ATT_DRAM);
	out->cpu_time_s = val(w, AIPM_SID_CPU_TIME);
	double gpu_j = NAN, gpu_att = NAN;
	for (int g = 0; g < ng; g++) {
		int sid = t->gpu[g].sid;
		double e = val(w, sid), a = val(w, sid + 1);
		bool from_power = isnan(e);
		if (isnan(e))
			e = val(w, sid + 2);
		if (isnan(a))
			a = val(w, sid + 3);
		gpu_j = aipm_nadd(gpu_j, e);
		gpu_att = aipm_nadd(gpu_att, a);
		if (d && d->gpu_j) {
			d->gpu_j[g] = e;
			d->gpu_att_j[g] = a;
			d->gpu_from_power[g] = from_power && !isnan(e);
		}
	}
	out->total_j[AIPM_TOTAL_GPU] = isnan(gpu_j) ? val(w, AIPM_SID_PW + AIPM_PW_GPU) : gpu_j;
	out->attributed_gpu_j = isnan(gpu_att) ? val(w, AIPM_SID_PW + AIPM_PW_REL_GPU) : gpu_att;
	/* The estimate's own totals: never part of the measured ones above. */
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		out->est_j[i] = val(w, AIPM_SID_EST + i);
}

double aipm_totals_machine_j(const struct aipm_totals *t)
{
	double e = aipm_nadd(aipm_nadd(t->total_j[AIPM_TOTAL_CPU], t->total_j[AIPM_TOTAL_DRAM]),
			     t->total_j[AIPM_TOTAL_GPU]);
	return isnan(e) ? t->total_j[AIPM_TOTAL_PSYS] : e;
}

double aipm_totals_attributed_j(const struct aipm_totals *t)
{
	return aipm_nadd(aipm_nadd(t->attributed_cpu_j, t->attributed_dram_j), t->attributed_gpu_j);
}
