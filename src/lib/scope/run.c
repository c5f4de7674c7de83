/* run.c: a cgroup of its own for `aipm run`.
 *
 * The run's cgroup is a child of aipm's own cgroup (or of a parent the
 * caller names, such as a delegated subtree), made before the command is
 * forked and removed when it ends. aipm itself stays outside, so the
 * cgroup's cpu.stat is the command's alone, exited children included.
 *
 * Rules of cgroup v2 this follows (Documentation/admin-guide/cgroup-v2.rst):
 *  - mkdir needs write access to the parent directory: root, or a subtree
 *    delegated to the user (systemd Delegate=, a user@.service);
 *  - moving a process needs write access to the destination's cgroup.procs
 *    and to the cgroup.procs of the common ancestor of source and
 *    destination: checked at create, before anything is forked;
 *  - "no internal processes": a non-root cgroup that holds processes (here
 *    the parent, which holds aipm) cannot enable controllers for its
 *    children, so the run's cgroup then has cpu.stat but no memory.*;
 *    create() says so in run->note instead of moving aipm itself;
 *  - a threaded parent cannot take a process-holding child.
 * On failure nothing is left behind and the message says that the /proc
 * scan is what remains: the caller records it and falls back visibly.
 */
#include "scope/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aipm.h"
#include "error.h"
#include "scope/internal.h"
#include "scope/parse.h"
#include "util.h"

#define FALLBACK "; the run is measured by its process tree in /proc instead"

void aipm_cgroup_run_opts_init(struct aipm_cgroup_run_opts *o)
{
	memset(o, 0, sizeof *o);
	o->version = AIPM_CGROUP_RUN_OPTS_VERSION;
}

static void run_close(struct aipm_cgroup_run *run)
{
	int *fds[] = {&run->dirfd, &run->procs_fd, &run->parent_fd};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int mkdir_error(const struct aipm_cgroup_fs *fs, const char *parent, int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return aipm_err(-e, "cannot make a cgroup for the run under %s: permission denied (aipm is not root "
				    "and %s is not a delegated subtree)" FALLBACK,
				parent, parent);
	case EROFS:
		return aipm_err(-e, "cannot make a cgroup for the run: the cgroup v2 mount %s is read-only "
				    "(a container?)" FALLBACK,
				fs->mount_point);
	case EAGAIN:
		return aipm_err(-e, "cannot make a cgroup for the run under %s: cgroup.max.descendants or "
				    "cgroup.max.depth reached" FALLBACK,
				parent);
	default:
		return aipm_err(-e, "cannot make a cgroup for the run under %s: %s" FALLBACK, parent, strerror(e));
	}
}

/* The deepest cgroup holding both a and b ("/a/b", "/a/c" -> "/a"). */
static void common_ancestor(const char *a, const char *b, char *out, size_t n)
{
	size_t i = 0, last = 0;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == '/')
			last = i;
		i++;
	}
	if ((!a[i] || a[i] == '/') && (!b[i] || b[i] == '/'))
		last = i;
	snprintf(out, n, "%.*s", (int)(last ? last : 1), last ? a : "/");
}

/* Checks after mkdir: a domain cgroup whose cgroup.procs we may write, and
 * write access at the common ancestor with aipm's own cgroup (where the
 * pid to be moved lives). */
static int check_writable(const struct aipm_cgroup_fs *fs, struct aipm_cgroup_run *run)
{
	char type[64];
	if (aipm_read_file_at(run->dirfd, "cgroup.type", type, sizeof type) > 0) {
		aipm_chomp(type);
		if (strcmp(type, "domain"))
			return aipm_err(-EOPNOTSUPP, "cannot use a cgroup for the run: %s is of type '%s' (its parent %s "
						     "is threaded) and cannot hold processes" FALLBACK,
					run->path, type, run->parent);
	}
	run->procs_fd = openat(run->dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (run->procs_fd < 0)
		return aipm_err(-errno, "cannot use a cgroup for the run: %s/cgroup.procs is not writable: %s" FALLBACK,
				run->path, strerror(errno));
	if (!fs->self[0])
		return 0;
	char anc[AIPM_CGROUP_PATH_MAX];
	common_ancestor(fs->self, run->path, anc, sizeof anc);
	int afd = aipm_cgroup_open_dir(fs, anc);
	if (afd < 0)
		return 0; /* outside this mount's view: the kernel will judge the move */
	int ok = faccessat(afd, "cgroup.procs", W_OK, AT_EACCESS);
	int e = errno;
	close(afd);
	if (ok < 0)
		return aipm_err(-e, "cannot move the command into %s: moving a process from %s needs write access to "
				    "%s/cgroup.procs (their common ancestor): %s" FALLBACK,
				run->path, fs->self, anc, strerror(e));
	return 0;
}

static void note_memory(struct aipm_cgroup_run *run)
{
	if (!faccessat(run->dirfd, "memory.current", F_OK, 0))
		return;
	/* a note for people: two long cgroup paths may cut its tail */
	aipm_snprintf_trunc(run->note, sizeof run->note,
		 "the run's cgroup %s has no memory.* files: its parent %s does not enable the memory controller "
		 "for its children (on a hybrid mount v1 owns it; a parent that holds processes cannot enable "
		 "it); memory comes from /proc",
		 run->path, run->parent);
}

/* An aipm killed with SIGKILL (or a test that aborted) leaves an empty
 * PREFIX-PID cgroup behind. Remove those whose aipm is gone, that are
 * empty, and that were last changed over a minute ago (so never one that another aipm,
 * perhaps in another PID namespace, has just made and not yet filled). */
static void sweep_stale(int parent_fd, const char *prefix)
{
	struct scope_names sub = {0};
	size_t pl = strlen(prefix);
	time_t now = time(NULL);
	if (scope_subdirs(parent_fd, &sub) < 0) {
		scope_names_free(&sub);
		return;
	}
	for (size_t i = 0; i < sub.n; i++) {
		const char *p = sub.v[i];
		uint64_t pid;
		struct stat st;
		if (strncmp(p, prefix, pl) || p[pl] != '-')
			continue;
		p += pl + 1;
		if (!aipm_parse_u64(&p, &pid) || (*p && *p != '.') || pid == (uint64_t)getpid() || pid > INT32_MAX ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(parent_fd, sub.v[i], &st, 0) < 0 || now - st.st_mtime < 60)
			continue;
		/* the kernel refuses (EBUSY) to remove a cgroup that holds a
		 * process or child cgroups: nothing live goes */
		unlinkat(parent_fd, sub.v[i], AT_REMOVEDIR);
	}
	scope_names_free(&sub);
}

int aipm_cgroup_run_create(const struct aipm_cgroup_fs *fs, const struct aipm_cgroup_run_opts *opts,
			   struct aipm_cgroup_run *run)
{
	struct aipm_cgroup_run_opts def;
	if (!opts) {
		aipm_cgroup_run_opts_init(&def);
		opts = &def;
	}
	memset(run, 0, sizeof *run);
	run->dirfd = run->procs_fd = run->parent_fd = -1;
	if (opts->version != AIPM_CGROUP_RUN_OPTS_VERSION)
		return aipm_err(-EINVAL, "cgroup run options of version %u, expected %u", opts->version,
				AIPM_CGROUP_RUN_OPTS_VERSION);
	const char *parent = opts->parent ? opts->parent : fs->self;
	if (!*parent)
		return aipm_err(-ENOENT, "cannot make a cgroup for the run: aipm's own cgroup is unknown (no 0:: "
					 "line in %s/self/cgroup)" FALLBACK,
				fs->proc_root);
	int r = aipm_cgroup_path_clean(parent, run->parent, sizeof run->parent);
	if (r < 0 || (r = run->parent_fd = aipm_cgroup_open_dir(fs, run->parent)) < 0) {
		char why[512];
		snprintf(why, sizeof why, "%s", aipm_error_last());
		run->parent_fd = -1;
		return aipm_err(r, "cannot make a cgroup for the run: %s" FALLBACK, why);
	}
	const char *prefix = opts->name_prefix && *opts->name_prefix ? opts->name_prefix : "aipm-run";
	sweep_stale(run->parent_fd, prefix);
	char name[128];
	int e = 0;
	for (int i = 0; i < 10; i++) {
		if (i)
			snprintf(name, sizeof name, "%s-%d.%d", prefix, (int)getpid(), i);
		else
			snprintf(name, sizeof name, "%s-%d", prefix, (int)getpid());
		e = mkdirat(run->parent_fd, name, 0755) < 0 ? errno : 0;
		if (e != EEXIST)
			break;
	}
	if (e) {
		r = mkdir_error(fs, run->parent, e);
		run_close(run);
		return r;
	}
	if (!scope_join(run->path, sizeof run->path, run->parent, name) ||
	    (run->dirfd = openat(run->parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = aipm_err(-ENAMETOOLONG, "cannot make a cgroup for the run under %s: path too long" FALLBACK,
			     run->parent);
		unlinkat(run->parent_fd, name, AT_REMOVEDIR);
		run_close(run);
		return r;
	}
	if ((r = check_writable(fs, run)) < 0) {
		run_close(run);
		char rel[AIPM_CGROUP_PATH_MAX];
		if (!scope_rel(fs, run->path, rel, sizeof rel))
			unlinkat(fs->dirfd, rel, AT_REMOVEDIR);
		return r;
	}
	note_memory(run);
	return 0;
}

int aipm_cgroup_run_add_pid(struct aipm_cgroup_run *run, pid_t pid)
{
	char s[24];
	snprintf(s, sizeof s, "%d", (int)pid);
	int r = run->procs_fd < 0 ? -EBADF : scope_write_str(run->procs_fd, s);
	if (r < 0)
		return aipm_err(r, "cannot move process %d into %s: %s" FALLBACK, (int)pid, run->path, strerror(-r));
	return 0;
}

int aipm_cgroup_run_enter_self(const struct aipm_cgroup_run *run)
{
	/* "0" is the writing process itself (cgroup_procs_write_start). */
	ssize_t w;
	do
		w = write(run->procs_fd, "0", 1);
	while (w < 0 && errno == EINTR);
	return w == 1 ? 0 : -errno;
}

/* Pids of the run's cgroup and its descendants, appended to *v (never in
 * the sampling path: allocation is fine here). */
static void collect(int dirfd, pid_t **v, size_t *n, size_t *cap, int depth)
{
	char *buf;
	size_t len;
	if (scope_slurp(dirfd, "cgroup.procs", &buf, &len) == 0) {
		uint64_t carry = 0;
		bool in = false;
		size_t seen = 0, room = *cap - *n;
		size_t need = len / 2 + 1; /* at most one pid per two bytes */
		if (room < need) {
			pid_t *nv = realloc(*v, (*n + need) * sizeof **v);
			if (nv) {
				*v = nv;
				*cap = *n + need;
				room = need;
			}
		}
		*n += aipm_parse_pids(buf, len, &carry, &in, *v + *n, room, &seen);
		*n += aipm_parse_pids("\n", 1, &carry, &in, *v + *n, *cap - *n, &seen);
		free(buf);
	}
	struct scope_names sub = {0};
	if (depth < 32 && scope_subdirs(dirfd, &sub) >= 0)
		for (size_t i = 0; i < sub.n; i++) {
			int fd = openat(dirfd, sub.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0) {
				collect(fd, v, n, cap, depth + 1);
				close(fd);
			}
		}
	scope_names_free(&sub);
}

static size_t list_left(struct aipm_cgroup_run *run, pid_t **v)
{
	size_t n = 0, cap = 0;
	*v = NULL;
	collect(run->dirfd, v, &n, &cap, 0);
	return aipm_pids_sort_unique(*v, n);
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Descendant cgroups first, then the run's own (EBUSY while an exiting
 * task is still being released: retried for about 100 ms). */
static bool remove_tree(int parent_fd, const char *name, int depth)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	struct scope_names sub = {0};
	if (depth < 32 && scope_subdirs(fd, &sub) >= 0)
		for (size_t i = 0; i < sub.n; i++)
			remove_tree(fd, sub.v[i], depth + 1);
	scope_names_free(&sub);
	close(fd);
	for (int i = 0; i < 20; i++) {
		if (!unlinkat(parent_fd, name, AT_REMOVEDIR) || errno == ENOENT)
			return true;
		if (errno != EBUSY)
			return false;
		sleep_ms(5);
	}
	return false;
}

static void take_out(struct aipm_cgroup_run *run, enum aipm_cgroup_leftover policy, struct aipm_cgroup_run_end *end)
{
	pid_t *v;
	size_t n = list_left(run, &v);
	/* Processes still exiting (the command's last children) leave on
	 * their own: give them a moment before calling them survivors. */
	for (int i = 0; n && i < 10; i++) {
		free(v);
		sleep_ms(10);
		n = list_left(run, &v);
	}
	end->left = n;
	for (size_t i = 0; i < n && i < AIPM_ARRAY_SIZE(end->first); i++)
		end->first[i] = v[i];
	bool killed = false;
	if (n && policy == AIPM_CGROUP_KILL) {
		int kfd = openat(run->dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		killed = kfd >= 0 && !scope_write_str(kfd, "1");
		if (kfd >= 0)
			close(kfd);
	}
	int pfd = n && policy == AIPM_CGROUP_MOVE_OUT ? openat(run->parent_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC)
						      : -1;
	/* A survivor may fork while it is moved or killed: a few passes catch
	 * its children too. */
	for (int pass = 0; n && policy != AIPM_CGROUP_KEEP && pass < 8; pass++) {
		for (size_t i = 0; i < n; i++) {
			char s[24];
			snprintf(s, sizeof s, "%d", (int)v[i]);
			if (pfd >= 0 && !scope_write_str(pfd, s))
				end->moved++;
			else if (policy == AIPM_CGROUP_KILL && !killed)
				kill(v[i], SIGKILL); /* Linux < 5.14: no cgroup.kill */
		}
		free(v);
		if (policy == AIPM_CGROUP_KILL)
			sleep_ms(10);
		n = list_left(run, &v);
	}
	free(v);
	if (pfd >= 0)
		close(pfd);
}

int aipm_cgroup_run_remove(struct aipm_cgroup_run *run, enum aipm_cgroup_leftover policy,
			   struct aipm_cgroup_run_end *end)
{
	memset(end, 0, sizeof *end);
	if (run->dirfd < 0)
		return 0;
	const char *name = strrchr(run->path, '/') + 1;
	take_out(run, policy, end);
	int r = 0;
	if (policy == AIPM_CGROUP_KEEP && end->left) {
		/* kept on purpose: the caller says where */
	} else if (!(end->removed = remove_tree(run->parent_fd, name, 0))) {
		r = aipm_err(-EBUSY, "cgroup %s could not be removed: %zu process(es) still in it (first: %d). "
				     "Remove it with rmdir once they end",
			     run->path, end->left, end->left ? (int)end->first[0] : 0);
	}
	run_close(run);
	return r;
}
