/* reader.c: reading one scope (a cgroup and its descendants) cheaply.
 *
 * The scope's files are opened once and re-read with pread into stack
 * buffers: a CPU sample is one pread of cpu.stat, whatever the number of
 * processes on the machine or in the scope. cpu.stat's usage_usec exists in
 * every cgroup v2 (with or without the cpu controller) and counts every
 * task that was ever in the subtree, exited ones included, so nothing is
 * lost between samples.
 *
 * Membership reads cgroup.procs, whose cost is proportional to the scope:
 * pread in 4 KiB chunks at increasing offsets (the kernel's seq_file then
 * continues where it stopped instead of walking from the start), and, with
 * descendants, a getdents64 listing of each descendant cgroup with a stack
 * buffer. cgroup.stat's nr_descendants lets a leaf skip the listing. No
 * allocation after open.
 *
 * Must not: scan /proc, treat a missing file as zero, or keep reading a
 * removed cgroup as if it were empty (its fds then fail with ENODEV).
 */
#include "scope/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "scope/parse.h"
#include "util.h"

/* Deeper descendants are not listed (a Slurm job is 3 levels deep, a pod
 * 1); each level holds a 2 KiB listing buffer on the stack. */
#define MAX_DEPTH 32

struct aipm_cgroup_scope {
	int dirfd;
	int cpu_fd, procs_fd, events_fd, stat_fd;
	int mem_current_fd, mem_peak_fd, mem_stat_fd; /* -1: absent here */
	bool descendants;
	bool check_nlink; /* a tree standing for cgroupfs (AIPM_CGROUP_ROOT) */
	uint64_t id;
	char path[AIPM_CGROUP_PATH_MAX];
};

void aipm_cgroup_scope_opts_init(struct aipm_cgroup_scope_opts *o)
{
	memset(o, 0, sizeof *o);
	o->version = AIPM_CGROUP_SCOPE_OPTS_VERSION;
	o->descendants = true;
}

static int open_opt(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -1 : fd;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void aipm_cgroup_scope_close(struct aipm_cgroup_scope *s)
{
	if (!s)
		return;
	int *fds[] = {&s->dirfd, &s->cpu_fd, &s->procs_fd, &s->events_fd, &s->stat_fd,
		      &s->mem_current_fd, &s->mem_peak_fd, &s->mem_stat_fd};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(fds); i++)
		close_fd(fds[i]);
	free(s);
}

const char *aipm_cgroup_scope_path(const struct aipm_cgroup_scope *s) { return s->path; }
uint64_t aipm_cgroup_scope_id(const struct aipm_cgroup_scope *s) { return s->id; }

int aipm_cgroup_scope_open(const struct aipm_cgroup_fs *fs, const char *path,
			   const struct aipm_cgroup_scope_opts *opts, struct aipm_cgroup_scope **out)
{
	struct aipm_cgroup_scope_opts def;
	if (!opts) {
		aipm_cgroup_scope_opts_init(&def);
		opts = &def;
	}
	if (opts->version != AIPM_CGROUP_SCOPE_OPTS_VERSION)
		return aipm_err(-EINVAL, "cgroup scope options of version %u, expected %u", opts->version,
				AIPM_CGROUP_SCOPE_OPTS_VERSION);
	struct aipm_cgroup_scope *s = calloc(1, sizeof *s);
	if (!s)
		return aipm_err(-ENOMEM, "cgroup scope: out of memory");
	s->cpu_fd = s->procs_fd = s->events_fd = s->stat_fd = -1;
	s->mem_current_fd = s->mem_peak_fd = s->mem_stat_fd = -1;
	s->descendants = opts->descendants;
	int r = aipm_cgroup_path_clean(path, s->path, sizeof s->path);
	if (r < 0 || (r = s->dirfd = aipm_cgroup_open_dir(fs, s->path)) < 0) {
		s->dirfd = -1;
		aipm_cgroup_scope_close(s);
		return r;
	}
	struct stat st;
	if (fstat(s->dirfd, &st) == 0)
		s->id = (uint64_t)st.st_ino;
	s->check_nlink = fs->layout == AIPM_CGROUP_OVERRIDE;
	s->cpu_fd = open_opt(s->dirfd, "cpu.stat");
	if (s->cpu_fd < 0 || faccessat(s->dirfd, "cgroup.procs", F_OK, 0) < 0) {
		const char *which = s->cpu_fd < 0 ? "cpu.stat" : "cgroup.procs";
		int e = errno;
		aipm_cgroup_scope_close(s);
		return aipm_err(e == EMFILE || e == ENFILE ? -e : -ENOENT,
				"cgroup %s: cannot open %s: %s (cpu.stat needs Linux 4.15 or later)", path, which,
				strerror(e));
	}
	/* The root cgroup has no cgroup.events; memory.* exist only where the
	 * parent enabled the memory controller for this subtree. */
	unsigned files = opts->files ? opts->files : AIPM_CGROUP_READ_CPU | AIPM_CGROUP_READ_MEMORY | AIPM_CGROUP_READ_EVENTS;
	if (files & AIPM_CGROUP_READ_EVENTS) {
		s->events_fd = open_opt(s->dirfd, "cgroup.events");
		s->stat_fd = open_opt(s->dirfd, "cgroup.stat");
	}
	if (files & AIPM_CGROUP_READ_MEMORY) {
		s->mem_current_fd = open_opt(s->dirfd, "memory.current");
		s->mem_peak_fd = open_opt(s->dirfd, "memory.peak");
		s->mem_stat_fd = open_opt(s->dirfd, "memory.stat");
	}
	*out = s;
	return 0;
}

static int gone(const struct aipm_cgroup_scope *s, long r, const char *file)
{
	if (r == -ENODEV || r == -ENOENT)
		return aipm_err(-ENODEV, "cgroup %s was removed (its job or container ended)", s->path);
	return aipm_err((int)r, "cgroup %s: reading %s: %s", s->path, file, strerror((int)-r));
}

static int read_cpu(struct aipm_cgroup_scope *s, struct aipm_cgroup_stat *st)
{
	char buf[2048];
	long r = aipm_pread_all(s->cpu_fd, buf, sizeof buf);
	if (r < 0)
		return gone(s, r, "cpu.stat");
	if (!aipm_parse_keyed(buf, "usage_usec", &st->usage_usec))
		return aipm_err(-EPROTO, "cgroup %s: cpu.stat has no usage_usec line", s->path);
	st->have_cpu = aipm_parse_keyed(buf, "user_usec", &st->user_usec) &&
		       aipm_parse_keyed(buf, "system_usec", &st->system_usec);
	return 0;
}

static int read_u64(struct aipm_cgroup_scope *s, int fd, const char *file, uint64_t *v, bool *have)
{
	char buf[64];
	if (fd < 0)
		return 0;
	long r = aipm_pread_all(fd, buf, sizeof buf);
	if (r < 0)
		return gone(s, r, file);
	const char *p = buf;
	*have = aipm_parse_u64(&p, v);
	return 0;
}

static int read_memory(struct aipm_cgroup_scope *s, struct aipm_cgroup_stat *st)
{
	int r = read_u64(s, s->mem_current_fd, "memory.current", &st->memory_current_bytes,
			 &st->have_memory_current);
	if (!r)
		r = read_u64(s, s->mem_peak_fd, "memory.peak", &st->memory_peak_bytes, &st->have_memory_peak);
	if (r || s->mem_stat_fd < 0)
		return r;
	char buf[8192];
	long n = aipm_pread_all(s->mem_stat_fd, buf, sizeof buf);
	if (n < 0)
		return gone(s, n, "memory.stat");
	st->have_memory_stat = aipm_parse_keyed(buf, "anon", &st->mem_anon_bytes) &&
			       aipm_parse_keyed(buf, "file", &st->mem_file_bytes);
	if (!aipm_parse_keyed(buf, "shmem", &st->mem_shmem_bytes))
		st->mem_shmem_bytes = 0; /* part of file; absent only on very old kernels */
	st->have_mem_kernel = aipm_parse_keyed(buf, "kernel", &st->mem_kernel_bytes);
	return 0;
}

static int read_events(struct aipm_cgroup_scope *s, struct aipm_cgroup_stat *st)
{
	char buf[512];
	uint64_t v;

	if (s->events_fd >= 0) {
		long r = aipm_pread_all(s->events_fd, buf, sizeof buf);
		if (r < 0)
			return gone(s, r, "cgroup.events");
		st->have_events = aipm_parse_keyed(buf, "populated", &v);
		st->populated = v != 0;
	}
	if (s->stat_fd >= 0 && aipm_pread_all(s->stat_fd, buf, sizeof buf) >= 0 &&
	    aipm_parse_keyed(buf, "nr_descendants", &v))
		st->nr_descendants = v;
	return 0;
}

int aipm_cgroup_scope_read(struct aipm_cgroup_scope *s, unsigned what, struct aipm_cgroup_stat *st)
{
	memset(st, 0, sizeof *st);
	/* cgroupfs answers ENODEV on a removed cgroup's files; a directory
	 * tree standing for it keeps reading the unlinked files, but its
	 * directory has no link left. */
	struct stat ds;
	if (s->check_nlink && fstat(s->dirfd, &ds) == 0 && ds.st_nlink == 0)
		return gone(s, -ENODEV, "cgroup.events");
	int r = 0;
	if (what & AIPM_CGROUP_READ_CPU)
		r = read_cpu(s, st);
	if (!r && (what & AIPM_CGROUP_READ_MEMORY))
		r = read_memory(s, st);
	if (!r && (what & AIPM_CGROUP_READ_EVENTS))
		r = read_events(s, st);
	return r;
}

/* One cgroup.procs, in chunks; *n grows by what was stored. */
static int read_procs(int fd, pid_t *pids, size_t cap, size_t *n, size_t *seen)
{
	char buf[4096];
	off_t off = 0;
	uint64_t carry = 0;
	bool in = false;
	for (;;) {
		ssize_t r = pread(fd, buf, sizeof buf, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		*n += aipm_parse_pids(buf, (size_t)r, &carry, &in, pids + *n, cap - *n, seen);
		off += r;
	}
	*n += aipm_parse_pids("\n", 1, &carry, &in, pids + *n, cap - *n, seen);
	return 0;
}

/* Every descendant of dirfd, depth first. dirfd's offset is rewound. */
static void walk(int dirfd, int depth, pid_t *pids, size_t cap, size_t *n, size_t *seen,
		 struct aipm_cgroup_members *m)
{
	char buf[2048];
	if (lseek(dirfd, 0, SEEK_SET) < 0)
		return;
	for (;;) {
		ssize_t got = getdents64(dirfd, buf, sizeof buf);
		if (got <= 0)
			return; /* a directory removed while listed reads as its end */
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] == '.' || (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN))
				continue;
			int sub = openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub < 0) {
				if (errno != ENOTDIR)
					m->vanished++;
				continue;
			}
			int pfd = openat(sub, "cgroup.procs", O_RDONLY | O_CLOEXEC);
			if (pfd >= 0 && read_procs(pfd, pids, cap, n, seen) == 0)
				m->cgroups++;
			else
				m->vanished++;
			if (pfd >= 0)
				close(pfd);
			if (depth + 1 < MAX_DEPTH)
				walk(sub, depth + 1, pids, cap, n, seen, m);
			close(sub);
		}
	}
}

int aipm_cgroup_scope_members(struct aipm_cgroup_scope *s, pid_t *pids, size_t cap,
			      struct aipm_cgroup_members *m)
{
	memset(m, 0, sizeof *m);
	size_t n = 0, seen = 0;
	if (s->procs_fd < 0 && (s->procs_fd = open_opt(s->dirfd, "cgroup.procs")) < 0)
		return gone(s, -errno, "cgroup.procs");
	if (s->descendants && s->stat_fd < 0)
		s->stat_fd = open_opt(s->dirfd, "cgroup.stat");
	int r = read_procs(s->procs_fd, pids, cap, &n, &seen);
	if (r < 0)
		return gone(s, r, "cgroup.procs");
	m->cgroups = 1;
	if (s->descendants) {
		char buf[512];
		uint64_t nd = 1; /* no cgroup.stat: list to find out */
		if (s->stat_fd >= 0 && aipm_pread_all(s->stat_fd, buf, sizeof buf) >= 0)
			aipm_parse_keyed(buf, "nr_descendants", &nd);
		if (nd)
			walk(s->dirfd, 0, pids, cap, &n, &seen, m);
	}
	m->total = seen;
	m->n = aipm_pids_sort_unique(pids, n);
	if (seen > cap)
		return aipm_err(-ENOBUFS, "cgroup %s lists %zu processes, more than the %zu allowed", s->path, seen,
				cap);
	return 0;
}
