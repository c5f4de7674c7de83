/* parse.c: see parse.h. No stdio, no allocation: these run in the sampling
 * path (cpu.stat, cgroup.procs) as well as at open. */
#include "scope/parse.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Copy one space-delimited mountinfo field, undoing the kernel's octal
 * escapes (show_mountinfo mangles ' ', '\t', '\n' and '\\'). */
static const char *field(const char *p, const char *end, char *out, size_t n, bool *ok)
{
	size_t k = 0;
	while (p < end && *p == ' ')
		p++;
	while (p < end && *p != ' ') {
		char c = *p++;
		if (c == '\\' && end - p >= 3 && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' &&
		    p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
			p += 3;
		}
		if (k + 1 >= n) {
			*ok = false;
			return p;
		}
		out[k++] = c;
	}
	out[k] = '\0';
	if (!k)
		*ok = false;
	return p;
}

bool aipm_parse_mountinfo_line(const char *line, size_t len, struct aipm_mountinfo *out)
{
	const char *end = line + len, *p = line;
	char skip[64];
	bool ok = true;
	/* mount id, parent id, major:minor */
	for (int i = 0; i < 3 && ok; i++)
		p = field(p, end, skip, sizeof skip, &ok);
	if (ok)
		p = field(p, end, out->root, sizeof out->root, &ok);
	if (ok)
		p = field(p, end, out->mount_point, sizeof out->mount_point, &ok);
	if (!ok)
		return false;
	/* options, then optional fields up to the lone "-" */
	for (;;) {
		char f[256];
		bool fok = true;
		p = field(p, end, f, sizeof f, &fok);
		if (!fok && p >= end)
			return false;
		if (fok && !strcmp(f, "-"))
			break;
	}
	p = field(p, end, out->fstype, sizeof out->fstype, &ok);
	return ok;
}

bool aipm_parse_pid_cgroup(const char *buf, char *path, size_t n)
{
	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "0::", 3))
			continue;
		const char *s = l + 3, *e = strchr(s, '\n');
		size_t k = e ? (size_t)(e - s) : strlen(s);
		if (!k || *s != '/' || k >= n)
			return false;
		memcpy(path, s, k);
		path[k] = '\0';
		return true;
	}
	return false;
}

bool aipm_parse_keyed(const char *buf, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, kl) || l[kl] != ' ')
			continue;
		const char *p = l + kl;
		return aipm_parse_u64(&p, out);
	}
	return false;
}

size_t aipm_parse_pids(const char *buf, size_t len, uint64_t *carry, bool *in_number, pid_t *out,
		       size_t cap, size_t *seen)
{
	size_t n = 0;
	uint64_t v = *carry;
	bool in = *in_number;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c >= '0' && c <= '9') {
			v = v * 10 + (uint64_t)(c - '0');
			in = true;
			continue;
		}
		if (in && v > 0 && v <= INT32_MAX) {
			(*seen)++;
			if (n < cap)
				out[n++] = (pid_t)v;
		}
		v = 0;
		in = false;
	}
	*carry = v;
	*in_number = in;
	return n;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

size_t aipm_pids_sort_unique(pid_t *pids, size_t n)
{
	if (n < 2)
		return n;
	qsort(pids, n, sizeof *pids, cmp_pid);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (pids[i] != pids[k - 1])
			pids[k++] = pids[i];
	return k;
}

bool aipm_parse_slurmstepd_title(const char *cmdline, size_t len, uint64_t *job_id)
{
	/* setproctitle may leave the title NUL-padded; look at the first
	 * argument only. */
	size_t n = strnlen(cmdline, len);
	const char *end = cmdline + n;
	const char *s = memmem(cmdline, n, "slurmstepd", 10);
	if (!s)
		return false;
	const char *b = memchr(s, '[', (size_t)(end - s));
	if (!b || b + 1 >= end || b[1] < '0' || b[1] > '9')
		return false;
	const char *p = b + 1;
	uint64_t v;
	if (!aipm_parse_u64(&p, &v) || p >= end || (*p != '.' && *p != '+' && *p != ']') || v == 0)
		return false;
	*job_id = v;
	return true;
}

bool aipm_parse_environ_job_id(const char *env, size_t len, uint64_t *job_id)
{
	static const char key[] = "SLURM_JOB_ID=";
	for (size_t i = 0; i < len;) {
		const char *e = env + i;
		size_t k = strnlen(e, len - i);
		if (k > sizeof key - 1 && !memcmp(e, key, sizeof key - 1)) {
			const char *p = e + sizeof key - 1;
			uint64_t v;
			if (aipm_parse_u64(&p, &v) && p == e + k && v > 0) {
				*job_id = v;
				return true;
			}
		}
		i += k + 1;
	}
	return false;
}
