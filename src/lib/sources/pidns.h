/* pidns.h: PID namespaces, for sources that are told host pids.
 *
 * NVML reports the host's pids ("the nvidia driver itself does not support
 * pid-namespaces"). Inside a PID namespace whose /proc still shows the host
 * processes, the NSpid lines of /proc/PID/status give each host pid its
 * number in aipm's namespace; this map keeps that correspondence.
 */
#ifndef AIPM_PIDNS_H
#define AIPM_PIDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct aipm_pidmap_entry {
	pid_t host, local; /* local 0: not in aipm's namespace */
};

struct aipm_pidmap {
	char proc_root[256]; /* the procfs to read ("/proc") */
	bool in_pidns;   /* aipm runs in a PID namespace other than the initial one */
	int ns_level;    /* entries in aipm's own NSpid line; > 1: host pids need mapping */
	struct aipm_pidmap_entry *map;
	size_t n, cap;
	double read_s;   /* when /proc was last scanned */
};

/* True when aipm runs inside a PID namespace (a container). */
bool aipm_in_pid_namespace(const char *proc_root);
void aipm_pidmap_init(struct aipm_pidmap *m, const char *proc_root);
/* Host pid -> pid in aipm's namespace; 0 when it is not visible there.
 * An unknown pid rescans /proc, at most once a second (other containers'
 * pids never map). */
pid_t aipm_pidmap_local(struct aipm_pidmap *m, pid_t host, double now_s);
void aipm_pidmap_free(struct aipm_pidmap *m);

#endif
