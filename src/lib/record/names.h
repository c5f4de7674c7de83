/* names.h: a set of names in first-seen order, with O(1) lookups.
 *
 * Columns of the CSV, series of a plot, phase names of phases.json: every
 * reader that keys something by a name uses this one set. Allocates; no
 * limit but memory.
 */
#ifndef AIPM_RECORD_NAMES_H
#define AIPM_RECORD_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct aipm_names {
	char **names;
	size_t n, cap;
	size_t *slots; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
};
/* Index of name, adding it when add is true; -1 if absent or out of memory. */
long aipm_names_find(struct aipm_names *s, const char *name, bool add);
void aipm_names_free(struct aipm_names *s);

#endif
