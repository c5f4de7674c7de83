/* cgroup.c: the experiment measured as a cgroup (`aipm run` in a cgroup of
 * its own, `aipm attach --cgroup/--slurm-job/--container`), and the
 * registration of the cgroup source (scopes beside the machine, for `aipm
 * serve`, are cgroup_set.c's).
 *
 * The tree's CPU time is the cgroup's cpu.stat usage_usec: one pread of a
 * kept fd, in microseconds, every task that was ever in the subtree
 * included (children that ended between two samples, daemons that
 * double-forked, processes `attach` cannot reap). Its members are what
 * cgroup.procs lists (descendant cgroups included), so a sample costs in
 * proportion to the tree, never to the machine: the /proc scan is not run
 * (membership.c tells the process source it has no tree to follow, and it
 * reads the machine's CPU time and memory only).
 *
 * Each member's AIPowerMeter keys (CPU time, PSS/USS) are read by the
 * process source's own member reader (procfs_read.c), keyed by pid and
 * start time: the member list of a sample is merged with the previous one
 * (both sorted by pid), a pid seen for the first time has its stat read
 * once, a kept stat fd that reads ESRCH under a still-listed pid is a new
 * process with a reused pid. A member whose /proc cannot be read (another
 * PID namespace's, gone between the listing and the read) stays out of the
 * process table but in exp_pids, which GPU attribution matches against.
 *
 * A cgroup removed while measured (the job ended, the container stopped)
 * reads ENODEV: the tree is then over, never an idle scope; the source
 * holds its last CPU time and says when. Memory from memory.current where
 * the memory controller is enabled for the subtree (not on a hybrid
 * mount): absent otherwise, never 0.
 */
#include "cgroup_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "scope/parse.h"
#include "util.h"

int aipm_cgsrc_members(struct aipm_cgroup_scope *s, pid_t **pids, size_t *cap, size_t *n)
{
	for (int tries = 0;; tries++) {
		struct aipm_cgroup_members m;
		int r = aipm_cgroup_scope_members(s, *pids, *cap, &m);
		if (r == 0) {
			*n = m.n;
			return 0;
		}
		/* Too small: grow to what was listed, with room for a fork
		 * storm between two reads, and read again. */
		if (r != -ENOBUFS || tries == 4)
			return r;
		if (aipm_grow((void **)pids, cap, m.total * 2 + 64, sizeof **pids) < 0)
			return aipm_err(-ENOMEM, "out of memory for the %zu processes of cgroup %s", m.total,
					aipm_cgroup_scope_path(s));
	}
}

/* A pid seen in the cgroup for the first time: its stat, once. */
static int adopt(struct cgsrc *c, pid_t pid, struct member *m)
{
	struct aipm_pid_stat f;
	int fd = -1;
	bool kept = false;
	int r = aipm_procfs_adopt(&c->rd, pid, &f, &fd, &kept);
	if (r == 0)
		aipm_procfs_member_init(&c->rd, m, pid, &f, fd, kept, true);
	return r;
}

/* Merge the previous members with this sample's cgroup.procs (both sorted
 * by pid) into c->next, then swap. */
static int merge_members(struct cgsrc *c)
{
	if (aipm_grow((void **)&c->next, &c->next_cap, c->npids, sizeof *c->next) < 0)
		return aipm_err(-ENOMEM, "out of memory for %zu processes", c->npids);
	size_t i = 0, j = 0, k = 0;
	c->unreadable = 0;
	while (j < c->npids || i < c->n) {
		if (j == c->npids || (i < c->n && c->m[i].pid < c->pids[j])) {
			aipm_procfs_member_close(&c->rd, &c->m[i++]); /* left the cgroup, or ended */
			continue;
		}
		pid_t pid = c->pids[j++];
		if (i < c->n && c->m[i].pid == pid) {
			struct member *old = &c->m[i++];
			enum read_result r = aipm_procfs_member_refresh(&c->rd, old);
			if (r != READ_GONE) {
				c->unreadable += r == READ_UNREAD;
				c->next[k++] = *old;
				continue;
			}
			aipm_procfs_member_close(&c->rd, old); /* the pid was reused: a new process */
		}
		if (adopt(c, pid, &c->next[k]) == 0)
			k++;
		else
			c->unreadable++;
	}
	struct member *t = c->m;
	c->m = c->next;
	c->next = t;
	size_t tc = c->cap;
	c->cap = c->next_cap;
	c->next_cap = tc;
	c->n = k;
	if (k > c->peak_members)
		c->peak_members = k;
	return 0;
}

static int by_member_pid(const void *a, const void *b)
{
	pid_t x = ((const struct member *)a)->pid, y = ((const struct member *)b)->pid;
	return (x > y) - (x < y);
}

/* Processes born between the reads of cgroup.procs and cpu.stat: cpu.stat
 * already holds what they ran, so they are read in this sample; left to
 * the next, they would be new there and their CPU time counted twice (in
 * this line's "other" and in the next line's own entry). One more read
 * of cgroup.procs a sample, in proportion to the tree. */
static int add_born(struct cgsrc *c)
{
	int r = aipm_cgsrc_members(c->scope, &c->born, &c->born_cap, &c->nborn);
	if (r < 0)
		return r == -ENODEV ? 0 : r; /* removed since: the next sample says so */
	size_t nnew = 0, j = 0;
	for (size_t i = 0; i < c->nborn; i++) { /* both sorted: keep those not listed before */
		while (j < c->npids && c->pids[j] < c->born[i])
			j++;
		if (j == c->npids || c->pids[j] != c->born[i])
			c->born[nnew++] = c->born[i];
	}
	if (!nnew)
		return 0;
	if (aipm_grow((void **)&c->m, &c->cap, c->n + nnew, sizeof *c->m) < 0 ||
	    aipm_grow((void **)&c->pids, &c->pids_cap, c->npids + nnew, sizeof *c->pids) < 0)
		return aipm_err(-ENOMEM, "out of memory for %zu processes", c->npids + nnew);
	for (size_t k = 0; k < nnew; k++) {
		c->pids[c->npids++] = c->born[k];
		if (adopt(c, c->born[k], &c->m[c->n]) == 0)
			c->n++;
		else
			c->unreadable++;
	}
	qsort(c->m, c->n, sizeof *c->m, by_member_pid);
	c->npids = aipm_pids_sort_unique(c->pids, c->npids);
	return 0;
}

static int publish_members(struct cgsrc *c, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct aipm_scope_values *sv = &snap->scope;
	if (aipm_grow((void **)&sv->exp_pids, &sv->exp_pids_cap, c->npids, sizeof *sv->exp_pids) < 0)
		return aipm_err(-ENOMEM, "out of memory for %zu processes", c->npids);
	if (c->npids)
		memcpy(sv->exp_pids, c->pids, c->npids * sizeof *c->pids);
	sv->nexp_pids = c->npids;
	sv->exp_pids_valid = true;
	bool alive = false;
	for (size_t i = 0; i < c->n; i++) {
		struct member *m = &c->m[i];
		if (ctx->slow || !m->mem_tried) { /* a new member is read at once */
			aipm_procfs_member_read_mem(&c->rd, m);
			m->mem_tried = true;
		}
		if (!aipm_procfs_member_publish(m, snap))
			return aipm_err(-ENOMEM, "out of memory for %zu processes", c->n);
		alive |= m->alive;
	}
	snap->tree_alive = alive;
	return 0;
}

/* The cgroup is gone: the tree has ended. Its CPU time stands. */
static void ended(struct cgsrc *c, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	if (!c->removed) {
		c->removed = true;
		for (size_t i = 0; i < c->n; i++)
			aipm_procfs_member_close(&c->rd, &c->m[i]);
		c->n = c->npids = 0;
		aipm_source_note(&c->base, "cgroup %s was removed at sample %llu (its job or container ended): "
					   "measuring it stopped there",
				 aipm_cgroup_scope_path(c->scope), (unsigned long long)ctx->seq);
	}
	snap->scope.exp_cgroup = true;
	snap->scope.exp_pids_valid = true;
	snap->tree_cpu_ns = c->last_cpu_ns;
	snap->tree_alive = false;
	snap->tree_valid = true;
}

/* What had to be left out or degraded so far, for metadata.json and probe
 * (peaks, so a note made while the tree was large survives its end). */
static void note(struct cgsrc *c)
{
	size_t unkept = 0;
	for (size_t i = 0; i < c->n; i++)
		unkept += c->m[i].stat_fd < 0;
	if (unkept > c->peak_unkept)
		c->peak_unkept = unkept, c->peak_unkept_of = c->n;
	char fds[300] = "", unread[300] = "";
	if (c->peak_unkept)
		snprintf(fds, sizeof fds, "up to %zu of %zu processes were read by open-read-close, past the budget of "
					  "%zu kept file descriptors (RLIMIT_NOFILE; `ulimit -n` raises it)",
			 c->peak_unkept, c->peak_unkept_of, c->rd.fd_budget);
	/* notes for people: a long proc root may cut the advice's tail */
	if (c->foreign_proc)
		aipm_snprintf_trunc(unread, sizeof unread, "%s belongs to another PID namespace: the cgroup's CPU time is "
						"measured, its processes' own keys and PSS/USS are not (mount a procfs for "
						"this namespace)",
			 c->proc_root);
	else if (c->unreadable)
		snprintf(unread, sizeof unread, "%zu of the cgroup's processes had no readable /proc entry (gone, or "
						"another PID namespace's): their CPU time is in the total, their memory "
						"is not",
			 c->unreadable);
	if (fds[0] || unread[0])
		aipm_source_note(&c->base, "%s%s%s", fds, fds[0] && unread[0] ? "; " : "", unread);
}

static int exp_sample(struct cgsrc *c, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	if (c->removed) {
		ended(c, ctx, snap);
		return 0;
	}
	struct aipm_cgroup_stat st;
	unsigned what = AIPM_CGROUP_READ_CPU | AIPM_CGROUP_READ_EVENTS | (ctx->slow ? AIPM_CGROUP_READ_MEMORY : 0);
	/* The members' own clocks first, cpu.stat after them: the cgroup's
	 * total then holds all the members ran up to their reads, so the
	 * parts of a line (each process, "other") never exceed the tree's
	 * time of the interval, and no debt is carried line after line (the
	 * other order lags the busy member's time by the read's skew). */
	int r = aipm_cgsrc_members(c->scope, &c->pids, &c->pids_cap, &c->npids);
	if (r == 0 && !c->foreign_proc)
		r = merge_members(c);
	if (r == 0)
		r = aipm_cgroup_scope_read(c->scope, what, &st);
	if (r == 0 && !c->foreign_proc)
		r = add_born(c);
	if (r == -ENODEV) {
		ended(c, ctx, snap);
		return 0;
	}
	if (r < 0)
		return r; /* this sample says nothing about the tree */
	snap->scope.exp_cgroup = true;
	c->last_cpu_ns = st.usage_usec * 1000u;
	snap->tree_cpu_ns = c->last_cpu_ns;
	if ((r = publish_members(c, ctx, snap)) < 0)
		return r;
	/* populated counts live tasks only; the root cgroup has no events. */
	if (st.have_events)
		snap->tree_alive = st.populated;
	if (ctx->slow)
		c->mem_valid = st.have_memory_current, c->mem_bytes = st.memory_current_bytes;
	snap->scope.exp_mem_valid = c->mem_valid;
	snap->scope.exp_mem_bytes = c->mem_bytes;
	snap->tree_valid = true;
	note(c);
	return 0;
}

/* aipm inside the scope would measure its own sampling as the experiment. */
static int refuse_self(const struct aipm_cgroup_fs *fs, const char *path)
{
	size_t n = strlen(path);
	bool root = !strcmp(path, "/");
	if (!fs->self[0] || !(root || (!strncmp(fs->self, path, n) && (!fs->self[n] || fs->self[n] == '/'))))
		return 0;
	return aipm_err(-EINVAL, "cgroup %s holds aipm itself (aipm runs in %s): its own sampling would count as the "
				 "experiment's. Run aipm from outside that cgroup (e.g. in another systemd unit), or "
				 "name a cgroup below it",
			path, fs->self);
}

static int exp_open(struct cgsrc *c, const struct aipm_source_config *cfg, const char *path)
{
	int r = refuse_self(&c->fs, path);
	struct aipm_cgroup_scope_opts o;
	aipm_cgroup_scope_opts_init(&o);
	if (r == 0)
		r = aipm_cgroup_scope_open(&c->fs, path, &o, &c->scope);
	if (r < 0)
		return r;
	long hz = aipm_clk_tck();
	c->rd.tick_ns = 1000000000u / (uint64_t)(hz > 0 ? hz : 100);
	c->rd.fd_budget = aipm_procfs_fd_budget(); /* the process source keeps none for members here */
	r = aipm_path_fmt(c->proc_root, sizeof c->proc_root, "%s", aipm_paths_proc(&cfg->paths));
	if (r < 0)
		return aipm_err_wrap(r, "the procfs root (AIPM_PROC_ROOT)");
	c->rd.proc_fd = open(c->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rd.proc_fd < 0)
		return aipm_err(-errno, "cgroup %s: cannot open %s: %s", path, c->proc_root, strerror(errno));
	/* cgroup.procs names pids as aipm's PID namespace sees them; a /proc
	 * of another namespace (`unshare --pid` without --mount-proc) would
	 * give strangers' keys under those numbers. */
	char self[32] = "";
	ssize_t n = readlinkat(c->rd.proc_fd, "self", self, sizeof self - 1);
	c->foreign_proc = n > 0 && atoi(self) != (int)getpid();
	if (c->foreign_proc)
		note(c);
	aipm_source_set(&c->base, true, "", "cgroup %s: CPU time from its cpu.stat, members from its cgroup.procs, "
					    "PSS/USS of each from %s; %s",
			aipm_cgroup_scope_path(c->scope), aipm_paths_proc(&cfg->paths), c->fs.describe);
	return 0;
}

static int cgroup_open(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out)
{
	(void)cat; /* the process table and the scopes are in every snapshot */
	struct cgsrc *c = calloc(1, sizeof *c);
	if (!c)
		return aipm_err(-ENOMEM, "out of memory opening the cgroup source");
	c->rd.proc_fd = -1;
	*out = &c->base;
	const struct aipm_membership *mb = cfg->membership;
	const char *path = aipm_membership_cgroup(mb);
	if (!path && !(mb && mb->scope.nsets)) {
		aipm_source_set(&c->base, false, "", "not in use: the experiment is a process tree, read from /proc");
		return 0;
	}
	/* A scope was asked for: failing to measure it is an error, never a
	 * silent fall back to something else. */
	int r = aipm_cgroup_fs_open(&c->fs, aipm_paths_proc(&cfg->paths), cfg->paths.cgroup);
	c->fs_open = r == 0;
	if (r == 0 && path)
		r = exp_open(c, cfg, path);
	if (r == 0 && mb->scope.nsets)
		r = aipm_cgset_open(c, &mb->scope, 0);
	return r;
}

static int cgroup_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct cgsrc *c = (struct cgsrc *)src;
	int r = c->scope ? exp_sample(c, ctx, snap) : 0;
	int r2 = c->set ? aipm_cgset_sample(c, ctx, snap) : 0;
	return r < 0 ? r : r2;
}

static void cgroup_close(struct aipm_source *src)
{
	struct cgsrc *c = (struct cgsrc *)src;
	for (size_t i = 0; i < c->n; i++)
		aipm_procfs_member_close(&c->rd, &c->m[i]);
	if (c->rd.proc_fd >= 0)
		close(c->rd.proc_fd);
	aipm_cgset_close(c);
	aipm_cgroup_scope_close(c->scope);
	if (c->fs_open)
		aipm_cgroup_fs_close(&c->fs);
	free(c->m);
	free(c->next);
	free(c->pids);
	free(c->born);
	free(c);
}

static void cgroup_describe(struct aipm_source *src, struct aipm_buf *b)
{
	struct cgsrc *c = (struct cgsrc *)src;
	aipm_buf_puts(b, "{\"hierarchy\": ");
	aipm_buf_json_str(b, c->fs.describe);
	if (c->scope) {
		aipm_buf_puts(b, ", \"cgroup\": ");
		aipm_buf_json_str(b, aipm_cgroup_scope_path(c->scope));
		aipm_buf_puts(b, ", \"cpu_time\": \"cpu.stat usage_usec\"");
	}
	if (c->set)
		aipm_cgset_describe(c, b);
	aipm_buf_puts(b, "}");
}

const struct aipm_source_ops aipm_source_cgroup = {
	.name = "cgroup",
	.what = "cgroup v2 scopes: CPU time from cpu.stat, members from cgroup.procs, memory.* where enabled",
	.provides = AIPM_PROVIDES_SCOPES,
	.missing = "cgroup scope",
	.say = AIPM_SAY_NEVER, /* unused unless asked for; asked for and unusable is an error */
	.open = cgroup_open,
	.sample = cgroup_sample,
	.close = cgroup_close,
	.describe = cgroup_describe,
};
