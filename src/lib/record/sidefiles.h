/* sidefiles.h: the files around power_metrics.json, read once, here.
 *
 * metadata.json and model_summary.json are small objects read whole;
 * phases.json and results_exp.json grow with the experiment and are read
 * as streams, one record at a time, in constant memory (sidelines.c). The
 * phase-pairing rule lives here and nowhere else: the report, the CSV
 * export, the plots and `--append`'s replay of open phases all pair
 * through aipm_phase_pair.
 *
 * Nothing here fails on a damaged file: what cannot be read is counted or
 * described (status, problem) so the report can say so; only running out
 * of memory or a missing phases/results file (when asked for) is an error.
 */
#ifndef AIPM_RECORD_SIDEFILES_H
#define AIPM_RECORD_SIDEFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "record/format.h"

/* ---- metadata.json ---- */

enum aipm_meta_status {
	AIPM_META_OK,
	AIPM_META_MISSING,    /* no metadata.json */
	AIPM_META_UNREADABLE, /* not a regular file, no permission, too large */
	AIPM_META_CORRUPT,    /* not one JSON object: half-written or damaged */
};

/* What a source measures ("provides", the words of format.h): why a part
 * was not measured is the reason of an unavailable source that provides
 * it. Bit i stands for aipm_format_provides_word(i). */
enum {
	AIPM_META_CPU_ENERGY = 1u << 0,
	AIPM_META_DRAM_ENERGY = 1u << 1,
	AIPM_META_GPU_ENERGY = 1u << 2,
	AIPM_META_PROCESSES = 1u << 3,
	AIPM_META_MACHINE = 1u << 4,
	AIPM_META_TEMPERATURE = 1u << 5,
	AIPM_META_CPU_ESTIMATE = 1u << 6,
};

struct aipm_meta_source {
	char name[64];
	bool available;
	unsigned provides; /* from "provides", else from the name (rapl, nvml) */
	char reason[512], fix[512];
};

struct aipm_meta_gpu {
	char vendor[AIPM_FORMAT_VENDOR_MAX + 1];
	long index;
	char name[128], uuid[128];
	bool integrated; /* energy_source "integrated" */
};

/* How the CPU estimate was made: the details of the available source
 * providing cpu_energy_estimate (docs/estimate.md); method "" when none. */
struct aipm_meta_estimate {
	char method[32], table[32], table_version[192], row_key[128], arch[32];
	long row; /* the row's line in its table, 0 for an average */
	char text[640];
};

/* Per-source health summed over the segments (segments[].sources[]). */
struct aipm_meta_health {
	char source[64];
	long long samples, failed;
	char last_error[256];
};

struct aipm_meta {
	enum aipm_meta_status status;
	char problem[512]; /* why status is not OK, in words */
	bool aipm;         /* names an aipm_version */
	char description[512];
	size_t nsources, ngpus, nhealth;
	struct aipm_meta_source *sources;
	struct aipm_meta_gpu *gpus;
	struct aipm_meta_health *health;
	struct aipm_meta_estimate estimate;
};

/* Read DIR/metadata.json. 0 whatever its state (status says), -ENOMEM. */
int aipm_meta_read(const char *dir, struct aipm_meta *m);
void aipm_meta_free(struct aipm_meta *m);
/* Why `part` (an AIPM_META_* bit) was not measured: the reasons (and
 * fixes) of the unavailable sources providing it, "name: reason; ...".
 * false when no unavailable source provides it. */
bool aipm_meta_unmeasured(const struct aipm_meta *m, unsigned part, char *reason, size_t rsize, char *fix,
			  size_t fsize);
/* The description metadata.json gives GPU (vendor, index), or NULL. */
const struct aipm_meta_gpu *aipm_meta_gpu(const struct aipm_meta *m, const char *vendor, long index);

/* ---- model_summary.json ---- */

/* Parameters and MACs (aipm's params_total/macs, AIPowerMeter's
 * total_params/total_mult_adds); NAN when absent. 0 or -ENOMEM. */
int aipm_model_numbers(const char *dir, double *params, double *macs);

/* ---- phases.json: events and the one pairing rule ---- */

struct aipm_phase_event {
	double ts;
	char name[AIPM_FORMAT_NAME_MAX + 1];
	bool begin;
};

struct aipm_phase_file;
/* -ENOENT (message: how to add phases) when DIR has no phases.json. */
int aipm_phase_file_open(const char *dir, struct aipm_phase_file **out);
/* The same for a phases.json named by its path (the writer's replay hands
 * a descriptor opened safely, as /proc/self/fd/N). */
int aipm_phase_file_open_path(const char *path, struct aipm_phase_file **out);
/* 1: the next well-formed event in *ev; 0: the end; -errno on error.
 * Unreadable lines are skipped and counted. */
int aipm_phase_file_next(struct aipm_phase_file *f, struct aipm_phase_event *ev);
long long aipm_phase_file_skipped(const struct aipm_phase_file *f);
void aipm_phase_file_close(struct aipm_phase_file *f);

/* The pairing rule: a "begin" of a name not open opens a phase (ids count
 * phases in begin order, occurrences count per name from 1); an "end"
 * closes the open phase of its name if it is not before its begin.
 * Anything else (a begin of an open name, an end of a name not open or
 * before its begin) is refused: skipped and counted. A phase never ended
 * stays open: it runs to the end of the recording. */
enum aipm_phase_step_kind { AIPM_PHASE_OPENED, AIPM_PHASE_CLOSED, AIPM_PHASE_REFUSED };
struct aipm_phase_step {
	enum aipm_phase_step_kind kind;
	size_t id;
	int occurrence;
	double begin_ts; /* CLOSED: the begin it closes */
};
struct aipm_phase_pairing;
int aipm_phase_pairing_new(struct aipm_phase_pairing **out);
/* 0, or -ENOMEM (message set). */
int aipm_phase_pair(struct aipm_phase_pairing *p, const struct aipm_phase_event *ev, struct aipm_phase_step *st);
long long aipm_phase_pairing_refused(const struct aipm_phase_pairing *p);
/* The names open now, in first-seen order: call with i = 0, 1, ... until
 * NULL. */
const char *aipm_phase_pairing_open_name(const struct aipm_phase_pairing *p, size_t *i);
void aipm_phase_pairing_free(struct aipm_phase_pairing *p);

/* phases.json as the edges of its phases in time order, paired by the rule
 * above: what every view of phases reads. Edges a little out of time order
 * in the file (AIPM_PHASE_REORDER deep) come out in order; a phase never
 * ended gets its end at +INFINITY, after the last line. Ties keep file
 * order, so a phase's begin comes before its end. */
#define AIPM_PHASE_REORDER 64
struct aipm_phase_edge {
	double ts;
	size_t id;      /* phases counted in begin order (file order) */
	int occurrence; /* of its name, from 1 */
	bool end;
	bool open;      /* an end at +INFINITY: the phase was never ended */
	char name[AIPM_FORMAT_NAME_MAX + 1];
};
struct aipm_phase_edges;
/* -ENOENT (message: how to add phases) when DIR has no phases.json. */
int aipm_phase_edges_open(const char *dir, struct aipm_phase_edges **out);
/* 1: the next edge; 0: the end; -errno (message set). */
int aipm_phase_edges_next(struct aipm_phase_edges *e, struct aipm_phase_edge *out);
/* Lines not used: unreadable, or refused by the pairing rule. */
long long aipm_phase_edges_skipped(const struct aipm_phase_edges *e);
void aipm_phase_edges_close(struct aipm_phase_edges *e);

/* ---- results_exp.json: logged metrics ---- */

struct aipm_result {
	double ts;
	const char *metrics_json; /* one JSON object, valid until the next call */
};
struct aipm_results_file;
/* -ENOENT (message: how to log) when DIR has no results_exp.json. */
int aipm_results_open(const char *dir, struct aipm_results_file **out);
/* 1: the next record; 0: the end; -errno. Records are read in any of the
 * layouts docs/recording.md names (JSON lines, a JSON array, AIPowerMeter's
 * records with end_training_epoch); unreadable ones are skipped, counted. */
int aipm_results_next(struct aipm_results_file *f, struct aipm_result *r);
long long aipm_results_skipped(const struct aipm_results_file *f);
void aipm_results_close(struct aipm_results_file *f);

#endif
