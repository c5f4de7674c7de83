/* registry.c: the one list of sources. An explicit array, not constructor
 * functions: a static library drops objects nobody references and the
 * registration would silently never run. Order is sampling order: RAPL and
 * the process tree are read back to back so energy and CPU time cover the
 * same instant. */
#include "source.h"

#include <stdarg.h>
#include <stdio.h>

const struct aipm_source_ops *const aipm_source_registry[] = {
	&aipm_source_rapl,
	&aipm_source_procfs,
	&aipm_source_nvml,
	&aipm_source_hwmon,
};
const size_t aipm_source_count = AIPM_ARRAY_SIZE(aipm_source_registry);

void aipm_source_set(struct aipm_source *s, bool available, const char *fix, const char *fmt, ...)
{
	va_list ap;
	s->available = available;
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof s->reason, fmt, ap);
	va_end(ap);
	snprintf(s->fix, sizeof s->fix, "%s", fix ? fix : "");
}
