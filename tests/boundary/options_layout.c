/* options_layout.c: struct aipm_meter_options as the C compiler lays it
 * out, one "member offset size" line each, then "=sizeof N" and "=version N",
 * for check_ctypes.py to compare with the Python module's mirror. */
#include <stddef.h>
#include <stdio.h>

#include "aipm.h"

#define MEMBER(m) \
	printf("%s %zu %zu\n", #m, offsetof(struct aipm_meter_options, m), sizeof((struct aipm_meter_options *)0)->m)

int main(void)
{
	MEMBER(version);
	MEMBER(description);
	MEMBER(interval_s);
	MEMBER(mem_interval_s);
	MEMBER(append);
	MEMBER(sysfs_root);
	MEMBER(proc_root);
	MEMBER(cgroup_root);
	MEMBER(nvml_lib);
	MEMBER(amdsmi_lib);
	printf("=sizeof %zu\n=version %d\n", sizeof(struct aipm_meter_options), AIPM_METER_OPTIONS_VERSION);
	return 0;
}
