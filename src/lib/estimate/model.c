/* model.c: from a CPU identity to idle and full-load power with bounds,
 * and from utilisation to power and energy. docs/estimate.md states the
 * formula and the source of every constant; this file is its only code.
 *
 * Choosing runs once per recording and may scan the 4,903-row TDP table;
 * evaluating runs once per sample and is a handful of multiplications:
 * no allocation, no I/O, no state outside the caller's structs.
 *
 * Invariant the tests hold over every table row and every utilisation:
 * low_w <= w <= high_w. It holds because each bound uses the bound of
 * idle and of full power on its own side and a curve on its own side
 * (u^3 <= u <= Teads(u) on [0,1]), and P = idle + (full - idle) f(u)
 * grows with idle, with full and with f when full >= idle.
 */
#include "estimate/estimate.h"
#include "estimate/tables.h"
#include "error.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* TDP rows: package power as fractions of TDP x sockets (docs/estimate.md
 * "Constants"). Central values are Teads' 0 % and 100 % points; the low
 * full-load bound is the lowest ratio CodeCarbon's own RAPL profiles show
 * (EPYC 8024P, 0.51), the high one the highest (E3-1240 V2, 1.33); the
 * idle bounds are aipm's choice, explained there. */
static const struct aipm_est_band tdp_idle_frac = {0.12, 0.05, 0.35};
static const struct aipm_est_band tdp_full_frac = {1.02, 0.50, 1.35};

/* Teads' curve, 0.12/0.32/0.75/1.02 x TDP at 0/10/50/100 % load,
 * rescaled to run from 0 to 1 between its idle and full-load points. */
static double teads_shape(double u)
{
	static const double x[] = {0.0, 0.1, 0.5, 1.0};
	static const double y[] = {0.0, 0.20 / 0.90, 0.63 / 0.90, 1.0};
	for (int i = 1; i < 4; i++)
		if (u <= x[i])
			return y[i - 1] + (y[i] - y[i - 1]) * (u - x[i - 1]) / (x[i] - x[i - 1]);
	return 1.0;
}

const char *aipm_est_method_name(enum aipm_est_method method)
{
	switch (method) {
	case AIPM_EST_TDP_TABLE: return "tdp_table";
	case AIPM_EST_MICROARCH: return "microarch_table";
	case AIPM_EST_PROVIDER_AVG: return "provider_average";
	case AIPM_EST_GENERIC_AVG: return "generic_average";
	}
	return "?";
}

const struct aipm_est_table_info *aipm_est_table_info(enum aipm_est_table t)
{
	return (unsigned)t < AIPM_EST_NTABLES ? &aipm_est_tables[t] : NULL;
}

/* The words of a model name that identify the part, lowercased, one space
 * apart. Dropped because the kernel's brand string and the table spell
 * them differently: "(R)", "(TM)" and every non-ASCII byte (the table has
 * ®, ™, no-break and zero-width spaces), everything from "@" on (the
 * frequency), and the words "cpu", "processor" and "*-core".
 * "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz" and "Intel Xeon Gold 6248"
 * both give "intel xeon gold 6248". */
static void normalise(const char *in, char *out, size_t n)
{
	char tmp[AIPM_CPU_STR_MAX * 2];
	size_t k = 0, o = 0;
	for (const char *p = in; *p && *p != '@' && k < sizeof tmp - 1; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80 || c == '\t') {
			tmp[k++] = ' ';
		} else if (*p == '(' && (strncasecmp(p, "(r)", 3) == 0 || strncasecmp(p, "(tm)", 4) == 0)) {
			p += p[2] == ')' ? 2 : 3;
			tmp[k++] = ' ';
		} else {
			tmp[k++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);	/* not tolower: locale-free */
		}
	}
	tmp[k] = '\0';
	for (char *save = NULL, *w = strtok_r(tmp, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(w);
		if (strcmp(w, "cpu") == 0 || strcmp(w, "processor") == 0 ||
		    (len > 5 && strcmp(w + len - 5, "-core") == 0))
			continue;
		if (o + len + 2 > n)
			break;
		if (o)
			out[o++] = ' ';
		memcpy(out + o, w, len);
		o += len;
	}
	out[o] = '\0';
}

/* A brand string without a digit names no part ("Intel(R) Xeon(R) CPU @
 * 2.20GHz" on GCP, "Intel(R) Xeon(R) Processor"): never look it up, or
 * it would match whichever row happens to spell "intel xeon". */
static bool is_masked(const char *norm)
{
	for (const char *p = norm; *p; p++)
		if (*p >= '0' && *p <= '9')
			return false;
	return true;
}

enum tdp_match { TDP_NONE, TDP_FOUND, TDP_MASKED, TDP_AMBIGUOUS };

/* Exact match on normalised names; rows that normalise alike must agree
 * on the TDP, else the brand string is ambiguous and not used. No fuzzy
 * matching: a near miss would pick some other part's TDP silently. */
static enum tdp_match find_tdp(const char *model_name, const struct aipm_est_tdp_row **row)
{
	char want[AIPM_CPU_STR_MAX * 2], have[AIPM_CPU_STR_MAX * 2];
	*row = NULL;
	normalise(model_name, want, sizeof want);
	if (is_masked(want))
		return TDP_MASKED;
	for (size_t i = 0; i < aipm_est_tdp_nrows; i++) {
		normalise(aipm_est_tdp_rows[i].name, have, sizeof have);
		if (strcmp(want, have) != 0)
			continue;
		if (*row && (*row)->tdp_w != aipm_est_tdp_rows[i].tdp_w) {
			*row = NULL;
			return TDP_AMBIGUOUS;
		}
		if (!*row)
			*row = &aipm_est_tdp_rows[i];
	}
	return *row ? TDP_FOUND : TDP_NONE;
}

static const struct aipm_est_cpuid_row *find_cpuid(const struct aipm_cpu_identity *id)
{
	for (size_t i = 0; i < aipm_est_cpuid_nrows; i++) {
		const struct aipm_est_cpuid_row *r = &aipm_est_cpuid_rows[i];
		if (r->vendor == id->vendor && r->family == id->family && r->model == id->model &&
		    id->stepping >= r->stepping_min && id->stepping <= r->stepping_max)
			return r;
	}
	return NULL;
}

static struct aipm_est_band scale(struct aipm_est_band b, double k)
{
	return (struct aipm_est_band){b.w * k, b.low_w * k, b.high_w * k};
}

/* Mean of the rows' central values; bounds span every row's bounds: with
 * the architecture unknown, any of them may be the true one. */
static unsigned average(enum aipm_cloud cloud, struct aipm_est_band *idle, struct aipm_est_band *full)
{
	unsigned n = 0;
	*idle = (struct aipm_est_band){0, INFINITY, 0};
	*full = *idle;
	for (size_t i = 0; i < aipm_est_arch_nrows; i++) {
		bool used = cloud == AIPM_CLOUD_UNKNOWN;
		for (size_t k = 0; !used && k < aipm_est_provider_nrows; k++)
			used = aipm_est_provider_rows[k].cloud == cloud && aipm_est_provider_rows[k].arch == i;
		if (!used)
			continue;
		const struct aipm_est_arch_row *r = &aipm_est_arch_rows[i];
		idle->w += r->idle.w;
		full->w += r->full.w;
		idle->low_w = fmin(idle->low_w, r->idle.low_w);
		idle->high_w = fmax(idle->high_w, r->idle.high_w);
		full->low_w = fmin(full->low_w, r->full.low_w);
		full->high_w = fmax(full->high_w, r->full.high_w);
		n++;
	}
	if (n) {
		idle->w /= n;
		full->w /= n;
	}
	return n;
}

static void say(struct aipm_cpu_power_model *m, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct aipm_cpu_power_model *m, size_t *len, const char *fmt, ...)
{
	va_list ap;
	if (*len >= sizeof m->text - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(m->text + *len, sizeof m->text - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < sizeof m->text - 1 ? *len + (size_t)n : sizeof m->text - 1;
}

/* What was found, before the numbers: brand, CPUID, virtualisation, cloud. */
static void say_identity(struct aipm_cpu_power_model *m, size_t *len, const struct aipm_cpu_identity *id,
			 enum tdp_match tm, const struct aipm_est_tdp_row *tr,
			 const struct aipm_est_cpuid_row *cr)
{
	static const char *const brand[] = {
		[TDP_NONE] = "not in cpu_tdp",
		[TDP_FOUND] = "",
		[TDP_MASKED] = "masked",
		[TDP_AMBIGUOUS] = "ambiguous in cpu_tdp",
	};
	if (!id->model_name[0])
		say(m, len, "no brand string");
	else if (tm == TDP_FOUND)
		say(m, len, "brand '%s' = cpu_tdp row %u '%s' %.0f W", id->model_name, tr->line, tr->name, tr->tdp_w);
	else
		say(m, len, "brand '%s' %s", id->model_name, brand[tm]);
	say(m, len, "; CPUID %d/%d/%d ", id->family, id->model, id->stepping);
	if (cr)
		say(m, len, "= %s (%s, cpuid_microarch row %u)", aipm_est_arch_rows[cr->arch].arch, cr->codename,
		    cr->line);
	else
		say(m, len, "not in cpuid_microarch");
	say(m, len, "; hypervisor %s; cloud %s; %u CPUs. ", aipm_cpu_virt_name(id->virt), aipm_cloud_name(id->cloud),
	    id->ncpus);
}

static void choose_tdp(struct aipm_cpu_power_model *m, size_t *len, const struct aipm_cpu_identity *id,
		       const struct aipm_est_tdp_row *tr)
{
	unsigned sockets = id->sockets ? id->sockets : 1;
	m->method = AIPM_EST_TDP_TABLE;
	m->table = AIPM_EST_TABLE_TDP;
	m->row = tr->line;
	m->multiplier = sockets;
	snprintf(m->row_key, sizeof m->row_key, "%s", tr->name);
	m->idle = scale(tdp_idle_frac, tr->tdp_w * sockets);
	m->full = scale(tdp_full_frac, tr->tdp_w * sockets);
	say(m, len, "Bare metal: %.0f W TDP x %u socket%s%s; idle %.2f [%.2f, %.2f] x TDP, full load %.2f [%.2f, %.2f] x TDP",
	    tr->tdp_w, sockets, sockets == 1 ? "" : "s", id->sockets ? "" : " (no physical id: 1 assumed)",
	    tdp_idle_frac.w, tdp_idle_frac.low_w, tdp_idle_frac.high_w, tdp_full_frac.w, tdp_full_frac.low_w,
	    tdp_full_frac.high_w);
}

static void choose_arch(struct aipm_cpu_power_model *m, size_t *len, const struct aipm_cpu_identity *id,
			const struct aipm_est_cpuid_row *cr)
{
	const struct aipm_est_arch_row *r = &aipm_est_arch_rows[cr->arch];
	m->method = AIPM_EST_MICROARCH;
	m->table = AIPM_EST_TABLE_ARCH;
	m->row = r->line;
	m->multiplier = id->ncpus;
	snprintf(m->row_key, sizeof m->row_key, "%s", r->arch);
	m->idle = scale(r->idle, id->ncpus);
	m->full = scale(r->full, id->ncpus);
	say(m, len, "Per thread, microarch_power row %u '%s' (%u SPECpower servers): idle %.3f [%.3f, %.3f] W, full load %.3f [%.3f, %.3f] W, x %u CPUs",
	    r->line, r->arch, r->servers, r->idle.w, r->idle.low_w, r->idle.high_w, r->full.w, r->full.low_w,
	    r->full.high_w, id->ncpus);
}

static void choose_average(struct aipm_cpu_power_model *m, size_t *len, const struct aipm_cpu_identity *id,
			   enum aipm_cloud cloud)
{
	struct aipm_est_band idle, full;
	unsigned n = average(cloud, &idle, &full);
	static const enum aipm_est_table provider_table[] = {
		[AIPM_CLOUD_AWS] = AIPM_EST_TABLE_CCF_AWS,
		[AIPM_CLOUD_GCP] = AIPM_EST_TABLE_CCF_GCP,
		[AIPM_CLOUD_AZURE] = AIPM_EST_TABLE_CCF_AZURE,
	};
	m->method = cloud == AIPM_CLOUD_UNKNOWN ? AIPM_EST_GENERIC_AVG : AIPM_EST_PROVIDER_AVG;
	m->table = cloud == AIPM_CLOUD_UNKNOWN ? AIPM_EST_TABLE_ARCH : provider_table[cloud];
	m->multiplier = id->ncpus;
	m->idle = scale(idle, id->ncpus);
	m->full = scale(full, id->ncpus);
	if (cloud == AIPM_CLOUD_UNKNOWN)
		say(m, len, "Per thread, mean of all %u microarch_power rows", n);
	else
		say(m, len, "Per thread, mean of the %u microarch_power rows %s lists in %s", n, aipm_cloud_name(cloud),
		    aipm_est_tables[m->table].file);
	say(m, len, ", bounds spanning them: idle %.3f [%.3f, %.3f] W, full load %.3f [%.3f, %.3f] W, x %u CPUs", idle.w,
	    idle.low_w, idle.high_w, full.w, full.low_w, full.high_w, id->ncpus);
}

/* A provider counts only if its list has rows here (Graviton has none). */
static bool provider_known(enum aipm_cloud cloud)
{
	for (size_t k = 0; cloud != AIPM_CLOUD_UNKNOWN && k < aipm_est_provider_nrows; k++)
		if (aipm_est_provider_rows[k].cloud == cloud)
			return true;
	return false;
}

int aipm_cpu_power_model_choose(const struct aipm_cpu_identity *id, struct aipm_cpu_power_model *m)
{
	if (!id || id->ncpus == 0)
		return aipm_err(-EINVAL, "estimate: no CPU in the identity. Call aipm_cpu_identify first");
	struct aipm_cpu_power_model tmp;
	size_t len = 0;
	memset(&tmp, 0, sizeof tmp);
	tmp.ncpus = id->ncpus;
	const struct aipm_est_tdp_row *tr;
	enum tdp_match tm = find_tdp(id->model_name, &tr);
	const struct aipm_est_cpuid_row *cr = find_cpuid(id);
	if (tr)
		tmp.tdp_row = tr->line;
	if (cr) {
		tmp.cpuid_row = cr->line;
		snprintf(tmp.arch, sizeof tmp.arch, "%s", aipm_est_arch_rows[cr->arch].arch);
	}
	say_identity(&tmp, &len, id, tm, tr, cr);
	/* A TDP describes a whole package; a VM runs on a share of one whose
	 * size the guest cannot see, so a TDP row serves bare metal only. */
	if (tm == TDP_FOUND && id->virt == AIPM_VIRT_NONE)
		choose_tdp(&tmp, &len, id, tr);
	else if (cr)
		choose_arch(&tmp, &len, id, cr);
	else
		choose_average(&tmp, &len, id, provider_known(id->cloud) ? id->cloud : AIPM_CLOUD_UNKNOWN);
	if (tm == TDP_FOUND && tmp.method != AIPM_EST_TDP_TABLE)
		say(&tmp, &len, " (TDP row not used: %s)",
		    id->virt == AIPM_VIRT_VM ? "a VM shares the package" : "virtualisation unknown");
	say(&tmp, &len, ".");
	/* Full-load power below idle power would make the curve run
	 * backwards; no row does this today, the guard keeps it so. */
	tmp.full.w = fmax(tmp.full.w, tmp.idle.w);
	tmp.full.low_w = fmax(tmp.full.low_w, tmp.idle.low_w);
	tmp.full.high_w = fmax(tmp.full.high_w, tmp.idle.high_w);
	*m = tmp;
	return 0;
}

bool aipm_cpu_power_model_eval(const struct aipm_cpu_power_model *m, double util, struct aipm_est_band *power)
{
	if (isnan(util))
		return false;
	double u = util < 0 ? 0 : util > 1 ? 1 : util;
	power->w = m->idle.w + (m->full.w - m->idle.w) * u;
	power->low_w = m->idle.low_w + (m->full.low_w - m->idle.low_w) * u * u * u;
	power->high_w = m->idle.high_w + (m->full.high_w - m->idle.high_w) * teads_shape(u);
	return true;
}

void aipm_cpu_estimate_init(struct aipm_cpu_estimate *e)
{
	memset(e, 0, sizeof *e);
	e->power = (struct aipm_est_band){NAN, NAN, NAN};
}

bool aipm_cpu_estimate_add(struct aipm_cpu_estimate *e, const struct aipm_cpu_power_model *m, double util,
			   double share, double dt_s)
{
	struct aipm_est_band p;
	if (!(dt_s > 0) || !isfinite(dt_s) || !aipm_cpu_power_model_eval(m, util, &p))
		return false;
	/* As attrib.c's clamp01: a share that is not a number counts as 0. */
	double s = share > 0 ? (share < 1 ? share : 1) : 0;
	e->power = p;
	e->energy.j += p.w * dt_s;
	e->energy.low_j += p.low_w * dt_s;
	e->energy.high_j += p.high_w * dt_s;
	e->attributed.j += s * p.w * dt_s;
	e->attributed.low_j += s * p.low_w * dt_s;
	e->attributed.high_j += s * p.high_w * dt_s;
	e->intervals++;
	return true;
}
