/* aipm.h: the public C API of libaipm.
 *
 * Measure the energy of the calling process and its descendants from inside
 * a program, and read recordings back. Every function returns 0 (or a
 * non-negative count) on success and a negative errno on failure; the reason
 * is then in aipm_error_last(), a sentence meant for a person. The library
 * never prints and never exits. All functions are thread-safe.
 */
#ifndef AIPM_H
#define AIPM_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define AIPM_API __attribute__((visibility("default")))
#else
#define AIPM_API
#endif

#define AIPM_VERSION_STRING "0.1.0"

/* The last error of the calling thread, never NULL. */
AIPM_API const char *aipm_error_last(void);
AIPM_API const char *aipm_version(void);

#ifdef __cplusplus
}
#endif
#endif
