/* flatten.c: see flatten.h. The views of a recording (CSV, plots) read the
 * generic JSON tree, not the summary's fixed struct, so any field a newer
 * recorder adds shows up as a column without a change here. */
#include "flatten.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/line.h"
#include "error.h"

static void walk(const cJSON *o, char *name, size_t len, size_t cap, aipm_flatten_fn fn, void *ctx)
{
	for (const cJSON *c = o->child; c; c = c->next) {
		if (!c->string)
			continue;
		size_t n = strlen(c->string);
		size_t at = len;
		if (len + n + 2 > cap)
			continue; /* a name past 4 KiB is not a column anyone wants */
		if (len)
			name[at++] = '.';
		memcpy(name + at, c->string, n + 1);
		if (cJSON_IsObject(c))
			walk(c, name, at + n, cap, fn, ctx);
		else if (cJSON_IsNumber(c) || cJSON_IsString(c) || cJSON_IsBool(c))
			fn(ctx, name, c);
		name[len] = '\0';
	}
}

void aipm_flatten_metrics(const cJSON *root, aipm_flatten_fn fn, void *ctx)
{
	const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(root, "metrics");
	char name[4096];
	for (const cJSON *sec = metrics ? metrics->child : NULL; sec; sec = sec->next) {
		if (!sec->string || !cJSON_IsObject(sec))
			continue;
		/* cpu and gpu fields keep their own (seed) names: they are what
		 * users know from AIPowerMeter. */
		bool bare = !strcmp(sec->string, "cpu") || !strcmp(sec->string, "gpu");
		size_t len = 0;
		if (!bare) {
			len = strlen(sec->string);
			if (len + 2 > sizeof name)
				continue;
			memcpy(name, sec->string, len + 1);
		}
		name[len] = '\0';
		walk(sec, name, len, sizeof name, fn, ctx);
	}
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool rehash(struct aipm_names *s, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof *slots);
	if (!slots)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = hash(s->names[i]) & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	return true;
}

long aipm_names_find(struct aipm_names *s, const char *name, bool add)
{
	if (s->nslots) {
		size_t j = hash(name) & (s->nslots - 1);
		while (s->slots[j]) {
			if (!strcmp(s->names[s->slots[j] - 1], name))
				return (long)(s->slots[j] - 1);
			j = (j + 1) & (s->nslots - 1);
		}
	}
	if (!add)
		return -1;
	if ((s->n + 1) * 2 > s->nslots && !rehash(s, s->nslots ? s->nslots * 2 : 64))
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **v = realloc(s->names, cap * sizeof *v);
		if (!v)
			return -1;
		s->names = v;
		s->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -1;
	s->names[s->n] = copy;
	size_t j = hash(name) & (s->nslots - 1);
	while (s->slots[j])
		j = (j + 1) & (s->nslots - 1);
	s->slots[j] = ++s->n;
	return (long)(s->n - 1);
}

void aipm_names_free(struct aipm_names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->slots);
	memset(s, 0, sizeof *s);
}

int aipm_recording_foreach(const char *dir, aipm_sample_fn fn, void *ctx, long long *skipped)
{
	char path[4096];
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return aipm_err(-ENOTDIR, "%s: not a directory. Give the directory of a recording (aipm run -o DIR)",
				dir);
	snprintf(path, sizeof path, "%s/power_metrics.json", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return aipm_err(-errno, "%s: %s. Is %s a recording made by aipm run or AIPowerMeter?", path,
				strerror(errno), dir);
	struct aipm_date_cache dc = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int segment = 0, rc = 0;
	bool seen = false;
	*skipped = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n - (line[n - 1] == '\n');
		enum aipm_line_kind k = aipm_line_classify(line, len);
		if (k == AIPM_LINE_SEGMENT_END) {
			segment += seen;
			seen = false;
			continue;
		}
		if (k != AIPM_LINE_SAMPLE) {
			++*skipped;
			continue;
		}
		cJSON *root = cJSON_ParseWithLength(line, len);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "timestamp");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "date");
		double ts = cJSON_IsNumber(t) ? t->valuedouble : NAN;
		if (isnan(ts) && cJSON_IsString(d) && !aipm_date_parse(d->valuestring, &dc, &ts))
			ts = NAN;
		if (!root || isnan(ts) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "metrics"))) {
			++*skipped;
		} else {
			seen = true;
			rc = fn(ctx, root, ts, segment);
		}
		cJSON_Delete(root);
		if (rc)
			break;
	}
	free(line);
	fclose(f);
	return rc < 0 ? rc : 0;
}
