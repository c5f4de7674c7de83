/* format.c: the rules of format.h that take code: names, zone kinds, GPU
 * sections and dates. Pure functions: no I/O, no allocation. */
#include "format.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "util.h"

bool aipm_format_name_ok(const char *name, size_t len, bool metric)
{
	if (!name || !len || len > AIPM_FORMAT_NAME_MAX || name[len] != '\0')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || (metric && c == '='))
			return false;
	}
	return aipm_utf8_valid(name); /* JSON and the reports carry it as text */
}

int aipm_format_check_name(const char *what, const char *name)
{
	bool metric = !strcmp(what, "metric");
	if (!name || !*name)
		return aipm_err(-EINVAL, "a %s needs a name. Give a non-empty name such as \"train\"", what);
	size_t n = strlen(name);
	if (n > AIPM_FORMAT_NAME_MAX)
		return aipm_err(-ENAMETOOLONG, "%s name '%.32s...' is %zu bytes long. Keep it to %d", what, name, n,
				AIPM_FORMAT_NAME_MAX);
	if (!aipm_utf8_valid(name))
		return aipm_err(-EINVAL, "%s name '%s' holds bytes that are not UTF-8. Use letters, digits, '_'", what,
				name);
	if (!aipm_format_name_ok(name, n, metric))
		return aipm_err(-EINVAL, "%s name '%s' holds a control character%s. Use letters, digits, '_'", what,
				name, metric ? " or '='" : "");
	return 0;
}

static const char *const provides_words[AIPM_FORMAT_PROVIDES_COUNT] = {
	"cpu_energy", "dram_energy", "gpu_energy", "processes", "machine", "temperature",
	"cpu_energy_estimate", /* a model, not a measurement (docs/estimate.md) */
};

const char *aipm_format_provides_word(unsigned i)
{
	return i < AIPM_FORMAT_PROVIDES_COUNT ? provides_words[i] : "?";
}

static const char *const kind_names[AIPM_KIND_OTHER] = {"package", "core", "uncore", "dram", "psys"};

enum aipm_kind aipm_kind_of_zone(const char *zone)
{
	/* "package-0", "core-0", "uncore-0", "dram-0", "psys": the prefix up to
	 * the socket suffix names the kind. */
	for (int k = 0; k < AIPM_KIND_OTHER; k++) {
		size_t n = strlen(kind_names[k]);
		if (!strncmp(zone, kind_names[k], n) && (zone[n] == '\0' || zone[n] == '-'))
			return (enum aipm_kind)k;
	}
	return AIPM_KIND_OTHER;
}

bool aipm_format_gpu_section(const char *s, size_t n, const char **vendor, size_t *vlen)
{
	static const char gpu[] = AIPM_SECTION_GPU, suffix[] = AIPM_SECTION_GPU_SUFFIX;
	const size_t sl = sizeof suffix - 1;
	if (n == sizeof gpu - 1 && !memcmp(s, gpu, n)) {
		*vendor = AIPM_GPU_VENDOR_NVIDIA;
		*vlen = sizeof AIPM_GPU_VENDOR_NVIDIA - 1;
		return true;
	}
	if (n <= sl || n - sl > AIPM_FORMAT_VENDOR_MAX || memcmp(s + n - sl, suffix, sl))
		return false;
	/* A vendor is a plain word: what a label and a JSON key can carry. */
	for (size_t i = 0; i < n - sl; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	*vendor = s;
	*vlen = n - sl;
	return true;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool aipm_format_date_parse(const char *s, struct aipm_date_cache *c, double *ts)
{
	int Y, M, D, h, m, sec;
	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
	    s[16] != ':' || !digits(s, 4, &Y) || !digits(s + 5, 2, &M) || !digits(s + 8, 2, &D) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &m) || !digits(s + 17, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return false;
	double frac = 0;
	const char *p = s + 19;
	if (*p == '.') {
		double scale = 0.1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p)
		return false;
	/* mktime once per hour of recording: it reads the time zone rules and
	 * takes a lock, far too slow for every line of a large file. The cache
	 * keys on the hour text, so 'T' and ' ' dates are cached apart. */
	if (!c || memcmp(c->hour, s, 13) != 0) {
		struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_isdst = -1};
		time_t t = mktime(&tm);
		if (t == (time_t)-1 && !(Y == 1969 || Y == 1970))
			return false;
		if (!c) {
			*ts = (double)t + m * 60 + sec + frac;
			return true;
		}
		memcpy(c->hour, s, 13);
		c->hour[13] = '\0';
		c->hour_ts = (double)t;
	}
	*ts = c->hour_ts + m * 60 + sec + frac;
	return true;
}

void aipm_format_date_ts(char *out, size_t n, double ts)
{
	if (!isfinite(ts) || fabs(ts) >= 9e12) { /* past what a long long holds in microseconds */
		snprintf(out, n, "-");
		return;
	}
	/* Rounded to the microsecond the file keeps, then the writer's own
	 * formatter: one date rule for what is written and what is shown. */
	long long us = llround(ts * 1e6);
	long long sec = us / 1000000, rem = us % 1000000;
	if (rem < 0)
		rem += 1000000, sec--;
	struct timespec t = {.tv_sec = (time_t)sec, .tv_nsec = (long)rem * 1000};
	aipm_format_date(out, n, &t);
}
