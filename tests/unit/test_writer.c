/* test_writer.c: the JSON line format (docs/recording.md): valid JSON,
 * AIPowerMeter's shapes, missing values absent, numbers in the C locale. */
#include <cjson/cJSON.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"
#include "record/writer.h"

static struct aipm_catalog cat;
static int d_pkg, d_dram, t_ok, t_bad;

/* A catalog (package, maybe dram, two sensors) and two derived snapshots
 * one second apart. */
static void two(struct aipm_snapshot *a, struct aipm_snapshot *b, bool dram)
{
	memset(&cat, 0, sizeof cat);
	d_pkg = rig_domain(&cat, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	d_dram = dram ? rig_domain(&cat, "dram-0", AIPM_DOMAIN_DRAM, 0) : -1;
	t_ok = rig_sensor(&cat, "coretemp/Package id 0");
	t_bad = rig_sensor(&cat, "nvme/Composite");
	assert_int_equal(aipm_snapshot_init(a, &cat), 0);
	assert_int_equal(aipm_snapshot_init(b, &cat), 0);
	b->mono.tv_sec = 1;
	b->real.tv_sec = 1795634401;
	b->real.tv_nsec = 123456000;
	b->seq = 1;
	for (int k = 0; k < 2; k++) {
		struct aipm_snapshot *s = k ? b : a;
		aipm_snapshot_set_energy(s, d_pkg, k ? 1500000 : 0, true);
		if (dram)
			aipm_snapshot_set_energy(s, d_dram, k ? 250000 : 0, true);
		s->sys_valid = s->meminfo_valid = true;
		s->sys_busy_ns = k ? 1000000000 : 0;
		s->tree_cpu_ns = k ? 500000000 : 0;
		s->mem_total_bytes = 1000;
		s->mem_available_bytes = 500;
		struct aipm_proc *p = rig_proc(s, 4242, k ? 500000000 : 0, 100);
		p->uss_bytes = 80;
		aipm_snapshot_set_sensor(s, t_ok, 45.0);
		/* t_bad: unreadable (EIO), never set */
	}
	aipm_snapshot_derive(a, NULL, a);
	aipm_snapshot_derive(b, a, a);
}

static void done(struct aipm_snapshot *a, struct aipm_snapshot *b)
{
	aipm_snapshot_free(a);
	aipm_snapshot_free(b);
	aipm_catalog_free(&cat);
}

static cJSON *format(const struct aipm_snapshot *s)
{
	struct aipm_buf b = {0};
	aipm_writer_format(&b, s);
	assert_null(strchr(b.data, '\n'));
	cJSON *j = cJSON_Parse(b.data);
	if (!j)
		fail_msg("not JSON: %s", b.data);
	aipm_buf_free(&b);
	return j;
}

static void test_writer_line_has_seed_fields_and_cumulative_energy(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	two(&a, &b, true);
	cJSON *j = format(&b);
	cJSON *cpu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "cpu");
	assert_float_equal(cJSON_GetObjectItem(cpu, "intel_power")->valuedouble, 1.5, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cpu, "total_dram_power")->valuedouble, 0.25, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "per_zone_energy"), "package-0")->valuedouble,
			   1.5, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "per_process_cpu_uses"), "4242")->valuedouble,
			   0.5, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "attributed_energy"), "cpu")->valuedouble,
			   0.75, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cpu, "rel_intel_power")->valuedouble, 0.75, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "per_process_mem_use_abs"), "4242")->valuedouble,
			   100, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cpu, "total_mem_use")->valuedouble, 500, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(j, "timestamp")->valuedouble, 1795634401.123456, 1e-6);
	/* Every value under "cpu" is a number or an object of numbers. */
	for (cJSON *it = cpu->child; it; it = it->next) {
		if (cJSON_IsObject(it))
			for (cJSON *v = it->child; v; v = v->next)
				assert_true(cJSON_IsNumber(v));
		else
			assert_true(cJSON_IsNumber(it));
	}
	cJSON_Delete(j);
	done(&a, &b);
}

static void test_writer_leaves_missing_zones_out(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	two(&a, &b, false);
	cJSON *j = format(&b);
	cJSON *cpu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "cpu");
	assert_null(cJSON_GetObjectItem(cpu, "total_dram_power"));
	assert_null(cJSON_GetObjectItem(cpu, "per_process_dram_power"));
	assert_null(cJSON_GetObjectItem(cpu, "psys_power"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "attributed_energy"), "dram"));
	cJSON_Delete(j);
	/* The first line has no interval: energies (0) but no powers. */
	j = format(&a);
	cpu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "cpu");
	assert_null(cJSON_GetObjectItem(cpu, "intel_power"));
	assert_non_null(cJSON_GetObjectItem(cpu, "per_zone_energy"));
	cJSON_Delete(j);
	done(&a, &b);
}

static void test_writer_numbers_ignore_a_comma_locale(void **state)
{
	(void)state;
	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && !setlocale(LC_NUMERIC, "fr_FR.UTF-8") &&
	    !setlocale(LC_NUMERIC, "C.UTF-8"))
		skip();
	struct aipm_snapshot a, b;
	two(&a, &b, true);
	struct aipm_buf buf = {0};
	aipm_writer_format(&buf, &b);
	assert_non_null(strstr(buf.data, "\"intel_power\": 1.5"));
	aipm_buf_free(&buf);
	setlocale(LC_NUMERIC, "C");
	done(&a, &b);
}

static void test_writer_escapes_names(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	two(&a, &b, false);
	snprintf(cat.sensors[t_ok].name, sizeof cat.sensors[t_ok].name, "chip\"x\\/t\n1");
	aipm_snapshot_set_sensor(&b, t_ok, 41.5);
	cJSON *j = format(&b);
	cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "temperature");
	assert_float_equal(cJSON_GetObjectItem(t, "chip\"x\\/t\n1")->valuedouble, 41.5, 1e-9);
	cJSON_Delete(j);
	done(&a, &b);
}

/* An unreadable sensor (EIO, ENODATA) is absent, never 0 degrees; with no
 * sensor read at all there is no "temperature" object. */
static void test_writer_unreadable_temperature_is_absent(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	two(&a, &b, false);
	cJSON *j = format(&b);
	cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "temperature");
	assert_non_null(t);
	assert_float_equal(cJSON_GetObjectItem(t, "coretemp/Package id 0")->valuedouble, 45.0, 1e-9);
	assert_null(cJSON_GetObjectItem(t, "nvme/Composite"));
	cJSON_Delete(j);
	b.sensors[t_ok].valid = false;
	j = format(&b);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "temperature"));
	cJSON_Delete(j);
	done(&a, &b);
}

static void test_writer_marks_an_off_grid_line_with_edge(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	two(&a, &b, false);
	cJSON *j = format(&b);
	assert_null(cJSON_GetObjectItem(j, "edge"));
	cJSON_Delete(j);
	snprintf(b.edge, sizeof b.edge, "phase train begin");
	j = format(&b);
	assert_string_equal(cJSON_GetObjectItem(j, "edge")->valuestring, "phase train begin");
	assert_non_null(cJSON_GetObjectItem(j, "metrics"));
	cJSON_Delete(j);
	done(&a, &b);
}

/* NVIDIA under "gpu" (AIPowerMeter's keys), AMD under "amd_gpu": GPU "0"
 * of each vendor, two GPUs, never one key. */
static void test_writer_puts_each_gpu_vendor_in_its_own_section(void **state)
{
	(void)state;
	struct aipm_catalog c = {0};
	int nv = rig_device(&c, "nvidia", 0, "V100");
	int amd = rig_device(&c, "amd", 0, "MI250");
	struct aipm_snapshot s[2];
	for (int k = 0; k < 2; k++) {
		assert_int_equal(aipm_snapshot_init(&s[k], &c), 0);
		rig_at(&s[k], k);
		s[k].seq = (uint64_t)k;
		for (int g = 0; g < 2; g++) {
			struct aipm_gpu_value *v = &s[k].gpus[g];
			v->valid = true;
			v->fields = AIPM_GPU_ENERGY | AIPM_GPU_POWER | AIPM_GPU_PROC_UTIL;
			v->power_w = g ? 300 : 100;
			v->energy_mj = (uint64_t)k * (g ? 300000u : 100000u);
			v->procs_complete = g == nv; /* AMD's list was not read whole */
		}
	}
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	cJSON *j = format(&s[1]);
	cJSON *m = cJSON_GetObjectItem(j, "metrics");
	cJSON *g = cJSON_GetObjectItem(m, "gpu"), *a = cJSON_GetObjectItem(m, "amd_gpu");
	assert_non_null(g);
	assert_non_null(a);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_energy"), "0")->valuedouble, 100, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "per_gpu_energy"), "0")->valuedouble, 300, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(g, "nvidia_power")->valuedouble, 100, 1e-9); /* NVIDIA only */
	assert_null(cJSON_GetObjectItem(a, "nvidia_power"));
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "per_gpu_power"), "0")->valuedouble, 300, 1e-9);
	/* AMD's share is unknown (incomplete list): absent, not 0 */
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "per_gpu_estimated_attributable_utilization"), "0"));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_estimated_attributable_utilization"), "0"));
	(void)amd;
	cJSON_Delete(j);
	aipm_snapshot_free(&s[0]);
	aipm_snapshot_free(&s[1]);
	aipm_catalog_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_line_has_seed_fields_and_cumulative_energy),
		cmocka_unit_test(test_writer_leaves_missing_zones_out),
		cmocka_unit_test(test_writer_numbers_ignore_a_comma_locale),
		cmocka_unit_test(test_writer_escapes_names),
		cmocka_unit_test(test_writer_unreadable_temperature_is_absent),
		cmocka_unit_test(test_writer_marks_an_off_grid_line_with_edge),
		cmocka_unit_test(test_writer_puts_each_gpu_vendor_in_its_own_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
