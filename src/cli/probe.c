/* probe.c: `aipm probe [--json]`: each source, available or not, why, and
 * the fix. Opens the sources exactly as a recording would and takes one
 * sampling step, so a counter that opens but cannot be read is caught too:
 * the state shown comes from each source's health after that step. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aipm.h"
#include "args.h"
#include "common.h"
#include "pipeline.h"
#include "scope_opts.h"
#include "util.h"

enum { JSON = 1 };
static const struct cli_opt table[] = {
	CLI_FLAG(JSON, 0, "json", "one JSON object"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

/* 0, -1 after --help, or the exit status after the message. */
static int parse_args(int argc, char **argv, bool *json)
{
	struct cli_args a;
	cli_args_init(&a, "probe", tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		if (c == JSON) {
			*json = true;
		} else if (c == CLI_ARGS_HELP) {
			printf("usage: aipm probe [--json]\n\nSay which sources can measure on this machine, why the "
			       "others cannot, and how to fix them.\n\n");
			cli_args_help(stdout, tables);
			return -1;
		} else {
			return c == CLI_ARGS_OPERAND ? cli_args_unexpected(&a, a.value) : AIPM_EXIT_USAGE;
		}
	}
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

/* Which processes `aipm run` would measure here, and why: a cgroup of its
 * own (one was made and removed to be sure) or the process tree. */
static void scope_text(const struct scope_state *st)
{
	printf("%-7s %-13s %s\n", "scope", st->info.kind, "which processes aipm run measures");
	printf("        %s\n", st->info.why);
	if (st->info.note && *st->info.note)
		printf("        left out: %s\n", st->info.note);
	if (st->info.hierarchy)
		printf("        %s\n", st->info.hierarchy);
}

static void scope_json(struct aipm_buf *b, const struct scope_state *st)
{
	aipm_buf_puts(b, ", \"scope\": {\"kind\": ");
	aipm_buf_json_str(b, st->info.kind);
	aipm_buf_puts(b, ", \"why\": ");
	aipm_buf_json_str(b, st->info.why);
	if (st->info.note && *st->info.note) {
		aipm_buf_puts(b, ", \"note\": ");
		aipm_buf_json_str(b, st->info.note);
	}
	if (st->info.hierarchy) {
		aipm_buf_puts(b, ", \"hierarchy\": ");
		aipm_buf_json_str(b, st->info.hierarchy);
	}
	aipm_buf_puts(b, "}");
}

int cmd_probe(int argc, char **argv)
{
	bool json = false;
	int pr = parse_args(argc, argv, &json);
	if (pr)
		return pr < 0 ? AIPM_EXIT_OK : pr;
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
	struct scope_state st;
	scope_probe(&st);
	if (json) {
		aipm_buf_puts(&b, "]");
		scope_json(&b, &st);
		aipm_buf_puts(&b, "}");
		puts(b.data);
	} else {
		scope_text(&st);
	}
	scope_state_free(&st);
	aipm_buf_free(&b);
	aipm_pipeline_close(p);
	return 0;
}
