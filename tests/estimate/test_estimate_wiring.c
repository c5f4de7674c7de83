/* test_estimate_wiring.c: the estimate inside aipm's pipeline, on fake
 * cpuinfo/DMI/stat trees (issue 16, items 3 and 4).
 *
 *     test_estimate_wiring FIXTURES_DIR    (run.sh builds it)
 *
 * The real path runs: the pipeline opens every registered source with the
 * fixture's roots (struct aipm_paths, never the environment), the
 * cpu_estimate source identifies the CPU and reads the fixture's
 * /proc/stat, attrib.c derives the interval, the writer formats the line,
 * the exporter renders it. Expected numbers are docs/estimate.md's table
 * (section 7) at 50 % load over one second; rows are those the
 * documentation names.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "aipm.h"
#include "attrib.h"
#include "export/prometheus.h"
#include "pipeline.h"
#include "record/writer.h"

static const char *fixtures;

#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* /proc/stat's first line: user nice system idle iowait irq softirq steal. */
static void write_stat(const char *machine, uint64_t user, uint64_t idle, uint64_t steal)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/proc/stat", fixtures, machine);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "cpu  %llu 0 0 %llu 0 0 0 %llu 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\nintr 0\n", (unsigned long long)user,
		(unsigned long long)idle, (unsigned long long)steal);
	fclose(f);
	snprintf(path, sizeof path, "%s/%s/proc/meminfo", fixtures, machine);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("MemTotal:       16384000 kB\nMemAvailable:    8192000 kB\n", f);
	fclose(f);
}

/* The pipeline on a fixture: proc root from the fixture, sys root from
 * sys_machine (another fixture's tree: a fake RAPL one). */
static struct aipm_pipeline *open_on(const char *machine, const char *sys_machine, bool no_estimate)
{
	static char proc[512], sys[512];
	write_stat(machine, 0, 0, 0); /* the source opens it at open */
	snprintf(proc, sizeof proc, "%s/%s/proc", fixtures, machine);
	snprintf(sys, sizeof sys, "%s/%s/sys", fixtures, sys_machine ? sys_machine : machine);
	struct aipm_pipeline_config cfg = {
		.paths = {.proc = proc, .sysfs = sys, .nvml_lib = "/nonexistent/nvml.so",
			  .amdsmi_lib = "/nonexistent/amdsmi.so"},
		.mem_interval_s = 1,
		.no_cpu_estimate = no_estimate,
	};
	struct aipm_pipeline *p = NULL;
	if (aipm_pipeline_open(&p, &cfg) < 0)
		fail_msg("%s: %s", machine, aipm_error_last());
	return p;
}

static const struct aipm_snapshot *step(struct aipm_pipeline *p, double t)
{
	struct timespec mono = {.tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9)};
	struct timespec real = {.tv_sec = 1800000000 + (time_t)t};
	return aipm_pipeline_step(p, &mono, &real, NULL);
}

static const struct aipm_source *source_named(struct aipm_pipeline *p, const char *name)
{
	for (size_t i = 0; i < aipm_pipeline_nsources(p); i++)
		if (!strcmp(aipm_pipeline_source(p, i)->ops->name, name))
			return aipm_pipeline_source(p, i);
	fail_msg("no source %s", name);
	return NULL;
}

/* One second at 50 % load (busy 4000 of 8000 ticks), steal as given on
 * top: steal is time the host gave another tenant, not this load. */
static const struct aipm_snapshot *half_load_second(struct aipm_pipeline *p, const char *machine, uint64_t steal)
{
	write_stat(machine, 1000, 1000, 0);
	step(p, 100);
	write_stat(machine, 1000 + 4000, 1000 + 4000 - steal, steal);
	return step(p, 101);
}

static cJSON *line_of(const struct aipm_snapshot *s)
{
	struct aipm_buf b = {0};
	aipm_writer_format(&b, s);
	assert_false(b.oom);
	cJSON *j = cJSON_Parse(b.data);
	if (!j)
		fail_msg("line does not parse: %s", b.data);
	aipm_buf_free(&b);
	return j;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v))
		fail_msg("no number %s", k);
	return v->valuedouble;
}

/* AIPowerMeter's reader sums these as measured CPU energy and power. */
static void assert_no_measured_cpu_keys(const cJSON *line)
{
	const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(line, "metrics"), "cpu");
	assert_non_null(cpu);
	for (const cJSON *c = cpu->child; c; c = c->next) {
		if (!strcmp(c->string, "intel_power") || !strncmp(c->string, "per_zone_", 9) ||
		    !strcmp(c->string, "attributed_energy") || !strcmp(c->string, "rel_intel_power") ||
		    !strcmp(c->string, "per_process_cpu_power") || !strcmp(c->string, "total_cpu_power"))
			fail_msg("metrics.cpu.%s written without a measurement", c->string);
	}
}

/* Acceptance: each fixture gives the documented method, row and, at 50 %
 * load for one second, the documented power and energy with bounds
 * (docs/estimate.md section 7, rounded to 0.1 W there). */
static void check_machine(const char *machine, enum aipm_est_method method, unsigned row, double w, double lo,
			  double hi)
{
	struct aipm_pipeline *p = open_on(machine, NULL, false);
	const struct aipm_catalog *cat = aipm_pipeline_catalog(p);
	assert_non_null(cat->cpu_estimate);
	assert_int_equal(cat->cpu_estimate->model.method, method);
	assert_int_equal(cat->cpu_estimate->model.row, row);
	assert_true(source_named(p, "cpu_estimate")->available);
	assert_false(source_named(p, "rapl")->available);
	const struct aipm_snapshot *s = half_load_second(p, machine, 0);
	const struct aipm_cpu_estimate_value *e = &s->cpu_est;
	assert_near(e->load, 0.5, 1e-12);
	assert_near(e->est.power.w, w, 0.05);
	assert_near(e->est.power.low_w, lo, 0.05);
	assert_near(e->est.power.high_w, hi, 0.05);
	assert_near(e->est.energy.j, e->est.power.w * 1.0, 1e-9);
	assert_near(e->est.energy.low_j, e->est.power.low_w * 1.0, 1e-9);
	assert_near(e->est.energy.high_j, e->est.power.high_w * 1.0, 1e-9);
	cJSON *line = line_of(s);
	assert_no_measured_cpu_keys(line);
	const cJSON *ce = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(line, "metrics"),
							   "cpu_estimate");
	assert_non_null(ce);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(ce, "method")->valuestring, aipm_est_method_name(method));
	assert_near(num(ce, "power_w"), w, 0.05);
	assert_near(num(ce, "power_low_w"), lo, 0.05);
	assert_near(num(ce, "power_high_w"), hi, 0.05);
	assert_near(num(ce, "energy_high_j"), e->est.energy.high_j, 1e-9);
	assert_near(num(ce, "load"), 0.5, 1e-12);
	cJSON_Delete(line);
	aipm_pipeline_close(p);
}

static void test_known_server_records_its_tdp_row(void **state)
{
	(void)state;
	/* cpu_tdp line 4432, 150 W x 2 sockets: idle 36 [15, 105], full 306
	 * [150, 405]; at u = 0.5: 36 + 270 x 0.5, 15 + 135 x 0.5^3, 105 + 300 x 0.63/0.90. */
	check_machine("xeon-gold-6248-2s", AIPM_EST_TDP_TABLE, 4432, 171.0, 31.875, 315.0);
}

static void test_masked_cloud_cpu_records_its_architecture_row(void **state)
{
	(void)state;
	check_machine("gcp-n2-masked", AIPM_EST_MICROARCH, 7, 19.0, 6.3, 27.1);
}

static void test_unknown_cpu_records_the_generic_average(void **state)
{
	(void)state;
	check_machine("qemu-unknown", AIPM_EST_GENERIC_AVG, 0, 9.5, 1.2, 39.6);
}

static void test_steal_time_is_not_load(void **state)
{
	(void)state;
	struct aipm_pipeline *p = open_on("gcp-n2-masked", NULL, false);
	/* 4000 busy ticks of 8000, of the idle half 2000 stolen by the host:
	 * still 50 % load (busy incl. steal would read 75 %). */
	const struct aipm_snapshot *s = half_load_second(p, "gcp-n2-masked", 2000);
	assert_near(s->cpu_est.load, 0.5, 1e-12);
	aipm_pipeline_close(p);
}

/* Acceptance: a machine with readable RAPL never estimates; the decision
 * is the source's reason, and the line has no estimate. */
static void test_readable_rapl_means_no_estimate(void **state)
{
	(void)state;
	struct aipm_pipeline *p = open_on("xeon-gold-6248-2s", "rapl-server2", false);
	const struct aipm_catalog *cat = aipm_pipeline_catalog(p);
	assert_true(source_named(p, "rapl")->available);
	assert_null(cat->cpu_estimate);
	const struct aipm_source *e = source_named(p, "cpu_estimate");
	assert_false(e->available);
	assert_non_null(strstr(e->reason, "CPU energy is measured here"));
	const struct aipm_snapshot *s = half_load_second(p, "xeon-gold-6248-2s", 0);
	cJSON *line = line_of(s);
	assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(line, "metrics"), "cpu_estimate"));
	cJSON_Delete(line);
	aipm_pipeline_close(p);
}

static void test_no_estimate_turns_it_off(void **state)
{
	(void)state;
	struct aipm_pipeline *p = open_on("qemu-unknown", NULL, true);
	assert_null(aipm_pipeline_catalog(p)->cpu_estimate);
	const struct aipm_source *e = source_named(p, "cpu_estimate");
	assert_false(e->available);
	assert_non_null(strstr(e->reason, "--no-estimate"));
	cJSON *line = line_of(half_load_second(p, "qemu-unknown", 0));
	assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(line, "metrics"), "cpu_estimate"));
	cJSON_Delete(line);
	aipm_pipeline_close(p);
}

/* metadata.json and probe get the source's details: method, row, the
 * identity found and every table's version. */
static void test_details_name_method_identity_and_tables(void **state)
{
	(void)state;
	struct aipm_pipeline *p = open_on("gcp-n2-masked", NULL, false);
	const struct aipm_source *e = source_named(p, "cpu_estimate");
	struct aipm_buf b = {0};
	e->ops->describe((struct aipm_source *)e, &b);
	cJSON *d = cJSON_Parse(b.data);
	assert_non_null(d);
	assert_string_equal(cJSON_GetObjectItem(d, "method")->valuestring, "microarch_table");
	assert_string_equal(cJSON_GetObjectItem(d, "table")->valuestring, "microarch_power");
	assert_int_equal(num(d, "row"), 7);
	assert_string_equal(cJSON_GetObjectItem(d, "row_key")->valuestring, "Cascade Lake");
	const cJSON *id = cJSON_GetObjectItem(d, "identity");
	assert_string_equal(cJSON_GetObjectItem(id, "model_name")->valuestring, "Intel(R) Xeon(R) CPU @ 2.80GHz");
	assert_string_equal(cJSON_GetObjectItem(id, "cloud")->valuestring, "gcp");
	assert_int_equal(num(id, "model"), 85);
	const cJSON *t = cJSON_GetObjectItem(d, "tables");
	assert_int_equal(cJSON_GetArraySize(t), AIPM_EST_NTABLES);
	for (const cJSON *r = t->child; r; r = r->next)
		assert_true(strlen(cJSON_GetObjectItem(r, "version")->valuestring) > 0);
	assert_non_null(strstr(cJSON_GetObjectItem(d, "text")->valuestring, "Cascade Lake"));
	cJSON_Delete(d);
	aipm_buf_free(&b);
	aipm_pipeline_close(p);
}

/* ---- the derivation on hand-built snapshots (attrib.c) -------------- */

static struct aipm_catalog cat;

static void est_catalog(void)
{
	memset(&cat, 0, sizeof cat);
	struct aipm_cpu_power_model m = {
		.method = AIPM_EST_GENERIC_AVG,
		.table = AIPM_EST_TABLE_ARCH,
		.idle = {10, 5, 20},
		.full = {110, 55, 220},
		.ncpus = 4,
	};
	assert_int_equal(aipm_catalog_set_cpu_estimate(&cat, "test", &m), 0);
	assert_int_equal(aipm_catalog_set_cpu_estimate(&cat, "test", &m), -EEXIST);
}

/* Sample i at time t with cumulative ticks and the tree's and machine's
 * CPU time (ns) for the share. read=false: /proc/stat was not read. */
static void at(struct aipm_snapshot *s, double t, bool read, uint64_t busy, uint64_t total, uint64_t tree_ns,
	       uint64_t sys_busy_ns)
{
	assert_int_equal(aipm_snapshot_init(s, &cat), 0);
	rig_at(s, t);
	if (read)
		aipm_snapshot_set_cpu_load(s, busy, total);
	s->sys_valid = true;
	s->sys_busy_ns = sys_busy_ns;
	s->sys_total_ns = sys_busy_ns * 2;
	s->tree_valid = true;
	s->tree_cpu_ns = tree_ns;
}

#define S 1000000000ull

/* Item 4: the experiment's share of the estimate is tree_cpu_share, the
 * rule of measured energy, applied to the value and to both bounds. */
static void test_attributed_share_follows_the_measured_rule_bound_by_bound(void **state)
{
	(void)state;
	est_catalog();
	struct aipm_snapshot s[2];
	at(&s[0], 0, true, 0, 0, 0, 0);
	at(&s[1], 2, true, 300, 400, 1 * S, 4 * S); /* load 0.75; tree 1 s of 4 s busy */
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	assert_true(isnan(s[0].cpu_est.load)); /* no interval yet */
	assert_true(isnan(s[0].cpu_est.est.power.w));
	assert_near(s[0].cpu_est.est.energy.j, 0, 0);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	const struct aipm_cpu_estimate *e = &s[1].cpu_est.est;
	assert_near(s[1].tree_cpu_share, 0.25, 1e-12);
	assert_near(e->power.w, 10 + 100 * 0.75, 1e-9);
	assert_near(e->energy.j, 2 * 85.0, 1e-9);
	assert_near(e->attributed.j, 0.25 * e->energy.j, 1e-9);
	assert_near(e->attributed.low_j, 0.25 * e->energy.low_j, 1e-9);
	assert_near(e->attributed.high_j, 0.25 * e->energy.high_j, 1e-9);
	assert_true(e->attributed.low_j <= e->energy.low_j && e->attributed.high_j <= e->energy.high_j);
	assert_true(e->energy.low_j <= e->energy.j && e->energy.j <= e->energy.high_j);
	/* Measured CPU energy stays untouched: there is none. */
	assert_near(s[1].attributed_cpu_j, 0, 0);
	for (int i = 0; i < 2; i++)
		aipm_snapshot_free(&s[i]);
	aipm_catalog_free(&cat);
}

/* An interval without a tick of its own (shorter than USER_HZ allows) and
 * one whose read failed hold the counters: the next read covers the whole
 * span at its average load, the share weighted by time. Nothing lost,
 * nothing guessed: the total equals one interval over the span. */
static void test_intervals_without_a_load_are_covered_by_the_next(void **state)
{
	(void)state;
	est_catalog();
	struct aipm_snapshot s[4];
	at(&s[0], 0, true, 0, 0, 0, 0);
	at(&s[1], 1, true, 0, 0, 1 * S, 1 * S);        /* no tick elapsed; share 1 */
	at(&s[2], 2, false, 0, 0, 1 * S, 2 * S);       /* not read; share 0 */
	at(&s[3], 4, true, 200, 400, 1 * S, 4 * S);    /* share 0; load 0.5 over 4 s */
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	for (int i = 1; i < 4; i++) {
		aipm_snapshot_derive(&s[i], &s[i - 1], &s[0]);
		if (i < 3) {
			assert_true(isnan(s[i].cpu_est.load));
			assert_true(isnan(s[i].cpu_est.est.power.w));
			assert_near(s[i].cpu_est.est.energy.j, 0, 0);
		}
	}
	const struct aipm_cpu_estimate *e = &s[3].cpu_est.est;
	assert_near(s[3].cpu_est.load, 0.5, 1e-12);
	assert_near(e->energy.j, 4 * 60.0, 1e-9);
	/* share 1 for 1 s, 0 for 3 s: a quarter of the span's energy */
	assert_near(e->attributed.j, 0.25 * e->energy.j, 1e-9);
	assert_int_equal(e->intervals, 1);
	for (int i = 0; i < 4; i++)
		aipm_snapshot_free(&s[i]);
	aipm_catalog_free(&cat);
}

/* The exporter: the estimate under its own families, with bounds and the
 * method; never aipm_rapl_* or intel_power. */
static void test_prometheus_serves_the_estimate_apart(void **state)
{
	(void)state;
	est_catalog();
	struct aipm_snapshot s[2];
	at(&s[0], 0, true, 0, 0, 0, 0);
	at(&s[1], 1, true, 50, 100, 0, 1 * S);
	s[1].seq = 1;
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	struct aipm_buf b = {0};
	struct aipm_prom_input in = {.snap = &s[1]};
	assert_int_equal(aipm_prom_render(&b, &in), 0);
	static const char *const want[] = {
		"aipm_cpu_estimate_info{method=\"generic_average\",table=\"microarch_power\"} 1\n",
		"aipm_cpu_estimate_load_ratio{method=\"generic_average\"} 0.5\n",
		"aipm_cpu_estimated_power_watts{method=\"generic_average\"} 60\n",
		"aipm_cpu_estimated_power_low_watts{method=\"generic_average\"} 11.25\n",
		"aipm_cpu_estimated_energy_joules_total{method=\"generic_average\"} 60\n",
		"aipm_cpu_estimated_energy_low_joules_total{method=\"generic_average\"} 11.25\n",
		"# TYPE aipm_cpu_estimated_energy_high_joules_total counter\n",
		"# TYPE aipm_cpu_estimated_power_high_watts gauge\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!strstr(b.data, want[i]))
			fail_msg("no '%s' in:\n%s", want[i], b.data);
	assert_null(strstr(b.data, "aipm_rapl_"));
	assert_null(strstr(b.data, "\nintel_power"));
	aipm_buf_free(&b);
	for (int i = 0; i < 2; i++)
		aipm_snapshot_free(&s[i]);
	aipm_catalog_free(&cat);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_estimate_wiring FIXTURES_DIR (built by run.sh)\n");
		return 2;
	}
	fixtures = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_server_records_its_tdp_row),
		cmocka_unit_test(test_masked_cloud_cpu_records_its_architecture_row),
		cmocka_unit_test(test_unknown_cpu_records_the_generic_average),
		cmocka_unit_test(test_steal_time_is_not_load),
		cmocka_unit_test(test_readable_rapl_means_no_estimate),
		cmocka_unit_test(test_no_estimate_turns_it_off),
		cmocka_unit_test(test_details_name_method_identity_and_tables),
		cmocka_unit_test(test_attributed_share_follows_the_measured_rule_bound_by_bound),
		cmocka_unit_test(test_intervals_without_a_load_are_covered_by_the_next),
		cmocka_unit_test(test_prometheus_serves_the_estimate_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
