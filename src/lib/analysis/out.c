/* out.c: see out.h. */
#include "out.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64u << 10)

static void vcprintf_buf(struct aipm_buf *b, const char *fmt, va_list ap)
{
	locale_t c = aipm_c_locale();
	locale_t old = c ? uselocale(c) : (locale_t)0;
	char tmp[512];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	if (n >= 0 && (size_t)n < sizeof tmp) {
		aipm_buf_put(b, tmp, (size_t)n);
	} else if (n >= 0) {
		char *big = malloc((size_t)n + 1);
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, ap2);
			aipm_buf_put(b, big, (size_t)n);
			free(big);
		} else {
			b->oom = true;
		}
	}
	va_end(ap2);
	if (c)
		uselocale(old);
}

void aipm_buf_cprintf(struct aipm_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcprintf_buf(b, fmt, ap);
	va_end(ap);
}

void aipm_cfprintf(FILE *f, const char *fmt, ...)
{
	locale_t c = aipm_c_locale();
	locale_t old = c ? uselocale(c) : (locale_t)0;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (c)
		uselocale(old);
}

void aipm_out_printf(struct aipm_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcprintf_buf(&o->b, fmt, ap);
	va_end(ap);
	aipm_out_flush(o, false);
}

void aipm_out_puts(struct aipm_out *o, const char *s)
{
	aipm_buf_puts(&o->b, s);
	aipm_out_flush(o, false);
}

void aipm_out_flush(struct aipm_out *o, bool force)
{
	if (o->b.oom && !o->err)
		o->err = -ENOMEM;
	if (!o->f || o->err || !(force || o->b.len >= CHUNK))
		return;
	if (o->b.len && fwrite(o->b.data, 1, o->b.len, o->f) != o->b.len)
		o->err = -(errno ? errno : EIO);
	aipm_buf_reset(&o->b);
}

void aipm_json_key(struct aipm_buf *b, const char *k, bool *first)
{
	if (!*first)
		aipm_buf_puts(b, ", ");
	*first = false;
	aipm_buf_json_str(b, k);
	aipm_buf_puts(b, ": ");
}

void aipm_json_num(struct aipm_buf *b, const char *k, double v, bool *first)
{
	aipm_json_key(b, k, first);
	aipm_buf_double(b, isfinite(v) ? v : NAN); /* null when not finite */
}

void aipm_json_int(struct aipm_buf *b, const char *k, long long v, bool *first)
{
	aipm_json_key(b, k, first);
	aipm_buf_printf(b, "%lld", v);
}

void aipm_json_bool(struct aipm_buf *b, const char *k, bool v, bool *first)
{
	aipm_json_key(b, k, first);
	aipm_buf_puts(b, v ? "true" : "false");
}

void aipm_json_str(struct aipm_buf *b, const char *k, const char *v, bool *first)
{
	aipm_json_key(b, k, first);
	if (v)
		aipm_buf_json_str(b, v);
	else
		aipm_buf_puts(b, "null");
}

void aipm_json_ts(struct aipm_buf *b, const char *k, double ts, bool *first)
{
	aipm_json_key(b, k, first);
	if (!isfinite(ts)) {
		aipm_buf_puts(b, "null");
		return;
	}
	if (fabs(ts) >= 9e12) { /* no microseconds in a long long: a time no clock gives */
		aipm_buf_double(b, ts);
		return;
	}
	long long us = llround(ts * 1e6);
	if (us < 0) {
		aipm_buf_puts(b, "-");
		us = -us;
	}
	aipm_buf_printf(b, "%lld.%06lld", us / 1000000, us % 1000000);
}
