/* test_scope_fake.c: discovery, reading, resolution and enumeration
 * against fake cgroup trees (tests/fixtures/mkcgroup.py), through the real
 * openat/pread/getdents paths. The builder's manifest.json is the truth:
 * every scope it made must be found by its name, with its labels, and
 * every enumeration must list exactly the scopes of its kind. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "aipm.h"
#include "scope/cgroup.h"
#include "scope/names.h"

static char dir[256], cg[300], proc[300];
static cJSON *manifest;
static struct aipm_cgroup_fs fs;

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void build(const char *layouts)
{
	const char *src = getenv("AIPM_SRC");
	assert_non_null(src);
	sh("rm -rf '%s/cg' '%s/proc' && python3 '%s/tests/fixtures/mkcgroup.py' make '%s' --proc '%s' %s", dir, dir, src,
	   cg, proc, layouts);
	char path[400], *text;
	snprintf(path, sizeof path, "%s/manifest.json", cg);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, 1 << 20);
	assert_true(fread(text, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	cJSON_Delete(manifest);
	manifest = cJSON_Parse(text);
	free(text);
	assert_non_null(manifest);
	aipm_cgroup_fs_close(&fs);
	assert_int_equal(aipm_cgroup_fs_open(&fs, proc, cg), 0);
}

static const char *all = "slurm-jobid slurm-sluid docker-systemd docker-cgroupfs podman k8s-systemd k8s-cgroupfs";

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/aipm-scope-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cg, sizeof cg, "%s/cg", dir);
	snprintf(proc, sizeof proc, "%s/proc", dir);
	fs.dirfd = -1;
	build(all);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	aipm_cgroup_fs_close(&fs);
	cJSON_Delete(manifest);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void assert_labels(const cJSON *want, const struct aipm_scope *got)
{
	assert_string_equal(got->cgroup, str(want, "cgroup"));
	assert_string_equal(got->slurm_job, str(want, "slurm_job"));
	assert_string_equal(got->slurm_sluid, str(want, "slurm_sluid"));
	assert_string_equal(got->slurm_step, str(want, "slurm_step"));
	assert_string_equal(got->container_id, str(want, "container_id"));
	assert_string_equal(got->runtime, str(want, "runtime"));
	assert_string_equal(got->pod_uid, str(want, "pod_uid"));
	assert_string_equal(got->qos, str(want, "qos"));
}

static void write_file(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_discovery_ranks_mounts_and_tells_hybrid_from_pure(void **state)
{
	(void)state;
	struct aipm_cgroup_fs f;
	char mi[2048];
	/* cgroup2 alone: pure; its directory is the fake tree */
	snprintf(mi, sizeof mi, "22 1 0:20 / /proc rw - proc proc rw\n41 31 0:38 / %s rw,nosuid - cgroup2 cgroup2 rw\n", cg);
	write_file("proc/self/mountinfo", mi);
	assert_int_equal(aipm_cgroup_fs_open(&f, proc, NULL), 0);
	assert_int_equal(f.layout, AIPM_CGROUP_PURE);
	assert_string_equal(f.mount_point, cg);
	assert_string_equal(f.self, "/");
	aipm_cgroup_fs_close(&f);
	/* with v1 hierarchies beside it: hybrid, and the sentence says why
	 * memory.* is missing */
	snprintf(mi, sizeof mi, "32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
				"41 31 0:38 / %s rw - cgroup2 cgroup2 rw\n", cg);
	write_file("proc/self/mountinfo", mi);
	assert_int_equal(aipm_cgroup_fs_open(&f, proc, NULL), 0);
	assert_int_equal(f.layout, AIPM_CGROUP_HYBRID);
	assert_non_null(strstr(f.describe, "memory.* is absent"));
	aipm_cgroup_fs_close(&f);
	/* /sys/fs/cgroup outranks any other cgroup2 mount (here it is no
	 * cgroup tree, so opening it fails and says so) */
	snprintf(mi, sizeof mi, "41 31 0:38 / %s rw - cgroup2 cgroup2 rw\n"
				"42 31 0:39 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", cg);
	write_file("proc/self/mountinfo", mi);
	if (access("/sys/fs/cgroup/cgroup.procs", F_OK) < 0) {
		assert_true(aipm_cgroup_fs_open(&f, proc, NULL) < 0);
		assert_non_null(strstr(aipm_error_last(), "/sys/fs/cgroup"));
	}
	/* v1 only: no cgroup v2 here, with what to do */
	write_file("proc/self/mountinfo", "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
	assert_int_equal(aipm_cgroup_fs_open(&f, proc, NULL), -ENOENT);
	assert_non_null(strstr(aipm_error_last(), "no cgroup v2 here"));
	unlink(strcat(strcpy(mi, proc), "/self/mountinfo"));
}

static void test_a_subtree_mount_maps_paths_and_refuses_outside_ones(void **state)
{
	(void)state;
	struct aipm_cgroup_fs f;
	char mi[1024], k8s[400];
	snprintf(k8s, sizeof k8s, "%s/kubepods.slice", cg);
	snprintf(mi, sizeof mi, "41 31 0:38 /kubepods.slice %s rw - cgroup2 cgroup2 rw\n", k8s);
	write_file("proc/self/mountinfo", mi);
	write_file("proc/self/cgroup", "0::/kubepods.slice/kubepods-besteffort.slice\n");
	assert_int_equal(aipm_cgroup_fs_open(&f, proc, NULL), 0);
	assert_string_equal(f.mount_root, "/kubepods.slice");
	int fd = aipm_cgroup_open_dir(&f, "/kubepods.slice/kubepods-besteffort.slice");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(aipm_cgroup_open_dir(&f, "/system.slice"), -EXDEV);
	struct aipm_scope_query q;
	struct aipm_scope_list l;
	aipm_scope_query_init(&q, AIPM_SCOPES_PODS);
	assert_int_equal(aipm_scope_enumerate(&f, &q, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(strncmp(l.v[0].cgroup, "/kubepods.slice/", 16), 0);
	aipm_scope_list_free(&l);
	aipm_cgroup_fs_close(&f);
	write_file("proc/self/cgroup", "0::/\n");
	unlink(strcat(strcpy(mi, proc), "/self/mountinfo"));
}

static void test_cpu_stat_is_re_read_from_the_kept_fd(void **state)
{
	(void)state;
	const char *job = "/system.slice/slurmstepd.scope/job_1001";
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat st;
	assert_int_equal(aipm_cgroup_scope_open(&fs, job, NULL, &s), 0);
	assert_int_equal(aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_CPU, &st), 0);
	assert_true(st.have_cpu);
	uint64_t before = st.usage_usec;
	/* a task two levels down ran 5 ms: the job's cpu.stat counts it */
	sh("python3 '%s/tests/fixtures/mkcgroup.py' advance '%s' %s/step_0/user/task_0 5000", getenv("AIPM_SRC"), cg, job);
	assert_int_equal(aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_CPU, &st), 0);
	assert_int_equal(st.usage_usec - before, 5000);
	assert_int_equal(st.user_usec + st.system_usec - before, 5000);
	aipm_cgroup_scope_close(s);
}

static void test_memory_is_absent_without_the_controller(void **state)
{
	(void)state;
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat st;
	const char *job = "/system.slice/slurmstepd.scope/job_1002";
	assert_int_equal(aipm_cgroup_scope_open(&fs, job, NULL, &s), 0);
	assert_int_equal(aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_MEMORY | AIPM_CGROUP_READ_EVENTS, &st), 0);
	assert_false(st.have_memory_current);
	assert_false(st.have_memory_stat);
	assert_false(st.have_cpu); /* not asked for */
	assert_true(st.have_events);
	assert_true(st.populated);
	assert_true(st.nr_descendants > 0);
	aipm_cgroup_scope_close(s);

	build("slurm-jobid memory");
	assert_int_equal(aipm_cgroup_scope_open(&fs, job, NULL, &s), 0);
	assert_int_equal(aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_MEMORY, &st), 0);
	assert_true(st.have_memory_current && st.have_memory_peak && st.have_memory_stat && st.have_mem_kernel);
	assert_int_equal(st.memory_current_bytes, 4096000);
	assert_int_equal(st.memory_peak_bytes, 8192000);
	assert_int_equal(st.mem_anon_bytes, 3000000);
	assert_int_equal(st.mem_file_bytes, 1000000);
	assert_int_equal(st.mem_kernel_bytes, 96000);
	aipm_cgroup_scope_close(s);
	build(all);
}

static void test_members_include_descendants_only_when_asked(void **state)
{
	(void)state;
	const char *job = "/system.slice/slurmstepd.scope/job_1001";
	struct aipm_cgroup_scope_opts o;
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_members m;
	pid_t pids[64];
	aipm_cgroup_scope_opts_init(&o);
	assert_int_equal(aipm_cgroup_scope_open(&fs, job, &o, &s), 0);
	assert_int_equal(aipm_cgroup_scope_members(s, pids, 64, &m), 0);
	/* 3 steps, each a slurmstepd and a task; 1 + 3 * 4 cgroups */
	assert_int_equal(m.n, 6);
	assert_int_equal(m.cgroups, 13);
	for (size_t i = 1; i < m.n; i++)
		assert_true(pids[i - 1] < pids[i]);
	/* too small an array: refused with how many there are, never a subset */
	assert_int_equal(aipm_cgroup_scope_members(s, pids, 4, &m), -ENOBUFS);
	assert_int_equal(m.total, 6);
	aipm_cgroup_scope_close(s);
	o.descendants = false;
	assert_int_equal(aipm_cgroup_scope_open(&fs, job, &o, &s), 0);
	assert_int_equal(aipm_cgroup_scope_members(s, pids, 64, &m), 0);
	assert_int_equal(m.n, 0); /* no internal processes: a job dir holds none itself */
	assert_int_equal(m.cgroups, 1);
	aipm_cgroup_scope_close(s);
}

static void test_members_take_a_last_pid_without_newline(void **state)
{
	(void)state;
	/* the kernel ends every line; a pid cut at the end of the file must
	 * still count (the chunked reader flushes what it carries) */
	write_file("cg/docker/cgroup.procs", "41\n42");
	struct aipm_cgroup_scope_opts o;
	aipm_cgroup_scope_opts_init(&o);
	o.descendants = false;
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_members m;
	pid_t pids[8];
	assert_int_equal(aipm_cgroup_scope_open(&fs, "/docker", &o, &s), 0);
	assert_int_equal(aipm_cgroup_scope_members(s, pids, 8, &m), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(pids[1], 42);
	aipm_cgroup_scope_close(s);
	write_file("cg/docker/cgroup.procs", "");
}

/* Each manifest scope of these kinds, found by the name a person gives. */
static void test_every_slurm_scope_resolves_by_id_or_sluid(void **state)
{
	(void)state;
	const cJSON *sc;
	size_t checked = 0;
	cJSON_ArrayForEach(sc, cJSON_GetObjectItem(manifest, "scopes"))
	{
		const char *kind = str(sc, "kind");
		if (strncmp(kind, "slurm_", 6))
			continue;
		char arg[64];
		const char *job = *str(sc, "slurm_job") ? str(sc, "slurm_job") : str(sc, "slurm_sluid");
		if (*str(sc, "slurm_step"))
			snprintf(arg, sizeof arg, "%s.%s", job, str(sc, "slurm_step"));
		else
			snprintf(arg, sizeof arg, "%s", job);
		struct aipm_scope s;
		if (aipm_scope_resolve_slurm(&fs, arg, &s) < 0)
			fail_msg("%s: %s", arg, aipm_error_last());
		assert_labels(sc, &s);
		assert_int_equal(s.kind, strcmp(kind, "slurm_job") ? AIPM_SCOPE_SLURM_STEP : AIPM_SCOPE_SLURM_JOB);
		checked++;
	}
	assert_int_equal(checked, 5 + 8);
}

static void test_every_container_and_pod_resolves_by_id_prefix_or_uid(void **state)
{
	(void)state;
	const cJSON *sc;
	size_t checked = 0;
	cJSON_ArrayForEach(sc, cJSON_GetObjectItem(manifest, "scopes"))
	{
		const char *kind = str(sc, "kind");
		struct aipm_scope s;
		char arg[80];
		if (!strcmp(kind, "container")) {
			snprintf(arg, sizeof arg, "%.12s", str(sc, "container_id"));
		} else if (!strcmp(kind, "pod")) {
			/* the systemd driver's spelling is accepted too */
			snprintf(arg, sizeof arg, "%s", str(sc, "pod_uid"));
			for (char *p = arg; checked % 2 && *p; p++)
				*p = *p == '-' ? '_' : *p;
		} else {
			continue;
		}
		if (aipm_scope_resolve_container(&fs, arg, &s) < 0)
			fail_msg("%s: %s", arg, aipm_error_last());
		assert_labels(sc, &s);
		checked++;
	}
	assert_int_equal(checked, 9 + 5);
	/* the form Kubernetes prints, full length */
	struct aipm_scope s;
	cJSON_ArrayForEach(sc, cJSON_GetObjectItem(manifest, "scopes")) if (!strcmp(str(sc, "runtime"), "containerd"))
	{
		char arg[100];
		snprintf(arg, sizeof arg, "containerd://%s", str(sc, "container_id"));
		assert_int_equal(aipm_scope_resolve_container(&fs, arg, &s), 0);
		assert_string_equal(s.cgroup, str(sc, "cgroup"));
	}
}

static void test_names_at_fault_are_refused_with_what_to_do(void **state)
{
	(void)state;
	struct aipm_scope s;
	assert_int_equal(aipm_scope_resolve_slurm(&fs, "999", &s), -ENOENT);
	assert_non_null(strstr(aipm_error_last(), "'999'"));
	/* job 2003's SLUID directory shows its id nowhere: the error says so */
	assert_int_equal(aipm_scope_resolve_slurm(&fs, "2003", &s), -ENOENT);
	assert_non_null(strstr(aipm_error_last(), "SLUID"));
	assert_non_null(strstr(aipm_error_last(), "CgroupJobIdPaths"));
	assert_int_equal(aipm_scope_resolve_slurm(&fs, "1001.7", &s), -ENOENT);
	assert_non_null(strstr(aipm_error_last(), "steps here: 0, batch, extern"));
	assert_int_equal(aipm_scope_resolve_slurm(&fs, "12_3", &s), -EINVAL);
	assert_int_equal(aipm_scope_resolve_slurm(&fs, "1001.foo", &s), -EINVAL);
	assert_int_equal(aipm_scope_resolve_container(&fs, "zz", &s), -EINVAL);
	assert_int_equal(aipm_scope_resolve_container(&fs, "abcdef", &s), -ENOENT);
	/* the shortest prefix two containers share is ambiguous */
	const cJSON *a, *b;
	char prefix[70] = "";
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(manifest, "scopes")) for (b = a->next; b; b = b->next)
	{
		const char *x = str(a, "container_id"), *y = str(b, "container_id");
		size_t k = 0;
		while (*x && x[k] && x[k] == y[k])
			k++;
		if (k && (!prefix[0] || k < strlen(prefix)) && strcmp(x, y))
			snprintf(prefix, sizeof prefix, "%.*s", (int)k, x);
	}
	assert_true(prefix[0]);
	assert_int_equal(aipm_scope_resolve_container(&fs, prefix, &s), -EEXIST);
	assert_non_null(strstr(aipm_error_last(), "ambiguous"));
	assert_int_equal(aipm_scope_resolve_cgroup(&fs, "/nope", &s), -ENOENT);
	assert_int_equal(aipm_scope_resolve_cgroup(&fs, "/a/../b", &s), -EINVAL);
}

static void test_cgroup_paths_absolute_mounted_and_relative(void **state)
{
	(void)state;
	struct aipm_scope s;
	char arg[400];
	snprintf(arg, sizeof arg, "%s/docker", cg);
	assert_int_equal(aipm_scope_resolve_cgroup(&fs, arg, &s), 0);
	assert_string_equal(s.cgroup, "/docker");
	/* relative: to aipm's own cgroup */
	write_file("proc/self/cgroup", "0::/system.slice\n");
	struct aipm_cgroup_fs f;
	assert_int_equal(aipm_cgroup_fs_open(&f, proc, cg), 0);
	assert_int_equal(aipm_scope_resolve_cgroup(&f, "slurmstepd.scope/job_1002", &s), 0);
	assert_string_equal(s.cgroup, "/system.slice/slurmstepd.scope/job_1002");
	assert_int_equal(s.kind, AIPM_SCOPE_SLURM_JOB);
	aipm_cgroup_fs_close(&f);
	write_file("proc/self/cgroup", "0::/\n");
}

static size_t count_kind(const char *kind)
{
	const cJSON *sc;
	size_t n = 0;
	cJSON_ArrayForEach(sc, cJSON_GetObjectItem(manifest, "scopes")) n += !strcmp(str(sc, "kind"), kind);
	return n;
}

static const cJSON *find_scope(const char *cgroup)
{
	const cJSON *sc;
	cJSON_ArrayForEach(sc, cJSON_GetObjectItem(manifest, "scopes")) if (!strcmp(str(sc, "cgroup"), cgroup)) return sc;
	return NULL;
}

static void test_enumeration_lists_each_kind_exactly(void **state)
{
	(void)state;
	static const struct {
		enum aipm_scope_set set;
		const char *kind;
	} sets[] = {
		{AIPM_SCOPES_SLURM_JOBS, "slurm_job"},
		{AIPM_SCOPES_SLURM_STEPS, "slurm_step"},
		{AIPM_SCOPES_CONTAINERS, "container"},
		{AIPM_SCOPES_PODS, "pod"},
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		struct aipm_scope_query q;
		struct aipm_scope_list l, again;
		aipm_scope_query_init(&q, sets[i].set);
		assert_int_equal(aipm_scope_enumerate(&fs, &q, &l), 0);
		assert_int_equal(l.n, count_kind(sets[i].kind));
		assert_int_equal(l.left_out, 0);
		/* the same order every time: a bound then keeps the same scopes */
		assert_int_equal(aipm_scope_enumerate(&fs, &q, &again), 0);
		assert_int_equal(again.n, l.n);
		for (size_t k = 0; k < l.n; k++) {
			const cJSON *want = find_scope(l.v[k].cgroup);
			if (!want || strcmp(str(want, "kind"), sets[i].kind))
				fail_msg("%s listed as a %s", l.v[k].cgroup, sets[i].kind);
			assert_labels(want, &l.v[k]);
			assert_string_equal(again.v[k].cgroup, l.v[k].cgroup);
			for (size_t j = 0; j < k; j++)
				assert_string_not_equal(l.v[j].cgroup, l.v[k].cgroup);
		}
		aipm_scope_list_free(&l);
		aipm_scope_list_free(&again);
	}
}

static void test_enumeration_bound_keeps_the_first_and_counts_the_rest(void **state)
{
	(void)state;
	struct aipm_scope_query q;
	struct aipm_scope_list all_l, l;
	aipm_scope_query_init(&q, AIPM_SCOPES_CONTAINERS);
	assert_int_equal(aipm_scope_enumerate(&fs, &q, &all_l), 0);
	q.max = 4;
	assert_int_equal(aipm_scope_enumerate(&fs, &q, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.left_out, all_l.n - 4);
	for (size_t k = 0; k < l.n; k++)
		assert_string_equal(l.v[k].cgroup, all_l.v[k].cgroup);
	aipm_scope_list_free(&l);
	aipm_scope_list_free(&all_l);
	aipm_scope_query_init(&q, AIPM_SCOPES_SLURM_STEPS);
	q.max = 3;
	assert_int_equal(aipm_scope_enumerate(&fs, &q, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.left_out, count_kind("slurm_step") - 3);
	aipm_scope_list_free(&l);
}

static void test_glob_matches_within_components(void **state)
{
	(void)state;
	struct aipm_scope_query q;
	struct aipm_scope_list l;
	aipm_scope_query_init(&q, AIPM_SCOPES_GLOB);
	q.glob = "/system.slice/*slurmstepd.scope/*/step_?atch";
	assert_int_equal(aipm_scope_enumerate(&fs, &q, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].kind, AIPM_SCOPE_SLURM_STEP);
	assert_string_equal(l.v[0].slurm_step, "batch");
	aipm_scope_list_free(&l);
	/* a glob takes what matches, whatever it is: two containers and
	 * CRI-O's conmon (labelled a plain cgroup) */
	q.glob = "/kubepods.slice/*/*/*.scope";
	assert_int_equal(aipm_scope_enumerate(&fs, &q, &l), 0);
	assert_int_equal(l.n, 3);
	size_t ctrs = 0;
	for (size_t k = 0; k < l.n; k++)
		ctrs += l.v[k].kind == AIPM_SCOPE_CONTAINER;
	assert_int_equal(ctrs, 2);
	aipm_scope_list_free(&l);
	q.glob = "/nothing/*";
	assert_int_equal(aipm_scope_enumerate(&fs, &q, &l), 0);
	assert_int_equal(l.n, 0);
	q.glob = "/a/../b";
	assert_int_equal(aipm_scope_enumerate(&fs, &q, &l), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery_ranks_mounts_and_tells_hybrid_from_pure),
		cmocka_unit_test(test_a_subtree_mount_maps_paths_and_refuses_outside_ones),
		cmocka_unit_test(test_cpu_stat_is_re_read_from_the_kept_fd),
		cmocka_unit_test(test_memory_is_absent_without_the_controller),
		cmocka_unit_test(test_members_include_descendants_only_when_asked),
		cmocka_unit_test(test_members_take_a_last_pid_without_newline),
		cmocka_unit_test(test_every_slurm_scope_resolves_by_id_or_sluid),
		cmocka_unit_test(test_every_container_and_pod_resolves_by_id_prefix_or_uid),
		cmocka_unit_test(test_names_at_fault_are_refused_with_what_to_do),
		cmocka_unit_test(test_cgroup_paths_absolute_mounted_and_relative),
		cmocka_unit_test(test_enumeration_lists_each_kind_exactly),
		cmocka_unit_test(test_enumeration_bound_keeps_the_first_and_counts_the_rest),
		cmocka_unit_test(test_glob_matches_within_components),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
