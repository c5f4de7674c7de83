/* flatten.c: see flatten.h. The views of a recording (CSV, plots) read the
 * generic JSON tree, not the summary's fixed struct, so any field a newer
 * recorder adds shows up as a column without a change here; which lines
 * are samples is the reader's decision, not theirs. */
#include "flatten.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "record/format.h"

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
	const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(root, AIPM_KEY_METRICS);
	char name[4096];
	for (const cJSON *sec = metrics ? metrics->child : NULL; sec; sec = sec->next) {
		if (!sec->string || !cJSON_IsObject(sec))
			continue;
		/* cpu and gpu fields keep their own (seed) names: they are what
		 * users know from AIPowerMeter. */
		bool bare = !strcmp(sec->string, AIPM_SECTION_CPU) || !strcmp(sec->string, AIPM_SECTION_GPU);
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

int aipm_recording_foreach(const char *dir, aipm_sample_fn fn, void *ctx, struct aipm_reader_stats *st)
{
	char path[4200];
	struct stat sb;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return aipm_err(-ENOTDIR, "%s: not a directory. Give the directory of a recording (aipm run -o DIR)",
				dir);
	snprintf(path, sizeof path, "%s/%s", dir, AIPM_FILE_POWER);
	struct aipm_reader *r;
	int rc = aipm_reader_open(path, NULL, &r);
	if (rc < 0)
		return rc == -ENOENT ? aipm_err(rc, "%s: %s. Is %s a recording made by aipm run or AIPowerMeter?", path,
						strerror(-rc), dir)
				     : rc;
	struct aipm_sample s;
	while (!rc && (rc = aipm_reader_next(r, &s)) > 0) {
		cJSON *root = aipm_line_json(s.text, s.len); /* the reader took it: it parses */
		rc = root ? fn(ctx, root, &s) : aipm_err(-ENOMEM, "out of memory");
		cJSON_Delete(root);
	}
	if (st)
		*st = *aipm_reader_stats(r);
	aipm_reader_close(r);
	return rc < 0 ? rc : 0;
}
