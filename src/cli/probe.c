/* probe.c: `aipm probe [--json]`: each source, available or not, why, and
 * the fix, then the scope `aipm run` would use. Flags and the environment
 * only: the probe itself is the library's (aipm_probe_json/_text in
 * aipm.h), which opens the sources exactly as a recording would and takes
 * one sampling step, so a counter that opens but cannot be read is caught. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "common.h"

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
	/* The environment is read here, in the CLI: the library never calls
	 * getenv (aipm.h says why). */
	struct aipm_probe_options po;
	aipm_probe_options_init(&po, AIPM_PROBE_OPTIONS_VERSION);
	po.sysfs_root = getenv("AIPM_SYSFS_ROOT");
	po.proc_root = getenv("AIPM_PROC_ROOT");
	po.cgroup_root = getenv("AIPM_CGROUP_ROOT");
	po.nvml_lib = getenv("AIPM_NVML_LIB");
	po.amdsmi_lib = getenv("AIPM_AMDSMI_LIB");
	char *out = NULL;
	if ((json ? aipm_probe_json(&po, &out) : aipm_probe_text(&po, &out)) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "probe");
	fputs(out, stdout);
	aipm_string_free(out);
	return 0;
}
