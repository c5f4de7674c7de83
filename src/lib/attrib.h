/* attrib.h: interval quantities derived from two consecutive snapshots.
 *
 * Pure functions of (first, prev, cur), so they are tested without any
 * source. The invariants users of other meters miss, enforced here:
 *  - cumulative energies never go back (deltas below zero count as zero);
 *  - per-process shares of one interval sum to at most 1;
 *  - attributed energy never exceeds the measured energy of its zone.
 */
#ifndef AIPM_ATTRIB_H
#define AIPM_ATTRIB_H

#include "snapshot.h"

/* prev is NULL for the first sample of a recording; first is the first
 * snapshot of the recording (cur itself for the first sample). */
void aipm_snapshot_derive(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			  const struct aipm_snapshot *first);

#endif
