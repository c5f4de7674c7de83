/* snapshot.h: the measurement model. What aipm can measure (the catalog)
 * and one sample of it (a snapshot), shared by every stage.
 *
 * The catalog is published once, while the sources open: each source
 * appends the energy domains, devices and sensors it will measure and keeps
 * the ids it got back. Nothing is added later, so an id names the same
 * thing in every snapshot of a run. Consumers (attribution, the writer, the
 * exporter) iterate the catalog; none of them knows a source by name.
 *
 * A snapshot holds values keyed by catalog id, arrays sized from the
 * catalog, each value with its validity. Before every sample the sampler
 * clears them (nothing valid); a source then sets what it read through the
 * helpers below and never sets a count. A value a source did not set is
 * therefore absent: missing is not zero. Lists that change from sample to
 * sample (the process table, each GPU's processes) grow as needed; nothing
 * truncates silently.
 *
 * Cumulative counters (energy, CPU time) are raw and owned by their
 * source; the sampler derives interval quantities (powers, shares,
 * attributed energy, see attrib.h) from two consecutive snapshots and then
 * publishes the snapshot, which nobody changes afterwards.
 */
#ifndef AIPM_SNAPSHOT_H
#define AIPM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "estimate/estimate.h"

#define AIPM_NAME_LEN 64
/* Limits of the recording reader (analysis/line.h), which sizes its tables
 * by them; the model itself has no fixed limit. */
#define AIPM_MAX_ZONES 64
#define AIPM_MAX_GPUS 16

/* ---- the catalog ---------------------------------------------------- */

enum aipm_domain_kind {
	AIPM_DOMAIN_PACKAGE,
	AIPM_DOMAIN_CORE,
	AIPM_DOMAIN_UNCORE,
	AIPM_DOMAIN_DRAM,
	AIPM_DOMAIN_PSYS,
	AIPM_DOMAIN_OTHER,
};

/* One energy domain (a RAPL zone). Domains nest: psys contains the
 * packages, a package its core and uncore; DRAM is separate. parent says
 * which domain's energy already includes this one's, so a view never adds
 * a domain to its parent. */
struct aipm_domain {
	char name[AIPM_NAME_LEN]; /* unique: "package-0", "core-0", "dram-0", "psys" */
	const char *source;       /* ops->name of the source that measures it */
	enum aipm_domain_kind kind;
	int socket;               /* -1 when the domain belongs to no package */
	int parent;               /* id of the containing domain, -1 if none */
};

/* One device (a GPU). The recording writes each vendor under its own
 * section ("gpu" for NVIDIA, as AIPowerMeter does; "<vendor>_gpu" for any
 * other), keyed by the vendor's index, so indices never collide. */
struct aipm_device {
	const char *source;
	char vendor[16];          /* "nvidia", "amd": lower case, [a-z0-9] */
	unsigned index;           /* the vendor library's index */
	char name[96];
	char uuid[96];
	bool energy_integrated;   /* no energy counter: integrated from power */
};

/* One scalar sensor (a temperature). */
struct aipm_sensor {
	const char *source;
	char name[AIPM_NAME_LEN]; /* "coretemp/Package id 0", "thermal/acpitz" */
	const char *unit;         /* "celsius" */
};

/* A CPU power estimate (estimate/estimate.h): a model, not a measurement.
 * Published at open by the estimate source only where no CPU energy
 * domain is in the catalog; consumers write it under names of its own
 * ("cpu_estimate"), never as a domain, so no total can mix the two. */
struct aipm_cpu_estimate_entry {
	const char *source;
	struct aipm_cpu_power_model model;
};

struct aipm_catalog {
	struct aipm_domain *domains;
	size_t ndomains, domains_cap;
	struct aipm_device *devices;
	size_t ndevices, devices_cap;
	struct aipm_sensor *sensors;
	size_t nsensors, sensors_cap;
	/* The sources, by index (ops->name), for per-source health. */
	const char **sources;
	size_t nsources, sources_cap;
	/* NULL: no estimate (CPU energy measured, --no-estimate, no cpuinfo). */
	struct aipm_cpu_estimate_entry *cpu_estimate;
};

/* Append one entry; returns its id (>= 0) or -ENOMEM. */
int aipm_catalog_add_domain(struct aipm_catalog *c, const struct aipm_domain *d);
int aipm_catalog_add_device(struct aipm_catalog *c, const struct aipm_device *d);
/* A GPU device from its parts (strings copied, cut to fit). */
int aipm_catalog_add_gpu(struct aipm_catalog *c, const char *source, const char *vendor, unsigned index,
			 const char *name, const char *uuid, bool energy_integrated);
int aipm_catalog_add_sensor(struct aipm_catalog *c, const struct aipm_sensor *s);
int aipm_catalog_add_source(struct aipm_catalog *c, const char *name);
/* Publish the CPU estimate (copied): 0, -EEXIST when one is there, -ENOMEM. */
int aipm_catalog_set_cpu_estimate(struct aipm_catalog *c, const char *source, const struct aipm_cpu_power_model *m);
void aipm_catalog_free(struct aipm_catalog *c);
const char *aipm_domain_kind_name(enum aipm_domain_kind k);
/* The recording section of a device: "gpu" for NVIDIA, "<vendor>_gpu". */
void aipm_device_section(const struct aipm_device *d, char *out, size_t n);

/* ---- values --------------------------------------------------------- */

struct aipm_domain_value {
	bool valid;          /* read in this sample */
	uint64_t energy_uj;  /* the source's cumulative count, unwrapped */
	/* derived by the sampler */
	double power_w;      /* over the last interval; NAN unless both ends valid */
	double energy_j;     /* since the first sample; never goes back */
};

/* Validity bits of struct aipm_gpu_value.fields */
enum {
	AIPM_GPU_ENERGY = 1u << 0, /* energy_mj: from the counter or integrated */
	AIPM_GPU_POWER = 1u << 1,
	AIPM_GPU_UTIL = 1u << 2,
	AIPM_GPU_MEM = 1u << 3,
	AIPM_GPU_TEMP = 1u << 4,
	AIPM_GPU_LIMIT = 1u << 5,
	AIPM_GPU_PROC_UTIL = 1u << 6, /* per-process use was read */
	AIPM_GPU_PROC_MEM = 1u << 7,  /* per-process memory was read */
	AIPM_GPU_MEM_UTIL = 1u << 8,  /* mem_util (NVIDIA's memory controller use) */
	AIPM_GPU_ENERGY_AGE = 1u << 9, /* energy_age_s: the library said when its counter was updated */
};

struct aipm_gpu_proc {
	pid_t pid;             /* as seen from aipm's PID namespace; 0 if not visible */
	unsigned sm_util;      /* percent since the previous sample; 0 if none seen */
	bool mem_valid;
	uint64_t mem_bytes;
	/* derived by attribution (membership.c) */
	bool in_experiment;
};

struct aipm_gpu_value {
	bool valid;                 /* answered this sample (false once lost) */
	unsigned fields;            /* AIPM_GPU_* validity bits */
	uint64_t energy_mj;         /* cumulative since open, never goes back */
	/* How old the counter's reading was at this sample's time (s, >= 0):
	 * GPU counters update every 20-100 ms, so energy_mj is the energy up
	 * to the sample's time minus this. */
	double energy_age_s;
	double power_w;
	unsigned sm_util, mem_util; /* percent */
	uint64_t mem_used_bytes, mem_total_bytes;
	double temp_c;
	double power_limit_w;
	/* The processes on the GPU. procs_complete: the list was read whole
	 * this sample; when false the experiment's share is unknown (a share
	 * over a truncated list would be wrong), never guessed. */
	bool procs_complete;
	size_t nprocs, procs_cap;
	struct aipm_gpu_proc *procs;
	/* derived by the sampler */
	double energy_j;            /* since the first sample */
	bool share_valid;           /* exp_share is known */
	double exp_share;           /* experiment's share of this GPU, [0,1] */
	double attributed_energy_j; /* cumulative */
};

/* The CPU estimate's inputs (set by its source) and totals (derived). */
struct aipm_cpu_estimate_value {
	bool valid;              /* /proc/stat was read this sample */
	/* USER_HZ ticks since boot. Steal time is neither busy nor idle for
	 * this machine: the host ran another tenant, so busy leaves it out
	 * and total keeps it (the load is then the guest's own share). */
	uint64_t busy_ticks;     /* user nice system irq softirq */
	uint64_t total_ticks;    /* busy + idle + iowait + steal */
	/* derived by the sampler (attrib.c) */
	bool have;               /* busy/total hold counters read now or earlier */
	double pending_s;        /* time since those counters, not yet estimated */
	double pending_share_s;  /* the experiment's CPU share x time over it */
	double load;             /* the interval's utilisation, [0,1]; NaN unknown */
	/* est.power: the interval's (NaN when not estimated); est.energy,
	 * est.attributed: since the first sample, never going back. */
	struct aipm_cpu_estimate est;
};

struct aipm_sensor_value {
	bool valid; /* an unreadable sensor (EIO, ENODATA) is not valid */
	double value;
};

/* One process of the process table. Keyed by (pid, start_ticks): a reused
 * pid is a new process. */
struct aipm_proc {
	pid_t pid;
	uint64_t start_ticks;   /* field 22 of /proc/PID/stat */
	char comm[32];
	bool alive;             /* false for a zombie: it ended, its times are final */
	uint64_t cpu_ns;        /* its own CPU time (all threads), cumulative */
	bool mem_valid;         /* PSS/USS read (possibly at the slow cadence) */
	uint64_t pss_bytes, uss_bytes, rss_bytes;
	/* derived by the sampler */
	double cpu_share;       /* of the whole machine's busy CPU time, [0,1] */
	double mem_share;       /* PSS over the machine's used memory, [0,1] */
};

struct aipm_snapshot {
	const struct aipm_catalog *cat;
	uint64_t seq;              /* 0 for the first sample of a recording */
	struct timespec mono;      /* CLOCK_MONOTONIC at the sample */
	struct timespec real;      /* CLOCK_REALTIME at the sample */
	bool slow;                 /* the slow tier (PSS/USS, temperatures) was read */
	char edge[64];             /* off-grid sample: why it was taken; "" on the grid */

	/* Meaningful when cat->cpu_estimate. */
	struct aipm_cpu_estimate_value cpu_est;

	/* Keyed by catalog id; sized by aipm_snapshot_init. */
	struct aipm_domain_value *domains;   /* [cat->ndomains] */
	struct aipm_gpu_value *gpus;         /* [cat->ndevices] */
	struct aipm_sensor_value *sensors;   /* [cat->nsensors] */
	bool *source_ok;                     /* [cat->nsources]: available and sample() succeeded */

	/* The machine: /proc/stat busy time (USER_HZ ticks converted to ns)
	 * and /proc/meminfo. */
	bool sys_valid;
	uint64_t sys_busy_ns, sys_total_ns;
	bool meminfo_valid;
	uint64_t mem_total_bytes, mem_available_bytes;

	/* The process table: the experiment's processes (machine-wide mode:
	 * every process), sorted by pid. Filled by the process source with
	 * aipm_snapshot_add_proc; membership is decided by membership.c. */
	bool tree_valid;
	size_t nprocs, procs_cap;
	struct aipm_proc *procs;
	/* Cumulative CPU time of the whole tree since it was first seen,
	 * members that ended included. Never goes back (the sampler holds it). */
	uint64_t tree_cpu_ns;
	bool tree_alive;           /* at least one member is alive (not a zombie) */
	bool gpu_all_processes;    /* every GPU process is the experiment's */

	/* Derived by the sampler (attrib.c) from the previous snapshot. */
	double interval_s;         /* 0 for the first sample */
	double tree_cpu_share;     /* charged tree CPU over machine busy CPU, [0,1] */
	uint64_t tree_cpu_carry_ns; /* tree CPU not yet charged (tick rounding), see attrib.c */
	double tree_mem_share;     /* tree PSS over machine used memory, [0,1] */
	bool tree_mem_valid;       /* some member's PSS/USS was read */
	uint64_t tree_pss_bytes, tree_uss_bytes; /* summed over those members */
	double attributed_cpu_j;   /* cumulative: share x package energy */
	double attributed_dram_j;  /* cumulative: mem share x dram energy */
	double attributed_gpu_j;   /* cumulative over all GPUs */
	double tree_cpu_s;         /* cumulative tree CPU time since the first sample, s */
};

/* Size the value arrays from cat (which must outlive s); -ENOMEM. */
int aipm_snapshot_init(struct aipm_snapshot *s, const struct aipm_catalog *cat);
void aipm_snapshot_free(struct aipm_snapshot *s);
/* Deep copy into dst (initialised with the same catalog); -ENOMEM. */
int aipm_snapshot_copy(struct aipm_snapshot *dst, const struct aipm_snapshot *src);
/* Forget every value before a sample: nothing valid, lists empty. */
void aipm_snapshot_clear(struct aipm_snapshot *s);

/* ---- what sources call ---------------------------------------------- */

/* Set a domain's cumulative energy; valid says whether it was read now
 * (a source that holds the cumulative of an unreadable counter still
 * passes it, with valid false). */
void aipm_snapshot_set_energy(struct aipm_snapshot *s, int id, uint64_t energy_uj, bool valid);
void aipm_snapshot_set_sensor(struct aipm_snapshot *s, int id, double value);
/* The estimate source's /proc/stat counters (see struct aipm_cpu_estimate_value). */
void aipm_snapshot_set_cpu_load(struct aipm_snapshot *s, uint64_t busy_ticks, uint64_t total_ticks);
struct aipm_gpu_value *aipm_snapshot_gpu(struct aipm_snapshot *s, int id);
/* The GPU's entry for pid, appended when new; NULL only when out of
 * memory (the caller then clears procs_complete). */
struct aipm_gpu_proc *aipm_snapshot_gpu_proc(struct aipm_snapshot *s, int id, pid_t pid);
/* Append a process to the table (zeroed); NULL when out of memory. */
struct aipm_proc *aipm_snapshot_add_proc(struct aipm_snapshot *s);

/* Grow an array *p of elements of size so it holds need (doubling from
 * 8): 0, or -ENOMEM with *p untouched. For the model's lists and the
 * sources' own, so nothing has a fixed limit. */
int aipm_grow(void **p, size_t *cap, size_t need, size_t size);

/* ---- small queries -------------------------------------------------- */

/* Sum of the derived power of every valid domain of one kind; false if none. */
bool aipm_snapshot_kind_power(const struct aipm_snapshot *s, enum aipm_domain_kind k, double *out_w);
/* Sum of the cumulative energy of every domain of one kind; false if none. */
bool aipm_snapshot_kind_energy(const struct aipm_snapshot *s, enum aipm_domain_kind k, double *out_j);
/* Some domain of this kind is in the catalog. */
bool aipm_catalog_has_kind(const struct aipm_catalog *c, enum aipm_domain_kind k);

#endif
