/* common.c: see common.h. */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "aipm.h"
#include "record/recorder.h"

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

/* A positive, finite number of seconds, or the message naming flag. */
static bool parse_positive(const char *flag, const char *arg, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg ? arg : "", &end);
	if (!arg || end == arg || *end || errno || !isfinite(v) || v <= 0) {
		cli_fail(AIPM_EXIT_USAGE, "%s: '%s' is not a positive number of seconds. Give e.g. %s 0.5",
			 flag, arg ? arg : "", flag);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_interval(const char *flag, const char *arg, double max_s, double *out)
{
	double v;
	if (!parse_positive(flag, arg, &v))
		return false;
	/* The library's own check, so the CLI and the API share the bounds. */
	if (aipm_interval_check(flag, v, max_s) < 0) {
		cli_fail(AIPM_EXIT_USAGE, "%s: %s s is outside %g..%g s: below 1 ms aipm would load the machine "
					  "itself%s. Give e.g. %s 0.5", flag, arg, AIPM_INTERVAL_MIN_S, max_s,
			 max_s == AIPM_INTERVAL_MAX_S ? ", above a minute a RAPL counter could wrap unseen" : "",
			 flag);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_seconds(const char *flag, const char *arg, double *out)
{
	return cli_parse_interval(flag, arg, AIPM_INTERVAL_MAX_S, out);
}

bool cli_parse_duration(const char *flag, const char *arg, double *out) { return parse_positive(flag, arg, out); }
