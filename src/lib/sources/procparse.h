/* procparse.h: parsers of the /proc files the process source reads, by
 * hand and without allocation (they run for every process at every
 * sample). Pure functions of a NUL-terminated buffer, so they are tested on
 * odd inputs without any process.
 */
#ifndef AIPM_PROCPARSE_H
#define AIPM_PROCPARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct aipm_pid_stat {
	char comm[32];
	char state;                            /* 'R', 'S', ... 'Z' for a zombie */
	pid_t ppid;
	uint64_t utime, stime, cutime, cstime; /* USER_HZ ticks */
	uint64_t start;                        /* start time, ticks after boot */
};

/* /proc/PID/stat, read from the last ')': a comm may hold spaces, '(' and
 * ')' ("a) b(" is a valid name). false on a malformed or short line. */
bool aipm_parse_pid_stat(const char *buf, struct aipm_pid_stat *out);
/* A process that has ended but is not reaped yet (zombie, or dead): its
 * times are final and it will never run again. */
bool aipm_pid_stat_ended(const struct aipm_pid_stat *f);

struct aipm_smaps {
	uint64_t pss_bytes, uss_bytes, rss_bytes; /* USS = Private_Clean + Private_Dirty */
};
/* /proc/PID/smaps_rollup. false when it has no Pss line (no address space). */
bool aipm_parse_smaps_rollup(const char *buf, struct aipm_smaps *out);

/* The "cpu " line of /proc/stat: busy = user+nice+system+irq+softirq+steal
 * (guest is already in user), total = busy+idle+iowait. */
bool aipm_parse_proc_stat(const char *buf, uint64_t *busy_ticks, uint64_t *total_ticks);
/* The same line's fields in kernel order (user nice system idle iowait irq
 * softirq steal guest guest_nice), those absent 0; false without the first
 * four. For the CPU estimate, which needs steal on its own. */
bool aipm_parse_proc_stat_fields(const char *buf, uint64_t v[10]);

/* MemTotal and MemAvailable of /proc/meminfo, in bytes; each left
 * untouched when absent. */
void aipm_parse_meminfo(const char *buf, uint64_t *total_bytes, uint64_t *available_bytes);

#endif
