/* names.h: what a person calls a scope, and the cgroup it is.
 *
 * Resolution turns one user-facing name into one cgroup path with labels:
 *   --cgroup PATH      a hierarchy path ("/system.slice/x.service"), a path
 *                      under the mount ("/sys/fs/cgroup/system.slice/x"), or
 *                      a path relative to aipm's own cgroup ("worker/a");
 *   --slurm-job ID     "123", "123.0", "123.batch", "123.extern",
 *                      "123.interactive", or the job's SLUID ("s5K1KKYAYG5D00",
 *                      Slurm 26.05's default directory name), in either
 *                      layout (job_<id>/ or <SLUID>/ under slurmstepd.scope);
 *   --container ID     a Docker, Podman, containerd or CRI-O container id,
 *                      full or a unique prefix ("docker://ID" accepted), or
 *                      a Kubernetes pod UID (the whole pod).
 * Enumeration lists every scope of a kind (for `aipm serve --cgroups GLOB`,
 * `--slurm`, `--containers`), in sorted path order, at most `max` of them,
 * and says how many were left out.
 *
 * Labels are derived from the path alone (aipm_scope_classify, a pure
 * function), except a SLUID job's numeric id, read from its slurmstepd's
 * process title ("slurmstepd: [123.batch]") or a task's SLURM_JOB_ID.
 * Errors name the value at fault and what to do.
 */
#ifndef AIPM_SCOPE_NAMES_H
#define AIPM_SCOPE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "scope/cgroup.h"

enum aipm_scope_kind {
	AIPM_SCOPE_CGROUP,     /* a cgroup that is none of the below */
	AIPM_SCOPE_SLURM_JOB,  /* .../slurmstepd.scope/job_<id> or /<SLUID> */
	AIPM_SCOPE_SLURM_STEP, /* .../<job>/step_<N|batch|extern|interactive> */
	AIPM_SCOPE_CONTAINER,  /* docker-, libpod-, cri-containerd-, crio-<id>[.scope], cgroupfs <id> */
	AIPM_SCOPE_POD,        /* a Kubernetes pod's cgroup */
};

/* Labels of a scope, "" where they do not apply. A cgroup inside a job or a
 * container carries the labels of what holds it. */
struct aipm_scope {
	enum aipm_scope_kind kind;
	char cgroup[AIPM_CGROUP_PATH_MAX]; /* hierarchy path, always set */
	char slurm_job[24];    /* numeric job id; "" for a SLUID job whose id could not be read */
	char slurm_sluid[16];  /* the SLUID of a 26.05 job directory */
	char slurm_step[24];   /* "0", "batch", "extern", "interactive"; "" for the whole job */
	char container_id[72]; /* 64 hex digits */
	char runtime[16];      /* "docker", "podman", "containerd", "crio" ("" for a pod) */
	char pod_uid[40];      /* with '-', whatever the driver wrote */
	char qos[12];          /* "guaranteed", "burstable", "besteffort" */
};

/* Labels from the path alone: no file is read. */
void aipm_scope_classify(const char *path, struct aipm_scope *out);

int aipm_scope_resolve_cgroup(const struct aipm_cgroup_fs *fs, const char *arg, struct aipm_scope *out);
int aipm_scope_resolve_slurm(const struct aipm_cgroup_fs *fs, const char *arg, struct aipm_scope *out);
int aipm_scope_resolve_container(const struct aipm_cgroup_fs *fs, const char *arg, struct aipm_scope *out);

enum aipm_scope_set {
	AIPM_SCOPES_GLOB,        /* cgroups matching glob, '*' '?' '[..]' within one component */
	AIPM_SCOPES_SLURM_JOBS,  /* every job (steps are inside: summing both would count twice) */
	AIPM_SCOPES_SLURM_STEPS, /* every step of every job */
	AIPM_SCOPES_CONTAINERS,  /* every container, in a pod or not */
	AIPM_SCOPES_PODS,        /* every Kubernetes pod */
};

#define AIPM_SCOPE_QUERY_VERSION 1
struct aipm_scope_query {
	unsigned version;
	enum aipm_scope_set set;
	const char *glob; /* AIPM_SCOPES_GLOB: absolute, or relative to aipm's cgroup */
	size_t max;       /* at most this many scopes (0: 1000) */
};
void aipm_scope_query_init(struct aipm_scope_query *q, enum aipm_scope_set set);

struct aipm_scope_list {
	struct aipm_scope *v;
	size_t n;
	size_t left_out;   /* matched but past max: not listed */
	size_t unreadable; /* directories that could not be listed (vanished, permission) */
	size_t cap;        /* allocated entries of v */
};
/* An empty match is not an error (a node between jobs); a glob that is
 * malformed, or no cgroup v2, is. */
int aipm_scope_enumerate(const struct aipm_cgroup_fs *fs, const struct aipm_scope_query *q,
			 struct aipm_scope_list *out);
void aipm_scope_list_free(struct aipm_scope_list *l);

#endif
