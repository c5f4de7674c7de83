/* plot_data.c: a recording's series for a plot (plot_data.h).
 *
 * One pass over power_metrics.json through the one reader (flatten.h),
 * with each sample's parsed line (record/line.h) for the default power
 * panel and its JSON tree for named metrics and the CPU estimate; the
 * summary (analysis/summary.h) for the legends' energies and the names of
 * GPUs; phases.json through the report's pairing rule. It draws nothing.
 *
 * The default panel holds every zone and GPU, the machine's power (CPU
 * packages + DRAM + GPUs, the report's headline), the experiment's
 * attributed power (from its cumulative attributed energies) and, where
 * the recording has one, the CPU estimate with its bounds.
 */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/out.h"
#include "analysis/summary_out.h"
#include "error.h"
#include "flatten.h"
#include "plot_data.h"
#include "record/sidefiles.h"

/* The default panel's fixed series, after the zones' and GPUs'. */
enum { FIX_MACHINE, FIX_ATTRIBUTED, FIX_ESTIMATE, FIX_PW, FIX_COUNT = FIX_PW + AIPM_PW_GPU + 1 };

struct collect {
	struct plot_data *d;
	const char *const *metrics;
	size_t nmetrics;
	struct aipm_names names; /* named metrics: series by field name */
	struct aipm_line_table *t;
	int zone_s[AIPM_FORMAT_MAX_ZONES], gpu_s[AIPM_FORMAT_MAX_GPUS], fix_s[FIX_COUNT];
	/* the sample before, and what the interval to this one is */
	bool have_prev, cont;
	int prev_seg, seg;
	double prev_ts, ts;
	/* the experiment's attributed counters at the sample before */
	double att_prev[2 + AIPM_FORMAT_MAX_GPUS];
	int machine_parts; /* zones and GPUs the machine's power sums */
	int err;
};

static struct plot_series *new_series(struct collect *c, const char *key, enum plot_role role, int rank)
{
	struct plot_data *d = c->d;
	if (d->ns == PLOT_MAX_SERIES) {
		d->dropped_series++;
		return NULL;
	}
	struct plot_series *s = &d->s[d->ns];
	memset(s, 0, sizeof *s);
	s->p = malloc(PLOT_MAX_POINTS * sizeof *s->p);
	if (!s->p) {
		c->err = -ENOMEM;
		return NULL;
	}
	d->ns++;
	snprintf(s->key, sizeof s->key, "%s", key);
	s->role = role;
	s->rank = rank;
	s->unit = "W";
	s->scale = 1;
	s->style = PLOT_STEP;
	s->stride = 1;
	s->c_last = s->c_ts = NAN;
	s->c_seg = -1;
	s->drawn_t1 = -INFINITY;
	s->zone = s->gpu = s->total = -1;
	return s;
}

/* Past PLOT_MAX_POINTS, neighbouring steps merge into one over both
 * intervals at their time-weighted mean (the energy stays), and lines keep
 * every other point. */
static void thin(struct plot_series *s)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++, k++) {
		struct plot_point a = s->p[i];
		if (s->style == PLOT_STEP && i + 1 < s->n && s->p[i + 1].t0 == a.t1 && s->p[i + 1].seg == a.seg) {
			const struct plot_point *b = &s->p[++i];
			double wa = a.t1 - a.t0, wb = b->t1 - b->t0, w = wa + wb;
			a.v = (a.v * wa + b->v * wb) / w;
			a.lo = (a.lo * wa + b->lo * wb) / w;
			a.hi = (a.hi * wa + b->hi * wb) / w;
			a.t1 = b->t1;
		} else if (s->style == PLOT_LINE && i + 1 < s->n) {
			i++;
		}
		s->p[k] = a;
	}
	if (k == s->n) /* steps with gaps everywhere: drop every other */
		for (k = 0; 2 * k < s->n; k++)
			s->p[k] = s->p[2 * k];
	s->n = k;
	if (s->style == PLOT_LINE)
		s->stride *= 2;
}

static void push(struct plot_series *s, double t0, double t1, double v, double lo, double hi, int seg)
{
	if (!s || !isfinite(v))
		return;
	s->peak = fmax(s->peak, isfinite(hi) ? hi : v);
	if (s->style == PLOT_STEP) {
		s->area += v * (t1 - t0);
		s->span += t1 - t0;
		s->drawn_t1 = t1;
	} else {
		s->area += v;
		s->span += 1;
		if (s->seen++ % s->stride)
			return;
	}
	if (s->n == PLOT_MAX_POINTS)
		thin(s);
	s->p[s->n++] = (struct plot_point){t0, t1, v, lo, hi, seg};
}

/* The power of the interval ending now: the counter's change over it
 * where the counter was read at both ends (an interval average, exact),
 * else the power the line gives. *from is where the interval starts. */
static double interval_power(struct collect *c, struct plot_series *s, double counter, double power, double *from)
{
	double v = NAN;
	*from = c->prev_ts;
	if (isfinite(counter)) {
		/* Only over intervals nothing was drawn in yet: a counter read
		 * again after a failed read covers the samples between. */
		if (s->c_seg == c->seg && counter >= s->c_last && c->ts > s->c_ts && s->c_ts >= s->drawn_t1) {
			v = (counter - s->c_last) / (c->ts - s->c_ts);
			*from = s->c_ts;
		}
		s->c_last = counter;
		s->c_ts = c->ts;
		s->c_seg = c->seg;
	}
	if (isnan(v) && c->cont && isfinite(power))
		v = power;
	return v;
}

static struct plot_series *part(struct collect *c, int *slot, const char *key, int rank)
{
	if (*slot == -2)
		return NULL; /* past the limit of series */
	if (*slot < 0) {
		struct plot_series *s = new_series(c, key, PLOT_PART, rank);
		*slot = s ? (int)(s - c->d->s) : -2;
	}
	return *slot >= 0 ? &c->d->s[*slot] : NULL;
}

/* The machine's power of this interval: every part it sums, each over
 * exactly this interval; a part missing here leaves the interval out
 * rather than drawing a dip that is not there. */
struct machine {
	double w;
	int parts;
	bool whole;
};

static void add_part(struct collect *c, struct machine *m, struct plot_series *s, double v, double from)
{
	push(s, from, c->ts, v, NAN, NAN, c->seg);
	m->parts++;
	if (isfinite(v) && from == c->prev_ts)
		m->w += v;
	else
		m->whole = false;
}

static void zones_and_gpus(struct collect *c, const struct aipm_line *l, struct machine *m)
{
	const struct aipm_line_table *t = c->t;
	double from;
	int nz = aipm_line_table_zones(t), ng = aipm_line_table_gpus(t);
	for (int z = 0; z < nz; z++) {
		struct plot_series *s = part(c, &c->zone_s[z], t->zone[z], 10 + (int)t->kind[z]);
		if (!s)
			continue;
		s->zone = z;
		double v = interval_power(c, s, aipm_line_zone_energy(l, z), aipm_line_zone_power(l, z), &from);
		if (t->kind[z] == AIPM_KIND_PACKAGE || t->kind[z] == AIPM_KIND_DRAM)
			add_part(c, m, s, v, from);
		else
			push(s, from, c->ts, v, NAN, NAN, c->seg);
	}
	for (int g = 0; g < ng; g++) {
		char key[64];
		snprintf(key, sizeof key, "%s:%ld", t->gpu[g].vendor, t->gpu[g].index);
		struct plot_series *s = part(c, &c->gpu_s[g], key, 30);
		if (!s)
			continue;
		s->gpu = g;
		const struct aipm_line_gpu *x = aipm_line_gpu_of(l, g);
		double v = interval_power(c, s, x ? x->energy_j : NAN, x ? x->power_w : NAN, &from);
		add_part(c, m, s, v, from);
	}
	/* AIPowerMeter's whole-machine powers stand in where there are no
	 * zones or no GPUs: intel_power, ..., nvidia_draw_absolute. */
	for (int k = 0; k <= AIPM_PW_GPU; k++) {
		if ((k == AIPM_PW_GPU ? ng : nz) || !isfinite(l->pw[k]))
			continue;
		static const char *const keys[] = {"intel_power", "total_cpu_power", "uncore_power", "total_dram_power",
						   "psys_power", "nvidia_draw_absolute"};
		struct plot_series *s = part(c, &c->fix_s[FIX_PW + k], keys[k], k == AIPM_PW_GPU ? 30 : 10 + k);
		if (!s || !c->cont)
			continue;
		if (k == AIPM_PW_INTEL || k == AIPM_PW_DRAM || k == AIPM_PW_GPU)
			add_part(c, m, s, l->pw[k], c->prev_ts);
		else
			push(s, c->prev_ts, c->ts, l->pw[k], NAN, NAN, c->seg);
	}
}

/* The experiment's power of this interval, from the change of its
 * attributed energies (CPU, DRAM, each GPU), else AIPowerMeter's
 * attributable powers. A counter read at one end only leaves it out. */
static void attributed(struct collect *c, const struct aipm_line *l)
{
	int ng = aipm_line_table_gpus(c->t);
	double now[2 + AIPM_FORMAT_MAX_GPUS], sum = 0;
	bool any = false, partial = false;
	now[0] = l->attributed_cpu_j;
	now[1] = l->attributed_dram_j;
	for (int g = 0; g < ng; g++) {
		const struct aipm_line_gpu *x = aipm_line_gpu_of(l, g);
		now[2 + g] = x ? x->attributed_j : NAN;
	}
	for (int i = 0; i < 2 + ng; i++) {
		double a = c->att_prev[i], b = now[i];
		if (c->cont && isfinite(a) && isfinite(b) && b >= a) {
			sum += b - a;
			any = true;
		} else if (c->cont && (isfinite(a) || isfinite(b))) {
			partial = true;
		}
		c->att_prev[i] = b;
	}
	double w = any && !partial ? sum / (c->ts - c->prev_ts) : NAN;
	if (isnan(w) && !any && c->cont && (isfinite(l->pw[AIPM_PW_REL_CPU]) || isfinite(l->pw[AIPM_PW_REL_GPU])))
		w = aipm_nadd(l->pw[AIPM_PW_REL_CPU], l->pw[AIPM_PW_REL_GPU]);
	if (isfinite(w)) {
		struct plot_series *s = part(c, &c->fix_s[FIX_ATTRIBUTED], "attributed", 0);
		if (s)
			s->role = PLOT_ATTRIBUTED;
		push(s, c->prev_ts, c->ts, w, NAN, NAN, c->seg);
	}
}

/* The CPU estimate (docs/estimate.md): a model, not a measurement, drawn
 * apart from every measured series, with its bounds. The reader parses it
 * (record/line.h: est_w); its energies for the legend are the summary's. */
static void estimate(struct collect *c, const struct aipm_line *l)
{
	if (!isfinite(l->est_w[AIPM_EST_W]) && !isfinite(l->est_j[AIPM_EST_J]))
		return;
	struct plot_series *s = part(c, &c->fix_s[FIX_ESTIMATE], "cpu_estimate", 0);
	if (!s)
		return;
	s->role = PLOT_ESTIMATE;
	if (c->cont)
		push(s, c->prev_ts, c->ts, l->est_w[AIPM_EST_W], l->est_w[AIPM_EST_W_LOW], l->est_w[AIPM_EST_W_HIGH],
		     c->seg);
}

static void power_sample(struct collect *c, const struct aipm_line *l)
{
	struct machine m = {0, 0, true};
	zones_and_gpus(c, l, &m);
	c->machine_parts = m.parts > c->machine_parts ? m.parts : c->machine_parts;
	if (c->cont && m.whole && m.parts > 0) {
		struct plot_series *s = part(c, &c->fix_s[FIX_MACHINE], "machine", 0);
		if (s)
			s->role = PLOT_MACHINE;
		push(s, c->prev_ts, c->ts, m.w, NAN, NAN, c->seg);
	}
	attributed(c, l);
	estimate(c, l);
}

/* Which of the metrics asked for names this field (its prefix), or -1. */
static int wanted(const struct collect *c, const char *name)
{
	for (size_t i = 0; i < c->nmetrics; i++) {
		size_t n = strlen(c->metrics[i]);
		if (!strncmp(c->metrics[i], name, n) && (name[n] == '\0' || name[n] == '.'))
			return (int)i;
	}
	return -1;
}

static void leaf(void *ctx, const char *name, const cJSON *j)
{
	struct collect *c = ctx;
	int m = wanted(c, name);
	if (m < 0 || !cJSON_IsNumber(j) || !isfinite(j->valuedouble))
		return;
	long id = aipm_names_find(&c->names, name, true);
	if (id < 0) {
		c->err = -ENOMEM;
		return;
	}
	struct plot_series *s = NULL;
	if (id < c->d->ns) {
		s = &c->d->s[id];
	} else if (id == c->d->ns) {
		struct plot_field f;
		plot_field_of(name, &f);
		/* panels and legends in the order the metrics were asked for */
		if (!(s = new_series(c, name, PLOT_PART, m * PLOT_MAX_SERIES + (int)id)))
			return;
		s->unit = f.unit;
		s->style = f.style;
		s->total = f.total;
		s->scale = f.scale;
	} else {
		return; /* past the limit: counted once, when first seen */
	}
	double v = j->valuedouble * s->scale;
	if (s->style == PLOT_LINE)
		push(s, c->ts, c->ts, v, NAN, NAN, c->seg);
	else if (c->cont)
		push(s, c->prev_ts, c->ts, v, NAN, NAN, c->seg);
}

static int sample(void *ctx, const cJSON *root, const struct aipm_sample *smp)
{
	struct collect *c = ctx;
	struct plot_data *d = c->d;
	c->ts = smp->line->ts;
	c->seg = smp->segment;
	c->cont = c->have_prev && c->seg == c->prev_seg && !smp->segment_start && c->ts > c->prev_ts;
	d->t0 = fmin(d->t0, c->ts);
	d->t1 = fmax(d->t1, c->ts);
	if (d->defaults)
		power_sample(c, smp->line);
	else
		aipm_flatten_metrics(root, leaf, c);
	c->have_prev = true;
	c->prev_ts = c->ts;
	c->prev_seg = c->seg;
	return c->err;
}

/* Phases to shade, paired as the report pairs them; one colour per name.
 * Past PLOT_MAX_PHASES the rest are counted, not drawn. */
static void read_phases(const char *dir, struct plot_data *d)
{
	struct aipm_phase_edges *e;
	if (aipm_phase_edges_open(dir, &e) < 0) {
		aipm_err_clear();
		return; /* no phases.json: nothing to shade */
	}
	struct aipm_names names = {0};
	struct aipm_phase_edge x;
	while (aipm_phase_edges_next(e, &x) > 0) {
		if (x.id >= PLOT_MAX_PHASES) {
			d->phases_dropped += !x.end;
			continue;
		}
		struct plot_phase *p = &d->ph[x.id];
		if (!x.end) {
			snprintf(p->name, sizeof p->name, "%s", x.name);
			p->occurrence = x.occurrence;
			long k = aipm_names_find(&names, x.name, true);
			p->colour = k < 0 ? 0 : (int)k;
			p->t0 = x.ts;
			p->t1 = NAN; /* until its end comes */
			d->nph = (int)x.id + 1 > d->nph ? (int)x.id + 1 : d->nph;
		} else if (!x.open) {
			p->t1 = x.ts; /* ids count phases in begin order */
		}
	}
	d->phase_names = (int)names.n;
	aipm_names_free(&names);
	aipm_phase_edges_close(e);
	aipm_err_clear();
}

static void label_power(struct collect *c, struct plot_series *s)
{
	const struct aipm_summary *sum = c->d->sum;
	struct aipm_headline h;
	aipm_summary_headline(sum, &h);
	double dur = sum->duration_s;
	char extra[96];
	if (s->role == PLOT_MACHINE) {
		snprintf(s->label, sizeof s->label, "machine (%s)", h.includes[0] ? h.includes : "measured parts");
		plot_legend_energy(s, h.energy_j, dur, NULL);
	} else if (s->role == PLOT_ATTRIBUTED) {
		snprintf(s->label, sizeof s->label, "the experiment's share");
		struct aipm_buf b = {0};
		if (isfinite(h.share))
			aipm_buf_cprintf(&b, ", %.1f %% of the run", 100 * h.share);
		snprintf(extra, sizeof extra, "%s", b.data ? b.data : "");
		aipm_buf_free(&b);
		plot_legend_energy(s, h.attributed_j, dur, extra);
	} else if (s->role == PLOT_ESTIMATE) {
		snprintf(s->label, sizeof s->label, "CPU estimate (a model, not measured)");
		const double *e = sum->est.j;
		char lo[64], hi[64];
		plot_energy_str(e[AIPM_EST_J_LOW], lo, sizeof lo);
		plot_energy_str(e[AIPM_EST_J_HIGH], hi, sizeof hi);
		/* legend text: two short energies ("1.2 kJ"); a cut one still reads */
		aipm_snprintf_trunc(extra, sizeof extra, " (%s to %s)", lo, hi);
		if (isfinite(e[AIPM_EST_J]))
			plot_legend_energy(s, e[AIPM_EST_J], dur,
				      isfinite(e[AIPM_EST_J_LOW]) && isfinite(e[AIPM_EST_J_HIGH]) ? extra : NULL);
		else
			plot_legend_named(s, sum); /* powers without energies: their mean */
	} else if (s->zone >= 0) {
		aipm_zone_label(s->key, s->label, sizeof s->label);
		for (int z = 0; z < sum->nzones; z++)
			if (!strcmp(sum->zones[z].name, s->key))
				plot_legend_energy(s, sum->zones[z].energy_j, dur, NULL);
	} else if (s->gpu >= 0) {
		int g = plot_summary_gpu(sum, c->t->gpu[s->gpu].vendor, c->t->gpu[s->gpu].index);
		if (g >= 0) {
			aipm_summary_gpu_title(sum, &sum->gpus[g], s->label, sizeof s->label);
			plot_legend_energy(s, sum->gpus[g].energy_j, dur, NULL);
		} else {
			aipm_gpu_label_for(c->t->gpu[s->gpu].vendor, c->t->gpu[s->gpu].index, NULL, false, s->label,
					   sizeof s->label);
		}
	} else {
		struct plot_field f;
		plot_field_of(s->key, &f);
		plot_field_label(s->key, sum, s->label, sizeof s->label);
		if (f.total >= 0)
			plot_legend_energy(s, sum->total_j[f.total], dur, NULL);
	}
}

/* Labels and legends once the pass is over; series that say nothing
 * (no point, or a machine line that is its one part again) go. */
static void finish(struct collect *c)
{
	struct plot_data *d = c->d;
	int k = 0;
	for (int i = 0; i < d->ns; i++) {
		struct plot_series *s = &d->s[i];
		bool echo = s->role == PLOT_MACHINE && c->machine_parts < 2;
		if (!s->n || echo) {
			free(s->p);
			continue;
		}
		if (d->defaults)
			label_power(c, s);
		else {
			plot_field_label(s->key, d->sum, s->label, sizeof s->label);
			plot_legend_named(s, d->sum);
		}
		if (!s->label[0])
			/* never unnamed; a legend, so a long key may lose its tail */
			aipm_snprintf_trunc(s->label, sizeof s->label, "%s", s->key);
		d->s[k++] = *s;
	}
	d->ns = k;
}

static void titles(const char *dir, struct plot_data *d)
{
	const struct aipm_summary *s = d->sum;
	const char *base = strrchr(dir, '/');
	base = base && base[1] ? base + 1 : dir;
	snprintf(d->title, sizeof d->title, "%s", s->description[0] ? s->description : base);
	char date[64] = "?";
	if (isfinite(d->t0))
		aipm_format_date_ts(date, sizeof date, d->t0);
	struct aipm_buf b = {0};
	aipm_buf_cprintf(&b, "%s, started %.19s (local time)", dir, date);
	if (isfinite(s->duration_s))
		aipm_buf_cprintf(&b, ", %.1f s recorded", s->duration_s);
	if (d->segments > 1)
		aipm_buf_cprintf(&b, " in %d segments", d->segments);
	snprintf(d->subtitle, sizeof d->subtitle, "%s", b.data ? b.data : dir);
	aipm_buf_free(&b);
}

int plot_data_load(const char *dir, const char *const *metrics, size_t nmetrics, struct plot_data *d)
{
	memset(d, 0, sizeof *d);
	d->t0 = INFINITY;
	d->t1 = -INFINITY;
	d->defaults = nmetrics == 0;
	int rc = aipm_summary_load(dir, NULL, &d->sum);
	if (rc < 0)
		return rc;
	struct collect *c = calloc(1, sizeof *c);
	struct aipm_line_table *t = calloc(1, sizeof *t);
	if (!c || !t) {
		free(c);
		free(t);
		return aipm_err(-ENOMEM, "out of memory");
	}
	c->d = d;
	c->t = t;
	c->metrics = metrics;
	c->nmetrics = nmetrics;
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(c->att_prev); i++)
		c->att_prev[i] = NAN;
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(c->zone_s); i++)
		c->zone_s[i] = -1;
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(c->gpu_s); i++)
		c->gpu_s[i] = -1;
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(c->fix_s); i++)
		c->fix_s[i] = -1;
	struct aipm_reader_stats rs;
	/* The default panel reads the parsed lines alone; named metrics their
	 * JSON trees (flatten.h). */
	rc = aipm_recording_foreach_table(dir, t, !d->defaults, sample, c, &rs);
	d->skipped_lines = aipm_reader_skipped(&rs);
	d->segments = rs.segments;
	if (!rc && c->err)
		rc = aipm_err(c->err, "%s: out of memory", dir);
	if (!rc) {
		if (!d->defaults && c->names.n > (size_t)d->ns) /* each field past the limit once */
			d->dropped_series = (int)(c->names.n - (size_t)d->ns);
		finish(c);
		read_phases(dir, d);
		titles(dir, d);
	}
	aipm_names_free(&c->names);
	free(c);
	free(t);
	return rc;
}

void plot_data_free(struct plot_data *d)
{
	for (int i = 0; i < d->ns; i++)
		free(d->s[i].p);
	d->ns = 0;
	aipm_summary_free(d->sum);
	d->sum = NULL;
}
