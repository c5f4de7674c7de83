/* writer.h: the recording, out. Turns published snapshots into
 * power_metrics.json lines (docs/recording.md); never reads hardware. */
#ifndef AIPM_WRITER_H
#define AIPM_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "snapshot.h"
#include "util.h"

struct aipm_writer;
struct aipm_outdir;

/* Open DIR's power_metrics.json. append=false stages a new file beside an
 * existing one (*replaced tells whether there is one) that replaces it at
 * aipm_writer_commit, so a run that never starts leaves the old recording
 * as it was. append=true adds to the file; a last segment without its END
 * line (a killed run) is closed first and *closed_open says so. */
int aipm_writer_open(struct aipm_writer **out, struct aipm_outdir *dir, bool append, bool *replaced,
		     bool *closed_open);
/* Append one line for s, whole or not at all. When the disk refuses it
 * (full, quota), the line is held in memory (AIPM_WRITER_HOLD_MAX bytes at
 * most, the oldest dropped first but the segment's first line kept) and
 * written before the next one: returns the error while lines are held, 0
 * once everything is on disk. */
int aipm_writer_write(struct aipm_writer *w, const struct aipm_snapshot *s);
/* Write the "END OF RECORDING SEGMENT" line (held like a sample line). */
int aipm_writer_end_segment(struct aipm_writer *w);
/* Put the staged file in place of the old one (replace mode; a no-op
 * when appending). */
int aipm_writer_commit(struct aipm_writer *w);
/* Lines held in memory now, and lines dropped for good since open. */
void aipm_writer_held(const struct aipm_writer *w, size_t *held, uint64_t *dropped);
/* Close. Before a commit, undo: remove the staged file, or cut an
 * appended file back to its size at open. */
void aipm_writer_close(struct aipm_writer *w);

#define AIPM_WRITER_HOLD_MAX (4u << 20)

/* Build the JSON line of s into b (no newline). Exposed for tests/bench. */
void aipm_writer_format(struct aipm_buf *b, const struct aipm_snapshot *s);
/* The GPU sections of a line (writer_gpu.c): ", \"gpu\": {...}" for
 * NVIDIA devices, ", \"<vendor>_gpu\": {...}" for each other vendor of the
 * catalog; appends nothing when the catalog has no device. */
void aipm_writer_format_gpu(struct aipm_buf *b, const struct aipm_snapshot *s);
/* The CPU estimate's section (writer_estimate.c): ", \"cpu_estimate\":
 * {...}" when the catalog has an estimate, nothing otherwise. */
void aipm_writer_format_cpu_estimate(struct aipm_buf *b, const struct aipm_snapshot *s);

#endif
