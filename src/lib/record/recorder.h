/* recorder.h: a recording in progress, the glue of sampler, writer and
 * metadata that `aipm run`, `aipm attach` and the library's meter share.
 *
 * open() validates and creates everything on disk before anything is
 * started, so a bad -o DIR fails with nothing running; start() begins
 * sampling once the roots of the tree are known; stop() takes the last
 * sample, closes the segment and completes metadata.json.
 */
#ifndef AIPM_RECORDER_H
#define AIPM_RECORDER_H

#include <stdbool.h>
#include <sys/resource.h>

#include "metadata.h"
#include "sampler.h"
#include "snapshot.h"

struct aipm_recorder;

struct aipm_recorder_config {
	const char *dir;
	bool append;
	struct aipm_run_info info;
	bool exclude_own_thread; /* library mode */
	/* Optional observer called after each line is written (sampler thread). */
	void (*on_sample)(void *ctx, const struct aipm_snapshot *snap);
	void *on_sample_ctx;
};

/* *replaced: an existing recording was replaced (not appended to). */
int aipm_recorder_open(struct aipm_recorder **out, const struct aipm_recorder_config *cfg, bool *replaced);
int aipm_recorder_start(struct aipm_recorder *r, const pid_t *roots, size_t nroots);
void aipm_recorder_add_reaped(struct aipm_recorder *r, const struct rusage *ru);
bool aipm_recorder_tree_alive(struct aipm_recorder *r);
/* exit_status < 0 when there is none. Returns the first write error seen
 * during the run, if any. */
int aipm_recorder_stop(struct aipm_recorder *r, int exit_status);
void aipm_recorder_close(struct aipm_recorder *r);
struct aipm_sampler *aipm_recorder_sampler(struct aipm_recorder *r);
const char *aipm_recorder_dir(const struct aipm_recorder *r);

#endif
