/* labels.c: what a cgroup path is, from its components alone.
 *
 * The layouts (REFERENCE.md 6.2 and 6.3, as Kepler and Alumet match them,
 * plus Slurm 26.05's SLUID directories):
 *   Slurm   .../[<node>_]slurmstepd.scope/{job_<id>|<SLUID>}/step_{N,batch,extern,interactive}/...
 *   Docker  .../docker-<64hex>.scope (systemd driver), /docker/<64hex> (cgroupfs)
 *   Podman  libpod-<64hex>[.scope], libpod-payload-<64hex> (not libpod-conmon-)
 *   containerd  cri-containerd-<64hex>.scope;  CRI-O  crio-<64hex>.scope (not crio-conmon-)
 *   Kubernetes  kubepods.slice/kubepods-{besteffort,burstable}.slice/kubepods-<qos>-pod<UID>.slice/<ctr>
 *               kubepods.slice/kubepods-pod<UID>.slice/<ctr> (Guaranteed: no QoS level; '_' for '-')
 *               /kubepods/[<qos>/]pod<UID>/<64hex> (cgroupfs driver)
 * A pod is only recognised below a component holding "kubepods", so a
 * user's "mypod.slice" is not one. Pure string work: no file is read.
 */
#include "scope/names.h"
#include "scope/internal.h"

#include <stdio.h>
#include <string.h>

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "s" + 13 characters of Slurm's Crockford base32 (sluid2str). */
bool scope_is_sluid(const char *s, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	if (n != 14 || s[0] != 's')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!memchr(alphabet, s[i], sizeof alphabet - 1))
			return false;
	return true;
}

/* needle in s[0..n) (memmem, without its null-argument warnings when
 * inlined with a possibly empty parent). */
static const char *find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(s + i, needle, k))
			return s + i;
	return NULL;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && !memcmp(s, prefix, k);
}

/* A pod UID, 8-4-4-4-12 hex digits with '-' (cgroupfs) or '_' (systemd). */
static bool pod_uid(const char *s, size_t n, char *out, size_t outn)
{
	if (n != 36 || outn <= 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];
		if (sep ? (c != '-' && c != '_') : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = sep ? '-' : c;
	}
	out[n] = '\0';
	return true;
}

static const struct {
	const char *prefix, *runtime;
} runtimes[] = {
	{"libpod-payload-", "podman"}, {"libpod-", "podman"}, {"docker-", "docker"},
	{"cri-containerd-", "containerd"}, {"crio-", "crio"},
};

/* A container's own directory: <runtime>-<64hex>[.scope], or a bare
 * <64hex> whose parent says whose it is (docker/, or a cgroupfs pod). */
static bool container(const char *c, size_t n, const char *parent, size_t pn, bool in_pod, struct aipm_scope *out)
{
	if (ends_with(c, n, ".scope"))
		n -= 6;
	if (is_hex64(c, n)) {
		bool docker = pn == 6 && !memcmp(parent, "docker", 6);
		if (!docker && !in_pod)
			return false;
		snprintf(out->runtime, sizeof out->runtime, "%s", docker ? "docker" : "");
		snprintf(out->container_id, sizeof out->container_id, "%.*s", (int)n, c);
		return true;
	}
	for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++) {
		size_t k = strlen(runtimes[i].prefix);
		if (starts_with(c, n, runtimes[i].prefix) && is_hex64(c + k, n - k)) {
			snprintf(out->runtime, sizeof out->runtime, "%s", runtimes[i].runtime);
			snprintf(out->container_id, sizeof out->container_id, "%.*s", (int)(n - k), c + k);
			return true;
		}
	}
	return false;
}

/* A pod's directory: systemd "...-pod<UID>.slice" or cgroupfs "pod<UID>". */
static bool pod(const char *c, size_t n, const char *parent, size_t pn, struct aipm_scope *out)
{
	const char *u = NULL;
	size_t un = 0;
	if (ends_with(c, n, ".slice")) {
		const char *p = find(c, n, "-pod");
		if (p) {
			u = p + 4;
			un = (size_t)(c + n - 6 - u);
		}
	} else if (starts_with(c, n, "pod")) {
		u = c + 3;
		un = n - 3;
	}
	if (!u || !pod_uid(u, un, out->pod_uid, sizeof out->pod_uid))
		return false;
	const char *qos = find(c, n, "-besteffort-pod") || (pn == 10 && !memcmp(parent, "besteffort", 10))
				  ? "besteffort"
			  : find(c, n, "-burstable-pod") || (pn == 9 && !memcmp(parent, "burstable", 9))
				  ? "burstable"
				  : "guaranteed";
	snprintf(out->qos, sizeof out->qos, "%s", qos);
	return true;
}

static bool slurm_step(const char *c, size_t n, struct aipm_scope *out)
{
	if (!starts_with(c, n, "step_") || n == 5 || n - 5 >= sizeof out->slurm_step)
		return false;
	const char *s = c + 5;
	size_t k = n - 5;
	bool digits = true;
	for (size_t i = 0; i < k; i++)
		digits = digits && s[i] >= '0' && s[i] <= '9';
	if (!digits && !(k == 5 && !memcmp(s, "batch", 5)) && !(k == 6 && !memcmp(s, "extern", 6)) &&
	    !(k == 11 && !memcmp(s, "interactive", 11)))
		return false;
	snprintf(out->slurm_step, sizeof out->slurm_step, "%.*s", (int)k, s);
	return true;
}

static bool slurm_job(const char *c, size_t n, struct aipm_scope *out)
{
	if (scope_is_sluid(c, n)) {
		snprintf(out->slurm_sluid, sizeof out->slurm_sluid, "%.*s", (int)n, c);
		return true;
	}
	if (!starts_with(c, n, "job_") || n == 4 || n - 4 >= sizeof out->slurm_job)
		return false;
	for (size_t i = 4; i < n; i++)
		if (c[i] < '0' || c[i] > '9')
			return false;
	snprintf(out->slurm_job, sizeof out->slurm_job, "%.*s", (int)(n - 4), c + 4);
	return true;
}

static bool stepd_scope(const char *c, size_t n)
{
	return (n == 16 && !memcmp(c, "slurmstepd.scope", 16)) || ends_with(c, n, "_slurmstepd.scope");
}

void aipm_scope_classify(const char *path, struct aipm_scope *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->cgroup, sizeof out->cgroup, "%s", path);
	/* STEPD_OWN: slurmstepd's own "system" cgroup, no job's */
	enum { NONE, STEPD, STEPD_OWN, JOB, STEP } slurm = NONE;
	bool kube = false, in_pod = false, in_ctr = false;
	const char *parent = "";
	size_t pn = 0;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		enum aipm_scope_kind kind = AIPM_SCOPE_CGROUP;
		if (slurm == NONE && stepd_scope(p, n)) {
			slurm = STEPD;
		} else if (slurm == STEPD) {
			slurm = slurm_job(p, n, out) ? JOB : STEPD_OWN;
			kind = slurm == JOB ? AIPM_SCOPE_SLURM_JOB : kind;
		} else if (slurm == JOB && slurm_step(p, n, out)) {
			slurm = STEP;
			kind = AIPM_SCOPE_SLURM_STEP;
		} else if (!in_ctr && container(p, n, parent, pn, in_pod, out)) {
			in_ctr = true;
			kind = AIPM_SCOPE_CONTAINER;
		} else if (kube && !in_pod && !in_ctr && pod(p, n, parent, pn, out)) {
			in_pod = true;
			kind = AIPM_SCOPE_POD;
		}
		if (find(p, n, "kubepods"))
			kube = true;
		out->kind = kind;
		parent = p;
		pn = n;
		p += n;
	}
}
