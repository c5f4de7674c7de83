/* recorder.h: a recording in progress, the glue of sampler, writer and
 * metadata that `aipm run`, `aipm attach` and the library's meter share.
 *
 * open() validates everything on disk before anything is started (the
 * directory, each file of the recording), so a bad -o DIR fails with
 * nothing running, and changes nothing an old recording holds: a new
 * power_metrics.json is staged beside the old one. start() begins sampling
 * once the roots of the tree are known; commit() makes the new recording
 * the recording (the staged file replaces the old one, old phases and
 * metrics go, metadata.json is written): start() does it itself unless
 * cfg.defer_commit, which `aipm run` sets to commit only once its command
 * has been exec'd. A recorder closed without a commit leaves the directory
 * as it found it. stop() takes the last sample, closes the segment and
 * completes metadata.json.
 *
 * A full disk loses nothing while memory holds: lines the disk refuses are
 * kept (record/writer.h) and written with the next one that fits, a
 * metadata.json the disk refused is saved again after the next line that
 * fits. The library never prints: cfg.on_event tells the caller at once
 * when writing starts failing and when it works again.
 */
#ifndef AIPM_RECORDER_H
#define AIPM_RECORDER_H

#include <stdbool.h>
#include <sys/resource.h>

#include "aipm.h"
#include "metadata.h"
#include "sampler.h"
#include "snapshot.h"

struct aipm_recorder;
struct aipm_outdir;

enum aipm_recorder_event {
	AIPM_RECORDER_WRITE_FAILING, /* the disk refuses the recording; lines are held */
	AIPM_RECORDER_WRITE_RESUMED, /* everything held is written */
};

struct aipm_recorder_config {
	const char *dir;
	bool append;
	bool as_owner; /* as root: write into another user's directory as that user */
	bool defer_commit;
	struct aipm_run_info info;
	bool exclude_own_thread; /* library mode */
	bool no_cpu_estimate;    /* --no-estimate */
	/* Roots and library paths for the sources; NULL: read from the
	 * environment in the thread that calls start (the CLI's way; the
	 * library's meter always passes its options' own). */
	const struct aipm_paths *paths;
	/* Optional, called from the sampler thread or the caller's with one
	 * sentence (no "aipm: " prefix) when the state of writing changes. */
	void (*on_event)(void *ctx, enum aipm_recorder_event ev, const char *msg);
	void *on_event_ctx;
};

/* *replaced: an existing recording will be replaced (not appended to) at
 * commit. *closed_open: appending found a last segment without its end (a
 * killed run) and closed it. Either may be NULL. */
int aipm_recorder_open(struct aipm_recorder **out, const struct aipm_recorder_config *cfg, bool *replaced,
		       bool *closed_open);
int aipm_recorder_start(struct aipm_recorder *r, const pid_t *roots, size_t nroots);
int aipm_recorder_commit(struct aipm_recorder *r);
void aipm_recorder_add_reaped(struct aipm_recorder *r, const struct rusage *ru);
bool aipm_recorder_tree_alive(struct aipm_recorder *r);
/* exit_status < 0 when there is none. Returns an error, with a sentence
 * saying what is missing, when part of the recording could not be
 * written (lines, the segment's end, metadata.json). */
int aipm_recorder_stop(struct aipm_recorder *r, int exit_status);
/* After stop: what became of the scope (aipm run's cgroup removed, the
 * processes that outlived the command), into metadata.json. */
int aipm_recorder_scope_end(struct aipm_recorder *r, const struct aipm_scope_end *e);
/* Stop when started and committed; otherwise undo (see above). */
void aipm_recorder_close(struct aipm_recorder *r);
/* Store s as the recording's model_summary.json (replaced atomically,
 * like every file of the recording). */
struct aipm_model_summary;
int aipm_recorder_store_model(struct aipm_recorder *r, const struct aipm_model_summary *s);
/* ---- edge samples: the instants of phases and logged points ----
 *
 * A phase's begin and end and a logged point are instants; their line in
 * phases.json or results_exp.json carries the time of a sample taken at
 * that instant (an "edge" line of power_metrics.json), so a report reads
 * the counters there instead of interpolating between grid samples.
 * aipm_recorder_edge() takes that sample, with three bounds so a mark
 * stays cheap for its caller and many marks do not flood the recording:
 *
 *  - a sample (grid or edge) taken less than AIPM_EDGE_SHARE_US before is
 *    shared: the instant is that sample's time (at most that much early),
 *    so `end A; begin B` back to back meet at one sample;
 *  - edge samples are budgeted: AIPM_EDGE_BURST at once, AIPM_EDGE_PER_S
 *    per second sustained (a token bucket); past it an instant is the
 *    clock's time, its edge interpolated between the samples around it;
 *  - the caller waits for the sample at most AIPM_EDGE_WAIT_MS; later, the
 *    instant is the clock's time at the call (the sample is still taken).
 *
 * Returns AIPM_EDGE_SAMPLED or AIPM_EDGE_SHARED with *at the sample's
 * CLOCK_REALTIME, or AIPM_EDGE_CLOCK with *at the clock's (also before
 * start and after stop). Never fails. Any thread; not from the sink. */
#define AIPM_EDGE_SHARE_US 1000
#define AIPM_EDGE_BURST 16
#define AIPM_EDGE_PER_S 20
#define AIPM_EDGE_WAIT_MS 50
enum aipm_edge_kind { AIPM_EDGE_CLOCK, AIPM_EDGE_SAMPLED, AIPM_EDGE_SHARED };
enum aipm_edge_kind aipm_recorder_edge(struct aipm_recorder *r, const char *why, struct timespec *at);
/* The same as a hook of record/phases.h (ctx is the recorder): > 0 when
 * *at is a sample's time. */
int aipm_recorder_edge_hook(void *ctx, const char *why, struct timespec *at);
/* Instants served so far, by kind, and how many of the clock's came from
 * the budget or the wait (for tests and benchmarks). */
struct aipm_edge_stats {
	unsigned long long sampled, shared, clock, over_budget, late;
};
void aipm_recorder_edge_stats(struct aipm_recorder *r, struct aipm_edge_stats *out);

struct aipm_sampler *aipm_recorder_sampler(struct aipm_recorder *r);
struct aipm_outdir *aipm_recorder_outdir(struct aipm_recorder *r);
const char *aipm_recorder_dir(const struct aipm_recorder *r);

/* An interval in seconds within AIPM_INTERVAL_MIN_S..max_s (aipm.h),
 * what naming it in the message ("interval_s", "-i"). The CLI and the
 * library check every interval with it. */
int aipm_interval_check(const char *what, double v, double max_s);

#endif
