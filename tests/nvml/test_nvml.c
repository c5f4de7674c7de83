/* test_nvml.c: the NVML source and the "gpu" line fields, driven through
 * the source ops against the fake libnvidia-ml (tests/fakes/fake_nvml.c).
 *
 * Each test writes a script for the fake, opens the source as the sampler
 * would, takes samples at snapshot times 0.1 s apart, and checks what the
 * snapshot (and, for the writer, the JSON) says. A fake GPU's tick is its
 * sample number, so the scripted energy is known exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "../fakes/rig.h"
#include "attrib.h"
#include "membership.h"
#include "record/writer.h"
#include "source.h"
#include "sources/pidns.h"

static char script_path[256];
static cJSON *gpu_json(const struct aipm_snapshot *snap);

static const char *lib(const char *var)
{
	const char *p = getenv(var);
	assert_non_null(p);
	return p;
}

/* The library the next open_src() loads and the procfs it reads. */
static const char *nvml_lib;
static const char *proc_root;

/* Write the fake's script and point the fake and the product at it. */
static void script(const char *libvar, const char *text)
{
	snprintf(script_path, sizeof script_path, "/tmp/aipm-nvml-test-%d.ini", (int)getpid());
	FILE *f = fopen(script_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	setenv("AIPM_FAKE_NVML", script_path, 1); /* read by the fake, not by aipm */
	nvml_lib = lib(libvar);
}

/* One source, its catalog and the snapshots of a test. */
static struct aipm_catalog cat;
static struct aipm_membership mb;
static struct aipm_snapshot first, prev, cur;

static struct aipm_source *open_src(bool all_procs)
{
	mb = (struct aipm_membership){.self = getpid(), .gpu_all_processes = all_procs};
	struct aipm_source_config cfg = {.paths = {.nvml_lib = nvml_lib, .proc = proc_root}, .membership = &mb};
	struct aipm_source *s = NULL;
	memset(&cat, 0, sizeof cat);
	assert_int_equal(aipm_source_open(&aipm_source_nvml, &cfg, &cat, &s), 0);
	assert_non_null(s);
	assert_int_equal(aipm_snapshot_init(&first, &cat), 0);
	assert_int_equal(aipm_snapshot_init(&prev, &cat), 0);
	assert_int_equal(aipm_snapshot_init(&cur, &cat), 0);
	cur.gpu_all_processes = all_procs;
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

/* Sample k (1-based) at monotonic time (k-1) * 0.1 s, the slow tier every
 * 10th sample as the sampler does at -i 0.1 --mem-interval 1. */
static void sample(struct aipm_source *s, struct aipm_snapshot *snap, int k)
{
	bool all = snap->gpu_all_processes;
	assert_int_equal(rig_sample(s, snap, (uint64_t)(k - 1), 0.1 * (k - 1), (k - 1) % 10 == 0), 0);
	snap->gpu_all_processes = all;
}

/* The measured tree: pids in ascending order, as the process source keeps
 * it (after the sample: the step fills the table before deriving). */
static void set_tree(struct aipm_snapshot *snap, const pid_t *pids, size_t n)
{
	snap->nprocs = 0;
	for (size_t i = 0; i < n; i++)
		rig_proc(snap, pids[i], 0, 0);
}

/* Derive sample k as the step does, keeping first and prev. */
static void derive(int k)
{
	aipm_snapshot_derive(&cur, k == 1 ? NULL : &prev, k == 1 ? &cur : &first);
	if (k == 1)
		assert_int_equal(aipm_snapshot_copy(&first, &cur), 0);
	assert_int_equal(aipm_snapshot_copy(&prev, &cur), 0);
}

static const struct aipm_gpu_proc *gproc(const struct aipm_gpu_value *g, pid_t pid)
{
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid == pid)
			return &g->procs[i];
	return NULL;
}

static void assert_near(double got, double want, double rel)
{
	if (!(got >= want - rel * want && got <= want + rel * want))
		fail_msg("got %.6f, want %.6f within %.3f%%", got, want, rel * 100);
}

static void test_nvml_counter_and_integrated_energy_match_script(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB",
	       "count=2\n"
	       "gpu0.name=Fake V100\ngpu0.energy_start_mj=5000000\ngpu0.energy_step_mj=1500\n"
	       "gpu1.name=Fake P4\ngpu1.energy=none\ngpu1.power_mw=100000\ngpu1.power_step_mw=10000\n"
	       "gpu1.mem_total=8000000000\ngpu1.mem_used=2000000000\ngpu1.mem_reserved=300000000\ngpu1.temp=55\ngpu1.limit_mw=75000\n");
	struct aipm_source *s = open_src(false);
	assert_true(s->available);
	for (int k = 1; k <= 11; k++) {
		sample(s, &cur, k);
		if (k == 1)
			assert_int_equal(aipm_snapshot_copy(&first, &cur), 0);
	}
	assert_int_equal(cat.ndevices, 2);
	const struct aipm_gpu_value *c = &cur.gpus[0], *i = &cur.gpus[1];
	assert_string_equal(cat.devices[0].name, "Fake V100");
	assert_string_equal(cat.devices[0].uuid, "GPU-fake-0000");
	assert_string_equal(cat.devices[0].vendor, "nvidia");
	assert_false(cat.devices[0].energy_integrated);
	assert_true(cat.devices[1].energy_integrated);
	/* counter: 10 intervals of 1500 mJ */
	assert_near((double)(c->energy_mj - first.gpus[0].energy_mj), 15000, 0.001);
	/* integrated: power ramps 100 W -> 200 W over 1 s: 150 J */
	assert_near((double)(i->energy_mj - first.gpus[1].energy_mj), 150000, 0.001);
	assert_near(i->power_w, 200, 1e-9);
	unsigned all = AIPM_GPU_ENERGY | AIPM_GPU_POWER | AIPM_GPU_UTIL | AIPM_GPU_MEM | AIPM_GPU_TEMP |
		       AIPM_GPU_LIMIT | AIPM_GPU_PROC_UTIL | AIPM_GPU_PROC_MEM;
	assert_int_equal(i->fields & all, all); /* _v2 memory with the right version */
	assert_int_equal(i->mem_used_bytes, 2000000000ull); /* _v2: reserved included */
	assert_int_equal(i->mem_total_bytes, 8000000000ull);
	assert_near(i->temp_c, 55, 1e-9);
	assert_near(i->power_limit_w, 75, 1e-9);
	assert_int_equal(i->sm_util, 50);
	close_src(s);
}

static void test_nvml_pid_appearing_mid_run_is_attributed(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB", "count=1\ngpu0.energy_step_mj=1000\n"
				     "gpu0.proc=4242 60 1000000 5 0\ngpu0.proc=999 20 500000 1 0\n");
	struct aipm_source *s = open_src(false);
	pid_t tree[] = {100, 4242};
	for (int k = 1; k <= 10; k++) {
		sample(s, &cur, k);
		set_tree(&cur, tree, 2);
		derive(k);
		const struct aipm_gpu_value *g = &cur.gpus[0];
		const struct aipm_gpu_proc *p = gproc(g, 4242), *other = gproc(g, 999);
		assert_non_null(other);
		assert_false(other->in_experiment);
		if (k < 5) {
			assert_null(p);
			assert_near(g->exp_share + 1, 1, 1e-12);
		} else {
			assert_non_null(p);
			assert_true(p->in_experiment);
			assert_int_equal(p->sm_util, 60);
			assert_true(p->mem_valid);
			assert_int_equal(p->mem_bytes, 1000000);
			assert_near(g->exp_share, 0.75, 1e-9);
		}
	}
	/* 6 intervals (5->6 ... 9->10, and 4->5 where it appeared) at 0.75
	 * of 1 J each; before it appeared nothing was the experiment's. */
	assert_near(cur.gpus[0].attributed_energy_j, 6 * 0.75, 1e-9);
	assert_near(cur.attributed_gpu_j, 6 * 0.75, 1e-9);
	assert_true(cur.attributed_gpu_j <= cur.gpus[0].energy_j);
	close_src(s);
}

static void test_nvml_process_utilization_not_supported_falls_back_to_memory(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB", "count=1\ngpu0.putil=0\n"
				     "gpu0.proc=10 50 3000 1 0\ngpu0.proc=20 50 1000 1 0\n");
	struct aipm_source *s = open_src(false);
	pid_t tree[] = {10};
	for (int k = 1; k <= 3; k++)
		sample(s, &cur, k);
	set_tree(&cur, tree, 1);
	aipm_snapshot_derive(&cur, NULL, &cur);
	const struct aipm_gpu_value *g = &cur.gpus[0];
	assert_false(g->fields & AIPM_GPU_PROC_UTIL);
	assert_true(g->fields & AIPM_GPU_PROC_MEM);
	assert_int_equal(g->nprocs, 2);
	assert_int_equal(gproc(g, 10)->sm_util, 0);
	assert_near(g->exp_share, 0.75, 1e-9); /* 3000 of 4000 bytes */
	close_src(s);
}

static void test_nvml_insufficient_size_protocol_gets_every_process(void **state)
{
	(void)state;
	char text[8192] = "count=1\n";
	for (int p = 1; p <= 100; p++) /* more than the source's first buffer, and the old limit of 64 */
		snprintf(text + strlen(text), sizeof text - strlen(text), "gpu0.proc=%d 1 %d 1 0\n", 1000 + p,
			 p * 4096);
	script("AIPM_FAKE_NVML_LIB", text);
	struct aipm_source *s = open_src(false);
	sample(s, &cur, 1);
	sample(s, &cur, 2);
	const struct aipm_gpu_value *g = &cur.gpus[0];
	assert_int_equal(g->nprocs, 100);
	assert_true(g->procs_complete);
	for (int p = 1; p <= 100; p++) {
		const struct aipm_gpu_proc *gp = gproc(g, 1000 + p);
		assert_non_null(gp);
		assert_int_equal(gp->mem_bytes, (uint64_t)p * 4096);
		assert_int_equal(gp->sm_util, 1);
	}
	assert_string_equal(s->note, "");
	close_src(s);
}

/* Twenty GPUs (the old limit was 16), all measured. */
static void test_nvml_twenty_gpus_are_all_measured(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB", "count=20\n");
	struct aipm_source *s = open_src(false);
	assert_true(s->available);
	assert_int_equal(cat.ndevices, 20);
	sample(s, &cur, 1);
	sample(s, &cur, 2);
	for (size_t i = 0; i < 20; i++) {
		assert_int_equal(cat.devices[i].index, i);
		assert_true(cur.gpus[i].valid);
		assert_true(cur.gpus[i].fields & AIPM_GPU_POWER);
	}
	cJSON *g = gpu_json(&cur);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_power"), "19"));
	cJSON_Delete(g);
	close_src(s);
}

/* A process list that cannot be read whole (it keeps growing) leaves the
 * GPU's share unknown, never computed over the part that was read, and the
 * note says so. */
static void test_nvml_list_not_read_whole_is_said_and_has_no_share(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB", "count=2\ngpu0.always_more=1\ngpu0.proc=4242 60 1000000 1 0\n"
				     "gpu1.proc=4242 60 1000000 1 0\n");
	struct aipm_source *s = open_src(false);
	pid_t tree[] = {4242};
	for (int k = 1; k <= 3; k++) {
		sample(s, &cur, k);
		set_tree(&cur, tree, 1);
		derive(k);
	}
	assert_false(cur.gpus[0].procs_complete);
	assert_false(cur.gpus[0].share_valid);
	assert_true(cur.gpus[1].procs_complete);
	assert_true(cur.gpus[1].share_valid);
	assert_near(cur.gpus[1].exp_share, 1.0, 1e-12);
	assert_near(cur.gpus[0].attributed_energy_j + 1, 1, 1e-12);
	assert_non_null(strstr(s->note, "could not be read whole"));
	cJSON *g = gpu_json(&cur);
	cJSON *share = cJSON_GetObjectItem(g, "per_gpu_estimated_attributable_utilization");
	assert_null(cJSON_GetObjectItem(share, "0"));
	assert_non_null(cJSON_GetObjectItem(share, "1"));
	cJSON_Delete(g);
	close_src(s);
}

/* _v3 only (no _v2 exported), writing records of the given stride. */
static void check_stride(const char *libvar, int stride)
{
	char text[512];
	snprintf(text, sizeof text,
		 "count=1\nv3_stride=%d\ngpu0.proc=111 10 7000000 1 0\ngpu0.proc=222 10 8000000 1 0\n"
		 "gpu0.proc=333 10 9000000 1 0\n",
		 stride);
	script(libvar, text);
	struct aipm_source *s = open_src(false);
	for (int k = 1; k <= 3; k++) {
		sample(s, &cur, k);
		const struct aipm_gpu_value *g = &cur.gpus[0];
		assert_true(g->fields & AIPM_GPU_PROC_MEM);
		assert_int_equal(g->nprocs, 3);
		for (int p = 1; p <= 3; p++) {
			const struct aipm_gpu_proc *gp = gproc(g, 111 * p);
			if (!gp)
				fail_msg("stride %d: pid %d missing at sample %d", stride, 111 * p, k);
			assert_int_equal(gp->mem_bytes, 6000000ull + 1000000ull * (unsigned)p);
		}
	}
	close_src(s);
}

static void test_nvml_v3_with_32_byte_records_is_read_by_its_stride(void **state)
{
	(void)state;
	check_stride("AIPM_FAKE_NVML_LIB_V3", 32);
	check_stride("AIPM_FAKE_NVML_LIB_V3", 24);
	check_stride("AIPM_FAKE_NVML_LIB_V3", 16);
	check_stride("AIPM_FAKE_NVML_LIB_V1", 24); /* v1 only: 16-byte records */
}

static void test_nvml_counter_reset_never_goes_back(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB", "count=1\ngpu0.energy_start_mj=900000000\ngpu0.energy_step_mj=2000\n"
				     "gpu0.reset_at=6\n");
	struct aipm_source *s = open_src(false);
	uint64_t start = 0, last = 0;
	for (int k = 1; k <= 12; k++) {
		sample(s, &cur, k);
		uint64_t e = cur.gpus[0].energy_mj;
		if (k == 1)
			start = e;
		assert_true(e >= last);
		last = e;
	}
	assert_near((double)(last - start), 11 * 2000, 0.001);
	close_src(s);
}

static void test_nvml_gpu_lost_mid_run_keeps_energy(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB", "count=2\ngpu0.energy_step_mj=1000\ngpu0.lost_at=6\n"
				     "gpu0.proc=77 30 100 1 0\ngpu1.energy_step_mj=3000\n");
	struct aipm_source *s = open_src(false);
	uint64_t e0_before = 0, e0_first = 0, e1_first = 0;
	for (int k = 1; k <= 10; k++) {
		sample(s, &cur, k);
		if (k == 1) {
			e0_first = cur.gpus[0].energy_mj;
			e1_first = cur.gpus[1].energy_mj;
		}
		if (k == 5)
			e0_before = cur.gpus[0].energy_mj;
		assert_true(cur.gpus[1].valid);
		if (k >= 6) {
			assert_false(cur.gpus[0].valid);
			assert_int_equal(cur.gpus[0].fields, AIPM_GPU_ENERGY);
			assert_int_equal(cur.gpus[0].nprocs, 0);
			assert_int_equal(cur.gpus[0].energy_mj, e0_before);
		}
	}
	assert_near((double)(e0_before - e0_first), 4000, 0.001);
	/* a line where no GPU has power is still JSON, without the scalars */
	cur.gpus[1].valid = false;
	cur.gpus[1].fields = AIPM_GPU_ENERGY;
	cJSON *j = gpu_json(&cur);
	assert_null(cJSON_GetObjectItem(j, "nvidia_draw_absolute"));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "per_gpu_energy"), "1"));
	cJSON_Delete(j);
	assert_near((double)(cur.gpus[1].energy_mj - e1_first), 27000, 0.001);
	close_src(s);
}

static void test_nvml_no_library_is_unavailable_with_fix(void **state)
{
	(void)state;
	nvml_lib = "/nonexistent/libnvidia-ml.so.1";
	struct aipm_source *s = open_src(false);
	assert_false(s->available);
	assert_true(s->requested); /* a path was given: its absence is worth a line */
	assert_non_null(strstr(s->reason, "cannot load /nonexistent/libnvidia-ml.so.1"));
	assert_non_null(strstr(s->fix, "install the NVIDIA driver"));
	assert_int_equal(cat.ndevices, 0);
	assert_int_equal(rig_sample(s, &cur, 0, 0, true), 0);
	assert_int_equal(s->samples, 0); /* an unavailable source is not sampled */
	struct aipm_buf b = {0};
	aipm_writer_format_gpu(&b, &cur);
	assert_int_equal(b.len, 0);
	aipm_buf_free(&b);
	close_src(s);
}

static void test_nvml_driver_errors_are_unavailable_with_reason(void **state)
{
	(void)state;
	struct {
		const char *text, *reason, *fix;
	} cases[] = {
		{"count=1\ninit_rc=9\n", "Driver Not Loaded", "modprobe nvidia"},
		{"count=0\n", "no NVIDIA GPU found", ""},
		{"count=1\ngpu0.handle_rc=4\n", "none could be opened (GPU 0: Insufficient Permissions)", "/dev/nvidia"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		script("AIPM_FAKE_NVML_LIB", cases[c].text);
		struct aipm_source *s = open_src(false);
		assert_false(s->available);
		if (!strstr(s->reason, cases[c].reason) || !strstr(s->fix, cases[c].fix))
			fail_msg("case %zu: reason '%s' fix '%s'", c, s->reason, s->fix);
		close_src(s);
	}
	/* One GPU refused, the other kept with its own index, and said. */
	script("AIPM_FAKE_NVML_LIB", "count=2\ngpu0.handle_rc=4\ngpu1.mem2_rc=25\n");
	struct aipm_source *s = open_src(false);
	assert_true(s->available);
	assert_non_null(strstr(s->note, "1 of 2 GPUs could not be opened"));
	sample(s, &cur, 1);
	assert_int_equal(cat.ndevices, 1);
	assert_int_equal(cat.devices[0].index, 1);
	assert_true(cur.gpus[0].fields & AIPM_GPU_MEM); /* _v2 refused: v1 used */
	close_src(s);
}

static void test_nvml_utilization_held_between_driver_samples(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB", "count=1\ngpu0.util_every=3\ngpu0.proc=55 40 100 1 0\n");
	struct aipm_source *s = open_src(true);
	for (int k = 1; k <= 9; k++) {
		sample(s, &cur, k);
		aipm_snapshot_derive(&cur, NULL, &cur);
		const struct aipm_gpu_proc *p = gproc(&cur.gpus[0], 55);
		assert_non_null(p);
		assert_true(p->in_experiment); /* --gpu-all-processes */
		/* first driver sample at tick 3; held (NOT_FOUND) at 4 and 5 */
		assert_int_equal(p->sm_util, k < 3 ? 0 : 40);
	}
	assert_true(cur.gpu_all_processes);
	close_src(s);
}

static void mkfile(const char *dir, const char *sub, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, sub);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/%s/status", dir, sub);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_nvml_host_pids_mapped_through_nspid(void **state)
{
	(void)state;
	char root[] = "/tmp/aipm-nvml-proc-XXXXXX";
	assert_non_null(mkdtemp(root));
	/* aipm is pid 1 in a namespace below this procfs's: its NSpid has
	 * two entries. 5000 is its child (7 inside); 6000 lives elsewhere. */
	mkfile(root, "self", "Name:\taipm\nNSpid:\t4999\t1\n");
	mkfile(root, "4999", "Name:\taipm\nNSpid:\t4999\t1\n");
	mkfile(root, "5000", "Name:\ttrain\nNSpid:\t5000\t7\n");
	mkfile(root, "6000", "Name:\tother\nNSpid:\t6000\n");
	proc_root = root;
	assert_true(aipm_in_pid_namespace(root));
	script("AIPM_FAKE_NVML_LIB", "count=1\ngpu0.proc=5000 30 100 1 0\ngpu0.proc=6000 10 100 1 0\n");
	struct aipm_source *s = open_src(false);
	assert_non_null(strstr(s->reason, "--gpu-all-processes"));
	struct aipm_buf b = {0};
	aipm_source_nvml.describe(s, &b);
	aipm_buf_put(&b, "", 1);
	assert_non_null(strstr(b.data, "\"pid_namespace\": true"));
	assert_non_null(strstr(b.data, "\"energy_source\": \"counter\""));
	assert_non_null(strstr(b.data, "\"vendor\": \"nvidia\""));
	aipm_buf_free(&b);
	pid_t tree[] = {1, 7};
	sample(s, &cur, 1);
	sample(s, &cur, 2);
	set_tree(&cur, tree, 2);
	aipm_snapshot_derive(&cur, NULL, &cur);
	const struct aipm_gpu_value *g = &cur.gpus[0];
	assert_non_null(gproc(g, 7));
	assert_true(gproc(g, 7)->in_experiment);
	assert_non_null(gproc(g, 0)); /* 6000: not visible from aipm's namespace */
	assert_false(gproc(g, 0)->in_experiment);
	assert_null(gproc(g, 5000));
	close_src(s);
	proc_root = NULL;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static cJSON *gpu_json(const struct aipm_snapshot *snap)
{
	struct aipm_buf b = {0};
	aipm_buf_puts(&b, "{\"cpu\": {}");
	aipm_writer_format_gpu(&b, snap);
	aipm_buf_puts(&b, "}");
	aipm_buf_put(&b, "", 1);
	assert_false(b.oom);
	cJSON *j = cJSON_Parse(b.data);
	if (!j)
		fail_msg("not JSON: %s", b.data);
	aipm_buf_free(&b);
	cJSON *gpu = cJSON_DetachItemFromObject(j, "gpu");
	cJSON_Delete(j);
	assert_non_null(gpu);
	return gpu;
}

static double num(const cJSON *o, const char *k1, const char *k2)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k1);
	if (v && k2)
		v = cJSON_GetObjectItemCaseSensitive(v, k2);
	if (!cJSON_IsNumber(v))
		fail_msg("no number at %s%s%s", k1, k2 ? "." : "", k2 ? k2 : "");
	return v->valuedouble;
}

static void test_nvml_line_fields_have_aipowermeter_names_and_units(void **state)
{
	(void)state;
	script("AIPM_FAKE_NVML_LIB",
	       "count=2\ngpu0.energy_step_mj=20000\ngpu0.power_mw=200000\ngpu0.util=80\n"
	       "gpu0.proc=4242 60 1000000 1 0\ngpu0.proc=999 20 500000 1 0\n"
	       "gpu1.energy=none\ngpu1.power_mw=50000\ngpu1.lost_at=3\n");
	struct aipm_source *s = open_src(false);
	pid_t tree[] = {4242};
	cJSON *g = NULL;
	for (int k = 1; k <= 4; k++) {
		sample(s, &cur, k);
		set_tree(&cur, tree, 1);
		derive(k);
		if (k == 2)
			g = gpu_json(&cur);
	}
	/* Both GPUs answer: totals over both, powers over the interval (GPU 1
	 * from its integrated readings) */
	assert_near(num(g, "nvidia_power", NULL), 250, 1e-9);
	assert_near(num(g, "nvidia_draw_absolute", NULL), 250, 1e-9); /* the readings: 200 W + 50 W */
	assert_near(num(g, "per_gpu_nvidia_power", "1"), 50, 1e-9);
	cJSON_Delete(g);
	g = gpu_json(&cur);
	/* GPU 1 is lost: its power is unknown, so is every total (null where
	 * AIPowerMeter's loader needs the key); GPU 1 keeps its energy */
	assert_null(cJSON_GetObjectItem(g, "nvidia_draw_absolute"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(g, "nvidia_power")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(g, "nvidia_memory")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(g, "nvidia_use_rate")));
	assert_null(cJSON_GetObjectItem(g, "nvidia_attributable_power"));
	assert_near(num(g, "per_gpu_nvidia_power", "0"), 200, 1e-9);
	assert_near(num(g, "per_gpu_power_draw", "0"), 200, 1e-9);
	assert_near(num(g, "per_gpu_power", "0"), 200, 1e-9);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_power_draw"), "1"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_nvidia_power"), "1"));
	assert_near(num(g, "per_gpu_estimated_attributable_utilization", "0"), 0.75, 1e-9);
	assert_near(num(g, "per_gpu_attributable_power", "0"), 150, 1e-9);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_attributable_power"), "all"));
	/* AIPowerMeter's: the experiment's processes' SM use, a fraction */
	assert_near(num(g, "per_gpu_absolute_percent_usage", "0"), 0.6, 1e-9);
	assert_near(num(g, "per_gpu_use_rate", "0"), 80, 1e-9);
	assert_near(num(g, "per_gpu_nvidia_use_rate", "0"), 80, 1e-9);
	assert_near(num(g, "per_gpu_memory", "0"), 1073741824.0, 1e-9);
	assert_near(num(g, "per_gpu_nvidia_memory", "0"), 1073741824.0, 1e-9);
	cJSON *mem = cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_attributable_mem_use"), "0");
	assert_near(num(mem, "4242", NULL), 1000000, 1e-9);
	assert_null(cJSON_GetObjectItem(mem, "999")); /* not the experiment's */
	cJSON *use = cJSON_GetObjectItem(cJSON_GetObjectItem(g, "per_gpu_per_pid_utilization_absolute"), "0");
	assert_near(num(use, "4242", NULL), 0.6, 1e-9);
	assert_near(num(g, "per_gpu_energy", "0"), 60, 1e-9); /* 3 x 20 J */
	assert_near(num(g, "per_gpu_attributed_energy", "0"), 45, 1e-9);
	/* lost at sample 3: one interval of 50 W over 0.1 s integrated */
	assert_near(num(g, "per_gpu_energy", "1"), 5, 1e-3);
	assert_near(num(g, "per_gpu_energy_integrated", "1"), 1, 0);
	assert_near(num(g, "per_gpu_energy_integrated", "0") + 1, 1, 0);
	assert_near(num(g, "per_gpu_temperature", "0"), 40, 1e-9);
	assert_near(num(g, "per_gpu_power_limit", "0"), 250, 1e-9);
	cJSON_Delete(g);
	close_src(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvml_counter_and_integrated_energy_match_script),
		cmocka_unit_test(test_nvml_pid_appearing_mid_run_is_attributed),
		cmocka_unit_test(test_nvml_process_utilization_not_supported_falls_back_to_memory),
		cmocka_unit_test(test_nvml_insufficient_size_protocol_gets_every_process),
		cmocka_unit_test(test_nvml_twenty_gpus_are_all_measured),
		cmocka_unit_test(test_nvml_list_not_read_whole_is_said_and_has_no_share),
		cmocka_unit_test(test_nvml_v3_with_32_byte_records_is_read_by_its_stride),
		cmocka_unit_test(test_nvml_counter_reset_never_goes_back),
		cmocka_unit_test(test_nvml_gpu_lost_mid_run_keeps_energy),
		cmocka_unit_test(test_nvml_no_library_is_unavailable_with_fix),
		cmocka_unit_test(test_nvml_driver_errors_are_unavailable_with_reason),
		cmocka_unit_test(test_nvml_utilization_held_between_driver_samples),
		cmocka_unit_test(test_nvml_host_pids_mapped_through_nspid),
		cmocka_unit_test(test_nvml_line_fields_have_aipowermeter_names_and_units),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(script_path);
	return rc;
}
