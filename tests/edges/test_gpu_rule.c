/* test_gpu_rule.c: the GPU edge rule (analysis/series.h) on hand-made
 * recordings whose truth is known.
 *
 * A GPU line's energy is the counter as of ts - per_gpu_energy_age; the
 * change between two readings is spread over their own times in
 * proportion to the power the lines read. Checked: a counter that lags its
 * lines gives exact windows at constant power (and the lag, ignored, would
 * not); a change is shaped by the power readings; phases (the cursor's
 * instants, walking past the next line) equal `report --from/--to` (the
 * summary's windows) over the same edges, in one range or many.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis/phases.h"
#include "analysis/summary.h"
#include "record/scan.h"

#define T0 1795634400.0

static void near_at(double a, double b, double tol, int line)
{
	if (!(fabs(a - b) <= tol * (fabs(b) + 1e-12)))
		fail_msg("line %d: got %.12g, want %.12g", line, a, b);
}
/* Times are Unix seconds written to the µs: a double holds them to ~0.2 µs. */
#define near(a, b) near_at((a), (b), 1e-6, __LINE__)

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/aipm-test-gpu-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

/* One GPU line; age < 0 leaves per_gpu_energy_age out. */
static size_t gpu_line(char *out, size_t n, double ts, double energy_j, double age, double power_w)
{
	char agekey[64] = "";
	if (age >= 0)
		snprintf(agekey, sizeof agekey, ", \"per_gpu_energy_age\": {\"0\": %.6f}", age);
	return (size_t)snprintf(out, n,
				"{\"timestamp\": %.6f, \"metrics\": {\"gpu\": {\"per_gpu_power\": {\"0\": %.6f}, "
				"\"per_gpu_energy\": {\"0\": %.9f}%s}}}\n",
				ts, power_w, energy_j, agekey);
}

static struct aipm_summary *window(double from, double to)
{
	struct aipm_summary_opts o = {.from = from, .to = to};
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(dir, &o, &s), 0);
	return s;
}

static double window_gpu(double from, double to)
{
	struct aipm_summary *s = window(from, to);
	double j = s->total_j[AIPM_TOTAL_GPU];
	aipm_summary_free(s);
	return j;
}

struct kept {
	struct aipm_phase_result ph[64];
	int nph;
};
static void k_begin(void *ctx, const char *d, double start) { (void)ctx, (void)d, (void)start; }
static void k_phase(void *ctx, const struct aipm_phase_result *r, double start)
{
	(void)start;
	struct kept *k = ctx;
	if (k->nph < 64)
		k->ph[k->nph++] = *r;
}
static void k_point(void *ctx, const struct aipm_point_result *r, double start) { (void)ctx, (void)r, (void)start; }
static void k_end(void *ctx, const struct aipm_phase_total *n, size_t nn, const struct aipm_report_notes *notes)
{
	(void)ctx, (void)n, (void)nn, (void)notes;
}
static const struct aipm_phase_sink keep = {k_begin, k_phase, k_point, k_end};

static struct kept *phases(void)
{
	static struct kept k;
	memset(&k, 0, sizeof k);
	assert_int_equal(aipm_phase_report_run(dir, &keep, &k), 0);
	return &k;
}

/* 200 W; the counter updates at T0 + 0.1 k, lines every 0.1 s 30 ms after
 * it, so each reading is 30 ms old; two edge lines off the grid. */
static void lagging_counter(bool with_age)
{
	static char text[16384];
	size_t at = 0;
	double times[24];
	int n = 0;
	for (int i = 0; i < 20; i++) {
		times[n++] = T0 + 0.03 + 0.1 * i;
		if (i == 4)
			times[n++] = T0 + 0.47; /* an edge sample, 70 ms after the update */
		if (i == 12)
			times[n++] = T0 + 1.291;
	}
	for (int i = 0; i < n; i++) {
		double upd = T0 + 0.1 * floor((times[i] - T0) / 0.1 + 1e-9);
		at += gpu_line(text + at, sizeof text - at, times[i], 200 * (upd - T0), with_age ? times[i] - upd : -1,
			       200);
	}
	put("power_metrics.json", text);
	put("phases.json", "{\"timestamp\": 1795634400.470000, \"name\": \"p\", \"event\": \"begin\"}\n"
			   "{\"timestamp\": 1795634401.291000, \"name\": \"p\", \"event\": \"end\"}\n");
}

static void test_gpu_counter_is_read_at_its_own_time(void **state)
{
	(void)state;
	lagging_counter(true);
	/* Exact at constant power, for windows and for the phase at its edge
	 * samples, although each reading lags its line by 30-91 ms. */
	near(window_gpu(T0 + 0.47, T0 + 1.291), 200 * 0.821);
	near(window_gpu(T0 + 0.25, T0 + 0.75), 100);
	struct kept *k = phases();
	assert_int_equal(k->nph, 1);
	near(aipm_totals_machine_j(&k->ph[0].t), 200 * 0.821);
	/* The whole recording is still last - first. */
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(dir, NULL, &s), 0);
	near(s->total_j[AIPM_TOTAL_GPU], 200 * 1.9);
	aipm_summary_free(s);
}

static void test_gpu_counter_without_age_lags_its_lines(void **state)
{
	(void)state;
	/* What the rule corrects: read as of its lines, the counter says the
	 * phase ran from T0+0.4 to T0+1.2 (the updates before its edges): 0.8 s
	 * of 200 W, 4.2 J short of the 0.821 s it lasted. */
	lagging_counter(false);
	struct kept *k = phases();
	near(aipm_totals_machine_j(&k->ph[0].t), 200 * (1.2 - 0.4));
}

static void test_gpu_change_is_shaped_by_the_power_readings(void **state)
{
	(void)state;
	/* Readings at T0+1 (300 W, fresh) and T0+1.1 (50 W, 20 ms old): the
	 * 16 J came in [T0+1, T0+1.08] while the power fell linearly from
	 * 300 W: by T0+1.04, 10 J of them (12 - 2 over 24 - 8), not the 8 J an
	 * even spread says. */
	static char text[1024];
	size_t at = gpu_line(text, sizeof text, T0 + 1, 0, 0, 300);
	gpu_line(text + at, sizeof text - at, T0 + 1.1, 16, 0.02, 50);
	put("power_metrics.json", text);
	put("phases.json", "{\"timestamp\": 1795634401.0, \"name\": \"p\", \"event\": \"begin\"}\n"
			   "{\"timestamp\": 1795634401.04, \"name\": \"p\", \"event\": \"end\"}\n");
	near(window_gpu(T0 + 1, T0 + 1.04), 10);
	near(window_gpu(T0 + 1.04, T0 + 1.1), 6);
	near(aipm_totals_machine_j(&phases()->ph[0].t), 10);
}

/* A recording of n lines with irregular times, ages and powers, and
 * phases at m random edges; a fixed seed. */
static void random_recording(int n, int m, unsigned seed)
{
	srand(seed);
	size_t cap = (size_t)n * 200 + 1, at = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	double ts = T0, e = 0, last_upd = T0;
	double *tss = malloc(sizeof *tss * (size_t)n);
	for (int i = 0; i < n; i++) {
		ts += 0.02 + 0.1 * rand() / RAND_MAX;
		double p = 50 + 250.0 * rand() / RAND_MAX;
		if (rand() % 3) { /* the counter updated since the last line */
			double upd = last_upd + (ts - last_upd) * rand() / RAND_MAX;
			e += p * (upd - last_upd);
			last_upd = upd;
		}
		tss[i] = ts;
		at += gpu_line(text + at, cap - at, ts, e, ts - last_upd, p);
	}
	put("power_metrics.json", text);
	at = 0;
	double *edges = malloc(sizeof *edges * (size_t)(2 * m));
	for (int i = 0; i < 2 * m; i++)
		edges[i] = tss[rand() % n] + (rand() % 2 ? 0 : 0.05 * rand() / RAND_MAX);
	for (int i = 0; i < 2 * m; i++) /* sorted: phases one after the other */
		for (int j = i + 1; j < 2 * m; j++)
			if (edges[j] < edges[i]) {
				double x = edges[i];
				edges[i] = edges[j];
				edges[j] = x;
			}
	for (int i = 0; i < 2 * m; i++)
		at += (size_t)snprintf(text + at, cap - at, "{\"timestamp\": %.6f, \"name\": \"p\", \"event\": \"%s\"}\n",
				       edges[i], i % 2 ? "end" : "begin");
	put("phases.json", text);
	free(edges);
	free(tss);
	free(text);
}

static void test_gpu_phases_equal_the_report_over_the_same_edges(void **state)
{
	(void)state;
	random_recording(4000, 40, 7);
	struct kept *k = phases();
	assert_int_equal(k->nph, 40);
	/* The summary in one range, then cut into many (the seams take the
	 * same step): the same numbers as the cursor's instants. */
	for (int parts = 0; parts < 2; parts++) {
		aipm_scan_set_min_part_bytes(parts ? 4096 : 0);
		for (int i = 0; i < k->nph; i++) {
			struct aipm_summary_opts o = {.from = k->ph[i].begin_ts, .to = k->ph[i].end_ts, .threads = 4};
			struct aipm_summary *s = NULL;
			assert_int_equal(aipm_summary_load(dir, &o, &s), 0);
			near_at(aipm_totals_machine_j(&k->ph[i].t), s->total_j[AIPM_TOTAL_GPU], 1e-9, __LINE__);
			aipm_summary_free(s);
		}
	}
	aipm_scan_set_min_part_bytes(0);
	/* and the whole is last - first, in many ranges too */
	struct aipm_summary_opts o = {.from = NAN, .to = NAN, .threads = 4};
	struct aipm_summary *s = NULL;
	aipm_scan_set_min_part_bytes(4096);
	assert_int_equal(aipm_summary_load(dir, &o, &s), 0);
	double many = s->total_j[AIPM_TOTAL_GPU];
	aipm_summary_free(s);
	aipm_scan_set_min_part_bytes(0);
	o.threads = 1;
	assert_int_equal(aipm_summary_load(dir, &o, &s), 0);
	near(many, s->total_j[AIPM_TOTAL_GPU]);
	aipm_summary_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gpu_counter_is_read_at_its_own_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_counter_without_age_lags_its_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_change_is_shaped_by_the_power_readings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_phases_equal_the_report_over_the_same_edges, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
