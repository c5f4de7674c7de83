/* sidefiles.c: metadata.json and model_summary.json (sidefiles.h).
 *
 * Both are small single objects, read whole with cJSON into plain structs
 * (the views never see a cJSON tree). Layouts of older aipm versions are
 * read too: GPU descriptions at the top level or in the source itself, and
 * sources without "provides" (the names "rapl" and "nvml" then say it).
 */
#include "sidefiles.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "record/lines.h"
#include "aipm.h"
#include "util.h"

/* The whole of a small file, NUL-terminated; NULL with *status and
 * problem set when it cannot be had. */
static char *read_whole(const char *path, enum aipm_meta_status *status, char *problem, size_t psize)
{
	int fd = aipm_open_regular(path);
	if (fd < 0) {
		*status = fd == -ENOENT ? AIPM_META_MISSING : AIPM_META_UNREADABLE;
		snprintf(problem, psize, "%s", aipm_error_last());
		aipm_err_clear();
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) < 0 || st.st_size > AIPM_FORMAT_SIDE_MAX) {
		*status = AIPM_META_UNREADABLE;
		snprintf(problem, psize, "%s: larger than %lld MiB, not read", path, AIPM_FORMAT_SIDE_MAX >> 20);
		close(fd);
		return NULL;
	}
	size_t size = (size_t)st.st_size, n = 0;
	buf = malloc(size + 1);
	while (buf && n < size) {
		ssize_t r = pread(fd, buf + n, size - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf) {
		*status = AIPM_META_UNREADABLE;
		snprintf(problem, psize, "out of memory");
		return NULL;
	}
	buf[n] = '\0';
	*status = AIPM_META_OK;
	return buf;
}

/* A JSON object from a whole file: NULL (status, problem) if it is none. */
static cJSON *read_object(const char *path, enum aipm_meta_status *status, char *problem, size_t psize)
{
	char *text = read_whole(path, status, problem, psize);
	if (!text)
		return NULL;
	cJSON *j = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*status = AIPM_META_CORRUPT;
		snprintf(problem, psize, "%s is not one JSON object (half-written, cut or damaged)", path);
		return NULL;
	}
	return j;
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static void copy_str(char *dst, size_t size, const cJSON *j)
{
	if (cJSON_IsString(j))
		snprintf(dst, size, "%s", j->valuestring);
}

static unsigned provides_of(const cJSON *src, const char *name)
{
	const cJSON *p = get(src, "provides"), *w;
	if (!cJSON_IsArray(p)) {
		/* Before "provides": the two energy sources by name. */
		if (!strcmp(name, "rapl"))
			return AIPM_META_CPU_ENERGY | AIPM_META_DRAM_ENERGY;
		if (!strcmp(name, "nvml"))
			return AIPM_META_GPU_ENERGY;
		return 0;
	}
	unsigned bits = 0;
	cJSON_ArrayForEach(w, p)
	{
		for (unsigned i = 0; cJSON_IsString(w) && i < AIPM_FORMAT_PROVIDES_COUNT; i++)
			if (!strcmp(w->valuestring, aipm_format_provides_word(i)))
				bits |= 1u << i;
	}
	return bits;
}

static void *grow(void *v, size_t n, size_t size)
{
	/* Capacities 4, 8, 16, ...: grow when n reaches one. */
	if (n != 0 && (n < 4 || (n & (n - 1))))
		return v;
	return realloc(v, (n ? n * 2 : 4) * size);
}

#define APPEND(arr, n, ok)                                                    \
	do {                                                                  \
		void *g_ = grow((arr), (n), sizeof *(arr));                   \
		if (!g_) {                                                    \
			ok = false;                                           \
			break;                                                \
		}                                                             \
		(arr) = g_;                                                   \
		memset(&(arr)[(n)], 0, sizeof *(arr));                        \
		ok = true;                                                    \
	} while (0)

/* GPU descriptions: aipm writes them in a GPU source's "details" with its
 * "vendor"; older layouts had "gpus" (or "devices") at the top or in the
 * source itself, always NVIDIA's. */
static bool gpus_from(struct aipm_meta *m, const cJSON *list, const char *vendor)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, list)
	{
		const cJSON *idx = get(d, "index");
		if (!cJSON_IsNumber(idx) || !(idx->valuedouble >= 0) || idx->valuedouble > AIPM_FORMAT_GPU_INDEX_MAX)
			continue;
		bool ok;
		APPEND(m->gpus, m->ngpus, ok);
		if (!ok)
			return false;
		struct aipm_meta_gpu *g = &m->gpus[m->ngpus++];
		snprintf(g->vendor, sizeof g->vendor, "%s", vendor);
		g->index = (long)idx->valuedouble;
		copy_str(g->name, sizeof g->name, get(d, "name"));
		copy_str(g->uuid, sizeof g->uuid, get(d, "uuid"));
		const cJSON *src = get(d, "energy_source");
		g->integrated = cJSON_IsString(src) && !strcmp(src->valuestring, "integrated");
	}
	return true;
}

/* RAPL zones of a source's details, with the zone each one is inside. */
static bool zones_from(struct aipm_meta *m, const cJSON *list)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, list)
	{
		const cJSON *name = get(d, "name");
		if (!cJSON_IsString(name) || strlen(name->valuestring) > AIPM_FORMAT_ZONE_NAME_MAX)
			continue;
		bool ok;
		APPEND(m->zones, m->nzones, ok);
		if (!ok)
			return false;
		struct aipm_meta_zone *z = &m->zones[m->nzones++];
		copy_str(z->name, sizeof z->name, name);
		copy_str(z->inside, sizeof z->inside, get(d, "inside"));
	}
	return true;
}

/* The estimate's details, as aipm_cpu_estimate_describe writes them. */
static void read_estimate(struct aipm_meta_estimate *e, const cJSON *d)
{
	copy_str(e->method, sizeof e->method, get(d, "method"));
	copy_str(e->table, sizeof e->table, get(d, "table"));
	copy_str(e->table_version, sizeof e->table_version, get(d, "table_version"));
	copy_str(e->row_key, sizeof e->row_key, get(d, "row_key"));
	copy_str(e->arch, sizeof e->arch, get(d, "arch"));
	copy_str(e->text, sizeof e->text, get(d, "text"));
	const cJSON *row = get(d, "row");
	e->row = cJSON_IsNumber(row) && row->valuedouble >= 0 && row->valuedouble < 1e9 ? (long)row->valuedouble : 0;
}

static bool read_source(struct aipm_meta *m, const cJSON *src)
{
	const cJSON *name = get(src, "name");
	if (!cJSON_IsString(name))
		return true;
	bool ok;
	APPEND(m->sources, m->nsources, ok);
	if (!ok)
		return false;
	struct aipm_meta_source *s = &m->sources[m->nsources++];
	snprintf(s->name, sizeof s->name, "%s", name->valuestring);
	s->available = cJSON_IsTrue(get(src, "available"));
	s->provides = provides_of(src, s->name);
	copy_str(s->reason, sizeof s->reason, get(src, "reason"));
	copy_str(s->fix, sizeof s->fix, get(src, "fix"));
	copy_str(s->what, sizeof s->what, get(src, "what"));
	copy_str(s->note, sizeof s->note, get(src, "note"));
	const cJSON *details = get(src, "details"), *v = get(details, "vendor");
	/* A source that identified the CPU (the estimate's) names its model. */
	if (!m->cpu_model[0])
		copy_str(m->cpu_model, sizeof m->cpu_model, get(get(details, "identity"), "model_name"));
	if (!zones_from(m, get(details, "zones")))
		return false;
	if (s->available && (s->provides & AIPM_META_CPU_ESTIMATE) && !m->estimate.method[0])
		read_estimate(&m->estimate, details);
	const char *vendor = cJSON_IsString(v) ? v->valuestring
			     : strcmp(s->name, "nvml") ? s->name : AIPM_GPU_VENDOR_NVIDIA;
	return gpus_from(m, get(details, "gpus"), vendor) && gpus_from(m, get(src, "gpus"), vendor) &&
	       gpus_from(m, get(src, "devices"), vendor);
}

/* segments[].sources[]: samples and failures per source, summed. */
static bool read_health(struct aipm_meta *m, const cJSON *segments)
{
	const cJSON *seg, *h;
	cJSON_ArrayForEach(seg, segments)
	{
		cJSON_ArrayForEach(h, get(seg, "sources"))
		{
			const cJSON *name = get(h, "name");
			if (!cJSON_IsString(name))
				continue;
			size_t i = 0;
			while (i < m->nhealth && strcmp(m->health[i].source, name->valuestring))
				i++;
			if (i == m->nhealth) {
				bool ok;
				APPEND(m->health, m->nhealth, ok);
				if (!ok)
					return false;
				snprintf(m->health[m->nhealth++].source, sizeof m->health[0].source, "%s",
					 name->valuestring);
			}
			struct aipm_meta_health *x = &m->health[i];
			const cJSON *n = get(h, "samples"), *f = get(h, "failed");
			if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e15)
				x->samples += (long long)n->valuedouble;
			if (cJSON_IsNumber(f) && f->valuedouble >= 0 && f->valuedouble < 1e15)
				x->failed += (long long)f->valuedouble;
			copy_str(x->last_error, sizeof x->last_error, get(h, "last_error"));
		}
	}
	return true;
}

/* The command as one line: arguments that hold a space or a quote are
 * quoted, so the line says where each one ends. */
static void command_line(char *out, size_t size, const cJSON *argv)
{
	const cJSON *a;
	size_t n = 0;
	out[0] = '\0';
	cJSON_ArrayForEach(a, argv)
	{
		if (!cJSON_IsString(a) || n + 1 >= size)
			continue;
		bool q = !a->valuestring[0] || strpbrk(a->valuestring, " \t'\"");
		int w = snprintf(out + n, size - n, "%s%s%s%s", n ? " " : "", q ? "'" : "", a->valuestring, q ? "'" : "");
		n = w < 0 ? n : n + (size_t)w >= size ? size - 1 : n + (size_t)w;
	}
}

int aipm_meta_read(const char *dir, struct aipm_meta *m)
{
	memset(m, 0, sizeof *m);
	m->interval_s = NAN;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, AIPM_FILE_METADATA);
	cJSON *j = read_object(path, &m->status, m->problem, sizeof m->problem);
	if (!j)
		return 0;
	copy_str(m->description, sizeof m->description, get(j, "description"));
	/* Only aipm writes its version there; a recording of a machine without
	 * RAPL or GPU has no counter to tell it by. */
	m->aipm = cJSON_IsString(get(j, "aipm_version"));
	copy_str(m->version, sizeof m->version, get(j, "aipm_version"));
	copy_str(m->host, sizeof m->host, get(j, "host"));
	copy_str(m->start_date, sizeof m->start_date, get(j, "start_date"));
	command_line(m->command, sizeof m->command, get(j, "command"));
	const cJSON *iv = get(j, "interval_s");
	m->interval_s = cJSON_IsNumber(iv) && iv->valuedouble > 0 ? iv->valuedouble : NAN;
	bool ok = gpus_from(m, get(j, "gpus"), AIPM_GPU_VENDOR_NVIDIA);
	const cJSON *src;
	cJSON_ArrayForEach(src, get(j, "sources"))
	{
		if (ok)
			ok = read_source(m, src);
	}
	if (ok)
		ok = read_health(m, get(j, "segments"));
	cJSON_Delete(j);
	if (!ok) {
		aipm_meta_free(m);
		return aipm_err(-ENOMEM, "out of memory reading %s", path);
	}
	return 0;
}

void aipm_meta_free(struct aipm_meta *m)
{
	free(m->sources);
	free(m->gpus);
	free(m->health);
	free(m->zones);
	m->sources = NULL;
	m->gpus = NULL;
	m->health = NULL;
	m->zones = NULL;
	m->nsources = m->ngpus = m->nhealth = m->nzones = 0;
}

const struct aipm_meta_zone *aipm_meta_zone(const struct aipm_meta *m, const char *name)
{
	for (size_t i = 0; i < m->nzones; i++)
		if (!strcmp(m->zones[i].name, name))
			return &m->zones[i];
	return NULL;
}

static void append(char *dst, size_t size, const char *name, const char *text)
{
	size_t n = strlen(dst);
	if (text[0] && n + 1 < size)
		snprintf(dst + n, size - n, "%s%s%s%s", n ? "; " : "", name ? name : "", name ? ": " : "", text);
}

bool aipm_meta_unmeasured(const struct aipm_meta *m, unsigned part, char *reason, size_t rsize, char *fix,
			  size_t fsize)
{
	size_t k = 0, at = 0;
	for (size_t i = 0; i < m->nsources; i++)
		k += !m->sources[i].available && (m->sources[i].provides & part);
	reason[0] = fix[0] = '\0';
	for (size_t i = 0; i < m->nsources; i++) {
		const struct aipm_meta_source *s = &m->sources[i];
		if (s->available || !(s->provides & part))
			continue;
		/* One source: its own words; several: each named. */
		append(reason, rsize, k > 1 ? s->name : NULL, s->reason);
		append(fix, fsize, k > 1 ? s->name : NULL, s->fix);
		at++;
	}
	return at > 0;
}

const struct aipm_meta_gpu *aipm_meta_gpu(const struct aipm_meta *m, const char *vendor, long index)
{
	/* The last description wins: details come after the older layouts. */
	const struct aipm_meta_gpu *found = NULL;
	for (size_t i = 0; i < m->ngpus; i++)
		if (m->gpus[i].index == index && !strcmp(m->gpus[i].vendor, vendor))
			found = &m->gpus[i];
	return found;
}

static double json_num(const cJSON *o, const char *k)
{
	const cJSON *j = get(o, k);
	return cJSON_IsNumber(j) && isfinite(j->valuedouble) ? j->valuedouble : NAN;
}

int aipm_model_numbers(const char *dir, double *params, double *macs)
{
	char path[4200], problem[512];
	enum aipm_meta_status st;
	snprintf(path, sizeof path, "%s/%s", dir, AIPM_FILE_MODEL);
	*params = *macs = NAN;
	cJSON *j = read_object(path, &st, problem, sizeof problem);
	if (!j)
		return 0;
	/* aipm's model module writes params_total and macs; AIPowerMeter
	 * wrote total_params and total_mult_adds. */
	*params = json_num(j, "params_total");
	if (isnan(*params))
		*params = json_num(j, "total_params");
	*macs = json_num(j, "macs");
	if (isnan(*macs))
		*macs = json_num(j, "total_mult_adds");
	/* A count that saturated (the model module's macs_overflow) is a
	 * bound, not the model's MACs: not reported as one. */
	if (cJSON_IsTrue(get(j, "macs_overflow")))
		*macs = NAN;
	cJSON_Delete(j);
	return 0;
}
