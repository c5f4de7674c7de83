/* devclock.h: how old a device's reading is, when the device stamps its
 * readings with a clock of its own.
 *
 * AMD SMI's energy count comes with the GPU's own timestamp (the metrics
 * table's system_clock_counter, ns): it says when the firmware last
 * updated the counter, on a clock whose zero is the device's. Only its
 * differences mean anything to aipm, so the offset between that clock and
 * CLOCK_MONOTONIC is estimated as the smallest (local time of a read -
 * device stamp) seen: a read that came right after an update sees almost
 * no delay, so the estimate is exact once one did (the off-grid edge
 * samples land at every phase of the update period and do), and an age is
 * never below 0. Until then an age is too small by at most one update
 * period. The offset may rise by DEVCLOCK_DRIFT per second (the two clocks
 * drift apart by a few ppm), so a clock slower than ours is followed too.
 *
 * Pure arithmetic, one struct per counter, no allocation.
 */
#ifndef AIPM_SOURCES_DEVCLOCK_H
#define AIPM_SOURCES_DEVCLOCK_H

#include <stdbool.h>

#define DEVCLOCK_DRIFT 1e-4 /* s per s the offset may rise: 100 ppm */

struct aipm_devclock {
	bool have;
	double offset_s;  /* local - device, the smallest seen (with drift) */
	double local_s;   /* when it was last updated */
};

/* The age (s, >= 0) at local time local_s (CLOCK_MONOTONIC) of a reading
 * the device stamped dev_s (its clock, s). */
double aipm_devclock_age(struct aipm_devclock *c, double dev_s, double local_s);

#endif
