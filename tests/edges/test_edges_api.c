/* test_edges_api.c: edge samples through the library's meter (include/aipm.h)
 * against fake hardware whose truth the test or the fake itself knows.
 *
 *  - marks back to back (end A, begin B) meet at one instant, and their
 *    phases hold what the test wrote on the fake counters between them;
 *  - a flood of marks is budgeted: edge samples stay within the budget of
 *    record/recorder.h, the rest of the marks are lines at the clock's time;
 *  - a sampler that cannot answer in time (a slow fake NVML) does not hold
 *    a mark longer than the bounded wait: the line is the clock's;
 *  - GPU phases on a fake NVML whose counter updates every 100 ms hold the
 *    energy the fake says was drawn between the marks (fake_nvml_energy_j),
 *    which reading the counter as of its lines would not;
 *  - a fake AMD SMI counter held for 200 ms is recorded as that stale.
 *
 * No assertion is on a duration: where a test counts time (the budget), it
 * is to bound what the code may have done in it.
 */
#include <cJSON.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"
#include "record/format.h"
#include "record/recorder.h"

static char root[256], dir[300], pkg[400];
static uint64_t pkg_uj;

static void sleep_s(double s)
{
	struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&t, &t) < 0)
		;
}

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The package counter, in place (aipm keeps it open and preads it). */
static void add_uj(uint64_t uj)
{
	pkg_uj += uj;
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)pkg_uj);
	int fd = open(pkg, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, (size_t)n, 0), n);
	assert_int_equal(ftruncate(fd, n), 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "%s/aipm-edges.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	char cmd[800];
	snprintf(cmd, sizeof cmd, "python3 '%s/tests/fixtures/mkrapl.py' make '%s/sys' laptop", getenv("AIPM_SRC"),
		 root);
	if (system(cmd))
		return -1;
	snprintf(cmd, sizeof cmd, "%s/sys", root);
	setenv("AIPM_SYSFS_ROOT", cmd, 1);
	snprintf(pkg, sizeof pkg, "%s/sys/class/powercap/intel-rapl:0/energy_uj", root);
	FILE *f = fopen(pkg, "r");
	unsigned long long v = 0;
	if (!f || fscanf(f, "%llu", &v) != 1)
		return -1;
	fclose(f);
	pkg_uj = v;
	snprintf(dir, sizeof dir, "%s/rec", root);
	unsetenv("AIPM_NVML_LIB");
	unsetenv("AIPM_AMDSMI_LIB");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static aipm_meter *start(double interval)
{
	aipm_meter *m = NULL;
	struct aipm_meter_options o;
	assert_int_equal(aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION), 0);
	o.interval_s = interval;
	/* libaipm reads no environment: the roots and fakes set above go in
	 * the options. */
	o.sysfs_root = getenv("AIPM_SYSFS_ROOT");
	o.nvml_lib = getenv("AIPM_NVML_LIB");
	o.amdsmi_lib = getenv("AIPM_AMDSMI_LIB");
	int e = aipm_meter_start(&m, dir, &o);
	if (e < 0)
		fail_msg("aipm_meter_start: %s", aipm_error_last());
	return m;
}

/* The lines of dir/file as JSON (each fails the test when not JSON). */
static int each_line(const char *file, void (*fn)(cJSON *, void *), void *ctx)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char line[1 << 16];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] != '{')
			continue;
		cJSON *j = cJSON_Parse(line);
		assert_non_null(j);
		fn(j, ctx);
		cJSON_Delete(j);
		n++;
	}
	fclose(f);
	return n;
}

/* The phases report as JSON: phases[i].energy_by_kind_j.KIND etc. */
static cJSON *phases_json(void)
{
	char *s = NULL;
	assert_int_equal(aipm_recording_phases_json(dir, &s), 0);
	cJSON *j = cJSON_Parse(s);
	aipm_string_free(s);
	assert_non_null(j);
	return cJSON_GetObjectItem(j, "phases") ? j : NULL;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItem(o, a);
	if (b)
		x = cJSON_GetObjectItem(x, b);
	return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

struct marks {
	double ts[64];
	bool sampled[64];
	int n;
};

static void mark_line(cJSON *j, void *ctx)
{
	struct marks *m = ctx;
	if (m->n < 64) {
		m->ts[m->n] = num(j, "timestamp", NULL);
		m->sampled[m->n++] = cJSON_IsTrue(cJSON_GetObjectItem(j, AIPM_KEY_EDGE_SAMPLE));
	}
}

static void test_back_to_back_marks_meet_and_hold_what_was_drawn(void **state)
{
	(void)state;
	aipm_meter *m = start(0.1);
	const char *names[3] = {"A", "B", "C"};
	uint64_t truth[3] = {0};
	sleep_s(0.05);
	assert_int_equal(aipm_meter_phase_begin(m, "A"), 0);
	for (int p = 0; p < 3; p++) {
		/* 25 steps of a varying power, 4 ms apart */
		for (int k = 0; k < 25; k++) {
			uint64_t uj = 20000 + 15000 * (uint64_t)((k * 7 + p * 3) % 5);
			add_uj(uj);
			truth[p] += uj;
			sleep_s(0.004);
		}
		assert_int_equal(aipm_meter_phase_end(m, names[p]), 0);
		if (p < 2)
			assert_int_equal(aipm_meter_phase_begin(m, names[p + 1]), 0);
	}
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);

	struct marks mk = {0};
	assert_int_equal(each_line("phases.json", mark_line, &mk), 6);
	int shared = 0;
	for (int i = 1; i + 1 < 6; i += 2)
		shared += mk.ts[i] == mk.ts[i + 1];
	print_message("# %d of 2 back-to-back pairs shared one sample\n", shared);
	for (int i = 0; i < 6; i++)
		assert_true(mk.sampled[i]);
	cJSON *j = phases_json();
	const cJSON *ph = cJSON_GetObjectItem(j, "phases");
	assert_int_equal(cJSON_GetArraySize(ph), 3);
	double sum = 0, want = 0;
	for (int p = 0; p < 3; p++) {
		const cJSON *x = cJSON_GetArrayItem(ph, p);
		double got = num(x, "energy_by_kind_j", "package");
		assert_true(fabs(got - truth[p] / 1e6) <= 1e-6 * (truth[p] / 1e6));
		assert_true(fabs(num(x, "duration_s", NULL) - (mk.ts[2 * p + 1] - mk.ts[2 * p])) < 2e-6);
		assert_false(cJSON_IsTrue(cJSON_GetObjectItem(x, "interpolated")));
		sum += got;
		want += truth[p] / 1e6;
	}
	assert_true(fabs(sum - want) <= 1e-3 * want);
	cJSON_Delete(j);
}

static void count_edges(cJSON *j, void *ctx)
{
	*(int *)ctx += cJSON_IsString(cJSON_GetObjectItem(j, "edge"));
}

static void count_unsampled(cJSON *j, void *ctx)
{
	*(int *)ctx += !cJSON_IsTrue(cJSON_GetObjectItem(j, AIPM_KEY_EDGE_SAMPLE));
}

/* n begin/end pairs, gap_s between marks: the edge samples taken, the
 * marks at the clock's time, and the seconds it took. */
static void flood(int n, double gap_s, int *edges, int *unsampled, double *spent)
{
	aipm_meter *m = start(0.1);
	sleep_s(0.02);
	double t0 = mono_s();
	for (int i = 0; i < n; i++) {
		assert_int_equal(aipm_meter_phase_begin(m, "x"), 0);
		add_uj(1000);
		sleep_s(gap_s);
		assert_int_equal(aipm_meter_phase_end(m, "x"), 0);
		sleep_s(gap_s);
	}
	*spent = mono_s() - t0;
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	*edges = *unsampled = 0;
	each_line("power_metrics.json", count_edges, edges);
	assert_int_equal(each_line("phases.json", count_unsampled, unsampled), 2 * n);
	cJSON *j = phases_json();
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "phases")), n);
	cJSON_Delete(j);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	print_message("# %d marks %.1f ms apart in %.3f s: %d edge samples, %d marks at the clock's time\n", 2 * n,
		      gap_s * 1e3, *spent, *edges, *unsampled);
}

static void test_a_flood_of_marks_is_budgeted(void **state)
{
	(void)state;
	int edges, unsampled;
	double spent;
	/* Back to back: marks within AIPM_EDGE_SHARE_US of a sample share it,
	 * so at most one sample per that span, whatever the rate. */
	flood(200, 0, &edges, &unsampled, &spent);
	assert_true(edges <= spent / (AIPM_EDGE_SHARE_US * 1e-6) + 2);
	/* Further apart than that: the budget, a burst then a sustained rate;
	 * the marks past it are lines at the clock's time. */
	flood(100, 0.002, &edges, &unsampled, &spent);
	assert_true(edges <= AIPM_EDGE_BURST + AIPM_EDGE_PER_S * spent + 1);
	assert_true(unsampled > 0);
}

static void write_conf(const char *name, const char *env, const char *text)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", root, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	setenv(env, path, 1);
}

static void test_a_slow_sampler_does_not_hold_a_mark(void **state)
{
	(void)state;
	/* Each sample takes 300 ms (the fake NVML's GetPowerUsage): a mark
	 * waits AIPM_EDGE_WAIT_MS for its sample, then takes the clock's time. */
	setenv("AIPM_NVML_LIB", getenv("AIPM_FAKE_NVML_LIB"), 1);
	write_conf("nvml.conf", "AIPM_FAKE_NVML", "count=1\ngpu0.delay_us=300000\n");
	aipm_meter *m = start(0.1);
	assert_int_equal(aipm_meter_phase_begin(m, "slow"), 0);
	assert_int_equal(aipm_meter_phase_end(m, "slow"), 0);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	struct marks mk = {0};
	assert_int_equal(each_line("phases.json", mark_line, &mk), 2);
	assert_false(mk.sampled[0]);
	assert_false(mk.sampled[1]);
}

typedef double (*truth_fn)(unsigned, double, double);

/* GPU phases on the fake NVML (profile, counter period): the worst error
 * against the fake's own energy, in percent. */
static double gpu_phases(const char *conf, bool print)
{
	setenv("AIPM_NVML_LIB", getenv("AIPM_FAKE_NVML_LIB"), 1);
	write_conf("nvml.conf", "AIPM_FAKE_NVML", conf);
	void *lib = dlopen(getenv("AIPM_FAKE_NVML_LIB"), RTLD_NOW);
	assert_non_null(lib);
	truth_fn truth;
	*(void **)&truth = dlsym(lib, "fake_nvml_energy_j");
	assert_non_null(truth);
	static const double len[] = {0.25, 0.05, 1.0, 0.13, 0.3, 0.07};
	aipm_meter *m = start(0.1);
	for (int i = 0; i < 6; i++) {
		sleep_s(0.03 + 0.011 * i);
		assert_int_equal(aipm_meter_phase_begin(m, "g"), 0);
		sleep_s(len[i]);
		assert_int_equal(aipm_meter_phase_end(m, "g"), 0);
	}
	sleep_s(0.15);
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	cJSON *j = phases_json();
	const cJSON *ph = cJSON_GetObjectItem(j, "phases");
	assert_int_equal(cJSON_GetArraySize(ph), 6);
	double worst = 0;
	for (int i = 0; i < 6; i++) {
		const cJSON *x = cJSON_GetArrayItem(ph, i);
		double want = truth(0, num(x, "begin_timestamp", NULL), num(x, "end_timestamp", NULL));
		double got = num(x, "energy_by_kind_j", "gpu");
		double err = 100 * fabs(got - want) / want;
		if (print)
			print_message("#   %.2f s phase: %.3f J, the fake drew %.3f J (%.3f %%)\n", len[i], got, want, err);
		worst = err > worst ? err : worst;
	}
	cJSON_Delete(j);
	dlclose(lib);
	return worst;
}

static void test_gpu_phases_hold_what_the_fake_drew(void **state)
{
	(void)state;
	/* A counter 0-100 ms old at every reading, at 200 W: read at its own
	 * time, each phase is what the fake drew. */
	print_message("# constant 200 W, counter updated every 100 ms:\n");
	double worst = gpu_phases("count=1\ngpu0.profile=const:200\ngpu0.energy_period_ms=100\n", true);
	assert_true(worst <= 1.0);
	/* The same without the readings' times (a driver without field
	 * values): the lag is read as energy of the wrong phase. */
	print_message("# the same without field values (no ages):\n");
	double lagged = gpu_phases("count=1\ngpu0.profile=const:200\ngpu0.energy_period_ms=100\ngpu0.fields=0\n", true);
	print_message("# worst: %.3f %% with ages, %.2f %% without\n", worst, lagged);
	/* A square wave (300/50 W, 0.4 s): the power readings shape the
	 * counter's steps; figures only, the error depends on where the
	 * switches fall between samples. */
	print_message("# square 50/300 W every 0.4 s, counter updated every 100 ms:\n");
	double sq = gpu_phases("count=1\ngpu0.profile=square:50:300:0.4\ngpu0.energy_period_ms=100\n", true);
	double sq_lag = gpu_phases("count=1\ngpu0.profile=square:50:300:0.4\ngpu0.energy_period_ms=100\ngpu0.fields=0\n",
				   false);
	print_message("# worst: %.2f %% with ages, %.2f %% without\n", sq, sq_lag);
}

struct ages {
	int n;
	double max, min;
};

static void amd_age(cJSON *j, void *ctx)
{
	struct ages *a = ctx;
	const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "amd_gpu");
	double v = num(g, "per_gpu_energy_age", "0");
	if (isnan(v))
		return;
	a->max = a->n && a->max > v ? a->max : v;
	a->min = a->n && a->min < v ? a->min : v;
	a->n++;
}

static void test_a_stale_amd_counter_is_recorded_stale(void **state)
{
	(void)state;
	/* Held for 200 ms on the GPU's own clock, read every 50 ms (and at
	 * edges): ages from about 0 to about 200 ms. */
	setenv("AIPM_AMDSMI_LIB", getenv("AIPM_FAKE_AMDSMI_LIB"), 1);
	write_conf("amd.conf", "AIPM_FAKE_AMDSMI", "count=1\ngpu0.energy_period_ms=200\n");
	aipm_meter *m = start(0.05);
	for (int i = 0; i < 8; i++) {
		sleep_s(0.09 + 0.013 * i);
		assert_int_equal(aipm_meter_log(m, "i", i), 0);
	}
	assert_int_equal(aipm_meter_stop(m), 0);
	aipm_meter_free(m);
	struct ages a = {0};
	each_line("power_metrics.json", amd_age, &a);
	print_message("# %d AMD readings, ages %.3f .. %.3f s\n", a.n, a.min, a.max);
	assert_true(a.n >= 10);
	assert_true(a.min >= 0);
	assert_true(a.max >= 0.1 && a.max <= 0.2 + 0.1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_back_to_back_marks_meet_and_hold_what_was_drawn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_flood_of_marks_is_budgeted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_slow_sampler_does_not_hold_a_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_phases_hold_what_the_fake_drew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_stale_amd_counter_is_recorded_stale, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
