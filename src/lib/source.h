/* source.h: the interface every measurement source implements.
 *
 * A source is one kind of hardware or kernel counter (RAPL, the process
 * tree in /proc, NVML, AMD SMI, hwmon). At open it finds what it can
 * measure and publishes it once in the catalog (snapshot.h), keeping the
 * ids it got; at each sample it sets values for those ids through the
 * snapshot helpers: raw cumulative counters, never rates across samples
 * (the sampler derives those), never JSON (the writer), never a message on
 * stderr. It reads no other source's output and no environment variable
 * (the caller resolves paths, struct aipm_paths); it keeps no clock of its
 * own: the sampler says in struct aipm_sample_ctx when the slow tier is due.
 *
 * Hardware that is absent is not an error: open() still returns a source,
 * marked unavailable, with the reason and the fix a person needs. What a
 * source leaves out while running (a limit reached, a degraded read) goes
 * in its note, so metadata.json and `aipm probe` say exactly what and why.
 *
 * Adding a source means one file with one `const struct aipm_source_ops`,
 * one line in registry.c (and its file in sources/meson.build), and its
 * tests. Nothing downstream knows sources by name: consumers iterate the
 * catalog, and the CLI's warnings come from `provides`/`missing`/`say`.
 */
#ifndef AIPM_SOURCE_H
#define AIPM_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"
#include "util.h"

struct aipm_membership;

/* Roots and library paths. NULL or "" means the default; the sources never
 * read the environment themselves (the sampler thread would race a host's
 * setenv): aipm_paths_from_env() fills this in the caller's thread. */
struct aipm_paths {
	const char *sysfs;      /* "/sys"                  AIPM_SYSFS_ROOT */
	const char *proc;       /* "/proc"                 AIPM_PROC_ROOT */
	const char *cgroup;     /* "/sys/fs/cgroup"        AIPM_CGROUP_ROOT (reserved) */
	const char *nvml_lib;   /* "libnvidia-ml.so.1"     AIPM_NVML_LIB */
	const char *amdsmi_lib; /* "libamd_smi.so"         AIPM_AMDSMI_LIB */
};

/* Fill p from the environment (pointers into environ: copy them before a
 * later setenv could free them; aipm_paths_copy does). */
void aipm_paths_from_env(struct aipm_paths *p);
/* The effective value: the given path or the default. */
const char *aipm_paths_sysfs(const struct aipm_paths *p);
const char *aipm_paths_proc(const struct aipm_paths *p);

/* What the sampler tells every source at open time. */
struct aipm_source_config {
	struct aipm_paths paths;
	/* Who belongs to the experiment (membership.h): roots, aipm's own
	 * pid, machine-wide mode. NULL: no tree. */
	const struct aipm_membership *membership;
	/* CPU time (ns) of descendants that aipm reaped with wait4, owned by
	 * the sampler, updated by the reaping thread. */
	_Atomic uint64_t *reaped_ns;
	/* --no-estimate: no CPU power estimate even where no CPU energy is
	 * measured (sources/cpu_estimate.c). */
	bool no_cpu_estimate;
};

/* What the sampler tells every source at each sample. */
struct aipm_sample_ctx {
	uint64_t seq;             /* 0 for the first sample */
	struct timespec mono;     /* CLOCK_MONOTONIC of this sample */
	struct timespec real;     /* CLOCK_REALTIME of this sample */
	/* The slow tier is due: PSS/USS, temperatures, GPU temperature and
	 * power limit. Values of the slow tier read earlier are held and
	 * set again at the samples in between. */
	bool slow;
	/* CPU time of the thread taking this sample, to take out of the
	 * tree when aipm measures its own process (library mode). */
	bool exclude_self_thread;
	uint64_t self_thread_ns;
};

/* What a source measures, for metadata.json ("provides") and for the
 * generic warnings of the CLI. */
enum {
	AIPM_PROVIDES_CPU_ENERGY = 1u << 0,
	AIPM_PROVIDES_DRAM_ENERGY = 1u << 1,
	AIPM_PROVIDES_GPU_ENERGY = 1u << 2,
	AIPM_PROVIDES_PROCESSES = 1u << 3,
	AIPM_PROVIDES_MACHINE = 1u << 4,
	AIPM_PROVIDES_TEMPERATURE = 1u << 5,
	/* A model, not a measurement: the CLI says so when it is available. */
	AIPM_PROVIDES_CPU_ESTIMATE = 1u << 6,
};
#define AIPM_PROVIDES_COUNT 7
/* "cpu_energy", ... for bit number i (0 .. AIPM_PROVIDES_COUNT-1). */
const char *aipm_provides_name(unsigned i);

/* When the CLI says that a source is missing. */
enum aipm_say {
	AIPM_SAY_ALWAYS,       /* even with --quiet: a recording without it is incomplete */
	AIPM_SAY_IF_REQUESTED, /* only when the user asked for it (a library path given) */
	AIPM_SAY_NEVER,
};

struct aipm_source_ops;

/* The base every source's private state embeds first. */
struct aipm_source {
	const struct aipm_source_ops *ops;
	bool available;
	bool requested;   /* the user pointed at this source (e.g. AIPM_NVML_LIB) */
	char reason[384]; /* available: what it found; else why not */
	char fix[384];    /* unavailable: what to do about it ("" if nothing) */
	char note[384];   /* what was left out or degraded, and why ("" if nothing) */
	/* Health, kept by the sampler after every sample() call. */
	int last_rc;      /* 0 or -errno of the latest sample() */
	uint64_t samples; /* sample() calls */
	uint64_t failed;  /* of which returned an error */
	char last_error[256]; /* the message of the latest failure, "" if none */
};

struct aipm_source_ops {
	const char *name;    /* "rapl", "procfs", "nvml", "amdsmi", "hwmon" */
	const char *what;    /* one line for `aipm probe` */
	unsigned provides;   /* AIPM_PROVIDES_* */
	/* What is lost without this source, as a noun phrase ("CPU energy"):
	 * the CLI says "no CPU energy will be recorded". */
	const char *missing;
	enum aipm_say say;
	/* Returns 0 and *out (possibly unavailable), or -errno (-ENOMEM) with
	 * a message in aipm_error_last(). Appends what it measures to cat. */
	int (*open)(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out);
	/* Set this source's values in snap (cleared by the sampler before).
	 * Returns 0, or -errno with aipm_err() when something could not be
	 * read this time (what was not set stays absent; sampling goes on).
	 * Called only when the source is available. */
	int (*sample)(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap);
	void (*close)(struct aipm_source *src);
	/* Optional: append a JSON object with what was found (zones, GPUs) to
	 * buf, for metadata.json and `aipm probe --json`. */
	void (*describe)(struct aipm_source *src, struct aipm_buf *buf);
};

/* registry.c: every source, in sampling order. The registry is fixed at
 * build time; registry.c asserts it fits in AIPM_MAX_SOURCES. */
#define AIPM_MAX_SOURCES 32
extern const struct aipm_source_ops *const aipm_source_registry[];
extern const size_t aipm_source_count;

extern const struct aipm_source_ops aipm_source_rapl;
extern const struct aipm_source_ops aipm_source_procfs;
extern const struct aipm_source_ops aipm_source_nvml;
extern const struct aipm_source_ops aipm_source_amdsmi;
extern const struct aipm_source_ops aipm_source_hwmon;
extern const struct aipm_source_ops aipm_source_cpu_estimate;

/* Helper for sources: fill reason/fix with printf formats. */
void aipm_source_set(struct aipm_source *s, bool available, const char *fix,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Helper for sources: set the note (what was left out and why). */
void aipm_source_note(struct aipm_source *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Energy from power readings where a device has no energy counter: the
 * trapezoid between consecutive readings (the snapshots' monotonic times).
 * aipm_power_integral_add returns the joules since the previous reading. */
struct aipm_power_integral {
	bool have;
	double last_w, last_s;
};
double aipm_power_integral_add(struct aipm_power_integral *p, double power_w, double t_s);

/* Open one source (ops) with cfg into cat, setting src->ops: what the
 * sampler does for each registered source; tests call it for one. */
int aipm_source_open(const struct aipm_source_ops *ops, const struct aipm_source_config *cfg,
		     struct aipm_catalog *cat, struct aipm_source **out);
/* Take one sample of src and record its health (samples, failed,
 * last_rc, last_error); the sampler's step does this for every source. */
int aipm_source_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap);

#endif
