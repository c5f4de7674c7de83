/* cgroup_priv.h: the cgroup source's private state, shared by cgroup.c
 * (the experiment's cgroup: its CPU time, members and their /proc keys)
 * and cgroup_set.c (scopes beside the machine, for aipm serve). Not for
 * anything outside the source. */
#ifndef AIPM_CGROUP_PRIV_H
#define AIPM_CGROUP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membership.h"
#include "procfs_priv.h"
#include "scope/cgroup.h"
#include "scope/names.h"
#include "source.h"

struct cgset;

struct cgsrc {
	struct aipm_source base;
	struct aipm_cgroup_fs fs;
	bool fs_open;

	/* The experiment's cgroup. */
	struct aipm_cgroup_scope *scope;
	/* The process source's member reader (procfs_read.c: kept stat and
	 * smaps_rollup fds within a budget, the CPU clock, pid reuse). Only
	 * its proc_fd, tick_ns, fd_budget and fds_kept are used. */
	struct procfs rd;
	char proc_root[256];
	struct member *m, *next; /* sorted by pid */
	size_t n, cap, next_cap;
	pid_t *pids;             /* cgroup.procs of the latest sample */
	size_t npids, pids_cap;
	pid_t *born;             /* cgroup.procs read again after cpu.stat */
	size_t nborn, born_cap;
	bool removed;            /* the cgroup went away: its job ended */
	uint64_t last_cpu_ns;
	bool mem_valid;
	uint64_t mem_bytes;
	size_t unreadable, peak_members;
	size_t peak_unkept, peak_unkept_of; /* most members read past the fd budget, of how many */
	bool foreign_proc;       /* /proc is another PID namespace's: members not read there */

	/* Scopes beside the machine (cgroup_set.c); NULL when none. */
	struct cgset *set;
};

/* Read a cgroup's members into *pids (grown as cgroup.procs needs). */
int aipm_cgsrc_members(struct aipm_cgroup_scope *s, pid_t **pids, size_t *cap, size_t *n);

/* cgroup_set.c */
int aipm_cgset_open(struct cgsrc *c, const struct aipm_scope_config *cfg, double now_s);
int aipm_cgset_sample(struct cgsrc *c, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap);
void aipm_cgset_describe(struct cgsrc *c, struct aipm_buf *b);
void aipm_cgset_close(struct cgsrc *c);

#endif
