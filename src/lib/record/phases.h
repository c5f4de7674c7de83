/* phases.h: the side files of a recording written from inside the
 * experiment: phases.json (named intervals, JSON lines with a date and a
 * timestamp) and results_exp.json (experiment metrics, a JSON array of
 * AIPowerMeter's records, written by results.h) (docs/recording.md).
 *
 * One struct aipm_phases serves the library's meter and the control socket
 * of `aipm run`, so both write the same lines. It keeps the set of open
 * phases to refuse an end without a begin and a begin of a phase already
 * open (phases of one name never nest). With append it replays the open
 * phases of the existing phases.json, so a phase may begin in one segment
 * and end in the next; the analysis clips it per segment.
 *
 * The recording stage only: this module never reads power_metrics.json and
 * computes no energy. Thread-safe: one mutex per struct.
 */
#ifndef AIPM_RECORD_PHASES_H
#define AIPM_RECORD_PHASES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "record/format.h"

#define AIPM_PHASE_NAME_MAX AIPM_FORMAT_NAME_MAX /* the file's limit, once */

struct aipm_phases;

struct aipm_outdir;

/* Prepare the phase and metric files of the recording in dir (checked like
 * every file of a recording: record/outdir.h). With append the open phases
 * of phases.json are replayed; without, the old files are left to the
 * recorder, which removes them when the new recording takes over
 * (aipm_recorder_commit). Files are created on first use, so a recording
 * without phases has no phases.json. */
int aipm_phases_open(struct aipm_phases **out, struct aipm_outdir *dir, bool append);
int aipm_phases_begin(struct aipm_phases *p, const char *name);
int aipm_phases_end(struct aipm_phases *p, const char *name);
/* One results_exp.json record holding n metrics (names unique, not a key
 * of the record itself, values finite). */
int aipm_phases_log(struct aipm_phases *p, const char *const *names, const double *values, size_t n);
/* Where a line's time comes from. fn(ctx, why, at) takes a sample at this
 * instant for the line (why says what for: "begin NAME", "end NAME",
 * "log") and puts its time in *at: > 0 when *at is a sample's time, 0 when
 * it is only the clock's. Lines at a sample are marked (AIPM_KEY_EDGE_SAMPLE
 * in phases.json). Without a hook, a line has the clock's time. Set it
 * before the first line: it is read without the lock. */
typedef int (*aipm_phases_edge_fn)(void *ctx, const char *why, struct timespec *at);
void aipm_phases_set_edge(struct aipm_phases *p, aipm_phases_edge_fn fn, void *ctx);
void aipm_phases_close(struct aipm_phases *p);

/* A valid phase or metric name: 1..128 bytes, printable, no '='. Sets the
 * message; what is "phase" or "metric". */
int aipm_phases_check_name(const char *what, const char *name);

#endif
