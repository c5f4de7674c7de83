/* sampler.c: see sampler.h.
 *
 * The sleep is a condition wait with an absolute deadline on
 * CLOCK_MONOTONIC, so stop() and sample_now() wake the thread at once; a
 * deadline missed (a suspended machine, a stalled disk) is skipped rather
 * than caught up in a burst. All sampling happens in the thread: sources
 * are opened, sampled and closed there, so no source is ever touched by
 * two threads.
 */
#include "sampler.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "error.h"

struct aipm_sampler {
	struct aipm_sampler_config cfg;
	struct aipm_pipeline_config pcfg;
	struct aipm_paths env;
	uint64_t step_ns;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* the thread's wake-up: stop, an extra sample */
	pthread_cond_t done;      /* an extra sample was taken */
	bool started, stop, stopped, thread_live;
	int start_err;
	char start_msg[1024];
	/* sample_now requests, under lock */
	uint64_t req_seq, done_seq;
	char req_why[64];
	struct timespec done_real;

	struct aipm_pipeline *pipe;
	bool tree; /* a tree or the experiment's cgroup to follow (not the whole machine) */
	_Atomic bool tree_alive;
	_Atomic uint64_t cpu_ns;
};

uint64_t aipm_interval_ns(double interval_s)
{
	if (!(interval_s * 1e9 >= (double)AIPM_MIN_INTERVAL_NS))
		return AIPM_MIN_INTERVAL_NS;
	if (interval_s * 1e9 >= (double)AIPM_MAX_INTERVAL_NS)
		return AIPM_MAX_INTERVAL_NS;
	return (uint64_t)(interval_s * 1e9);
}

static void take(struct aipm_sampler *s, const char *edge, struct timespec *real_out)
{
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	const struct aipm_snapshot *cur = aipm_pipeline_step(s->pipe, &mono, &real, edge);
	/* A sample whose process scan failed says nothing about the tree. */
	if (cur->tree_valid || !s->tree)
		atomic_store(&s->tree_alive, cur->tree_alive || !s->tree);
	if (s->cfg.sink)
		s->cfg.sink(s->cfg.sink_ctx, cur);
	if (real_out)
		*real_out = real;
}

static uint64_t ts_ns(const struct timespec *t) { return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec; }

static struct timespec ns_ts(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
}

/* The next deadline on the grid after now: missed ones are skipped in one
 * step, however many (a tiny interval after a long stall must not loop). */
static uint64_t next_deadline(uint64_t next, uint64_t step, uint64_t now)
{
	if (next > UINT64_MAX - step)
		return UINT64_MAX;
	next += step;
	if (next < now) {
		uint64_t k = (now - next) / step + 1;
		next = k > (UINT64_MAX - next) / step ? UINT64_MAX : next + k * step;
	}
	return next;
}

/* Wait for the deadline, a stop or an extra-sample request; serve the
 * requests as they come. Called and returns with the lock held; false on
 * stop. */
static bool wait_tick(struct aipm_sampler *s, uint64_t deadline)
{
	/* A deadline past what a timespec holds is "never": wait unbounded. */
	struct timespec dl = ns_ts(deadline > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : deadline);
	for (;;) {
		if (s->stop)
			return false;
		if (s->req_seq != s->done_seq) {
			uint64_t seq = s->req_seq;
			char why[sizeof s->req_why];
			memcpy(why, s->req_why, sizeof why);
			pthread_mutex_unlock(&s->lock);
			struct timespec real;
			take(s, why, &real);
			pthread_mutex_lock(&s->lock);
			s->done_seq = seq;
			s->done_real = real;
			pthread_cond_broadcast(&s->done);
			continue;
		}
		if (pthread_cond_timedwait(&s->cond, &s->lock, &dl) == ETIMEDOUT && !s->stop &&
		    s->req_seq == s->done_seq)
			return true;
	}
}

static void *run(void *arg)
{
	struct aipm_sampler *s = arg;
	int r = aipm_pipeline_open(&s->pipe, &s->pcfg);
	pthread_mutex_lock(&s->lock);
	if (r < 0) {
		s->start_err = r;
		snprintf(s->start_msg, sizeof s->start_msg, "%s", aipm_error_last());
		s->started = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	pthread_mutex_unlock(&s->lock);

	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t next = ts_ns(&now);
	if (s->cfg.baseline) {
		/* Nobody holds the sampler before start returns: no stop or
		 * extra sample can come during this wait. */
		struct timespec real;
		clock_gettime(CLOCK_REALTIME, &real);
		aipm_pipeline_baseline(s->pipe, &now, &real);
		/* The grid starts at the first line, a lead after the baseline
		 * is done: a first scan of a busy /proc can take longer than a
		 * short interval, and the first line would then be off the grid. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		next = ts_ns(&now) + (s->step_ns < AIPM_BASELINE_MAX_NS ? s->step_ns : AIPM_BASELINE_MAX_NS);
		struct timespec dl = ns_ts(next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == EINTR)
			;
	}
	take(s, NULL, NULL);
	pthread_mutex_lock(&s->lock);
	s->started = true;
	pthread_cond_broadcast(&s->cond);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		next = next_deadline(next, s->step_ns, ts_ns(&now));
		if (!wait_tick(s, next))
			break;
		pthread_mutex_unlock(&s->lock);
		take(s, NULL, NULL);
		pthread_mutex_lock(&s->lock);
	}
	/* The edge at the end; a request that came with the stop is served by
	 * it (marked with its why), so no caller waits for a sample that will
	 * never be taken. */
	uint64_t seq = s->req_seq;
	char why[sizeof s->req_why];
	memcpy(why, s->req_why, sizeof why);
	bool pending = seq != s->done_seq;
	pthread_mutex_unlock(&s->lock);
	struct timespec real;
	take(s, pending ? why : NULL, &real);
	struct timespec cpu;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	atomic_store(&s->cpu_ns, ts_ns(&cpu));
	pthread_mutex_lock(&s->lock);
	s->done_seq = seq;
	s->done_real = real;
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int aipm_sampler_start(struct aipm_sampler **out, const struct aipm_sampler_config *cfg)
{
	if (!(cfg->interval_s > 0))
		return aipm_err(-EINVAL, "the sampling interval must be a positive number of seconds");
	struct aipm_sampler *s = calloc(1, sizeof *s);
	if (!s)
		return aipm_err(-ENOMEM, "out of memory starting the sampler");
	s->cfg = *cfg;
	s->step_ns = aipm_interval_ns(cfg->interval_s);
	s->tree = cfg->nroots > 0 || (cfg->scope.cgroup && *cfg->scope.cgroup);
	/* The environment is read here, in the caller's thread; the pipeline
	 * copies the strings before the thread could see them change. */
	if (cfg->paths)
		s->env = *cfg->paths;
	else
		aipm_paths_from_env(&s->env);
	s->pcfg = (struct aipm_pipeline_config){
		.paths = s->env,
		.roots = cfg->roots,
		.nroots = cfg->nroots,
		.all_processes = cfg->all_processes,
		.gpu_all_processes = cfg->gpu_all_processes,
		.exclude_own_thread = cfg->exclude_own_thread,
		.mem_interval_s = cfg->mem_interval_s,
		.scope = cfg->scope,
		.no_cpu_estimate = cfg->no_cpu_estimate,
	};
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->done, NULL);
	atomic_store(&s->tree_alive, true);
	int r = pthread_create(&s->thread, NULL, run, s);
	if (r) {
		aipm_sampler_free(s);
		return aipm_err(-r, "cannot start the sampler thread: %s", strerror(r));
	}
	s->thread_live = true;
	pthread_mutex_lock(&s->lock);
	while (!s->started)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	/* The roots and the scope were copied by the pipeline. */
	s->cfg.roots = NULL;
	s->pcfg.roots = NULL;
	s->cfg.scope = s->pcfg.scope = (struct aipm_scope_config){0};
	if (s->start_err) {
		int err = s->start_err;
		char msg[sizeof s->start_msg];
		memcpy(msg, s->start_msg, sizeof msg);
		aipm_sampler_free(s);
		return aipm_err(err, "%s", msg);
	}
	*out = s;
	return 0;
}

int aipm_sampler_sample_now(struct aipm_sampler *s, const char *why, struct timespec *real_out)
{
	return aipm_sampler_sample_within(s, why, 0, real_out);
}

int aipm_sampler_sample_within(struct aipm_sampler *s, const char *why, uint64_t wait_ns,
			       struct timespec *real_out)
{
	pthread_mutex_lock(&s->lock);
	if (s->stop || s->stopped) {
		pthread_mutex_unlock(&s->lock);
		return aipm_err(-EINVAL, "the sampler is stopped: no sample can be taken");
	}
	snprintf(s->req_why, sizeof s->req_why, "%s", why && *why ? why : "sample_now");
	uint64_t seq = ++s->req_seq;
	pthread_cond_broadcast(&s->cond);
	/* s->done waits on CLOCK_REALTIME (its default): the bound is
	 * relative, so a clock step only lengthens or shortens one wait. */
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl = ns_ts(ts_ns(&dl) + wait_ns);
	int r = 0;
	while (s->done_seq < seq && r != ETIMEDOUT)
		r = wait_ns ? pthread_cond_timedwait(&s->done, &s->lock, &dl) : pthread_cond_wait(&s->done, &s->lock);
	bool done = s->done_seq >= seq;
	if (done && real_out)
		*real_out = s->done_real;
	pthread_mutex_unlock(&s->lock);
	/* Not taken in time: the request stays queued and is served soon. */
	return done ? 0 : -ETIMEDOUT;
}

void aipm_sampler_stop(struct aipm_sampler *s)
{
	if (!s || !s->thread_live || s->stopped)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->stopped = true;
}

void aipm_sampler_free(struct aipm_sampler *s)
{
	if (!s)
		return;
	if (s->thread_live && !s->stopped) {
		if (s->start_err)
			pthread_join(s->thread, NULL);
		else
			aipm_sampler_stop(s);
	}
	aipm_pipeline_close(s->pipe);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	pthread_cond_destroy(&s->done);
	free(s);
}

size_t aipm_sampler_nsources(const struct aipm_sampler *s) { return aipm_pipeline_nsources(s->pipe); }
const struct aipm_source *aipm_sampler_source(const struct aipm_sampler *s, size_t i)
{
	return aipm_pipeline_source(s->pipe, i);
}
const struct aipm_catalog *aipm_sampler_catalog(const struct aipm_sampler *s) { return aipm_pipeline_catalog(s->pipe); }

void aipm_sampler_add_reaped(struct aipm_sampler *s, const struct rusage *ru)
{
	uint64_t us = (uint64_t)ru->ru_utime.tv_sec * 1000000u + (uint64_t)ru->ru_utime.tv_usec +
		      (uint64_t)ru->ru_stime.tv_sec * 1000000u + (uint64_t)ru->ru_stime.tv_usec;
	aipm_pipeline_add_reaped(s->pipe, us * 1000u);
}

bool aipm_sampler_tree_alive(const struct aipm_sampler *s) { return atomic_load(&s->tree_alive); }
uint64_t aipm_sampler_count(const struct aipm_sampler *s) { return aipm_pipeline_count(s->pipe); }
double aipm_sampler_cpu_s(const struct aipm_sampler *s) { return (double)atomic_load(&s->cpu_ns) / 1e9; }
