/* util.h: small helpers shared by every stage: cheap re-reads of kernel
 * files, number parsing without stdio, locale-independent number output,
 * clocks. Nothing here allocates in the sampling path.
 */
#ifndef AIPM_UTIL_H
#define AIPM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <locale.h>
#include <time.h>

#define AIPM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* pread the whole (small) file behind fd from offset 0 into buf, NUL
 * terminated. Returns bytes read or -errno. */
long aipm_pread_all(int fd, char *buf, size_t size);
/* Open path relative to dirfd read-only, O_CLOEXEC. -errno on failure. */
int aipm_openat_ro(int dirfd, const char *path);
/* Read a small file at dirfd/path into buf (open, read, close). */
long aipm_read_file_at(int dirfd, const char *path, char *buf, size_t size);
/* Parse an unsigned decimal at *p, advance *p past it. false if none. */
bool aipm_parse_u64(const char **p, uint64_t *out);
/* Trim trailing whitespace/newlines in place. */
void aipm_chomp(char *s);

double aipm_ts_to_s(const struct timespec *t);
/* USER_HZ: the unit of /proc CPU times (sysconf, 100 if it fails). */
long aipm_clk_tck(void);
/* "YYYY-MM-DD HH:MM:SS.ffffff" in local time, as AIPowerMeter writes dates. */
void aipm_format_date(char *out, size_t n, const struct timespec *t);
/* Names in dirfd starting with prefix, strdup'ed into names (at most max),
 * sorted; the caller frees them. readdir order is not stable, sorted names
 * give zones and sensors the same order on every run. */
size_t aipm_list_dir_sorted(int dirfd, const char *prefix, char **names, size_t max);
double aipm_mono_s(void);
/* CPU time of the calling thread, seconds. */
double aipm_thread_cpu_s(void);

/* The C locale (newlocale, made once), for uselocale() around printf and
 * for strtod_l: numbers read and written never follow LC_NUMERIC. NULL
 * only if the C library could not make it. */
locale_t aipm_c_locale(void);

/* Append a double to buf in the C locale whatever the process locale is
 * (JSON and Prometheus must never read "1,5"). Non-finite values print as
 * "null" for JSON; use aipm_fmt_double_prom for Prometheus. */
int aipm_fmt_double(char *buf, size_t size, double v);

/* Bounded formatting, for the two kinds of fixed buffer.
 *
 * Text for a person (a message, a note, a legend, a display name) may be
 * cut: a message missing its tail still says what went wrong. Say so with
 * aipm_snprintf_trunc; it returns true when it cut, and its callers ignore
 * that on purpose (the compiler's -Wformat-truncation is answered by the
 * call, not switched off for everyone).
 *
 * A path may never be cut: the cut one names another file, or none. Build
 * it with aipm_path_fmt, which refuses: -ENAMETOOLONG, out set to "", and
 * an aipm_err message naming the path's start and the limit. */
bool aipm_snprintf_trunc(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int aipm_path_fmt(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A growable byte buffer for building lines without stdio. */
struct aipm_buf {
	char *data;
	size_t len, cap;
	bool oom;
};
void aipm_buf_reset(struct aipm_buf *b);
void aipm_buf_free(struct aipm_buf *b);
void aipm_buf_put(struct aipm_buf *b, const char *s, size_t n);
void aipm_buf_puts(struct aipm_buf *b, const char *s);
void aipm_buf_printf(struct aipm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aipm_buf_double(struct aipm_buf *b, double v);
void aipm_buf_u64(struct aipm_buf *b, uint64_t v);
/* A JSON string literal with escapes, quotes included; bytes that are not
 * UTF-8 become U+FFFD. */
void aipm_buf_json_str(struct aipm_buf *b, const char *s);
/* Append s with every byte that starts no UTF-8 sequence replaced by
 * U+FFFD (for text built by cJSON, which copies strings raw). */
void aipm_buf_utf8(struct aipm_buf *b, const char *s);
bool aipm_utf8_valid(const char *s);

#endif
