/* sampler.c: see sampler.h.
 *
 * Three snapshot buffers rotate: the one being filled, the previous one
 * (for deltas) and the first one of the recording (cumulative values are
 * "since the first"), as turbostat alternates two. The sleep is a
 * condition wait with an absolute deadline on CLOCK_MONOTONIC, so stop()
 * wakes the thread at once; a deadline missed (a suspended machine, a
 * stalled disk) is skipped rather than caught up in a burst.
 */
#include "sampler.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attrib.h"
#include "aipm.h"
#include "error.h"

struct aipm_sampler {
	struct aipm_sampler_config cfg;
	pid_t *roots;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, stop, stopped, thread_live;
	int start_err;
	char start_msg[1024];

	struct aipm_source *src[16];
	size_t nsrc;
	_Atomic uint64_t reaped_ticks;
	_Atomic bool tree_alive;
	_Atomic uint64_t count;
	_Atomic uint64_t cpu_ns;

	struct aipm_snapshot a, b, first;
	struct aipm_snapshot *cur, *prev;

	pthread_mutex_t pub_lock;
	struct aipm_snapshot latest;
	bool have_latest;
};

int aipm_sources_open(const struct aipm_source_config *cfg, struct aipm_source **out, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < aipm_source_count; i++) {
		struct aipm_source *s = NULL;
		int r = aipm_source_registry[i]->open(cfg, &s);
		if (r < 0) {
			aipm_sources_close(out, *n);
			if (s)
				aipm_source_registry[i]->close(s);
			return r;
		}
		s->ops = aipm_source_registry[i];
		out[(*n)++] = s;
	}
	return 0;
}

void aipm_sources_close(struct aipm_source **src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (src[i])
			src[i]->ops->close(src[i]);
}

void aipm_sources_sample(struct aipm_source **src, size_t n, struct aipm_snapshot *snap)
{
	clock_gettime(CLOCK_MONOTONIC, &snap->mono);
	clock_gettime(CLOCK_REALTIME, &snap->real);
	for (size_t i = 0; i < n; i++)
		if (src[i]->available)
			src[i]->ops->sample(src[i], snap);
}

static void take(struct aipm_sampler *s)
{
	struct aipm_snapshot *cur = s->cur;
	uint64_t seq = atomic_load(&s->count);
	cur->seq = seq;
	cur->gpu_all_processes = s->cfg.gpu_all_processes;
	aipm_sources_sample(s->src, s->nsrc, cur);
	if (seq == 0) {
		aipm_snapshot_derive(cur, NULL, cur);
		aipm_snapshot_copy(&s->first, cur);
	} else {
		aipm_snapshot_derive(cur, s->prev, &s->first);
	}
	atomic_store(&s->tree_alive, cur->tree_alive || s->cfg.nroots == 0);
	if (s->cfg.publish) {
		pthread_mutex_lock(&s->pub_lock);
		if (aipm_snapshot_copy(&s->latest, cur) == 0)
			s->have_latest = true;
		pthread_mutex_unlock(&s->pub_lock);
	}
	if (s->cfg.sink)
		s->cfg.sink(s->cfg.sink_ctx, cur);
	atomic_fetch_add(&s->count, 1);
	struct aipm_snapshot *t = s->prev;
	s->prev = s->cur;
	s->cur = t;
}

static void add_ns(struct timespec *t, uint64_t ns)
{
	uint64_t total = (uint64_t)t->tv_nsec + ns;
	t->tv_sec += (time_t)(total / 1000000000u);
	t->tv_nsec = (long)(total % 1000000000u);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *run(void *arg)
{
	struct aipm_sampler *s = arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	struct aipm_source_config sc = {
		.roots = s->roots,
		.nroots = s->cfg.nroots,
		.all_processes = s->cfg.all_processes,
		.exclude_tids = s->cfg.exclude_own_thread ? &tid : NULL,
		.nexclude_tids = s->cfg.exclude_own_thread ? 1 : 0,
		.mem_interval_s = s->cfg.mem_interval_s,
		.gpu_all_processes = s->cfg.gpu_all_processes,
		.reaped_ticks = &s->reaped_ticks,
	};
	int r = aipm_sources_open(&sc, s->src, &s->nsrc);
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

	struct timespec next, now;
	clock_gettime(CLOCK_MONOTONIC, &next);
	take(s);
	pthread_mutex_lock(&s->lock);
	s->started = true;
	pthread_cond_broadcast(&s->cond);
	uint64_t step = (uint64_t)(s->cfg.interval_s * 1e9);
	for (;;) {
		add_ns(&next, step);
		clock_gettime(CLOCK_MONOTONIC, &now);
		while (before(&next, &now))
			add_ns(&next, step); /* skip missed deadlines, stay on the grid */
		int w = 0;
		while (!s->stop && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&s->cond, &s->lock, &next);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		take(s);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	take(s); /* the edge at the end */
	struct timespec cpu;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	atomic_store(&s->cpu_ns, (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec);
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
	if (cfg->nroots) {
		s->roots = calloc(cfg->nroots, sizeof *s->roots);
		if (!s->roots) {
			free(s);
			return aipm_err(-ENOMEM, "out of memory starting the sampler");
		}
		memcpy(s->roots, cfg->roots, cfg->nroots * sizeof *s->roots);
	}
	s->cfg.roots = s->roots;
	s->cur = &s->a;
	s->prev = &s->b;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->pub_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
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
	aipm_sources_close(s->src, s->nsrc);
	aipm_snapshot_free(&s->a);
	aipm_snapshot_free(&s->b);
	aipm_snapshot_free(&s->first);
	aipm_snapshot_free(&s->latest);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->pub_lock);
	pthread_cond_destroy(&s->cond);
	free(s->roots);
	free(s);
}

size_t aipm_sampler_nsources(const struct aipm_sampler *s) { return s->nsrc; }
const struct aipm_source *aipm_sampler_source(const struct aipm_sampler *s, size_t i)
{
	return i < s->nsrc ? s->src[i] : NULL;
}

int aipm_sampler_latest(struct aipm_sampler *s, struct aipm_snapshot *dst)
{
	pthread_mutex_lock(&s->pub_lock);
	int r = s->have_latest ? aipm_snapshot_copy(dst, &s->latest) : -EAGAIN;
	pthread_mutex_unlock(&s->pub_lock);
	return r;
}

void aipm_sampler_add_reaped(struct aipm_sampler *s, const struct rusage *ru)
{
	uint64_t hz = (uint64_t)aipm_clk_tck();
	uint64_t us = (uint64_t)ru->ru_utime.tv_sec * 1000000u + (uint64_t)ru->ru_utime.tv_usec +
		      (uint64_t)ru->ru_stime.tv_sec * 1000000u + (uint64_t)ru->ru_stime.tv_usec;
	atomic_fetch_add(&s->reaped_ticks, us * hz / 1000000u);
}

bool aipm_sampler_tree_alive(const struct aipm_sampler *s) { return atomic_load(&s->tree_alive); }
uint64_t aipm_sampler_count(const struct aipm_sampler *s) { return atomic_load(&s->count); }
double aipm_sampler_cpu_s(const struct aipm_sampler *s) { return (double)atomic_load(&s->cpu_ns) / 1e9; }
