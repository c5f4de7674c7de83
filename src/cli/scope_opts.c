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

void scope_opts_usage(FILE *f, bool run)
{
	if (run)
		fprintf(f, "      --scope WHICH      auto (default): a cgroup of its own when aipm can make one, else\n"
			   "                         the process tree in /proc; cgroup: refuse to run without one;\n"
			   "                         proc: the process tree (metadata.json says which and why)\n"
			   "      --cgroup-parent PATH  make the run's cgroup under PATH (a delegated subtree;\n"
			   "                         default: aipm's own cgroup)\n"
			   "      --leftover WHAT    processes that outlive the command: move-out (default: moved\n"
			   "                         out of the run's cgroup, no longer measured), kill, keep\n");
	else
		fprintf(f, "      --cgroup PATH      measure a cgroup v2 (and its descendants) instead of pids:\n"
			   "                         /system.slice/x.service, as /proc/PID/cgroup shows it\n"
			   "      --slurm-job ID     a Slurm job or step on this node: 123, 123.0, 123.batch, or\n"
			   "                         the job's SLUID\n"
			   "      --container ID     a Docker, Podman, containerd or CRI-O container (id or unique\n"
			   "                         prefix, docker://ID) or a Kubernetes pod UID\n");
}

static const char *value(int argc, char **argv, int *i, const char *cmd)
{
	if (*i + 1 >= argc || !argv[*i + 1][0]) {
		cli_fail(AIPM_EXIT_USAGE, "%s: %s needs a value. See `aipm %s --help`", cmd, argv[*i], cmd);
		return NULL;
	}
	return argv[++*i];
}

static int parse_run(struct scope_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;
	if (!strcmp(a, "--scope")) {
		if (!(v = value(argc, argv, i, "run")))
			return -1;
		if (!strcmp(v, "auto"))
			o->want = SCOPE_AUTO;
		else if (!strcmp(v, "cgroup"))
			o->want = SCOPE_CGROUP;
		else if (!strcmp(v, "proc"))
			o->want = SCOPE_PROC;
		else
			return cli_fail(AIPM_EXIT_USAGE, "run: --scope '%s' is not a scope. Give auto, cgroup or proc", v),
			       -1;
	} else if (!strcmp(a, "--cgroup-parent")) {
		if (!(o->parent = value(argc, argv, i, "run")))
			return -1;
	} else if (!strcmp(a, "--leftover")) {
		if (!(v = value(argc, argv, i, "run")))
			return -1;
		if (!strcmp(v, "move-out"))
			o->leftover = AIPM_CGROUP_MOVE_OUT;
		else if (!strcmp(v, "kill"))
			o->leftover = AIPM_CGROUP_KILL;
		else if (!strcmp(v, "keep"))
			o->leftover = AIPM_CGROUP_KEEP;
		else
			return cli_fail(AIPM_EXIT_USAGE, "run: --leftover '%s' is not a policy. Give move-out, kill or keep",
					v),
			       -1;
	} else {
		return 0;
	}
	return 1;
}

int scope_opts_parse(struct scope_opts *o, bool run, int argc, char **argv, int *i)
{
	if (run)
		return parse_run(o, argc, argv, i);
	const char *a = argv[*i];
	const char **slot = !strcmp(a, "--cgroup") ? &o->cgroup
			    : !strcmp(a, "--slurm-job") ? &o->slurm_job
			    : !strcmp(a, "--container") ? &o->container
							  : NULL;
	if (!slot)
		return 0;
	if (scope_opts_named(o))
		return cli_fail(AIPM_EXIT_USAGE, "attach: %s: one scope at a time (--cgroup, --slurm-job or --container "
						 "was given already). Run one aipm attach per scope",
				a),
		       -1;
	return (*slot = value(argc, argv, i, "attach")) ? 1 : -1;
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
	st->info = (struct aipm_scope_info){
		.kind = "proc-tree",
		.why = st->why,
		.hierarchy = st->fs_open ? st->hierarchy : NULL,
	};
}

static void in_cgroup(struct scope_state *st, const char *path, bool created)
{
	st->info = (struct aipm_scope_info){
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
static void last_readings(struct scope_state *st, const char *path, struct aipm_scope_end *e, bool *removed)
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

void scope_run_finish(struct scope_state *st, const struct scope_opts *o, struct aipm_recorder *rec)
{
	if (!st->have_run)
		return;
	struct aipm_scope_end e = {.policy = policy_name(o->leftover)};
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
	if (rec && aipm_recorder_scope_end(rec, &e) < 0)
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
	st->info.labels = &st->labels;
	return 0;
}

void scope_attach_finish(struct scope_state *st, struct aipm_recorder *rec, bool *removed)
{
	*removed = false;
	if (!st->info.cgroup)
		return;
	struct aipm_scope_end e = {0};
	last_readings(st, st->info.cgroup, &e, removed);
	if (rec && aipm_recorder_scope_end(rec, &e) < 0)
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
