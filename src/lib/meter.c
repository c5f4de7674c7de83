/* meter.c: the public API (include/aipm.h): a meter that measures the
 * calling process from inside it, and the JSON views of a recording.
 *
 * A thin layer: the meter is a recording handle (api_record.c, the one
 * `aipm run` drives) whose roots are the calling process, with the sampler
 * thread's own CPU time excluded; it writes power_metrics.json,
 * metadata.json and the phase and metric lines exactly as `aipm run` does;
 * analysis/ computes what the readers return. This file
 * owns only the handle's life cycle, the one-meter-per-process rule and the
 * checks of what a caller hands in (the options, read as the version they
 * say they are), so every misuse gets a sentence in aipm_error_last()
 * instead of a crash. It reads no environment variable: the roots and
 * library paths come from the options.
 */
#include "aipm.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/phases.h"
#include "analysis/summary.h"
#include "api_util.h"
#include "error.h"
#include "export/csv.h"
#include "record/recorder.h" /* aipm_interval_check */
#include "util.h"

struct aipm_meter {
	pthread_mutex_t lock; /* orders stop against phase/log calls */
	aipm_recording *rec;
	bool stopped;
	pid_t pid; /* the process that started it: a forked child holds a copy */
	char dir[4096];
};

/* One meter per process (aipm.h says why). Guarded by a mutex, not an
 * atomic flag, so the message can name the running meter's directory. */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct aipm_meter *running;

AIPM_API int aipm_meter_options_init(struct aipm_meter_options *opts, unsigned int version)
{
	return aipm_api_opts_init(opts, sizeof *opts, version, AIPM_METER_OPTIONS_VERSION, "aipm_meter_options_init");
}

/* The caller's options, read as the version they say they are: a caller
 * built against an older aipm.h passes a shorter struct, so only the
 * members its version has are read and the rest keep their defaults.
 * (Version 1 has them all; a version 2 adds its own below.) */
static int take_opts(const struct aipm_meter_options *in, struct aipm_meter_options *o)
{
	aipm_meter_options_init(o, AIPM_METER_OPTIONS_VERSION);
	if (!in)
		return 0;
	int e = aipm_api_opts_check(in->version, AIPM_METER_OPTIONS_VERSION, "aipm_meter_start", "meter");
	if (e < 0)
		return e;
	o->description = in->description;
	o->interval_s = in->interval_s;
	o->mem_interval_s = in->mem_interval_s;
	o->append = in->append;
	o->sysfs_root = in->sysfs_root;
	o->proc_root = in->proc_root;
	o->cgroup_root = in->cgroup_root;
	o->nvml_lib = in->nvml_lib;
	o->amdsmi_lib = in->amdsmi_lib;
	if (o->interval_s != 0)
		e = aipm_interval_check("interval_s", o->interval_s, AIPM_INTERVAL_MAX_S);
	if (e == 0 && o->mem_interval_s != 0)
		e = aipm_interval_check("mem_interval_s", o->mem_interval_s, AIPM_MEM_INTERVAL_MAX_S);
	return e < 0 ? aipm_err_wrap(e, "aipm_meter_start") : 0;
}

static int start_locked(struct aipm_meter *m, const char *dir, const struct aipm_meter_options *o)
{
	/* Never the environment (aipm.h says why): what is not given is the
	 * system's own. */
	struct aipm_recording_options ro;
	aipm_recording_options_init(&ro, AIPM_RECORDING_OPTIONS_VERSION);
	ro.description = o->description;
	ro.interval_s = o->interval_s;
	ro.mem_interval_s = o->mem_interval_s;
	ro.append = o->append;
	ro.exclude_own_thread = 1;
	ro.sysfs_root = o->sysfs_root;
	ro.proc_root = o->proc_root;
	ro.cgroup_root = o->cgroup_root;
	ro.nvml_lib = o->nvml_lib;
	ro.amdsmi_lib = o->amdsmi_lib;
	int e = aipm_recording_open(&m->rec, dir, &ro);
	if (e < 0)
		return e;
	pid_t self = getpid();
	return aipm_recording_start(m->rec, &self, 1);
}

AIPM_API int aipm_meter_start(aipm_meter **out, const char *dir, const struct aipm_meter_options *opts)
{
	if (!out)
		return aipm_err(-EINVAL, "aipm_meter_start: out is NULL. Pass the address of an aipm_meter pointer");
	if (!dir || !*dir)
		return aipm_err(-EINVAL, "aipm_meter_start: no recording directory. Give one, e.g. \"aipm-run\"");
	struct aipm_meter_options o;
	int e = take_opts(opts, &o);
	if (e < 0)
		return e;
	struct aipm_meter *m = calloc(1, sizeof *m);
	if (!m)
		return aipm_err(-ENOMEM, "out of memory");
	snprintf(m->dir, sizeof m->dir, "%s", dir);
	pthread_mutex_init(&m->lock, NULL);

	m->pid = getpid();
	pthread_mutex_lock(&busy_lock);
	/* A meter inherited through fork() runs in the parent, not here. */
	if (running && running->pid == m->pid) {
		e = aipm_err(-EBUSY, "a measurement is already running in this process (into %s). Stop it "
				     "first: one process holds one meter at a time", running->dir);
		pthread_mutex_unlock(&busy_lock);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return e;
	}
	e = start_locked(m, dir, &o);
	if (e < 0) {
		aipm_recording_close(m->rec);
		pthread_mutex_unlock(&busy_lock);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return e;
	}
	running = m;
	pthread_mutex_unlock(&busy_lock);
	*out = m;
	return 0;
}

/* Every call but free checks its meter the same way. Takes m->lock. */
static int enter(aipm_meter *m, const char *fn)
{
	if (!m)
		return aipm_err(-EINVAL, "%s: no measurement (the meter is NULL). Start one with aipm_meter_start", fn);
	if (m->pid != getpid())
		return aipm_err(-ECHILD, "%s: the measurement into %s belongs to process %d; this is a child made "
				 "by fork(), which cannot use it (its phases and lines would race the parent's). "
				 "Call it in process %d, or start a meter here after exec", fn, m->dir, (int)m->pid,
				 (int)m->pid);
	pthread_mutex_lock(&m->lock);
	if (m->stopped) {
		pthread_mutex_unlock(&m->lock);
		return aipm_err(-EINVAL, "%s: the measurement into %s is already stopped. Start a new one "
					 "(append to add a segment)", fn, m->dir);
	}
	return 0;
}

AIPM_API int aipm_meter_stop(aipm_meter *m)
{
	int e = enter(m, "aipm_meter_stop");
	if (e < 0)
		return e;
	m->stopped = true;
	e = aipm_recording_stop(m->rec, -1);
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_lock(&busy_lock);
	if (running == m)
		running = NULL;
	pthread_mutex_unlock(&busy_lock);
	return e;
}

AIPM_API void aipm_meter_free(aipm_meter *m)
{
	/* In a forked child the sampler thread does not exist and the files
	 * are the parent's: stopping would wait for that thread forever and
	 * end the parent's segment. The copy is left as it is (the child's
	 * memory, its descriptors closed at exit or exec). */
	if (!m || m->pid != getpid())
		return;
	if (!m->stopped)
		aipm_meter_stop(m);
	aipm_recording_close(m->rec);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

AIPM_API const char *aipm_meter_dir(const aipm_meter *m) { return m ? m->dir : NULL; }

AIPM_API int aipm_meter_phase_begin(aipm_meter *m, const char *name)
{
	int e = enter(m, "aipm_meter_phase_begin");
	if (e < 0)
		return e;
	e = aipm_recording_phase_begin(m->rec, name);
	pthread_mutex_unlock(&m->lock);
	return e;
}

AIPM_API int aipm_meter_phase_end(aipm_meter *m, const char *name)
{
	int e = enter(m, "aipm_meter_phase_end");
	if (e < 0)
		return e;
	e = aipm_recording_phase_end(m->rec, name);
	pthread_mutex_unlock(&m->lock);
	return e;
}

AIPM_API int aipm_meter_log_many(aipm_meter *m, const char *const *names, const double *values, size_t n)
{
	if (n && (!names || !values))
		return aipm_err(-EINVAL, "aipm_meter_log_many: names or values is NULL");
	int e = enter(m, "aipm_meter_log");
	if (e < 0)
		return e;
	e = aipm_recording_log_many(m->rec, names, values, n);
	pthread_mutex_unlock(&m->lock);
	return e;
}

AIPM_API int aipm_meter_log(aipm_meter *m, const char *name, double value)
{
	return aipm_meter_log_many(m, &name, &value, 1);
}

AIPM_API int aipm_meter_model(aipm_meter *m, const char *onnx_path, const char *const *input_shapes, size_t n)
{
	if (!onnx_path || !*onnx_path)
		return aipm_err(-EINVAL, "aipm_meter_model: no ONNX file given");
	if (n && !input_shapes)
		return aipm_err(-EINVAL, "aipm_meter_model: input_shapes is NULL");
	int e = enter(m, "aipm_meter_model");
	if (e < 0)
		return e;
	e = aipm_recording_model(m->rec, onnx_path, input_shapes, n);
	pthread_mutex_unlock(&m->lock);
	return e;
}

/* ---- readers ---- */

static int check_args(const char *dir, char **out, const char *fn)
{
	return aipm_api_check_out(dir, out, fn, "json_out");
}

AIPM_API int aipm_recording_summary_json(const char *dir, char **json_out)
{
	int e = check_args(dir, json_out, "aipm_recording_summary_json");
	struct aipm_summary *s = NULL;
	if (e < 0 || (e = aipm_summary_load(dir, NULL, &s)) < 0)
		return e;
	struct aipm_buf b = {0};
	aipm_summary_json(s, &b);
	aipm_summary_free(s);
	return aipm_api_give(&b, json_out);
}

/* Phases and points are written as their windows close (phases.h); here
 * into memory, since the caller wants one string. */
static int report_json(const char *dir, char **json_out, const char *fn, bool points)
{
	int e = check_args(dir, json_out, fn);
	if (e < 0)
		return e;
	struct aipm_out o = {0};
	e = points ? aipm_metric_report_write(dir, true, &o) : aipm_phase_report_write(dir, true, &o);
	if (e < 0) {
		aipm_buf_free(&o.b);
		return e;
	}
	return aipm_api_give(&o.b, json_out);
}

AIPM_API int aipm_recording_phases_json(const char *dir, char **json_out)
{
	return report_json(dir, json_out, "aipm_recording_phases_json", false);
}

AIPM_API int aipm_recording_metrics_json(const char *dir, char **json_out)
{
	return report_json(dir, json_out, "aipm_recording_metrics_json", true);
}

static int csv_write(FILE *f, void *dir)
{
	struct aipm_csv_stats st = {0};
	return aipm_csv_export(dir, f, &st);
}

AIPM_API int aipm_recording_csv(const char *dir, char **csv_out)
{
	int e = check_args(dir, csv_out, "aipm_recording_csv");
	return e < 0 ? e : aipm_api_to_string(csv_out, csv_write, (void *)dir);
}

AIPM_API void aipm_string_free(char *s) { free(s); }
