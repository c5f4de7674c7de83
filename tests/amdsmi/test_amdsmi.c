/* test_amdsmi.c: the AMD SMI source against the fake libamd_smi
 * (tests/fakes/fake_amdsmi.c), driven through the source ops as the
 * sampler's step drives them. A fake GPU's tick is its energy read count
 * (tick 1 at open, tick k+1 at sample k), so the scripted energy is known
 * exactly: accumulator step x resolution per sample. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"
#include "membership.h"
#include "record/writer.h"
#include "source.h"

static char script_path[256];
static const char *amd_lib;
static struct aipm_catalog cat;
static struct aipm_membership mb;
static struct aipm_snapshot first, prev, cur;

static void script(const char *text)
{
	snprintf(script_path, sizeof script_path, "/tmp/aipm-amdsmi-test-%d.ini", (int)getpid());
	FILE *f = fopen(script_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	setenv("AIPM_FAKE_AMDSMI", script_path, 1); /* read by the fake, not by aipm */
	amd_lib = getenv("AIPM_FAKE_AMDSMI_LIB");
	assert_non_null(amd_lib);
}

static struct aipm_source *open_src(void)
{
	mb = (struct aipm_membership){.self = getpid()};
	struct aipm_source_config cfg = {.paths = {.amdsmi_lib = amd_lib}, .membership = &mb};
	struct aipm_source *s = NULL;
	memset(&cat, 0, sizeof cat);
	assert_int_equal(aipm_source_open(&aipm_source_amdsmi, &cfg, &cat, &s), 0);
	assert_int_equal(aipm_snapshot_init(&first, &cat), 0);
	assert_int_equal(aipm_snapshot_init(&prev, &cat), 0);
	assert_int_equal(aipm_snapshot_init(&cur, &cat), 0);
	return s;
}

static void close_src(struct aipm_source *s)
{
	aipm_snapshot_free(&first);
	aipm_snapshot_free(&prev);
	aipm_snapshot_free(&cur);
	s->ops->close(s);
	aipm_catalog_free(&cat);
}

/* Sample k (1-based) at (k-1) x 0.1 s, then the tree, then derive. */
static void step(struct aipm_source *s, int k, const pid_t *tree, size_t n)
{
	assert_int_equal(rig_sample(s, &cur, (uint64_t)(k - 1), 0.1 * (k - 1), (k - 1) % 10 == 0), 0);
	for (size_t i = 0; i < n; i++)
		rig_proc(&cur, tree[i], 0, 0);
	aipm_snapshot_derive(&cur, k == 1 ? NULL : &prev, k == 1 ? &cur : &first);
	if (k == 1)
		assert_int_equal(aipm_snapshot_copy(&first, &cur), 0);
	assert_int_equal(aipm_snapshot_copy(&prev, &cur), 0);
}

static void test_amdsmi_publishes_gpus_and_counts_energy_exactly(void **state)
{
	(void)state;
	script("count=2\nsockets=2\ncpus=1\n"
	       "gpu0.name=AMD Instinct MI250X\ngpu0.uuid=fa-01\ngpu0.energy_step=4000\n"
	       "gpu1.energy_step=2000\ngpu1.resolution=1\n");
	struct aipm_source *s = open_src();
	assert_true(s->available);
	assert_int_equal(cat.ndevices, 2); /* the CPUs each socket lists are not GPUs */
	assert_string_equal(cat.devices[0].vendor, "amd");
	assert_string_equal(cat.devices[0].name, "AMD Instinct MI250X");
	assert_string_equal(cat.devices[0].uuid, "fa-01");
	assert_string_equal(cat.devices[0].source, "amdsmi");
	assert_int_equal(cat.devices[1].index, 1);
	assert_false(cat.devices[0].energy_integrated);
	for (int k = 1; k <= 11; k++)
		step(s, k, NULL, 0);
	/* 10 intervals of 4000 x 15.25 uJ = 61 mJ, and of 2000 x 1 uJ */
	assert_float_equal(cur.gpus[0].energy_j, 10 * 4000 * 15.25e-6, 1e-3);
	assert_float_equal(cur.gpus[1].energy_j, 10 * 2000 * 1e-6, 1e-3);
	assert_true(cur.gpus[0].fields & AIPM_GPU_POWER);
	assert_float_equal(cur.gpus[0].power_w, 300, 1e-9);
	assert_int_equal(cur.gpus[0].sm_util, 60);
	assert_int_equal(cur.gpus[0].mem_util, 20);
	assert_int_equal(cur.gpus[0].mem_used_bytes, 1024ull << 20);
	assert_int_equal(cur.gpus[0].mem_total_bytes, 65536ull << 20);
	assert_float_equal(cur.gpus[0].temp_c, 45, 1e-9);    /* degrees, as 24.6 returns */
	assert_float_equal(cur.gpus[0].power_limit_w, 500, 1e-9); /* power1_cap in uW */
	struct aipm_buf b = {0};
	s->ops->describe(s, &b);
	aipm_buf_put(&b, "", 1);
	cJSON *d = cJSON_Parse(b.data);
	assert_non_null(d);
	assert_string_equal(cJSON_GetObjectItem(d, "vendor")->valuestring, "amd");
	cJSON *g0 = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "gpus"), 0);
	assert_string_equal(cJSON_GetObjectItem(g0, "energy_source")->valuestring, "counter");
	assert_string_equal(cJSON_GetObjectItem(g0, "uuid")->valuestring, "fa-01");
	assert_int_equal(cJSON_GetObjectItem(g0, "index")->valueint, 0);
	cJSON_Delete(d);
	aipm_buf_free(&b);
	close_src(s);
}

static void test_amdsmi_counter_wraps_and_glitches_never_go_back_or_leap(void **state)
{
	(void)state;
	/* 32-bit counter 6 steps below its wrap; a one-sample leap of 2^40 */
	char text[256];
	snprintf(text, sizeof text, "count=2\ngpu0.wrap32=1\ngpu0.energy_start=%llu\ngpu0.energy_step=1000\n"
				    "gpu0.resolution=1\ngpu1.jump_at=5\ngpu1.energy_step=1000\ngpu1.resolution=1\n",
		 4294967296ull - 6000);
	script(text);
	struct aipm_source *s = open_src();
	double last = 0;
	for (int k = 1; k <= 11; k++) {
		step(s, k, NULL, 0);
		assert_true(cur.gpus[0].energy_j >= last);
		last = cur.gpus[0].energy_j;
	}
	assert_float_equal(cur.gpus[0].energy_j, 10 * 1000e-6, 1e-9); /* through the wrap */
	/* the one-sample leap (tick 5) is dropped and the counter read on
	 * from before it: exactly the 10 real steps, not 2^40 uJ */
	assert_float_equal(cur.gpus[1].energy_j, 10 * 1000e-6, 1e-9);
	assert_non_null(strstr(s->note, "counter glitches"));
	close_src(s);
}

static void test_amdsmi_without_counter_integrates_average_power(void **state)
{
	(void)state;
	script("count=1\ngpu0.energy=none\ngpu0.avg_only=1\ngpu0.power_w=200\ngpu0.edge=none\n");
	struct aipm_source *s = open_src();
	assert_true(cat.devices[0].energy_integrated);
	for (int k = 1; k <= 11; k++)
		step(s, k, NULL, 0);
	assert_float_equal(cur.gpus[0].power_w, 200, 1e-9); /* the average where there is no current */
	assert_float_equal(cur.gpus[0].energy_j, 200.0, 1e-6); /* 200 W over 1 s */
	assert_float_equal(cur.gpus[0].temp_c, 55, 1e-9); /* no edge sensor: the hotspot */
	close_src(s);
}

static void test_amdsmi_process_use_from_gfx_time_and_membership_in_attribution(void **state)
{
	(void)state;
	/* 4242 keeps GFX busy 75 ms of each 100 ms tick, 999 25 ms */
	script("count=1\ngpu0.energy_step=65574\n" /* ~1 J per sample at 15.25 uJ */
	       "gpu0.proc=4242 1000000 75000000 1 0\ngpu0.proc=999 500000 25000000 1 0\n");
	struct aipm_source *s = open_src();
	pid_t tree[] = {4242};
	for (int k = 1; k <= 5; k++)
		step(s, k, tree, 1);
	const struct aipm_gpu_value *g = &cur.gpus[0];
	assert_int_equal(g->nprocs, 2);
	assert_true(g->fields & AIPM_GPU_PROC_UTIL);
	assert_true(g->procs_complete);
	const struct aipm_gpu_proc *p = &g->procs[0], *o = &g->procs[1];
	assert_int_equal(p->pid, 4242);
	assert_int_equal(p->sm_util, 75);
	assert_int_equal(p->mem_bytes, 1000000);
	assert_true(p->in_experiment);
	assert_false(o->in_experiment);
	assert_float_equal(g->exp_share, 0.75, 1e-9);
	assert_true(g->attributed_energy_j <= g->energy_j);
	assert_float_equal(g->attributed_energy_j, 0.75 * g->energy_j, 0.02);
	close_src(s);
}

static void test_amdsmi_list_not_read_whole_leaves_the_share_unknown(void **state)
{
	(void)state;
	script("count=1\ngpu0.always_more=1\ngpu0.proc=4242 1000000 75000000 1 0\n");
	struct aipm_source *s = open_src();
	pid_t tree[] = {4242};
	for (int k = 1; k <= 3; k++)
		step(s, k, tree, 1);
	assert_false(cur.gpus[0].procs_complete);
	assert_false(cur.gpus[0].share_valid);
	assert_float_equal(cur.gpus[0].attributed_energy_j, 0, 1e-12);
	assert_non_null(strstr(s->note, "could not be read whole"));
	close_src(s);
}

/* Before AMD SMI 24.6 the process list returned handles, not records: it
 * is not called, so the share is unknown rather than read from garbage. */
static void test_amdsmi_before_24_6_has_no_per_process_use(void **state)
{
	(void)state;
	script("count=1\nversion=24.5\ngpu0.proc=4242 1000000 75000000 1 0\n");
	struct aipm_source *s = open_src();
	assert_true(s->available);
	assert_non_null(strstr(s->reason, "no per-process use"));
	pid_t tree[] = {4242};
	for (int k = 1; k <= 3; k++)
		step(s, k, tree, 1);
	assert_int_equal(cur.gpus[0].nprocs, 0);
	assert_false(cur.gpus[0].share_valid);
	close_src(s);
}

static void test_amdsmi_unavailable_says_why_and_how_to_fix(void **state)
{
	(void)state;
	struct {
		const char *text, *reason, *fix;
	} cases[] = {
		{"count=1\ninit_rc=34\n", "Driver not loaded", "modprobe amdgpu"},
		{"count=1\ninit_rc=10\n", "Permission denied", "render and video groups"},
		{"count=0\n", "no AMD GPU found", ""},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		script(cases[c].text);
		struct aipm_source *s = open_src();
		assert_false(s->available);
		if (!strstr(s->reason, cases[c].reason) || !strstr(s->fix, cases[c].fix))
			fail_msg("case %zu: reason '%s' fix '%s'", c, s->reason, s->fix);
		assert_int_equal(cat.ndevices, 0);
		close_src(s);
	}
	amd_lib = "/nonexistent/libamd_smi.so";
	struct aipm_source *s = open_src();
	assert_false(s->available);
	assert_true(s->requested);
	assert_non_null(strstr(s->reason, "cannot load /nonexistent/libamd_smi.so"));
	assert_non_null(strstr(s->fix, "AIPM_AMDSMI_LIB"));
	close_src(s);
}

/* The line: AMD under "amd_gpu", keyed by AMD's own index. */
static void test_amdsmi_line_goes_under_amd_gpu(void **state)
{
	(void)state;
	script("count=1\ngpu0.energy_step=65574\ngpu0.proc=4242 1000000 75000000 1 0\n");
	struct aipm_source *s = open_src();
	pid_t tree[] = {4242};
	for (int k = 1; k <= 3; k++)
		step(s, k, tree, 1);
	struct aipm_buf b = {0};
	aipm_buf_puts(&b, "{\"cpu\": {}");
	aipm_writer_format_gpu(&b, &cur);
	aipm_buf_puts(&b, "}");
	aipm_buf_put(&b, "", 1);
	cJSON *j = cJSON_Parse(b.data);
	assert_non_null(j);
	assert_null(cJSON_GetObjectItem(j, "gpu"));
	cJSON *a = cJSON_GetObjectItem(j, "amd_gpu");
	assert_non_null(a);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "per_gpu_energy"), "0")->valuedouble,
			   cur.gpus[0].energy_j, 1e-9);
	cJSON *use = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "per_gpu_per_pid_utilization_absolute"), "0");
	assert_float_equal(cJSON_GetObjectItem(use, "4242")->valuedouble, 0.75, 1e-9); /* AIPowerMeter's fraction */
	cJSON_Delete(j);
	aipm_buf_free(&b);
	close_src(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amdsmi_publishes_gpus_and_counts_energy_exactly),
		cmocka_unit_test(test_amdsmi_counter_wraps_and_glitches_never_go_back_or_leap),
		cmocka_unit_test(test_amdsmi_without_counter_integrates_average_power),
		cmocka_unit_test(test_amdsmi_process_use_from_gfx_time_and_membership_in_attribution),
		cmocka_unit_test(test_amdsmi_list_not_read_whole_leaves_the_share_unknown),
		cmocka_unit_test(test_amdsmi_before_24_6_has_no_per_process_use),
		cmocka_unit_test(test_amdsmi_unavailable_says_why_and_how_to_fix),
		cmocka_unit_test(test_amdsmi_line_goes_under_amd_gpu),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(script_path);
	return rc;
}
