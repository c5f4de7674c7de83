/* report_phases.c: the views of `aipm report --by-phase` and
 * `aipm report --metrics`: each phase's energy, duration and CPU time, one
 * by one and summed by name, and the energy at each logged point. Numbers
 * come from analysis/phases.h, written to stdout as each window closes
 * (memory does not grow with the phases or points); this file only loops
 * over the DIRs. Kept apart from report.c so the two views grow
 * independently.
 */
#include <stdio.h>

#include "analysis/phases.h"
#include "common.h"
#include "report_phases.h"

static int one(const char *dir, bool metrics, bool json)
{
	struct aipm_out o = {.f = stdout};
	int rc = metrics ? aipm_metric_report_write(dir, json, &o) : aipm_phase_report_write(dir, json, &o);
	aipm_out_flush(&o, true);
	aipm_buf_free(&o.b);
	if (rc < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, metrics ? "report --metrics" : "report --by-phase");
	if (o.err)
		return cli_fail(AIPM_EXIT_FAIL, "report: writing the output failed");
	return AIPM_EXIT_OK;
}

int report_phases(char **dirs, int ndirs, bool metrics, bool json)
{
	/* JSON: one object for one DIR, a list of objects for several. */
	if (json && ndirs > 1)
		printf("[");
	for (int i = 0; i < ndirs; i++) {
		if (i)
			printf(json ? ", " : "\n");
		fflush(stdout);
		int rc = one(dirs[i], metrics, json);
		if (rc)
			return rc;
	}
	if (json)
		printf(ndirs > 1 ? "]\n" : "\n");
	return AIPM_EXIT_OK;
}
