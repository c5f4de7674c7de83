/* csv.h: a recording as CSV, one row per sample, one column per metric. */
#ifndef AIPM_EXPORT_CSV_H
#define AIPM_EXPORT_CSV_H

#include <stdio.h>

struct aipm_csv_stats {
	long long rows, columns, skipped_lines;
	int segments;
};

/* Write DIR's samples to out: header first (date, timestamp, segment, then
 * phases when DIR has phases.json, then every metric in the order first
 * seen, flattened as flatten.h names them), then one row per sample; a
 * metric a sample lacks is an empty cell (NaN in pandas), never 0. Samples,
 * segments and phases are the report's (the same reader and pairing rule).
 * Two passes over the file, constant memory in its length. Returns 0 or
 * -errno (message set). */
int aipm_csv_export(const char *dir, FILE *out, struct aipm_csv_stats *stats);

#endif
