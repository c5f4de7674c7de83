/* parse.h: parsers of the cgroup v2 and /proc files the scope module reads,
 * by hand and without allocation (cpu.stat and cgroup.procs are re-read at
 * every sample). Pure functions of a NUL-terminated buffer, so they are
 * tested on odd inputs without a cgroup tree.
 */
#ifndef AIPM_SCOPE_PARSE_H
#define AIPM_SCOPE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One line of /proc/PID/mountinfo, the fields a cgroup2 lookup needs. The
 * root (the hierarchy path the mount shows, "/" unless a subtree was bind
 * mounted) and the mount point are unescaped (\040 is a space). */
struct aipm_mountinfo {
	char root[1024];
	char mount_point[1024];
	char fstype[32];
};
/* false on a line without the " - " separator or with a field too long. */
bool aipm_parse_mountinfo_line(const char *line, size_t len, struct aipm_mountinfo *out);

/* The cgroup v2 path ("0::/a/b") of /proc/PID/cgroup, copied into path.
 * false when there is no "0::" line (a cgroup v1-only machine) or it does
 * not fit. */
bool aipm_parse_pid_cgroup(const char *buf, char *path, size_t n);

/* The value of "key N" in a flat-keyed file (cpu.stat, memory.stat,
 * cgroup.stat, cgroup.events). The key must match a whole first word. */
bool aipm_parse_keyed(const char *buf, const char *key, uint64_t *out);

/* Pids of a cgroup.procs chunk, one decimal a line. A number cut at the end
 * of the chunk is returned through *carry so that the next chunk completes
 * it (cgroup.procs of a large scope is read in several preads). Returns how
 * many pids were stored in out (at most cap); *seen counts every pid,
 * stored or not. */
size_t aipm_parse_pids(const char *buf, size_t len, uint64_t *carry, bool *in_number, pid_t *out,
		       size_t cap, size_t *seen);

/* Sort pids and drop repeats (cgroup.procs may list a pid twice when it
 * moved during the read); returns the new count. */
size_t aipm_pids_sort_unique(pid_t *pids, size_t n);

/* The job id in a slurmstepd process title as /proc/PID/cmdline shows it,
 * "slurmstepd: [123.batch]" (also "[123.0]", "[123.extern]",
 * "[123.interactive]", "[123+0.0]" for a het job, "[123.0 stepmgr]"). */
bool aipm_parse_slurmstepd_title(const char *cmdline, size_t len, uint64_t *job_id);

/* SLURM_JOB_ID=N in a NUL-separated /proc/PID/environ. */
bool aipm_parse_environ_job_id(const char *env, size_t len, uint64_t *job_id);

#endif
