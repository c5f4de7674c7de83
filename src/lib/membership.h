/* membership.h: who belongs to the experiment. The one place that decides
 * it, as pure functions, so the rules are tested without any process.
 *
 * The rules:
 *  - a root (the command aipm started, the pids given to attach, the
 *    calling process in library mode) is a member;
 *  - a process whose parent is a member is a member (descendants);
 *  - an orphan reparented to aipm (a child subreaper, `aipm run`) before it
 *    was ever seen is a member: the command is aipm's only child, so the
 *    orphan came from the tree;
 *  - aipm's own process is a member only when it is a root (library mode;
 *    the sampler thread's time is then taken out, see source.h);
 *  - machine-wide mode (`aipm serve --processes`): every process;
 *  - a GPU process is the experiment's when its pid is in the process table
 *    (the members the process source listed), or always with
 *    --gpu-all-processes (containers whose pids NVML cannot map);
 *  - a cgroup scope (`aipm run` in its own cgroup, `aipm attach --cgroup`,
 *    --slurm-job, --container) replaces all of the above but the last: its
 *    members are the processes its cgroup.procs lists (descendant cgroups
 *    included), whatever their parentage; the /proc scan then reads the
 *    machine only, and a GPU process is the experiment's when its pid (the
 *    host pid mapped through aipm's PID namespace) is one of them.
 *
 * The process source asks aipm_membership_joins() for each process it sees
 * for the first time and lists the members in the snapshot's process
 * table; a scope source (a cgroup) fills the same table from its own list.
 * Attribution then marks GPU processes from that table, after every source
 * has sampled, so no source depends on another's output or on their order.
 */
#ifndef AIPM_MEMBERSHIP_H
#define AIPM_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "snapshot.h"

struct aipm_scope_query;

/* Cgroup scopes (sources/cgroup.c). The experiment's own cgroup, or sets
 * of cgroups measured beside the machine (aipm serve --cgroups, --slurm,
 * --containers), each scope with its own attributed energy. */
struct aipm_scope_config {
	const char *cgroup;     /* the experiment's cgroup (hierarchy path); NULL: none */
	const struct aipm_scope_query *sets; /* scope sets beside the machine */
	size_t nsets;
	size_t max;             /* at most this many scopes (0: AIPM_SCOPES_MAX_DEFAULT) */
	double rescan_s;        /* enumerate the sets again this often (<= 0: AIPM_SCOPES_RESCAN_S) */
};
#define AIPM_SCOPES_MAX_DEFAULT 1000
#define AIPM_SCOPES_RESCAN_S 5.0

struct aipm_membership {
	const pid_t *roots;   /* empty: no tree (whole-machine mode) */
	size_t nroots;
	pid_t self;           /* aipm's own pid */
	bool all_processes;   /* every process of the machine is a member */
	bool gpu_all_processes;
	struct aipm_scope_config scope; /* strings owned by the caller (the pipeline) */
};

bool aipm_membership_is_root(const struct aipm_membership *m, pid_t pid);
/* Is there a tree (or every process) for the /proc scan to follow? Not
 * with a cgroup scope: the cgroup source lists its members instead. */
bool aipm_membership_tracks(const struct aipm_membership *m);
/* The experiment's cgroup, or NULL when it is a process tree. */
const char *aipm_membership_cgroup(const struct aipm_membership *m);
/* Does a process seen for the first time, whose parent is ppid, join?
 * parent_member: ppid is a member. */
bool aipm_membership_joins(const struct aipm_membership *m, pid_t pid, pid_t ppid, bool parent_member);
/* Is pid in the snapshot's process table (sorted by pid)? */
bool aipm_membership_in_table(const struct aipm_snapshot *s, pid_t pid);
/* Mark every GPU process of s in_experiment or not. */
void aipm_membership_mark_gpus(struct aipm_snapshot *s);

#endif
