/* registry.c: the one list of sources, and the small helpers every source
 * and the sampler share. An explicit array, not constructor functions: a
 * static library drops objects nobody references and the registration
 * would silently never run. Order is sampling order: RAPL and the process
 * tree are read back to back so energy and CPU time cover the same instant.
 */
#include "source.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "error.h"
#include "record/format.h"

const struct aipm_source_ops *const aipm_source_registry[] = {
	&aipm_source_rapl,
	&aipm_source_procfs,
	&aipm_source_cpu_estimate, /* after rapl: it estimates only where no CPU energy is in the catalog */
	&aipm_source_nvml,
	&aipm_source_amdsmi,
	&aipm_source_hwmon,
};
const size_t aipm_source_count = AIPM_ARRAY_SIZE(aipm_source_registry);
_Static_assert(AIPM_ARRAY_SIZE(aipm_source_registry) <= AIPM_MAX_SOURCES, "raise AIPM_MAX_SOURCES");

/* The words are metadata.json's, written down once in the format. */
_Static_assert(AIPM_PROVIDES_COUNT == AIPM_FORMAT_PROVIDES_COUNT, "one word per AIPM_PROVIDES_* bit in format.c");
const char *aipm_provides_name(unsigned i) { return aipm_format_provides_word(i); }

void aipm_paths_from_env(struct aipm_paths *p)
{
	memset(p, 0, sizeof *p);
	p->sysfs = getenv("AIPM_SYSFS_ROOT");
	p->proc = getenv("AIPM_PROC_ROOT");
	p->cgroup = getenv("AIPM_CGROUP_ROOT");
	p->nvml_lib = getenv("AIPM_NVML_LIB");
	p->amdsmi_lib = getenv("AIPM_AMDSMI_LIB");
}

const char *aipm_paths_sysfs(const struct aipm_paths *p) { return p && p->sysfs && *p->sysfs ? p->sysfs : "/sys"; }
const char *aipm_paths_proc(const struct aipm_paths *p) { return p && p->proc && *p->proc ? p->proc : "/proc"; }

void aipm_source_set(struct aipm_source *s, bool available, const char *fix, const char *fmt, ...)
{
	va_list ap;
	s->available = available;
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof s->reason, fmt, ap);
	va_end(ap);
	snprintf(s->fix, sizeof s->fix, "%s", fix ? fix : "");
}

void aipm_source_note(struct aipm_source *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->note, sizeof s->note, fmt, ap);
	va_end(ap);
}

double aipm_power_integral_add(struct aipm_power_integral *p, double power_w, double t_s)
{
	double j = p->have && t_s > p->last_s ? (p->last_w + power_w) / 2 * (t_s - p->last_s) : 0;
	p->have = true;
	p->last_w = power_w;
	p->last_s = t_s;
	return j;
}

int aipm_source_open(const struct aipm_source_ops *ops, const struct aipm_source_config *cfg,
		     struct aipm_catalog *cat, struct aipm_source **out)
{
	struct aipm_source *s = NULL;
	*out = NULL;
	int r = ops->open(cfg, cat, &s);
	if (s)
		s->ops = ops;
	if (r < 0) {
		if (s)
			ops->close(s);
		return r;
	}
	*out = s;
	return 0;
}

int aipm_source_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	if (!src->available)
		return 0;
	aipm_err_clear();
	int r = src->ops->sample(src, ctx, snap);
	src->samples++;
	src->last_rc = r < 0 ? r : 0;
	if (r < 0) {
		src->failed++;
		/* A source that returned -errno without a message still says why. */
		const char *m = aipm_error_last();
		snprintf(src->last_error, sizeof src->last_error, "%s", strcmp(m, "no error") ? m : strerror(-r));
	}
	return r;
}
