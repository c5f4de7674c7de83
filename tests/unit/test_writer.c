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
		s->sys_user_system_ns = k ? 800000000 : 0;
		s->tree_cpu_ns = k ? 500000000 : 0;
		s->mem_total_bytes = 1000;
		s->mem_available_bytes = 500;
		s->mem_free_bytes = 200;
		s->mem_buffers_bytes = 50;
		s->mem_cached_bytes = 100;
		s->mem_sreclaimable_bytes = 50;
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

static double pid_value(const cJSON *cpu, const char *key, const char *pid)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, key), pid);
	if (!cJSON_IsNumber(v))
		fail_msg("no %s.%s", key, pid);
	return v->valuedouble;
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
	/* AIPowerMeter's CPU use is over user+system (0.8 s), aipm's share
	 * over the busy time (1 s); the CPU time is that of the interval */
	assert_float_equal(pid_value(cpu, "per_process_cpu_uses", "4242"), 0.625, 1e-9);
	assert_float_equal(pid_value(cpu, "per_process_cpu_share", "4242"), 0.5, 1e-9);
	assert_float_equal(pid_value(cpu, "absolute_cpu_time_per_pid", "4242"), 0.5, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "attributed_energy"), "cpu")->valuedouble,
			   0.75, 1e-9);
	assert_float_equal(pid_value(cpu, "rel_intel_power", "4242"), 0.625 * 1.5, 1e-6);
	assert_float_equal(pid_value(cpu, "per_process_mem_use_abs", "4242"), 100, 1e-9);
	/* psutil's used: total - free - buffers - cached - SReclaimable */
	assert_float_equal(cJSON_GetObjectItem(cpu, "total_mem_use")->valuedouble, 600, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cpu, "machine_mem_unavailable")->valuedouble, 500, 1e-9);
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

static double object_sum(const cJSON *o)
{
	double sum = 0;
	for (const cJSON *v = o ? o->child : NULL; v; v = v->next)
		sum += v->valuedouble;
	return sum;
}

/* A tree of 500 idle processes and one busy one, plus CPU time of children
 * that ended in the interval: each per-process object lists at most
 * AIPM_WRITER_PROCS_MAX processes, the rest summed under "other", so the
 * line stays small and each object still adds up to the tree's value. */
static void test_writer_lists_only_processes_with_something_to_say(void **state)
{
	(void)state;
	struct aipm_catalog c = {0};
	int pkg = rig_domain(&c, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	struct aipm_snapshot s[2];
	for (int k = 0; k < 2; k++) {
		assert_int_equal(aipm_snapshot_init(&s[k], &c), 0);
		rig_at(&s[k], 0.1 * k);
		aipm_snapshot_set_energy(&s[k], pkg, k ? 4000000 : 0, true);
		s[k].sys_valid = s[k].meminfo_valid = true;
		s[k].sys_busy_ns = s[k].sys_user_system_ns = k ? 200000000 : 0;
		s[k].mem_total_bytes = 1u << 30;
		s[k].mem_available_bytes = 1u << 29;
		uint64_t tree = 0;
		for (int i = 0; i < 501; i++) {
			uint64_t cpu = i == 250 && k ? 90000000 : 1000; /* one busy process */
			rig_proc(&s[k], 1000 + i, cpu, 4096 + (uint64_t)i)->uss_bytes = 1024;
			tree += cpu;
		}
		s[k].tree_cpu_ns = tree + (k ? 5000000 : 0); /* + 5 ms of ended children */
	}
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	struct aipm_buf b = {0};
	aipm_writer_format(&b, &s[1]);
	assert_true(b.len < 2048);
	cJSON *j = format(&s[1]);
	cJSON *cpu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "cpu");
	cJSON *t = cJSON_GetObjectItem(cpu, "absolute_cpu_time_per_pid");
	/* the busy one, and the ended children's time under "other" */
	assert_int_equal(cJSON_GetArraySize(t), 2);
	assert_float_equal(cJSON_GetObjectItem(t, "1250")->valuedouble, 0.089999, 1e-6);
	assert_float_equal(object_sum(t), 0.094999, 1e-6);
	assert_float_equal(object_sum(cJSON_GetObjectItem(cpu, "per_process_cpu_uses")), 0.094999 / 0.2, 1e-6);
	cJSON *pss = cJSON_GetObjectItem(cpu, "per_process_mem_use_abs");
	assert_int_equal(cJSON_GetArraySize(pss), AIPM_WRITER_PROCS_MAX + 1);
	assert_non_null(cJSON_GetObjectItem(pss, "1500")); /* the largest */
	assert_float_equal(object_sum(pss), (double)s[1].tree_pss_bytes, 0.5);
	assert_float_equal(cJSON_GetObjectItem(cpu, "experiment_mem_pss")->valuedouble, 501 * 4096 + 500 * 501 / 2, 0.5);
	assert_float_equal(object_sum(cJSON_GetObjectItem(cpu, "per_process_mem_use_uss")), 501 * 1024, 0.5);
	cJSON_Delete(j);
	aipm_buf_free(&b);
	aipm_snapshot_free(&s[0]);
	aipm_snapshot_free(&s[1]);
	aipm_catalog_free(&c);
}

/* A child reaped between its parent's read and its own is in neither for
 * one sample (the tree's total holds), then whole in the parent's child
 * time: the lines' CPU times must still sum to the tree's, not count the
 * parent's interval twice. */
static void test_writer_cpu_times_sum_to_the_tree_when_its_total_lags(void **state)
{
	(void)state;
	struct aipm_catalog c = {0};
	rig_domain(&c, "package-0", AIPM_DOMAIN_PACKAGE, 0);
	struct aipm_snapshot s[3];
	const uint64_t ms = 1000000;
	uint64_t parent[] = {100 * ms, 150 * ms, 200 * ms}, tree[] = {150 * ms, 150 * ms, 270 * ms};
	double sum = 0;
	for (int k = 0; k < 3; k++) {
		assert_int_equal(aipm_snapshot_init(&s[k], &c), 0);
		rig_at(&s[k], 0.1 * k);
		s[k].sys_valid = true;
		s[k].sys_busy_ns = s[k].sys_user_system_ns = (uint64_t)k * 200 * ms;
		rig_proc(&s[k], 100, parent[k], 0);
		if (k == 0)
			rig_proc(&s[k], 101, 50 * ms, 0); /* the child, gone at k = 1 */
		s[k].tree_cpu_ns = tree[k];
		aipm_snapshot_derive(&s[k], k ? &s[k - 1] : NULL, &s[0]);
		if (k) {
			cJSON *j = format(&s[k]);
			sum += object_sum(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "cpu"),
							      "absolute_cpu_time_per_pid"));
			cJSON_Delete(j);
		}
	}
	assert_float_equal(sum, 0.120, 1e-9); /* 270 - 150 ms, not 170 */
	for (int k = 0; k < 3; k++)
		aipm_snapshot_free(&s[k]);
	aipm_catalog_free(&c);
}

/* AIPowerMeter's loader needs the six NVIDIA keys on every line with a
 * "gpu" section: totals null when a GPU did not answer, never 0; and
 * total_power_draw finds nvidia_draw_absolute under "cpu". */
static void test_writer_nvidia_section_has_the_loader_keys(void **state)
{
	(void)state;
	struct aipm_catalog c = {0};
	rig_device(&c, "nvidia", 0, "A100");
	rig_device(&c, "nvidia", 1, "A100");
	struct aipm_snapshot s[2];
	for (int k = 0; k < 2; k++) {
		assert_int_equal(aipm_snapshot_init(&s[k], &c), 0);
		rig_at(&s[k], 0.5 * k);
		for (int g = 0; g < 2; g++) {
			struct aipm_gpu_value *v = &s[k].gpus[g];
			v->valid = true;
			v->fields = AIPM_GPU_ENERGY | AIPM_GPU_POWER | AIPM_GPU_UTIL | AIPM_GPU_MEM;
			v->power_w = 99; /* the reading; the interval's power comes from energy */
			v->energy_mj = (uint64_t)k * (g ? 50000u : 100000u);
			v->sm_util = g ? 20 : 60;
			v->mem_used_bytes = g ? 1000 : 3000;
		}
	}
	aipm_snapshot_derive(&s[0], NULL, &s[0]);
	aipm_snapshot_derive(&s[1], &s[0], &s[0]);
	cJSON *j = format(&s[1]);
	cJSON *m = cJSON_GetObjectItem(j, "metrics"), *g = cJSON_GetObjectItem(m, "gpu");
	assert_float_equal(cJSON_GetObjectItem(g, "nvidia_power")->valuedouble, 300, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(g, "nvidia_memory")->valuedouble, 4000, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(g, "nvidia_use_rate")->valuedouble, 40, 1e-9);
	assert_float_equal(pid_value(g, "per_gpu_nvidia_power", "1"), 100, 1e-9);
	assert_float_equal(pid_value(g, "per_gpu_nvidia_memory", "0"), 3000, 1e-9);
	assert_float_equal(pid_value(g, "per_gpu_nvidia_use_rate", "1"), 20, 1e-9);
	assert_float_equal(pid_value(g, "per_gpu_power", "0"), 99, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(g, "nvidia_draw_absolute")->valuedouble, 198, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "cpu"), "nvidia_draw_absolute")->valuedouble, 198,
			   1e-9);
	cJSON_Delete(j);
	s[1].gpus[1].fields &= ~(unsigned)AIPM_GPU_MEM; /* GPU 1's memory was not read */
	j = format(&s[1]);
	g = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "gpu");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(g, "nvidia_memory")));
	assert_float_equal(cJSON_GetObjectItem(g, "nvidia_power")->valuedouble, 300, 1e-9);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_nvidia_memory"), "1"));
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
		cmocka_unit_test(test_writer_lists_only_processes_with_something_to_say),
		cmocka_unit_test(test_writer_nvidia_section_has_the_loader_keys),
		cmocka_unit_test(test_writer_cpu_times_sum_to_the_tree_when_its_total_lags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
