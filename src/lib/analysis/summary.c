/* summary.c: stub until the analysis module lands. */
#include "summary.h"

#include <errno.h>

#include "error.h"

int aipm_summary_load_dir(const char *dir, bool last_segment_only, struct aipm_summary **out)
{
	(void)last_segment_only;
	*out = 0;
	return aipm_err(-ENOSYS, "%s: the report is not built yet", dir);
}
void aipm_summary_print(const struct aipm_summary *s, FILE *f) { (void)s; (void)f; }
void aipm_summary_free(struct aipm_summary *s) { (void)s; }
