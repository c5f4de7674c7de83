/* error.c: the thread-local "last error" behind aipm_error_last(). */
#include "error.h"
#include "aipm.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last[1024];

int aipm_err(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last, sizeof last, fmt, ap);
	va_end(ap);
	return code;
}

int aipm_err_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof last];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, last, sizeof old);
	/* a message for a person: a long one loses its tail, not its sense */
	aipm_snprintf_trunc(last, sizeof last, "%s: %s", prefix, old);
	return code;
}

void aipm_err_clear(void) { last[0] = '\0'; }

AIPM_API const char *aipm_error_last(void) { return last[0] ? last : "no error"; }
