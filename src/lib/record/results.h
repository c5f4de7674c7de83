/* results.h: results_exp.json, written (the experiment's logged metrics).
 *
 * The file is one JSON array of records, one record per line, each
 * AIPowerMeter's shape: an "end_training_epoch" ISO date (local time with
 * its UTC offset, microseconds) and the metrics as members beside it:
 *
 *     [
 *     {"end_training_epoch": "2026-11-25T19:21:05.600000+01:00", "epoch": 1, "acc": 0.93},
 *     {"end_training_epoch": "2026-11-25T19:22:05.100000+01:00", "epoch": 2, "acc": 0.95}
 *     ]
 *
 * AIPowerMeter's reader takes the file with one json.load, so it must be
 * one JSON value at every moment, and aipm's promise is that a killed run
 * keeps every record logged before the kill. A record is therefore added
 * with one pwrite that replaces the closing bracket: ",\n{record}\n]\n"
 * over "\n]\n". Before the call the file is a closed array, after it a
 * closed array with one record more; a write cut short (a full disk) is
 * undone (the old bytes put back, the file cut to its old size). Only a
 * crash inside the kernel's copy of those few bytes (a power cut, a SIGKILL
 * between two pages) can leave an unclosed array: aipm's reader still reads
 * every whole record of it, and the next --append closes it again.
 *
 * With --append, a results_exp.json in another layout (aipm's older JSON
 * lines, an array cut short, AIPowerMeter's object of records) is rewritten
 * into this one, atomically, through the one reader (sidefiles.h): no
 * record is lost, and new ones can be added.
 *
 * The recording stage only; files through record/outdir.h. Not
 * thread-safe: its caller (phases.c) holds a lock.
 */
#ifndef AIPM_RECORD_RESULTS_H
#define AIPM_RECORD_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct aipm_outdir;
struct aipm_results_writer;

/* Prepare results_exp.json in dir; the file is created at the first record.
 * append: an existing file is kept (rewritten into the array layout when it
 * is in another one). */
int aipm_results_writer_open(struct aipm_results_writer **out, struct aipm_outdir *dir, bool append);
/* One record of n metrics at the instant at (CLOCK_REALTIME; the time of
 * the sample taken for it, see phases.h). Names and values are checked by
 * the caller (aipm_phases_log). 0, or -errno with a message: the record is
 * then not in the file, and the file is as it was. */
int aipm_results_writer_log(struct aipm_results_writer *w, const char *const *names, const double *values,
			    size_t n, const struct timespec *at);
void aipm_results_writer_close(struct aipm_results_writer *w);

/* Names a metric may not take: the record's own keys (its date, and the
 * keys aipm's reader takes for a time or for the metrics object). */
bool aipm_results_reserved_name(const char *name);

#endif
