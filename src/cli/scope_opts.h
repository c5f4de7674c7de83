/* scope_opts.h: which processes a recording measures, for `aipm run`,
 * `aipm attach` (`aipm probe` asks the library, api_probe.c): a cgroup (the run's own, or one named by
 * --cgroup, --slurm-job, --container) or the process tree in /proc, and
 * why. The flags, the run cgroup's life (made before the command is forked,
 * removed after its last sample) and what goes into metadata.json's
 * "scope". The CLI reads AIPM_CGROUP_ROOT and AIPM_PROC_ROOT here; the
 * library never does. */
#ifndef AIPM_CLI_SCOPE_OPTS_H
#define AIPM_CLI_SCOPE_OPTS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "aipm.h"
#include "args.h"
#include "scope/cgroup.h"
#include "scope/names.h"

enum scope_want { SCOPE_AUTO, SCOPE_CGROUP, SCOPE_PROC };

struct scope_opts {
	/* run */
	enum scope_want want;         /* --scope auto|cgroup|proc */
	const char *parent;           /* --cgroup-parent PATH (a delegated subtree) */
	enum aipm_cgroup_leftover leftover; /* --leftover move-out|kill|keep */
	/* attach: at most one */
	const char *cgroup, *slurm_job, *container;
};

void scope_opts_init(struct scope_opts *o);
/* The scope options of `aipm run` and of `aipm attach`, with their --help. */
extern const struct cli_opt scope_run_table[];
extern const struct cli_opt scope_attach_table[];
/* Option id of those tables, just returned by cli_args_next: 1 taken; 0
 * not one of them; -1 after a usage error. */
int scope_opts_apply(struct scope_opts *o, const struct cli_args *a, int id);
/* attach: a cgroup was named (instead of -p). */
bool scope_opts_named(const struct scope_opts *o);

/* One recording's scope, alive from before the recording opens (it copies
 * info) to after it stops. */
struct scope_state {
	struct aipm_cgroup_fs fs;
	bool fs_open;
	struct aipm_cgroup_run run;
	bool have_run;                /* aipm made a cgroup for this run */
	struct aipm_scope labels;
	char why[1200], note[600], hierarchy[512];
	struct aipm_recording_scope info;
};

/* run, before fork: make the run's cgroup (--scope auto|cgroup) or say why
 * not; info is then "cgroup" or "proc-tree" with the reason. 0, or an exit
 * status after the message (--scope cgroup that cannot be had). */
int scope_run_prepare(struct scope_state *st, const struct scope_opts *o);
/* run, after fork and before the command execs: move it in. A failure
 * falls back to the process tree, saying why (unless quiet). */
void scope_run_enter(struct scope_state *st, pid_t pid, bool quiet);
/* run, after the recording stopped: the cgroup's last readings, the
 * processes that outlived the command (said on stderr), removal by the
 * --leftover policy, all into metadata.json. */
void scope_run_finish(struct scope_state *st, const struct scope_opts *o, aipm_recording *rec);
/* attach: resolve --cgroup, --slurm-job or --container into info; 0 or an
 * exit status after the message naming the value. Without them, info says
 * the process tree of the pids. */
int scope_attach_resolve(struct scope_state *st, const struct scope_opts *o);
/* attach, after stop: the cgroup's last readings; *removed: it is gone. */
void scope_attach_finish(struct scope_state *st, aipm_recording *rec, bool *removed);
/* Remove a run cgroup still held (error paths), close everything. */
void scope_state_free(struct scope_state *st);

#endif
