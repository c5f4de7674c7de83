/* report_phases.h: `aipm report --by-phase` and `--metrics` (report_phases.c). */
#ifndef AIPM_CLI_REPORT_PHASES_H
#define AIPM_CLI_REPORT_PHASES_H

#include <stdbool.h>

/* Print the phase report (or, with metrics, the logged points) of each DIR
 * to stdout; returns the exit status. */
int report_phases(char **dirs, int ndirs, bool metrics, bool json);

#endif
