/* procfs.c: the process table, the machine's CPU time and memory.
 *
 * Each sample lists /proc once (getdents64 on a kept directory fd, no
 * allocation) and rebuilds a pid-keyed table by mark and sweep: a pid seen
 * for the first time has its stat read once to learn its parent and start
 * time, and membership.c says whether it joins the experiment. Members
 * keep their /proc/PID/stat (and smaps_rollup) fds open; a kept fd of a
 * process that ended reads ESRCH, so a reused pid can never pass for the
 * old process. The members are listed, sorted by pid, in the snapshot's
 * process table; which GPU processes are the experiment's is decided from
 * that table by attribution, not here.
 *
 * CPU time is the process CPU clock (clock_getcpuclockid): nanoseconds,
 * every thread, ended threads included, one syscall (0.12 us here, against
 * 0.82 us for the stat pread; /proc/PID/schedstat would be 0.25 us but
 * counts the leader thread only, and summing task/ schedstats costs one
 * read per thread). The stat read that follows it guards against pid
 * reuse and gives the waited-for children's time (cutime + cstime, ticks)
 * and the state (a zombie has ended). CPU time of processes that end between
 * two samples is not lost: the tree total is the reaped rusage handed in
 * by the sampler plus, for each live member, its own time and its
 * children's (a waited-for child moves into its parent's cutime the moment
 * it is reaped).
 *
 * File descriptors are budgeted (RLIMIT_NOFILE minus a reserve for the
 * rest of aipm and for the host process in library mode). Members past the
 * budget are read by open-read-close each time, the pid and start time
 * standing in for the kept fd; nothing is left out, and the note says how
 * many were read that way. A zombie member is listed (its times are final)
 * but not alive: a tree of zombies has ended.
 *
 * PSS and USS come from smaps_rollup, whose read walks the page tables:
 * it is read at the sampler's slow tier (and once when a member is new).
 *
 * In machine-wide mode (membership all_processes, `aipm serve
 * --processes`) every process is a member: the same scan, kept fds and
 * pid-reuse rule give per-process CPU time for the whole machine, in the
 * stat's ticks (the clock would add a walk of every thread of hundreds of
 * processes per sample). PSS/USS are not read then (smaps_rollup of every
 * process each second would cost more than all the rest of a sample).
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "membership.h"
#include "procfs_priv.h"

static int add_member(struct procfs *s, pid_t pid, const struct aipm_pid_stat *f, int fd, bool kept)
{
	if (aipm_grow((void **)&s->members_next, &s->next_cap, s->nmembers + 1, sizeof *s->members) < 0) {
		close(fd);
		if (kept)
			s->fds_kept--;
		return -ENOMEM;
	}
	/* Machine-wide (serve --processes: hundreds of processes, many of
	 * them with many threads, each clock read walking them again after
	 * the stat did) the stat's ticks are enough for a top-N at a 1 s
	 * interval; the clock's nanoseconds are for the measured tree. */
	aipm_procfs_member_init(s, &s->members_next[s->nmembers], pid, f, fd, kept, !s->all);
	pidtable_put(&s->next, pid, (int)s->nmembers++);
	return 0;
}

static bool fresh_pending(const struct procfs *s, pid_t ppid, pid_t pid)
{
	for (size_t k = 0; k < s->nfresh; k++)
		if (s->fresh[k] == ppid && ppid != pid)
			return true;
	return false;
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
			bool kept = false;
			int r = aipm_procfs_adopt(s, pid, &f, &fd, &kept);
			if (r < 0) {
				/* Out of fds is not "gone": leave the pid out of the
				 * table so the next sample tries it again, and say so. */
				if (r != -EMFILE && r != -ENFILE)
					pidtable_put(&s->next, pid, PIDTABLE_NONMEMBER); /* gone already */
				else
					s->unread++;
				s->fresh[i] = s->fresh[--s->nfresh];
				progress = true;
				continue;
			}
			/* Machine-wide, membership needs no parent: skipping the
			 * search also keeps the first sample of a busy machine
			 * (every pid fresh) linear. */
			struct pidslot *parent = s->all ? NULL : pidtable_find(&s->next, f.ppid);
			if (!s->all && !parent && !aipm_membership_is_root(s->mb, pid) && fresh_pending(s, f.ppid, pid)) {
				close(fd);
				if (kept)
					s->fds_kept--;
				i++;
				continue;
			}
			bool parent_member = parent && parent->member != PIDTABLE_NONMEMBER;
			if (!aipm_membership_joins(s->mb, pid, f.ppid, parent_member)) {
				close(fd);
				if (kept)
					s->fds_kept--;
				pidtable_put(&s->next, pid, PIDTABLE_NONMEMBER);
			} else if (add_member(s, pid, &f, fd, kept) < 0) {
				pidtable_put(&s->next, pid, PIDTABLE_NONMEMBER);
			}
			s->fresh[i] = s->fresh[--s->nfresh];
			progress = true;
		}
	}
	for (size_t i = 0; i < s->nfresh; i++)
		pidtable_put(&s->next, s->fresh[i], PIDTABLE_NONMEMBER);
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

/* A member still listed: refresh it and move it to the next table. */
static int keep_member(struct procfs *s, struct pidslot *old, pid_t pid, size_t *nm)
{
	struct member *m = &s->members[old->member];
	enum read_result r = aipm_procfs_member_refresh(s, m);
	if (r == READ_GONE) {
		aipm_procfs_member_close(s, m); /* ended between listing and read */
		old->member = PIDTABLE_NONMEMBER;
		return 0;
	}
	if (r == READ_UNREAD)
		s->unread++; /* kept with the times of its last read */
	if (aipm_grow((void **)&s->members_next, &s->next_cap, s->nmembers + 1, sizeof *m) < 0)
		return -ENOMEM;
	s->unkept += m->stat_fd < 0;
	s->members_next[s->nmembers] = *m;
	m->stat_fd = m->smaps_fd = -1; /* moved */
	old->member = PIDTABLE_NONMEMBER;
	pidtable_put(&s->next, pid, (int)s->nmembers++);
	(*nm)++;
	return 0;
}

/* members_next is in /proc order (ascending pid) except fresh members
 * appended at the end: insertion-sort a few into place; many (the first
 * machine-wide sample lists every process) would make that quadratic, so
 * qsort them. Then the table is rebuilt with the final indices. */
static void sort_members(struct procfs *s, size_t nm)
{
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
		pidtable_put(&s->next, s->members_next[i].pid, (int)i);
}

static void swap_tables(struct procfs *s)
{
	struct pidtable t = s->cur;
	s->cur = s->next;
	s->next = t;
	struct member *mt = s->members;
	s->members = s->members_next;
	s->members_next = mt;
	size_t ct = s->members_cap;
	s->members_cap = s->next_cap;
	s->next_cap = ct;
}

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
	if (pidtable_reset(&s->next, want) < 0)
		return -ENOMEM;
	size_t nm = 0;
	s->nmembers = 0;
	s->unkept = s->unread = 0;
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
			struct pidslot *old = pidtable_find(&s->cur, pid);
			if (!old) {
				if (aipm_grow((void **)&s->fresh, &s->fresh_cap, s->nfresh + 1, sizeof *s->fresh) < 0)
					return -ENOMEM;
				s->fresh[s->nfresh++] = pid;
			} else if (old->member == PIDTABLE_NONMEMBER) {
				pidtable_put(&s->next, pid, PIDTABLE_NONMEMBER);
			} else if (keep_member(s, old, pid, &nm) < 0) {
				return -ENOMEM;
			}
		}
	}
	s->last_listed = n_listed;
	/* Members not listed any more have ended: close their fds. */
	for (size_t i = 0; i < s->cur.cap; i++)
		if (s->cur.slots[i].pid && s->cur.slots[i].member != PIDTABLE_NONMEMBER)
			aipm_procfs_member_close(s, &s->members[s->cur.slots[i].member]);
	size_t before = s->nmembers;
	resolve_fresh(s);
	for (size_t i = before; i < s->nmembers; i++)
		s->unkept += s->members_next[i].stat_fd < 0;
	sort_members(s, nm);
	swap_tables(s);
	return 0;
}

static void read_machine(struct procfs *s, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	char buf[4096];
	struct aipm_cpu_ticks ticks;
	if (aipm_pread_all(s->stat_fd, buf, 512) > 0 && aipm_parse_cpu_ticks(buf, &ticks)) {
		snap->sys_valid = true;
		snap->sys_busy_ns = ticks.busy * s->tick_ns;
		snap->sys_total_ns = ticks.total * s->tick_ns;
		snap->sys_user_system_ns = ticks.user_system * s->tick_ns;
	}
	/* Memory moves slowly: /proc/meminfo is read at the slow tier. */
	if (ctx->slow) {
		struct aipm_meminfo m = {0};
		s->meminfo_valid = aipm_pread_all(s->meminfo_fd, buf, sizeof buf) > 0;
		if (s->meminfo_valid) {
			aipm_parse_meminfo_fields(buf, &m);
			s->meminfo_valid = m.total > 0;
			s->mem = m;
		}
	}
	snap->meminfo_valid = s->meminfo_valid;
	snap->mem_total_bytes = s->mem.total;
	snap->mem_available_bytes = s->mem.available;
	snap->mem_free_bytes = s->mem.free;
	snap->mem_buffers_bytes = s->mem.buffers;
	snap->mem_cached_bytes = s->mem.cached;
	snap->mem_sreclaimable_bytes = s->mem.sreclaimable;
}

/* What the run had to degrade so far (the peak, so a note made while
 * the tree was large survives its shrinking), for metadata.json and probe. */
static void note_degraded(struct procfs *s)
{
	if (s->unkept > s->peak_unkept) {
		s->peak_unkept = s->unkept;
		s->peak_members = s->nmembers;
	}
	s->unread_total += s->unread;
	if (!s->peak_unkept && !s->unread_total)
		return;
	char unread[200] = "";
	if (s->unread_total)
		snprintf(unread, sizeof unread, "; %zu reads failed for lack of file descriptors (the last readings "
						"stood, new processes were retried at the next sample)", s->unread_total);
	aipm_source_note(&s->base, "up to %zu of %zu processes were read by open-read-close, past the budget of %zu "
				   "kept file descriptors (RLIMIT_NOFILE; `ulimit -n` raises it)%s",
			 s->peak_unkept, s->peak_members, s->fd_budget, unread);
}

static int procfs_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct procfs *s = (struct procfs *)src;
	read_machine(s, ctx, snap);
	if (!aipm_membership_tracks(s->mb))
		return snap->sys_valid ? 0 : aipm_err(-EIO, "cannot read %s/stat", s->root);
	/* Read the reaped total before listing: a child reaped in between is
	 * then missing from both for one sample (the sampler keeps the total
	 * monotonic) rather than counted twice. */
	uint64_t reaped = s->reaped ? atomic_load(s->reaped) : 0;
	int r = scan(s);
	if (r < 0)
		return aipm_err(r, "listing %s: %s", s->root, strerror(-r));
	note_degraded(s);
	uint64_t total = reaped;
	bool alive = false;
	for (size_t i = 0; i < s->nmembers; i++) {
		struct member *m = &s->members[i];
		/* A new member is read at once, so short-lived processes show. */
		if (!s->all && (ctx->slow || !m->mem_tried)) {
			aipm_procfs_member_read_mem(s, m);
			m->mem_tried = true;
		}
		struct aipm_proc *p = aipm_procfs_member_publish(m, snap);
		if (!p)
			return aipm_err(-ENOMEM, "out of memory for %zu processes", s->nmembers);
		total += m->cpu_ns + m->child_ns;
		alive |= m->alive;
		/* aipm's own thread lives in the measured process (library
		 * mode): its CPU time is the meter's, not the experiment's. */
		if (ctx->exclude_self_thread && m->pid == s->self) {
			p->cpu_ns = p->cpu_ns > ctx->self_thread_ns ? p->cpu_ns - ctx->self_thread_ns : 0;
			total = total > ctx->self_thread_ns ? total - ctx->self_thread_ns : 0;
		}
	}
	snap->tree_cpu_ns = total;
	snap->tree_alive = alive;
	snap->tree_valid = true;
	return 0;
}

static bool same_pid_namespace(struct procfs *s)
{
	/* Inside `unshare --pid` without --mount-proc, /proc still shows the
	 * outer namespace: its pids are not ours, and the tree would be
	 * strangers' processes. /proc/self names our pid as that procfs sees
	 * it; if it differs from getpid(), refuse rather than measure them. */
	char self_link[32] = "";
	ssize_t n = readlinkat(s->proc_fd, "self", self_link, sizeof self_link - 1);
	if (n <= 0)
		return true;
	self_link[n] = '\0';
	if (atoi(self_link) == (int)s->self)
		return true;
	aipm_source_set(&s->base, false,
			"mount a procfs for this PID namespace (`unshare --pid --fork --mount-proc`, or "
			"`mount -t proc proc /proc` inside it)",
			"%s belongs to another PID namespace (it calls aipm pid %s, aipm is pid %d here)", s->root,
			self_link, (int)s->self);
	return false;
}

static int procfs_open(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out)
{
	(void)cat; /* the process table is in every snapshot: nothing to publish */
	struct procfs *s = calloc(1, sizeof *s);
	if (!s)
		return aipm_err(-ENOMEM, "out of memory opening the process source");
	s->proc_fd = s->stat_fd = s->meminfo_fd = -1;
	*out = &s->base;
	int e = aipm_path_fmt(s->root, sizeof s->root, "%s", aipm_paths_proc(&cfg->paths));
	if (e < 0)
		return aipm_err_wrap(e, "the procfs root (AIPM_PROC_ROOT)");
	long hz = aipm_clk_tck();
	s->tick_ns = 1000000000u / (uint64_t)(hz > 0 ? hz : 100);
	s->proc_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0) {
		aipm_source_set(&s->base, false, "mount procfs at /proc (`mount -t proc proc /proc`)",
				"cannot open %s: %s", s->root, strerror(errno));
		return 0;
	}
	s->stat_fd = aipm_openat_ro(s->proc_fd, "stat");
	s->meminfo_fd = aipm_openat_ro(s->proc_fd, "meminfo");
	if (s->stat_fd < 0 || s->meminfo_fd < 0) {
		aipm_source_set(&s->base, false, "mount procfs at /proc", "cannot read %s/stat or %s/meminfo", s->root,
				s->root);
		return 0;
	}
	s->self = getpid();
	if (!same_pid_namespace(s))
		return 0;
	s->mb = cfg->membership;
	s->reaped = cfg->reaped_ns;
	s->all = s->mb && s->mb->all_processes;
	s->fd_budget = aipm_procfs_fd_budget();
	if (s->all)
		aipm_source_set(&s->base, true, "", "every process of the machine from %s (CPU time, no PSS/USS)", s->root);
	else if (aipm_membership_tracks(s->mb))
		aipm_source_set(&s->base, true, "", "process tree of %zu root pid(s) from %s, PSS/USS at the slow tier",
				s->mb->nroots, s->root);
	else
		aipm_source_set(&s->base, true, "", "machine CPU time and memory from %s", s->root);
	return 0;
}

static void procfs_close(struct aipm_source *src)
{
	struct procfs *s = (struct procfs *)src;
	for (size_t i = 0; i < s->cur.cap; i++)
		if (s->cur.slots[i].pid && s->cur.slots[i].member != PIDTABLE_NONMEMBER)
			aipm_procfs_member_close(s, &s->members[s->cur.slots[i].member]);
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	if (s->stat_fd >= 0)
		close(s->stat_fd);
	if (s->meminfo_fd >= 0)
		close(s->meminfo_fd);
	pidtable_free(&s->cur);
	pidtable_free(&s->next);
	free(s->members);
	free(s->members_next);
	free(s->fresh);
	free(s);
}

static void procfs_describe(struct aipm_source *src, struct aipm_buf *b)
{
	struct procfs *s = (struct procfs *)src;
	aipm_buf_puts(b, "{\"root\": ");
	aipm_buf_json_str(b, s->root);
	aipm_buf_printf(b, ", \"machine_wide\": %s, \"fd_budget\": %zu, \"cpu_time\": \"process CPU clock, ns\"}",
			s->all ? "true" : "false", s->fd_budget);
}

const struct aipm_source_ops aipm_source_procfs = {
	.name = "procfs",
	.what = "process tree CPU time and PSS/USS memory, machine CPU and memory (/proc)",
	.provides = AIPM_PROVIDES_PROCESSES | AIPM_PROVIDES_MACHINE,
	.missing = "CPU time, memory or attribution",
	.say = AIPM_SAY_ALWAYS,
	.open = procfs_open,
	.sample = procfs_sample,
	.close = procfs_close,
	.describe = procfs_describe,
};
