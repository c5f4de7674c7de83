/* test_pipeline.c: the sampling step and the sampler's clock: the slow
 * tier decided by the step alone, health recorded for every source, the
 * interval's nanosecond step saturated (a huge -i must not spin), the
 * paths taken from the caller, and off-grid samples marked with why while
 * the regular grid goes on. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline.h"
#include "sampler.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/class/powercap/%s", root, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/aipm-pipe-XXXXXX");
	assert_non_null(mkdtemp(root));
	char path[512];
	snprintf(path, sizeof path, "%s/class", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/class/powercap", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/class/powercap/intel-rapl:0", root);
	mkdir(path, 0755);
	put("intel-rapl:0/name", "package-0\n");
	put("intel-rapl:0/energy_uj", "1000\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd);
}

static struct aipm_pipeline *open_pipe(void)
{
	struct aipm_pipeline_config cfg = {.paths = {.sysfs = root, .nvml_lib = "/nonexistent/nvml.so",
						     .amdsmi_lib = "/nonexistent/amdsmi.so"},
					   .mem_interval_s = 1};
	struct aipm_pipeline *p = NULL;
	assert_int_equal(aipm_pipeline_open(&p, &cfg), 0);
	return p;
}

static const struct aipm_snapshot *at(struct aipm_pipeline *p, double t)
{
	struct timespec mono = {.tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9 + 0.5)};
	return aipm_pipeline_step(p, &mono, &mono, NULL);
}

static size_t source_index(struct aipm_pipeline *p, const char *name)
{
	for (size_t i = 0; i < aipm_pipeline_nsources(p); i++)
		if (!strcmp(aipm_pipeline_source(p, i)->ops->name, name))
			return i;
	fail_msg("no source %s", name);
	return 0;
}

/* At -i 0.1 --mem-interval 1 the slow tier is samples 0, 10, 20. */
static void test_step_decides_the_slow_tier(void **state)
{
	(void)state;
	struct aipm_pipeline *p = open_pipe();
	for (int i = 0; i <= 25; i++) {
		const struct aipm_snapshot *s = at(p, 0.1 * i);
		if (s->slow != (i % 10 == 0))
			fail_msg("sample %d: slow %d", i, s->slow);
	}
	aipm_pipeline_close(p);
}

/* Health: every sample() counted; a failure marks the source down in that
 * sample and is counted with its message; the catalog names the sources. */
static void test_step_records_health_for_every_source(void **state)
{
	(void)state;
	struct aipm_pipeline *p = open_pipe();
	size_t r = source_index(p, "rapl");
	const struct aipm_catalog *c = aipm_pipeline_catalog(p);
	assert_int_equal(c->nsources, aipm_pipeline_nsources(p));
	assert_string_equal(c->sources[r], "rapl");
	const struct aipm_snapshot *s = at(p, 0);
	assert_true(s->source_ok[r]);
	put("intel-rapl:0/energy_uj", ""); /* reads nothing */
	s = at(p, 0.1);
	assert_false(s->source_ok[r]);
	assert_false(s->domains[0].valid);
	put("intel-rapl:0/energy_uj", "2000\n");
	s = at(p, 0.2);
	assert_true(s->source_ok[r]);
	const struct aipm_source *src = aipm_pipeline_source(p, r);
	assert_int_equal(src->samples, 3);
	assert_int_equal(src->failed, 1);
	assert_int_equal(src->last_rc, 0);
	assert_non_null(strstr(src->last_error, "energy_uj"));
	/* an unavailable source is not sampled, and is down */
	size_t nv = source_index(p, "nvml");
	assert_false(aipm_pipeline_source(p, nv)->available);
	assert_int_equal(aipm_pipeline_source(p, nv)->samples, 0);
	assert_false(s->source_ok[nv]);
	aipm_pipeline_close(p);
}

static void test_interval_is_saturated_to_its_bounds(void **state)
{
	(void)state;
	assert_int_equal(aipm_interval_ns(0.1), 100000000ull);
	assert_int_equal(aipm_interval_ns(1e11), AIPM_MAX_INTERVAL_NS); /* overflowed to 0 and spun */
	assert_int_equal(aipm_interval_ns(1e300), AIPM_MAX_INTERVAL_NS);
	assert_int_equal(aipm_interval_ns(INFINITY), AIPM_MAX_INTERVAL_NS);
	assert_int_equal(aipm_interval_ns(1e-12), AIPM_MIN_INTERVAL_NS);
	assert_int_equal(aipm_interval_ns(NAN), AIPM_MIN_INTERVAL_NS);
}

struct seen {
	pthread_mutex_t lock;
	int n;
	struct timespec mono[64], real[64];
	char edge[64][64];
};

static void sink(void *ctx, const struct aipm_snapshot *s)
{
	struct seen *x = ctx;
	pthread_mutex_lock(&x->lock);
	if (x->n < 64) {
		x->mono[x->n] = s->mono;
		x->real[x->n] = s->real;
		snprintf(x->edge[x->n], sizeof x->edge[0], "%s", s->edge);
		x->n++;
	}
	pthread_mutex_unlock(&x->lock);
}

static double ts(const struct timespec *t) { return (double)t->tv_sec + (double)t->tv_nsec / 1e9; }

/* A huge interval: the first sample, then nothing until stop, which takes
 * the last one; the thread sleeps instead of spinning. */
static void test_sampler_with_a_huge_interval_does_not_spin(void **state)
{
	(void)state;
	struct seen x = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct aipm_paths paths = {.sysfs = root};
	struct aipm_sampler_config cfg = {.interval_s = 1e11, .mem_interval_s = 1, .paths = &paths, .sink = sink,
					  .sink_ctx = &x};
	struct aipm_sampler *s = NULL;
	assert_int_equal(aipm_sampler_start(&s, &cfg), 0);
	usleep(300000);
	assert_int_equal(aipm_sampler_count(s), 1);
	aipm_sampler_stop(s);
	assert_int_equal(aipm_sampler_count(s), 2);
	assert_true(aipm_sampler_cpu_s(s) < 0.2);
	aipm_sampler_free(s);
}

/* sample_now: one extra sample at once, marked with why, its timestamp
 * returned; the regular grid goes on unchanged around it. */
static void test_sample_now_is_off_grid_and_marked(void **state)
{
	(void)state;
	struct seen x = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct aipm_paths paths = {.sysfs = root};
	struct aipm_sampler_config cfg = {.interval_s = 0.2, .mem_interval_s = 1, .paths = &paths, .sink = sink,
					  .sink_ctx = &x};
	struct aipm_sampler *s = NULL;
	assert_int_equal(aipm_sampler_start(&s, &cfg), 0);
	usleep(290000);
	struct timespec real;
	assert_int_equal(aipm_sampler_sample_now(s, "phase train begin", &real), 0);
	usleep(400000);
	aipm_sampler_stop(s);
	assert_int_equal(aipm_sampler_sample_now(s, "late", NULL), -EINVAL);
	aipm_sampler_free(s);
	int edges = 0, k = -1;
	for (int i = 0; i < x.n; i++)
		if (x.edge[i][0]) {
			edges++;
			k = i;
		}
	assert_int_equal(edges, 1);
	assert_string_equal(x.edge[k], "phase train begin");
	assert_int_equal(x.real[k].tv_sec, real.tv_sec);
	assert_int_equal(x.real[k].tv_nsec, real.tv_nsec);
	/* regular samples stay on the 0.2 s grid of the first (the last one,
	 * taken by stop, is off it by design) */
	double t0 = ts(&x.mono[0]);
	for (int i = 1; i < x.n - 1; i++) {
		if (i == k)
			continue;
		double off = fmod(ts(&x.mono[i]) - t0 + 0.1, 0.2) - 0.1;
		if (fabs(off) > 0.05)
			fail_msg("sample %d is %.3f s off the grid", i, off);
	}
	double edge_off = fmod(ts(&x.mono[k]) - t0 + 0.1, 0.2) - 0.1;
	assert_true(fabs(edge_off) > 0.03); /* taken when asked, not at a tick */
}

/* The caller resolves paths from the environment (in its own thread). */
static void test_paths_come_from_the_callers_environment(void **state)
{
	(void)state;
	setenv("AIPM_SYSFS_ROOT", "/a", 1);
	setenv("AIPM_PROC_ROOT", "/b", 1);
	setenv("AIPM_NVML_LIB", "/c.so", 1);
	setenv("AIPM_AMDSMI_LIB", "/d.so", 1);
	struct aipm_paths p;
	aipm_paths_from_env(&p);
	assert_string_equal(aipm_paths_sysfs(&p), "/a");
	assert_string_equal(aipm_paths_proc(&p), "/b");
	assert_string_equal(p.nvml_lib, "/c.so");
	assert_string_equal(p.amdsmi_lib, "/d.so");
	unsetenv("AIPM_SYSFS_ROOT");
	unsetenv("AIPM_PROC_ROOT");
	unsetenv("AIPM_NVML_LIB");
	unsetenv("AIPM_AMDSMI_LIB");
	aipm_paths_from_env(&p);
	assert_string_equal(aipm_paths_sysfs(&p), "/sys");
	assert_string_equal(aipm_paths_proc(&p), "/proc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_step_decides_the_slow_tier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_records_health_for_every_source, setup, teardown),
		cmocka_unit_test(test_interval_is_saturated_to_its_bounds),
		cmocka_unit_test_setup_teardown(test_sampler_with_a_huge_interval_does_not_spin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_now_is_off_grid_and_marked, setup, teardown),
		cmocka_unit_test(test_paths_come_from_the_callers_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
