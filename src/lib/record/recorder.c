/* recorder.c: see recorder.h.
 *
 * Threads: the sink runs in the sampler thread, commit and stop in the
 * caller's; `lock` orders them, so a line, the commit's rename and a retry
 * of metadata.json never overlap. */
#include "recorder.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "error.h"
#include "model/model.h"
#include "outdir.h"
#include "util.h"
#include "writer.h"

struct aipm_recorder {
	struct aipm_recorder_config cfg;
	char dir[4096];
	struct aipm_outdir *out;
	struct aipm_writer *writer;
	struct aipm_sampler *sampler;
	struct aipm_metadata *meta;
	pthread_mutex_t lock;
	bool committed, meta_saved, failing, stopped;
	size_t held_peak;      /* most lines held during the current outage */
	struct timespec first_real; /* the first line's time: the segment's start */
	bool have_first;
	int fail_err;          /* the last write's error, and why */
	char fail_msg[600];
	struct timespec last_real; /* the latest sample's time (under lock) */
	bool have_last;
	/* Edge samples (recorder.h): one caller at a time, so two marks at
	 * once share one sample instead of queueing two. Never taken by the
	 * sink, so it may be held while the sampler thread works. */
	pthread_mutex_t edge_lock;
	double tokens, tokens_at_s; /* the budget, and when it was last refilled */
	struct aipm_edge_stats edges;
};

static void event(struct aipm_recorder *r, enum aipm_recorder_event ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void event(struct aipm_recorder *r, enum aipm_recorder_event ev, const char *fmt, ...)
{
	if (!r->cfg.on_event)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->cfg.on_event(r->cfg.on_event_ctx, ev, msg);
}

static int save_meta(struct aipm_recorder *r)
{
	int e = aipm_metadata_save(r->meta);
	r->meta_saved = e == 0;
	return e;
}

/* After each attempt to write (lock held): retry metadata.json once lines
 * go through again, and tell the caller when the state changes. */
static void note(struct aipm_recorder *r, int e)
{
	if (!e && r->committed && r->meta && !r->meta_saved)
		e = save_meta(r);
	size_t held;
	uint64_t dropped;
	aipm_writer_held(r->writer, &held, &dropped);
	if (held > r->held_peak)
		r->held_peak = held;
	if (e < 0) {
		r->fail_err = e;
		snprintf(r->fail_msg, sizeof r->fail_msg, "%s", aipm_error_last());
		if (!r->failing)
			event(r, AIPM_RECORDER_WRITE_FAILING, "%s. Measuring goes on, the lines kept in memory (up "
				 "to %u MiB) until the disk takes them: free space there",
			      r->fail_msg, AIPM_WRITER_HOLD_MAX >> 20);
		r->failing = true;
	} else if (r->failing) {
		r->failing = false;
		event(r, AIPM_RECORDER_WRITE_RESUMED, "writing to %s again: the %zu lines kept meanwhile are "
			 "written%s", r->dir, r->held_peak, dropped ? "; some older ones could not be kept (see the "
			 "end of the run)" : ", none lost");
		r->held_peak = 0;
	}
}

/* The sink runs in the sampler thread: a failed write is held and said,
 * sampling goes on so nothing else is lost. */
static void sink(void *ctx, const struct aipm_snapshot *snap)
{
	struct aipm_recorder *r = ctx;
	pthread_mutex_lock(&r->lock);
	if (!r->have_first) {
		r->first_real = snap->real;
		r->have_first = true;
	}
	note(r, aipm_writer_write(r->writer, snap));
	r->last_real = snap->real;
	r->have_last = true;
	pthread_mutex_unlock(&r->lock);
}

int aipm_recorder_open(struct aipm_recorder **out, const struct aipm_recorder_config *cfg, bool *replaced,
		       bool *closed_open)
{
	struct aipm_recorder *r = calloc(1, sizeof *r);
	if (!r)
		return aipm_err(-ENOMEM, "out of memory");
	r->cfg = *cfg;
	snprintf(r->dir, sizeof r->dir, "%s", cfg->dir ? cfg->dir : "");
	r->cfg.dir = r->dir;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->edge_lock, NULL);
	r->tokens = AIPM_EDGE_BURST;
	r->tokens_at_s = NAN;
	/* Every name of the recording is checked now, in both modes: one that
	 * is a FIFO, a link or a directory stops the run before it starts,
	 * not at its end. */
	static const char *const names[] = {"metadata.json", "phases.json", "results_exp.json"};
	bool exists;
	int e = aipm_outdir_open(&r->out, r->dir, cfg->as_owner ? AIPM_OUTDIR_AS_OWNER : 0);
	for (size_t i = 0; e >= 0 && i < AIPM_ARRAY_SIZE(names); i++)
		e = aipm_outdir_check(r->out, names[i], &exists);
	if (e >= 0)
		e = aipm_writer_open(&r->writer, r->out, cfg->append, replaced, closed_open);
	if (e < 0) {
		aipm_outdir_unref(r->out);
		pthread_mutex_destroy(&r->lock);
		pthread_mutex_destroy(&r->edge_lock);
		free(r);
		return e;
	}
	*out = r;
	return 0;
}

/* The sampler's sources, for metadata.json. */
static size_t sources(struct aipm_recorder *r, struct aipm_source **src)
{
	size_t n = aipm_sampler_nsources(r->sampler);
	n = n < AIPM_MAX_SOURCES ? n : AIPM_MAX_SOURCES;
	for (size_t i = 0; i < n; i++)
		src[i] = (struct aipm_source *)aipm_sampler_source(r->sampler, i);
	return n;
}

int aipm_recorder_start(struct aipm_recorder *r, const pid_t *roots, size_t nroots)
{
	struct aipm_sampler_config sc = {
		.interval_s = r->cfg.info.interval_s,
		.mem_interval_s = r->cfg.info.mem_interval_s,
		.roots = roots,
		.nroots = nroots,
		.gpu_all_processes = r->cfg.info.gpu_all_processes,
		.exclude_own_thread = r->cfg.exclude_own_thread,
		.scope.cgroup = r->cfg.info.scope ? r->cfg.info.scope->cgroup : NULL,
		.paths = r->cfg.paths,
		.no_cpu_estimate = r->cfg.no_cpu_estimate,
		.baseline = true,
		.sink = sink,
		.sink_ctx = r,
	};
	int e = aipm_interval_check("the sampling interval", sc.interval_s, AIPM_INTERVAL_MAX_S);
	if (e < 0 || (e = aipm_interval_check("the memory interval", sc.mem_interval_s,
					       AIPM_MEM_INTERVAL_MAX_S)) < 0)
		return e;
	/* Returns once the first line is written, a baseline interval later
	 * (sampler.h): the recording, and the command, start there. */
	struct aipm_sampler *smp;
	if ((e = aipm_sampler_start(&smp, &sc)) < 0)
		return e;
	struct timespec start;
	clock_gettime(CLOCK_REALTIME, &start);
	/* Under lock: another thread's edge may look for the sampler. */
	pthread_mutex_lock(&r->lock);
	r->sampler = smp;
	if (r->have_first)
		start = r->first_real;
	pthread_mutex_unlock(&r->lock);
	struct aipm_source *src[AIPM_MAX_SOURCES];
	size_t n = sources(r, src);
	struct aipm_metadata *m;
	if ((e = aipm_metadata_begin(&m, r->out, r->cfg.append, &r->cfg.info, src, n, &start)) < 0)
		return e;
	pthread_mutex_lock(&r->lock);
	r->meta = m;
	pthread_mutex_unlock(&r->lock);
	return r->cfg.defer_commit ? 0 : aipm_recorder_commit(r);
}

int aipm_recorder_commit(struct aipm_recorder *r)
{
	pthread_mutex_lock(&r->lock);
	int e = r->committed ? 0 : aipm_writer_commit(r->writer);
	if (!e && !r->committed) {
		r->committed = true;
		/* The old recording's phases and metrics go with it. A file that
		 * cannot be removed is said; the new recording goes on. */
		if (!r->cfg.append && ((e = aipm_outdir_remove(r->out, "phases.json")) < 0 ||
				       (e = aipm_outdir_remove(r->out, "results_exp.json")) < 0))
			event(r, AIPM_RECORDER_WRITE_FAILING, "%s", aipm_error_last());
		e = 0;
		if (r->meta)
			note(r, save_meta(r));
	}
	pthread_mutex_unlock(&r->lock);
	return e;
}

void aipm_recorder_add_reaped(struct aipm_recorder *r, const struct rusage *ru)
{
	if (r->sampler)
		aipm_sampler_add_reaped(r->sampler, ru);
}

bool aipm_recorder_tree_alive(struct aipm_recorder *r) { return !r->sampler || aipm_sampler_tree_alive(r->sampler); }

/* What the disk never got, as one sentence; 0 when nothing is missing. */
static int losses(struct aipm_recorder *r)
{
	size_t held;
	uint64_t dropped;
	aipm_writer_held(r->writer, &held, &dropped);
	if (!held && !dropped && r->meta_saved)
		return 0;
	char what[512] = "";
	size_t n = 0;
	if (held)
		n += (size_t)snprintf(what + n, sizeof what - n, "the last %zu lines (the segment's END among "
					 "them)", held);
	if (dropped)
		n += (size_t)snprintf(what + n, sizeof what - n, "%s%llu lines dropped while the disk was full",
				      n ? ", " : "", (unsigned long long)dropped);
	if (!r->meta_saved && n < sizeof what)
		snprintf(what + n, sizeof what - n, "%smetadata.json's end and exit status", n ? ", " : "");
	return aipm_err(r->fail_err ? r->fail_err : -EIO, "%s are not in %s (%s). Free space on that disk%s", what,
			r->dir, r->fail_msg[0] ? r->fail_msg : "write error",
			held ? "; the next --append closes the segment" : "");
}

int aipm_recorder_stop(struct aipm_recorder *r, int exit_status)
{
	if (r->stopped)
		return 0;
	pthread_mutex_lock(&r->lock); /* edges stop asking the sampler */
	r->stopped = true;
	pthread_mutex_unlock(&r->lock);
	if (!r->sampler)
		return 0;
	aipm_sampler_stop(r->sampler);
	pthread_mutex_lock(&r->lock);
	int e = 0;
	if (r->committed) {
		note(r, aipm_writer_end_segment(r->writer));
		struct timespec end;
		clock_gettime(CLOCK_REALTIME, &end);
		struct aipm_source *src[AIPM_MAX_SOURCES];
		size_t n = sources(r, src);
		aipm_metadata_end(r->meta, &end, exit_status, aipm_sampler_count(r->sampler),
				  aipm_sampler_cpu_s(r->sampler), src, n);
		note(r, save_meta(r));
		e = losses(r);
	}
	pthread_mutex_unlock(&r->lock);
	return e;
}

int aipm_recorder_scope_end(struct aipm_recorder *r, const struct aipm_scope_end *e)
{
	pthread_mutex_lock(&r->lock);
	int err = 0;
	if (r->committed && r->meta) {
		aipm_metadata_scope_end(r->meta, e);
		note(r, err = save_meta(r));
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

void aipm_recorder_close(struct aipm_recorder *r)
{
	if (!r)
		return;
	if (!r->stopped && r->committed)
		aipm_recorder_stop(r, -1);
	aipm_sampler_free(r->sampler); /* stops it first when not stopped */
	aipm_writer_close(r->writer);  /* undoes an uncommitted recording */
	aipm_metadata_free(r->meta);
	aipm_outdir_unref(r->out);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->edge_lock);
	free(r);
}

int aipm_recorder_store_model(struct aipm_recorder *r, const struct aipm_model_summary *s)
{
	struct aipm_buf b = {0};
	aipm_model_summary_json(s, &b);
	aipm_buf_put(&b, "\n", 1);
	/* Like every file of the recording: no link followed, replaced by
	 * rename, as the directory's owner with --as-owner. */
	int e = b.oom ? aipm_err(-ENOMEM, "out of memory writing model_summary.json")
		      : aipm_outdir_replace(r->out, "model_summary.json", b.data, b.len);
	aipm_buf_free(&b);
	return e;
}

/* ---- edge samples ---- */

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return aipm_ts_to_s(&t);
}

static long long ts_us(const struct timespec *t) { return (long long)t->tv_sec * 1000000 + t->tv_nsec / 1000; }

/* Refill the budget for the time since the last refill; take one token. */
static bool spend(struct aipm_recorder *r)
{
	double now = mono_s();
	if (!isnan(r->tokens_at_s))
		r->tokens += (now - r->tokens_at_s) * AIPM_EDGE_PER_S;
	if (r->tokens > AIPM_EDGE_BURST)
		r->tokens = AIPM_EDGE_BURST;
	r->tokens_at_s = now;
	if (r->tokens < 1)
		return false;
	r->tokens -= 1;
	return true;
}

static enum aipm_edge_kind edge_locked(struct aipm_recorder *r, const char *why, struct timespec *at)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	*at = now;
	pthread_mutex_lock(&r->lock);
	struct aipm_sampler *s = r->stopped ? NULL : r->sampler;
	struct timespec last = r->last_real;
	bool have_last = r->have_last;
	pthread_mutex_unlock(&r->lock);
	if (!s)
		return AIPM_EDGE_CLOCK;
	long long age_us = ts_us(&now) - ts_us(&last);
	if (have_last && age_us >= 0 && age_us < AIPM_EDGE_SHARE_US) {
		*at = last;
		r->edges.shared++;
		return AIPM_EDGE_SHARED;
	}
	if (!spend(r)) {
		r->edges.over_budget++;
		return AIPM_EDGE_CLOCK;
	}
	struct timespec real;
	int e = aipm_sampler_sample_within(s, why, (uint64_t)AIPM_EDGE_WAIT_MS * 1000000u, &real);
	if (e == -ETIMEDOUT)
		r->edges.late++;
	if (e < 0) {
		aipm_err_clear(); /* stopped meanwhile, or late: the clock's time */
		return AIPM_EDGE_CLOCK;
	}
	*at = real;
	r->edges.sampled++;
	return AIPM_EDGE_SAMPLED;
}

enum aipm_edge_kind aipm_recorder_edge(struct aipm_recorder *r, const char *why, struct timespec *at)
{
	pthread_mutex_lock(&r->edge_lock);
	enum aipm_edge_kind k = edge_locked(r, why, at);
	r->edges.clock += k == AIPM_EDGE_CLOCK;
	pthread_mutex_unlock(&r->edge_lock);
	return k;
}

int aipm_recorder_edge_hook(void *ctx, const char *why, struct timespec *at)
{
	return aipm_recorder_edge(ctx, why, at) != AIPM_EDGE_CLOCK;
}

void aipm_recorder_edge_stats(struct aipm_recorder *r, struct aipm_edge_stats *out)
{
	pthread_mutex_lock(&r->edge_lock);
	*out = r->edges;
	pthread_mutex_unlock(&r->edge_lock);
}

struct aipm_sampler *aipm_recorder_sampler(struct aipm_recorder *r) { return r->sampler; }
struct aipm_outdir *aipm_recorder_outdir(struct aipm_recorder *r) { return r->out; }
const char *aipm_recorder_dir(const struct aipm_recorder *r) { return r->dir; }

int aipm_interval_check(const char *what, double v, double max_s)
{
	if (!(v >= AIPM_INTERVAL_MIN_S && v <= max_s)) /* NaN too */
		return aipm_err(-EINVAL, "%s: %g s is outside %g..%g s. Give a number of seconds in that range",
				what, v, AIPM_INTERVAL_MIN_S, max_s);
	return 0;
}
