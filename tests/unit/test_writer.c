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

#include "attrib.h"
#include "record/writer.h"

static void two(struct aipm_snapshot *a, struct aipm_snapshot *b, bool dram)
{
	aipm_snapshot_init(a);
	aipm_snapshot_init(b);
	b->mono.tv_sec = 1;
	b->real.tv_sec = 1795634401;
	b->real.tv_nsec = 123456000;
	b->seq = 1;
	for (int k = 0; k < 2; k++) {
		struct aipm_snapshot *s = k ? b : a;
		s->rapl_valid = s->tree_valid = s->sys_valid = true;
		s->nzones = dram ? 2 : 1;
		snprintf(s->zones[0].name, sizeof s->zones[0].name, "package-0");
		s->zones[0].kind = AIPM_ZONE_PACKAGE;
		s->zones[0].valid = true;
		s->zones[0].energy_uj = k ? 1500000 : 0;
		if (dram) {
			snprintf(s->zones[1].name, sizeof s->zones[1].name, "dram-0");
			s->zones[1].kind = AIPM_ZONE_DRAM;
			s->zones[1].valid = true;
			s->zones[1].energy_uj = k ? 250000 : 0;
		}
		s->sys_busy_ticks = k ? 100 : 0;
		s->tree_cpu_ticks = k ? 50 : 0;
		s->mem_total_bytes = 1000;
		s->mem_available_bytes = 500;
		aipm_snapshot_reserve_procs(s, 1);
		s->nprocs = 1;
		memset(&s->procs[0], 0, sizeof s->procs[0]);
		s->procs[0].pid = 4242;
		s->procs[0].cpu_ticks = k ? 50 : 0;
		s->procs[0].mem_valid = true;
		s->procs[0].pss_bytes = 100;
		s->procs[0].uss_bytes = 80;
	}
	aipm_snapshot_derive(a, NULL, a);
	aipm_snapshot_derive(b, a, a);
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
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
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
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
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
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
}

static void test_writer_escapes_names(void **state)
{
	(void)state;
	struct aipm_snapshot a, b;
	two(&a, &b, false);
	b.ntemps = 1;
	snprintf(b.temps[0].name, sizeof b.temps[0].name, "chip\"x\\/t\n1");
	b.temps[0].celsius = 41.5;
	cJSON *j = format(&b);
	cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "temperature");
	assert_float_equal(cJSON_GetObjectItem(t, "chip\"x\\/t\n1")->valuedouble, 41.5, 1e-9);
	cJSON_Delete(j);
	aipm_snapshot_free(&a);
	aipm_snapshot_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_line_has_seed_fields_and_cumulative_energy),
		cmocka_unit_test(test_writer_leaves_missing_zones_out),
		cmocka_unit_test(test_writer_numbers_ignore_a_comma_locale),
		cmocka_unit_test(test_writer_escapes_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
