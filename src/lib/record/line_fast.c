/* line_fast.c: read one power_metrics.json line without building a tree.
 *
 * Most of a line is per-process detail the totals never use (a dozen
 * objects keyed by pid); a DOM parser allocates a node for each number of
 * it. This scanner walks the text once, reads the few values the summary
 * needs and steps over the rest, checking the JSON grammar as it goes but
 * keeping nothing. It sets the same struct aipm_line as the cJSON parser
 * (line_dom.c), through the same setters (line_keys.h).
 *
 * It only vouches for lines it fully understands, and returns -1 for the
 * rest, which line_dom.c then parses with cJSON: any backslash or control
 * character in a string, a number strict JSON would not write, nesting
 * deeper than a line needs, text after the object, a duplicate or
 * out-of-order "timestamp"/"date"/"metrics", a line without a time. So on
 * a line it does answer, it must agree with cJSON exactly; what it gives up
 * on costs one more parse, never a different total. Zones and GPUs are
 * registered in the shared table only once the whole line has passed, so a
 * line given up halfway leaves no trace.
 *
 * No allocation, no I/O: it runs once per line on every core.
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"
#include "line_keys.h"
#include "util.h"

#define MAX_DEPTH 32
/* Zone and GPU values of one line, registered after the line passed; a
 * line with more goes to cJSON. */
#define MAX_PENDING (2 * AIPM_FORMAT_MAX_ZONES)
#define MAX_PENDING_GPU 512

struct pending_zone {
	const char *name;
	size_t len;
	double v;
	bool energy;
};

struct pending_gpu {
	const char *vendor;
	size_t vlen;
	long index;
	enum aipm_line_key key;
	double v; /* K_G_INTEGRATED: 1 or 0 */
};

/* The GPU section being read. */
struct section {
	const char *vendor;
	size_t vlen;
	bool nvidia;
	enum aipm_line_key key; /* the per-GPU object being read */
};

struct cur {
	const char *p, *end;
	struct aipm_line *l;
	struct pending_zone zones[MAX_PENDING];
	struct pending_gpu gpus[MAX_PENDING_GPU];
	int nzones, ngpus;
	double pss_pid, uss_pid;
	bool edge;
};

/* Bytes that end the fast run through a string: the quote, the backslash
 * and control characters (the last two send the line to cJSON). */
static const unsigned char str_stop[256] = {
	[0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1, [8] = 1, [9] = 1, [10] = 1,
	[11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1, [16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1,
	[21] = 1, [22] = 1, [23] = 1, [24] = 1, [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1,
	[31] = 1, ['"'] = 1, ['\\'] = 1,
};

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

/* Skip whitespace and take ch. */
static bool eat(struct cur *c, char ch)
{
	ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static bool peek(struct cur *c, char ch)
{
	ws(c);
	return c->p < c->end && *c->p == ch;
}

/* A string without escapes: [*s, *s + *n) is its content. */
static bool str(struct cur *c, const char **s, size_t *n)
{
	if (!eat(c, '"'))
		return false;
	const char *q = c->p;
	while (q < c->end && !str_stop[(unsigned char)*q])
		q++;
	if (q >= c->end || *q != '"')
		return false;
	*s = c->p;
	*n = (size_t)(q - c->p);
	c->p = q + 1;
	return true;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A number in strict JSON grammar, its value in *v when v is given. The
 * value is the one strtod gives (cJSON's): with at most 2^53 as digits and
 * a power of ten up to 22, one multiplication or division of two exact
 * doubles is correctly rounded (Clinger's fast path); the rest goes to
 * strtod in the C locale. */
static bool number(struct cur *c, double *v)
{
	const char *s = c->p, *q = s, *e = c->end;
	bool neg = false;
	if (q < e && *q == '-')
		neg = true, q++;
	if (q >= e || *q < '0' || *q > '9')
		return false;
	uint64_t m = 0;
	int digits = 0, exp10 = 0;
	if (*q == '0') {
		q++;
	} else {
		for (; q < e && *q >= '0' && *q <= '9'; q++, digits++)
			m = m * 10 + (uint64_t)(*q - '0');
	}
	if (q < e && *q == '.') {
		q++;
		if (q >= e || *q < '0' || *q > '9')
			return false;
		for (; q < e && *q >= '0' && *q <= '9'; q++, exp10--) {
			if (m || *q != '0')
				digits++;
			m = m * 10 + (uint64_t)(*q - '0');
		}
	}
	bool slow = digits > 19 || m > (1ull << 53);
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		int es = 1, ev = 0;
		if (q < e && (*q == '+' || *q == '-'))
			es = *q++ == '-' ? -1 : 1;
		if (q >= e || *q < '0' || *q > '9')
			return false;
		for (; q < e && *q >= '0' && *q <= '9'; q++)
			ev = ev < 10000 ? ev * 10 + (*q - '0') : ev;
		exp10 += es * ev;
	}
	/* Whatever cJSON would read as part of the number ends it here; and
	 * cJSON 1.7 reads at most 63 characters of a number, so a longer one
	 * is a parse error there, not a number. */
	if (q < e && (*q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-' || (*q >= '0' && *q <= '9')))
		return false;
	size_t n = (size_t)(q - s);
	if (n >= 63)
		return false;
	c->p = q;
	if (!v)
		return true;
	if (!slow && exp10 >= -22 && exp10 <= 22) {
		double d = (double)m;
		d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
		*v = neg ? -d : d;
		return true;
	}
	char buf[64];
	memcpy(buf, s, n);
	buf[n] = '\0';
	locale_t c_locale = aipm_c_locale();
	if (!c_locale)
		return false;
	*v = strtod_l(buf, NULL, c_locale);
	return true;
}

/* A number's grammar alone, for the values stepped over: the common case
 * of a line, so it computes nothing. */
static bool skip_number(struct cur *c)
{
	const char *s = c->p, *q = s, *e = c->end;
	if (q < e && *q == '-')
		q++;
	if (q >= e || *q < '0' || *q > '9')
		return false;
	if (*q == '0')
		q++;
	else
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	if (q < e && *q == '.') {
		if (++q >= e || *q < '0' || *q > '9')
			return false;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E'))
		return number(c, NULL); /* rare: the careful path */
	if (q < e && (*q == '.' || *q == '+' || *q == '-' || (*q >= '0' && *q <= '9')))
		return false;
	if (q - s >= 63)
		return false;
	c->p = q;
	return true;
}

static bool literal(struct cur *c, const char *word, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
		return false;
	c->p += n;
	return true;
}

static bool skip(struct cur *c, int depth);

/* { "k": v, ... } or [ v, ... ], contents skipped. */
static bool skip_container(struct cur *c, int depth, bool object)
{
	if (depth > MAX_DEPTH)
		return false;
	c->p++;
	if (eat(c, object ? '}' : ']'))
		return true;
	for (;;) {
		if (object) {
			const char *k;
			size_t kn;
			if (!str(c, &k, &kn) || !eat(c, ':'))
				return false;
		}
		if (!skip(c, depth + 1))
			return false;
		if (eat(c, ','))
			continue;
		return eat(c, object ? '}' : ']');
	}
}

static bool skip(struct cur *c, int depth)
{
	ws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{': return skip_container(c, depth, true);
	case '[': return skip_container(c, depth, false);
	case '"': {
		const char *s;
		size_t n;
		return str(c, &s, &n);
	}
	case 't': return literal(c, "true", 4);
	case 'f': return literal(c, "false", 5);
	case 'n': return literal(c, "null", 4);
	default: return skip_number(c);
	}
}

/* Any value: its number when it is a finite one, NAN otherwise (as
 * line.c's num() reads a cJSON node). */
static bool value_num(struct cur *c, double *v, int depth)
{
	ws(c);
	if (c->p < c->end && (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))) {
		if (!number(c, v))
			return false;
		if (!isfinite(*v))
			*v = NAN;
		return true;
	}
	*v = NAN;
	return skip(c, depth);
}

static bool is_key(const char *s, size_t n, const char *want)
{
	size_t wn = strlen(want);
	return n == wn && !memcmp(s, want, n);
}

/* Walk an object's members: fn reads each value (cursor on it). */
typedef bool (*member_fn)(struct cur *c, const char *k, size_t kn, void *arg, int depth);

static bool members(struct cur *c, int depth, member_fn fn, void *arg)
{
	if (depth > MAX_DEPTH || !eat(c, '{'))
		return false;
	if (eat(c, '}'))
		return true;
	for (;;) {
		const char *k;
		size_t kn;
		if (!str(c, &k, &kn) || !eat(c, ':') || !fn(c, k, kn, arg, depth + 1))
			return false;
		if (eat(c, ','))
			continue;
		return eat(c, '}');
	}
}

/* A container's direct numeric children summed (obj_sum in line.c): an
 * array's elements count as cJSON children too. */
static bool sum_children(struct cur *c, double *sum, int depth)
{
	*sum = NAN;
	ws(c);
	bool object = c->p < c->end && *c->p == '{';
	if (c->p >= c->end || (!object && *c->p != '['))
		return skip(c, depth);
	if (depth > MAX_DEPTH)
		return false;
	c->p++;
	if (eat(c, object ? '}' : ']'))
		return true;
	for (;;) {
		const char *k;
		size_t kn;
		double v;
		if (object && (!str(c, &k, &kn) || !eat(c, ':')))
			return false;
		if (!value_num(c, &v, depth + 1))
			return false;
		if (aipm_line_summable(v))
			*sum = isnan(*sum) ? v : *sum + v;
		if (eat(c, ','))
			continue;
		return eat(c, object ? '}' : ']');
	}
}

static bool zone_member(struct cur *c, const char *k, size_t kn, void *arg, int depth)
{
	double v;
	if (!value_num(c, &v, depth))
		return false;
	if (isnan(v))
		return true;
	if (c->nzones == MAX_PENDING)
		return false;
	c->zones[c->nzones++] = (struct pending_zone){k, kn, v, *(bool *)arg};
	return true;
}

static bool attrib_member(struct cur *c, const char *k, size_t kn, void *arg, int depth)
{
	(void)arg;
	bool cpu = is_key(k, kn, "cpu"), dram = !cpu && is_key(k, kn, "dram");
	if (!cpu && !dram)
		return skip(c, depth);
	double v;
	if (!value_num(c, &v, depth))
		return false;
	aipm_line_set_attrib(c->l, dram, v);
	return true;
}

/* Values a DOM gives no effect when they are not objects: an array's
 * children have no names, a scalar has no children. */
static bool object_or_skip(struct cur *c, int depth, member_fn fn, void *arg, bool count_array)
{
	ws(c);
	if (c->p < c->end && *c->p == '{')
		return members(c, depth, fn, arg);
	if (count_array && c->p < c->end && *c->p == '[') {
		/* set_gpus counts every unnamed child as an unknown field */
		if (depth > MAX_DEPTH)
			return false;
		c->p++;
		if (eat(c, ']'))
			return true;
		for (;;) {
			if (!skip(c, depth + 1))
				return false;
			c->l->unknown_fields++;
			if (eat(c, ','))
				continue;
			return eat(c, ']');
		}
	}
	return skip(c, depth);
}

static bool pend_gpu(struct cur *c, const struct section *sec, long index, double v)
{
	if (c->ngpus == MAX_PENDING_GPU)
		return false;
	c->gpus[c->ngpus++] = (struct pending_gpu){sec->vendor, sec->vlen, index, sec->key, v};
	return true;
}

static bool gpu_member(struct cur *c, const char *k, size_t kn, void *arg, int depth)
{
	const struct section *sec = arg;
	long g = aipm_line_gpu_index(k, kn);
	if (g < 0) {
		if (!aipm_line_gpu_extra(sec->key, k, kn))
			c->l->unknown_fields++;
		return skip(c, depth);
	}
	if (sec->key == K_G_INTEGRATED) {
		ws(c);
		double v;
		if (c->p < c->end && *c->p == 't')
			return literal(c, "true", 4) && pend_gpu(c, sec, g, 1);
		if (c->p < c->end && (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')))
			return number(c, &v) && pend_gpu(c, sec, g, v != 0);
		return skip(c, depth) && pend_gpu(c, sec, g, 0);
	}
	double v;
	if (!value_num(c, &v, depth))
		return false;
	return isnan(v) || pend_gpu(c, sec, g, v);
}

static bool cpu_member(struct cur *c, const char *k, size_t kn, void *arg, int depth)
{
	(void)arg;
	enum aipm_line_key key = aipm_line_key_cpu(k, kn);
	if (aipm_line_key_scalar(key)) {
		double v;
		if (!value_num(c, &v, depth))
			return false;
		aipm_line_set_scalar(c->l, key, v);
		return true;
	}
	bool energy = key == K_ZONE_ENERGY;
	switch (key) {
	case K_UNKNOWN: c->l->unknown_fields++; return skip(c, depth);
	case K_ZONE_POWER:
	case K_ZONE_ENERGY: return object_or_skip(c, depth, zone_member, &energy, false);
	case K_ATTRIB: return object_or_skip(c, depth, attrib_member, NULL, false);
	case K_PSS_PID: return sum_children(c, &c->pss_pid, depth);
	case K_USS_PID: return sum_children(c, &c->uss_pid, depth);
	default: return skip(c, depth);
	}
}

static bool gpu_obj_member(struct cur *c, const char *k, size_t kn, void *arg, int depth)
{
	struct section *sec = arg;
	enum aipm_line_key key = aipm_line_key_gpu(k, kn, sec->nvidia);
	if (key == K_UNKNOWN) {
		c->l->unknown_fields++;
		return skip(c, depth);
	}
	if (aipm_line_key_scalar(key)) {
		double v;
		if (!value_num(c, &v, depth))
			return false;
		aipm_line_set_scalar(c->l, key, v);
		return true;
	}
	if (key == K_IGNORED)
		return skip(c, depth);
	sec->key = key;
	return object_or_skip(c, depth, gpu_member, sec, true);
}

static bool estimate_member(struct cur *c, const char *k, size_t kn, void *arg, int depth)
{
	(void)arg;
	enum aipm_line_key key = aipm_line_key_estimate(k, kn);
	if (key == K_UNKNOWN)
		c->l->unknown_fields++;
	if (key == K_UNKNOWN || key == K_IGNORED)
		return skip(c, depth);
	double v;
	if (!value_num(c, &v, depth))
		return false;
	aipm_line_set_estimate(c->l, key, v);
	return true;
}

static bool metrics_member(struct cur *c, const char *k, size_t kn, void *arg, int depth)
{
	(void)arg;
	struct section sec = {0};
	if (is_key(k, kn, AIPM_SECTION_CPU) && peek(c, '{'))
		return members(c, depth, cpu_member, NULL);
	if (is_key(k, kn, AIPM_SECTION_CPU_ESTIMATE) && peek(c, '{'))
		return members(c, depth, estimate_member, NULL);
	if (aipm_format_gpu_section(k, kn, &sec.vendor, &sec.vlen) && peek(c, '{')) {
		sec.nvidia = is_key(k, kn, AIPM_SECTION_GPU);
		return members(c, depth, gpu_obj_member, &sec);
	}
	if (!aipm_line_section_quiet(k, kn))
		c->l->unknown_fields++;
	return skip(c, depth);
}

/* The line's time as line.c decides it: the timestamp when it is a finite
 * number, else the date read as local time. */
static double line_time(double ts, const char *date, size_t date_n, struct aipm_date_cache *dc)
{
	if (!isnan(ts) || !date)
		return ts;
	char buf[64];
	if (date_n >= sizeof buf || memchr(date, '\0', date_n))
		return NAN;
	memcpy(buf, date, date_n);
	buf[date_n] = '\0';
	double t;
	return aipm_format_date_parse(buf, dc, &t) ? t : NAN;
}

/* The top-level "edge" member: a string marks an off-grid sample. */
static bool edge_member(struct cur *c, bool *edge)
{
	const char *s;
	size_t n;
	*edge = peek(c, '"');
	return *edge ? str(c, &s, &n) : skip(c, 1);
}

int aipm_line_parse_fast(const char *text, size_t len, struct aipm_line_table *t, struct aipm_date_cache *dc,
			 struct aipm_line *l)
{
	struct cur c;
	c.p = text;
	c.end = text + len;
	c.l = l;
	c.nzones = c.ngpus = 0;
	c.pss_pid = c.uss_pid = NAN;
	if (!eat(&c, '{'))
		return -1;
	aipm_line_reset(l, t);
	bool edge = false;
	double ts = NAN;
	const char *date = NULL;
	size_t date_n = 0;
	bool metrics = false;
	if (eat(&c, '}'))
		return -1;
	for (;;) {
		const char *k;
		size_t kn;
		if (!str(&c, &k, &kn) || !eat(&c, ':'))
			return -1;
		enum aipm_line_top top = aipm_line_key_top(k, kn);
		bool is_ts = top == TOP_TIMESTAMP, is_date = top == TOP_DATE, is_metrics = top == TOP_METRICS;
		/* These decide whether the line counts, and cJSON keeps the
		 * last of each: one seen after the metrics were read is a line
		 * for cJSON. */
		if (metrics && (is_ts || is_date || is_metrics))
			return -1;
		if (is_ts) {
			if (!value_num(&c, &ts, 1))
				return -1;
		} else if (is_date) {
			date = NULL;
			if (peek(&c, '"')) {
				if (!str(&c, &date, &date_n))
					return -1;
			} else if (!skip(&c, 1)) {
				return -1;
			}
		} else if (is_metrics) {
			l->timestamped = !isnan(ts);
			l->ts = line_time(ts, date, date_n, dc);
			if (isnan(l->ts) || !peek(&c, '{') || !members(&c, 1, metrics_member, NULL))
				return -1;
			metrics = true;
		} else if (top == TOP_EDGE) {
			if (!edge_member(&c, &edge))
				return -1;
		} else {
			l->unknown_fields++;
			if (!skip(&c, 1))
				return -1;
		}
		if (eat(&c, ','))
			continue;
		if (eat(&c, '}'))
			break;
		return -1;
	}
	ws(&c);
	if (c.p != c.end || !metrics)
		return -1;
	/* The line passed: only now may its zones and GPUs enter the shared
	 * table, each kind in the order of the text, as cJSON's walk would
	 * register them. */
	l->edge = edge;
	for (int i = 0; i < c.nzones; i++) {
		const struct pending_zone *z = &c.zones[i];
		aipm_line_set_zone(l, t, z->name, z->len, z->v, z->energy);
	}
	for (int i = 0; i < c.ngpus; i++) {
		const struct pending_gpu *g = &c.gpus[i];
		if (g->key == K_G_INTEGRATED)
			aipm_line_set_gpu_integrated(l, t, g->vendor, g->vlen, g->index, g->v != 0);
		else
			aipm_line_set_gpu(l, t, g->vendor, g->vlen, g->index, g->key, g->v);
	}
	aipm_line_finish(l, c.pss_pid, c.uss_pid);
	return AIPM_LINE_SAMPLE;
}
