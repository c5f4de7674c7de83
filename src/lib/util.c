/* util.c: see util.h. The file readers here are the only way the sampling
 * path touches the kernel: pread on kept descriptors into caller buffers,
 * no stdio, no allocation. */
#include "util.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long aipm_pread_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	if (size == 0)
		return -EINVAL;
	for (;;) {
		ssize_t n = pread(fd, buf + got, size - 1 - got, (off_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
		if (n == 0 || got == size - 1)
			break;
	}
	buf[got] = '\0';
	return (long)got;
}

int aipm_openat_ro(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

long aipm_read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = aipm_openat_ro(dirfd, path);
	if (fd < 0)
		return fd;
	long n = aipm_pread_all(fd, buf, size);
	close(fd);
	return n;
}

bool aipm_parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	*out = v;
	*p = s;
	return true;
}

void aipm_chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

double aipm_ts_to_s(const struct timespec *t) { return (double)t->tv_sec + (double)t->tv_nsec / 1e9; }

long aipm_clk_tck(void)
{
	static long hz;
	if (!hz) {
		long v = sysconf(_SC_CLK_TCK);
		hz = v > 0 ? v : 100;
	}
	return hz;
}

void aipm_format_date(char *out, size_t n, const struct timespec *t)
{
	struct tm tm;
	time_t sec = t->tv_sec;
	localtime_r(&sec, &tm);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, t->tv_nsec / 1000);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

size_t aipm_list_dir_sorted(int dirfd, const char *prefix, char **names, size_t max)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t n = 0, plen = strlen(prefix);
	struct dirent *e;
	if (!d && fd >= 0)
		close(fd);
	while (d && (e = readdir(d)) && n < max)
		if (!strncmp(e->d_name, prefix, plen) && (names[n] = strdup(e->d_name)))
			n++;
	if (d)
		closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	return n;
}

double aipm_mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return aipm_ts_to_s(&t);
}

double aipm_thread_cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return aipm_ts_to_s(&t);
}

/* One C locale for the whole process, swapped in per call: a host program
 * (Python, a GUI) may have set LC_NUMERIC to a comma locale. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

locale_t aipm_c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

int aipm_fmt_double(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		return snprintf(buf, size, "null");
	pthread_once(&c_locale_once, c_locale_init);
	locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
	/* 15 significant digits keep microjoules on a megajoule counter. */
	int n = snprintf(buf, size, "%.15g", v);
	if (c_locale)
		uselocale(old);
	return n;
}

void aipm_buf_reset(struct aipm_buf *b) { b->len = 0; }

void aipm_buf_free(struct aipm_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static bool buf_reserve(struct aipm_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (!d) {
		b->oom = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void aipm_buf_put(struct aipm_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void aipm_buf_puts(struct aipm_buf *b, const char *s) { aipm_buf_put(b, s, strlen(s)); }

void aipm_buf_printf(struct aipm_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		aipm_buf_put(b, tmp, (size_t)n);
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

bool aipm_snprintf_trunc(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	return k < 0 || (size_t)k >= n;
}

int aipm_path_fmt(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k < n)
		return 0;
	/* the start names it; the message itself may be cut (error.c) */
	int e = aipm_err(-ENAMETOOLONG, "path too long: %.160s... is %d bytes, longer than the %zu bytes aipm allows "
				      "here. Use a shorter path (a symlink to it, or a shorter directory name)",
			 n ? out : "", k, n ? n - 1 : 0);
	if (n)
		out[0] = '\0';
	return e;
}

void aipm_buf_double(struct aipm_buf *b, double v)
{
	char tmp[64];
	int n = aipm_fmt_double(tmp, sizeof tmp, v);
	if (n > 0)
		aipm_buf_put(b, tmp, (size_t)n);
}

void aipm_buf_u64(struct aipm_buf *b, uint64_t v)
{
	char tmp[24];
	int i = (int)sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	aipm_buf_put(b, tmp + i, sizeof tmp - (size_t)i);
}

/* Length of the UTF-8 sequence at p (1..4), or 0 when the bytes there are
 * not UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF). Stops at a NUL: a continuation byte is never 0. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4 || (p[1] & 0xC0) != 0x80)
		return 0;
	if (c < 0xE0)
		return 2;
	if ((p[2] & 0xC0) != 0x80 || (c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
		return 0;
	if (c < 0xF0)
		return 3;
	if ((p[3] & 0xC0) != 0x80 || (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
		return 0;
	return 4;
}

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

bool aipm_utf8_valid(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

void aipm_buf_utf8(struct aipm_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	while (*p) {
		size_t n = utf8_len(p);
		if (n) {
			p += n;
			continue;
		}
		aipm_buf_put(b, (const char *)run, (size_t)(p - run));
		aipm_buf_put(b, replacement, 3);
		run = ++p; /* one U+FFFD per byte that starts no sequence */
	}
	aipm_buf_put(b, (const char *)run, (size_t)(p - run));
}

/* JSON text is UTF-8 (RFC 8259): bytes that are not, from a process name
 * or a sysfs label, become U+FFFD, so a line is always valid JSON. */
void aipm_buf_json_str(struct aipm_buf *b, const char *s)
{
	aipm_buf_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': aipm_buf_put(b, "\\\"", 2); break;
		case '\\': aipm_buf_put(b, "\\\\", 2); break;
		case '\n': aipm_buf_put(b, "\\n", 2); break;
		case '\r': aipm_buf_put(b, "\\r", 2); break;
		case '\t': aipm_buf_put(b, "\\t", 2); break;
		default:
			if (*p < 0x20) {
				aipm_buf_printf(b, "\\u%04x", *p);
			} else if (*p < 0x80) {
				aipm_buf_put(b, (const char *)p, 1);
			} else {
				size_t n = utf8_len(p);
				if (n)
					aipm_buf_put(b, (const char *)p, n);
				else
					aipm_buf_put(b, replacement, 3);
				p += n ? n - 1 : 0;
			}
		}
	}
	aipm_buf_put(b, "\"", 1);
}
