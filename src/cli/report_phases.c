/* report_phases.c: the views of `aipm report --by-phase` and
 * `aipm report --metrics`: each phase's energy, duration and CPU time, one
 * by one and summed by name, and the energy at each logged point. Numbers
 * come from analysis/phases.h; this file only loops over the DIRs and
 * prints. Kept apart from report.c so the two views grow independently.
 */
#include <stdio.h>

#include "analysis/phases.h"
#include "common.h"
#include "report_phases.h"

static int one(const char *dir, bool metrics, bool json, int threads)
{
	struct aipm_buf b = {0};
	if (metrics) {
		struct aipm_metric_report *r;
		if (aipm_metric_report_load(dir, threads, &r) < 0)
			return cli_fail_lib(AIPM_EXIT_FAIL, "report --metrics");
		if (json)
			aipm_metric_report_json(r, &b);
		else
			aipm_metric_report_print(r, stdout);
		aipm_metric_report_free(r);
	} else {
		struct aipm_phase_report *r;
		if (aipm_phase_report_load(dir, threads, &r) < 0)
			return cli_fail_lib(AIPM_EXIT_FAIL, "report --by-phase");
		if (json)
			aipm_phase_report_json(r, &b);
		else
			aipm_phase_report_print(r, stdout);
		aipm_phase_report_free(r);
	}
	if (b.oom)
		return cli_fail(AIPM_EXIT_FAIL, "out of memory");
	if (b.data)
		fputs(b.data, stdout);
	aipm_buf_free(&b);
	return AIPM_EXIT_OK;
}

int report_phases(char **dirs, int ndirs, bool metrics, bool json, int threads)
{
	/* JSON: one object for one DIR, a list of objects for several. */
	if (json && ndirs > 1)
		printf("[");
	for (int i = 0; i < ndirs; i++) {
		if (i)
			printf(json ? ", " : "\n");
		int rc = one(dirs[i], metrics, json, threads);
		if (rc)
			return rc;
	}
	if (json)
		printf(ndirs > 1 ? "]\n" : "\n");
	return AIPM_EXIT_OK;
}
