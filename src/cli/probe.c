/* probe.c: `aipm probe [--json]`: each source, available or not, why, and
 * the fix. Opens the sources exactly as a recording would, takes one
 * sample so a counter that opens but cannot be read is caught too. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aipm.h"
#include "common.h"
#include "sampler.h"
#include "util.h"

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
	struct aipm_source_config cfg = {.roots = &self, .nroots = 1, .mem_interval_s = 1};
	struct aipm_source *src[16];
	size_t n = 0;
	if (aipm_sources_open(&cfg, src, &n) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "probe");
	struct aipm_snapshot snap;
	aipm_snapshot_init(&snap);
	aipm_sources_sample(src, n, &snap);
	struct aipm_buf b = {0};
	if (json) {
		aipm_buf_puts(&b, "{\"aipm_version\": ");
		aipm_buf_json_str(&b, aipm_version());
		aipm_buf_puts(&b, ", \"sysfs_root\": ");
		aipm_buf_json_str(&b, aipm_sysfs_root());
		aipm_buf_puts(&b, ", \"sources\": [");
	}
	for (size_t i = 0; i < n; i++) {
		struct aipm_source *s = src[i];
		if (json) {
			aipm_buf_puts(&b, i ? ", {\"name\": " : "{\"name\": ");
			aipm_buf_json_str(&b, s->ops->name);
			aipm_buf_puts(&b, ", \"what\": ");
			aipm_buf_json_str(&b, s->ops->what);
			aipm_buf_puts(&b, s->available ? ", \"available\": true" : ", \"available\": false");
			aipm_buf_puts(&b, ", \"reason\": ");
			aipm_buf_json_str(&b, s->reason);
			aipm_buf_puts(&b, ", \"fix\": ");
			aipm_buf_json_str(&b, s->fix);
			if (s->available && s->ops->describe) {
				aipm_buf_puts(&b, ", \"details\": ");
				s->ops->describe(s, &b);
			}
			aipm_buf_puts(&b, "}");
		} else {
			printf("%-7s %-13s %s\n", s->ops->name, s->available ? "available" : "UNAVAILABLE", s->ops->what);
			printf("        %s\n", s->reason);
			if (!s->available && s->fix[0])
				printf("        fix: %s\n", s->fix);
		}
	}
	if (json) {
		aipm_buf_puts(&b, "]}");
		puts(b.data);
	}
	aipm_buf_free(&b);
	aipm_snapshot_free(&snap);
	aipm_sources_close(src, n);
	return 0;
}
