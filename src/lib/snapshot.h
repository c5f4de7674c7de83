/* snapshot.h: one sample of everything aipm measures, at one instant.
 *
 * Sources fill their part of a snapshot (raw cumulative counters, never
 * rates); the sampler then derives the interval quantities (powers, shares,
 * attributed energy) from two consecutive snapshots and publishes the result.
 * Nobody changes a published snapshot: the recording writer and the HTTP
 * exporter only read it.
 *
 * Missing is not zero: every group carries a validity flag, and a zone or
 * GPU field that could not be read is marked so, never written as 0.
 */
#ifndef AIPM_SNAPSHOT_H
#define AIPM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define AIPM_MAX_ZONES 64
#define AIPM_MAX_GPUS 16
#define AIPM_MAX_GPU_PROCS 64
#define AIPM_MAX_TEMPS 64
#define AIPM_NAME_LEN 64

enum aipm_zone_kind {
	AIPM_ZONE_PACKAGE,
	AIPM_ZONE_CORE,
	AIPM_ZONE_UNCORE,
	AIPM_ZONE_DRAM,
	AIPM_ZONE_PSYS,
	AIPM_ZONE_OTHER,
};

/* One RAPL zone. name is unique in a snapshot: "package-0", "core-0",
 * "uncore-0", "dram-0", "psys" (socket suffix from the parent package). */
struct aipm_zone {
	char name[AIPM_NAME_LEN];
	enum aipm_zone_kind kind;
	int socket;          /* -1 when the zone belongs to no package (psys) */
	bool valid;          /* read successfully in this sample */
	uint64_t energy_uj;  /* cumulative since the source opened, unwrapped */
	/* derived by the sampler */
	double power_w;      /* over the last interval; valid only if valid */
	double energy_j;     /* cumulative since the recording started */
};

/* One process of the measured tree. Keyed by (pid, start_ticks): a reused
 * pid is a new process. */
struct aipm_proc {
	pid_t pid;
	uint64_t start_ticks;   /* field 22 of /proc/PID/stat */
	char comm[32];
	uint64_t cpu_ticks;     /* utime + stime, cumulative, USER_HZ ticks */
	bool mem_valid;         /* PSS/USS read (possibly at --mem-interval) */
	uint64_t pss_bytes, uss_bytes, rss_bytes;
	/* derived by the sampler */
	double cpu_share;       /* of the whole machine's busy CPU time, [0,1] */
	double mem_share;       /* PSS over the machine's used memory, [0,1] */
};

/* Validity bits of struct aipm_gpu.fields */
enum {
	AIPM_GPU_ENERGY = 1u << 0, /* energy_mj: from the counter or integrated */
	AIPM_GPU_POWER = 1u << 1,
	AIPM_GPU_UTIL = 1u << 2,
	AIPM_GPU_MEM = 1u << 3,
	AIPM_GPU_TEMP = 1u << 4,
	AIPM_GPU_LIMIT = 1u << 5,
	AIPM_GPU_PROC_UTIL = 1u << 6, /* per-process SM use is supported */
	AIPM_GPU_PROC_MEM = 1u << 7,
};

struct aipm_gpu_proc {
	pid_t pid;             /* as seen from aipm's PID namespace */
	bool in_experiment;    /* member of the measured tree (or --gpu-all-processes) */
	unsigned sm_util;      /* percent since the previous sample; 0 if none seen */
	bool mem_valid;
	uint64_t mem_bytes;
};

struct aipm_gpu {
	unsigned index;
	char name[96];
	char uuid[96];
	bool valid;                 /* answered this sample (false once lost) */
	unsigned fields;            /* AIPM_GPU_* validity bits */
	bool energy_integrated;     /* no counter: energy integrated from power */
	uint64_t energy_mj;         /* cumulative since open, never goes back */
	double power_w;
	unsigned sm_util, mem_util; /* percent, as NVML gives them */
	uint64_t mem_used_bytes, mem_total_bytes;
	double temp_c;
	double power_limit_w;
	size_t nprocs;
	struct aipm_gpu_proc procs[AIPM_MAX_GPU_PROCS];
	/* derived by the sampler */
	double energy_j;            /* cumulative since the recording started */
	double exp_share;           /* experiment's share of this GPU's SM use, [0,1] */
	double attributed_energy_j; /* cumulative */
};

struct aipm_temp {
	char name[AIPM_NAME_LEN]; /* "coretemp/Package id 0", "thermal/acpitz" */
	double celsius;
};

struct aipm_snapshot {
	uint64_t seq;              /* 0 for the first sample of a recording */
	struct timespec mono;      /* CLOCK_MONOTONIC at the sample */
	struct timespec real;      /* CLOCK_REALTIME at the sample */

	/* RAPL (rapl.c) */
	bool rapl_valid;
	size_t nzones;
	struct aipm_zone zones[AIPM_MAX_ZONES];

	/* The machine (procfs.c): /proc/stat and /proc/meminfo */
	bool sys_valid;
	uint64_t sys_busy_ticks, sys_total_ticks;
	uint64_t mem_total_bytes, mem_available_bytes;

	/* The measured process tree (procfs.c). procs is owned by the
	 * snapshot and grown by the source; never shrunk. */
	bool tree_valid;
	size_t nprocs, procs_cap;
	struct aipm_proc *procs;
	/* Cumulative CPU time of the whole tree since it was first seen,
	 * including members that ended (cutime/cstime of live members, rusage
	 * of what aipm reaped). Never goes back. */
	uint64_t tree_cpu_ticks;
	bool tree_alive;           /* at least one member still exists */

	/* NVML (nvml.c) */
	bool gpu_valid;
	bool gpu_all_processes;
	size_t ngpus;
	struct aipm_gpu gpus[AIPM_MAX_GPUS];

	/* Temperatures (hwmon.c) */
	size_t ntemps;
	struct aipm_temp temps[AIPM_MAX_TEMPS];

	/* Derived by the sampler (attrib.c) from the previous snapshot. */
	double interval_s;         /* 0 for the first sample */
	double tree_cpu_share;     /* tree CPU over machine busy CPU, [0,1] */
	double tree_mem_share;     /* tree PSS over machine used memory, [0,1] */
	bool tree_mem_valid;       /* some member's PSS/USS was read */
	uint64_t tree_pss_bytes, tree_uss_bytes; /* summed over those members */
	double attributed_cpu_j;   /* cumulative: share x package energy */
	double attributed_dram_j;  /* cumulative: mem share x dram energy */
	double attributed_gpu_j;   /* cumulative over all GPUs */
	double tree_cpu_s;         /* cumulative tree CPU time, seconds */
};

/* Allocate/free the process array; copy a snapshot (deep). */
void aipm_snapshot_init(struct aipm_snapshot *s);
void aipm_snapshot_free(struct aipm_snapshot *s);
int aipm_snapshot_copy(struct aipm_snapshot *dst, const struct aipm_snapshot *src);
/* Make room for n processes; -ENOMEM on failure. */
int aipm_snapshot_reserve_procs(struct aipm_snapshot *s, size_t n);

/* Zone-kind helpers */
const char *aipm_zone_kind_name(enum aipm_zone_kind k);
/* Sum of the derived power of every valid zone of one kind; false if none. */
bool aipm_snapshot_kind_power(const struct aipm_snapshot *s, enum aipm_zone_kind k, double *out_w);
bool aipm_snapshot_kind_energy(const struct aipm_snapshot *s, enum aipm_zone_kind k, double *out_j);

#endif
