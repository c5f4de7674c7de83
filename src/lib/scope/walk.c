/* walk.c: finding scopes in the hierarchy: globs, containers and pods, and
 * the resolution of --cgroup and --container names.
 *
 * Walks list directories in sorted order, so the same scopes are kept
 * every time a bound cuts the list. Containers and pods can sit anywhere
 * (system.slice, machine.slice, a user's session, kubepods.slice), so they
 * are found by a depth-bounded walk of the whole tree that classifies each
 * directory by its name (labels.c), does not descend into a container (its
 * inner cgroups are its own) nor into Slurm's scope. This runs when a scope
 * is named or a serve rescans, never at each sample.
 */
#include "scope/names.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "scope/internal.h"

/* Deep enough for kubepods.slice/<qos>/<pod>/<ctr> under a nested
 * system.slice; deeper directories are not looked at. */
#define WALK_DEPTH 12

void aipm_scope_query_init(struct aipm_scope_query *q, enum aipm_scope_set set)
{
	memset(q, 0, sizeof *q);
	q->version = AIPM_SCOPE_QUERY_VERSION;
	q->set = set;
}

void aipm_scope_list_free(struct aipm_scope_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

int scope_list_add(struct aipm_scope_list *l, size_t max, const struct aipm_scope *s)
{
	if (l->n >= max) {
		l->left_out++;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct aipm_scope *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return aipm_err(-ENOMEM, "listing cgroup scopes: out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return 0;
}

/* Containers and pods (both, for resolution), or one of the two. */
struct kinds {
	struct aipm_scope_list *ctrs, *pods;
	size_t max;
};

static int walk_kinds(struct kinds *k, int dirfd, const char *path, int depth)
{
	struct scope_names sub = {0};
	int r = scope_subdirs(dirfd, &sub);
	if (r < 0) {
		(k->ctrs ? k->ctrs : k->pods)->unreadable++;
		scope_names_free(&sub);
		return r == -ENOMEM ? r : 0;
	}
	for (size_t i = 0; i < sub.n && r >= 0; i++) {
		char child[AIPM_CGROUP_PATH_MAX];
		struct aipm_scope s;
		if (!scope_join(child, sizeof child, path, sub.v[i]))
			continue;
		aipm_scope_classify(child, &s);
		if (s.kind == AIPM_SCOPE_CONTAINER) {
			if (k->ctrs)
				r = scope_list_add(k->ctrs, k->max, &s);
			continue; /* its inner cgroups are its own */
		}
		if (s.kind == AIPM_SCOPE_POD && k->pods)
			r = scope_list_add(k->pods, k->max, &s);
		if (s.kind == AIPM_SCOPE_POD && !k->ctrs)
			continue;
		size_t nl = strlen(sub.v[i]);
		if (nl >= 16 && !strcmp(sub.v[i] + nl - 16, "slurmstepd.scope"))
			continue; /* jobs, not containers */
		if (depth + 1 >= WALK_DEPTH || r < 0)
			continue;
		int fd = openat(dirfd, sub.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			(k->ctrs ? k->ctrs : k->pods)->unreadable++;
			continue;
		}
		r = walk_kinds(k, fd, child, depth + 1);
		close(fd);
	}
	scope_names_free(&sub);
	return r;
}

static bool has_magic(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
			return true;
	return false;
}

/* One glob component at a time: a literal one is opened directly, a
 * pattern is matched against the sorted subdirectories. */
static int walk_glob(int dirfd, const char *path, const char *pat, size_t max, struct aipm_scope_list *out)
{
	while (*pat == '/')
		pat++;
	if (!*pat) {
		struct aipm_scope s;
		aipm_scope_classify(path, &s);
		return scope_list_add(out, max, &s);
	}
	const char *e = strchr(pat, '/');
	size_t n = e ? (size_t)(e - pat) : strlen(pat);
	char comp[256];
	if (n >= sizeof comp)
		return 0;
	snprintf(comp, sizeof comp, "%.*s", (int)n, pat);
	struct scope_names sub = {0};
	if (!has_magic(comp, n)) {
		if (!(sub.v = malloc(sizeof *sub.v)) || !(sub.v[0] = strdup(comp))) {
			free(sub.v);
			return aipm_err(-ENOMEM, "listing cgroup scopes: out of memory");
		}
		sub.n = sub.cap = 1;
	} else if (scope_subdirs(dirfd, &sub) < 0) {
		out->unreadable++;
	}
	int r = 0;
	for (size_t i = 0; i < sub.n && r >= 0; i++) {
		char child[AIPM_CGROUP_PATH_MAX];
		if (fnmatch(comp, sub.v[i], FNM_PERIOD) || !scope_join(child, sizeof child, path, sub.v[i]))
			continue;
		int fd = openat(dirfd, sub.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue; /* a literal component that is not there, or a file */
		r = walk_glob(fd, child, pat + n, max, out);
		close(fd);
	}
	scope_names_free(&sub);
	return r;
}

/* A --cgroup or glob argument as a hierarchy path: under the mount point,
 * absolute, or relative to aipm's own cgroup. */
static int hierarchy_path(const struct aipm_cgroup_fs *fs, const char *arg, char *out, size_t n)
{
	size_t ml = strlen(fs->mount_point);
	char joined[2 * AIPM_CGROUP_PATH_MAX];
	if (!strncmp(arg, fs->mount_point, ml) && (arg[ml] == '/' || !arg[ml]))
		snprintf(joined, sizeof joined, "%s/%s", fs->mount_root, arg + ml);
	else if (arg[0] == '/')
		snprintf(joined, sizeof joined, "%s", arg);
	else if (fs->self[0])
		snprintf(joined, sizeof joined, "%s/%s", fs->self, arg);
	else
		return aipm_err(-EINVAL, "cgroup path '%s' is relative but aipm's own cgroup is unknown. "
					 "Give the path from the hierarchy's root (as /proc/PID/cgroup shows it)",
				arg);
	return aipm_cgroup_path_clean(joined, out, n);
}

static int enumerate_glob(const struct aipm_cgroup_fs *fs, const char *glob, size_t max, struct aipm_scope_list *out)
{
	char path[AIPM_CGROUP_PATH_MAX];
	if (!glob || !*glob)
		return aipm_err(-EINVAL, "cgroup glob is empty. Give one such as '/system.slice/*.service'");
	if (strstr(glob, "**"))
		return aipm_err(-EINVAL, "cgroup glob '%s': '**' (any depth) is not supported. Give one pattern per "
					 "level, e.g. '/system.slice/*/*'",
				glob);
	int r = hierarchy_path(fs, glob, path, sizeof path);
	if (r < 0)
		return r;
	/* matched from the mount's root: strip it from the pattern */
	size_t ml = strcmp(fs->mount_root, "/") ? strlen(fs->mount_root) : 0;
	if (ml && (strncmp(path, fs->mount_root, ml) || (path[ml] && path[ml] != '/')))
		return aipm_err(-EXDEV, "cgroup glob '%s' lies outside the part of the hierarchy mounted at %s (%s)", glob,
				fs->mount_point, fs->mount_root);
	int fd = aipm_cgroup_open_dir(fs, fs->mount_root);
	if (fd < 0)
		return fd;
	r = walk_glob(fd, fs->mount_root, path + ml, max, out);
	close(fd);
	return r;
}

static int enumerate_kinds(const struct aipm_cgroup_fs *fs, struct kinds *k)
{
	int fd = aipm_cgroup_open_dir(fs, fs->mount_root);
	if (fd < 0)
		return fd;
	int r = walk_kinds(k, fd, fs->mount_root, 0);
	close(fd);
	return r;
}

int aipm_scope_enumerate(const struct aipm_cgroup_fs *fs, const struct aipm_scope_query *q,
			 struct aipm_scope_list *out)
{
	memset(out, 0, sizeof *out);
	if (q->version != AIPM_SCOPE_QUERY_VERSION)
		return aipm_err(-EINVAL, "scope query of version %u, expected %u", q->version, AIPM_SCOPE_QUERY_VERSION);
	size_t max = q->max ? q->max : 1000;
	struct kinds k = {.max = max};
	int r;
	switch (q->set) {
	case AIPM_SCOPES_GLOB:
		r = enumerate_glob(fs, q->glob, max, out);
		break;
	case AIPM_SCOPES_SLURM_JOBS:
	case AIPM_SCOPES_SLURM_STEPS:
		r = scope_slurm_enumerate(fs, q->set == AIPM_SCOPES_SLURM_STEPS, max, out);
		break;
	case AIPM_SCOPES_CONTAINERS:
		k.ctrs = out;
		r = enumerate_kinds(fs, &k);
		break;
	case AIPM_SCOPES_PODS:
		k.pods = out;
		r = enumerate_kinds(fs, &k);
		break;
	default:
		return aipm_err(-EINVAL, "unknown scope set %d", (int)q->set);
	}
	if (r < 0)
		aipm_scope_list_free(out);
	return r;
}

int aipm_scope_resolve_cgroup(const struct aipm_cgroup_fs *fs, const char *arg, struct aipm_scope *out)
{
	char path[AIPM_CGROUP_PATH_MAX];
	int r = hierarchy_path(fs, arg, path, sizeof path);
	if (r < 0)
		return r;
	int fd = aipm_cgroup_open_dir(fs, path);
	if (fd == -ENOENT)
		return aipm_err(fd, "cgroup '%s': no cgroup %s under %s. See the cgroups there with `ls %s` or "
				    "`systemd-cgls`, or a process's with `cat /proc/PID/cgroup`",
				arg, path, fs->mount_point, fs->mount_point);
	if (fd < 0)
		return aipm_err_wrap(fd, "cgroup '%s'", arg);
	close(fd);
	aipm_scope_classify(path, out);
	return 0;
}

/* "docker://ID" (as Kubernetes shows containerID), case folded. */
static int container_arg(const char *arg, char *id, size_t n)
{
	const char *s = strstr(arg, "://");
	s = s ? s + 3 : arg;
	size_t k = strlen(s);
	if (!k || k >= n)
		return aipm_err(-EINVAL, "container '%s': an id has 1 to 64 hex digits, a pod UID 36 characters. "
					 "Check it with `docker ps --no-trunc`, `crictl ps` or `kubectl get pod -o "
					 "jsonpath='{.metadata.uid}'`",
				arg);
	for (size_t i = 0; i <= k; i++) {
		char c = s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] - 'A' + 'a') : s[i];
		if (c && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-' || c == '_'))
			return aipm_err(-EINVAL, "container '%s': '%c' is not a hex digit. Give a container id or a pod UID",
					arg, s[i]);
		id[i] = c == '_' ? '-' : c;
	}
	return 0;
}

/* ", ab12..., ab9f..." for the first ids that begin with id. */
static size_t first_ids(char *buf, size_t n, size_t k, const struct aipm_scope_list *l, bool pods, const char *id)
{
	for (size_t i = 0, shown = 0; i < l->n && shown < 3 && k < n; i++) {
		const char *v = pods ? l->v[i].pod_uid : l->v[i].container_id;
		if (!strncmp(v, id, strlen(id)))
			k += (size_t)snprintf(buf + k, n - k, "%s%.12s...", k ? ", " : "", v), shown++;
	}
	return k;
}

int aipm_scope_resolve_container(const struct aipm_cgroup_fs *fs, const char *arg, struct aipm_scope *out)
{
	char id[72];
	int r = container_arg(arg, id, sizeof id);
	if (r < 0)
		return r;
	struct aipm_scope_list ctrs = {0}, pods = {0};
	struct kinds k = {.ctrs = &ctrs, .pods = &pods, .max = (size_t)-1};
	r = enumerate_kinds(fs, &k);
	size_t idl = strlen(id), nc = 0, np = 0;
	const struct aipm_scope *hit = NULL;
	for (size_t i = 0; r >= 0 && !strchr(id, '-') && i < ctrs.n; i++)
		if (!strncmp(ctrs.v[i].container_id, id, idl) && ++nc)
			hit = &ctrs.v[i];
	for (size_t i = 0; r >= 0 && i < pods.n; i++)
		if (!strncmp(pods.v[i].pod_uid, id, idl) && ++np)
			hit = &pods.v[i];
	if (r >= 0 && nc + np == 1) {
		*out = *hit;
	} else if (r >= 0 && nc + np > 1) {
		char some[256];
		size_t k = first_ids(some, sizeof some, 0, &ctrs, false, strchr(id, '-') ? "-" : id);
		first_ids(some, sizeof some, k, &pods, true, id);
		r = aipm_err(-EEXIST, "container '%s' is ambiguous: %zu container ids and %zu pod UIDs begin with it (%s). "
				      "Give more characters",
			     arg, nc, np, some);
	} else if (r >= 0) {
		r = aipm_err(-ENOENT, "container '%s': no such container or pod on this node (looked for Docker, Podman, "
				      "containerd, CRI-O and Kubernetes cgroups under %s: %zu containers, %zu pods). "
				      "Check the id with `docker ps --no-trunc` or `crictl ps`",
			     arg, fs->mount_point, ctrs.n, pods.n);
	}
	aipm_scope_list_free(&ctrs);
	aipm_scope_list_free(&pods);
	return r;
}
