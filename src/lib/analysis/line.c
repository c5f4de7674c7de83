/* line.c: parse one power_metrics.json line (see line.h).
 *
 * Lines first go to the scanner of line_fast.c, which reads the shape aipm
 * writes without building a tree; whatever it will not vouch for (escapes,
 * odd numbers, corrupt lines, keys in an unusual order) comes here for a
 * full cJSON parse, which stays the reference: both give the same struct,
 * and a test holds them to it. The meaning of each key (line_impl.h) is
 * defined here once for both. Unknown keys are counted, never an error: a
 * newer aipm may add fields, and an older reader must still total what it
 * knows.
 */
#include "line.h"
#include "line_impl.h"
#include "util.h"

#include <cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[AIPM_KIND_COUNT] = {"package", "core", "uncore", "dram", "psys", "other"};

const char *aipm_kind_name(enum aipm_kind k) { return k < AIPM_KIND_COUNT ? kind_names[k] : "other"; }

enum aipm_kind aipm_kind_of_zone(const char *zone)
{
	/* "package-0", "core-0", "uncore-0", "dram-0", "psys": the prefix up to
	 * the socket suffix names the kind. */
	for (int k = 0; k < AIPM_KIND_OTHER; k++) {
		size_t n = strlen(kind_names[k]);
		if (!strncmp(zone, kind_names[k], n) && (zone[n] == '\0' || zone[n] == '-'))
			return (enum aipm_kind)k;
	}
	return AIPM_KIND_OTHER;
}

int aipm_zone_table_count(const struct aipm_zone_table *t) { return __atomic_load_n(&t->n, __ATOMIC_ACQUIRE); }

static int zone_find(const struct aipm_zone_table *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t->names[i], name))
			return i;
	return -1;
}

int aipm_zone_table_id(struct aipm_zone_table *t, const char *name)
{
	int n = aipm_zone_table_count(t);
	int id = zone_find(t, n, name);
	if (id >= 0)
		return id;
	if (strlen(name) >= AIPM_NAME_LEN)
		return -1;
	/* Rare (once per zone per scan): take the flag, re-check, publish. */
	while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE))
		;
	n = t->n;
	id = zone_find(t, n, name);
	if (id < 0 && n < AIPM_MAX_ZONES) {
		strcpy(t->names[n], name);
		t->kinds[n] = aipm_kind_of_zone(name);
		id = n;
		__atomic_store_n(&t->n, n + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
	return id;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool aipm_date_parse(const char *s, struct aipm_date_cache *c, double *ts)
{
	int Y, M, D, h, m, sec;
	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
	    s[16] != ':' || !digits(s, 4, &Y) || !digits(s + 5, 2, &M) || !digits(s + 8, 2, &D) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &m) || !digits(s + 17, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return false;
	double frac = 0;
	const char *p = s + 19;
	if (*p == '.') {
		double scale = 0.1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p)
		return false;
	/* mktime once per hour of recording: it reads the time zone rules and
	 * takes a lock, far too slow for every line of a large file. */
	if (!c || memcmp(c->hour, s, 13) != 0) {
		struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_isdst = -1};
		time_t t = mktime(&tm);
		if (t == (time_t)-1 && !(Y == 1969 || Y == 1970))
			return false;
		if (!c) {
			*ts = (double)t + m * 60 + sec + frac;
			return true;
		}
		memcpy(c->hour, s, 13);
		c->hour[13] = '\0';
		c->hour_ts = (double)t;
	}
	*ts = c->hour_ts + m * 60 + sec + frac;
	return true;
}

static bool marker(const char *s, size_t n)
{
	static const char m[] = "END OF RECORDING SEGMENT";
	const size_t ml = sizeof m - 1;
	if (n == ml + 2 && s[0] == '"' && s[n - 1] == '"')
		return !memcmp(s + 1, m, ml);
	return n == ml && !memcmp(s, m, ml);
}

enum aipm_line_kind aipm_line_classify(const char *text, size_t len)
{
	while (len && (*text == ' ' || *text == '\t' || *text == '\r'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	if (!len)
		return AIPM_LINE_BLANK;
	if (marker(text, len))
		return AIPM_LINE_SEGMENT_END;
	return AIPM_LINE_SAMPLE;
}

/* cJSON allocates every node with malloc; for a line that is thrown away
 * right after, a per-thread bump arena reset per line is about a third
 * faster. The hooks are process-wide but transparent: outside a line parse
 * (no arena active on this thread) they are plain malloc and free, and
 * free() of arena memory is a no-op. */
#define ARENA_BYTES (512u << 10)
static _Thread_local struct {
	char *base;
	size_t used;
	bool active;
} arena;

static void *arena_malloc(size_t n)
{
	if (arena.active) {
		n = (n + 15) & ~(size_t)15;
		if (arena.used + n <= ARENA_BYTES) {
			void *p = arena.base + arena.used;
			arena.used += n;
			return p;
		}
	}
	return malloc(n);
}

static void arena_free(void *p)
{
	if (arena.base && (char *)p >= arena.base && (char *)p < arena.base + ARENA_BYTES)
		return;
	free(p);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
static void hooks_init(void)
{
	cJSON_Hooks h = {arena_malloc, arena_free};
	cJSON_InitHooks(&h);
}

static cJSON *parse_json(const char *text, size_t len)
{
	pthread_once(&hooks_once, hooks_init);
	if (!arena.base)
		arena.base = malloc(ARENA_BYTES); /* freed with the thread: see line_arena_release */
	arena.used = 0;
	arena.active = arena.base != NULL;
	cJSON *root = cJSON_ParseWithLength(text, len);
	arena.active = false;
	return root;
}

void aipm_line_arena_release(void)
{
	free(arena.base);
	arena.base = NULL;
}

static double num(const cJSON *j) { return cJSON_IsNumber(j) && isfinite(j->valuedouble) ? j->valuedouble : NAN; }

/* Sum of the numbers of a one-level object, NAN when it holds none. */
static double obj_sum(const cJSON *o)
{
	double s = NAN;
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		double v = num(c);
		if (!isnan(v))
			s = isnan(s) ? v : s + v;
	}
	return s;
}

struct key_name {
	const char *name;
	size_t len;
	enum aipm_line_key key;
};

#define KN(name, key) {name, sizeof name - 1, key}
static const struct key_name cpu_keys[] = {
	KN("intel_power", K_INTEL), KN("total_cpu_power", K_CORE), KN("uncore_power", K_UNCORE),
	KN("total_dram_power", K_DRAM), KN("psys_power", K_PSYS), KN("rel_intel_power", K_REL_CPU),
	KN("per_zone_power", K_ZONE_POWER), KN("per_zone_energy", K_ZONE_ENERGY), KN("attributed_energy", K_ATTRIB),
	KN("cpu_time", K_CPU_TIME), KN("experiment_mem_pss", K_PSS), KN("experiment_mem_uss", K_USS),
	KN("per_process_mem_use_abs", K_PSS_PID), KN("per_process_mem_use_uss", K_USS_PID),
	KN("per_process_cpu_power", K_IGNORED), KN("per_process_dram_power", K_IGNORED),
	KN("per_process_cpu_uses", K_IGNORED), KN("absolute_cpu_time_per_pid", K_IGNORED),
	KN("per_process_mem_use_percent", K_IGNORED), KN("total_mem_use", K_IGNORED),
	KN("per_process_cpu_time", K_IGNORED), KN("mem_use_abs", K_IGNORED), KN("mem_use_percent", K_IGNORED),
	KN("cpu_uses", K_IGNORED), KN("per_zone_energy_integrated", K_IGNORED),
};

static const struct key_name gpu_keys[] = {
	KN("nvidia_draw_absolute", K_NV_DRAW), KN("nvidia_attributable_power", K_NV_ATTR),
	KN("per_gpu_energy", K_G_ENERGY), KN("per_gpu_attributed_energy", K_G_ATTR_ENERGY),
	KN("per_gpu_power_draw", K_G_POWER), KN("per_gpu_attributable_power", K_G_ATTR_POWER),
	KN("per_gpu_use_rate", K_G_USE), KN("per_gpu_absolute_percent_usage", K_G_PCT),
	KN("per_gpu_memory", K_G_MEM), KN("per_gpu_energy_integrated", K_G_INTEGRATED),
	KN("per_gpu_attributable_mem_use", K_IGNORED), KN("per_gpu_per_pid_utilization_absolute", K_IGNORED),
	KN("per_gpu_estimated_attributable_utilization", K_IGNORED), KN("nvidia_power", K_IGNORED),
	KN("nvidia_memory", K_IGNORED), KN("nvidia_use_rate", K_IGNORED), KN("per_gpu_power", K_IGNORED),
	KN("per_gpu_memory_total", K_IGNORED), KN("per_gpu_temperature", K_IGNORED),
	KN("per_gpu_power_limit", K_IGNORED), KN("per_gpu_name", K_IGNORED), KN("per_gpu_uuid", K_IGNORED),
};

static enum aipm_line_key lookup(const struct key_name *t, size_t nt, const char *s, size_t n)
{
	if (!s || !n)
		return K_UNKNOWN;
	for (size_t i = 0; i < nt; i++)
		if (t[i].len == n && t[i].name[0] == s[0] && !memcmp(t[i].name, s, n))
			return t[i].key;
	return K_UNKNOWN;
}

enum aipm_line_key aipm_line_key_cpu(const char *s, size_t n) { return lookup(cpu_keys, AIPM_ARRAY_SIZE(cpu_keys), s, n); }
enum aipm_line_key aipm_line_key_gpu(const char *s, size_t n) { return lookup(gpu_keys, AIPM_ARRAY_SIZE(gpu_keys), s, n); }

/* As strtol would read "0".."15" whole: leading zeros are fine, a sign,
 * a space or anything after the digits is not. */
int aipm_line_gpu_index(const char *s, size_t n)
{
	if (!s || !n)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v < AIPM_MAX_GPUS)
			v = v * 10 + (s[i] - '0');
	}
	return v < AIPM_MAX_GPUS ? (int)v : -1;
}

bool aipm_line_gpu_extra(enum aipm_line_key k, const char *s, size_t n)
{
	return k == K_G_ATTR_POWER && s && n == 3 && !memcmp(s, "all", 3);
}

void aipm_line_set_scalar(struct aipm_line *l, enum aipm_line_key k, double v)
{
	switch (k) {
	case K_INTEL: l->pw[AIPM_PW_INTEL] = v; break;
	case K_CORE: l->pw[AIPM_PW_CORE] = v; break;
	case K_UNCORE: l->pw[AIPM_PW_UNCORE] = v; break;
	case K_DRAM: l->pw[AIPM_PW_DRAM] = v; break;
	case K_PSYS: l->pw[AIPM_PW_PSYS] = v; break;
	case K_REL_CPU: l->pw[AIPM_PW_REL_CPU] = v; break;
	case K_CPU_TIME: l->cpu_time_s = v; break;
	case K_PSS: l->pss_bytes = v; break;
	case K_USS: l->uss_bytes = v; break;
	case K_NV_DRAW: l->pw[AIPM_PW_GPU] = v; break;
	case K_NV_ATTR: l->pw[AIPM_PW_REL_GPU] = v; break;
	default: break;
	}
}

void aipm_line_set_gpu(struct aipm_line *l, int g, enum aipm_line_key k, double v)
{
	struct aipm_line_gpu *gp = &l->gpu[g];
	if (g >= l->ngpus)
		l->ngpus = g + 1;
	switch (k) {
	case K_G_ENERGY: gp->energy_j = v; break;
	case K_G_ATTR_ENERGY: gp->attributed_j = v; break;
	case K_G_POWER: gp->power_w = v; break;
	case K_G_ATTR_POWER: gp->attributable_power_w = v; break;
	case K_G_USE: gp->sm_percent = v; break;
	case K_G_PCT: if (isnan(gp->sm_percent)) gp->sm_percent = v; break;
	case K_G_MEM: gp->mem_bytes = v; break;
	default: break;
	}
}

void aipm_line_set_zone(struct aipm_line *l, struct aipm_zone_table *zt, const char *name, double v, bool energy)
{
	int id = aipm_zone_table_id(zt, name);
	if (id < 0)
		return;
	/* Ids of zones first seen in this line may exceed nzones: clear the
	 * gap so nothing stale is read as a value. */
	while (l->nzones <= id) {
		l->zone_energy_j[l->nzones] = NAN;
		l->zone_power_w[l->nzones++] = NAN;
	}
	(energy ? l->zone_energy_j : l->zone_power_w)[id] = v;
}

void aipm_line_finish(struct aipm_line *l, double pss_pid, double uss_pid)
{
	/* The tree's PSS is written by aipm; AIPowerMeter only has the
	 * per-process values, whose sum is the same quantity. */
	if (isnan(l->pss_bytes))
		l->pss_bytes = pss_pid;
	if (isnan(l->uss_bytes))
		l->uss_bytes = uss_pid;
}

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

static void set_gpus(struct aipm_line *l, const cJSON *o, enum aipm_line_key k)
{
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		int g = aipm_line_gpu_index(c->string, slen(c->string));
		if (g < 0) {
			if (!aipm_line_gpu_extra(k, c->string, slen(c->string)))
				l->unknown_fields++;
			continue;
		}
		if (k == K_G_INTEGRATED) {
			l->gpu[g].integrated = cJSON_IsTrue(c) || (cJSON_IsNumber(c) && c->valuedouble != 0);
			continue;
		}
		double v = num(c);
		if (!isnan(v))
			aipm_line_set_gpu(l, g, k, v);
	}
}

static void set_zones(struct aipm_line *l, const cJSON *o, struct aipm_zone_table *zt, bool energy)
{
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		double v = num(c);
		if (!isnan(v) && c->string)
			aipm_line_set_zone(l, zt, c->string, v, energy);
	}
}

static void parse_cpu(struct aipm_line *l, const cJSON *cpu, struct aipm_zone_table *zt, double *pss_pid,
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
		case K_ZONE_POWER: set_zones(l, c, zt, false); break;
		case K_ZONE_ENERGY: set_zones(l, c, zt, true); break;
		case K_ATTRIB:
			for (const cJSON *a = c->child; a; a = a->next) {
				if (a->string && !strcmp(a->string, "cpu"))
					l->attributed_cpu_j = num(a);
				else if (a->string && !strcmp(a->string, "dram"))
					l->attributed_dram_j = num(a);
			}
			break;
		case K_PSS_PID: *pss_pid = obj_sum(c); break;
		case K_USS_PID: *uss_pid = obj_sum(c); break;
		default: break;
		}
	}
}

static void parse_gpu(struct aipm_line *l, const cJSON *gpu)
{
	for (const cJSON *c = gpu->child; c; c = c->next) {
		enum aipm_line_key k = aipm_line_key_gpu(c->string, slen(c->string));
		if (k == K_UNKNOWN)
			l->unknown_fields++;
		else if (aipm_line_key_scalar(k))
			aipm_line_set_scalar(l, k, num(c));
		else if (k != K_IGNORED)
			set_gpus(l, c, k);
	}
}

void aipm_line_reset(struct aipm_line *l, int nzones)
{
	l->ts = NAN;
	l->nzones = nzones;
	for (int i = 0; i < nzones; i++)
		l->zone_energy_j[i] = l->zone_power_w[i] = NAN;
	l->attributed_cpu_j = l->attributed_dram_j = l->cpu_time_s = NAN;
	for (int i = 0; i < AIPM_PW_COUNT; i++)
		l->pw[i] = NAN;
	l->pss_bytes = l->uss_bytes = NAN;
	for (int g = 0; g < AIPM_MAX_GPUS; g++)
		l->gpu[g] = (struct aipm_line_gpu){NAN, NAN, NAN, NAN, NAN, NAN, false};
	l->ngpus = 0;
	l->unknown_fields = 0;
	l->timestamped = false;
}

enum aipm_line_kind aipm_line_parse_dom(const char *text, size_t len, struct aipm_zone_table *zt,
					struct aipm_date_cache *dc, struct aipm_line *l)
{
	enum aipm_line_kind kind = aipm_line_classify(text, len);
	if (kind != AIPM_LINE_SAMPLE)
		return kind;
	cJSON *root = parse_json(text, len);
	if (!root)
		return AIPM_LINE_CORRUPT;
	kind = AIPM_LINE_CORRUPT;
	if (!cJSON_IsObject(root))
		goto out;
	aipm_line_reset(l, aipm_zone_table_count(zt));
	const cJSON *metrics = NULL, *date = NULL;
	for (const cJSON *c = root->child; c; c = c->next) {
		if (!c->string)
			continue;
		if (!strcmp(c->string, "timestamp"))
			l->ts = num(c);
		else if (!strcmp(c->string, "date"))
			date = c;
		else if (!strcmp(c->string, "metrics"))
			metrics = c;
		else
			l->unknown_fields++;
	}
	/* aipm writes both; the Unix timestamp means the same in every time
	 * zone, so the local date is only read when it is all there is. */
	l->timestamped = !isnan(l->ts);
	if (isnan(l->ts) && cJSON_IsString(date) && !aipm_date_parse(date->valuestring, dc, &l->ts))
		l->ts = NAN;
	if (isnan(l->ts) || !cJSON_IsObject(metrics))
		goto out;
	double pss_pid = NAN, uss_pid = NAN;
	for (const cJSON *c = metrics->child; c; c = c->next) {
		if (c->string && !strcmp(c->string, "cpu") && cJSON_IsObject(c))
			parse_cpu(l, c, zt, &pss_pid, &uss_pid);
		else if (c->string && !strcmp(c->string, "gpu") && cJSON_IsObject(c))
			parse_gpu(l, c);
		else if (!c->string || strcmp(c->string, "temperature"))
			l->unknown_fields++;
	}
	aipm_line_finish(l, pss_pid, uss_pid);
	kind = AIPM_LINE_SAMPLE;
out:
	cJSON_Delete(root);
	return kind;
}

enum aipm_line_kind aipm_line_parse(const char *text, size_t len, struct aipm_zone_table *zt,
				    struct aipm_date_cache *dc, struct aipm_line *l)
{
	int kind = aipm_line_parse_fast(text, len, zt, dc, l);
	return kind >= 0 ? (enum aipm_line_kind)kind : aipm_line_parse_dom(text, len, zt, dc, l);
}
