/* api_export.c: aipm_export_csv and aipm_plot (include/aipm.h), the
 * files of `aipm export --csv` and `aipm plot`.
 *
 * Glue only: the CSV is export/csv.h's, the picture export/plot.h's. What
 * lives here is the public stats struct, read and filled as the version
 * its caller says it is, and the checks of what a caller hands in.
 */
#include "aipm.h"

#include <errno.h>
#include <string.h>

#include "api_util.h"
#include "error.h"
#include "export/csv.h"
#include "export/plot.h"

/* Refused before anything is written: a caller whose stats the library
 * cannot fill would otherwise learn of it after the file was made. */
static int stats_check(const struct aipm_export_stats *st, const char *fn)
{
	if (!st)
		return 0;
	if (st->version == 0)
		return aipm_err(-EINVAL, "%s: the stats' version is 0. Set it to AIPM_EXPORT_STATS_VERSION (or "
					 "start from AIPM_EXPORT_STATS_INIT)", fn);
	if (st->version > AIPM_EXPORT_STATS_VERSION)
		return aipm_err(-EINVAL, "%s: stats version %u is newer than this libaipm %s knows (up to %u): the "
					 "program was built against a newer aipm.h. Link it with that newer libaipm",
				fn, st->version, AIPM_VERSION_STRING, AIPM_EXPORT_STATS_VERSION);
	return 0;
}

/* Version 1 has every member; a version 2 fills its own only when asked. */
static void stats_give(struct aipm_export_stats *out, const struct aipm_export_stats *all)
{
	if (!out)
		return;
	unsigned v = out->version;
	*out = *all;
	out->version = v;
}

AIPM_API int aipm_export_csv(const char *dir, FILE *out, struct aipm_export_stats *stats)
{
	const char *fn = "aipm_export_csv";
	int e = aipm_api_check_out(dir, out, fn, "out");
	if (e == 0)
		e = stats_check(stats, fn);
	if (e < 0)
		return e;
	struct aipm_csv_stats st = {0};
	e = aipm_csv_export(dir, out, &st);
	stats_give(stats, &(struct aipm_export_stats){.rows = st.rows, .columns = st.columns,
						       .skipped_lines = st.skipped_lines, .segments = st.segments});
	return e;
}

AIPM_API int aipm_plot(const char *dir, const char *const *metrics, size_t nmetrics, const char *path,
		       struct aipm_export_stats *stats)
{
	const char *fn = "aipm_plot";
	int e = aipm_api_check_out(dir, path, fn, "path");
	if (e == 0 && nmetrics && !metrics)
		e = aipm_err(-EINVAL, "%s: metrics is NULL", fn);
	for (size_t i = 0; e == 0 && i < nmetrics; i++)
		if (!metrics[i] || !*metrics[i])
			e = aipm_err(-EINVAL, "%s: metric %zu is empty. Give a field name, e.g. intel_power", fn, i);
	if (e == 0)
		e = stats_check(stats, fn);
	if (e < 0)
		return e;
	struct aipm_plot_stats st = {0};
	e = aipm_plot_write(dir, metrics, nmetrics, path, &st);
	stats_give(stats, &(struct aipm_export_stats){.points = st.points, .skipped_lines = st.skipped_lines,
						       .segments = st.segments, .series = st.series,
						       .panels = st.panels, .phases = st.phases,
						       .phases_dropped = st.phases_dropped,
						       .dropped_series = st.dropped_series});
	return e;
}
