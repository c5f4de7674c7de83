/* error.h: errors are values.
 *
 * The library never prints and never exits. A failing function stores one
 * human sentence ("what: why. what to do") in a thread-local buffer and
 * returns a negative errno; the caller (the CLI, the Python module) decides
 * how to show it. Modelled on libgit2's git_error_last.
 */
#ifndef AIPM_ERROR_H
#define AIPM_ERROR_H

#include <stddef.h>

/* Store the message and return code (which must be negative). */
int aipm_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the stored message with more context ("reading X: <old>"). */
int aipm_err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aipm_err_clear(void);

#endif
