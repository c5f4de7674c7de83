/* slurm.c: Slurm jobs and steps as scopes, in both directory layouts.
 *
 * Slurm's cgroup/v2 plugin puts every job of a node under
 * /<slice>/[<node>_]slurmstepd.scope/ (system.slice unless cgroup.conf's
 * CgroupSlice says otherwise): job_<id>/ until 26.05, and since 26.05 the
 * job's opaque SLUID (e.g. sBR1JB8J1YM400) unless CgroupJobIdPaths=yes.
 * A SLUID holds a cluster id, a time and a sequence number, not the job id,
 * so a numeric id is matched to a SLUID directory through the processes in
 * it: each step's slurmstepd (in step_N/slurm) titles itself
 * "slurmstepd: [<id>.<step>]", readable by anyone unless /proc is mounted
 * with hidepid; failing that, a task's environment (step_N/user/...) holds
 * SLURM_JOB_ID, readable by root or the job's owner. A job with neither
 * readable keeps its SLUID as its only name, and an error says so.
 */
#include "scope/names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "scope/internal.h"
#include "scope/parse.h"
#include "util.h"

static bool is_stepd(const char *name)
{
	size_t n = strlen(name);
	return !strcmp(name, "slurmstepd.scope") || (n > 17 && !strcmp(name + n - 17, "_slurmstepd.scope"));
}

/* Every slurmstepd scope: at the root (IgnoreSystemd setups) or in a
 * top-level slice. */
static int find_stepds(const struct aipm_cgroup_fs *fs, struct scope_names *out)
{
	int rootfd = aipm_cgroup_open_dir(fs, fs->mount_root);
	if (rootfd < 0)
		return rootfd;
	struct scope_names top = {0};
	int r = scope_subdirs(rootfd, &top);
	for (size_t i = 0; r >= 0 && i < top.n; i++) {
		char path[AIPM_CGROUP_PATH_MAX];
		size_t n = strlen(top.v[i]);
		if (is_stepd(top.v[i])) {
			if (scope_join(path, sizeof path, fs->mount_root, top.v[i]))
				r = scope_names_add(out, path);
			continue;
		}
		if (n < 7 || strcmp(top.v[i] + n - 6, ".slice"))
			continue;
		int fd = openat(rootfd, top.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct scope_names sub = {0};
		if (fd >= 0 && scope_subdirs(fd, &sub) >= 0) {
			for (size_t j = 0; r >= 0 && j < sub.n; j++) {
				char slice[AIPM_CGROUP_PATH_MAX];
				if (!is_stepd(sub.v[j]) || !scope_join(slice, sizeof slice, fs->mount_root, top.v[i]) ||
				    !scope_join(path, sizeof path, slice, sub.v[j]))
					continue;
				r = scope_names_add(out, path);
			}
		}
		scope_names_free(&sub);
		if (fd >= 0)
			close(fd);
	}
	scope_names_free(&top);
	close(rootfd);
	return r;
}

/* The numeric id of a SLUID job directory, 0 when unreadable. */
static uint64_t sluid_job_id(const struct aipm_cgroup_fs *fs, const char *job)
{
	int fd = aipm_cgroup_open_dir(fs, job);
	if (fd < 0)
		return 0;
	struct scope_names steps = {0};
	uint64_t id = 0;
	scope_subdirs(fd, &steps);
	close(fd);
	/* Two passes: every step's slurmstepd title first (world-readable),
	 * then the tasks' environments. */
	for (int pass = 0; pass < 2 && !id; pass++)
		for (size_t i = 0; i < steps.n && !id; i++) {
			char path[AIPM_CGROUP_PATH_MAX], sub[AIPM_CGROUP_PATH_MAX];
			if (strncmp(steps.v[i], "step_", 5) || !scope_join(sub, sizeof sub, job, steps.v[i]) ||
			    !scope_join(path, sizeof path, sub, pass ? "user" : "slurm"))
				continue;
			struct aipm_cgroup_scope *s;
			if (aipm_cgroup_scope_open(fs, path, NULL, &s) < 0)
				continue;
			pid_t pids[64];
			struct aipm_cgroup_members m;
			int r = aipm_cgroup_scope_members(s, pids, AIPM_ARRAY_SIZE(pids), &m);
			aipm_cgroup_scope_close(s);
			for (size_t k = 0; (r >= 0 || r == -ENOBUFS) && k < m.n && !id; k++) {
				char file[320], buf[4096];
				snprintf(file, sizeof file, "%s/%d/%s", fs->proc_root, (int)pids[k], pass ? "environ" : "cmdline");
				long got = aipm_read_file_at(AT_FDCWD, file, buf, sizeof buf);
				if (got > 0 && !(pass ? aipm_parse_environ_job_id(buf, (size_t)got, &id)
						      : aipm_parse_slurmstepd_title(buf, (size_t)got, &id)))
					id = 0;
			}
		}
	scope_names_free(&steps);
	aipm_err_clear(); /* a step without readable processes is not an error */
	return id;
}

/* Labels of one job or step directory, with a SLUID job's numeric id. */
static void label(const struct aipm_cgroup_fs *fs, const char *path, const char *job, struct aipm_scope *s)
{
	aipm_scope_classify(path, s);
	if (!s->slurm_job[0] && s->slurm_sluid[0]) {
		uint64_t id = sluid_job_id(fs, job);
		if (id)
			snprintf(s->slurm_job, sizeof s->slurm_job, "%llu", (unsigned long long)id);
	}
}

/* Each job directory of each slurmstepd scope, sorted, as hierarchy paths. */
static int list_jobs(const struct aipm_cgroup_fs *fs, struct scope_names *jobs, size_t *nstepd)
{
	struct scope_names stepds = {0};
	int r = find_stepds(fs, &stepds);
	*nstepd = stepds.n;
	for (size_t i = 0; r >= 0 && i < stepds.n; i++) {
		int fd = aipm_cgroup_open_dir(fs, stepds.v[i]);
		struct scope_names sub = {0};
		if (fd >= 0 && scope_subdirs(fd, &sub) >= 0)
			for (size_t j = 0; r >= 0 && j < sub.n; j++) {
				char path[AIPM_CGROUP_PATH_MAX];
				struct aipm_scope s;
				if (!scope_join(path, sizeof path, stepds.v[i], sub.v[j]))
					continue;
				aipm_scope_classify(path, &s);
				if (s.kind != AIPM_SCOPE_SLURM_JOB)
					continue; /* "system": slurmstepd's own */
				r = scope_names_add(jobs, path);
			}
		scope_names_free(&sub);
		if (fd >= 0)
			close(fd);
	}
	scope_names_free(&stepds);
	return r;
}

/* The step directories of one job. */
static int list_steps(const struct aipm_cgroup_fs *fs, const char *job, struct scope_names *steps)
{
	int fd = aipm_cgroup_open_dir(fs, job);
	if (fd < 0)
		return fd;
	struct scope_names sub = {0};
	int r = scope_subdirs(fd, &sub);
	close(fd);
	for (size_t j = 0; r >= 0 && j < sub.n; j++) {
		char path[AIPM_CGROUP_PATH_MAX];
		struct aipm_scope s;
		if (!scope_join(path, sizeof path, job, sub.v[j]))
			continue;
		aipm_scope_classify(path, &s);
		if (s.kind == AIPM_SCOPE_SLURM_STEP) {
			r = scope_names_add(steps, path);
		}
	}
	scope_names_free(&sub);
	return r;
}

int scope_slurm_enumerate(const struct aipm_cgroup_fs *fs, bool steps, size_t max, struct aipm_scope_list *out)
{
	struct scope_names jobs = {0};
	size_t nstepd;
	int r = list_jobs(fs, &jobs, &nstepd);
	for (size_t i = 0; r >= 0 && i < jobs.n; i++) {
		struct aipm_scope s;
		if (!steps) {
			if (out->n >= max) {
				out->left_out++; /* not labelled: no SLUID lookup past the bound */
				continue;
			}
			label(fs, jobs.v[i], jobs.v[i], &s);
			r = scope_list_add(out, max, &s);
			continue;
		}
		struct scope_names st = {0};
		if (list_steps(fs, jobs.v[i], &st) < 0)
			out->unreadable++;
		char id[24] = "";
		for (size_t j = 0; r >= 0 && j < st.n; j++) {
			if (out->n >= max) {
				out->left_out++;
				continue;
			}
			aipm_scope_classify(st.v[j], &s);
			if (!s.slurm_job[0] && !id[0] && s.slurm_sluid[0]) {
				uint64_t v = sluid_job_id(fs, jobs.v[i]);
				snprintf(id, sizeof id, "%llu", (unsigned long long)v);
			}
			if (!s.slurm_job[0] && strcmp(id, "0"))
				snprintf(s.slurm_job, sizeof s.slurm_job, "%s", id);
			r = scope_list_add(out, max, &s);
		}
		scope_names_free(&st);
	}
	scope_names_free(&jobs);
	return r;
}

struct slurm_arg {
	uint64_t id;      /* 0: a SLUID was given */
	char sluid[16];
	char step[24];    /* "" for the whole job */
};

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static int parse_arg(const char *arg, struct slurm_arg *a)
{
	memset(a, 0, sizeof *a);
	const char *dot = strchr(arg, '.');
	size_t jn = dot ? (size_t)(dot - arg) : strlen(arg);
	const char *st = dot ? dot + 1 : "";
	if (memchr(arg, '_', jn) && all_digits(arg, strcspn(arg, "_")))
		return aipm_err(-EINVAL, "Slurm job '%s' is an array task: give the task's own job id "
					 "(`squeue -j %.*s -o %%A`)",
				arg, (int)jn, arg);
	if (memchr(arg, '+', jn))
		return aipm_err(-EINVAL, "Slurm job '%s' is a heterogeneous job component: give the component's own job id "
					 "(`squeue -j %.*s -o %%A`)",
				arg, (int)strcspn(arg, "+"), arg);
	char up[16];
	if (jn == 14 && (arg[0] == 's' || arg[0] == 'S')) {
		up[0] = 's';
		for (size_t i = 1; i < 14; i++)
			up[i] = arg[i] >= 'a' && arg[i] <= 'z' ? (char)(arg[i] - 'a' + 'A') : arg[i];
		up[14] = '\0';
	}
	if (all_digits(arg, jn) && jn < 11 && (a->id = strtoull(arg, NULL, 10)) > 0 && a->id <= UINT32_MAX) {
		/* a numeric job id */
	} else if (jn == 14 && scope_is_sluid(up, 14)) {
		a->id = 0;
		memcpy(a->sluid, up, 15);
	} else {
		return aipm_err(-EINVAL, "Slurm job '%s' is not a job id. Give a number (123), a step (123.0, 123.batch, "
					 "123.extern, 123.interactive) or the job's SLUID (sBR1JB8J1YM400)",
				arg);
	}
	if (dot && !(all_digits(st, strlen(st)) || !strcmp(st, "batch") || !strcmp(st, "extern") ||
		     !strcmp(st, "interactive")))
		return aipm_err(-EINVAL, "Slurm job '%s': step '%s' is not a step id (a number, batch, extern or "
					 "interactive)",
				arg, st);
	if (strlen(st) >= sizeof a->step)
		return aipm_err(-EINVAL, "Slurm job '%s': step id too long", arg);
	snprintf(a->step, sizeof a->step, "%s", st);
	return 0;
}

/* "a, b, c" from the last components of up to 6 paths (what is here),
 * without "step_". */
static void names_here(char *buf, size_t n, const struct scope_names *l)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && i < 6 && k < n; i++) {
		const char *name = strrchr(l->v[i], '/') + 1;
		if (!strncmp(name, "step_", 5))
			name += 5;
		k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "", name);
	}
	if (l->n > 6 && k < n)
		snprintf(buf + k, n - k, ", ... (%zu in all)", l->n);
	if (!l->n)
		snprintf(buf, n, "none");
}

/* The job directory the argument names; *found says how many matched. */
static int find_job(const struct aipm_cgroup_fs *fs, const char *arg, const struct slurm_arg *a,
		    const struct scope_names *jobs, char *job, uint64_t *job_id)
{
	size_t hits = 0, unknown = 0;
	char first[AIPM_CGROUP_PATH_MAX] = "";
	for (size_t i = 0; i < jobs->n; i++) {
		struct aipm_scope s;
		aipm_scope_classify(jobs->v[i], &s);
		uint64_t id = strtoull(s.slurm_job, NULL, 10);
		bool hit = a->id ? id == a->id : !strcmp(s.slurm_sluid, a->sluid);
		if (a->id && !s.slurm_job[0]) {
			id = sluid_job_id(fs, jobs->v[i]);
			unknown += !id;
			hit = id == a->id;
		}
		if (!hit)
			continue;
		if (!hits++) {
			snprintf(first, sizeof first, "%s", jobs->v[i]);
			*job_id = id;
		}
	}
	if (hits == 1) {
		snprintf(job, AIPM_CGROUP_PATH_MAX, "%s", first);
		return 0;
	}
	if (hits > 1)
		return aipm_err(-EEXIST, "Slurm job '%s' matches %zu job directories (first %s: several slurmd on this "
					 "node?). Name one with --cgroup",
				arg, hits, first);
	char here[256];
	names_here(here, sizeof here, jobs);
	if (unknown)
		return aipm_err(-ENOENT, "Slurm job '%s': not found on this node, but %zu job director%s here %s named "
					 "by SLUID and their job id could not be read (no readable slurmstepd title or "
					 "task environment: run aipm as root, or /proc has hidepid). Give the job's SLUID "
					 "instead (`scontrol show job %llu` shows it), or set CgroupJobIdPaths=yes in "
					 "cgroup.conf",
				arg, unknown, unknown > 1 ? "ies" : "y", unknown > 1 ? "are" : "is", (unsigned long long)a->id);
	return aipm_err(-ENOENT, "Slurm job '%s': no such job on this node (jobs here: %s). Run aipm on one of the "
				 "job's nodes (`squeue -j %s -o %%N`)",
			arg, here, a->id ? arg : a->sluid);
}

int aipm_scope_resolve_slurm(const struct aipm_cgroup_fs *fs, const char *arg, struct aipm_scope *out)
{
	struct slurm_arg a;
	int r = parse_arg(arg, &a);
	if (r < 0)
		return r;
	struct scope_names jobs = {0};
	size_t nstepd = 0;
	char job[AIPM_CGROUP_PATH_MAX], path[AIPM_CGROUP_PATH_MAX];
	uint64_t id = a.id;
	r = list_jobs(fs, &jobs, &nstepd);
	if (r >= 0 && !nstepd)
		r = aipm_err(-ENOENT, "Slurm job '%s': no Slurm job cgroups on this node (no slurmstepd.scope at the root "
				      "or in a top-level slice of %s: Slurm's cgroup/v2 plugin is not in use here, or no "
				      "job has run). Run aipm on one of the job's nodes",
			     arg, fs->mount_point);
	if (r >= 0)
		r = find_job(fs, arg, &a, &jobs, job, &id);
	scope_names_free(&jobs);
	if (r < 0)
		return r;
	snprintf(path, sizeof path, "%s", job);
	if (a.step[0]) {
		char step[40];
		snprintf(step, sizeof step, "step_%s", a.step);
		int fd = -1;
		if (!scope_join(path, sizeof path, job, step) || (fd = aipm_cgroup_open_dir(fs, path)) < 0) {
			struct scope_names st = {0};
			char here[256];
			list_steps(fs, job, &st);
			names_here(here, sizeof here, &st);
			scope_names_free(&st);
			return aipm_err(-ENOENT, "Slurm job '%s': the job has no step '%s' on this node (steps here: %s)", arg,
					a.step, here);
		}
		close(fd);
	}
	aipm_scope_classify(path, out);
	if (!out->slurm_job[0] && id)
		snprintf(out->slurm_job, sizeof out->slurm_job, "%llu", (unsigned long long)id);
	return 0;
}
