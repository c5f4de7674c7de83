/* plot.h: a recording as a picture: PNG (cairo), SVG, or SVG text for the
 * HTML report.
 *
 * The default picture (no metrics named) is the power of every zone and
 * GPU, the machine's power and the experiment's share of it as an area
 * under it, and a CPU estimate where the recording has one (dashed, with
 * its band). Powers are steps over the interval they average; series are
 * named for people ("package 0", "GPU 1 (NVIDIA A100)") with their energy
 * and mean power; elapsed time on x with the clock time under it; one
 * panel per unit, each from zero; segments as gaps; phases as bands, one
 * colour per name; the recording's description as the title. Memory stays
 * bounded: each series keeps at most a few thousand points, neighbours
 * merged at their mean.
 */
#ifndef AIPM_EXPORT_PLOT_H
#define AIPM_EXPORT_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct aipm_plot_stats {
	int series, panels, phases, phases_dropped, segments;
	long long points, skipped_lines;
	int dropped_series; /* past the limit of series one picture can show */
};

/* Draw DIR's metrics into path (".png" or ".svg"). Each metric is a field
 * name as flatten.h spells it: "intel_power" is one line, "per_zone_power"
 * one line per zone, "per_gpu_power_draw.1" one GPU. nmetrics == 0 draws
 * the default picture. A PNG needs cairo; an SVG does not. */
int aipm_plot_write(const char *dir, const char *const *metrics, size_t nmetrics, const char *path,
		    struct aipm_plot_stats *stats);
/* The same picture as SVG appended to out; inline_html leaves out what an
 * HTML page needs not (prolog, namespaces), so the page names nothing
 * outside itself. -ENODATA (message set) when there is nothing to draw. */
int aipm_plot_svg(const char *dir, const char *const *metrics, size_t nmetrics, bool inline_html,
		  struct aipm_buf *out, struct aipm_plot_stats *stats);

#endif
