/* common.c: see common.h. */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "aipm.h"

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("aipm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_fail_lib(int code, const char *what) { return cli_fail(code, "%s: %s", what, aipm_error_last()); }

bool cli_parse_seconds(const char *flag, const char *arg, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg ? arg : "", &end);
	if (!arg || end == arg || *end || errno || !isfinite(v) || v <= 0) {
		cli_fail(AIPM_EXIT_USAGE, "%s: '%s' is not a positive number of seconds. Give e.g. %s 0.5",
			 flag, arg ? arg : "", flag);
		return false;
	}
	if (v < 0.001) {
		cli_fail(AIPM_EXIT_USAGE, "%s: %s s is below the 1 ms floor aipm can sample at. Give at least 0.001",
			 flag, arg);
		return false;
	}
	*out = v;
	return true;
}
