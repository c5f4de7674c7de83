/* procfs_read.c: reading one member of the process table, for procfs.c
 * (and cgroup.c, whose members are the same kind of process): its CPU
 * times (the process CPU clock, then the stat that guards it), its state,
 * its PSS/USS, and the descriptors kept for it within the fd budget (past
 * it, open-read-close with the start time as the guard). */
#include "procfs_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void close_fd(struct procfs *s, int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		s->fds_kept--;
	}
	*fd = -1;
}

void aipm_procfs_member_close(struct procfs *s, struct member *m)
{
	close_fd(s, &m->stat_fd);
	close_fd(s, &m->smaps_fd);
}

/* Open pid/name, kept (counted in the budget) when there is room below
 * limit: stat fds may use the whole budget (they are read every sample and
 * guard against pid reuse), smaps fds half of it (read at the slow tier). */
int aipm_procfs_open_kept(struct procfs *s, pid_t pid, const char *name, size_t limit, bool *kept)
{
	char path[64];
	snprintf(path, sizeof path, "%d/%s", (int)pid, name);
	int fd = aipm_openat_ro(s->proc_fd, path);
	*kept = fd >= 0 && s->fds_kept < limit;
	if (*kept)
		s->fds_kept++;
	return fd;
}

/* A member's stat: through its kept fd (ESRCH once the process is gone),
 * or by path, where a start time that changed means the pid was reused. */
static enum read_result read_stat(struct procfs *s, struct member *m, struct aipm_pid_stat *f)
{
	char buf[1024];
	if (m->stat_fd >= 0)
		return aipm_pread_all(m->stat_fd, buf, sizeof buf) > 0 && aipm_parse_pid_stat(buf, f) ? READ_OK
													  : READ_GONE;
	char path[32];
	snprintf(path, sizeof path, "%d/stat", (int)m->pid);
	long n = aipm_read_file_at(s->proc_fd, path, buf, sizeof buf);
	if (n == -EMFILE || n == -ENFILE)
		return READ_UNREAD;
	if (n <= 0 || !aipm_parse_pid_stat(buf, f) || f->start != m->start_ticks)
		return READ_GONE;
	return READ_OK;
}

uint64_t aipm_procfs_ts_ns(const struct timespec *t) { return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec; }

/* Refresh a member's times. The clock is read before the stat: if the
 * stat then shows the same process, the clock was that process's too (a
 * pid is not reused while its process, even a zombie, exists). */
enum read_result aipm_procfs_member_refresh(struct procfs *s, struct member *m)
{
	struct timespec t;
	bool clk = m->has_clock && clock_gettime(m->clock, &t) == 0;
	struct aipm_pid_stat f;
	enum read_result r = read_stat(s, m, &f);
	if (r != READ_OK)
		return r;
	if (m->has_clock && !clk)
		m->has_clock = false; /* ticks from now on, never a mix */
	m->cpu_ns = clk ? aipm_procfs_ts_ns(&t) : (f.utime + f.stime) * s->tick_ns;
	m->child_ns = (f.cutime + f.cstime) * s->tick_ns;
	m->alive = !aipm_pid_stat_ended(&f);
	return READ_OK;
}

static bool read_smaps(struct procfs *s, struct member *m, char *buf, size_t n)
{
	bool kept;
	if (m->smaps_fd >= 0 && aipm_pread_all(m->smaps_fd, buf, n) > 0)
		return true;
	/* The open file pins the address space it was opened on: after an
	 * execve (the command itself, right after aipm forks it) it reads
	 * nothing. Reopen once for the new one. */
	close_fd(s, &m->smaps_fd);
	int fd = aipm_procfs_open_kept(s, m->pid, "smaps_rollup", s->fd_budget / 2, &kept);
	if (fd < 0)
		return false;
	bool ok = aipm_pread_all(fd, buf, n) > 0;
	if (kept)
		m->smaps_fd = fd;
	else
		close(fd);
	return ok;
}

void aipm_procfs_member_read_mem(struct procfs *s, struct member *m)
{
	char buf[2048];
	struct aipm_smaps mem;
	/* A zombie or a kernel thread has no address space: no PSS. */
	m->mem_valid = read_smaps(s, m, buf, sizeof buf) && aipm_parse_smaps_rollup(buf, &mem);
	if (m->mem_valid) {
		m->pss = mem.pss_bytes;
		m->uss = mem.uss_bytes;
		m->rss = mem.rss_bytes;
	}
}

int aipm_procfs_adopt(struct procfs *s, pid_t pid, struct aipm_pid_stat *f, int *fd_out, bool *kept)
{
	char buf[1024];
	int fd = aipm_procfs_open_kept(s, pid, "stat", s->fd_budget, kept);
	if (fd < 0)
		return fd;
	if (aipm_pread_all(fd, buf, sizeof buf) <= 0 || !aipm_parse_pid_stat(buf, f)) {
		close(fd);
		if (*kept)
			s->fds_kept--;
		return -ESRCH;
	}
	*fd_out = fd;
	return 0;
}

void aipm_procfs_member_init(struct procfs *s, struct member *m, pid_t pid, const struct aipm_pid_stat *f, int fd,
			     bool kept, bool use_clock)
{
	memset(m, 0, sizeof *m);
	m->pid = pid;
	m->start_ticks = f->start;
	m->stat_fd = kept ? fd : -1;
	if (!kept)
		close(fd);
	m->smaps_fd = -1;
	m->has_clock = use_clock && clock_getcpuclockid(pid, &m->clock) == 0;
	snprintf(m->comm, sizeof m->comm, "%s", f->comm);
	/* The stat was just read: only the clock is left (every later
	 * sample reads both, clock first, see member_refresh). */
	struct timespec t;
	if (m->has_clock && clock_gettime(m->clock, &t) == 0)
		m->cpu_ns = aipm_procfs_ts_ns(&t);
	else
		m->has_clock = false, m->cpu_ns = (f->utime + f->stime) * s->tick_ns;
	m->child_ns = (f->cutime + f->cstime) * s->tick_ns;
	m->alive = !aipm_pid_stat_ended(f);
}

struct aipm_proc *aipm_procfs_member_publish(const struct member *m, struct aipm_snapshot *snap)
{
	struct aipm_proc *p = aipm_snapshot_add_proc(snap);
	if (!p)
		return NULL;
	p->pid = m->pid;
	p->start_ticks = m->start_ticks;
	memcpy(p->comm, m->comm, sizeof p->comm);
	p->alive = m->alive;
	p->cpu_ns = m->cpu_ns;
	p->mem_valid = m->mem_valid;
	p->pss_bytes = m->pss;
	p->uss_bytes = m->uss;
	p->rss_bytes = m->rss;
	return p;
}

/* Keep a reserve of descriptors for the rest of aipm (the recording, the
 * other sources) and, in library mode, for the host process. */
size_t aipm_procfs_fd_budget(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 4096;
	size_t cur = (size_t)rl.rlim_cur;
	return cur > 512 ? cur - 256 : cur / 2;
}
