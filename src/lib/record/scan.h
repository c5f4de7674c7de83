/* scan.h: read a large power_metrics.json in parallel, in constant memory.
 *
 * The file is split into byte ranges, one per thread; a line belongs to the
 * range its first byte falls in, so every line is seen exactly once, whole,
 * by one thread, through the same splitter (lines.h) and line classifier
 * (line.h) as the sequential reader. The caller merges the per-range
 * results in range order, which is file order (analysis/summary.c).
 */
#ifndef AIPM_RECORD_SCAN_H
#define AIPM_RECORD_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#define AIPM_SCAN_MAX_PARTS 64

/* Called for each line of one range, in file order. text is not NUL
 * terminated and has no newline; unterminated is true for a last line with
 * no newline (a recording cut mid-write). text is NULL for a line longer
 * than AIPM_FORMAT_LINE_MAX, which is skipped. */
typedef void (*aipm_scan_line_fn)(void *state, const char *text, size_t len, bool unterminated);

/* The number of threads a scan of `bytes` bytes uses when `threads` are
 * asked for (0: all online CPUs). Small files get one. The library never
 * reads the environment for this: the CLI turns $AIPM_THREADS into a
 * number once, before any thread exists. */
int aipm_scan_parts(long long bytes, int threads);

/* Smallest range worth a thread (default 4 MiB; <= 0 restores it). For
 * tests, which split tiny files at every line to exercise the seams. */
void aipm_scan_set_min_part_bytes(long long bytes);

/* Scan path with `parts` threads (from aipm_scan_parts); states[i] is
 * handed to fn for range i. Returns 0 or -errno with the message set. */
int aipm_scan_file(const char *path, int parts, aipm_scan_line_fn fn, void **states);

#endif
