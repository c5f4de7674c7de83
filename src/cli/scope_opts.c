/* scope_opts.c: see scope_opts.h.
 *
 * What happens to processes that outlive `aipm run`'s command (daemons,
 * double-forked servers): the recording ends when the command ends, as
 * `time` does; its last sample counts them up to then. By default they are
 * then moved back out of the run's cgroup (into the cgroup aipm was
 * started in), keep running unmeasured, and the run says so on stderr and
 * in metadata.json; --leftover kill ends them (cgroup.kill), --leftover
 * keep leaves them in the run's cgroup, which then stays (its path is
 * said) for the user to measure or remove.
 */
#include "scope_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "common.h"
#include "util.h"

void scope_opts_init(struct scope_opts *o)
{
	memset(o, 0, sizeof *o);
	o->want = SCOPE_AUTO;
	o->leftover = AIPM_CGROUP_MOVE_OUT;
}

enum { SCOPE = 1100, CGROUP_PARENT, LEFTOVER, CGROUP, SLURM_JOB, CONTAINER };

const struct cli_opt scope_run_table[] = {
	CLI_VALUE(SCOPE, 0, "scope", "WHICH", "auto, cgroup or proc",
	 "auto (default): a cgroup of its own when aipm can make one, else\nthe process tree in /proc; cgroup: "
	 "refuse to run without one;\nproc: the process tree (metadata.json says which and why)"),
	CLI_VALUE(CGROUP_PARENT, 0, "cgroup-parent", "PATH", "a cgroup path",
	 "make the run's cgroup under PATH (a delegated subtree;\ndefault: aipm's own cgroup)"),
	CLI_VALUE(LEFTOVER, 0, "leftover", "WHAT", "move-out, kill or keep",
	 "processes that outlive the command: move-out (default: moved\nout of the run's cgroup, no longer "
	 "measured), kill, keep"),
	CLI_OPT_END,
};

const struct cli_opt scope_attach_table[] = {
	CLI_VALUE(CGROUP, 0, "cgroup", "PATH", "a cgroup path",
	 "measure a cgroup v2 (and its descendants) instead of pids:\n/system.slice/x.service, as /proc/PID/cgroup "
	 "shows it"),
	CLI_VALUE(SLURM_JOB, 0, "slurm-job", "ID", "a Slurm job id",
	 "a Slurm job or step on this node: 123, 123.0, 123.batch, or\nthe job's SLUID"),
	CLI_VALUE(CONTAINER, 0, "container", "ID", "a container id",
	 "a Docker, Podman, containerd or CRI-O container (id or unique\nprefix, docker://ID) or a Kubernetes pod "
	 "UID"),
	CLI_OPT_END,
};

/* The one of names[] that v is, or -1 after the message. */
static int pick(const struct cli_args *a, const char *what, const char *const *names, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(a->value, names[k]))
			return (int)k;
	cli_fail(AIPM_EXIT_USAGE, "run: %s '%s' is not %s. Give %s", a->flag, a->value, what, a->opt->what);
	return -1;
}

int scope_opts_apply(struct scope_opts *o, const struct cli_args *a, int id)
{
	static const char *const scopes[] = {"auto", "cgroup", "proc"};
	static const enum scope_want wants[] = {SCOPE_AUTO, SCOPE_CGROUP, SCOPE_PROC};
	static const char *const policies[] = {"move-out", "kill", "keep"};
	static const enum aipm_cgroup_leftover lefts[] = {AIPM_CGROUP_MOVE_OUT, AIPM_CGROUP_KILL, AIPM_CGROUP_KEEP};
	int k;
	const char **slot = NULL;
	switch (id) {
	case SCOPE:
		if ((k = pick(a, "a scope", scopes, 3)) < 0)
			return -1;
		o->want = wants[k];
		return 1;
	case CGROUP_PARENT: o->parent = a->value; return 1;
	case LEFTOVER:
		if ((k = pick(a, "a policy", policies, 3)) < 0)
			return -1;
		o->leftover = lefts[k];
		return 1;
	case CGROUP: slot = &o->cgroup; break;
	case SLURM_JOB: slot = &o->slurm_job; break;
	case CONTAINER: slot = &o->container; break;
	default: return 0;
	}
	if (scope_opts_named(o))
		return cli_fail(AIPM_EXIT_USAGE, "attach: %s: one scope at a time (--cgroup, --slurm-job or --container "
						 "was given already). Run one aipm attach per scope",
				a->flag),
		       -1;
	*slot = a->value;
	return 1;
}

bool scope_opts_named(const struct scope_opts *o) { return o->cgroup || o->slurm_job || o->container; }

static int fs_open(struct scope_state *st)
{
	if (st->fs_open)
		return 0;
	int r = aipm_cgroup_fs_open(&st->fs, getenv("AIPM_PROC_ROOT"), getenv("AIPM_CGROUP_ROOT"));
	st->fs_open = r == 0;
	if (r == 0)
		snprintf(st->hierarchy, sizeof st->hierarchy, "%s", st->fs.describe);
	return r;
}

static void proc_tree(struct scope_state *st, const char *why)
{
	snprintf(st->why, sizeof st->why, "%s", why);
	st->info = (struct aipm_recording_scope){
		.kind = "proc-tree",
		.why = st->why,
		.hierarchy = st->fs_open ? st->hierarchy : NULL,
	};
}

static void in_cgroup(struct scope_state *st, const char *path, bool created)
{
	st->info = (struct aipm_recording_scope){
		.kind = "cgroup",
		.cgroup = path,
		.why = st->why,
		.note = st->note,
		.hierarchy = st->hierarchy,
		.created = created,
	};
}

int scope_run_prepare(struct scope_state *st, const struct scope_opts *o)
{
	memset(st, 0, sizeof *st);
	st->run.dirfd = st->run.procs_fd = st->run.parent_fd = -1;
	if (o->want == SCOPE_PROC) {
		proc_tree(st, "asked for with --scope proc: the command and its descendants, found in /proc");
		return 0;
	}
	struct aipm_cgroup_run_opts ro;
	aipm_cgroup_run_opts_init(&ro);
	ro.parent = o->parent;
	int r = fs_open(st);
	if (r == 0)
		r = aipm_cgroup_run_create(&st->fs, &ro, &st->run);
	if (r < 0) {
		if (o->want == SCOPE_CGROUP)
			return cli_fail(AIPM_EXIT_FAIL, "run: --scope cgroup: %s. Nothing was run; without --scope cgroup "
							"the command is measured by its process tree",
					aipm_error_last());
		proc_tree(st, aipm_error_last());
		return 0;
	}
	st->have_run = true;
	snprintf(st->note, sizeof st->note, "%s", st->run.note);
	snprintf(st->why, sizeof st->why, "aipm run made the cgroup %s for the command: CPU time from its cpu.stat "
					  "(processes that ended included), members from its cgroup.procs",
		 st->run.path);
	in_cgroup(st, st->run.path, true);
	return 0;
}

void scope_run_enter(struct scope_state *st, pid_t pid, bool quiet)
{
	if (!st->have_run || aipm_cgroup_run_add_pid(&st->run, pid) == 0)
		return;
	char msg[sizeof st->why];
	snprintf(msg, sizeof msg, "%s", aipm_error_last());
	struct aipm_cgroup_run_end end;
	aipm_cgroup_run_remove(&st->run, AIPM_CGROUP_MOVE_OUT, &end);
	st->have_run = false;
	if (!quiet)
		cli_fail(0, "run: %s", msg);
	proc_tree(st, msg);
}

/* The cgroup's cpu.stat (and memory.peak) once sampling has stopped. */
static void last_readings(struct scope_state *st, const char *path, struct aipm_recording_scope_end *e, bool *removed)
{
	struct aipm_cgroup_scope *s;
	struct aipm_cgroup_stat cs;
	*removed = false;
	if (aipm_cgroup_scope_open(&st->fs, path, NULL, &s) < 0) {
		*removed = true;
		return;
	}
	if (aipm_cgroup_scope_read(s, AIPM_CGROUP_READ_CPU | AIPM_CGROUP_READ_MEMORY, &cs) == 0) {
		e->have_usage = true;
		e->usage_usec = cs.usage_usec;
		e->have_memory_peak = cs.have_memory_peak;
		e->memory_peak_bytes = cs.memory_peak_bytes;
	} else {
		*removed = true;
	}
	aipm_cgroup_scope_close(s);
}

static const char *policy_name(enum aipm_cgroup_leftover p)
{
	return p == AIPM_CGROUP_KILL ? "kill" : p == AIPM_CGROUP_KEEP ? "keep" : "move-out";
}

/* One line on what became of the processes that outlived the command. */
static void say_left(const struct scope_state *st, const struct aipm_cgroup_run_end *end, enum aipm_cgroup_leftover p)
{
	char pids[128] = "";
	size_t k = 0;
	for (size_t i = 0; i < end->left && i < AIPM_ARRAY_SIZE(end->first) && k < sizeof pids; i++)
		k += (size_t)snprintf(pids + k, sizeof pids - k, "%s%d", i ? ", " : "", (int)end->first[i]);
	const char *what = p == AIPM_CGROUP_KILL ? "killed (--leftover kill)"
			   : p == AIPM_CGROUP_KEEP ? "left in the run's cgroup (--leftover keep), which stays"
						   : "moved out of the run's cgroup and no longer measured (--leftover "
						     "kill ends them, --leftover keep leaves them in the cgroup)";
	cli_fail(0, "run: %zu process%s outlived the command (pid %s%s): measured until the command ended, then %s. "
		    "Cgroup: %s",
		 end->left, end->left == 1 ? "" : "es", pids, end->left > AIPM_ARRAY_SIZE(end->first) ? ", ..." : "",
		 what, st->run.path);
}

void scope_run_finish(struct scope_state *st, const struct scope_opts *o, aipm_recording *rec)
{
	if (!st->have_run)
		return;
	struct aipm_recording_scope_end e = {.policy = policy_name(o->leftover)};
	bool removed;
	last_readings(st, st->run.path, &e, &removed);
	struct aipm_cgroup_run_end end;
	char err[600] = "";
	if (aipm_cgroup_run_remove(&st->run, o->leftover, &end) < 0) {
		snprintf(err, sizeof err, "%s", aipm_error_last());
		cli_fail(0, "run: %s", err);
	}
	st->have_run = false;
	e.left = end.left;
	e.pids = end.first;
	e.npids = end.left < AIPM_ARRAY_SIZE(end.first) ? end.left : AIPM_ARRAY_SIZE(end.first);
	e.moved = end.moved;
	e.removed = end.removed;
	e.error = err[0] ? err : NULL;
	if (end.left)
		say_left(st, &end, o->leftover);
	if (rec && aipm_recording_scope_end(rec, &e) < 0)
		cli_fail_lib(0, "run: metadata.json lacks what became of the run's cgroup");
}

int scope_attach_resolve(struct scope_state *st, const struct scope_opts *o)
{
	memset(st, 0, sizeof *st);
	st->run.dirfd = st->run.procs_fd = st->run.parent_fd = -1;
	if (!scope_opts_named(o)) {
		proc_tree(st, "aipm attach -p: the given processes and their descendants, found in /proc");
		return 0;
	}
	const char *flag = o->cgroup ? "--cgroup" : o->slurm_job ? "--slurm-job" : "--container";
	const char *arg = o->cgroup ? o->cgroup : o->slurm_job ? o->slurm_job : o->container;
	int r = fs_open(st);
	if (r == 0)
		r = o->cgroup	 ? aipm_scope_resolve_cgroup(&st->fs, arg, &st->labels)
		    : o->slurm_job ? aipm_scope_resolve_slurm(&st->fs, arg, &st->labels)
				   : aipm_scope_resolve_container(&st->fs, arg, &st->labels);
	if (r < 0)
		return cli_fail(r == -ENOMEM ? AIPM_EXIT_FAIL : AIPM_EXIT_USAGE, "attach: %s %s: %s", flag, arg,
				aipm_error_last());
	snprintf(st->why, sizeof st->why, "aipm attach %s %s: CPU time from the cgroup's cpu.stat, members from "
					  "its cgroup.procs and its descendants'",
		 flag, arg);
	in_cgroup(st, st->labels.cgroup, false);
	const struct aipm_scope *l = &st->labels;
	st->info.slurm_job = l->slurm_job;
	st->info.slurm_sluid = l->slurm_sluid;
	st->info.slurm_step = l->slurm_step;
	st->info.container_id = l->container_id;
	st->info.runtime = l->runtime;
	st->info.pod_uid = l->pod_uid;
	st->info.qos = l->qos;
	return 0;
}

void scope_attach_finish(struct scope_state *st, aipm_recording *rec, bool *removed)
{
	*removed = false;
	if (!st->info.cgroup)
		return;
	struct aipm_recording_scope_end e = {0};
	last_readings(st, st->info.cgroup, &e, removed);
	if (rec && aipm_recording_scope_end(rec, &e) < 0)
		cli_fail_lib(0, "attach: metadata.json lacks the cgroup's last readings");
}

void scope_state_free(struct scope_state *st)
{
	if (st->have_run) {
		struct aipm_cgroup_run_end end;
		aipm_cgroup_run_remove(&st->run, AIPM_CGROUP_MOVE_OUT, &end);
		st->have_run = false;
	}
	if (st->fs_open)
		aipm_cgroup_fs_close(&st->fs);
	st->fs_open = false;
}
