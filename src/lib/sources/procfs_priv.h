/* procfs_priv.h: the process source's private state, shared by procfs.c
 * (the scan, the machine, open/close) and procfs_read.c (reading one
 * member: its times, its memory, its kept file descriptors). Not for
 * anything outside the source. */
#ifndef AIPM_PROCFS_PRIV_H
#define AIPM_PROCFS_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "pidtable.h"
#include "procparse.h"
#include "source.h"

struct member {
	pid_t pid;
	uint64_t start_ticks;
	int stat_fd, smaps_fd;   /* -1 when not kept (past the fd budget, or none yet) */
	clockid_t clock;         /* the process CPU clock */
	bool has_clock;
	uint64_t cpu_ns, child_ns;
	char comm[32];
	bool alive;
	bool mem_valid, mem_tried;
	uint64_t pss, uss, rss;
};

struct procfs {
	struct aipm_source base;
	int proc_fd, stat_fd, meminfo_fd;
	char root[256];
	const struct aipm_membership *mb;
	pid_t self;
	bool all; /* every process is a member (machine-wide mode) */
	_Atomic uint64_t *reaped;
	uint64_t tick_ns;
	bool meminfo_valid;
	struct aipm_meminfo mem; /* at the last slow-tier read */
	struct pidtable cur, next;
	struct member *members, *members_next;
	size_t nmembers, members_cap, next_cap;
	size_t last_listed;
	pid_t *fresh; /* pids first seen this sample */
	size_t nfresh, fresh_cap;
	/* fd budget */
	size_t fd_budget, fds_kept;
	size_t unkept, unread; /* this sample: members read by path; pids not readable at all */
	size_t peak_unkept, peak_members, unread_total;
};

enum read_result { READ_OK, READ_GONE, READ_UNREAD };

void aipm_procfs_member_close(struct procfs *s, struct member *m);
/* Open pid/name relative to the procfs; *kept when it fits under limit
 * kept descriptors (then counted in the budget). -errno on failure. */
int aipm_procfs_open_kept(struct procfs *s, pid_t pid, const char *name, size_t limit, bool *kept);
uint64_t aipm_procfs_ts_ns(const struct timespec *t);
/* Refresh a member's CPU times and state. */
enum read_result aipm_procfs_member_refresh(struct procfs *s, struct member *m);
/* Read a member's PSS/USS from smaps_rollup. */
void aipm_procfs_member_read_mem(struct procfs *s, struct member *m);
/* Read a first-seen pid's stat (its fd returned, kept or not). */
int aipm_procfs_adopt(struct procfs *s, pid_t pid, struct aipm_pid_stat *f, int *fd_out, bool *kept);
/* A member first seen, from the stat adopt read through fd (kept: held
 * as its stat fd, else closed); use_clock: its CPU time from the process
 * CPU clock (ns), else the stat's ticks. */
void aipm_procfs_member_init(struct procfs *s, struct member *m, pid_t pid, const struct aipm_pid_stat *f, int fd,
			     bool kept, bool use_clock);
/* Append a member to the snapshot's process table; NULL when out of memory. */
struct aipm_proc *aipm_procfs_member_publish(const struct member *m, struct aipm_snapshot *snap);
/* Descriptors a source may keep for members (RLIMIT_NOFILE less a reserve). */
size_t aipm_procfs_fd_budget(void);

#endif
