/* cpu_estimate.c: the CPU power estimate as a source, for machines that
 * measure no CPU energy (most cloud VMs expose no RAPL).
 *
 * Whether to estimate is decided once, at open, and the decision is the
 * source's reason (metadata.json, `aipm probe`):
 *  - --no-estimate (cfg->no_cpu_estimate): unavailable, turned off;
 *  - a CPU energy domain (a RAPL package) is in the catalog: unavailable,
 *    a machine that measures never estimates. The sources before this one
 *    in the registry have published their domains by now (registry.c
 *    keeps it after rapl); what it reads is the catalog, not a source;
 *  - otherwise it identifies the CPU (cpuinfo and DMI below the configured
 *    roots), chooses the model (estimate/estimate.h), publishes it in the
 *    catalog and keeps /proc/stat open.
 * Each sample preads /proc/stat and sets busy and total ticks with steal
 * apart (snapshot.h says why); attrib.c turns two samples into power,
 * energy and the experiment's share, with bounds. The writer, exporter and
 * CLI find the estimate through the catalog entry; nothing here writes
 * JSON or speaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aipm.h"
#include "error.h"
#include "estimate/estimate.h"
#include "procparse.h"
#include "source.h"

struct cpu_est {
	struct aipm_source base;
	int stat_fd;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model model;
};

static const char source_name[] = "cpu_estimate";

/* Which row, in a few words: "microarch_power row 7 'Cascade Lake'". */
static void say_available(struct cpu_est *s)
{
	const struct aipm_cpu_power_model *m = &s->model;
	const struct aipm_est_table_info *t = aipm_est_table_info(m->table);
	char row[AIPM_CPU_STR_MAX + 48] = "";
	if (m->row)
		snprintf(row, sizeof row, " row %u '%.*s'", m->row, AIPM_CPU_STR_MAX - 1, m->row_key);
	aipm_source_set(&s->base, true, NULL,
			"no CPU energy is measured here; estimating it instead (a model, not a measurement): %s "
			"from %s%s, %u CPUs, %.1f [%.1f, %.1f] W idle to %.1f [%.1f, %.1f] W at full load",
			aipm_est_method_name(m->method), t ? t->name : "?", row, m->ncpus, m->idle.w, m->idle.low_w,
			m->idle.high_w, m->full.w, m->full.low_w, m->full.high_w);
}

static int open_stat(struct cpu_est *s, const char *proc)
{
	int dfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	s->stat_fd = aipm_openat_ro(dfd, "stat");
	close(dfd);
	return s->stat_fd < 0 ? s->stat_fd : 0;
}

static int est_open(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out)
{
	struct cpu_est *s = calloc(1, sizeof *s);
	if (!s)
		return aipm_err(-ENOMEM, "out of memory opening the CPU estimate");
	s->stat_fd = -1;
	*out = &s->base;
	if (cfg->no_cpu_estimate) {
		aipm_source_set(&s->base, false, "", "turned off (--no-estimate): CPU energy is not estimated");
		return 0;
	}
	for (size_t i = 0; i < cat->ndomains; i++) {
		if (cat->domains[i].kind != AIPM_DOMAIN_PACKAGE)
			continue;
		aipm_source_set(&s->base, false, "", "not used: CPU energy is measured here (%s %s), and a machine "
						     "that measures never estimates",
				cat->domains[i].source ? cat->domains[i].source : "a", cat->domains[i].name);
		return 0;
	}
	const char *proc = aipm_paths_proc(&cfg->paths), *sys = aipm_paths_sysfs(&cfg->paths);
	if (aipm_cpu_identify(proc, sys, &s->id) < 0 || aipm_cpu_power_model_choose(&s->id, &s->model) < 0) {
		aipm_source_set(&s->base, false, "mount procfs at /proc (`mount -t proc proc /proc`)",
				"cannot identify the CPU to estimate its power: %s", aipm_error_last());
		return 0;
	}
	int r = open_stat(s, proc);
	if (r < 0) {
		aipm_source_set(&s->base, false, "mount procfs at /proc (`mount -t proc proc /proc`)",
				"cannot open %s/stat for the CPU load: %s", proc, strerror(-r));
		return 0;
	}
	r = aipm_catalog_set_cpu_estimate(cat, source_name, &s->model);
	if (r == -ENOMEM)
		return aipm_err(r, "out of memory opening the CPU estimate");
	if (r < 0) {
		aipm_source_set(&s->base, false, "", "another CPU estimate is already in the catalog");
		return 0;
	}
	say_available(s);
	return 0;
}

static int est_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct cpu_est *s = (struct cpu_est *)src;
	(void)ctx;
	char buf[512];
	uint64_t v[10];
	long n = aipm_pread_all(s->stat_fd, buf, sizeof buf);
	if (n < 0)
		return aipm_err((int)n, "cpu_estimate: reading /proc/stat: %s", strerror((int)-n));
	if (!aipm_parse_proc_stat_fields(buf, v))
		return aipm_err(-EINVAL, "cpu_estimate: /proc/stat has no \"cpu \" line first");
	/* user nice system idle iowait irq softirq steal (guest is in user) */
	uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6];
	aipm_snapshot_set_cpu_load(snap, busy, busy + v[3] + v[4] + v[7]);
	return 0;
}

static void est_close(struct aipm_source *src)
{
	struct cpu_est *s = (struct cpu_est *)src;
	if (s->stat_fd >= 0)
		close(s->stat_fd);
	free(s);
}

static void est_describe(struct aipm_source *src, struct aipm_buf *b)
{
	struct cpu_est *s = (struct cpu_est *)src;
	aipm_cpu_estimate_describe(b, &s->id, &s->model);
}

const struct aipm_source_ops aipm_source_cpu_estimate = {
	.name = source_name,
	.what = "CPU power estimate with low and high bounds where no CPU energy is measured (docs/estimate.md)",
	.provides = AIPM_PROVIDES_CPU_ESTIMATE,
	.missing = NULL, /* its absence is said by the measurement's own line */
	.say = AIPM_SAY_NEVER,
	.open = est_open,
	.sample = est_sample,
	.close = est_close,
	.describe = est_describe,
};
