/* metadata.c: see metadata.h. cJSON is fine here: this file is written
 * twice per recording, never in the sampling path. */
#include "metadata.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aipm.h"
#include "error.h"

static cJSON *load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	off_t size = lseek(fd, 0, SEEK_END);
	cJSON *j = NULL;
	if (size > 0 && size < (1 << 24)) {
		char *buf = malloc((size_t)size + 1);
		if (buf && pread(fd, buf, (size_t)size, 0) == size) {
			buf[size] = '\0';
			j = cJSON_Parse(buf);
		}
		free(buf);
	}
	close(fd);
	return cJSON_IsObject(j) ? j : (cJSON_Delete(j), NULL);
}

static int save(const char *dir, cJSON *j)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof path, "%s/metadata.json", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	/* cJSON maps the locale's decimal point back to '.' itself. */
	char *text = cJSON_Print(j);
	if (!text)
		return aipm_err(-ENOMEM, "out of memory writing %s", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	int r = 0;
	if (fd < 0) {
		r = aipm_err(-errno, "cannot write %s: %s", tmp, strerror(errno));
	} else {
		size_t n = strlen(text);
		if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
			r = aipm_err(-EIO, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		if (!r && rename(tmp, path) < 0)
			r = aipm_err(-errno, "cannot replace %s: %s", path, strerror(errno));
		if (r)
			unlink(tmp);
	}
	free(text);
	return r;
}

static void set(cJSON *o, const char *k, cJSON *v)
{
	if (cJSON_HasObjectItem(o, k))
		cJSON_ReplaceItemInObject(o, k, v);
	else
		cJSON_AddItemToObject(o, k, v);
}

static cJSON *command_array(char *const *argv)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; argv && argv[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
	return a;
}

static cJSON *provides_array(unsigned provides)
{
	cJSON *a = cJSON_CreateArray();
	for (unsigned i = 0; i < AIPM_PROVIDES_COUNT; i++)
		if (provides & (1u << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(aipm_provides_name(i)));
	return a;
}

static cJSON *sources_array(struct aipm_source *const *src, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", src[i]->ops->name);
		cJSON_AddStringToObject(o, "what", src[i]->ops->what);
		cJSON_AddItemToObject(o, "provides", provides_array(src[i]->ops->provides));
		cJSON_AddBoolToObject(o, "available", src[i]->available);
		cJSON_AddStringToObject(o, "reason", src[i]->reason);
		if (src[i]->fix[0])
			cJSON_AddStringToObject(o, "fix", src[i]->fix);
		if (src[i]->note[0])
			cJSON_AddStringToObject(o, "note", src[i]->note);
		if (src[i]->available && src[i]->ops->describe) {
			struct aipm_buf b = {0};
			src[i]->ops->describe(src[i], &b);
			cJSON *d = b.data ? cJSON_Parse(b.data) : NULL;
			if (d)
				cJSON_AddItemToObject(o, "details", d);
			aipm_buf_free(&b);
		}
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* The health of each source over one segment (docs/recording.md):
 * samples taken, how many failed, the last failure's message, and what it
 * had to leave out or degrade. */
static cJSON *health_array(struct aipm_source *const *src, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", src[i]->ops->name);
		cJSON_AddBoolToObject(o, "available", src[i]->available);
		cJSON_AddNumberToObject(o, "samples", (double)src[i]->samples);
		cJSON_AddNumberToObject(o, "failed", (double)src[i]->failed);
		if (src[i]->last_error[0])
			cJSON_AddStringToObject(o, "last_error", src[i]->last_error);
		if (src[i]->note[0])
			cJSON_AddStringToObject(o, "note", src[i]->note);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

int aipm_metadata_begin(const char *dir, bool append, const struct aipm_run_info *info,
			struct aipm_source *const *src, size_t nsrc, const struct timespec *start)
{
	char path[4096], date[64], host[256] = "";
	snprintf(path, sizeof path, "%s/metadata.json", dir);
	cJSON *j = append ? load(path) : NULL;
	if (!j)
		j = cJSON_CreateObject();
	if (!j)
		return aipm_err(-ENOMEM, "out of memory");
	aipm_format_date(date, sizeof date, start);
	gethostname(host, sizeof host - 1);
	double ts = aipm_ts_to_s(start);
	set(j, "aipm_version", cJSON_CreateString(aipm_version()));
	set(j, "host", cJSON_CreateString(host));
	if (!cJSON_HasObjectItem(j, "start_date")) {
		set(j, "start_date", cJSON_CreateString(date));
		set(j, "start_timestamp", cJSON_CreateNumber(ts));
	}
	if (info->description || !cJSON_HasObjectItem(j, "description"))
		set(j, "description", cJSON_CreateString(info->description ? info->description : ""));
	set(j, "mode", cJSON_CreateString(info->mode));
	set(j, "command", command_array(info->command));
	set(j, "interval_s", cJSON_CreateNumber(info->interval_s));
	set(j, "mem_interval_s", cJSON_CreateNumber(info->mem_interval_s));
	set(j, "gpu_all_processes", cJSON_CreateBool(info->gpu_all_processes));
	set(j, "sources", sources_array(src, nsrc));
	cJSON *segs = cJSON_GetObjectItem(j, "segments");
	if (!cJSON_IsArray(segs)) {
		segs = cJSON_CreateArray();
		set(j, "segments", segs);
	}
	cJSON *seg = cJSON_CreateObject();
	cJSON_AddStringToObject(seg, "start_date", date);
	cJSON_AddNumberToObject(seg, "start_timestamp", ts);
	cJSON_AddStringToObject(seg, "mode", info->mode);
	cJSON_AddItemToObject(seg, "command", command_array(info->command));
	if (info->npids) {
		cJSON *p = cJSON_CreateArray();
		for (size_t i = 0; i < info->npids; i++)
			cJSON_AddItemToArray(p, cJSON_CreateNumber(info->pids[i]));
		cJSON_AddItemToObject(seg, "pids", p);
	}
	if (info->description)
		cJSON_AddStringToObject(seg, "description", info->description);
	cJSON_AddItemToArray(segs, seg);
	int r = save(dir, j);
	cJSON_Delete(j);
	return r;
}

int aipm_metadata_end(const char *dir, const struct timespec *end, int exit_status, uint64_t samples,
		      double aipm_cpu_s, struct aipm_source *const *src, size_t nsrc)
{
	char path[4096], date[64];
	snprintf(path, sizeof path, "%s/metadata.json", dir);
	cJSON *j = load(path);
	if (!j)
		return aipm_err(-ENOENT, "%s is missing or unreadable at the end of the run", path);
	cJSON *segs = cJSON_GetObjectItem(j, "segments");
	cJSON *seg = cJSON_IsArray(segs) ? cJSON_GetArrayItem(segs, cJSON_GetArraySize(segs) - 1) : NULL;
	if (seg) {
		aipm_format_date(date, sizeof date, end);
		set(seg, "end_date", cJSON_CreateString(date));
		set(seg, "end_timestamp", cJSON_CreateNumber(aipm_ts_to_s(end)));
		if (exit_status >= 0)
			set(seg, "exit_status", cJSON_CreateNumber(exit_status));
		set(seg, "samples", cJSON_CreateNumber((double)samples));
		/* The meter's own cost, so users can check it does not slow them. */
		set(seg, "aipm_cpu_s", cJSON_CreateNumber(aipm_cpu_s));
		set(seg, "sources", health_array(src, nsrc));
	}
	int r = save(dir, j);
	cJSON_Delete(j);
	return r;
}
