/* summary.h: totals of a recording (stub; the analysis module replaces it
 * keeping these three calls). */
#ifndef AIPM_SUMMARY_H
#define AIPM_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

struct aipm_summary;

/* Summarise DIR; with last_segment_only, only its last segment (the end of
 * `aipm run` prints that one). */
int aipm_summary_load_dir(const char *dir, bool last_segment_only, struct aipm_summary **out);
/* The text report, as `aipm report` prints it. */
void aipm_summary_print(const struct aipm_summary *s, FILE *f);
void aipm_summary_free(struct aipm_summary *s);

#endif
