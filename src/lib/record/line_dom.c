/* line_dom.c: the reference parse of one line, with cJSON (line.h).
 *
 * The fast scanner (line_fast.c) hands over every line it does not vouch
 * for (escapes, odd numbers, keys in an unusual order, corrupt lines), and
 * the test and the fuzzer hold the two to the same struct. cJSON allocates
 * through whatever hooks the host process installed: this file installs
 * none (a library must not change its host) and frees every tree with
 * cJSON_Delete. A line is whole JSON or corrupt: a NUL byte or text after
 * the object makes it corrupt, as it does for the fast scanner.
 */
#include <cJSON.h>
#include <math.h>
#include <string.h>

#include "line.h"
#include "line_keys.h"

static double num(const cJSON *j) { return cJSON_IsNumber(j) && isfinite(j->valuedouble) ? j->valuedouble : NAN; }

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

/* Sum of the valid numbers of a one-level object, NAN when it holds none. */
static double obj_sum(const cJSON *o)
{
	double s = NAN;
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		double v = num(c);
		if (aipm_line_summable(v))
			s = isnan(s) ? v : s + v;
	}
	return s;
}

struct section {
	const char *vendor;
	size_t vlen;
	bool nvidia;
};

static void set_gpus(struct aipm_line *l, struct aipm_line_table *t, const cJSON *o, enum aipm_line_key k,
		     const struct section *sec)
{
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		long g = aipm_line_gpu_index(c->string, slen(c->string));
		if (g < 0) {
			if (!aipm_line_gpu_extra(k, c->string, slen(c->string)))
				l->unknown_fields++;
			continue;
		}
		if (k == K_G_INTEGRATED) {
			bool on = cJSON_IsTrue(c) || (cJSON_IsNumber(c) && c->valuedouble != 0);
			aipm_line_set_gpu_integrated(l, t, sec->vendor, sec->vlen, g, on);
			continue;
		}
		double v = num(c);
		if (!isnan(v))
			aipm_line_set_gpu(l, t, sec->vendor, sec->vlen, g, k, v);
	}
}

static void set_zones(struct aipm_line *l, const cJSON *o, struct aipm_line_table *t, bool energy)
{
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		double v = num(c);
		if (!isnan(v) && c->string)
			aipm_line_set_zone(l, t, c->string, strlen(c->string), v, energy);
	}
}

static void parse_cpu(struct aipm_line *l, const cJSON *cpu, struct aipm_line_table *t, double *pss_pid,
		      double *uss_pid)
{
	for (const cJSON *c = cpu->child; c; c = c->next) {
		enum aipm_line_key k = aipm_line_key_cpu(c->string, slen(c->string));
		if (aipm_line_key_scalar(k)) {
			aipm_line_set_scalar(l, k, num(c));
			continue;
		}
		switch (k) {
		case K_UNKNOWN: l->unknown_fields++; break;
		case K_ZONE_POWER: set_zones(l, c, t, false); break;
		case K_ZONE_ENERGY: set_zones(l, c, t, true); break;
		case K_ATTRIB:
			for (const cJSON *a = c->child; a; a = a->next) {
				if (a->string && !strcmp(a->string, "cpu"))
					aipm_line_set_attrib(l, false, num(a));
				else if (a->string && !strcmp(a->string, "dram"))
					aipm_line_set_attrib(l, true, num(a));
			}
			break;
		case K_PSS_PID: *pss_pid = obj_sum(c); break;
		case K_USS_PID: *uss_pid = obj_sum(c); break;
		default: break;
		}
	}
}

static void parse_estimate(struct aipm_line *l, const cJSON *est)
{
	for (const cJSON *c = est->child; c; c = c->next) {
		enum aipm_line_key k = aipm_line_key_estimate(c->string, slen(c->string));
		if (k == K_UNKNOWN)
			l->unknown_fields++;
		else if (k != K_IGNORED)
			aipm_line_set_estimate(l, k, num(c));
	}
}

static void parse_gpu(struct aipm_line *l, struct aipm_line_table *t, const cJSON *gpu, const struct section *sec)
{
	for (const cJSON *c = gpu->child; c; c = c->next) {
		enum aipm_line_key k = aipm_line_key_gpu(c->string, slen(c->string), sec->nvidia);
		if (k == K_UNKNOWN)
			l->unknown_fields++;
		else if (aipm_line_key_scalar(k))
			aipm_line_set_scalar(l, k, num(c));
		else if (k != K_IGNORED)
			set_gpus(l, t, c, k, sec);
	}
}

cJSON *aipm_line_json(const char *text, size_t len)
{
	if (memchr(text, '\0', len))
		return NULL;
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root)
		return NULL;
	const char *stop = text + len;
	while (end && end < stop && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != stop) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static void parse_metrics(struct aipm_line *l, struct aipm_line_table *t, const cJSON *metrics)
{
	double pss_pid = NAN, uss_pid = NAN;
	for (const cJSON *c = metrics->child; c; c = c->next) {
		struct section sec;
		size_t n = slen(c->string);
		if (c->string && !strcmp(c->string, AIPM_SECTION_CPU) && cJSON_IsObject(c)) {
			parse_cpu(l, c, t, &pss_pid, &uss_pid);
		} else if (c->string && aipm_format_gpu_section(c->string, n, &sec.vendor, &sec.vlen) &&
			   cJSON_IsObject(c)) {
			sec.nvidia = !strcmp(c->string, AIPM_SECTION_GPU);
			parse_gpu(l, t, c, &sec);
		} else if (c->string && !strcmp(c->string, AIPM_SECTION_CPU_ESTIMATE) && cJSON_IsObject(c)) {
			parse_estimate(l, c);
		} else if (!c->string || !aipm_line_section_quiet(c->string, n)) {
			l->unknown_fields++;
		}
	}
	aipm_line_finish(l, pss_pid, uss_pid);
}

enum aipm_line_kind aipm_line_parse_dom(const char *text, size_t len, struct aipm_line_table *t,
					struct aipm_date_cache *dc, struct aipm_line *l)
{
	enum aipm_line_kind kind = aipm_line_classify(text, len);
	if (kind != AIPM_LINE_SAMPLE)
		return kind;
	cJSON *root = aipm_line_json(text, len);
	if (!root)
		return AIPM_LINE_CORRUPT;
	kind = AIPM_LINE_CORRUPT;
	if (!cJSON_IsObject(root))
		goto out;
	aipm_line_reset(l, t);
	const cJSON *metrics = NULL, *date = NULL;
	for (const cJSON *c = root->child; c; c = c->next) {
		switch (aipm_line_key_top(c->string, slen(c->string))) {
		case TOP_TIMESTAMP: l->ts = num(c); break;
		case TOP_DATE: date = c; break;
		case TOP_METRICS: metrics = c; break;
		case TOP_EDGE: l->edge = cJSON_IsString(c); break;
		default: l->unknown_fields++; break;
		}
	}
	/* aipm writes both; the Unix timestamp means the same in every time
	 * zone, so the local date is only read when it is all there is. */
	l->timestamped = !isnan(l->ts);
	if (isnan(l->ts) && cJSON_IsString(date) && !aipm_format_date_parse(date->valuestring, dc, &l->ts))
		l->ts = NAN;
	if (isnan(l->ts) || !cJSON_IsObject(metrics))
		goto out;
	parse_metrics(l, t, metrics);
	kind = AIPM_LINE_SAMPLE;
out:
	cJSON_Delete(root);
	return kind;
}
