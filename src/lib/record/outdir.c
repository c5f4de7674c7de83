/* outdir.c: see outdir.h. Every function sets the message of aipm_err
 * naming DIR/NAME, except where the header says otherwise. */
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

struct aipm_outdir {
	atomic_int refs;
	int fd;
	bool root;     /* running as root: existing files are checked strictly */
	bool as_owner; /* write as the directory's owner (setfsuid) */
	uid_t uid;     /* whose files these are: the owner's, or ours */
	gid_t gid;
	char path[4096];
};

/* The filesystem ids of the calling thread while it acts as the owner. */
struct creds {
	int uid, gid;
	bool set;
};

static int become_owner(const struct aipm_outdir *d, struct creds *c)
{
	c->set = false;
	if (!d->as_owner)
		return 0;
	c->gid = setfsgid(d->gid); /* returns the previous id */
	c->uid = setfsuid(d->uid);
	c->set = true;
	/* setfsuid reports no error; asking with an invalid id returns the
	 * current one. */
	if ((uid_t)setfsuid((uid_t)-1) != d->uid || (gid_t)setfsgid((gid_t)-1) != d->gid) {
		setfsuid((uid_t)c->uid);
		setfsgid((gid_t)c->gid);
		c->set = false;
		return aipm_err(-EPERM, "%s: cannot act as its owner (uid %u): setfsuid refused", d->path,
				(unsigned)d->uid);
	}
	return 0;
}

static void back_to_self(struct creds *c)
{
	if (!c->set)
		return;
	int e = errno; /* callers report the errno of the call in between */
	setfsuid((uid_t)c->uid);
	setfsgid((gid_t)c->gid);
	errno = e;
}

static const char *kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

static const char *user_name(uid_t uid, char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res)
		snprintf(buf, n, "%s (uid %u)", res->pw_name, (unsigned)uid);
	else
		snprintf(buf, n, "uid %u", (unsigned)uid);
	return buf;
}

/* The rule for a file about to be opened, on its stat. */
static int acceptable(const struct aipm_outdir *d, const char *name, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return aipm_err(S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL,
				"%s/%s is %s, not a regular file: aipm reads and writes a recording only as "
				"regular files (a FIFO would block it, a link could point anywhere). Remove it or "
				"choose another -o DIR", d->path, name, kind(st->st_mode));
	if (!d->root)
		return 0;
	if (st->st_nlink != 1)
		return aipm_err(-EPERM, "%s/%s has %ju hard links: as root aipm opens only files with one "
					"(another name could be any file of the system). Remove it or choose "
					"another -o DIR", d->path, name, (uintmax_t)st->st_nlink);
	if (st->st_uid != d->uid) {
		char who[128];
		return aipm_err(-EPERM, "%s/%s belongs to %s, not to the recording's owner: as root aipm "
					"opens only files of the directory's owner. Remove it or choose another "
					"-o DIR", d->path, name, user_name(st->st_uid, who, sizeof who));
	}
	return 0;
}

int aipm_outdir_check(struct aipm_outdir *d, const char *name, bool *exists)
{
	struct stat st;
	*exists = false;
	if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return aipm_err(-errno, "%s/%s: %s", d->path, name, strerror(errno));
	}
	*exists = true;
	return acceptable(d, name, &st);
}

/* Open an existing name with flags (never following a link, never
 * blocking on a FIFO), checked with acceptable() on the file opened. */
static int open_existing(struct aipm_outdir *d, const char *name, int flags)
{
	struct stat before, st;
	if (fstatat(d->fd, name, &before, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno; /* ENOENT is the caller's to handle */
	int e = acceptable(d, name, &before);
	if (e < 0)
		return e;
	int fd = openat(d->fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		if (errno == ELOOP)
			return aipm_err(-ELOOP, "%s/%s became a symbolic link while aipm opened it: aipm never "
						"writes through links. Remove it", d->path, name);
		return aipm_err(-errno, "%s/%s: %s. Check the directory's permissions", d->path, name,
				strerror(errno));
	}
	/* The name may have been swapped between the two looks: judge the
	 * file actually opened. */
	if (fstat(fd, &st) < 0 || (e = acceptable(d, name, &st)) < 0 || st.st_ino != before.st_ino ||
	    st.st_dev != before.st_dev) {
		close(fd);
		return e < 0 ? e : aipm_err(-EAGAIN, "%s/%s changed while aipm opened it. Leave the "
						     "recording directory alone while aipm runs", d->path, name);
	}
	fcntl(fd, F_SETFL, flags & O_APPEND); /* blocking again */
	return fd;
}

int aipm_outdir_append(struct aipm_outdir *d, const char *name, bool *existed)
{
	struct creds c;
	int fd = become_owner(d, &c);
	if (fd < 0)
		return fd;
	/* Look, then create exclusively: when someone creates the name in
	 * between, look again (a few times: a loop re-creating a link must not
	 * keep aipm busy). */
	for (int tries = 0; tries < 8; tries++) {
		fd = open_existing(d, name, O_RDWR | O_APPEND);
		if (fd >= 0) {
			*existed = true;
			break;
		}
		if (fd != -ENOENT)
			break;
		fd = openat(d->fd, name, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0) {
			*existed = false;
			break;
		}
		fd = -errno;
		if (fd != -EEXIST) {
			fd = aipm_err(fd, "cannot create %s/%s: %s. Choose a writable -o DIR", d->path, name,
				      strerror(-fd));
			break;
		}
		fd = aipm_err(-EAGAIN, "%s/%s keeps being re-created by someone else. Leave the recording "
				       "directory alone while aipm runs", d->path, name);
	}
	back_to_self(&c);
	return fd;
}

int aipm_outdir_read_fd(struct aipm_outdir *d, const char *name)
{
	struct creds c;
	int fd = become_owner(d, &c);
	if (fd < 0)
		return fd;
	fd = open_existing(d, name, O_RDONLY);
	back_to_self(&c);
	return fd;
}

int aipm_outdir_read(struct aipm_outdir *d, const char *name, size_t max, char **data, size_t *len)
{
	int fd = aipm_outdir_read_fd(d, name);
	if (fd < 0)
		return fd;
	struct stat st;
	int e = 0;
	char *buf = NULL;
	if (fstat(fd, &st) < 0 || st.st_size < 0 || (size_t)st.st_size > max) {
		e = aipm_err(-EFBIG, "%s/%s is larger than %zu bytes: not a file aipm wrote", d->path, name, max);
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		e = aipm_err(-ENOMEM, "out of memory reading %s/%s", d->path, name);
	} else {
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t k = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		buf[got] = '\0';
		*data = buf;
		*len = got;
	}
	close(fd);
	return e;
}

static void temp_name(const char *name, char *tmp, size_t n)
{
	uint64_t r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (uint64_t)getpid() * 0x9E3779B97F4A7C15u ^ (uint64_t)clock();
	snprintf(tmp, n, "%s.tmp.%012llx", name, (unsigned long long)(r & 0xffffffffffffull));
}

int aipm_outdir_create_temp(struct aipm_outdir *d, const char *name, char *tmp, size_t tmp_size)
{
	struct creds c;
	int fd = become_owner(d, &c);
	if (fd < 0)
		return fd;
	for (int tries = 0; tries < 16; tries++) {
		temp_name(name, tmp, tmp_size);
		fd = openat(d->fd, tmp, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		fd = aipm_err(-errno, "cannot create %s/%s: %s. Choose a writable -o DIR", d->path, tmp,
			      strerror(errno));
	back_to_self(&c);
	return fd;
}

int aipm_outdir_create_unnamed(struct aipm_outdir *d)
{
	struct creds c;
	int fd = become_owner(d, &c);
	if (fd < 0)
		return fd;
	fd = openat(d->fd, ".", O_TMPFILE | O_RDWR | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0)
		fd = aipm_err(-errno, "%s: no unnamed file (%s)", d->path, strerror(errno));
	back_to_self(&c);
	return fd;
}

int aipm_outdir_name(struct aipm_outdir *d, int fd, const char *name)
{
	char proc[64], tmp[512];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	struct creds c;
	int e = become_owner(d, &c);
	if (e < 0)
		return e;
	/* A random name first (linkat cannot replace), then rename over
	 * name: whoever reads name sees the old file or the new, whole. */
	for (int tries = 0; tries < 16; tries++) {
		temp_name(name, tmp, sizeof tmp);
		if ((e = linkat(AT_FDCWD, proc, d->fd, tmp, AT_SYMLINK_FOLLOW)) == 0 || errno != EEXIST)
			break;
	}
	if (e < 0)
		e = aipm_err(-errno, "cannot name %s/%s: %s", d->path, name, strerror(errno));
	else if (renameat(d->fd, tmp, d->fd, name) < 0) {
		e = aipm_err(-errno, "cannot rename %s/%s to %s: %s", d->path, tmp, name, strerror(errno));
		unlinkat(d->fd, tmp, 0);
	}
	back_to_self(&c);
	return e;
}

int aipm_outdir_rename(struct aipm_outdir *d, const char *from, const char *to)
{
	struct creds c;
	int e = become_owner(d, &c);
	if (e < 0)
		return e;
	if (renameat(d->fd, from, d->fd, to) < 0)
		e = aipm_err(-errno, "cannot rename %s/%s to %s: %s", d->path, from, to, strerror(errno));
	back_to_self(&c);
	return e;
}

int aipm_outdir_remove(struct aipm_outdir *d, const char *name)
{
	struct creds c;
	int e = become_owner(d, &c);
	if (e < 0)
		return e;
	if (unlinkat(d->fd, name, 0) < 0 && errno != ENOENT)
		e = aipm_err(-errno, "cannot remove %s/%s: %s. Remove it yourself or choose another -o DIR",
			     d->path, name, strerror(errno));
	back_to_self(&c);
	return e;
}

int aipm_outdir_replace(struct aipm_outdir *d, const char *name, const char *data, size_t n)
{
	/* Unnamed until whole (a process killed meanwhile leaves nothing),
	 * a random temporary name where the filesystem has no O_TMPFILE. */
	char tmp[512] = "";
	int fd = aipm_outdir_create_unnamed(d);
	if (fd < 0)
		fd = aipm_outdir_create_temp(d, name, tmp, sizeof tmp);
	if (fd < 0)
		return fd;
	bool torn = false;
	int e = aipm_write_whole(fd, data, n, &torn);
	if (e < 0)
		e = aipm_err(e, "cannot write %s/%s: %s", d->path, name, strerror(-e));
	if (!e)
		e = tmp[0] ? aipm_outdir_rename(d, tmp, name) : aipm_outdir_name(d, fd, name);
	close(fd);
	if (e < 0 && tmp[0]) {
		struct creds c;
		if (become_owner(d, &c) == 0) {
			unlinkat(d->fd, tmp, 0);
			back_to_self(&c);
		}
	}
	return e;
}

int aipm_write_whole(int fd, const char *data, size_t n, bool *torn)
{
	size_t done = 0;
	while (done < n) {
		ssize_t k = write(fd, data + done, n - done);
		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		int e = k < 0 ? -errno : -ENOSPC; /* write() returning 0 on a file: no room */
		struct stat st;
		if (done && !(fstat(fd, &st) == 0 && st.st_size >= (off_t)done &&
			      ftruncate(fd, st.st_size - (off_t)done) == 0))
			*torn = true;
		return e;
	}
	return 0;
}

/* ---- opening the directory ---- */

/* One step of the walk: the component c under dirfd, created when
 * missing. The last component is DIR itself: never a link. */
static int step(int dirfd, const char *c, bool last, const char *path)
{
	int flags = O_DIRECTORY | O_CLOEXEC | (last ? O_RDONLY | O_NOFOLLOW : O_PATH);
	int fd = openat(dirfd, c, flags);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dirfd, c, 0777) < 0 && errno != EEXIST)
			return aipm_err(-errno, "cannot create the recording directory %s: %s. Choose another -o DIR",
					path, strerror(errno));
		fd = openat(dirfd, c, flags | O_NOFOLLOW);
	}
	if (fd >= 0)
		return fd;
	int e = -errno;
	struct stat st;
	if ((e == -ELOOP || e == -ENOTDIR) && fstatat(dirfd, c, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode) && last) {
			char target[4096];
			ssize_t n = readlinkat(dirfd, c, target, sizeof target - 1);
			target[n > 0 ? n : 0] = '\0';
			return aipm_err(-ELOOP, "%s is a symbolic link (to %s): aipm records only into the "
						"directory itself. Give -o the directory the link points to",
					path, target);
		}
		if (!S_ISDIR(st.st_mode) && last)
			return aipm_err(-ENOTDIR, "%s is a file, not a directory. Give -o a directory to record "
						  "into", path);
		if (!S_ISDIR(st.st_mode))
			return aipm_err(-ENOTDIR, "%s: its part %s is a file, not a directory. Give -o a "
						  "directory to record into", path, c);
	}
	return aipm_err(e, "cannot open the recording directory %s: %s. Choose another -o DIR", path,
			strerror(-e));
}

/* Open path component by component from / or the working directory. */
static int walk(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	int fd = open(buf[0] == '/' ? "/" : ".", O_DIRECTORY | O_CLOEXEC | O_PATH);
	if (fd < 0)
		return aipm_err(-errno, "%s: %s", path, strerror(errno));
	char *p = buf;
	bool opened_last = false;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *c = p;
		while (*p && *p != '/')
			p++;
		if (*p)
			*p++ = '\0';
		const char *rest = p;
		while (*rest == '/')
			rest++;
		bool last = !*rest;
		int nfd = step(fd, c, last, path);
		close(fd);
		if (nfd < 0)
			return nfd;
		fd = nfd;
		opened_last = last;
	}
	if (!opened_last) { /* "/" alone: open it for real, not as a path */
		int nfd = openat(fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		close(fd);
		fd = nfd < 0 ? aipm_err(-errno, "%s: %s", path, strerror(errno)) : nfd;
	}
	return fd;
}

int aipm_outdir_open(struct aipm_outdir **out, const char *path, unsigned flags)
{
	if (!path || !*path)
		return aipm_err(-EINVAL, "no recording directory given. Give one with -o DIR");
	if (strlen(path) >= sizeof ((struct aipm_outdir *)0)->path)
		return aipm_err(-ENAMETOOLONG, "the recording directory's name is %zu bytes long. Give a shorter "
					       "-o DIR", strlen(path));
	int fd = walk(path);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = aipm_err(-errno, "%s: %s", path, strerror(errno));
		close(fd);
		return e;
	}
	struct aipm_outdir *d = calloc(1, sizeof *d);
	if (!d) {
		close(fd);
		return aipm_err(-ENOMEM, "out of memory");
	}
	atomic_init(&d->refs, 1);
	d->fd = fd;
	snprintf(d->path, sizeof d->path, "%s", path);
	d->root = geteuid() == 0;
	d->uid = geteuid();
	d->gid = getegid();
	if (d->root && st.st_uid != 0) {
		char who[128];
		user_name(st.st_uid, who, sizeof who);
		if (!(flags & AIPM_OUTDIR_AS_OWNER)) {
			aipm_outdir_unref(d);
			return aipm_err(-EPERM, "%s belongs to %s and aipm runs as root: that user could make "
						"root's writes land in other files. Record into a directory root "
						"owns, or give --as-owner to write the recording as %s",
					path, who, who);
		}
		d->as_owner = true;
		d->uid = st.st_uid;
		d->gid = st.st_gid;
	}
	*out = d;
	return 0;
}

struct aipm_outdir *aipm_outdir_ref(struct aipm_outdir *d)
{
	if (d)
		atomic_fetch_add(&d->refs, 1);
	return d;
}

void aipm_outdir_unref(struct aipm_outdir *d)
{
	if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	close(d->fd);
	free(d);
}

const char *aipm_outdir_path(const struct aipm_outdir *d) { return d->path; }
