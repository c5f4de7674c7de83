/* procfs.c: the measured process tree, the machine's CPU time and memory.
 *
 * Each sample lists /proc once (getdents64 on a kept directory fd, no
 * allocation) and rebuilds a pid-keyed table by mark and sweep: a pid seen
 * for the first time has its stat read once to learn its parent and start
 * time, and joins the tree if it is a root or its parent is a member.
 * Members keep their /proc/PID/stat (and smaps_rollup) fds open; a kept fd
 * of a process that ended reads ESRCH, so a reused pid can never pass for
 * the old process.
 *
 * CPU time of processes that end between two samples is not lost: the tree
 * total is the reaped rusage handed in by the sampler plus, for each live
 * member, utime+stime+cutime+cstime (a waited-for child moves into its
 * parent's cutime the moment it is reaped).
 *
 * PSS and USS come from smaps_rollup, whose read walks the page tables:
 * it is read at --mem-interval, not at every sample.
 *
 * In machine-wide mode (all_processes, `aipm serve --processes`) every
 * process is a member: the same scan, kept fds and pid-reuse rule give
 * per-process CPU time for the whole machine. PSS/USS are not read then
 * (smaps_rollup of every process each second would cost more than all the
 * rest of a sample).
 */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "procparse.h"

enum { NONMEMBER = -1 };

struct member {
	pid_t pid;
	uint64_t start_ticks;
	int stat_fd, smaps_fd;   /* -1 when not open */
	uint64_t self_ticks, child_ticks;
	char comm[32];
	bool mem_valid, mem_tried;
	uint64_t pss, uss, rss;
};

struct slot {
	pid_t pid;   /* 0 = empty */
	int member;  /* index into members, or NONMEMBER */
};

struct table {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t used;
};

struct excl {
	pid_t tid;
	int fd;
};

struct procfs {
	struct aipm_source base;
	int proc_fd, stat_fd, meminfo_fd;
	pid_t *roots;
	size_t nroots;
	pid_t self;
	bool all; /* every process is a member (machine-wide mode) */
	struct excl *excl;
	size_t nexcl;
	_Atomic uint64_t *reaped;
	double mem_interval_s, last_mem_s;
	bool mem_due;
	uint64_t mem_total, mem_avail;
	struct table cur, next;
	struct member *members, *members_next;
	size_t nmembers, members_cap, next_cap;
	size_t last_listed;
	pid_t *fresh; /* pids first seen this sample */
	size_t nfresh, fresh_cap;
};

static size_t hash_pid(pid_t p, size_t cap) { return ((uint32_t)p * 2654435761u) & (cap - 1); }

static struct slot *table_find(struct table *t, pid_t pid)
{
	if (!t->cap || pid <= 0) /* pid 0 marks an empty slot */
		return NULL;
	for (size_t i = hash_pid(pid, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].pid == pid)
			return &t->slots[i];
		if (!t->slots[i].pid)
			return NULL;
	}
}

static void table_put_raw(struct table *t, pid_t pid, int member)
{
	size_t i = hash_pid(pid, t->cap);
	while (t->slots[i].pid && t->slots[i].pid != pid)
		i = (i + 1) & (t->cap - 1);
	if (!t->slots[i].pid)
		t->used++;
	t->slots[i].pid = pid;
	t->slots[i].member = member;
}

static int table_reset(struct table *t, size_t cap)
{
	if (t->cap != cap) {
		struct slot *n = calloc(cap, sizeof *n);
		if (!n)
			return -ENOMEM;
		free(t->slots);
		t->slots = n;
		t->cap = cap;
	} else {
		memset(t->slots, 0, cap * sizeof *t->slots);
	}
	t->used = 0;
	return 0;
}

/* Insert, doubling the table at half load so probes stay short. */
static int table_put(struct table *t, pid_t pid, int member)
{
	if ((t->used + 1) * 2 > t->cap) {
		struct table bigger = {0};
		if (table_reset(&bigger, t->cap ? t->cap * 2 : 1024) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].pid)
				table_put_raw(&bigger, t->slots[i].pid, t->slots[i].member);
		free(t->slots);
		*t = bigger;
	}
	table_put_raw(t, pid, member);
	return 0;
}

static bool is_root(const struct procfs *s, pid_t pid)
{
	for (size_t i = 0; i < s->nroots; i++)
		if (s->roots[i] == pid)
			return true;
	return false;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static void member_close(struct member *m)
{
	if (m->stat_fd >= 0)
		close(m->stat_fd);
	if (m->smaps_fd >= 0)
		close(m->smaps_fd);
	m->stat_fd = m->smaps_fd = -1;
}

/* Read a member's stat through its kept fd. false once the process is
 * gone (reaped): ESRCH on the old fd. A zombie still reads, with its final
 * times. */
static bool member_refresh(struct member *m)
{
	char buf[1024];
	struct aipm_pid_stat f;
	if (aipm_pread_all(m->stat_fd, buf, sizeof buf) <= 0 || !aipm_parse_pid_stat(buf, &f))
		return false;
	m->self_ticks = f.utime + f.stime;
	m->child_ticks = f.cutime + f.cstime;
	return true;
}

static void member_read_mem(struct procfs *s, struct member *m)
{
	char buf[2048], path[64];
	if (m->smaps_fd < 0) {
		snprintf(path, sizeof path, "%d/smaps_rollup", (int)m->pid);
		m->smaps_fd = aipm_openat_ro(s->proc_fd, path);
		if (m->smaps_fd < 0) {
			m->smaps_fd = -1;
			m->mem_valid = false;
			return;
		}
	}
	if (aipm_pread_all(m->smaps_fd, buf, sizeof buf) <= 0) {
		/* The open file pins the address space it was opened on: after
		 * an execve (the command itself, right after aipm forks it) it
		 * reads nothing. Reopen once for the new one. */
		close(m->smaps_fd);
		snprintf(path, sizeof path, "%d/smaps_rollup", (int)m->pid);
		m->smaps_fd = aipm_openat_ro(s->proc_fd, path);
		if (m->smaps_fd < 0 || aipm_pread_all(m->smaps_fd, buf, sizeof buf) <= 0) {
			if (m->smaps_fd < 0)
				m->smaps_fd = -1;
			m->mem_valid = false; /* a zombie or a kernel thread: no mm */
			return;
		}
	}
	struct aipm_smaps mem;
	m->mem_valid = aipm_parse_smaps_rollup(buf, &mem);
	m->pss = mem.pss_bytes;
	m->uss = mem.uss_bytes;
	m->rss = mem.rss_bytes;
}

/* Open a first-seen pid's stat; decide membership from its parent. */
static int adopt(struct procfs *s, pid_t pid, struct aipm_pid_stat *f, int *fd_out)
{
	char path[32], buf[1024];
	snprintf(path, sizeof path, "%d/stat", (int)pid);
	int fd = aipm_openat_ro(s->proc_fd, path);
	if (fd < 0)
		return fd;
	if (aipm_pread_all(fd, buf, sizeof buf) <= 0 || !aipm_parse_pid_stat(buf, f)) {
		close(fd);
		return -ESRCH;
	}
	*fd_out = fd;
	return 0;
}

static int add_member(struct procfs *s, pid_t pid, const struct aipm_pid_stat *f, int fd)
{
	if (grow((void **)&s->members_next, &s->next_cap, s->nmembers + 1, sizeof *s->members) < 0)
		return -ENOMEM;
	struct member *m = &s->members_next[s->nmembers];
	memset(m, 0, sizeof *m);
	m->pid = pid;
	m->start_ticks = f->start;
	m->stat_fd = fd;
	m->smaps_fd = -1;
	m->self_ticks = f->utime + f->stime;
	m->child_ticks = f->cutime + f->cstime;
	snprintf(m->comm, sizeof m->comm, "%s", f->comm);
	table_put(&s->next, pid, (int)s->nmembers++);
	return 0;
}

/* Resolve first-seen pids. A child may be listed before its parent is
 * known (pid wrap), so loop until no pid changes state. */
static void resolve_fresh(struct procfs *s)
{
	bool progress = true;
	while (progress && s->nfresh) {
		progress = false;
		for (size_t i = 0; i < s->nfresh;) {
			pid_t pid = s->fresh[i];
			struct aipm_pid_stat f;
			int fd = -1;
			int r = adopt(s, pid, &f, &fd);
			if (r < 0) {
				/* Out of fds is not "gone": leave the pid out of the
				 * table so the next sample tries it again, rather
				 * than never counting it. */
				if (r != -EMFILE && r != -ENFILE)
					table_put(&s->next, pid, NONMEMBER); /* gone already */
				s->fresh[i] = s->fresh[--s->nfresh];
				progress = true;
				continue;
			}
			/* Machine-wide, membership needs no parent: skipping the
			 * search also keeps the first sample of a busy machine
			 * (every pid fresh) linear. */
			struct slot *parent = s->all ? NULL : table_find(&s->next, f.ppid);
			bool parent_pending = false;
			for (size_t k = 0; !s->all && !parent && k < s->nfresh; k++)
				parent_pending |= s->fresh[k] == f.ppid && f.ppid != pid;
			if (parent_pending && !is_root(s, pid)) {
				close(fd);
				i++;
				continue;
			}
			/* aipm run is a child subreaper: an orphan reparented to aipm
			 * before it was ever seen (its parent exited within one
			 * interval) came from the tree, since the command is aipm's
			 * only child. */
			/* aipm's own process is a root only in library mode (the
			 * meter measures its caller); the sampler thread's time is
			 * then taken out by exclude_tids. */
			bool member = s->all ||
				      ((pid != s->self || is_root(s, pid)) &&
				       (is_root(s, pid) || (parent && parent->member != NONMEMBER) ||
					f.ppid == s->self));
			if (!member || add_member(s, pid, &f, fd) < 0) {
				close(fd);
				table_put(&s->next, pid, NONMEMBER);
			}
			s->fresh[i] = s->fresh[--s->nfresh];
			progress = true;
		}
	}
	for (size_t i = 0; i < s->nfresh; i++)
		table_put(&s->next, s->fresh[i], NONMEMBER);
	s->nfresh = 0;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct member *)a)->pid, y = ((const struct member *)b)->pid;
	return (x > y) - (x < y);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int scan(struct procfs *s)
{
	char buf[32768];
	size_t n_listed = 0;
	if (lseek(s->proc_fd, 0, SEEK_SET) < 0)
		return -errno;
	/* Size the next table for what was listed last time, with headroom. */
	size_t want = 1024;
	while (want < 4 * s->last_listed && want < (1u << 24))
		want *= 2;
	if (table_reset(&s->next, want) < 0)
		return -ENOMEM;
	size_t nm = 0;
	s->nmembers = 0;
	for (;;) {
		long got = syscall(SYS_getdents64, s->proc_fd, buf, sizeof buf);
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			const char *p = d->d_name;
			uint64_t v;
			if (*p < '1' || *p > '9' || !aipm_parse_u64(&p, &v) || *p)
				continue;
			pid_t pid = (pid_t)v;
			n_listed++;
			struct slot *old = table_find(&s->cur, pid);
			if (!old) {
				if (grow((void **)&s->fresh, &s->fresh_cap, s->nfresh + 1, sizeof *s->fresh) < 0)
					return -ENOMEM;
				s->fresh[s->nfresh++] = pid;
				continue;
			}
			if (old->member == NONMEMBER) {
				table_put(&s->next, pid, NONMEMBER);
				continue;
			}
			struct member *m = &s->members[old->member];
			if (!member_refresh(m)) {
				member_close(m); /* ended between listing and read */
				old->member = NONMEMBER;
				continue;
			}
			if (grow((void **)&s->members_next, &s->next_cap, s->nmembers + 1, sizeof *m) < 0)
				return -ENOMEM;
			s->members_next[s->nmembers] = *m;
			m->stat_fd = m->smaps_fd = -1; /* moved */
			old->member = NONMEMBER;
			table_put(&s->next, pid, (int)s->nmembers++);
			nm++;
		}
	}
	s->last_listed = n_listed;
	/* Members not listed any more have ended: close their fds. */
	for (size_t i = 0; i < s->cur.cap; i++)
		if (s->cur.slots[i].pid && s->cur.slots[i].member != NONMEMBER)
			member_close(&s->members[s->cur.slots[i].member]);
	resolve_fresh(s);
	/* members_next is in /proc order (ascending pid) except fresh members
	 * appended at the end: insertion-sort a few into place; many (the
	 * first machine-wide sample lists every process) would make that
	 * quadratic, so qsort them. */
	if (s->nmembers - nm > 64)
		qsort(s->members_next, s->nmembers, sizeof *s->members_next, by_pid);
	for (size_t i = nm; i < s->nmembers; i++) {
		struct member m = s->members_next[i];
		size_t j = i;
		while (j > 0 && s->members_next[j - 1].pid > m.pid) {
			s->members_next[j] = s->members_next[j - 1];
			j--;
		}
		s->members_next[j] = m;
	}
	for (size_t i = 0; i < s->nmembers; i++)
		table_put(&s->next, s->members_next[i].pid, (int)i);
	struct table t = s->cur;
	s->cur = s->next;
	s->next = t;
	struct member *mt = s->members;
	s->members = s->members_next;
	s->members_next = mt;
	size_t ct = s->members_cap;
	s->members_cap = s->next_cap;
	s->next_cap = ct;
	return 0;
}

static bool read_sys(struct procfs *s, struct aipm_snapshot *snap)
{
	char buf[512];
	return aipm_pread_all(s->stat_fd, buf, sizeof buf) > 0 &&
	       aipm_parse_proc_stat(buf, &snap->sys_busy_ticks, &snap->sys_total_ticks);
}

static void read_meminfo(struct procfs *s)
{
	char buf[4096];
	if (aipm_pread_all(s->meminfo_fd, buf, sizeof buf) <= 0)
		return;
	aipm_parse_meminfo(buf, &s->mem_total, &s->mem_avail);
}

static uint64_t excluded_ticks(struct procfs *s)
{
	uint64_t t = 0;
	for (size_t i = 0; i < s->nexcl; i++) {
		char buf[1024];
		struct aipm_pid_stat f;
		if (s->excl[i].fd >= 0 && aipm_pread_all(s->excl[i].fd, buf, sizeof buf) > 0 && aipm_parse_pid_stat(buf, &f))
			t += f.utime + f.stime;
	}
	return t;
}

static int procfs_sample(struct aipm_source *src, struct aipm_snapshot *snap)
{
	struct procfs *s = (struct procfs *)src;
	snap->sys_valid = read_sys(s, snap);
	double now = aipm_ts_to_s(&snap->mono);
	bool mem_due = snap->seq == 0 || now - s->last_mem_s >= s->mem_interval_s - 1e-6;
	if (mem_due) {
		read_meminfo(s);
		s->last_mem_s = now;
	}
	snap->mem_total_bytes = s->mem_total;
	snap->mem_available_bytes = s->mem_avail;
	if (!s->nroots && !s->all) {
		snap->tree_valid = false;
		snap->nprocs = 0;
		return 0;
	}
	/* Read the reaped total before listing: a child reaped in between is
	 * then missing from both for one sample (the sampler keeps the total
	 * monotonic) rather than counted twice. */
	uint64_t reaped = s->reaped ? atomic_load(s->reaped) : 0;
	int r = scan(s);
	if (r < 0) {
		snap->tree_valid = false;
		return aipm_err(r, "listing %s: %s", aipm_proc_root(), strerror(-r));
	}
	if (aipm_snapshot_reserve_procs(snap, s->nmembers) < 0)
		return aipm_err(-ENOMEM, "out of memory for %zu processes", s->nmembers);
	uint64_t total = reaped;
	for (size_t i = 0; i < s->nmembers; i++) {
		struct member *m = &s->members[i];
		/* A new member is read at once, so short-lived processes show. */
		if (!s->all && (mem_due || !m->mem_tried)) {
			member_read_mem(s, m);
			m->mem_tried = true;
		}
		struct aipm_proc *p = &snap->procs[i];
		p->pid = m->pid;
		p->start_ticks = m->start_ticks;
		memcpy(p->comm, m->comm, sizeof p->comm);
		p->cpu_ticks = m->self_ticks;
		p->mem_valid = m->mem_valid;
		p->pss_bytes = m->pss;
		p->uss_bytes = m->uss;
		p->rss_bytes = m->rss;
		total += m->self_ticks + m->child_ticks;
	}
	uint64_t ex = excluded_ticks(s);
	if (ex) {
		/* aipm's own thread lives in the measured process (library mode):
		 * its CPU time is the meter's, not the experiment's. */
		total = total > ex ? total - ex : 0;
		for (size_t i = 0; i < s->nmembers; i++)
			if (snap->procs[i].pid == s->self)
				snap->procs[i].cpu_ticks = snap->procs[i].cpu_ticks > ex ? snap->procs[i].cpu_ticks - ex : 0;
	}
	snap->nprocs = s->nmembers;
	snap->tree_cpu_ticks = total;
	snap->tree_alive = s->nmembers > 0;
	snap->tree_valid = true;
	return 0;
}

static int procfs_open(const struct aipm_source_config *cfg, struct aipm_source **out)
{
	struct procfs *s = calloc(1, sizeof *s);
	if (!s)
		return aipm_err(-ENOMEM, "out of memory opening the process source");
	s->proc_fd = s->stat_fd = s->meminfo_fd = -1;
	*out = &s->base;
	const char *root = aipm_proc_root();
	s->proc_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0) {
		aipm_source_set(&s->base, false, "mount procfs at /proc (`mount -t proc proc /proc`)",
				"cannot open %s: %s", root, strerror(errno));
		return 0;
	}
	s->stat_fd = aipm_openat_ro(s->proc_fd, "stat");
	s->meminfo_fd = aipm_openat_ro(s->proc_fd, "meminfo");
	if (s->stat_fd < 0 || s->meminfo_fd < 0) {
		aipm_source_set(&s->base, false, "mount procfs at /proc", "cannot read %s/stat or %s/meminfo", root,
				root);
		return 0;
	}
	s->self = getpid();
	/* Inside `unshare --pid` without --mount-proc, /proc still shows the
	 * outer namespace: its pids are not ours, and the tree would be
	 * strangers' processes. /proc/self names our pid as that procfs sees
	 * it; if it differs from getpid(), refuse rather than measure them. */
	char self_link[32] = "";
	ssize_t n = readlinkat(s->proc_fd, "self", self_link, sizeof self_link - 1);
	if (n > 0) {
		self_link[n] = '\0';
		if (atoi(self_link) != (int)s->self) {
			aipm_source_set(&s->base, false,
					"mount a procfs for this PID namespace (`unshare --pid --fork --mount-proc`, or "
					"`mount -t proc proc /proc` inside it)",
					"%s belongs to another PID namespace (it calls aipm pid %s, aipm is pid %d here)",
					root, self_link, (int)s->self);
			return 0;
		}
	}
	s->reaped = cfg->reaped_ticks;
	s->all = cfg->all_processes;
	s->mem_interval_s = cfg->mem_interval_s > 0 ? cfg->mem_interval_s : 1.0;
	if (cfg->nroots) {
		s->roots = calloc(cfg->nroots, sizeof *s->roots);
		if (!s->roots)
			return aipm_err(-ENOMEM, "out of memory");
		memcpy(s->roots, cfg->roots, cfg->nroots * sizeof *s->roots);
		s->nroots = cfg->nroots;
	}
	if (cfg->nexclude_tids) {
		s->excl = calloc(cfg->nexclude_tids, sizeof *s->excl);
		if (!s->excl)
			return aipm_err(-ENOMEM, "out of memory");
		for (size_t i = 0; i < cfg->nexclude_tids; i++) {
			char path[64];
			snprintf(path, sizeof path, "%d/task/%d/stat", (int)s->self, (int)cfg->exclude_tids[i]);
			s->excl[i].tid = cfg->exclude_tids[i];
			s->excl[i].fd = aipm_openat_ro(s->proc_fd, path);
		}
		s->nexcl = cfg->nexclude_tids;
	}
	if (s->all)
		aipm_source_set(&s->base, true, "", "every process of the machine from %s (CPU time, no PSS/USS)", root);
	else if (s->nroots)
		aipm_source_set(&s->base, true, "", "process tree of %zu root pid(s) from %s, PSS/USS every %g s",
				s->nroots, root, s->mem_interval_s);
	else
		aipm_source_set(&s->base, true, "", "machine CPU time and memory from %s", root);
	return 0;
}

static void procfs_close(struct aipm_source *src)
{
	struct procfs *s = (struct procfs *)src;
	for (size_t i = 0; i < s->cur.cap; i++)
		if (s->cur.slots[i].pid && s->cur.slots[i].member != NONMEMBER)
			member_close(&s->members[s->cur.slots[i].member]);
	for (size_t i = 0; i < s->nexcl; i++)
		if (s->excl[i].fd >= 0)
			close(s->excl[i].fd);
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	if (s->stat_fd >= 0)
		close(s->stat_fd);
	if (s->meminfo_fd >= 0)
		close(s->meminfo_fd);
	free(s->cur.slots);
	free(s->next.slots);
	free(s->members);
	free(s->members_next);
	free(s->fresh);
	free(s->roots);
	free(s->excl);
	free(s);
}

const struct aipm_source_ops aipm_source_procfs = {
	.name = "procfs",
	.what = "process tree CPU time and PSS/USS memory, machine CPU and memory (/proc)",
	.open = procfs_open,
	.sample = procfs_sample,
	.close = procfs_close,
};
