/* test_prometheus.c: the exposition formatter on hand-made snapshots.
 * Pins what Prometheus's parser and its users rely on: escaping, one
 * HELP/TYPE per family before its samples, contiguous families, no series
 * (and never NaN) for what was not read, a final newline, the C locale. */
#include <locale.h>
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
#include "export/prometheus.h"

/* A laptop's catalog (package, core, psys; every source; optionally an
 * NVIDIA and an AMD GPU and two sensors) and one derived-looking snapshot. */
static struct aipm_catalog cat;
enum { D_PKG, D_CORE, D_PSYS };
enum { S_RAPL, S_PROCFS, S_NVML, S_AMDSMI, S_HWMON };

static struct aipm_snapshot *laptop_with(bool gpus, bool sensors)
{
	memset(&cat, 0, sizeof cat);
	rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	rig_domain(&cat, "core-0", AIPM_DOMAIN_CORE, 0);
	rig_domain(&cat, "psys", AIPM_DOMAIN_PSYS, -1);
	const char *names[] = {"rapl", "procfs", "nvml", "amdsmi", "hwmon"};
	for (size_t i = 0; i < 5; i++)
		aipm_catalog_add_source(&cat, names[i]);
	if (gpus) {
		rig_device(&cat, "nvidia", 0, "NVIDIA A100");
		rig_device(&cat, "nvidia", 1, "T4");
		rig_device(&cat, "amd", 0, "MI250");
		snprintf(cat.devices[0].uuid, sizeof cat.devices[0].uuid, "GPU-1");
		snprintf(cat.devices[1].uuid, sizeof cat.devices[1].uuid, "GPU-2");
	}
	if (sensors) {
		rig_sensor(&cat, "a\\b\"c\nd");
		rig_sensor(&cat, "nvme/Composite");
	}
	struct aipm_snapshot *s = calloc(1, sizeof *s);
	assert_int_equal(aipm_snapshot_init(s, &cat), 0);
	s->seq = 3;
	s->interval_s = 0.5;
	s->real.tv_sec = 1700000000;
	const double power[] = {40, 25, 60}, energy[] = {123.5, 60, 200};
	for (int i = 0; i < 3; i++)
		s->domains[i] = (struct aipm_domain_value){.valid = true, .power_w = power[i], .energy_j = energy[i]};
	s->source_ok[S_RAPL] = s->source_ok[S_PROCFS] = true;
	s->sys_valid = s->meminfo_valid = true;
	s->mem_total_bytes = 8ull << 30;
	s->mem_available_bytes = 6ull << 30;
	return s;
}

static struct aipm_snapshot *laptop(void) { return laptop_with(false, false); }

static char *render(const struct aipm_prom_input *in)
{
	struct aipm_buf b = {0};
	assert_int_equal(aipm_prom_render(&b, in), 0);
	return b.data; /* caller frees */
}

static char *render_snap(const struct aipm_snapshot *s)
{
	struct aipm_prom_input in = {.snap = s};
	return render(&in);
}

static void free_snap(struct aipm_snapshot *s)
{
	aipm_snapshot_free(s);
	free(s);
	aipm_catalog_free(&cat);
}

/* Every "# TYPE name" appears once, after its HELP, and all samples of a
 * family follow it contiguously (a family seen again later is an error). */
static void check_well_formed(const char *text)
{
	assert_non_null(text);
	size_t len = strlen(text);
	assert_true(len > 0);
	assert_int_equal(text[len - 1], '\n');
	char seen[64][64];
	size_t nseen = 0;
	char cur[64] = "";
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		char line[1024];
		size_t n = (size_t)(nl - p);
		assert_true(n < sizeof line);
		memcpy(line, p, n);
		line[n] = 0;
		p = nl + 1;
		assert_true(n > 0); /* no blank lines from us */
		if (!strncmp(line, "# HELP ", 7)) {
			char name[64];
			assert_int_equal(sscanf(line + 7, "%63s", name), 1);
			for (size_t i = 0; i < nseen; i++)
				assert_string_not_equal(seen[i], name);
			snprintf(seen[nseen++], sizeof seen[0], "%s", name);
			snprintf(cur, sizeof cur, "%s", name);
			/* TYPE comes next */
			char want[128];
			snprintf(want, sizeof want, "# TYPE %s ", name);
			assert_memory_equal(p, want, strlen(want));
			p = strchr(p, '\n') + 1;
			continue;
		}
		assert_true(line[0] != '#');
		/* a sample belongs to the current family */
		size_t cl = strlen(cur);
		assert_true(cl > 0);
		assert_memory_equal(line, cur, cl);
		assert_true(line[cl] == '{' || line[cl] == ' ');
		/* never NaN for a value: missing means no series */
		const char *v = strrchr(line, ' ');
		assert_non_null(v);
		assert_string_not_equal(v + 1, "NaN");
	}
}

static void test_prom_laptop_series_and_labels(void **state)
{
	(void)state;
	struct aipm_snapshot *s = laptop();
	char *t = render_snap(s);
	check_well_formed(t);
	assert_non_null(strstr(t, "# TYPE aipm_rapl_energy_joules_total counter\n"));
	assert_non_null(strstr(t, "aipm_rapl_energy_joules_total{zone=\"package-0\",kind=\"package\",socket=\"0\"} 123.5\n"));
	/* psys belongs to no socket: the label is absent, not "-1" */
	assert_non_null(strstr(t, "aipm_rapl_energy_joules_total{zone=\"psys\",kind=\"psys\"} 200\n"));
	assert_non_null(strstr(t, "aipm_rapl_power_watts{zone=\"package-0\",kind=\"package\",socket=\"0\"} 40\n"));
	assert_non_null(strstr(t, "aipm_source_up{source=\"rapl\"} 1\n"));
	assert_non_null(strstr(t, "aipm_source_up{source=\"nvml\"} 0\n"));
	assert_non_null(strstr(t, "aipm_memory_used_bytes 2147483648\n"));
	assert_non_null(strstr(t, "\nintel_power 40\n"));
	assert_non_null(strstr(t, "\npower_draw_cpu 25\n"));
	assert_non_null(strstr(t, "\nmem_used_cpu 2147483648\n"));
	assert_non_null(strstr(t, "aipm_up 1\n"));
	/* no GPU: no GPU series, and no AIPowerMeter GPU gauge at 0 */
	assert_null(strstr(t, "aipm_gpu_"));
	assert_null(strstr(t, "power_draw_gpu"));
	assert_null(strstr(t, "aipm_process_"));
	free(t);
	free_snap(s);
}

static void test_prom_missing_zone_has_no_series(void **state)
{
	(void)state;
	struct aipm_snapshot *s = laptop();
	s->domains[D_CORE].valid = false;    /* core unreadable this sample */
	s->domains[D_PKG].power_w = NAN;     /* power not derivable */
	char *t = render_snap(s);
	check_well_formed(t);
	assert_null(strstr(t, "zone=\"core-0\""));
	assert_null(strstr(t, "power_draw_cpu"));
	assert_null(strstr(t, "aipm_rapl_power_watts{zone=\"package-0\""));
	assert_non_null(strstr(t, "aipm_rapl_energy_joules_total{zone=\"package-0\""));
	assert_null(strstr(t, "NaN"));
	free(t);

	/* First sample: energies (0 so far) but no powers at all. */
	s->domains[D_CORE].valid = true;
	s->domains[D_PKG].power_w = 40;
	s->seq = 0;
	s->interval_s = 0;
	t = render_snap(s);
	check_well_formed(t);
	assert_null(strstr(t, "aipm_rapl_power_watts"));
	assert_null(strstr(t, "intel_power"));
	assert_non_null(strstr(t, "aipm_rapl_energy_joules_total"));
	free(t);

	/* No RAPL at all: source down, no RAPL family, still well formed. */
	free_snap(s);
	s = laptop();
	s->source_ok[S_RAPL] = false;
	cat.ndomains = 0;
	t = render_snap(s);
	check_well_formed(t);
	assert_non_null(strstr(t, "aipm_source_up{source=\"rapl\"} 0\n"));
	assert_null(strstr(t, "aipm_rapl_"));
	free(t);
	free_snap(s);
}

static void test_prom_escapes_label_values(void **state)
{
	(void)state;
	struct aipm_snapshot *s = laptop_with(false, true);
	aipm_snapshot_set_sensor(s, 0, 41.5);
	struct aipm_prom_proc p = {.pid = 42, .cpu_share = 0.5, .power_w = 20};
	/* a process may name itself anything, including invalid UTF-8 */
	strcpy(p.comm, "x)\xff\xc3\xa9\xed\xa0\x80");
	struct aipm_prom_input in = {.snap = s, .procs_enabled = true, .procs = &p, .nprocs = 1};
	char *t = render(&in);
	check_well_formed(t);
	assert_non_null(strstr(t, "aipm_temperature_celsius{sensor=\"a\\\\b\\\"c\\nd\"} 41.5\n"));
	/* 0xff and the encoded surrogate become U+FFFD; é stays */
	assert_non_null(strstr(t, "aipm_process_power_watts{pid=\"42\",comm=\"x)\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 20\n"));
	assert_non_null(strstr(t, "aipm_process_cpu_ratio{pid=\"42\""));
	free(t);
	free_snap(s);
}

/* An unreadable sensor (EIO, ENODATA) has no series: never 0 degrees. */
static void test_prom_unreadable_temperature_has_no_series(void **state)
{
	(void)state;
	struct aipm_snapshot *s = laptop_with(false, true);
	aipm_snapshot_set_sensor(s, 0, 41.5);
	char *t = render_snap(s);
	check_well_formed(t);
	assert_non_null(strstr(t, "aipm_temperature_celsius{sensor="));
	assert_null(strstr(t, "nvme/Composite"));
	free(t);
	s->sensors[0].valid = false;
	t = render_snap(s);
	check_well_formed(t);
	assert_null(strstr(t, "aipm_temperature_celsius"));
	free(t);
	free_snap(s);
}

static void test_prom_gpu_fields_follow_validity_bits(void **state)
{
	(void)state;
	struct aipm_snapshot *s = laptop_with(true, false);
	s->source_ok[S_NVML] = s->source_ok[S_AMDSMI] = true;
	s->gpus[0] = (struct aipm_gpu_value){.valid = true,
					     .fields = AIPM_GPU_ENERGY | AIPM_GPU_POWER | AIPM_GPU_UTIL | AIPM_GPU_MEM,
					     .energy_j = 1000, .power_w = 250, .sm_util = 75, .mem_used_bytes = 1024,
					     .mem_total_bytes = 4096};
	/* second GPU: power only, no utilisation support */
	s->gpus[1] = (struct aipm_gpu_value){.valid = true, .fields = AIPM_GPU_POWER, .power_w = 50};
	s->gpus[2] = (struct aipm_gpu_value){.valid = true, .fields = AIPM_GPU_ENERGY | AIPM_GPU_POWER,
					     .energy_j = 7, .power_w = 100};
	char *t = render_snap(s);
	check_well_formed(t);
	assert_non_null(strstr(
		t, "aipm_gpu_energy_joules_total{vendor=\"nvidia\",gpu=\"0\",name=\"NVIDIA A100\",uuid=\"GPU-1\"} 1000\n"));
	assert_non_null(strstr(
		t, "aipm_gpu_utilization_ratio{vendor=\"nvidia\",gpu=\"0\",name=\"NVIDIA A100\",uuid=\"GPU-1\"} 0.75\n"));
	/* GPU "0" of AMD is another GPU: told apart by the vendor label */
	assert_non_null(strstr(t, "aipm_gpu_energy_joules_total{vendor=\"amd\",gpu=\"0\",name=\"MI250\",uuid=\"amd-0\"} 7\n"));
	assert_null(strstr(t, "aipm_gpu_utilization_ratio{vendor=\"nvidia\",gpu=\"1\""));
	assert_null(strstr(t, "aipm_gpu_energy_joules_total{vendor=\"nvidia\",gpu=\"1\""));
	assert_non_null(strstr(t, "aipm_source_up{source=\"nvml\"} 1\n"));
	assert_non_null(strstr(t, "aipm_source_up{source=\"amdsmi\"} 1\n"));
	assert_non_null(strstr(t, "\npower_draw_gpu 400\n"));
	assert_non_null(strstr(t, "\nmem_used_gpu 1024\n"));
	free(t);
	free_snap(s);
}

/* aipm_source_up comes from each source's health in the sample, for every
 * source of the catalog: a source that failed its sample is down. */
static void test_prom_source_up_follows_health(void **state)
{
	(void)state;
	struct aipm_snapshot *s = laptop();
	char *t = render_snap(s);
	assert_non_null(strstr(t, "aipm_source_up{source=\"rapl\"} 1\n"));
	assert_non_null(strstr(t, "aipm_source_up{source=\"amdsmi\"} 0\n"));
	assert_non_null(strstr(t, "aipm_source_up{source=\"hwmon\"} 0\n"));
	free(t);
	s->source_ok[S_RAPL] = false; /* its sample() failed */
	t = render_snap(s);
	assert_non_null(strstr(t, "aipm_source_up{source=\"rapl\"} 0\n"));
	free(t);
	free_snap(s);
}

static void test_prom_numbers_ignore_the_locale(void **state)
{
	(void)state;
	/* A comma locale if the system has one; the C locale otherwise (the
	 * check then still holds, it just proves less). */
	const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
	if (!loc)
		loc = setlocale(LC_NUMERIC, "fr_FR.UTF-8");
	struct aipm_snapshot *s = laptop();
	char *t = render_snap(s);
	assert_non_null(strstr(t, "} 123.5\n"));
	free(t);
	setlocale(LC_NUMERIC, "C");
	struct aipm_buf b = {0};
	aipm_prom_value(&b, NAN);
	aipm_buf_puts(&b, " ");
	aipm_prom_value(&b, INFINITY);
	aipm_buf_puts(&b, " ");
	aipm_prom_value(&b, -INFINITY);
	assert_string_equal(b.data, "NaN +Inf -Inf");
	aipm_buf_free(&b);
	free_snap(s);
}

/* --processes: busiest first, ties to the lower pid, idle processes left
 * out, n bounds the count, power = share x package power only with RAPL. */
static void test_prom_top_procs_ranks_by_share_and_needs_rapl_for_watts(void **state)
{
	(void)state;
	struct aipm_snapshot *s = laptop();
	const struct {
		pid_t pid;
		double share;
	} in[] = {{1, 0.1}, {7, 0}, {9, 0.5}, {12, 0.2}, {30, 0.5}, {41, 0.05}};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(in); i++) {
		struct aipm_proc *p = rig_proc(s, in[i].pid, 0, 0);
		p->cpu_share = in[i].share;
		snprintf(p->comm, sizeof p->comm, "p%d", (int)in[i].pid);
	}
	struct aipm_prom_proc top[8];
	assert_int_equal(aipm_prom_top_procs(s, top, 3), 3);
	assert_int_equal(top[0].pid, 9);
	assert_int_equal(top[1].pid, 30);
	assert_int_equal(top[2].pid, 12);
	assert_string_equal(top[2].comm, "p12");
	assert_true(fabs(top[0].power_w - 0.5 * 40) < 1e-9); /* package-0 draws 40 W */
	/* more room than busy processes: the idle pid 7 stays out */
	assert_int_equal(aipm_prom_top_procs(s, top, 8), 5);
	assert_int_equal(top[4].pid, 41);
	for (size_t i = 0; i < 5; i++)
		assert_int_not_equal(top[i].pid, 7);
	/* the first sample has no interval: shares, but no watts */
	s->seq = 0;
	assert_int_equal(aipm_prom_top_procs(s, top, 2), 2);
	assert_true(isnan(top[0].power_w));
	struct aipm_prom_input pin = {.snap = s, .procs_enabled = true, .procs = top, .nprocs = 2};
	char *t = render(&pin);
	check_well_formed(t);
	assert_null(strstr(t, "aipm_process_power_watts"));
	char *a = strstr(t, "aipm_process_cpu_ratio{pid=\"9\",comm=\"p9\"} 0.5\n");
	char *b = strstr(t, "aipm_process_cpu_ratio{pid=\"30\",comm=\"p30\"} 0.5\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	free(t);
	/* a snapshot without a process list gives none */
	s->tree_valid = false;
	assert_int_equal(aipm_prom_top_procs(s, top, 3), 0);
	free_snap(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_laptop_series_and_labels),
		cmocka_unit_test(test_prom_missing_zone_has_no_series),
		cmocka_unit_test(test_prom_escapes_label_values),
		cmocka_unit_test(test_prom_gpu_fields_follow_validity_bits),
		cmocka_unit_test(test_prom_unreadable_temperature_has_no_series),
		cmocka_unit_test(test_prom_source_up_follows_health),
		cmocka_unit_test(test_prom_numbers_ignore_the_locale),
		cmocka_unit_test(test_prom_top_procs_ranks_by_share_and_needs_rapl_for_watts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
