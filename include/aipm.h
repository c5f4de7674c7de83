/* aipm.h: the public C API of libaipm.
 *
 * Measure the energy of the calling process and its descendants from inside
 * a program, and read recordings back. Every function returns 0 (or a
 * non-negative count) on success and a negative errno on failure; the reason
 * is then in aipm_error_last(), a sentence meant for a person. The library
 * never prints and never exits. All functions are thread-safe.
 */
#ifndef AIPM_H
#define AIPM_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "aipm_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define AIPM_API __attribute__((visibility("default")))
#else
#define AIPM_API
#endif

/* The last error of the calling thread, never NULL. */
AIPM_API const char *aipm_error_last(void);
/* The version of the loaded library ("0.1.0"); AIPM_VERSION_STRING is the
 * one of the header the program was compiled with (aipm_version.h). */
AIPM_API const char *aipm_version(void);

/* ---- Measuring from inside a program ------------------------------------
 *
 * A meter records the calling process and every process it starts into a
 * recording directory, the same recording `aipm run -o DIR` writes
 * (docs/recording.md), from a background sampler thread whose own CPU time
 * is subtracted from the process's. `aipm report DIR` reads it.
 *
 *     aipm_meter *m;
 *     if (aipm_meter_start(&m, "out", NULL) < 0)
 *             fprintf(stderr, "%s\n", aipm_error_last());
 *     aipm_meter_phase_begin(m, "train");  ...  aipm_meter_phase_end(m, "train");
 *     aipm_meter_log(m, "accuracy", 0.93);
 *     aipm_meter_stop(m);
 *     aipm_meter_free(m);
 *
 * One meter at a time per process: a second aipm_meter_start while one runs
 * fails with -EBUSY (two samplers would each count the other's CPU time as
 * the experiment's, and RAPL counts the machine once). Start a new one
 * after aipm_meter_stop. Every call on a NULL meter, and a stop of a meter
 * already stopped, fails with -EINVAL. The functions of one meter may be
 * called from any thread.
 */
typedef struct aipm_meter aipm_meter;

/* The bounds of every interval (the options below, aipm's -i,
 * --mem-interval and serve --interval): under 1 ms the meter would be its
 * own load; over 60 s between samples a RAPL counter can wrap twice unseen.
 * Memory scans may be as rare as one an hour. */
#define AIPM_INTERVAL_MIN_S 0.001
#define AIPM_INTERVAL_MAX_S 60.0
#define AIPM_MEM_INTERVAL_MAX_S 3600.0

/* Options of a meter. They start with a version so that a member added
 * later is not an ABI break: a program built against this header keeps
 * working with a newer libaipm, which reads only the members this version
 * has. Fill them as libgit2's git_*_options_init does:
 *
 *     struct aipm_meter_options o;
 *     aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION);
 *     o.interval_s = 0.02;
 *
 * or `struct aipm_meter_options o = AIPM_METER_OPTIONS_INIT;`. A struct
 * whose version is 0 (zero-filled, never initialised) or newer than the
 * library knows is refused with -EINVAL and a sentence saying so.
 *
 * The library reads no environment variable: a host thread calling setenv
 * while a getenv runs is undefined behaviour in glibc, and a library
 * cannot know when its host does. The roots and library paths below are
 * where the hardware is found; NULL or "" means the system's own. The
 * `aipm` command and the Python module map AIPM_SYSFS_ROOT, AIPM_PROC_ROOT,
 * AIPM_CGROUP_ROOT, AIPM_NVML_LIB and AIPM_AMDSMI_LIB onto them; a C
 * program that wants those variables honoured passes them on itself
 * (examples/train_val_test.c does). The strings are copied at start. */
#define AIPM_METER_OPTIONS_VERSION 1

struct aipm_meter_options {
	unsigned int version;    /* AIPM_METER_OPTIONS_VERSION, set by aipm_meter_options_init */
	const char *description; /* metadata.json's description; NULL: none */
	double interval_s;       /* sampling interval; 0: 0.1 s, else 0.001..60 */
	double mem_interval_s;   /* PSS/USS and temperature interval; 0: 1 s, else 0.001..3600 */
	int append;              /* nonzero: add a segment to DIR's recording
				  * instead of replacing it */
	const char *sysfs_root;  /* "/sys": powercap (RAPL), hwmon */
	const char *proc_root;   /* "/proc": the process tree, CPU and memory */
	const char *cgroup_root; /* "/sys/fs/cgroup" */
	const char *nvml_lib;    /* "libnvidia-ml.so.1", or a path to it */
	const char *amdsmi_lib;  /* "libamd_smi.so", or a path to it */
};

/* Designated, so that -Wextra's missing-field-initializers stays quiet
 * (C; from C++ call aipm_meter_options_init). */
#define AIPM_METER_OPTIONS_INIT {.version = AIPM_METER_OPTIONS_VERSION}

/* Fill opts with the defaults of the given version (every member 0 or
 * NULL). Returns 0, or -EINVAL for a NULL opts or a version this library
 * does not know (then opts is left as it was). */
AIPM_API int aipm_meter_options_init(struct aipm_meter_options *opts, unsigned int version);

/* Start measuring into dir (created if needed). opts may be NULL: the
 * defaults, as aipm_meter_options_init gives them. Returns once the first
 * sample is taken. */
AIPM_API int aipm_meter_start(aipm_meter **out, const char *dir, const struct aipm_meter_options *opts);
/* Take the last sample and close the recording's segment. Phases still open
 * stay open in phases.json: a later appended segment may end them, and a
 * report runs them to the end of the recording. Lines a full disk refused
 * during the run are kept in memory and written once it takes them again;
 * returns an error saying what is missing when some never reached it.
 * A meter belongs to the process that started it: in a child made by
 * fork() every call on it fails with -ECHILD, aipm_meter_free returns at
 * once, and the parent's recording is left alone. */
AIPM_API int aipm_meter_stop(aipm_meter *m);
/* Stop (when not stopped yet) and free. NULL is fine. */
AIPM_API void aipm_meter_free(aipm_meter *m);
AIPM_API const char *aipm_meter_dir(const aipm_meter *m);

/* Phases: named intervals in phases.json. A name may repeat (one train
 * phase per epoch), but a phase already open cannot begin again (-EALREADY)
 * and a phase not open cannot end (-EINVAL). Names: 1..128 printable bytes. */
AIPM_API int aipm_meter_phase_begin(aipm_meter *m, const char *name);
AIPM_API int aipm_meter_phase_end(aipm_meter *m, const char *name);
/* Experiment metrics: one results_exp.json record with the time and the
 * metric(s). Values must be finite; metric names hold no '=' and are not
 * the record's own keys (end_training_epoch, timestamp, date, metrics). */
AIPM_API int aipm_meter_log(aipm_meter *m, const char *name, double value);
AIPM_API int aipm_meter_log_many(aipm_meter *m, const char *const *names, const double *values, size_t n);
/* Model complexity: read the ONNX file at onnx_path as `aipm model` does
 * (parameters, multiply-accumulates) and store it as model_summary.json in
 * the meter's recording. input_shapes: n "NAME=1x3x224x224" strings for
 * inputs whose shape the file leaves symbolic (n may be 0). */
AIPM_API int aipm_meter_model(aipm_meter *m, const char *onnx_path, const char *const *input_shapes, size_t n);

/* ---- A recording driven by its caller -------------------------------------
 *
 * What `aipm run` and `aipm attach` are built on, and what the meter above
 * is a special case of (roots: the calling process, its sampler thread's
 * CPU time excluded, no scope): a recording of any processes (roots), a
 * cgroup, or the whole machine, whose caller decides when it starts, when
 * it becomes the recording (commit) and when it ends.
 *
 *     aipm_recording *r;
 *     aipm_recording_open(&r, "out", &opts);   the directory checked, nothing runs
 *     aipm_recording_start(r, &pid, 1);        sampling; returns after the first sample
 *     aipm_recording_commit(r);                (only with opts.defer_commit)
 *     ... aipm_recording_tree_alive(r) ... aipm_recording_add_reaped(r, us) ...
 *     aipm_recording_stop(r, status);
 *     aipm_recording_close(r);
 *
 * open changes nothing the directory holds: a new power_metrics.json is
 * staged beside the old one until commit. commit replaces the old
 * recording (or adds the segment); a recording closed without a commit
 * leaves the directory as open found it, so a command that could not be
 * started loses nothing. With defer_commit 0, start commits itself. Every
 * call on a NULL handle fails with -EINVAL. Unlike the meter, several
 * recordings may run in one process (each counts the other's sampler as
 * the experiment's only when their roots include the process). */
typedef struct aipm_recording aipm_recording;

/* What the recording measures besides its roots: a cgroup, or the process
 * tree of the roots and why no cgroup, for metadata.json's "scope"
 * (docs/recording.md). Read, and its strings copied, at start, not open:
 * the caller may settle it in between (aipm run makes its cgroup and moves
 * the forked command in, or falls back to the tree, after opening). Labels:
 * "" or NULL where they do not apply. */
struct aipm_recording_scope {
	const char *kind;      /* "cgroup" or "proc-tree" */
	const char *cgroup;    /* kind "cgroup": its hierarchy path, which is then what is measured */
	const char *why;       /* why this scope; for a process tree, why no cgroup */
	const char *note;      /* what it lacks (no memory.* there); NULL: nothing */
	const char *hierarchy; /* where cgroup v2 is, one sentence; NULL: none */
	int created;           /* made for this recording, removed at its end */
	const char *slurm_job, *slurm_sluid, *slurm_step; /* a Slurm job or step */
	const char *container_id, *runtime, *pod_uid, *qos; /* a container or pod */
};

/* The events of aipm_recording_options.on_event. */
enum aipm_recording_event {
	AIPM_RECORDING_WRITE_FAILING = 0, /* the disk refuses the recording; lines are held in memory */
	AIPM_RECORDING_WRITE_RESUMED = 1, /* everything held is written */
};

/* Options of a recording, versioned as the meter's (aipm_meter_options
 * says how); the five roots and library paths have the meter's names and
 * meaning. */
#define AIPM_RECORDING_OPTIONS_VERSION 1

struct aipm_recording_options {
	unsigned int version;       /* AIPM_RECORDING_OPTIONS_VERSION, set by aipm_recording_options_init */
	const char *mode;           /* metadata.json's "mode" ("run", "attach"); NULL: "library" */
	const char *const *command; /* metadata.json's "command": a NULL-terminated argv; NULL: none */
	const char *description;    /* metadata.json's description; NULL: none */
	double interval_s;          /* as the meter's: 0: 0.1 s */
	double mem_interval_s;      /* as the meter's: 0: 1 s */
	int append;                 /* nonzero: add a segment instead of replacing */
	int as_owner;               /* as root: write into another user's directory as that user */
	int defer_commit;           /* nonzero: start does not commit; call aipm_recording_commit */
	int gpu_all_processes;      /* every GPU process is the experiment's (containers) */
	int no_cpu_estimate;        /* no CPU power estimate where RAPL is missing */
	int exclude_own_thread;     /* the sampler thread's CPU time is not the roots' (the meter's way) */
	const char *sysfs_root, *proc_root, *cgroup_root, *nvml_lib, *amdsmi_lib;
	/* Called with one sentence (no "aipm: " prefix) when writing starts
	 * failing and when it works again, from the sampler thread or the
	 * caller's: the library never prints. NULL: not told. */
	void (*on_event)(void *ctx, enum aipm_recording_event event, const char *message);
	void *on_event_ctx;
	const struct aipm_recording_scope *scope; /* NULL: the process tree of the roots; read at start */
	const pid_t *pids;          /* metadata.json's "pids" (attach); copied */
	size_t npids;
};

#define AIPM_RECORDING_OPTIONS_INIT {.version = AIPM_RECORDING_OPTIONS_VERSION}

/* aipm_recording_flags: what open found. */
#define AIPM_RECORDING_REPLACES 1u    /* a recording is there, replaced at commit */
#define AIPM_RECORDING_CLOSED_OPEN 2u /* appending found a last segment without its end (a
				       * killed run) and closed it */

/* As aipm_meter_options_init: 0, or -EINVAL (opts left as it was). */
AIPM_API int aipm_recording_options_init(struct aipm_recording_options *opts, unsigned int version);
/* Check dir and every file of the recording there (created if needed),
 * start nothing. opts may be NULL (the defaults). */
AIPM_API int aipm_recording_open(aipm_recording **out, const char *dir, const struct aipm_recording_options *opts);
/* AIPM_RECORDING_* bits of what open found; 0 for NULL. */
AIPM_API unsigned int aipm_recording_flags(const aipm_recording *r);
AIPM_API const char *aipm_recording_dir(const aipm_recording *r);
/* Start sampling the nroots processes in roots and their descendants
 * (nroots 0 and no scope cgroup: the whole machine); returns once the
 * first sample is taken. Once only. */
AIPM_API int aipm_recording_start(aipm_recording *r, const pid_t *roots, size_t nroots);
/* Make the started recording the recording (with defer_commit). */
AIPM_API int aipm_recording_commit(aipm_recording *r);
/* A descendant the caller reaped (wait4): its user+system CPU time in
 * microseconds, which /proc no longer shows. */
AIPM_API int aipm_recording_add_reaped(aipm_recording *r, unsigned long long cpu_us);
/* 1 while a process of the tree (or the scope's cgroup) lives, 0 once none
 * does, -EINVAL for NULL; 1 before start. */
AIPM_API int aipm_recording_tree_alive(aipm_recording *r);
/* Take the last sample, close the segment, complete metadata.json.
 * exit_status < 0: none (attach). Errors as aipm_meter_stop's. */
AIPM_API int aipm_recording_stop(aipm_recording *r, int exit_status);
/* After stop: what became of the scope, into metadata.json. */
struct aipm_recording_scope_end {
	const char *policy;         /* "move-out", "keep" or "kill"; NULL: none */
	size_t left;                /* processes still in the cgroup when the command ended */
	const pid_t *pids;          /* the first of them */
	size_t npids;
	size_t moved;               /* moved back to the parent (move-out) */
	int removed;                /* the cgroup is gone */
	const char *error;          /* why it could not be removed; NULL */
	int have_usage;             /* the cgroup's cpu.stat usage at the end */
	unsigned long long usage_usec;
	int have_memory_peak;       /* memory.peak, where the memory controller is on */
	unsigned long long memory_peak_bytes;
};
AIPM_API int aipm_recording_scope_end(aipm_recording *r, const struct aipm_recording_scope_end *e);
/* Stop when started and committed; undo when not committed; free. NULL is
 * fine. */
AIPM_API void aipm_recording_close(aipm_recording *r);
/* Phases, metrics and the model, as the meter's calls (same rules, same
 * files), from any thread, before stop. */
AIPM_API int aipm_recording_phase_begin(aipm_recording *r, const char *name);
AIPM_API int aipm_recording_phase_end(aipm_recording *r, const char *name);
AIPM_API int aipm_recording_log_many(aipm_recording *r, const char *const *names, const double *values, size_t n);
AIPM_API int aipm_recording_model(aipm_recording *r, const char *onnx_path, const char *const *input_shapes,
				  size_t n);
/* After start: what the live sources lack, one sentence a line (no
 * "aipm: " prefix): each source missing whose loss must be said (RAPL:
 * always; GPUs: when asked for and requested nonzero) with its reason and
 * fix, and each estimate standing in for a measurement. "" when nothing.
 * Into *text_out (aipm_string_free). */
AIPM_API int aipm_recording_warnings_text(aipm_recording *r, int requested, char **text_out);
/* The summary `aipm run` prints at its end: the last segment of the
 * recording in dir, as text, into *text_out (aipm_string_free). */
AIPM_API int aipm_recording_last_segment_text(const char *dir, char **text_out);

/* ---- Reading a recording -------------------------------------------------
 *
 * Each returns 0 and a NUL-terminated JSON text in *json_out that the
 * caller frees with aipm_string_free; *json_out is untouched on failure.
 *   summary: the object of `aipm report DIR --json`.
 *   phases:  {"phases": [one object per phase interval], "by_name": [...]}
 *            with energy_j, attributed_j, duration_s, cpu_time_s (the
 *            README lists the keys); `aipm report --by-phase --json`.
 *   metrics: {"points": [one object per results_exp.json line with the
 *            energy since the start and since the previous point]};
 *            `aipm report --metrics --json`.
 */
AIPM_API int aipm_recording_summary_json(const char *dir, char **json_out);
AIPM_API int aipm_recording_phases_json(const char *dir, char **json_out);
AIPM_API int aipm_recording_metrics_json(const char *dir, char **json_out);
/* The recording as CSV text, as `aipm export --csv` writes it: one row per
 * sample, one column per metric (per-pid and per-GPU values as
 * "name.key"), an empty cell where a sample lacks the metric. */
AIPM_API int aipm_recording_csv(const char *dir, char **csv_out);
AIPM_API void aipm_string_free(char *s);

/* ---- The report of `aipm report` ------------------------------------------
 *
 * The text and JSON `aipm report DIR...` prints, byte for byte, for one
 * recording or several (one block each and their total; the JSON's
 * top-level keys are then the total's and "recordings" holds the blocks),
 * over the whole recording or a window of it, and its views by phase and
 * by logged point. Options as the meter's: versioned, filled by
 * aipm_report_options_init; every member 0 means "not asked for", so a
 * zero-filled struct of the right version is the plain report. */
#define AIPM_REPORT_OPTIONS_VERSION 1

enum aipm_report_view {
	AIPM_REPORT_SUMMARY = 0, /* totals: energy per zone and GPU, share, CPU time, memory, model */
	AIPM_REPORT_PHASES = 1,  /* --by-phase: each phase, one by one and summed by name */
	AIPM_REPORT_METRICS = 2, /* --metrics: the energy at each logged point */
};

struct aipm_report_options {
	unsigned int version;    /* AIPM_REPORT_OPTIONS_VERSION, set by aipm_report_options_init */
	int view;                /* enum aipm_report_view */
	/* The window (--from, --to; summary view only): each bound only
	 * where its has_ flag is set. A bound is seconds from the recording's
	 * first sample where its _relative flag is set, else Unix time
	 * (aipm_report_time_parse reads both forms the command takes). */
	int has_from, from_relative;
	double from_s;
	int has_to, to_relative;
	double to_s;
	int has_carbon;          /* add the emissions at carbon_g_per_kwh (>= 0) */
	double carbon_g_per_kwh;
	int has_pue;             /* add the facility energy at pue (>= 1) */
	double pue;
	int threads;             /* parse with this many threads; 0: all online CPUs */
};

#define AIPM_REPORT_OPTIONS_INIT {.version = AIPM_REPORT_OPTIONS_VERSION}

/* As aipm_meter_options_init: 0, or -EINVAL (opts left as it was). */
AIPM_API int aipm_report_options_init(struct aipm_report_options *opts, unsigned int version);
/* A --from/--to value: "90.5" (seconds from the start: *relative = 1) or
 * a local date "2026-11-25 19:20:01[.ffffff]" (Unix seconds: *relative =
 * 0). -EINVAL with the sentence otherwise; outputs untouched then. */
AIPM_API int aipm_report_time_parse(const char *text, double *value_s, int *relative);
/* The report of the ndirs recordings in dirs, as text or JSON, into *out
 * (free with aipm_string_free; untouched on failure), or written to f as
 * it is made (phases and points as their windows close: memory does not
 * grow with them). opts may be NULL (the plain report). -EINVAL for
 * options out of range (a window that ends before it starts, a PUE under
 * 1), -ENOENT and friends for a recording that cannot be read, -EIO when
 * writing to f failed. A failure of f's writer part-way leaves what was
 * written. */
AIPM_API int aipm_report_text(const char *const *dirs, size_t ndirs, const struct aipm_report_options *opts,
			      char **text_out);
AIPM_API int aipm_report_json(const char *const *dirs, size_t ndirs, const struct aipm_report_options *opts,
			      char **json_out);
AIPM_API int aipm_report_write(const char *const *dirs, size_t ndirs, const struct aipm_report_options *opts,
			       int json, FILE *f);
/* One recording as one self-contained HTML page (headline, tables, plots,
 * phases, logged points, model, machine) into path, replaced whole ("-":
 * standard output). The page holds the whole recording: a window or a
 * view other than the summary is refused (-EINVAL); carbon, PUE and
 * threads are used. */
AIPM_API int aipm_report_html(const char *dir, const struct aipm_report_options *opts, const char *path);

/* ---- CSV and plots ---------------------------------------------------------
 *
 * What was written, for a line to the person who asked (the `aipm`
 * command's "wrote FILE: 120 rows, 14 columns"). The caller sets version
 * (AIPM_EXPORT_STATS_VERSION, or use AIPM_EXPORT_STATS_INIT) and the
 * library fills the members that version has, so a member added later is
 * not an ABI break; a stats of version 0 or one too new is refused with
 * -EINVAL before anything is written. stats may be NULL. */
#define AIPM_EXPORT_STATS_VERSION 1

struct aipm_export_stats {
	unsigned int version;     /* set by the caller */
	long long rows, columns;  /* CSV: rows (samples) and columns */
	long long points;         /* plot: points drawn */
	long long skipped_lines;  /* blank, corrupt or truncated lines left out */
	int segments;             /* segments of the recording */
	int series, panels;       /* plot: series drawn, panels (one per unit) */
	int phases;               /* plot: phases shaded */
	int phases_dropped;       /* plot: phases past the 256 shaded */
	int dropped_series;       /* plot: series past the 48 one picture shows */
};

#define AIPM_EXPORT_STATS_INIT {.version = AIPM_EXPORT_STATS_VERSION}

/* The recording in dir as CSV to out (aipm_recording_csv's text, as it is
 * made: two passes over the file, constant memory in its length). */
AIPM_API int aipm_export_csv(const char *dir, FILE *out, struct aipm_export_stats *stats);
/* Draw metrics of dir over time into path (".png", which needs a libaipm
 * built with cairo, or ".svg"): the picture of `aipm plot`. Each metric is
 * a field name as the CSV's columns spell it, or their prefix
 * ("per_zone_power": one line per zone); nmetrics 0 draws the default
 * picture (every zone's and GPU's power, the experiment's share). */
AIPM_API int aipm_plot(const char *dir, const char *const *metrics, size_t nmetrics, const char *path,
		       struct aipm_export_stats *stats);

/* ---- Model complexity --------------------------------------------------------
 *
 * The ONNX file at onnx_path read as `aipm model` reads it: parameters
 * (total and trainable) and multiply-accumulates of one forward pass, per
 * operator type, operators that cannot be sized listed (never counted as
 * 0). input_shapes: n "NAME=1x3x224x224" strings for inputs whose shape the
 * file leaves symbolic. JSON: the object stored as model_summary.json;
 * text: the table; each the bytes `aipm model [--json]` prints. Into *out, freed with
 * aipm_string_free. -EINVAL for a shape that is malformed or missing,
 * -EBADMSG, -ELOOP or -EOVERFLOW for a file that is no complete model,
 * -ENOENT and friends for one that cannot be read. */
AIPM_API int aipm_model_json(const char *onnx_path, const char *const *input_shapes, size_t n, char **json_out);
AIPM_API int aipm_model_text(const char *onnx_path, const char *const *input_shapes, size_t n, char **text_out);

/* ---- What this machine can measure --------------------------------------
 *
 * `aipm probe`: every source (RAPL, /proc, cgroups, NVML, AMD SMI, hwmon,
 * the CPU estimate), whether it is available, why, and the fix, after
 * opening it exactly as a recording would and taking one sample, so a
 * counter that opens but cannot be read shows as failing; then which
 * processes `aipm run` would measure here (a cgroup of its own, tried by
 * making and removing one under the calling process's cgroup, or the
 * process tree).
 *
 * Its options are their own struct rather than aipm_meter_options: a
 * description, an interval or append mean nothing to a probe, and one
 * struct serving both would make each version bump the other's. The five
 * roots and library paths have the same names, meaning and defaults as the
 * meter's (NULL or "": the system's own; never the environment). */
#define AIPM_PROBE_OPTIONS_VERSION 1

struct aipm_probe_options {
	unsigned int version;    /* AIPM_PROBE_OPTIONS_VERSION, set by aipm_probe_options_init */
	const char *sysfs_root;  /* "/sys" */
	const char *proc_root;   /* "/proc" */
	const char *cgroup_root; /* "/sys/fs/cgroup" */
	const char *nvml_lib;    /* "libnvidia-ml.so.1" */
	const char *amdsmi_lib;  /* "libamd_smi.so" */
};

#define AIPM_PROBE_OPTIONS_INIT {.version = AIPM_PROBE_OPTIONS_VERSION}

/* As aipm_meter_options_init: 0, or -EINVAL (opts left as it was). */
AIPM_API int aipm_probe_options_init(struct aipm_probe_options *opts, unsigned int version);
/* What `aipm probe --json` prints (one object, {"aipm_version",
 * "sysfs_root", "sources": [{"name", "what", "provides", "available",
 * "sample_ok", "reason", "fix", ...}], "scope": {"kind", "why", ...}}, and
 * a newline), or what `aipm probe` prints, into *out (free it with
 * aipm_string_free; untouched on failure). opts may be NULL (the
 * defaults). A source that is missing is no error: it is in the answer
 * with its reason. */
AIPM_API int aipm_probe_json(const struct aipm_probe_options *opts, char **json_out);
AIPM_API int aipm_probe_text(const struct aipm_probe_options *opts, char **text_out);

#ifdef __cplusplus
}
#endif
#endif
