/* api_probe.c: aipm_probe_json and aipm_probe_text (include/aipm.h), the
 * answers of `aipm probe`.
 *
 * The sources are opened by the pipeline exactly as a recording opens them
 * and one step is taken, so what is shown is each source's health after a
 * real sample (a counter that opens but cannot be read is FAILING). The
 * scope is what `aipm run` would get here: a cgroup of its own is made
 * and removed again to be sure, else the process tree, with the reason.
 * Both views are built from the one probe below, so the text and the JSON
 * cannot say different things. Reads no environment variable: the roots
 * come from the options (the CLI maps AIPM_* onto them).
 */
#include "aipm.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_util.h"
#include "error.h"
#include "pipeline.h"
#include "scope/cgroup.h"
#include "source.h"

struct probe {
	struct aipm_paths paths;
	struct aipm_pipeline *p;
	const char *kind; /* "cgroup" or "proc-tree" */
	char why[1200], note[600], hierarchy[512];
	bool have_hierarchy;
};

AIPM_API int aipm_probe_options_init(struct aipm_probe_options *opts, unsigned int version)
{
	return aipm_api_opts_init(opts, sizeof *opts, version, AIPM_PROBE_OPTIONS_VERSION, "aipm_probe_options_init");
}

/* The scope `aipm run` would use: its own cgroup under the caller's, made
 * and removed here, or the /proc tree with what stood in the way. */
static void probe_scope(struct probe *pr)
{
	struct aipm_cgroup_fs fs;
	struct aipm_cgroup_run run;
	memset(&run, 0, sizeof run);
	run.dirfd = run.procs_fd = run.parent_fd = -1;
	int r = aipm_cgroup_fs_open(&fs, pr->paths.proc, pr->paths.cgroup);
	if (r == 0) {
		pr->have_hierarchy = true;
		snprintf(pr->hierarchy, sizeof pr->hierarchy, "%s", fs.describe);
		struct aipm_cgroup_run_opts ro;
		aipm_cgroup_run_opts_init(&ro);
		r = aipm_cgroup_run_create(&fs, &ro, &run);
	}
	if (r < 0) {
		pr->kind = "proc-tree";
		snprintf(pr->why, sizeof pr->why, "%s", aipm_error_last());
	} else {
		pr->kind = "cgroup";
		snprintf(pr->note, sizeof pr->note, "%s", run.note);
		snprintf(pr->why, sizeof pr->why, "aipm run measures its command in a cgroup of its own under %s: CPU "
						  "time from cpu.stat, members from cgroup.procs (a test cgroup was made "
						  "and removed)",
			 run.parent);
		struct aipm_cgroup_run_end end;
		aipm_cgroup_run_remove(&run, AIPM_CGROUP_MOVE_OUT, &end);
	}
	if (pr->have_hierarchy)
		aipm_cgroup_fs_close(&fs);
}

static int probe_open(struct probe *pr, const struct aipm_probe_options *in, void *out, const char *fn)
{
	memset(pr, 0, sizeof *pr);
	if (!out)
		return aipm_err(-EINVAL, "%s: the output pointer is NULL", fn);
	if (in) {
		int e = aipm_api_opts_check(in->version, AIPM_PROBE_OPTIONS_VERSION, fn, "probe");
		if (e < 0)
			return e;
		/* Version 1 has every member; a version 2 reads its own here. */
		pr->paths = (struct aipm_paths){
			.sysfs = in->sysfs_root,
			.proc = in->proc_root,
			.cgroup = in->cgroup_root,
			.nvml_lib = in->nvml_lib,
			.amdsmi_lib = in->amdsmi_lib,
		};
	}
	/* The calling process is the tree: a probe measures nothing. */
	pid_t self = getpid();
	struct aipm_pipeline_config cfg = {.paths = pr->paths, .roots = &self, .nroots = 1, .mem_interval_s = 1};
	int e = aipm_pipeline_open(&pr->p, &cfg);
	if (e < 0)
		return e; /* the pipeline's sentence names what failed */
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	aipm_pipeline_step(pr->p, &mono, &real, NULL);
	probe_scope(pr);
	return 0;
}

static const char *state(const struct aipm_source *s)
{
	if (!s->available)
		return "UNAVAILABLE";
	return s->last_rc < 0 ? "FAILING" : "available";
}

static void provides_json(struct aipm_buf *b, unsigned provides)
{
	aipm_buf_puts(b, ", \"provides\": [");
	bool first = true;
	for (unsigned i = 0; i < AIPM_PROVIDES_COUNT; i++)
		if (provides & (1u << i)) {
			aipm_buf_puts(b, first ? "" : ", ");
			aipm_buf_json_str(b, aipm_provides_name(i));
			first = false;
		}
	aipm_buf_puts(b, "]");
}

/* ", \"key\": \"value\"" when value is not empty. */
static void opt_str(struct aipm_buf *b, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	aipm_buf_printf(b, ", \"%s\": ", key);
	aipm_buf_json_str(b, value);
}

static void source_json(struct aipm_buf *b, struct aipm_source *s, bool first)
{
	aipm_buf_puts(b, first ? "{\"name\": " : ", {\"name\": ");
	aipm_buf_json_str(b, s->ops->name);
	aipm_buf_puts(b, ", \"what\": ");
	aipm_buf_json_str(b, s->ops->what);
	provides_json(b, s->ops->provides);
	aipm_buf_puts(b, s->available ? ", \"available\": true" : ", \"available\": false");
	aipm_buf_puts(b, s->available && s->last_rc == 0 ? ", \"sample_ok\": true" : ", \"sample_ok\": false");
	aipm_buf_puts(b, ", \"reason\": ");
	aipm_buf_json_str(b, s->reason);
	aipm_buf_puts(b, ", \"fix\": ");
	aipm_buf_json_str(b, s->fix);
	opt_str(b, "last_error", s->last_error);
	opt_str(b, "note", s->note);
	if (s->available && s->ops->describe) {
		aipm_buf_puts(b, ", \"details\": ");
		s->ops->describe(s, b);
	}
	aipm_buf_puts(b, "}");
}

static void probe_json(const struct probe *pr, struct aipm_buf *b)
{
	aipm_buf_puts(b, "{\"aipm_version\": ");
	aipm_buf_json_str(b, aipm_version());
	aipm_buf_puts(b, ", \"sysfs_root\": ");
	aipm_buf_json_str(b, aipm_paths_sysfs(&pr->paths));
	aipm_buf_puts(b, ", \"sources\": [");
	for (size_t i = 0; i < aipm_pipeline_nsources(pr->p); i++)
		source_json(b, aipm_pipeline_source(pr->p, i), i == 0);
	aipm_buf_puts(b, "], \"scope\": {\"kind\": ");
	aipm_buf_json_str(b, pr->kind);
	aipm_buf_puts(b, ", \"why\": ");
	aipm_buf_json_str(b, pr->why);
	opt_str(b, "note", pr->note);
	if (pr->have_hierarchy) {
		aipm_buf_puts(b, ", \"hierarchy\": ");
		aipm_buf_json_str(b, pr->hierarchy);
	}
	aipm_buf_puts(b, "}}\n");
}

static void probe_text(const struct probe *pr, struct aipm_buf *b)
{
	for (size_t i = 0; i < aipm_pipeline_nsources(pr->p); i++) {
		const struct aipm_source *s = aipm_pipeline_source(pr->p, i);
		aipm_buf_printf(b, "%-12s %-13s %s\n", s->ops->name, state(s), s->ops->what); /* "cpu_estimate" */
		aipm_buf_printf(b, "        %s\n", s->reason);
		if (s->last_error[0])
			aipm_buf_printf(b, "        sample failed: %s\n", s->last_error);
		if (s->note[0])
			aipm_buf_printf(b, "        left out: %s\n", s->note);
		if (!s->available && s->fix[0])
			aipm_buf_printf(b, "        fix: %s\n", s->fix);
	}
	aipm_buf_printf(b, "%-7s %-13s %s\n", "scope", pr->kind, "which processes aipm run measures");
	aipm_buf_printf(b, "        %s\n", pr->why);
	if (pr->note[0])
		aipm_buf_printf(b, "        left out: %s\n", pr->note);
	if (pr->have_hierarchy)
		aipm_buf_printf(b, "        %s\n", pr->hierarchy);
}

static int probe(const struct aipm_probe_options *opts, char **out, bool json, const char *fn)
{
	struct probe pr;
	int e = probe_open(&pr, opts, out, fn);
	if (e == 0) {
		struct aipm_buf b = {0};
		if (json)
			probe_json(&pr, &b);
		else
			probe_text(&pr, &b);
		e = aipm_api_give(&b, out);
	}
	aipm_pipeline_close(pr.p);
	return e;
}

AIPM_API int aipm_probe_json(const struct aipm_probe_options *opts, char **json_out)
{
	return probe(opts, json_out, true, "aipm_probe_json");
}

AIPM_API int aipm_probe_text(const struct aipm_probe_options *opts, char **text_out)
{
	return probe(opts, text_out, false, "aipm_probe_text");
}
