/* writer.h: the recording, out. Turns published snapshots into
 * power_metrics.json lines (docs/recording.md); never reads hardware. */
#ifndef AIPM_WRITER_H
#define AIPM_WRITER_H

#include <stdbool.h>

#include "snapshot.h"
#include "util.h"

struct aipm_writer;

/* Open DIR/power_metrics.json (creating DIR). append=false replaces an
 * existing file; *replaced tells whether one was there. */
int aipm_writer_open(struct aipm_writer **out, const char *dir, bool append, bool *replaced);
/* Append one line for s (one write(): a line is whole on disk or absent). */
int aipm_writer_write(struct aipm_writer *w, const struct aipm_snapshot *s);
/* Write the "END OF RECORDING SEGMENT" line. */
int aipm_writer_end_segment(struct aipm_writer *w);
void aipm_writer_close(struct aipm_writer *w);

/* Build the JSON line of s into b (no newline). Exposed for tests/bench. */
void aipm_writer_format(struct aipm_buf *b, const struct aipm_snapshot *s);
/* The GPU sections of a line (writer_gpu.c): ", \"gpu\": {...}" for
 * NVIDIA devices, ", \"<vendor>_gpu\": {...}" for each other vendor of the
 * catalog; appends nothing when the catalog has no device. */
void aipm_writer_format_gpu(struct aipm_buf *b, const struct aipm_snapshot *s);

#endif
