/* views_layout.c: struct aipm_probe_options and struct aipm_report_options
 * as the C compiler lays them out, "STRUCT member offset size" per member,
 * then "STRUCT =sizeof N" and "STRUCT =version N", for
 * check_ctypes_views.py to compare with the Python module's mirrors. Every
 * member must be listed: one left out shows as bytes that do not add up. */
#include <stddef.h>
#include <stdio.h>

#include "aipm.h"

#define MEMBER(s, m) printf("%s %s %zu %zu\n", #s, #m, offsetof(struct s, m), sizeof((struct s *)0)->m)
#define END(s, v) printf("%s =sizeof %zu\n%s =version %d\n", #s, sizeof(struct s), #s, v)

int main(void)
{
	MEMBER(aipm_probe_options, version);
	MEMBER(aipm_probe_options, sysfs_root);
	MEMBER(aipm_probe_options, proc_root);
	MEMBER(aipm_probe_options, cgroup_root);
	MEMBER(aipm_probe_options, nvml_lib);
	MEMBER(aipm_probe_options, amdsmi_lib);
	END(aipm_probe_options, AIPM_PROBE_OPTIONS_VERSION);
	MEMBER(aipm_report_options, version);
	MEMBER(aipm_report_options, view);
	MEMBER(aipm_report_options, has_from);
	MEMBER(aipm_report_options, from_relative);
	MEMBER(aipm_report_options, from_s);
	MEMBER(aipm_report_options, has_to);
	MEMBER(aipm_report_options, to_relative);
	MEMBER(aipm_report_options, to_s);
	MEMBER(aipm_report_options, has_carbon);
	MEMBER(aipm_report_options, carbon_g_per_kwh);
	MEMBER(aipm_report_options, has_pue);
	MEMBER(aipm_report_options, pue);
	MEMBER(aipm_report_options, threads);
	END(aipm_report_options, AIPM_REPORT_OPTIONS_VERSION);
	return 0;
}
