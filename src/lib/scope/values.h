/* values.h: the cgroup scopes' part of the measurement model. Every
 * snapshot embeds one struct aipm_scope_values (snapshot.h); the cgroup
 * source fills it, attribution (attrib_scopes.c) derives it, the views read
 * it. Like the rest of a snapshot: cleared before each sample, each value
 * with its validity, lists that grow and never truncate.
 *
 * Two uses:
 *  - the experiment is a cgroup (`aipm run` in its own cgroup, `aipm attach
 *    --cgroup/--slurm-job/--container`): the snapshot's tree_* fields come
 *    from its cpu.stat, its process table from its members, and exp_pids
 *    lists every pid its cgroup.procs showed (those /proc could not read
 *    too) so GPU processes are matched against the cgroup itself;
 *  - scopes beside the machine (`aipm serve --cgroups/--slurm/--containers`):
 *    one entry per cgroup, each with its own attributed CPU, DRAM and GPU
 *    energy. No two entries nest (the source drops a scope inside another
 *    one), so summing them never counts a process twice.
 */
#ifndef AIPM_SCOPE_VALUES_H
#define AIPM_SCOPE_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scope/names.h"

/* One scope beside the machine. */
struct aipm_scope_value {
	uint64_t key;             /* the cgroup directory's inode: a cgroup made again is a new scope */
	struct aipm_scope labels; /* names.h: cgroup, slurm_job, container_id, pod_uid, ... */
	bool cpu_valid;           /* read (attribution holds an unread one from the previous sample) */
	uint64_t cpu_ns;          /* cpu.stat usage_usec x 1000: every task ever in it */
	/* Non-reclaimable memory (memory.stat anon + shmem + kernel), the
	 * cgroup's counterpart of PSS against MemTotal - MemAvailable; absent
	 * where the memory controller is not enabled for the subtree. */
	bool mem_valid;
	uint64_t mem_bytes;
	bool pids_valid;          /* its members were read (they are in scope_pids) */

	/* Derived by attribution, since the scope was first seen. */
	bool seen;                /* it was in the previous snapshot: deltas are known */
	double cpu_share;         /* of the machine's busy CPU time in the interval */
	uint64_t cpu_carry_ns;    /* CPU time not yet charged (tick rounding), as attrib.c's tree carry */
	double mem_share;         /* of the machine's used memory */
	double cpu_s;             /* CPU time */
	double cpu_j, dram_j, gpu_j; /* attributed energy, cumulative; never above the domain's */
	bool cpu_j_valid, dram_j_valid, gpu_j_valid; /* a domain to attribute from exists, and a share was known */
};

/* A member of a scope beside the machine, for GPU attribution. */
struct aipm_scope_pid {
	pid_t pid;
	uint32_t scope; /* index into v */
};

/* Why scopes that matched are not measured. */
enum aipm_scope_omit {
	AIPM_SCOPE_OMIT_BOUND,      /* past the bound (--max-scopes) */
	AIPM_SCOPE_OMIT_NESTED,     /* inside another listed scope, which counts its processes */
	AIPM_SCOPE_OMIT_UNREADABLE, /* its directory or cpu.stat could not be opened */
	AIPM_SCOPE_OMIT_COUNT,
};
const char *aipm_scope_omit_name(enum aipm_scope_omit k); /* "bound", "nested", "unreadable" */

struct aipm_scope_values {
	/* The experiment as a cgroup. */
	bool exp_cgroup;
	bool exp_pids_valid;
	pid_t *exp_pids; /* sorted */
	size_t nexp_pids, exp_pids_cap;
	bool exp_mem_valid;       /* memory.current (slow tier) */
	uint64_t exp_mem_bytes;

	/* Scopes beside the machine. */
	bool enabled;             /* sets were asked for: the views say so even when none matched */
	struct aipm_scope_value *v; /* sorted by key */
	size_t n, cap;
	size_t omitted[AIPM_SCOPE_OMIT_COUNT];
	struct aipm_scope_pid *pids; /* sorted by pid */
	size_t npids, pids_cap;
};

/* Forget every value (arrays kept). */
void aipm_scope_values_clear(struct aipm_scope_values *v);
/* Deep copy; dst keeps its own arrays. -ENOMEM. */
int aipm_scope_values_copy(struct aipm_scope_values *dst, const struct aipm_scope_values *src);
void aipm_scope_values_free(struct aipm_scope_values *v);

/* Is pid one of the experiment cgroup's members? */
bool aipm_scope_values_exp_has(const struct aipm_scope_values *v, pid_t pid);
/* The scope index holding pid, or -1. */
long aipm_scope_values_scope_of(const struct aipm_scope_values *v, pid_t pid);

#endif
