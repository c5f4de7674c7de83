/* probe.c: `aipm probe [--json]`: each source, available or not, why, and
 * the fix. Opens the sources exactly as a recording would and takes one
 * sampling step, so a counter that opens but cannot be read is caught too:
 * the state shown comes from each source's health after that step. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aipm.h"
#include "common.h"
#include "pipeline.h"
#include "util.h"

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
	if (s->last_error[0]) {
		aipm_buf_puts(b, ", \"last_error\": ");
		aipm_buf_json_str(b, s->last_error);
	}
	if (s->note[0]) {
		aipm_buf_puts(b, ", \"note\": ");
		aipm_buf_json_str(b, s->note);
	}
	if (s->available && s->ops->describe) {
		aipm_buf_puts(b, ", \"details\": ");
		s->ops->describe(s, b);
	}
	aipm_buf_puts(b, "}");
}

static void source_text(const struct aipm_source *s)
{
	printf("%-12s %-13s %s\n", s->ops->name, state(s), s->ops->what); /* "cpu_estimate" */
	printf("        %s\n", s->reason);
	if (s->last_error[0])
		printf("        sample failed: %s\n", s->last_error);
	if (s->note[0])
		printf("        left out: %s\n", s->note);
	if (!s->available && s->fix[0])
		printf("        fix: %s\n", s->fix);
}

int cmd_probe(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: aipm probe [--json]\n\nSay which sources can measure on this machine, why the "
			       "others cannot, and how to fix them.\n");
			return 0;
		} else
			return cli_fail(AIPM_EXIT_USAGE, "probe: unknown argument '%s'. Usage: aipm probe [--json]",
					argv[i]);
	}
	pid_t self = getpid();
	struct aipm_pipeline_config cfg = {.roots = &self, .nroots = 1, .mem_interval_s = 1};
	aipm_paths_from_env(&cfg.paths);
	struct aipm_pipeline *p = NULL;
	if (aipm_pipeline_open(&p, &cfg) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "probe");
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	aipm_pipeline_step(p, &mono, &real, NULL);
	size_t n = aipm_pipeline_nsources(p);
	struct aipm_buf b = {0};
	if (json) {
		aipm_buf_puts(&b, "{\"aipm_version\": ");
		aipm_buf_json_str(&b, aipm_version());
		aipm_buf_puts(&b, ", \"sysfs_root\": ");
		aipm_buf_json_str(&b, aipm_paths_sysfs(&cfg.paths));
		aipm_buf_puts(&b, ", \"sources\": [");
	}
	for (size_t i = 0; i < n; i++) {
		if (json)
			source_json(&b, aipm_pipeline_source(p, i), i == 0);
		else
			source_text(aipm_pipeline_source(p, i));
	}
	if (json) {
		aipm_buf_puts(&b, "]}");
		puts(b.data);
	}
	aipm_buf_free(&b);
	aipm_pipeline_close(p);
	return 0;
}
