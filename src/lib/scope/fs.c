/* fs.c: finding the cgroup v2 hierarchy and naming places in it.
 *
 * The mount is looked up in <proc_root>/self/mountinfo, not assumed:
 * systemd's unified layout puts cgroup2 at /sys/fs/cgroup, its hybrid one at
 * /sys/fs/cgroup/unified beside the v1 controllers (this project's test
 * machines), and a container may show a bind-mounted subtree whose root is
 * not "/". The mount's directory is opened once; every other file of the
 * module is opened relative to it, so a test root costs nothing. Also
 * holds the module's small shared helpers (internal.h).
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
#include "scope/internal.h"
#include "scope/parse.h"
#include "util.h"

int aipm_cgroup_path_clean(const char *in, char *out, size_t n)
{
	size_t k = 0;
	if (!in || !*in)
		return aipm_err(-EINVAL, "cgroup path is empty. Give a path such as /system.slice/x.service");
	for (const char *p = in; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return aipm_err(-EINVAL, "cgroup path '%s': '.' and '..' are not allowed. "
						 "Give the path from the hierarchy's root, as /proc/PID/cgroup shows it",
					in);
		if (k + 1 + len + 1 > n)
			return aipm_err(-ENAMETOOLONG, "cgroup path '%s' is longer than %zu bytes", in, n - 1);
		out[k++] = '/';
		memcpy(out + k, p, len);
		k += len;
		p += len;
	}
	if (!k) {
		if (n < 2)
			return -ENAMETOOLONG;
		out[k++] = '/';
	}
	out[k] = '\0';
	return 0;
}

int scope_rel(const struct aipm_cgroup_fs *fs, const char *path, char *rel, size_t n)
{
	char clean[AIPM_CGROUP_PATH_MAX];
	int r = aipm_cgroup_path_clean(path, clean, sizeof clean);
	if (r < 0)
		return r;
	const char *rest = clean;
	if (strcmp(fs->mount_root, "/")) {
		size_t ml = strlen(fs->mount_root);
		if (strncmp(clean, fs->mount_root, ml) || (clean[ml] && clean[ml] != '/'))
			return aipm_err(-EXDEV, "cgroup %s is outside the part of the hierarchy mounted at %s (%s)",
					clean, fs->mount_point, fs->mount_root);
		rest = clean + ml;
	}
	while (*rest == '/')
		rest++;
	if (snprintf(rel, n, "%s", *rest ? rest : ".") >= (int)n)
		return -ENAMETOOLONG;
	return 0;
}

bool scope_join(char *out, size_t n, const char *path, const char *name)
{
	size_t pl = strlen(path);
	bool root = pl == 1 && path[0] == '/';
	return snprintf(out, n, "%s/%s", root ? "" : path, name) < (int)n;
}

int scope_slurp(int dirfd, const char *path, char **out, size_t *len)
{
	int fd = aipm_openat_ro(dirfd, path);
	if (fd < 0)
		return fd;
	size_t cap = 16384, got = 0;
	char *buf = malloc(cap);
	while (buf) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		got += (size_t)r;
		if (r == 0)
			break;
		if (got == cap - 1) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int scope_write_str(int fd, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;
	do
		w = write(fd, s, n);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int scope_subdirs(int dirfd, struct scope_names *out)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = -errno;
		if (fd >= 0)
			close(fd);
		return e;
	}
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool dir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			dir = !fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
		}
		if (!dir)
			continue;
		if ((r = scope_names_add(out, e->d_name)) < 0)
			break;
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_name);
	return r;
}

int scope_names_add(struct scope_names *n, const char *name)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 16;
		char **v = realloc(n->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		n->v = v;
		n->cap = cap;
	}
	if (!(n->v[n->n] = strdup(name)))
		return -ENOMEM;
	n->n++;
	return 0;
}

void scope_names_free(struct scope_names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = n->cap = 0;
}

/* The cgroup2 mount to use: /sys/fs/cgroup (pure v2), else the hybrid
 * layout's /sys/fs/cgroup/unified, else the first listed. *v1 tells
 * whether v1 hierarchies are mounted too. */
static int find_mount(const char *proc_root, struct aipm_mountinfo *best, bool *v1)
{
	char path[320], *buf;
	size_t len;
	snprintf(path, sizeof path, "%s/self/mountinfo", proc_root);
	int r = scope_slurp(AT_FDCWD, path, &buf, &len);
	if (r < 0)
		return aipm_err(r, "cannot read %s: %s", path, strerror(-r));
	int rank = 0; /* 3: /sys/fs/cgroup, 2: .../unified, 1: any */
	*v1 = false;
	for (char *l = buf; l < buf + len;) {
		char *e = memchr(l, '\n', (size_t)(buf + len - l));
		size_t ll = e ? (size_t)(e - l) : (size_t)(buf + len - l);
		struct aipm_mountinfo m;
		if (aipm_parse_mountinfo_line(l, ll, &m)) {
			if (!strcmp(m.fstype, "cgroup"))
				*v1 = true;
			int k = strcmp(m.fstype, "cgroup2") ? 0
				: !strcmp(m.mount_point, "/sys/fs/cgroup") ? 3
				: !strcmp(m.mount_point, "/sys/fs/cgroup/unified") ? 2 : 1;
			if (k > rank) {
				rank = k;
				*best = m;
			}
		}
		l += ll + 1;
	}
	free(buf);
	if (!rank)
		return aipm_err(-ENOENT, "no cgroup v2 here: %s lists no cgroup2 mount (a cgroup v1-only machine). "
					 "Boot with systemd.unified_cgroup_hierarchy=1, or measure the process tree "
					 "(aipm run, aipm attach --pid)",
				path);
	return 0;
}

/* A sentence for probe and metadata.json: on a deep mount point its tail
 * (the controllers) may be cut, which loses no measurement. */
static void describe(struct aipm_cgroup_fs *fs)
{
	const char *ctl = fs->controllers[0] ? fs->controllers : "none";
	switch (fs->layout) {
	case AIPM_CGROUP_PURE:
		aipm_snprintf_trunc(fs->describe, sizeof fs->describe, "cgroup v2 at %s (controllers: %s)", fs->mount_point, ctl);
		break;
	case AIPM_CGROUP_HYBRID:
		aipm_snprintf_trunc(fs->describe, sizeof fs->describe,
			 "cgroup v2 at %s beside cgroup v1 (hybrid: the v1 hierarchies own the controllers; "
			 "cpu.stat counts CPU time, memory.* is absent; controllers here: %s)",
			 fs->mount_point, ctl);
		break;
	case AIPM_CGROUP_OVERRIDE:
		aipm_snprintf_trunc(fs->describe, sizeof fs->describe, "cgroup v2 tree at %s (root override; controllers: %s)",
			 fs->mount_point, ctl);
		break;
	}
}

int aipm_cgroup_fs_open(struct aipm_cgroup_fs *fs, const char *proc_root, const char *cgroup_root)
{
	memset(fs, 0, sizeof *fs);
	fs->dirfd = -1;
	/* cut roots name other trees: refused */
	int e = aipm_path_fmt(fs->proc_root, sizeof fs->proc_root, "%s", proc_root && *proc_root ? proc_root : "/proc");
	if (e < 0)
		return aipm_err_wrap(e, "the procfs root (AIPM_PROC_ROOT)");
	snprintf(fs->mount_root, sizeof fs->mount_root, "/");
	if (cgroup_root && *cgroup_root) {
		fs->layout = AIPM_CGROUP_OVERRIDE;
		if ((e = aipm_path_fmt(fs->mount_point, sizeof fs->mount_point, "%s", cgroup_root)) < 0)
			return aipm_err_wrap(e, "the cgroup root (AIPM_CGROUP_ROOT)");
	} else {
		struct aipm_mountinfo m = {0};
		bool v1 = false;
		int r = find_mount(fs->proc_root, &m, &v1);
		if (r < 0)
			return r;
		fs->layout = v1 ? AIPM_CGROUP_HYBRID : AIPM_CGROUP_PURE;
		snprintf(fs->mount_point, sizeof fs->mount_point, "%s", m.mount_point);
		if (aipm_cgroup_path_clean(m.root, fs->mount_root, sizeof fs->mount_root) < 0)
			snprintf(fs->mount_root, sizeof fs->mount_root, "/");
	}
	fs->dirfd = open(fs->mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->dirfd < 0)
		return aipm_err(-errno, "cannot open the cgroup v2 mount %s: %s", fs->mount_point, strerror(errno));
	if (faccessat(fs->dirfd, "cgroup.procs", F_OK, 0) < 0) {
		int e = errno;
		aipm_cgroup_fs_close(fs);
		return aipm_err(-ENOENT, "%s is not a cgroup v2 tree (no cgroup.procs: %s). "
					 "Give the directory where cgroup2 is mounted",
				fs->mount_point, strerror(e));
	}
	if (aipm_read_file_at(fs->dirfd, "cgroup.controllers", fs->controllers, sizeof fs->controllers) > 0)
		aipm_chomp(fs->controllers);
	char path[320], buf[AIPM_CGROUP_PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/self/cgroup", fs->proc_root);
	if (aipm_read_file_at(AT_FDCWD, path, buf, sizeof buf) > 0 &&
	    !aipm_parse_pid_cgroup(buf, fs->self, sizeof fs->self))
		fs->self[0] = '\0';
	describe(fs);
	return 0;
}

void aipm_cgroup_fs_close(struct aipm_cgroup_fs *fs)
{
	if (fs->dirfd >= 0)
		close(fs->dirfd);
	fs->dirfd = -1;
}

int aipm_cgroup_of_pid(const struct aipm_cgroup_fs *fs, pid_t pid, char *path, size_t n)
{
	char file[320], buf[AIPM_CGROUP_PATH_MAX + 64];
	snprintf(file, sizeof file, "%s/%d/cgroup", fs->proc_root, (int)pid);
	long r = aipm_read_file_at(AT_FDCWD, file, buf, sizeof buf);
	if (r == -ENOENT)
		return aipm_err(-ESRCH, "process %d does not exist. Check the pid", (int)pid);
	if (r < 0)
		return aipm_err((int)r, "cannot read %s: %s", file, strerror((int)-r));
	if (!aipm_parse_pid_cgroup(buf, path, n))
		return aipm_err(-ENOENT, "%s has no cgroup v2 line (0::): process %d is not in a cgroup v2 hierarchy",
				file, (int)pid);
	return 0;
}

int aipm_cgroup_open_dir(const struct aipm_cgroup_fs *fs, const char *path)
{
	char rel[AIPM_CGROUP_PATH_MAX];
	int r = scope_rel(fs, path, rel, sizeof rel);
	if (r < 0)
		return r;
	int fd = openat(fs->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		if (e == -ENOENT || e == -ENOTDIR)
			return aipm_err(-ENOENT, "no cgroup %s under %s", path, fs->mount_point);
		return aipm_err(e, "cannot open cgroup %s under %s: %s", path, fs->mount_point, strerror(-e));
	}
	return fd;
}
