/* procparse.c: see procparse.h. */
#include "procparse.h"

#include <string.h>

#include "util.h"

bool aipm_parse_pid_stat(const char *buf, struct aipm_pid_stat *f)
{
	const char *open = strchr(buf, '(');
	const char *close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return false;
	size_t n = (size_t)(close - open - 1);
	if (n >= sizeof f->comm)
		n = sizeof f->comm - 1;
	memcpy(f->comm, open + 1, n);
	f->comm[n] = '\0';
	const char *p = close + 1;
	uint64_t v[20];
	/* Fields 3.. : the state letter, then numbers; some may be negative
	 * (priority, nice): skip a '-' sign, those fields are not used. */
	while (*p == ' ')
		p++;
	if (!*p)
		return false;
	f->state = *p++;
	for (int i = 0; i < 20; i++) {
		while (*p == ' ')
			p++;
		if (*p == '-')
			p++;
		if (!aipm_parse_u64(&p, &v[i]))
			return false;
	}
	/* v[k] is field 4+k: ppid is field 4, utime 14, stime 15, cutime 16,
	 * cstime 17, starttime 22. */
	f->ppid = (pid_t)v[0];
	f->utime = v[10];
	f->stime = v[11];
	f->cutime = v[12];
	f->cstime = v[13];
	f->start = v[18];
	return true;
}

bool aipm_pid_stat_ended(const struct aipm_pid_stat *f) { return f->state == 'Z' || f->state == 'X'; }

/* Each line of a "Key:   123 kB" file, by key prefix. */
static bool field_kb(const char *line, const char *key, uint64_t *out)
{
	size_t k = strlen(key);
	if (strncmp(line, key, k))
		return false;
	const char *q = line + k;
	return aipm_parse_u64(&q, out);
}

static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p ? p + 1 : NULL;
}

bool aipm_parse_smaps_rollup(const char *buf, struct aipm_smaps *out)
{
	uint64_t pss = 0, rss = 0, pc = 0, pd = 0, v;
	bool got_pss = false;
	for (const char *p = buf; p && *p; p = next_line(p)) {
		if (field_kb(p, "Pss:", &v)) {
			pss = v;
			got_pss = true;
		} else if (field_kb(p, "Rss:", &v)) {
			rss = v;
		} else if (field_kb(p, "Private_Clean:", &v)) {
			pc = v;
		} else if (field_kb(p, "Private_Dirty:", &v)) {
			pd = v;
		}
	}
	out->pss_bytes = pss * 1024;
	out->uss_bytes = (pc + pd) * 1024;
	out->rss_bytes = rss * 1024;
	return got_pss;
}

bool aipm_parse_proc_stat_fields(const char *buf, uint64_t v[10])
{
	if (strncmp(buf, "cpu ", 4))
		return false;
	const char *p = buf + 4;
	int n = 0;
	memset(v, 0, 10 * sizeof *v);
	while (n < 10 && aipm_parse_u64(&p, &v[n]))
		n++;
	return n >= 4;
}

bool aipm_parse_proc_stat(const char *buf, uint64_t *busy_ticks, uint64_t *total_ticks)
{
	uint64_t v[10];
	if (!aipm_parse_proc_stat_fields(buf, v))
		return false;
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	*busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	*total_ticks = *busy_ticks + v[3] + v[4];
	return true;
}

void aipm_parse_meminfo(const char *buf, uint64_t *total_bytes, uint64_t *available_bytes)
{
	uint64_t v;
	for (const char *p = buf; p && *p; p = next_line(p)) {
		if (field_kb(p, "MemTotal:", &v))
			*total_bytes = v * 1024;
		else if (field_kb(p, "MemAvailable:", &v))
			*available_bytes = v * 1024;
	}
}
