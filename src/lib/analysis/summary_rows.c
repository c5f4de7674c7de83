/* summary_rows.c: the headline and the energy table of a summary
 * (summary_out.h), as rows every report prints its own way.
 *
 * Zones are placed by what holds them (summary.h: a zone's "inside"), so
 * psys, which already holds the packages, is never shown as their peer
 * and never added to them; kinds are ordered psys, package, core, uncore,
 * DRAM, other. A sum row appears only over two or more zones of one kind:
 * one package is one row, not "cpu_total", "package" and "package-0"
 * saying the same number three times. Recordings without zones
 * (AIPowerMeter's whole-machine powers) get the same tree from their kind
 * totals.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/out.h"
#include "error.h"
#include "summary_out.h"

static const char *const kind_words[AIPM_KIND_COUNT] = {
	[AIPM_KIND_PACKAGE] = "CPU packages", [AIPM_KIND_CORE] = "cores", [AIPM_KIND_UNCORE] = "uncore",
	[AIPM_KIND_DRAM] = "DRAM",            [AIPM_KIND_PSYS] = "psys",  [AIPM_KIND_OTHER] = "other zones",
};
static const int kind_rank[AIPM_KIND_COUNT] = {
	[AIPM_KIND_PSYS] = 0, [AIPM_KIND_PACKAGE] = 1, [AIPM_KIND_CORE] = 2,
	[AIPM_KIND_UNCORE] = 3, [AIPM_KIND_DRAM] = 4, [AIPM_KIND_OTHER] = 5,
};

struct aipm_totals aipm_summary_totals(const struct aipm_summary *s)
{
	struct aipm_totals t;
	memcpy(t.total_j, s->total_j, sizeof t.total_j);
	t.attributed_cpu_j = s->attributed_cpu_j;
	t.attributed_dram_j = s->attributed_dram_j;
	t.attributed_gpu_j = s->attributed_gpu_j;
	t.cpu_time_s = s->cpu_time_s;
	return t;
}

void aipm_summary_headline(const struct aipm_summary *s, struct aipm_headline *h)
{
	struct aipm_totals t = aipm_summary_totals(s);
	h->energy_j = aipm_totals_machine_j(&t);
	h->attributed_j = isnan(h->energy_j) ? NAN : aipm_totals_attributed_j(&t);
	h->share = h->energy_j > 0 ? h->attributed_j / h->energy_j : NAN;
	h->duration_s = s->duration_s;
	h->mean_w = s->duration_s > 0 ? h->energy_j / s->duration_s : NAN;
	h->includes[0] = '\0';
	const struct {
		enum aipm_total t;
		const char *word;
	} parts[] = {{AIPM_TOTAL_CPU, "CPU packages"}, {AIPM_TOTAL_DRAM, "DRAM"}, {AIPM_TOTAL_GPU, "GPUs"}};
	size_t n = 0;
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(parts); i++)
		if (!isnan(s->total_j[parts[i].t]))
			n += (size_t)snprintf(h->includes + n, sizeof h->includes - n, "%s%s", n ? " + " : "", parts[i].word);
	if (!n && !isnan(s->total_j[AIPM_TOTAL_PSYS]))
		snprintf(h->includes, sizeof h->includes, "psys");
}

struct table {
	const struct aipm_summary *s;
	const struct aipm_summary_zone *z; /* measured zones, or kind totals as zones */
	int nz;
	struct aipm_energy_row *r;
	int n, cap;
	bool oom, machine_parts; /* packages, DRAM or GPUs measured: psys is not in the run */
};

static struct aipm_energy_row *row(struct table *t, enum aipm_row_kind kind, int depth, const char *label)
{
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		void *v = realloc(t->r, (size_t)cap * sizeof *t->r);
		if (!v) {
			t->oom = true;
			return NULL;
		}
		t->r = v;
		t->cap = cap;
	}
	struct aipm_energy_row *r = &t->r[t->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->depth = depth;
	r->zone_kind = -1;
	r->energy_j = r->mean_w = r->attributed_j = NAN;
	snprintf(r->label, sizeof r->label, "%s", label);
	return r;
}

static void set_energy(struct table *t, struct aipm_energy_row *r, double j)
{
	r->energy_j = j;
	r->mean_w = t->s->duration_s > 0 ? j / t->s->duration_s : NAN;
}

/* Whether zone i is held by a zone of the list named inside. */
static bool held(const struct table *t, int i, const char *parent)
{
	const char *in = t->z[i].inside;
	if (parent)
		return !strcmp(in, parent);
	for (int k = 0; in[0] && k < t->nz; k++)
		if (k != i && !strcmp(t->z[k].name, in))
			return false;
	return true; /* a root: inside nothing, or inside a zone not listed */
}

static void zone_row(struct table *t, int i, int depth);

/* The zones directly inside parent (NULL: the roots), kind by kind. */
static void children(struct table *t, const char *parent, int depth)
{
	for (int rank = 0; rank < AIPM_KIND_COUNT; rank++) {
		int members = 0, of_kind = 0;
		double sum = NAN;
		enum aipm_kind kind = AIPM_KIND_OTHER;
		for (int i = 0; i < t->nz; i++) {
			if (kind_rank[t->z[i].kind] != rank)
				continue;
			kind = t->z[i].kind;
			of_kind++;
			if (held(t, i, parent)) {
				members++;
				sum = aipm_nadd(sum, t->z[i].energy_j);
			}
		}
		if (!members)
			continue;
		int d = depth;
		if (members > 1) {
			struct aipm_energy_row *r = row(t, AIPM_ROW_SUM, depth, kind_words[kind]);
			if (!r)
				return;
			set_energy(t, r, sum);
			r->zone_kind = (int)kind;
			/* A kind total of the report when these are all its zones. */
			r->key = members == of_kind && kind != AIPM_KIND_OTHER ? aipm_total_name((enum aipm_total)kind) : NULL;
			if (kind == AIPM_KIND_OTHER)
				r->note = "not added to any total";
			d = depth + 1;
		}
		for (int i = 0; i < t->nz; i++)
			if (kind_rank[t->z[i].kind] == rank && held(t, i, parent))
				zone_row(t, i, d);
	}
}

static void zone_row(struct table *t, int i, int depth)
{
	const struct aipm_summary_zone *z = &t->z[i];
	char label[192];
	if (t->s->nzones)
		aipm_zone_label(z->name, label, sizeof label);
	else
		snprintf(label, sizeof label, "%s", kind_words[z->kind]);
	struct aipm_energy_row *r = row(t, AIPM_ROW_PART, depth, label);
	if (!r)
		return;
	set_energy(t, r, z->energy_j);
	r->zone_kind = (int)z->kind;
	r->key = z->name;
	bool has_children = false;
	for (int k = 0; k < t->nz; k++)
		has_children |= k != i && !strcmp(t->z[k].inside, z->name);
	if (z->kind == AIPM_KIND_PSYS && has_children)
		r->note = "holds the packages";
	else if (z->kind == AIPM_KIND_OTHER && depth == 0)
		r->note = "not added to any total";
	children(t, z->name, depth + 1);
}

/* The row that stands for all packages (or all DRAM): their sum row, or
 * the one zone of that kind. The experiment's share goes there. */
static struct aipm_energy_row *kind_row(struct table *t, enum aipm_kind k)
{
	int zones = 0;
	for (int i = 0; i < t->nz; i++)
		zones += t->z[i].kind == k;
	for (int i = 0; i < t->n; i++)
		if (t->r[i].zone_kind == (int)k && (t->r[i].kind == AIPM_ROW_SUM || zones == 1))
			return &t->r[i];
	return NULL;
}

void aipm_summary_gpu_title(const struct aipm_summary *s, const struct aipm_summary_gpu *g, char *out, size_t n)
{
	bool several = false;
	for (int i = 0; i < s->ngpus; i++)
		several |= strcmp(s->gpus[i].vendor, g->vendor) != 0;
	char label[192];
	aipm_gpu_label_for(g->vendor, g->index, g->name, several, label, sizeof label);
	if (s->recordings > 1 && g->from[0])
		snprintf(out, n, "%s: %s", g->from, label);
	else if (s->recordings > 1)
		snprintf(out, n, "recording %d: %s", g->recording + 1, label);
	else
		snprintf(out, n, "%s", label);
}

static void gpu_rows(struct table *t)
{
	const struct aipm_summary *s = t->s;
	int d = 0;
	if (s->ngpus != 1 && !isnan(s->total_j[AIPM_TOTAL_GPU])) {
		struct aipm_energy_row *r = row(t, s->ngpus ? AIPM_ROW_SUM : AIPM_ROW_PART, 0, "GPUs");
		if (!r)
			return;
		set_energy(t, r, s->total_j[AIPM_TOTAL_GPU]);
		r->attributed_j = s->attributed_gpu_j;
		r->key = aipm_total_name(AIPM_TOTAL_GPU);
		r->in_run = true;
		d = 1;
	}
	for (int i = 0; i < s->ngpus; i++) {
		char label[192];
		aipm_summary_gpu_title(s, &s->gpus[i], label, sizeof label);
		struct aipm_energy_row *r = row(t, AIPM_ROW_PART, d, label);
		if (!r)
			return;
		set_energy(t, r, s->gpus[i].energy_j);
		r->attributed_j = s->gpus[i].attributed_j;
		if (s->ngpus == 1 && isnan(r->attributed_j))
			r->attributed_j = s->attributed_gpu_j; /* AIPowerMeter's nvidia_attributable_power */
		r->in_run = !isnan(r->energy_j);
		if (s->ngpus == 1)
			r->key = aipm_total_name(AIPM_TOTAL_GPU);
	}
}

static void missing(struct table *t, const char *label, const char *reason, const char *fix)
{
	struct aipm_energy_row *r = row(t, AIPM_ROW_MISSING, 0, label);
	if (!r)
		return;
	snprintf(r->reason, sizeof r->reason, "%s", reason);
	snprintf(r->fix, sizeof r->fix, "%s", fix ? fix : "");
}

/* A part the recording has no energy for, and why: its source's words
 * (metadata.json), else what the recording lacks. Not for a window that
 * no sample covers: the parts exist, the window holds nothing. */
static void missing_rows(struct table *t)
{
	const struct aipm_summary *s = t->s;
	if (s->missing[0])
		return;
	bool cpu = isnan(s->total_j[AIPM_TOTAL_CPU]) && isnan(s->total_j[AIPM_TOTAL_PACKAGE]);
	bool dram = isnan(s->total_j[AIPM_TOTAL_DRAM]);
	if (cpu) {
		bool both = dram && (!s->dram_reason[0] || !strcmp(s->dram_reason, s->cpu_reason));
		missing(t, both ? "CPU and DRAM energy" : "CPU energy",
			s->cpu_reason[0] ? s->cpu_reason : "the recording has no RAPL package zone", s->cpu_fix);
		dram = dram && !both;
	}
	if (dram)
		missing(t, "DRAM energy", s->dram_reason[0] ? s->dram_reason : "the recording has no DRAM zone", NULL);
	if (isnan(s->total_j[AIPM_TOTAL_GPU]))
		missing(t, "GPU energy", s->gpu_reason[0] ? s->gpu_reason : "the recording has no GPU", NULL);
}

int aipm_summary_rows(const struct aipm_summary *s, struct aipm_energy_row **rows)
{
	struct table t = {.s = s};
	struct aipm_summary_zone kinds[AIPM_KIND_COUNT];
	struct aipm_summary_zone *z = malloc(((size_t)s->nzones + 1) * sizeof *z);
	if (!z)
		return aipm_err(-ENOMEM, "out of memory");
	for (int i = 0; i < s->nzones; i++)
		if (!isnan(s->zones[i].energy_j))
			z[t.nz++] = s->zones[i];
	if (!s->nzones) {
		/* Kind totals as zones, held as the hardware holds them. */
		for (int k = 0; k < AIPM_KIND_OTHER; k++) {
			/* AIPowerMeter's intel_power is the packages' cpu_total. */
			enum aipm_total tk = k == AIPM_KIND_PACKAGE && isnan(s->total_j[k]) ? AIPM_TOTAL_CPU
											   : (enum aipm_total)k;
			if (isnan(s->total_j[tk]))
				continue;
			struct aipm_summary_zone *x = &kinds[t.nz++];
			memset(x, 0, sizeof *x);
			snprintf(x->name, sizeof x->name, "%s", aipm_total_name(tk));
			x->kind = (enum aipm_kind)k;
			x->energy_j = s->total_j[tk];
			enum aipm_total in = k == AIPM_KIND_PACKAGE ? AIPM_TOTAL_PSYS
					     : k == AIPM_KIND_CORE || k == AIPM_KIND_UNCORE ? AIPM_TOTAL_PACKAGE
											      : AIPM_TOTAL_COUNT;
			if (in == AIPM_TOTAL_PACKAGE && isnan(s->total_j[in]))
				in = AIPM_TOTAL_CPU;
			if (in != AIPM_TOTAL_COUNT && !isnan(s->total_j[in]))
				snprintf(x->inside, sizeof x->inside, "%s", aipm_total_name(in));
		}
	}
	t.z = s->nzones ? z : kinds;
	t.machine_parts = !isnan(s->total_j[AIPM_TOTAL_CPU]) || !isnan(s->total_j[AIPM_TOTAL_DRAM]) ||
			  !isnan(s->total_j[AIPM_TOTAL_GPU]);
	children(&t, NULL, 0);
	for (int i = 0; i < t.n; i++) {
		int k = t.r[i].zone_kind;
		t.r[i].in_run = k == AIPM_KIND_PACKAGE || k == AIPM_KIND_DRAM || (k == AIPM_KIND_PSYS && !t.machine_parts);
	}
	struct aipm_energy_row *r;
	if (!t.oom && (r = kind_row(&t, AIPM_KIND_PACKAGE)))
		r->attributed_j = s->attributed_cpu_j;
	if (!t.oom && (r = kind_row(&t, AIPM_KIND_DRAM)))
		r->attributed_j = s->attributed_dram_j;
	if (!t.oom)
		gpu_rows(&t);
	if (!t.oom)
		missing_rows(&t);
	free(z);
	if (t.oom) {
		free(t.r);
		return aipm_err(-ENOMEM, "out of memory");
	}
	*rows = t.r;
	return t.n;
}

const char *aipm_bytes_h(char *buf, size_t size, double b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (b >= 1024 && u < 4)
		b /= 1024, u++;
	struct aipm_buf t = {0};
	aipm_buf_cprintf(&t, "%.1f %s", b, unit[u]);
	snprintf(buf, size, "%s", t.data ? t.data : "?");
	aipm_buf_free(&t);
	return buf;
}
