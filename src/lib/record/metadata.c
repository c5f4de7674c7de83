/* metadata.c: see metadata.h. cJSON is fine here: this file is written
 * twice per recording (a save the disk refused is retried after a later
 * sample), never once per sample. */
#include "metadata.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aipm.h"
#include "error.h"
#include "outdir.h"
#include "util.h"

struct aipm_metadata {
	struct aipm_outdir *dir;
	cJSON *doc;
};

static const char md_name[] = "metadata.json";

/* The existing metadata.json (append), or NULL when there is none. One
 * that cannot be read is an error: appending would silently drop the
 * segments it lists. */
static int load(struct aipm_outdir *dir, cJSON **out)
{
	char *text = NULL;
	size_t len;
	*out = NULL;
	int e = aipm_outdir_read(dir, md_name, 1 << 24, &text, &len);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return e;
	cJSON *j = len ? cJSON_Parse(text) : NULL;
	free(text);
	if (len && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return aipm_err(-EINVAL, "%s/%s is not a JSON object: appending would lose the segments it "
					 "lists. Repair or remove it, or record without --append",
				aipm_outdir_path(dir), md_name);
	}
	*out = j;
	return 0;
}

static int save(struct aipm_outdir *dir, cJSON *j)
{
	/* cJSON maps the locale's decimal point back to '.' itself. */
	char *text = cJSON_Print(j);
	if (!text)
		return aipm_err(-ENOMEM, "out of memory writing %s/%s", aipm_outdir_path(dir), md_name);
	/* Strings hold whatever bytes the system gave (process names, paths,
	 * descriptions): cJSON copies them raw, so the text is made valid
	 * UTF-8 here, once, for every string of the document. */
	struct aipm_buf b = {0};
	aipm_buf_utf8(&b, text);
	aipm_buf_put(&b, "\n", 1);
	free(text);
	if (b.oom) {
		aipm_buf_free(&b);
		return aipm_err(-ENOMEM, "out of memory writing %s/%s", aipm_outdir_path(dir), md_name);
	}
	int r = aipm_outdir_replace(dir, md_name, b.data, b.len);
	aipm_buf_free(&b);
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

/* "scope": which processes are the experiment's, and why those (a cgroup,
 * or the process tree with the reason no cgroup was used). */
static cJSON *scope_object(const struct aipm_scope_info *si)
{
	cJSON *o = cJSON_CreateObject();
	if (!si) {
		cJSON_AddStringToObject(o, "kind", "proc-tree");
		cJSON_AddStringToObject(o, "why", "the measured process and its descendants, found in /proc");
		return o;
	}
	cJSON_AddStringToObject(o, "kind", si->kind);
	if (si->cgroup)
		cJSON_AddStringToObject(o, "path", si->cgroup);
	cJSON_AddStringToObject(o, "why", si->why ? si->why : "");
	if (si->note && *si->note)
		cJSON_AddStringToObject(o, "note", si->note);
	if (si->hierarchy)
		cJSON_AddStringToObject(o, "hierarchy", si->hierarchy);
	if (si->cgroup)
		cJSON_AddBoolToObject(o, "created", si->created);
	const struct aipm_scope *l = si->labels;
	const char *kv[][2] = {{"slurm_job", l ? l->slurm_job : ""},       {"slurm_sluid", l ? l->slurm_sluid : ""},
			       {"slurm_step", l ? l->slurm_step : ""},     {"container_id", l ? l->container_id : ""},
			       {"runtime", l ? l->runtime : ""},           {"pod_uid", l ? l->pod_uid : ""},
			       {"qos", l ? l->qos : ""}};
	cJSON *lab = NULL;
	for (size_t i = 0; l && i < AIPM_ARRAY_SIZE(kv); i++)
		if (kv[i][1][0] && (lab || (lab = cJSON_CreateObject())))
			cJSON_AddStringToObject(lab, kv[i][0], kv[i][1]);
	if (lab)
		cJSON_AddItemToObject(o, "labels", lab);
	return o;
}

int aipm_metadata_begin(struct aipm_metadata **out, struct aipm_outdir *dir, bool append,
			const struct aipm_run_info *info, struct aipm_source *const *src, size_t nsrc,
			const struct timespec *start)
{
	char date[64], host[256] = "";
	cJSON *j = NULL;
	int r = append ? load(dir, &j) : 0;
	if (r < 0)
		return r;
	struct aipm_metadata *m = calloc(1, sizeof *m);
	if (!j)
		j = cJSON_CreateObject();
	if (!j || !m) {
		cJSON_Delete(j);
		free(m);
		return aipm_err(-ENOMEM, "out of memory");
	}
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
	set(j, "scope", scope_object(info->scope));
	set(j, "sources", sources_array(src, nsrc));
	cJSON *segs = cJSON_GetObjectItem(j, "segments");
	if (!cJSON_IsArray(segs)) {
		segs = cJSON_CreateArray();
		set(j, "segments", segs);
	}
	/* A segment that never got its end (aipm killed, or the disk full to
	 * the end) says so, instead of passing for a complete one. */
	cJSON *prev = cJSON_GetArrayItem(segs, cJSON_GetArraySize(segs) - 1);
	if (cJSON_IsObject(prev) && !cJSON_HasObjectItem(prev, "end_timestamp"))
		set(prev, "interrupted", cJSON_CreateTrue());
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
	cJSON_AddItemToObject(seg, "scope", scope_object(info->scope));
	cJSON_AddItemToArray(segs, seg);
	m->dir = aipm_outdir_ref(dir);
	m->doc = j;
	*out = m;
	return 0;
}

void aipm_metadata_end(struct aipm_metadata *m, const struct timespec *end, int exit_status, uint64_t samples,
		       double aipm_cpu_s, struct aipm_source *const *src, size_t nsrc)
{
	char date[64];
	cJSON *segs = cJSON_GetObjectItem(m->doc, "segments");
	cJSON *seg = cJSON_IsArray(segs) ? cJSON_GetArrayItem(segs, cJSON_GetArraySize(segs) - 1) : NULL;
	if (!seg)
		return;
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

static void scope_end(cJSON *o, const struct aipm_scope_end *e)
{
	if (!cJSON_IsObject(o))
		return;
	cJSON *x = cJSON_CreateObject();
	if (e->policy) {
		cJSON_AddStringToObject(x, "policy", e->policy);
		cJSON_AddNumberToObject(x, "outlived", (double)e->left);
		cJSON *p = cJSON_CreateArray();
		for (size_t i = 0; i < e->npids; i++)
			cJSON_AddItemToArray(p, cJSON_CreateNumber(e->pids[i]));
		cJSON_AddItemToObject(x, "outlived_pids", p);
		cJSON_AddNumberToObject(x, "moved_out", (double)e->moved);
		cJSON_AddBoolToObject(x, "removed", e->removed);
	}
	if (e->error)
		cJSON_AddStringToObject(x, "error", e->error);
	if (e->have_usage)
		cJSON_AddNumberToObject(x, "cpu_usage_usec", (double)e->usage_usec);
	if (e->have_memory_peak)
		cJSON_AddNumberToObject(x, "memory_peak_bytes", (double)e->memory_peak_bytes);
	set(o, "end", x);
}

void aipm_metadata_scope_end(struct aipm_metadata *m, const struct aipm_scope_end *e)
{
	cJSON *segs = cJSON_GetObjectItem(m->doc, "segments");
	cJSON *seg = cJSON_IsArray(segs) ? cJSON_GetArrayItem(segs, cJSON_GetArraySize(segs) - 1) : NULL;
	scope_end(cJSON_GetObjectItem(m->doc, "scope"), e);
	if (seg)
		scope_end(cJSON_GetObjectItem(seg, "scope"), e);
}

int aipm_metadata_save(struct aipm_metadata *m) { return save(m->dir, m->doc); }

void aipm_metadata_free(struct aipm_metadata *m)
{
	if (!m)
		return;
	cJSON_Delete(m->doc);
	aipm_outdir_unref(m->dir);
	free(m);
}
