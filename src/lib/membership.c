/* membership.c: see membership.h. */
#include "membership.h"

#include <stdlib.h>

bool aipm_membership_is_root(const struct aipm_membership *m, pid_t pid)
{
	for (size_t i = 0; m && i < m->nroots; i++)
		if (m->roots[i] == pid)
			return true;
	return false;
}

bool aipm_membership_tracks(const struct aipm_membership *m)
{
	return m && !aipm_membership_cgroup(m) && (m->nroots || m->all_processes);
}

const char *aipm_membership_cgroup(const struct aipm_membership *m)
{
	return m && m->scope.cgroup && *m->scope.cgroup ? m->scope.cgroup : NULL;
}

bool aipm_membership_joins(const struct aipm_membership *m, pid_t pid, pid_t ppid, bool parent_member)
{
	if (!m)
		return false;
	if (m->all_processes)
		return true;
	bool root = aipm_membership_is_root(m, pid);
	if (pid == m->self && !root)
		return false;
	return root || parent_member || (ppid == m->self && m->nroots > 0);
}

static int cmp_pid(const void *k, const void *e)
{
	pid_t a = *(const pid_t *)k, b = ((const struct aipm_proc *)e)->pid;
	return (a > b) - (a < b);
}

bool aipm_membership_in_table(const struct aipm_snapshot *s, pid_t pid)
{
	return pid > 0 && s->nprocs && bsearch(&pid, s->procs, s->nprocs, sizeof *s->procs, cmp_pid);
}

/* The experiment is a cgroup: a GPU process is the experiment's when its
 * pid is one its cgroup.procs listed (not only those /proc could read).
 * Without that list this sample, whose processes they are is unknown, so
 * the GPU's share is too: its list is marked incomplete rather than read
 * as "none of them". */
static void mark_gpus_by_cgroup(struct aipm_snapshot *s)
{
	for (size_t i = 0; i < s->cat->ndevices; i++) {
		struct aipm_gpu_value *g = &s->gpus[i];
		if (!s->scope.exp_pids_valid && !s->gpu_all_processes && g->nprocs)
			g->procs_complete = false;
		for (size_t k = 0; k < g->nprocs; k++)
			g->procs[k].in_experiment =
				s->gpu_all_processes || aipm_scope_values_exp_has(&s->scope, g->procs[k].pid);
	}
}

void aipm_membership_mark_gpus(struct aipm_snapshot *s)
{
	if (s->scope.exp_cgroup) {
		mark_gpus_by_cgroup(s);
		return;
	}
	for (size_t i = 0; i < s->cat->ndevices; i++) {
		struct aipm_gpu_value *g = &s->gpus[i];
		for (size_t k = 0; k < g->nprocs; k++)
			g->procs[k].in_experiment = s->gpu_all_processes || aipm_membership_in_table(s, g->procs[k].pid);
	}
}
