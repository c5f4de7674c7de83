/* pidns.c: see pidns.h. */
#include "pidns.h"

#include <dirent.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define PIDMAP_REFRESH_S 1.0
#define PROC_INIT_INO 0xEFFFFFFCu /* inode of the initial PID namespace */

/* Count (and optionally return) the pids of an NSpid line in a status file. */
static int read_nspid(const char *path, pid_t *ids, int max)
{
	char buf[4096];
	long len = aipm_read_file_at(AT_FDCWD, path, buf, sizeof buf);
	if (len <= 0)
		return 0;
	const char *p = strstr(buf, "\nNSpid:");
	if (!p)
		return 0;
	p += 7;
	int k = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		uint64_t v;
		if (!aipm_parse_u64(&p, &v))
			break;
		if (k < max)
			ids[k] = (pid_t)v;
		k++;
	}
	return k;
}

bool aipm_in_pid_namespace(const char *proc_root)
{
	char path[512];
	struct stat st;
	pid_t ids[8];
	snprintf(path, sizeof path, "%s/self/status", proc_root);
	if (read_nspid(path, ids, 8) > 1)
		return true;
	snprintf(path, sizeof path, "%s/self/ns/pid", proc_root);
	return stat(path, &st) == 0 && st.st_ino != PROC_INIT_INO;
}

static int cmp_map(const void *a, const void *b)
{
	const struct aipm_pidmap_entry *x = a, *y = b;
	return (x->host > y->host) - (x->host < y->host);
}

/* Rebuild host -> local from every /proc/PID/status this procfs shows. The
 * pid in aipm's namespace is the NSpid entry at aipm's own depth; a process
 * with fewer entries lives outside that namespace (another container). */
static void refresh(struct aipm_pidmap *n, double now_s)
{
	n->read_s = now_s;
	n->n = 0;
	DIR *d = opendir(n->proc_root);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[PATH_MAX];
		pid_t ids[16];
		/* a name too long for a path is no pid: skip it, never read a cut path */
		if (aipm_path_fmt(path, sizeof path, "%s/%s/status", n->proc_root, e->d_name) < 0)
			continue;
		int k = read_nspid(path, ids, 16);
		if (k < 1 || k > 16)
			continue;
		if (n->n == n->cap) {
			size_t cap = n->cap ? n->cap * 2 : 256;
			struct aipm_pidmap_entry *m = realloc(n->map, cap * sizeof *m);
			if (!m)
				break;
			n->map = m;
			n->cap = cap;
		}
		n->map[n->n].host = ids[0];
		n->map[n->n].local = k >= n->ns_level ? ids[n->ns_level - 1] : 0;
		n->n++;
	}
	closedir(d);
	if (n->n)
		qsort(n->map, n->n, sizeof *n->map, cmp_map);
}

pid_t aipm_pidmap_local(struct aipm_pidmap *n, pid_t host, double now_s)
{
	if (n->ns_level <= 1)
		return host;
	struct aipm_pidmap_entry key = {.host = host}, *hit;
	/* bsearch and qsort take no NULL array, even for zero elements. */
	hit = n->n ? bsearch(&key, n->map, n->n, sizeof *n->map, cmp_map) : NULL;
	/* An unknown pid is a process born since the last scan: rescan, but
	 * at most once a second, since other containers' pids never map. */
	if (!hit && now_s - n->read_s >= PIDMAP_REFRESH_S) {
		refresh(n, now_s);
		hit = n->n ? bsearch(&key, n->map, n->n, sizeof *n->map, cmp_map) : NULL;
	}
	return hit ? hit->local : 0;
}

void aipm_pidmap_init(struct aipm_pidmap *m, const char *proc_root)
{
	char path[512];
	pid_t ids[16];
	memset(m, 0, sizeof *m);
	snprintf(m->proc_root, sizeof m->proc_root, "%s", proc_root);
	m->read_s = -1e18; /* the first unknown pid scans /proc */
	m->in_pidns = aipm_in_pid_namespace(proc_root);
	snprintf(path, sizeof path, "%s/self/status", proc_root);
	m->ns_level = read_nspid(path, ids, 16);
}

void aipm_pidmap_free(struct aipm_pidmap *m)
{
	free(m->map);
	memset(m, 0, sizeof *m);
}
