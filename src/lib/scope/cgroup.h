/* cgroup.h: cgroup v2 scopes, the mechanics. A scope is one cgroup (and its
 * descendants) whose processes are the experiment: a run's own cgroup, a
 * Slurm job or step, a container or a pod.
 *
 * Three pieces, each usable alone:
 *  - the hierarchy (struct aipm_cgroup_fs): where cgroup2 is mounted, found
 *    from mountinfo under a proc root (a pure v2 mount at /sys/fs/cgroup or
 *    the `unified` hierarchy of a hybrid one), or a root the caller gives
 *    (AIPM_CGROUP_ROOT in the CLI: fake trees in tests);
 *  - the reader (struct aipm_cgroup_scope): cpu.stat, memory.*, cgroup.events
 *    and cgroup.procs kept open and re-read with pread, so a sample costs a
 *    few syscalls whatever the number of processes on the machine;
 *  - the run cgroup (struct aipm_cgroup_run): a child cgroup made for
 *    `aipm run`, a pid moved into it before it execs, removed at the end.
 *
 * Paths: a "hierarchy path" is what /proc/PID/cgroup shows after "0::"
 * ("/system.slice/x.service", "/" for the root), relative to aipm's cgroup
 * namespace. The library never calls getenv: the caller passes the roots.
 * Functions return 0 or a negative errno with a sentence in
 * aipm_error_last() ("what: why. what to do"); nothing here prints.
 *
 * Names (--slurm-job, --container, globs) and labels are in names.h.
 */
#ifndef AIPM_SCOPE_CGROUP_H
#define AIPM_SCOPE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest hierarchy path handled (a Kubernetes container path is about
 * 200 bytes); a longer one is refused with ENAMETOOLONG, never cut. */
#define AIPM_CGROUP_PATH_MAX 1024

enum aipm_cgroup_layout {
	AIPM_CGROUP_PURE,     /* cgroup2 alone at /sys/fs/cgroup: memory.* where enabled */
	AIPM_CGROUP_HYBRID,   /* cgroup2 beside v1 hierarchies, which own the controllers */
	AIPM_CGROUP_OVERRIDE, /* a root given by the caller (tests, unusual mounts) */
};

struct aipm_cgroup_fs {
	int dirfd;                          /* the mount, O_DIRECTORY, kept open */
	enum aipm_cgroup_layout layout;
	char mount_point[AIPM_CGROUP_PATH_MAX]; /* "/sys/fs/cgroup/unified" */
	char mount_root[AIPM_CGROUP_PATH_MAX];  /* hierarchy path the mount shows, "/" */
	char proc_root[256];                /* "/proc" or a test's fake one */
	char self[AIPM_CGROUP_PATH_MAX];    /* aipm's own cgroup ("" if unknown) */
	char controllers[256];              /* the root's cgroup.controllers */
	char describe[512];                 /* one sentence for `aipm probe` and metadata.json */
};

/* Find cgroup2 and aipm's cgroup. proc_root: NULL for "/proc".
 * cgroup_root: NULL to read <proc_root>/self/mountinfo; else that directory
 * stands for the mount (layout OVERRIDE). -ENOENT "no cgroup v2 here" on a
 * v1-only machine, with what to do. */
int aipm_cgroup_fs_open(struct aipm_cgroup_fs *fs, const char *proc_root, const char *cgroup_root);
void aipm_cgroup_fs_close(struct aipm_cgroup_fs *fs);

/* The hierarchy path of pid's cgroup (/proc/PID/cgroup "0::"). -ESRCH when
 * the process is gone. */
int aipm_cgroup_of_pid(const struct aipm_cgroup_fs *fs, pid_t pid, char *path, size_t n);

/* Clean a hierarchy path: one leading '/', no repeated or trailing '/',
 * no "." or ".." component (refused: a scope never climbs out of where it
 * was named). -EINVAL or -ENAMETOOLONG with a message naming the path. */
int aipm_cgroup_path_clean(const char *in, char *out, size_t n);

/* Open a cgroup's directory (hierarchy path) relative to the mount:
 * O_DIRECTORY|O_CLOEXEC. -ENOENT when no such cgroup, -EXDEV when the path
 * lies outside what this mount shows. */
int aipm_cgroup_open_dir(const struct aipm_cgroup_fs *fs, const char *path);

/* --- Reading a scope ------------------------------------------------- */

#define AIPM_CGROUP_SCOPE_OPTS_VERSION 1
struct aipm_cgroup_scope_opts {
	unsigned version;
	/* Members include the processes of descendant cgroups (a Slurm job's
	 * steps, a pod's containers). cpu.stat and memory.* always count
	 * descendants: the kernel sums them. Default true. */
	bool descendants;
	/* Which files to keep open from the start (AIPM_CGROUP_READ_*; 0:
	 * all). cpu.stat always is; cgroup.procs is opened at the first
	 * aipm_cgroup_scope_members. A caller holding a thousand scopes
	 * (aipm serve --cgroups) keeps two or three descriptors each. */
	unsigned files;
};
void aipm_cgroup_scope_opts_init(struct aipm_cgroup_scope_opts *o);

struct aipm_cgroup_scope;

/* Open the scope at a hierarchy path; its files stay open until close.
 * opts NULL: the defaults. A cgroup removed later (the job ended) makes
 * the reads fail with -ENODEV, never read as zero. */
int aipm_cgroup_scope_open(const struct aipm_cgroup_fs *fs, const char *path,
			   const struct aipm_cgroup_scope_opts *opts, struct aipm_cgroup_scope **out);
void aipm_cgroup_scope_close(struct aipm_cgroup_scope *s);
const char *aipm_cgroup_scope_path(const struct aipm_cgroup_scope *s);
/* The cgroup directory's inode number: a cgroup removed and made again
 * under the same name is another scope. */
uint64_t aipm_cgroup_scope_id(const struct aipm_cgroup_scope *s);

/* What to read: cpu.stat at every sample; memory.stat walks per-cgroup
 * counters in the kernel, so a caller may read it on a slower tier. */
enum {
	AIPM_CGROUP_READ_CPU = 1u << 0,    /* cpu.stat */
	AIPM_CGROUP_READ_MEMORY = 1u << 1, /* memory.current, memory.peak, memory.stat */
	AIPM_CGROUP_READ_EVENTS = 1u << 2, /* cgroup.events populated, cgroup.stat */
};

/* One reading. Each have_ flag says whether its fields were read: a file
 * that does not exist (memory controller not enabled for this subtree, as
 * on hybrid machines; memory.peak before Linux 5.19) leaves it false, and
 * false is "missing", never 0. */
struct aipm_cgroup_stat {
	bool have_cpu;
	uint64_t usage_usec, user_usec, system_usec; /* every task ever in the subtree, exited ones too */

	bool have_memory_current, have_memory_peak, have_memory_stat;
	uint64_t memory_current_bytes, memory_peak_bytes;
	uint64_t mem_anon_bytes, mem_file_bytes, mem_kernel_bytes, mem_shmem_bytes;
	bool have_mem_kernel;                        /* memory.stat "kernel" exists since 5.18 */

	bool have_events;
	bool populated;                              /* a live process in the subtree */
	uint64_t nr_descendants;                     /* live descendant cgroups (cgroup.stat) */
};

/* Read what `what` asks into st (fields not asked for are left invalid).
 * -ENODEV when the cgroup was removed. */
int aipm_cgroup_scope_read(struct aipm_cgroup_scope *s, unsigned what, struct aipm_cgroup_stat *st);

struct aipm_cgroup_members {
	size_t n;          /* pids stored, sorted, without repeats */
	size_t total;      /* pids listed (> cap: -ENOBUFS) */
	size_t cgroups;    /* cgroups whose cgroup.procs was read */
	size_t vanished;   /* descendant cgroups removed while being read (skipped) */
};
/* The scope's processes into pids[cap]. Cost: one pread of the scope's
 * cgroup.procs, plus, with descendants, one directory listing and one
 * cgroup.procs per descendant cgroup; never a scan of /proc. -ENOBUFS
 * when cap is too small (m->total says how many to allow): never a silent
 * subset. No allocation. */
int aipm_cgroup_scope_members(struct aipm_cgroup_scope *s, pid_t *pids, size_t cap,
			      struct aipm_cgroup_members *m);

/* --- A cgroup for `aipm run` ----------------------------------------- */

enum aipm_cgroup_leftover {
	AIPM_CGROUP_MOVE_OUT, /* move survivors back to the parent, then remove (default) */
	AIPM_CGROUP_KEEP,     /* leave the cgroup and its processes as they are */
	AIPM_CGROUP_KILL,     /* cgroup.kill (SIGKILL to the subtree), then remove */
};

#define AIPM_CGROUP_RUN_OPTS_VERSION 1
struct aipm_cgroup_run_opts {
	unsigned version;
	const char *parent;      /* hierarchy path; NULL: aipm's own cgroup */
	const char *name_prefix; /* NULL: "aipm-run"; the cgroup is PREFIX-<aipm pid>[.N] */
};
void aipm_cgroup_run_opts_init(struct aipm_cgroup_run_opts *o);

struct aipm_cgroup_run {
	char path[AIPM_CGROUP_PATH_MAX];   /* hierarchy path of the run's cgroup */
	char parent[AIPM_CGROUP_PATH_MAX];
	int dirfd;      /* the run's cgroup (for clone3 CLONE_INTO_CGROUP too) */
	int procs_fd;   /* its cgroup.procs, open for writing */
	int parent_fd;  /* the parent's directory */
	/* Empty, or a sentence on what the cgroup lacks (no memory.* here:
	 * memory then comes from /proc), for metadata.json. */
	char note[512];
};

/* Make the run's cgroup. -EACCES/-EPERM (not root, subtree not delegated),
 * -EROFS (read-only mount: a container), -ENOENT (no cgroup2), -EBUSY or
 * -EOPNOTSUPP (a threaded parent, where processes cannot be placed), each
 * with a sentence for metadata.json and `aipm probe` that says the /proc
 * scan is what remains. Nothing is left behind on failure. */
int aipm_cgroup_run_create(const struct aipm_cgroup_fs *fs, const struct aipm_cgroup_run_opts *opts,
			   struct aipm_cgroup_run *run);
/* Move pid (and all its threads) into the run's cgroup. Call it between
 * fork and exec, from the parent, while the child waits: the command's
 * first instruction is then counted. On failure the child runs outside
 * (measure it by /proc) and aipm_cgroup_run_remove still cleans up. */
int aipm_cgroup_run_add_pid(struct aipm_cgroup_run *run, pid_t pid);
/* The same from inside the forked child itself: one write(2), async-signal
 * safe, returns 0 or -errno and sets no message. */
int aipm_cgroup_run_enter_self(const struct aipm_cgroup_run *run);

struct aipm_cgroup_run_end {
	size_t left;        /* processes still in the cgroup when the command ended */
	pid_t first[8];     /* the first of them, for the message */
	size_t moved;       /* of which moved back to the parent (MOVE_OUT) */
	bool removed;       /* the cgroup is gone */
};
/* End the run: remove the cgroup once empty. A process that outlives the
 * command keeps it populated: policy says what happens to it; end says
 * what happened (the caller records it: a daemon is not measured after the
 * end, and says so). Always closes the run's fds. */
int aipm_cgroup_run_remove(struct aipm_cgroup_run *run, enum aipm_cgroup_leftover policy,
			   struct aipm_cgroup_run_end *end);

#endif
