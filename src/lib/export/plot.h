/* plot.h: a recording as a PNG or SVG picture (cairo). */
#ifndef AIPM_EXPORT_PLOT_H
#define AIPM_EXPORT_PLOT_H

#include <stddef.h>

struct aipm_plot_stats {
	int series, panels, phases, phases_dropped, segments;
	long long points, skipped_lines;
	int dropped_series; /* past the limit of series one picture can show */
};

/* Draw DIR's metrics into path (".png" or ".svg"). Each metric is a field
 * name as flatten.h spells it: "intel_power" is one line, "per_zone_power"
 * one line per zone, "per_gpu_power_draw.1" one GPU. nmetrics == 0 draws the
 * power of every zone and GPU. Clock time on the x axis, one panel per unit,
 * segments as gaps, phases (DIR/phases.json, paired as the report pairs
 * them) shaded. Memory stays bounded:
 * each series keeps at most a few thousand points, thinned evenly. */
int aipm_plot_write(const char *dir, const char *const *metrics, size_t nmetrics, const char *path,
		    struct aipm_plot_stats *stats);

#endif
