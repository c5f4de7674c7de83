/* test_scope_parse.c: the scope module's pure functions on odd inputs:
 * mountinfo lines with escapes, /proc/PID/cgroup of hybrid machines,
 * cgroup.procs read in chunks that cut numbers, slurmstepd titles, path
 * cleaning, and the classification of every layout's paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scope/cgroup.h"
#include "scope/names.h"
#include "scope/parse.h"

static const char H64[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_mountinfo_finds_fstype_after_optional_fields(void **state)
{
	(void)state;
	struct aipm_mountinfo m;
	const char *l = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:12 master:3 - cgroup2 cgroup2 rw";
	assert_true(aipm_parse_mountinfo_line(l, strlen(l), &m));
	assert_string_equal(m.root, "/");
	assert_string_equal(m.mount_point, "/sys/fs/cgroup/unified");
	assert_string_equal(m.fstype, "cgroup2");
	/* no optional fields at all */
	l = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755";
	assert_true(aipm_parse_mountinfo_line(l, strlen(l), &m));
	assert_string_equal(m.fstype, "tmpfs");
}

static void test_mountinfo_unescapes_spaces_and_keeps_a_subtree_root(void **state)
{
	(void)state;
	struct aipm_mountinfo m;
	const char *l = "90 80 0:30 /docker/abc /mnt/my\\040cg rw - cgroup2 none rw";
	assert_true(aipm_parse_mountinfo_line(l, strlen(l), &m));
	assert_string_equal(m.root, "/docker/abc");
	assert_string_equal(m.mount_point, "/mnt/my cg");
}

static void test_mountinfo_refuses_a_line_without_separator(void **state)
{
	(void)state;
	struct aipm_mountinfo m;
	const char *l = "41 31 0:38 / /sys/fs/cgroup rw,relatime cgroup2 cgroup2 rw";
	assert_false(aipm_parse_mountinfo_line(l, strlen(l), &m));
	assert_false(aipm_parse_mountinfo_line("", 0, &m));
}

static void test_pid_cgroup_takes_the_v2_line_of_a_hybrid_machine(void **state)
{
	(void)state;
	char p[64];
	assert_true(aipm_parse_pid_cgroup("4:memory:/x\n1:name=systemd:/user.slice\n0::/user.slice/s.scope\n", p, sizeof p));
	assert_string_equal(p, "/user.slice/s.scope");
	assert_true(aipm_parse_pid_cgroup("0::/\n", p, sizeof p));
	assert_string_equal(p, "/");
	/* cgroup v1 only: no 0:: line */
	assert_false(aipm_parse_pid_cgroup("4:memory:/x\n1:cpu:/y\n", p, sizeof p));
	/* too long for the buffer: refused, not cut */
	assert_false(aipm_parse_pid_cgroup("0::/0123456789\n", p, 8));
}

static void test_keyed_matches_whole_keys_only(void **state)
{
	(void)state;
	uint64_t v = 0;
	const char *buf = "usage_usec_x 5\nusage_usec 1234\nuser_usec 1000\n";
	assert_true(aipm_parse_keyed(buf, "usage_usec", &v));
	assert_int_equal(v, 1234);
	/* "file" must not match "file_mapped" */
	assert_true(aipm_parse_keyed("file_mapped 7\nfile 9\n", "file", &v));
	assert_int_equal(v, 9);
	assert_false(aipm_parse_keyed("anon 1\n", "kernel", &v));
}

static void test_pids_survive_a_number_cut_between_chunks(void **state)
{
	(void)state;
	pid_t out[8];
	uint64_t carry = 0;
	bool in = false;
	size_t seen = 0, n = 0;
	n += aipm_parse_pids("12\n34", 5, &carry, &in, out + n, 8 - n, &seen);
	n += aipm_parse_pids("56\n7", 4, &carry, &in, out + n, 8 - n, &seen);
	n += aipm_parse_pids("\n", 1, &carry, &in, out + n, 8 - n, &seen);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 12);
	assert_int_equal(out[1], 3456);
	assert_int_equal(out[2], 7);
	assert_int_equal(seen, 3);
}

static void test_pids_count_what_does_not_fit(void **state)
{
	(void)state;
	pid_t out[2];
	uint64_t carry = 0;
	bool in = false;
	size_t seen = 0;
	size_t n = aipm_parse_pids("1\n2\n3\n4\n", 8, &carry, &in, out, 2, &seen);
	assert_int_equal(n, 2);
	assert_int_equal(seen, 4);
}

static void test_pids_sort_and_drop_repeats(void **state)
{
	(void)state;
	pid_t v[] = {30, 10, 20, 10, 30};
	assert_int_equal(aipm_pids_sort_unique(v, 5), 3);
	assert_int_equal(v[0], 10);
	assert_int_equal(v[1], 20);
	assert_int_equal(v[2], 30);
}

static void test_slurmstepd_title_gives_the_job_id(void **state)
{
	(void)state;
	uint64_t id = 0;
	static const char t1[] = "slurmstepd: [1234.batch]\0\0\0";
	assert_true(aipm_parse_slurmstepd_title(t1, sizeof t1, &id));
	assert_int_equal(id, 1234);
	static const char t2[] = "slurmstepd: [77+1.0 stepmgr]";
	assert_true(aipm_parse_slurmstepd_title(t2, sizeof t2, &id));
	assert_int_equal(id, 77);
	/* slurmstepd's "infinity" process and strangers have no job */
	static const char t3[] = "/usr/sbin/slurmstepd\0infinity\0";
	assert_false(aipm_parse_slurmstepd_title(t3, sizeof t3, &id));
	static const char t4[] = "myjob [12.0]\0";
	assert_false(aipm_parse_slurmstepd_title(t4, sizeof t4, &id));
}

static void test_environ_job_id_needs_the_exact_key(void **state)
{
	(void)state;
	uint64_t id = 0;
	static const char e1[] = "HOME=/\0SLURM_JOB_ID_X=9\0SLURM_JOB_ID=42\0";
	assert_true(aipm_parse_environ_job_id(e1, sizeof e1, &id));
	assert_int_equal(id, 42);
	static const char e2[] = "SLURM_JOB_ID=4x\0";
	assert_false(aipm_parse_environ_job_id(e2, sizeof e2, &id));
}

static void test_path_clean_refuses_dot_dot_and_tidies_slashes(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(aipm_cgroup_path_clean("//a///b/", out, sizeof out), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(aipm_cgroup_path_clean("a", out, sizeof out), 0);
	assert_string_equal(out, "/a");
	assert_int_equal(aipm_cgroup_path_clean("/", out, sizeof out), 0);
	assert_string_equal(out, "/");
	assert_true(aipm_cgroup_path_clean("/a/../b", out, sizeof out) < 0);
	assert_true(aipm_cgroup_path_clean("/a/./b", out, sizeof out) < 0);
	assert_true(aipm_cgroup_path_clean("", out, sizeof out) < 0);
	assert_int_equal(aipm_cgroup_path_clean("/0123456789", out, 8), -ENAMETOOLONG);
}

static void classify(const char *fmt, const char *arg, struct aipm_scope *s)
{
	char path[AIPM_CGROUP_PATH_MAX];
	snprintf(path, sizeof path, fmt, arg, arg);
	aipm_scope_classify(path, s);
}

static void test_classify_slurm_both_layouts(void **state)
{
	(void)state;
	struct aipm_scope s;
	aipm_scope_classify("/system.slice/slurmstepd.scope/job_1001", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_SLURM_JOB);
	assert_string_equal(s.slurm_job, "1001");
	aipm_scope_classify("/system.slice/n1_slurmstepd.scope/sBR1JB8J1YM400/step_extern", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_SLURM_STEP);
	assert_string_equal(s.slurm_sluid, "sBR1JB8J1YM400");
	assert_string_equal(s.slurm_job, "");
	assert_string_equal(s.slurm_step, "extern");
	/* a task cgroup is a plain cgroup carrying its job's labels */
	aipm_scope_classify("/system.slice/slurmstepd.scope/job_7/step_0/user/task_0", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	assert_string_equal(s.slurm_job, "7");
	assert_string_equal(s.slurm_step, "0");
	/* slurmstepd's own cgroup, and names that only look like jobs */
	aipm_scope_classify("/system.slice/slurmstepd.scope/system", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	assert_string_equal(s.slurm_job, "");
	aipm_scope_classify("/system.slice/job_5", &s);
	assert_string_equal(s.slurm_job, "");
	aipm_scope_classify("/system.slice/slurmstepd.scope/job_5/step_foo", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	aipm_scope_classify("/system.slice/slurmstepd.scope/sbr1jb8j1ym400", &s); /* lower case: not sluid2str's */
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
}

static void test_classify_containers_of_each_runtime(void **state)
{
	(void)state;
	struct aipm_scope s;
	static const struct {
		const char *fmt, *runtime;
	} cases[] = {
		{"/system.slice/docker-%s.scope", "docker"},
		{"/docker/%s", "docker"},
		{"/machine.slice/libpod-%s.scope", "podman"},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-%s.scope", "podman"},
		{"/machine.slice/libpod-payload-%s", "podman"},
		{"/system.slice/cri-containerd-%s.scope", "containerd"},
		{"/system.slice/crio-%s.scope", "crio"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		classify(cases[i].fmt, H64, &s);
		assert_int_equal(s.kind, AIPM_SCOPE_CONTAINER);
		assert_string_equal(s.container_id, H64);
		assert_string_equal(s.runtime, cases[i].runtime);
	}
	/* conmon is not the container; a bare id outside docker/ or a pod is
	 * not known to be one; 63 digits are not an id */
	classify("/machine.slice/libpod-conmon-%s.scope", H64, &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	classify("/system.slice/crio-conmon-%s.scope", H64, &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	classify("/other/%s", H64, &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	classify("/system.slice/docker-%.63s.scope", H64, &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	/* Docker in Docker: the inner container is part of the outer one,
	 * never a second container (sums would count it twice) */
	char nested[400];
	snprintf(nested, sizeof nested, "/system.slice/docker-%s.scope/docker/%s", H64, H64);
	aipm_scope_classify(nested, &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	assert_string_equal(s.container_id, H64);
	/* a cgroup inside a container keeps the container's labels */
	classify("/machine.slice/libpod-%s.scope/container", H64, &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	assert_string_equal(s.container_id, H64);
}

static void test_classify_kubernetes_qos_classes_and_drivers(void **state)
{
	(void)state;
	struct aipm_scope s;
	const char *uid = "2f612f1d-4cde-b717-7a29-5afdb9ace1a7";
	aipm_scope_classify("/kubepods.slice/kubepods-burstable.slice/"
			    "kubepods-burstable-pod2f612f1d_4cde_b717_7a29_5afdb9ace1a7.slice", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_POD);
	assert_string_equal(s.pod_uid, uid);
	assert_string_equal(s.qos, "burstable");
	classify("/kubepods.slice/kubepods-pod2f612f1d_4cde_b717_7a29_5afdb9ace1a7.slice/cri-containerd-%s.scope", H64,
		 &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CONTAINER);
	assert_string_equal(s.pod_uid, uid);
	assert_string_equal(s.qos, "guaranteed");
	assert_string_equal(s.runtime, "containerd");
	classify("/kubepods/besteffort/pod2f612f1d-4cde-b717-7a29-5afdb9ace1a7/%s", H64, &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CONTAINER);
	assert_string_equal(s.qos, "besteffort");
	assert_string_equal(s.container_id, H64);
	/* kind's nested kubelet slices */
	aipm_scope_classify("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
			    "kubelet-kubepods-besteffort-pod2f612f1d_4cde_b717_7a29_5afdb9ace1a7.slice", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_POD);
	assert_string_equal(s.qos, "besteffort");
	/* "pod" outside kubepods, and a malformed UID, are no pods */
	aipm_scope_classify("/user.slice/my-pod2f612f1d_4cde_b717_7a29_5afdb9ace1a7.slice", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
	aipm_scope_classify("/kubepods/pod2f612f1d-4cde-b717-7a29", &s);
	assert_int_equal(s.kind, AIPM_SCOPE_CGROUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_finds_fstype_after_optional_fields),
		cmocka_unit_test(test_mountinfo_unescapes_spaces_and_keeps_a_subtree_root),
		cmocka_unit_test(test_mountinfo_refuses_a_line_without_separator),
		cmocka_unit_test(test_pid_cgroup_takes_the_v2_line_of_a_hybrid_machine),
		cmocka_unit_test(test_keyed_matches_whole_keys_only),
		cmocka_unit_test(test_pids_survive_a_number_cut_between_chunks),
		cmocka_unit_test(test_pids_count_what_does_not_fit),
		cmocka_unit_test(test_pids_sort_and_drop_repeats),
		cmocka_unit_test(test_slurmstepd_title_gives_the_job_id),
		cmocka_unit_test(test_environ_job_id_needs_the_exact_key),
		cmocka_unit_test(test_path_clean_refuses_dot_dot_and_tidies_slashes),
		cmocka_unit_test(test_classify_slurm_both_layouts),
		cmocka_unit_test(test_classify_containers_of_each_runtime),
		cmocka_unit_test(test_classify_kubernetes_qos_classes_and_drivers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
