/* api_record.c: the recording handle of include/aipm.h, what `aipm run`
 * and `aipm attach` are built on.
 *
 * A thin layer over the recorder (record/recorder.h), which samples and
 * writes exactly as before, and record/phases.h for phases and metrics at
 * the recorder's edge samples (as the meter and the control socket write
 * them). This file owns the handle: the options read as the version they
 * say they are, copies of every string the recording keeps past open (the
 * scope's sentences and labels, the pids), the public scope structs turned
 * into metadata.h's, and a lock ordering stop against phase and log calls
 * from another thread (aipm run's control socket). Errors of the recorder
 * are passed on unchanged: the CLI prints aipm_error_last() as it always
 * did.
 */
#include "aipm.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api_util.h"
#include "analysis/summary.h"
#include "error.h"
#include "model/model.h"
#include "record/phases.h"
#include "record/recorder.h"
#include "sampler.h"
#include "scope/names.h"
#include "util.h"

struct aipm_recording {
	pthread_mutex_t lock; /* orders stop against phase, log and model calls */
	struct aipm_recorder *rec;
	struct aipm_phases *phases;
	bool started, stopped;
	unsigned int flags;
	struct aipm_paths paths;
	struct aipm_scope_info scope;
	struct aipm_scope labels;
	const struct aipm_recording_scope *scope_src; /* the caller's, read at start */
	char *strs[16]; /* owned copies: paths, mode, description, scope sentences */
	size_t nstrs;
	pid_t *pids;
	void (*on_event)(void *ctx, enum aipm_recording_event event, const char *message);
	void *on_event_ctx;
	char dir[4096];
};

AIPM_API int aipm_recording_options_init(struct aipm_recording_options *opts, unsigned int version)
{
	return aipm_api_opts_init(opts, sizeof *opts, version, AIPM_RECORDING_OPTIONS_VERSION,
				  "aipm_recording_options_init");
}

/* A copy owned by the handle; NULL stays NULL. false: out of memory. */
static bool keep(struct aipm_recording *r, const char *s, const char **out)
{
	*out = NULL;
	if (!s)
		return true;
	if (r->nstrs == AIPM_ARRAY_SIZE(r->strs) || !(r->strs[r->nstrs] = strdup(s)))
		return false;
	*out = r->strs[r->nstrs++];
	return true;
}

static void label(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

static bool take_scope(struct aipm_recording *r, const struct aipm_recording_scope *s)
{
	if (!s)
		return true;
	struct aipm_scope_info *i = &r->scope;
	struct aipm_scope *l = &r->labels;
	i->created = s->created != 0;
	label(l->slurm_job, sizeof l->slurm_job, s->slurm_job);
	label(l->slurm_sluid, sizeof l->slurm_sluid, s->slurm_sluid);
	label(l->slurm_step, sizeof l->slurm_step, s->slurm_step);
	label(l->container_id, sizeof l->container_id, s->container_id);
	label(l->runtime, sizeof l->runtime, s->runtime);
	label(l->pod_uid, sizeof l->pod_uid, s->pod_uid);
	label(l->qos, sizeof l->qos, s->qos);
	label(l->cgroup, sizeof l->cgroup, s->cgroup);
	bool any = l->slurm_job[0] || l->slurm_sluid[0] || l->slurm_step[0] || l->container_id[0] ||
		   l->runtime[0] || l->pod_uid[0] || l->qos[0];
	i->labels = any ? l : NULL;
	return keep(r, s->kind ? s->kind : "proc-tree", &i->kind) && keep(r, s->cgroup, &i->cgroup) &&
	       keep(r, s->why, &i->why) && keep(r, s->note, &i->note) && keep(r, s->hierarchy, &i->hierarchy);
}

static void on_event(void *ctx, enum aipm_recorder_event ev, const char *msg)
{
	struct aipm_recording *r = ctx;
	r->on_event(r->on_event_ctx,
		    ev == AIPM_RECORDER_WRITE_FAILING ? AIPM_RECORDING_WRITE_FAILING : AIPM_RECORDING_WRITE_RESUMED, msg);
}

static int check_opts(const struct aipm_recording_options *o)
{
	int e = aipm_api_opts_check(o->version, AIPM_RECORDING_OPTIONS_VERSION, "aipm_recording_open", "recording");
	if (e == 0 && o->interval_s != 0)
		e = aipm_interval_check("interval_s", o->interval_s, AIPM_INTERVAL_MAX_S);
	if (e == 0 && o->mem_interval_s != 0)
		e = aipm_interval_check("mem_interval_s", o->mem_interval_s, AIPM_MEM_INTERVAL_MAX_S);
	if (e == 0 && o->npids && !o->pids)
		e = aipm_err(-EINVAL, "npids is %zu but pids is NULL", o->npids);
	return e < 0 ? aipm_err_wrap(e, "aipm_recording_open") : 0;
}

static int open_locked(struct aipm_recording *r, const char *dir, const struct aipm_recording_options *o)
{
	if (!keep(r, o->sysfs_root, &r->paths.sysfs) || !keep(r, o->proc_root, &r->paths.proc) ||
	    !keep(r, o->cgroup_root, &r->paths.cgroup) || !keep(r, o->nvml_lib, &r->paths.nvml_lib) ||
	    !keep(r, o->amdsmi_lib, &r->paths.amdsmi_lib))
		return aipm_err(-ENOMEM, "out of memory");
	if (o->npids) {
		if (!(r->pids = malloc(o->npids * sizeof *r->pids)))
			return aipm_err(-ENOMEM, "out of memory");
		memcpy(r->pids, o->pids, o->npids * sizeof *r->pids);
	}
	r->scope_src = o->scope;
	r->on_event = o->on_event;
	r->on_event_ctx = o->on_event_ctx;
	/* The command and description are read only by open and stop's
	 * metadata.json: the recorder keeps the pointers, so they are copied. */
	const char *mode, *desc;
	if (!keep(r, o->mode ? o->mode : "library", &mode) || !keep(r, o->description, &desc))
		return aipm_err(-ENOMEM, "out of memory");
	struct aipm_recorder_config rc = {
		.dir = dir,
		.append = o->append != 0,
		.as_owner = o->as_owner != 0,
		.defer_commit = o->defer_commit != 0,
		.info = {.mode = mode,
			 .description = desc,
			 .command = (char *const *)o->command,
			 .pids = r->pids,
			 .npids = o->npids,
			 .interval_s = o->interval_s > 0 ? o->interval_s : 0.1,
			 .mem_interval_s = o->mem_interval_s > 0 ? o->mem_interval_s : 1.0,
			 .gpu_all_processes = o->gpu_all_processes != 0,
			 .scope = o->scope ? &r->scope : NULL}, /* filled at start */
		.exclude_own_thread = o->exclude_own_thread != 0,
		.no_cpu_estimate = o->no_cpu_estimate != 0,
		.paths = &r->paths,
		.on_event = o->on_event ? on_event : NULL,
		.on_event_ctx = r,
	};
	bool replaced = false, closed = false;
	int e = aipm_recorder_open(&r->rec, &rc, &replaced, &closed);
	if (e < 0)
		return e;
	r->flags = (replaced ? AIPM_RECORDING_REPLACES : 0) | (closed ? AIPM_RECORDING_CLOSED_OPEN : 0);
	if ((e = aipm_phases_open(&r->phases, aipm_recorder_outdir(r->rec), rc.append)) < 0)
		return e;
	aipm_phases_set_edge(r->phases, aipm_recorder_edge_hook, r->rec);
	return 0;
}

static void free_handle(struct aipm_recording *r)
{
	aipm_phases_close(r->phases);
	aipm_recorder_close(r->rec);
	for (size_t i = 0; i < r->nstrs; i++)
		free(r->strs[i]);
	free(r->pids);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

AIPM_API int aipm_recording_open(aipm_recording **out, const char *dir, const struct aipm_recording_options *opts)
{
	if (!out)
		return aipm_err(-EINVAL, "aipm_recording_open: out is NULL. Pass the address of an aipm_recording pointer");
	if (!dir || !*dir)
		return aipm_err(-EINVAL, "aipm_recording_open: no recording directory. Give one, e.g. \"aipm-run\"");
	struct aipm_recording_options o;
	aipm_recording_options_init(&o, AIPM_RECORDING_OPTIONS_VERSION);
	int e = opts ? check_opts(opts) : 0;
	if (e < 0)
		return e;
	if (opts) /* version 1 has every member; a version 2 reads its own below */
		o = *opts;
	struct aipm_recording *r = calloc(1, sizeof *r);
	if (!r)
		return aipm_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&r->lock, NULL);
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	if ((e = open_locked(r, dir, &o)) < 0) {
		free_handle(r);
		return e;
	}
	*out = r;
	return 0;
}

AIPM_API unsigned int aipm_recording_flags(const aipm_recording *r) { return r ? r->flags : 0; }

AIPM_API const char *aipm_recording_dir(const aipm_recording *r) { return r ? r->dir : NULL; }

static int null_handle(const char *fn)
{
	return aipm_err(-EINVAL, "%s: no recording (the handle is NULL). Open one with aipm_recording_open", fn);
}

AIPM_API int aipm_recording_start(aipm_recording *r, const pid_t *roots, size_t nroots)
{
	if (!r)
		return null_handle("aipm_recording_start");
	if (nroots && !roots)
		return aipm_err(-EINVAL, "aipm_recording_start: nroots is %zu but roots is NULL", nroots);
	/* The recorder has one sampler: a second start would wait on it. */
	pthread_mutex_lock(&r->lock);
	int e;
	if (r->started)
		e = aipm_err(-EALREADY, "aipm_recording_start: the recording into %s is already started", r->dir);
	else if (!take_scope(r, r->scope_src))
		e = aipm_err(-ENOMEM, "out of memory");
	else if ((e = aipm_recorder_start(r->rec, roots, nroots)) == 0)
		r->started = true;
	pthread_mutex_unlock(&r->lock);
	return e;
}

AIPM_API int aipm_recording_commit(aipm_recording *r)
{
	return r ? aipm_recorder_commit(r->rec) : null_handle("aipm_recording_commit");
}

AIPM_API int aipm_recording_add_reaped(aipm_recording *r, unsigned long long cpu_us)
{
	if (!r)
		return null_handle("aipm_recording_add_reaped");
	struct rusage ru = {.ru_utime = {.tv_sec = (time_t)(cpu_us / 1000000u), .tv_usec = (suseconds_t)(cpu_us % 1000000u)}};
	aipm_recorder_add_reaped(r->rec, &ru);
	return 0;
}

AIPM_API int aipm_recording_tree_alive(aipm_recording *r)
{
	return r ? aipm_recorder_tree_alive(r->rec) : null_handle("aipm_recording_tree_alive");
}

AIPM_API int aipm_recording_stop(aipm_recording *r, int exit_status)
{
	if (!r)
		return null_handle("aipm_recording_stop");
	pthread_mutex_lock(&r->lock);
	int e;
	if (r->stopped) {
		e = aipm_err(-EINVAL, "aipm_recording_stop: the recording into %s is already stopped", r->dir);
	} else {
		r->stopped = true;
		e = aipm_recorder_stop(r->rec, exit_status);
	}
	pthread_mutex_unlock(&r->lock);
	return e;
}

AIPM_API int aipm_recording_scope_end(aipm_recording *r, const struct aipm_recording_scope_end *e)
{
	if (!r)
		return null_handle("aipm_recording_scope_end");
	if (!e)
		return aipm_err(-EINVAL, "aipm_recording_scope_end: the scope's end is NULL");
	struct aipm_scope_end se = {
		.policy = e->policy,
		.left = e->left,
		.pids = e->pids,
		.npids = e->pids ? e->npids : 0,
		.moved = e->moved,
		.removed = e->removed != 0,
		.error = e->error,
		.have_usage = e->have_usage != 0,
		.usage_usec = e->usage_usec,
		.have_memory_peak = e->have_memory_peak != 0,
		.memory_peak_bytes = e->memory_peak_bytes,
	};
	return aipm_recorder_scope_end(r->rec, &se);
}

AIPM_API void aipm_recording_close(aipm_recording *r)
{
	if (r)
		free_handle(r);
}

/* Phase, log and model calls: before stop, under the lock. */
static int enter(aipm_recording *r, const char *fn)
{
	if (!r)
		return null_handle(fn);
	pthread_mutex_lock(&r->lock);
	if (r->stopped) {
		pthread_mutex_unlock(&r->lock);
		return aipm_err(-EINVAL, "%s: the recording into %s is already stopped", fn, r->dir);
	}
	return 0;
}

AIPM_API int aipm_recording_phase_begin(aipm_recording *r, const char *name)
{
	int e = enter(r, "aipm_recording_phase_begin");
	if (e < 0)
		return e;
	e = aipm_phases_begin(r->phases, name);
	pthread_mutex_unlock(&r->lock);
	return e;
}

AIPM_API int aipm_recording_phase_end(aipm_recording *r, const char *name)
{
	int e = enter(r, "aipm_recording_phase_end");
	if (e < 0)
		return e;
	e = aipm_phases_end(r->phases, name);
	pthread_mutex_unlock(&r->lock);
	return e;
}

AIPM_API int aipm_recording_log_many(aipm_recording *r, const char *const *names, const double *values, size_t n)
{
	if (n && (!names || !values))
		return aipm_err(-EINVAL, "aipm_recording_log_many: names or values is NULL");
	int e = enter(r, "aipm_recording_log_many");
	if (e < 0)
		return e;
	e = aipm_phases_log(r->phases, names, values, n);
	pthread_mutex_unlock(&r->lock);
	return e;
}

AIPM_API int aipm_recording_model(aipm_recording *r, const char *onnx_path, const char *const *input_shapes,
				  size_t n)
{
	if (!onnx_path || !*onnx_path)
		return aipm_err(-EINVAL, "aipm_recording_model: no ONNX file given");
	if (n && !input_shapes)
		return aipm_err(-EINVAL, "aipm_recording_model: input_shapes is NULL");
	struct aipm_model_summary s;
	int e = aipm_model_analyze(onnx_path, input_shapes, n, &s);
	if (e < 0)
		return e;
	if ((e = enter(r, "aipm_recording_model")) == 0) {
		e = aipm_recorder_store_model(r->rec, &s);
		pthread_mutex_unlock(&r->lock);
	}
	aipm_model_summary_free(&s);
	return e;
}

/* Generic over the sources: each says what is lost without it and when
 * that must be said; a model standing in for a measurement is said as
 * plainly as the measurement's absence. */
AIPM_API int aipm_recording_warnings_text(aipm_recording *r, int verbose, char **text_out)
{
	if (!r)
		return null_handle("aipm_recording_warnings_text");
	if (!text_out)
		return aipm_err(-EINVAL, "aipm_recording_warnings_text: text_out is NULL");
	struct aipm_sampler *s = aipm_recorder_sampler(r->rec);
	struct aipm_buf b = {0};
	for (size_t i = 0; s && i < aipm_sampler_nsources(s); i++) {
		const struct aipm_source *src = aipm_sampler_source(s, i);
		const struct aipm_source_ops *o = src->ops;
		if (src->available || !o->missing)
			continue;
		if (o->say == AIPM_SAY_ALWAYS || (o->say == AIPM_SAY_IF_REQUESTED && src->requested && verbose))
			aipm_buf_printf(&b, "no %s will be recorded: %s. To measure %s: %s\n", o->missing, src->reason,
					o->missing, src->fix[0] ? src->fix : "see `aipm probe`");
	}
	for (size_t i = 0; s && i < aipm_sampler_nsources(s); i++) {
		const struct aipm_source *src = aipm_sampler_source(s, i);
		if (src->available && (src->ops->provides & AIPM_PROVIDES_CPU_ESTIMATE))
			aipm_buf_printf(&b, "%s. Recorded apart as cpu_estimate, with low and high bounds, never as "
					    "measured energy (--no-estimate turns it off)\n", src->reason);
	}
	if (!b.data && !b.oom) { /* nothing to say: "", not NULL */
		if (!(*text_out = strdup("")))
			return aipm_err(-ENOMEM, "out of memory");
		return 0;
	}
	return aipm_api_give(&b, text_out);
}

static int last_segment(FILE *f, void *dir)
{
	struct aipm_summary *s = NULL;
	int e = aipm_summary_load_dir(dir, true, &s);
	if (e < 0)
		return e;
	aipm_summary_print(s, f);
	aipm_summary_free(s);
	return 0;
}

AIPM_API int aipm_recording_last_segment_text(const char *dir, char **text_out)
{
	int e = aipm_api_check_out(dir, text_out, "aipm_recording_last_segment_text", "text_out");
	return e < 0 ? e : aipm_api_to_string(text_out, last_segment, (void *)dir);
}
