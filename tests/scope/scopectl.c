/* scopectl: the scope library's API as a command, for the shell tests (and
 * a sketch of what `aipm run/attach/serve` will call). It is the caller, so
 * it reads AIPM_CGROUP_ROOT and AIPM_PROC_ROOT; the library never does.
 *
 *   scopectl fs                        the hierarchy found, one key=value a line
 *   scopectl of PID                    PID's cgroup
 *   scopectl resolve cgroup|slurm|container ARG    labels of one scope
 *   scopectl list glob GLOB|slurm|steps|containers|pods [MAX]
 *   scopectl read PATH                 cpu.stat, memory.*, events
 *   scopectl members PATH [flat]       the scope's pids (flat: no descendants)
 *   scopectl run [keep|kill] -- CMD... CMD in a cgroup of its own: prints
 *                                      usage_usec of the cgroup, the CPU time
 *                                      wait4 gave, and what removal found
 * Exit 0, 1 on a library error (its message on stderr), 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aipm.h"
#include "scope/cgroup.h"
#include "scope/names.h"

static int fail(const char *what)
{
	fprintf(stderr, "scopectl: %s: %s\n", what, aipm_error_last());
	return 1;
}

static void print_scope(const struct aipm_scope *s)
{
	static const char *kinds[] = {"cgroup", "slurm_job", "slurm_step", "container", "pod"};
	printf("kind=%s cgroup=%s slurm_job=%s slurm_sluid=%s slurm_step=%s container_id=%s runtime=%s pod_uid=%s "
	       "qos=%s\n",
	       kinds[s->kind], s->cgroup, s->slurm_job, s->slurm_sluid, s->slurm_step, s->container_id, s->runtime,
	       s->pod_uid, s->qos);
}

static int cmd_resolve(const struct aipm_cgroup_fs *fs, const char *how, const char *arg)
{
	struct aipm_scope s;
	int r = !strcmp(how, "cgroup")	  ? aipm_scope_resolve_cgroup(fs, arg, &s)
		: !strcmp(how, "slurm")	  ? aipm_scope_resolve_slurm(fs, arg, &s)
		: !strcmp(how, "container") ? aipm_scope_resolve_container(fs, arg, &s)
					    : -EINVAL;
	if (r < 0)
		return fail(how);
	print_scope(&s);
	return 0;
}

static int cmd_list(const struct aipm_cgroup_fs *fs, int argc, char **argv)
{
	static const char *sets[] = {"glob", "slurm", "steps", "containers", "pods"};
	struct aipm_scope_query q;
	size_t i = 0;
	while (i < 5 && strcmp(argv[0], sets[i]))
		i++;
	if (i == 5)
		return 2;
	aipm_scope_query_init(&q, (enum aipm_scope_set)i);
	int a = 1;
	if (i == AIPM_SCOPES_GLOB && argc > a)
		q.glob = argv[a++];
	if (argc > a)
		q.max = (size_t)atol(argv[a]);
	struct aipm_scope_list l;
	if (aipm_scope_enumerate(fs, &q, &l) < 0)
		return fail("list");
	for (size_t k = 0; k < l.n; k++)
		print_scope(&l.v[k]);
	printf("listed=%zu left_out=%zu unreadable=%zu\n", l.n, l.left_out, l.unreadable);
	aipm_scope_list_free(&l);
	return 0;
}

static int cmd_read(const struct aipm_cgroup_fs *fs, const char *path)
{
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat st;
	if (aipm_cgroup_scope_open(fs, path, NULL, &s) < 0)
		return fail("open");
	int r = aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_CPU | AIPM_CGROUP_READ_MEMORY | AIPM_CGROUP_READ_EVENTS,
				       &st);
	aipm_cgroup_scope_close(s);
	if (r < 0)
		return fail("read");
	printf("usage_usec=%llu user_usec=%llu system_usec=%llu\n", (unsigned long long)st.usage_usec,
	       (unsigned long long)st.user_usec, (unsigned long long)st.system_usec);
	if (st.have_memory_current)
		printf("memory_current_bytes=%llu\n", (unsigned long long)st.memory_current_bytes);
	else
		printf("memory_current_bytes=absent\n");
	if (st.have_memory_stat)
		printf("mem_anon_bytes=%llu mem_file_bytes=%llu\n", (unsigned long long)st.mem_anon_bytes,
		       (unsigned long long)st.mem_file_bytes);
	if (st.have_events)
		printf("populated=%d nr_descendants=%llu\n", st.populated, (unsigned long long)st.nr_descendants);
	return 0;
}

static int cmd_members(const struct aipm_cgroup_fs *fs, const char *path, bool flat)
{
	struct aipm_cgroup_scope_opts o;
	aipm_cgroup_scope_opts_init(&o);
	o.descendants = !flat;
	struct aipm_cgroup_scope *s;
	if (aipm_cgroup_scope_open(fs, path, &o, &s) < 0)
		return fail("open");
	size_t cap = 4;
	pid_t *pids = NULL;
	struct aipm_cgroup_members m;
	int r;
	do { /* grow until it fits: ENOBUFS says how many */
		free(pids);
		pids = malloc(cap * sizeof *pids);
		r = pids ? aipm_cgroup_scope_members(s, pids, cap, &m) : -ENOMEM;
		cap = r == -ENOBUFS ? m.total + 16 : cap;
	} while (r == -ENOBUFS);
	aipm_cgroup_scope_close(s);
	if (r < 0) {
		free(pids);
		return fail("members");
	}
	printf("n=%zu cgroups=%zu vanished=%zu pids=", m.n, m.cgroups, m.vanished);
	for (size_t i = 0; i < m.n; i++)
		printf("%s%d", i ? "," : "", (int)pids[i]);
	printf("\n");
	free(pids);
	return 0;
}

static int cmd_run(const struct aipm_cgroup_fs *fs, enum aipm_cgroup_leftover policy, char **cmd)
{
	struct aipm_cgroup_run run;
	if (aipm_cgroup_run_create(fs, NULL, &run) < 0)
		return fail("run");
	printf("cgroup=%s\nnote=%s\n", run.path, run.note);
	int go[2];
	if (pipe(go) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(127);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(go[0]);
	int moved = aipm_cgroup_run_add_pid(&run, pid);
	if (moved < 0)
		fprintf(stderr, "scopectl: %s\n", aipm_error_last());
	if (write(go[1], "g", 1) < 0)
		return 1;
	close(go[1]);
	int st;
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat cs = {0};
	if (aipm_cgroup_scope_open(fs, run.path, NULL, &s) == 0) {
		aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_CPU, &cs);
		aipm_cgroup_scope_close(s);
	}
	/* wait4 of the command covers its reaped descendants too */
	long long rusage_usec = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
				(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
	printf("usage_usec=%llu rusage_usec=%lld\n", (unsigned long long)cs.usage_usec, rusage_usec);
	struct aipm_cgroup_run_end end;
	int r = aipm_cgroup_run_remove(&run, policy, &end);
	printf("left=%zu moved=%zu removed=%d first=%d\n", end.left, end.moved, end.removed, end.left ? end.first[0] : 0);
	if (r < 0)
		fprintf(stderr, "scopectl: %s\n", aipm_error_last());
	return moved < 0 || r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	struct aipm_cgroup_fs fs;
	if (aipm_cgroup_fs_open(&fs, getenv("AIPM_PROC_ROOT"), getenv("AIPM_CGROUP_ROOT")) < 0)
		return fail("cgroup");
	int rc = 2;
	const char *c = argv[1];
	if (!strcmp(c, "fs")) {
		printf("mount=%s\nmount_root=%s\nlayout=%d\nself=%s\ncontrollers=%s\ndescribe=%s\n", fs.mount_point,
		       fs.mount_root, (int)fs.layout, fs.self, fs.controllers, fs.describe);
		rc = 0;
	} else if (!strcmp(c, "of") && argc == 3) {
		char path[AIPM_CGROUP_PATH_MAX];
		rc = aipm_cgroup_of_pid(&fs, atoi(argv[2]), path, sizeof path) < 0 ? fail("of") : (printf("%s\n", path), 0);
	} else if (!strcmp(c, "resolve") && argc == 4) {
		rc = cmd_resolve(&fs, argv[2], argv[3]);
	} else if (!strcmp(c, "list") && argc >= 3) {
		rc = cmd_list(&fs, argc - 2, argv + 2);
	} else if (!strcmp(c, "read") && argc == 3) {
		rc = cmd_read(&fs, argv[2]);
	} else if (!strcmp(c, "members") && argc >= 3) {
		rc = cmd_members(&fs, argv[2], argc > 3 && !strcmp(argv[3], "flat"));
	} else if (!strcmp(c, "run") && argc >= 4) {
		int i = 2;
		enum aipm_cgroup_leftover p = AIPM_CGROUP_MOVE_OUT;
		if (!strcmp(argv[i], "keep") || !strcmp(argv[i], "kill"))
			p = !strcmp(argv[i++], "keep") ? AIPM_CGROUP_KEEP : AIPM_CGROUP_KILL;
		if (!strcmp(argv[i], "--") && argv[i + 1])
			rc = cmd_run(&fs, p, argv + i + 1);
	}
	aipm_cgroup_fs_close(&fs);
	return rc;
}
