/* line_keys.c: the meaning of every key of a power_metrics.json line, the
 * zone/GPU table (line_keys.h), and the classifier of blank lines and
 * segment markers (line.h). Defined once for both parsers, so the
 * fast scanner and cJSON cannot drift apart on what a key does. Unknown
 * keys are counted, never an error: a newer aipm may add fields, and an
 * older reader must still total what it knows.
 */
#include "line_keys.h"

#include <math.h>
#include <string.h>

#include "util.h"

int aipm_line_table_zones(const struct aipm_line_table *t) { return __atomic_load_n(&t->nzones, __ATOMIC_ACQUIRE); }
int aipm_line_table_gpus(const struct aipm_line_table *t) { return __atomic_load_n(&t->ngpus, __ATOMIC_ACQUIRE); }
int aipm_line_table_sids(const struct aipm_line_table *t)
{
	int n = __atomic_load_n(&t->nsids, __ATOMIC_ACQUIRE);
	return n < AIPM_SID_FIXED ? AIPM_SID_FIXED : n;
}

static int zone_find(const struct aipm_line_table *t, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (!strncmp(t->zone[i], name, len) && t->zone[i][len] == '\0')
			return i;
	return -1;
}

static int gpu_find(const struct aipm_line_table *t, int n, const char *vendor, size_t vlen, long index)
{
	for (int i = 0; i < n; i++)
		if (t->gpu[i].index == index && !strncmp(t->gpu[i].vendor, vendor, vlen) && t->gpu[i].vendor[vlen] == '\0')
			return i;
	return -1;
}

static void lock(struct aipm_line_table *t)
{
	while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void unlock(struct aipm_line_table *t) { __atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE); }

/* The next series ids, taken under the lock (the fixed ones come first),
 * for zone or GPU id obj: n ids of kinds first, first + 1, ... */
static int take_sids(struct aipm_line_table *t, int n, enum aipm_sid_kind first, int obj)
{
	int s = t->nsids < AIPM_SID_FIXED ? AIPM_SID_FIXED : t->nsids;
	for (int i = 0; i < n; i++) {
		t->sid_kind[s + i] = (unsigned char)(first + i);
		t->sid_of[s + i] = (short)obj;
	}
	__atomic_store_n(&t->nsids, s + n, __ATOMIC_RELEASE);
	return s;
}

bool aipm_sid_is_counter(const struct aipm_line_table *t, int sid)
{
	if (sid < AIPM_SID_FIXED)
		return sid < AIPM_SID_PW;
	enum aipm_sid_kind k = (enum aipm_sid_kind)t->sid_kind[sid];
	return k == AIPM_SK_ZONE_ENERGY || k == AIPM_SK_GPU_ENERGY || k == AIPM_SK_GPU_ATTRIBUTED;
}

double aipm_line_sid_value(const struct aipm_line *l, const struct aipm_line_table *t, int sid)
{
	switch (sid) {
	case AIPM_SID_ATT_CPU: return l->attributed_cpu_j;
	case AIPM_SID_ATT_DRAM: return l->attributed_dram_j;
	case AIPM_SID_CPU_TIME: return l->cpu_time_s;
	default: break;
	}
	if (sid >= AIPM_SID_EST && sid < AIPM_SID_EST + AIPM_EST_J_COUNT)
		return l->est_j[sid - AIPM_SID_EST];
	if (sid < AIPM_SID_FIXED)
		return l->pw[sid - AIPM_SID_PW];
	int o = t->sid_of[sid];
	const struct aipm_line_gpu *g = aipm_line_gpu_of(l, o);
	switch ((enum aipm_sid_kind)t->sid_kind[sid]) {
	case AIPM_SK_ZONE_ENERGY: return aipm_line_zone_energy(l, o);
	case AIPM_SK_ZONE_POWER: return aipm_line_zone_power(l, o);
	case AIPM_SK_GPU_ENERGY: return g->energy_j;
	case AIPM_SK_GPU_ATTRIBUTED: return g->attributed_j;
	case AIPM_SK_GPU_POWER: return g->power_w;
	case AIPM_SK_GPU_ATTRIBUTABLE_POWER: return g->attributable_power_w;
	default: return NAN;
	}
}

int aipm_line_zone_id(struct aipm_line_table *t, const char *name, size_t len)
{
	int id = zone_find(t, aipm_line_table_zones(t), name, len);
	if (id >= 0)
		return id;
	if (len > AIPM_FORMAT_ZONE_NAME_MAX || memchr(name, '\0', len))
		return -1;
	/* Rare (once per zone per scan): take the flag, re-check, publish. */
	lock(t);
	int n = t->nzones;
	id = zone_find(t, n, name, len);
	if (id < 0 && n < AIPM_FORMAT_MAX_ZONES) {
		memcpy(t->zone[n], name, len);
		t->zone[n][len] = '\0';
		t->kind[n] = aipm_kind_of_zone(t->zone[n]);
		t->zone_sid[n] = take_sids(t, 2, AIPM_SK_ZONE_ENERGY, n);
		id = n;
		__atomic_store_n(&t->nzones, n + 1, __ATOMIC_RELEASE);
	}
	unlock(t);
	return id;
}

int aipm_line_gpu_id(struct aipm_line_table *t, const char *vendor, size_t vlen, long index)
{
	int id = gpu_find(t, aipm_line_table_gpus(t), vendor, vlen, index);
	if (id >= 0)
		return id;
	if (vlen > AIPM_FORMAT_VENDOR_MAX)
		return -1;
	lock(t);
	int n = t->ngpus;
	id = gpu_find(t, n, vendor, vlen, index);
	if (id < 0 && n < AIPM_FORMAT_MAX_GPUS) {
		memcpy(t->gpu[n].vendor, vendor, vlen);
		t->gpu[n].vendor[vlen] = '\0';
		t->gpu[n].index = index;
		t->gpu[n].sid = take_sids(t, 4, AIPM_SK_GPU_ENERGY, n);
		id = n;
		__atomic_store_n(&t->ngpus, n + 1, __ATOMIC_RELEASE);
	}
	unlock(t);
	return id;
}

static bool marker(const char *s, size_t n)
{
	static const char m[] = AIPM_SEGMENT_MARKER;
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

struct key_name {
	const char *name;
	size_t len;
	int key;
};

#define KN(name, key) {name, sizeof name - 1, key}
static const struct key_name top_keys[] = {
	KN(AIPM_KEY_TIMESTAMP, TOP_TIMESTAMP), KN(AIPM_KEY_DATE, TOP_DATE), KN(AIPM_KEY_METRICS, TOP_METRICS),
	KN(AIPM_KEY_EDGE, TOP_EDGE),
};

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

/* Per-GPU objects, in every GPU section. per_gpu_power_draw is
 * AIPowerMeter's name, per_gpu_power aipm's, per_gpu_nvidia_* the names
 * AIPowerMeter's loader reads: one quantity each. */
static const struct key_name gpu_keys[] = {
	KN("per_gpu_energy", K_G_ENERGY), KN("per_gpu_attributed_energy", K_G_ATTR_ENERGY),
	KN("per_gpu_power_draw", K_G_POWER), KN("per_gpu_power", K_G_POWER), KN("per_gpu_nvidia_power", K_G_POWER),
	KN("per_gpu_attributable_power", K_G_ATTR_POWER), KN("per_gpu_use_rate", K_G_USE),
	KN("per_gpu_nvidia_use_rate", K_G_USE), KN("per_gpu_absolute_percent_usage", K_G_PCT),
	KN("per_gpu_memory", K_G_MEM), KN("per_gpu_nvidia_memory", K_G_MEM),
	KN("per_gpu_energy_integrated", K_G_INTEGRATED), KN("per_gpu_energy_age", K_G_ENERGY_AGE),
	KN("per_gpu_attributable_mem_use", K_IGNORED),
	KN("per_gpu_per_pid_utilization_absolute", K_IGNORED),
	KN("per_gpu_estimated_attributable_utilization", K_IGNORED), KN("per_gpu_memory_total", K_IGNORED),
	KN("per_gpu_temperature", K_IGNORED), KN("per_gpu_power_limit", K_IGNORED), KN("per_gpu_name", K_IGNORED),
	KN("per_gpu_uuid", K_IGNORED),
};

/* AIPowerMeter's whole-machine GPU scalars: "gpu" only. */
static const struct key_name nvidia_keys[] = {
	KN("nvidia_draw_absolute", K_NV_DRAW), KN("nvidia_attributable_power", K_NV_ATTR),
	KN("nvidia_power", K_IGNORED), KN("nvidia_memory", K_IGNORED), KN("nvidia_use_rate", K_IGNORED),
};

/* The CPU estimate's section (writer_estimate.c). "method" is the same as
 * metadata.json's, which the report reads. */
static const struct key_name estimate_keys[] = {
	KN(AIPM_KEY_EST_J, K_EST_J), KN(AIPM_KEY_EST_J_LOW, K_EST_J_LOW), KN(AIPM_KEY_EST_J_HIGH, K_EST_J_HIGH),
	KN(AIPM_KEY_EST_ATT_J, K_EST_ATT_J), KN(AIPM_KEY_EST_ATT_J_LOW, K_EST_ATT_J_LOW),
	KN(AIPM_KEY_EST_ATT_J_HIGH, K_EST_ATT_J_HIGH), KN(AIPM_KEY_EST_W, K_EST_W), KN(AIPM_KEY_EST_W_LOW, K_EST_W_LOW),
	KN(AIPM_KEY_EST_W_HIGH, K_EST_W_HIGH), KN(AIPM_KEY_EST_LOAD, K_EST_LOAD), KN(AIPM_KEY_EST_METHOD, K_IGNORED),
};

static const struct key_name quiet_sections[] = {
	KN(AIPM_SECTION_TEMPERATURE, 1),
};

static int lookup(const struct key_name *t, size_t nt, const char *s, size_t n, int none)
{
	if (!s || !n)
		return none;
	for (size_t i = 0; i < nt; i++)
		if (t[i].len == n && t[i].name[0] == s[0] && !memcmp(t[i].name, s, n))
			return t[i].key;
	return none;
}

enum aipm_line_top aipm_line_key_top(const char *s, size_t n)
{
	return (enum aipm_line_top)lookup(top_keys, AIPM_ARRAY_SIZE(top_keys), s, n, TOP_OTHER);
}

enum aipm_line_key aipm_line_key_cpu(const char *s, size_t n)
{
	return (enum aipm_line_key)lookup(cpu_keys, AIPM_ARRAY_SIZE(cpu_keys), s, n, K_UNKNOWN);
}

enum aipm_line_key aipm_line_key_gpu(const char *s, size_t n, bool nvidia)
{
	int k = lookup(gpu_keys, AIPM_ARRAY_SIZE(gpu_keys), s, n, K_UNKNOWN);
	if (k == K_UNKNOWN && nvidia)
		k = lookup(nvidia_keys, AIPM_ARRAY_SIZE(nvidia_keys), s, n, K_UNKNOWN);
	return (enum aipm_line_key)k;
}

enum aipm_line_key aipm_line_key_estimate(const char *s, size_t n)
{
	return (enum aipm_line_key)lookup(estimate_keys, AIPM_ARRAY_SIZE(estimate_keys), s, n, K_UNKNOWN);
}

bool aipm_line_section_quiet(const char *s, size_t n)
{
	return lookup(quiet_sections, AIPM_ARRAY_SIZE(quiet_sections), s, n, 0);
}

/* As strtol would read a decimal index whole: leading zeros are fine, a
 * sign, a space or anything after the digits is not. */
long aipm_line_gpu_index(const char *s, size_t n)
{
	if (!s || !n)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v <= AIPM_FORMAT_GPU_INDEX_MAX)
			v = v * 10 + (s[i] - '0');
	}
	return v <= AIPM_FORMAT_GPU_INDEX_MAX ? v : -1;
}

bool aipm_line_gpu_extra(enum aipm_line_key k, const char *s, size_t n)
{
	return k == K_G_ATTR_POWER && s && n == 3 && !memcmp(s, "all", 3);
}

static const struct aipm_line_gpu gpu_none = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, false};

const struct aipm_line_gpu *aipm_line_gpu_of(const struct aipm_line *l, int g)
{
	return g >= 0 && g < l->ngpus ? &l->gpu[g] : &gpu_none;
}

/* Nothing measured is negative: AIPowerMeter writes -1 for "none". */
static double valid(double v) { return v >= 0 ? v : NAN; }

void aipm_line_set_scalar(struct aipm_line *l, enum aipm_line_key k, double v)
{
	v = valid(v);
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

void aipm_line_set_estimate(struct aipm_line *l, enum aipm_line_key k, double v)
{
	v = valid(v);
	if (k >= K_EST_J && k <= K_EST_ATT_J_HIGH)
		l->est_j[k - K_EST_J] = v;
	else if (k >= K_EST_W && k <= K_EST_W_HIGH)
		l->est_w[k - K_EST_W] = v;
	else if (k == K_EST_LOAD)
		l->est_load = v <= 1 ? v : NAN;
}

void aipm_line_set_attrib(struct aipm_line *l, bool dram, double v)
{
	*(dram ? &l->attributed_dram_j : &l->attributed_cpu_j) = valid(v);
}

/* The line's slot of GPU id g, clearing slots first seen in this line. */
static struct aipm_line_gpu *gpu_slot(struct aipm_line *l, int g)
{
	while (l->ngpus <= g)
		l->gpu[l->ngpus++] = gpu_none;
	return &l->gpu[g];
}

void aipm_line_set_gpu(struct aipm_line *l, struct aipm_line_table *t, const char *vendor, size_t vlen,
		       long index, enum aipm_line_key k, double v)
{
	int g = aipm_line_gpu_id(t, vendor, vlen, index);
	if (g < 0) {
		l->dropped++;
		return;
	}
	struct aipm_line_gpu *gp = gpu_slot(l, g);
	v = valid(v);
	switch (k) {
	case K_G_ENERGY: gp->energy_j = v; break;
	case K_G_ATTR_ENERGY: gp->attributed_j = v; break;
	case K_G_POWER: gp->power_w = v; break;
	case K_G_ATTR_POWER: gp->attributable_power_w = v; break;
	case K_G_USE: gp->sm_percent = v; break;
	case K_G_PCT: if (isnan(gp->sm_percent)) gp->sm_percent = v; break;
	case K_G_MEM: gp->mem_bytes = v; break;
	case K_G_ENERGY_AGE: gp->energy_age_s = v; break;
	default: break;
	}
}

void aipm_line_set_gpu_integrated(struct aipm_line *l, struct aipm_line_table *t, const char *vendor,
				  size_t vlen, long index, bool integrated)
{
	int g = aipm_line_gpu_id(t, vendor, vlen, index);
	if (g < 0)
		l->dropped++;
	else
		gpu_slot(l, g)->integrated = integrated;
}

void aipm_line_set_zone(struct aipm_line *l, struct aipm_line_table *t, const char *name, size_t len, double v,
			bool energy)
{
	int id = aipm_line_zone_id(t, name, len);
	if (id < 0) {
		l->dropped++;
		return;
	}
	/* Ids of zones first seen in this line may exceed nzones: clear the
	 * gap so nothing stale is read as a value. */
	while (l->nzones <= id) {
		l->zone_energy_j[l->nzones] = NAN;
		l->zone_power_w[l->nzones++] = NAN;
	}
	(energy ? l->zone_energy_j : l->zone_power_w)[id] = valid(v);
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

void aipm_line_reset(struct aipm_line *l, const struct aipm_line_table *t)
{
	l->ts = NAN;
	l->nzones = aipm_line_table_zones(t);
	for (int i = 0; i < l->nzones; i++)
		l->zone_energy_j[i] = l->zone_power_w[i] = NAN;
	l->ngpus = aipm_line_table_gpus(t);
	for (int g = 0; g < l->ngpus; g++)
		l->gpu[g] = gpu_none;
	l->attributed_cpu_j = l->attributed_dram_j = l->cpu_time_s = NAN;
	for (int i = 0; i < AIPM_PW_COUNT; i++)
		l->pw[i] = NAN;
	l->pss_bytes = l->uss_bytes = NAN;
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		l->est_j[i] = NAN;
	for (int i = 0; i < AIPM_EST_W_COUNT; i++)
		l->est_w[i] = NAN;
	l->est_load = NAN;
	l->unknown_fields = l->dropped = 0;
	l->timestamped = l->edge = false;
}
