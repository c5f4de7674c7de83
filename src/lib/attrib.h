/* attrib.h: interval quantities derived from two consecutive snapshots.
 *
 * Pure functions of (first, prev, cur), so they are tested without any
 * source. The invariants users of other meters miss, enforced here:
 *  - cumulative energies and CPU time never go back (a value that was not
 *    read holds the previous one; deltas below zero count as zero);
 *  - per-process shares of one interval sum to at most 1, and so does the
 *    experiment's share of one interval;
 *  - attributed energy never exceeds the measured energy of its domain;
 *  - a share over an incomplete list (a GPU process list not read whole)
 *    is unknown, never computed;
 *  - the CPU estimate (where no CPU energy is measured) stays apart from
 *    every measured quantity, and its attributed share never exceeds it,
 *    bound by bound.
 * Membership of GPU processes is decided here too (membership.h), after
 * every source has sampled.
 */
#ifndef AIPM_ATTRIB_H
#define AIPM_ATTRIB_H

#include "snapshot.h"

/* The most tree CPU time that may wait to be charged to later intervals
 * (see attrib.c): tick rounding needs a few ticks per CPU; a systematic
 * disagreement between the clocks must not pin the share at 1 for long. */
#define AIPM_CPU_CARRY_MAX_NS 1000000000ull

/* prev is NULL for the first sample of a recording; first is the first
 * snapshot of the recording (cur itself for the first sample). */
void aipm_snapshot_derive(struct aipm_snapshot *cur, const struct aipm_snapshot *prev,
			  const struct aipm_snapshot *first);

/* The experiment's CPU share of one interval, with carry: tree CPU time
 * dtree_ns plus what earlier intervals could not charge (carry_in_ns),
 * charged against the machine's busy time dbusy_ns. Returns the share in
 * [0,1] and sets *carry_out_ns. */
double aipm_cpu_share_carry(uint64_t dtree_ns, uint64_t dbusy_ns, uint64_t carry_in_ns, uint64_t *carry_out_ns);

#endif
